"""`jingjin demo`: the main job on the embedded default, from an empty database up."""

import typer
from sqlmodel import select

from cli.common import reports_errors
from forms.estimate_text import render
from model.db import get_engine, session_scope
from model.demo import generate
from model.migrate import upgrade
from model.plan_estimate import county_estimate
from model.seed import ensure_counties, ensure_year
from model.tables import County
from rules import load_rules


@reports_errors
def demo_command(
    year: int = typer.Option(113, help="計畫年度 (民國)"),
    county: str = typer.Option("新竹縣", help="示範縣市"),
    all_counties: bool = typer.Option(False, "--all-counties", help="產生全部 22 縣市的示範資料"),
) -> None:
    """建立資料庫、載入年度規則與示範資料，並印出示範縣市的預估補助數與指標。"""
    engine = get_engine()
    upgrade(engine)
    rules = load_rules(year)
    with session_scope(engine) as session:
        ensure_counties(session)
        ensure_year(session, year)
        summary = generate(session, year=year, county_name=county, all_counties=all_counties)
    typer.echo(f"資料庫：{engine.url.render_as_string()}")
    typer.echo(f"{year} 年度規則已載入。")
    typer.echo(
        f"示範資料（合成，新增）：{summary.counties} 縣市、{summary.schools} 校、"
        f"{summary.users} 位使用者、{summary.products} 項產品、{summary.plans} 份計畫、"
        f"{summary.purchases} 件採購、{summary.milestones} 個期限"
    )
    with session_scope(engine) as session:
        row = session.exec(select(County).where(County.name == county)).one()
        est, goals = county_estimate(session, row, rules)
    typer.echo("")
    typer.echo(render(f"{county}（示範資料）", est, goals, rules))
