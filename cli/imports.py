"""`jingjin schools import` and `jingjin products import`: all-or-nothing list imports."""

from pathlib import Path

import typer
from sqlmodel import select

from cli.common import YEAR_HELP, chosen_year, database, reports_errors
from imports.product_list import import_products
from imports.school_list import COLUMN_LABELS, import_schools
from model.tables import Product
from rules import load_rules

schools_app = typer.Typer(help="附錄學校名單", no_args_is_help=True)
products_app = typer.Typer(help="校園數位內容與教學軟體選購名單", no_args_is_help=True)

FILE = typer.Argument(..., exists=True, dir_okay=False, help="CSV (UTF-8 / Big5) 或 XLSX")
YEAR = typer.Option(None, help=YEAR_HELP)


def _report(what: str, report) -> None:
    gone = f"、移除 {len(report.removed)} 筆" if report.removed else ""
    typer.echo(
        f"{what}：新增 {report.inserted} 筆、更新 {report.updated} 筆、未變更 {report.unchanged} 筆"
        f"{gone}"
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
    _changes(report)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _changes(report) -> None:
    """What a re-import did, school by school; a first import only says how many."""
    if report.updated or report.unchanged or report.removed or report.kept:
        for code, name in report.added:
            typer.echo(f"  新增　{code} {name}")
    for code, name, columns in report.changed:
        what = "、".join(
            f"{COLUMN_LABELS.get(column, column)} {_shown(old)} → {_shown(new)}"
            for column, (old, new) in columns.items()
        )
        typer.echo(f"  變更　{code} {name}：{what}")
    for code, name in report.removed:
        typer.echo(f"  移除　{code} {name}")
    for code, name, why in report.kept:
        typer.echo(f"  未移除　{code} {name}：新名單已無此校，但{why}")


@products_app.command("import")
@reports_errors
def import_products_command(
    file: Path = FILE,
    year: int | None = YEAR,
    clause: list[str] = typer.Option(
        None, "--clause", help="須附資料條款的產品序號（可重複；省略則沿用先前的標記）"
    ),
) -> None:
    """匯入選購名單；任何一列有誤則整批不匯入並列出每一列錯誤。"""
    year = chosen_year(year)
    load_rules(year)
    with database() as session:
        report = import_products(session, file, year, clause or None)
        flagged = session.exec(
            select(Product.serial).where(Product.year == year, Product.needs_data_clause)
        ).all()
    _report(f"{year} 年度選購名單", report)
    typer.echo(f"  須附資料條款的產品序號：{'、'.join(sorted(flagged)) or '（無）'}")
    for warning in report.warnings:
        typer.echo(f"  注意：{warning}")
