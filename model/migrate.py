"""Alembic, driven from code: `jingjin db upgrade` and the start-up check."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

from rules.errors import JingjinError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseNewerThanCode(JingjinError):
    def __init__(self, current: str, head: str) -> None:
        self.current, self.head = current, head
        super().__init__(
            f"資料庫版本比程式新（資料庫為 {current}，本程式只認得到 {head}），請更新程式；"
            "在此之前不要對此資料庫執行其他版本的遷移"
        )


class DatabaseNotMigrated(JingjinError):
    def __init__(self, current: str | None, head: str) -> None:
        self.current, self.head = current, head
        where = "尚未建立資料表" if current is None else f"版本為 {current}，最新為 {head}"
        super().__init__(f"資料庫{where}。請先執行：jingjin db upgrade")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads "%" as interpolation; an escaped password or a %3D in the URL's
    # options must reach alembic unchanged.
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(engine: Engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def known_revision(engine: Engine, revision: str) -> bool:
    """Whether this code's migrations contain `revision` (a newer program's do not)."""
    try:
        return (
            ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision) is not None
        )
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", app_role: str | None = None) -> None:
    """Migrate as the engine's role (the owner); on PostgreSQL, then grant `app_role` what
    the application needs and no more, in the same transaction."""
    current = current_revision(engine)
    if current is not None and not known_revision(engine, current):
        raise DatabaseNewerThanCode(current, head_revision(engine))
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if app_role and conn.dialect.name == "postgresql":
            grant_app_role(conn, app_role)


# The log and its chain head: rows are added, never changed (the head moves with each row).
APPEND_ONLY = {"transition_log": "SELECT, INSERT", "transition_log_head": "SELECT, INSERT, UPDATE"}


def grant_app_role(conn: Connection, role: str) -> None:
    """The application's role reads and writes rows but owns nothing, so it can neither
    ALTER a table nor DISABLE its triggers; on the log it may only read and add."""
    quote = conn.dialect.identifier_preparer.quote
    who, schema = quote(role), quote(conn.execute(text("SELECT current_schema()")).scalar_one())
    conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}"))
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).scalars()
    for table in tables:
        rights = APPEND_ONLY.get(table, "SELECT, INSERT, UPDATE, DELETE")
        if table == "alembic_version":
            rights = "SELECT"
        conn.execute(text(f"GRANT {rights} ON {schema}.{quote(table)} TO {who}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}"))


def require_migrated(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not the code's."""
    current, head = current_revision(engine), head_revision(engine)
    if current is not None and current != head and not known_revision(engine, current):
        raise DatabaseNewerThanCode(current, head)
    if current != head:
        raise DatabaseNotMigrated(current, head)
