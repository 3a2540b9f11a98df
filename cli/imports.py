"""`jingjin schools import` and `jingjin products import`: all-or-nothing list imports."""

from pathlib import Path

import typer

from cli.common import YEAR_HELP, chosen_year, database, reports_errors
from model.product_list import import_products
from model.school_list import import_schools
from rules import load_rules

schools_app = typer.Typer(help="附錄學校名單", no_args_is_help=True)
products_app = typer.Typer(help="校園數位內容與教學軟體選購名單", no_args_is_help=True)

FILE = typer.Argument(..., exists=True, dir_okay=False, help="CSV (UTF-8 / Big5) 或 XLSX")
YEAR = typer.Option(None, help=YEAR_HELP)


def _report(what: str, report) -> None:
    typer.echo(
        f"{what}：新增 {report.inserted} 筆、更新 {report.updated} 筆、未變更 {report.unchanged} 筆"
    )


@schools_app.command("import")
@reports_errors
def import_schools_command(file: Path = FILE, year: int | None = YEAR) -> None:
    """匯入學校名單；任何一列有誤則整批不匯入並列出每一列錯誤。"""
    year = chosen_year(year)
    load_rules(year)  # the year first: a list for a year without rules is never read
    with database() as session:
        report = import_schools(session, file, year)
    _report(f"{year} 年度學校名單", report)
    for county, count in sorted(report.by_county.items()):
        typer.echo(f"  {county}　{count} 校")


@products_app.command("import")
@reports_errors
def import_products_command(file: Path = FILE, year: int | None = YEAR) -> None:
    """匯入選購名單；任何一列有誤則整批不匯入並列出每一列錯誤。"""
    year = chosen_year(year)
    load_rules(year)
    with database() as session:
        report = import_products(session, file, year)
    _report(f"{year} 年度選購名單", report)
