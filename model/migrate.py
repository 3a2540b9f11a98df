"""Alembic, driven from code: `jingjin db upgrade` and the start-up check."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from rules.errors import JingjinError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


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


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def require_migrated(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not the code's."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise DatabaseNotMigrated(current, head)
