"""`jingjin demo`: the main job on the embedded default, from an empty database up.

It migrates the database, loads the year's rules and the synthetic demo data, prints
the demo county's estimate and targets and the demo accounts, then serves the web pages
and the scheduled flows (with a local mail sink) until Ctrl-C.

The demo tells a day inside the plan year: "today" is pinned (--today or JINGJIN_TODAY,
default 113/11/25) for this process and every process it starts, so pages, flows and the
mails they send all agree on the day.
"""

import os
import threading
from datetime import date

import typer
from sqlmodel import select

from cli.common import YEAR_HELP, chosen_year, reports_errors
from config.settings import get_settings, parse_day
from demo.generate import DEMO_PASSWORD, demo_today, generate, story_end
from forms.estimate_text import render
from model.db import get_engine, session_scope
from model.migrate import upgrade
from model.seed import ensure_counties, ensure_year
from model.tables import County
from rules import load_rules
from states.values import Role
from vocab.display import roc_date
from workflow.plan_estimate import county_estimate


@reports_errors
def demo_command(
    year: int | None = typer.Option(None, help=YEAR_HELP),
    county: str = typer.Option("新竹縣", help="示範縣市"),
    all_counties: bool = typer.Option(False, "--all-counties", help="產生全部 22 縣市的示範資料"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="印出後啟動網頁與排程"),
    port: int = typer.Option(8000, help="網頁連接埠"),
    today: str | None = typer.Option(
        None, help="示範的「今天」（2024-11-25 或 113/11/25；預設 JINGJIN_TODAY，否則 113/11/25）"
    ),
) -> None:
    """建立資料庫、載入年度規則與示範資料，印出示範縣市的預估補助數與指標，再啟動網頁與排程。"""
    year = chosen_year(year)
    rules = load_rules(year)  # a year without rules stops here, before the database is touched
    day = _pin_today(today, year)
    engine = get_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        ensure_counties(session)
        ensure_year(session, year)
        summary = generate(session, year=year, county_name=county, all_counties=all_counties)
    typer.echo(f"資料庫：{engine.url.render_as_string()}")
    typer.echo(f"{year} 年度規則已載入。")
    typer.echo(f"示範的今天：{roc_date(day)}（{day.isoformat()}）")
    typer.echo(
        f"示範資料（合成，新增）：{summary.counties} 縣市、{summary.schools} 校、"
        f"{summary.users} 位使用者、{summary.products} 項產品、{summary.plans} 份計畫、"
        f"{summary.purchases} 件採購、{summary.milestones} 個期限、{summary.activities} 筆活動、"
        f"{summary.transitions} 筆流程紀錄"
    )
    with session_scope(engine) as session:
        row = session.exec(select(County).where(County.name == county)).one()
        est, goals = county_estimate(session, row, rules)
    typer.echo("")
    typer.echo(render(f"{county}（示範資料）", est, goals, rules))
    _print_accounts(engine)
    if serve:
        _serve(port)


def _pin_today(option: str | None, year: int) -> date:
    """--today, else JINGJIN_TODAY, else the demo's day; exported so that the web server,
    the served flows' subprocesses and the mail sink all read the same day."""
    raw = option or os.environ.get("JINGJIN_TODAY")
    try:
        name = "--today" if option else "JINGJIN_TODAY"
        day = parse_day(raw.strip(), name) if raw and raw.strip() else demo_today(year)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--today") from None
    told = story_end(year)
    if day < told:  # the history shown would hold days still to come
        raise typer.BadParameter(
            f"示範資料的故事記到 {roc_date(told)}，「今天」不可早於此日（收到 {roc_date(day)}）",
            param_hint="--today",
        )
    os.environ["JINGJIN_TODAY"] = day.isoformat()
    get_settings.cache_clear()  # settings are read when asked: ask again with the day
    return day


def _print_accounts(engine) -> None:
    from web.security import set_demo_passwords

    # Fixed and documented (README.md), so a demo can be shown from run to run; only the
    # synthetic demo accounts get it, a real install sets real passwords.
    password = os.environ.get("JINGJIN_DEMO_PASSWORD") or DEMO_PASSWORD
    with session_scope(engine) as session:
        users = set_demo_passwords(session, password)
        counties = {c.id: c.name for c in session.exec(select(County))}
    typer.echo("")
    typer.echo(f"示範帳號（密碼皆為 {password}）：")
    for user in users:
        where = counties.get(user.county_id, "教育部")
        typer.echo(f"  {user.username:<20} {Role(user.role).label}（{where}）{user.display_name}")


def _serve(port: int) -> None:
    import uvicorn

    from flows.serve import run_embedded
    from web.app import create_app
    from web.config import settings_from_env

    web_settings = settings_from_env()
    server = uvicorn.Server(
        uvicorn.Config(create_app(get_engine(), web_settings), host="127.0.0.1", port=port)
    )
    threading.Thread(target=server.run, name="web", daemon=True).start()
    typer.echo(f"網頁服務：http://127.0.0.1:{port}/")
    settings = get_settings()
    typer.echo(
        f"寄出的郵件存於 {settings.data_dir / 'mail'}（本機郵件接收器 {settings.smtp_host}:{settings.smtp_port}）"
    )
    try:
        run_embedded(settings=settings)  # blocks until Ctrl-C
    finally:
        server.should_exit = True
