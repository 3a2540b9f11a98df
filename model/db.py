"""Engines and sessions: the embedded SQLite file by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from config.settings import SettingError, get_settings

URL_EXAMPLE = "postgresql+psycopg://使用者:密碼@主機:5432/資料庫 或 sqlite:///路徑/jingjin.db"


class DatabaseUrlError(SettingError):
    """JINGJIN_DATABASE_URL names no database this program can open."""


def _check_url(url: str) -> None:
    """Refuse a URL no engine of ours can use, before SQLAlchemy's own deeper errors."""
    try:
        parsed = make_url(url)
        port, backend = parsed.port, parsed.get_backend_name()
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        raise DatabaseUrlError(f"JINGJIN_DATABASE_URL 格式不正確，應如 {URL_EXAMPLE}") from None
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"JINGJIN_DATABASE_URL 的資料庫種類「{parsed.drivername}」不支援，應如 {URL_EXAMPLE}"
        )
    if parsed.get_driver_name() not in ("pysqlite", "psycopg"):
        raise DatabaseUrlError(
            f"JINGJIN_DATABASE_URL 的驅動程式「{parsed.drivername}」不支援，"
            "請用 postgresql+psycopg:// 或 sqlite:///"
        )
    if port is not None and not 0 < port < 65536:
        raise DatabaseUrlError(f"JINGJIN_DATABASE_URL 的連接埠 {port} 不在 1–65535 之間")


READ_ONLY = "jingjin_read_only"


def make_engine(url: str, **kwargs) -> Engine:
    _check_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False}, **kwargs)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Leave transaction control to the begin hook below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # A deferred read-then-write transaction fails at once with "database is
        # locked" when another writer is active; IMMEDIATE waits for the lock instead.
        # Read-only work (page views) must not queue on that lock: WAL readers need none.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """The same engine and pool for work that only reads: on SQLite its transactions
    begin deferred, so readers never wait for (or hold) the write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
