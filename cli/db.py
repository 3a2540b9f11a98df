"""`jingjin db …`: the schema of the configured database."""

import typer
from sqlalchemy.engine import make_url

from config.settings import get_settings
from model.db import get_engine, make_engine
from model.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="資料庫結構 (Alembic 遷移)", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    owner_url: str = typer.Option(
        "",
        "--owner-url",
        help="擁有資料表的角色之連線（PostgreSQL）；預設為 JINGJIN_MIGRATION_DATABASE_URL",
    ),
) -> None:
    """建立或更新資料表到最新版本。"""
    settings = get_settings()
    owner_url = owner_url or settings.migration_database_url
    if not owner_url:
        engine = get_engine()
        before = current_revision(engine)
        upgrade(engine)
    else:
        # The owner migrates; the application's role is granted rows, never the tables.
        engine = make_engine(owner_url)
        before = current_revision(engine)
        app_role = make_url(settings.effective_database_url).username
        upgrade(engine, app_role=app_role if app_role != engine.url.username else None)
    after = current_revision(engine)
    where = engine.url.render_as_string()
    if before == after:
        typer.echo(f"資料庫已是最新版本 {after}，不需更新：{where}")
    else:
        typer.echo(f"資料庫已從 {before or '(未建立)'} 更新到 {after}：{where}")


@app.command("current")
def current_command() -> None:
    """顯示資料庫目前的版本與最新版本。"""
    engine = get_engine()
    typer.echo(f"目前 {current_revision(engine) or '(未建立)'}，最新 {head_revision(engine)}")
