"""`jingjin workshops import-baseline` and `jingjin devices import`: the per-school figures
behind the 數位學習工作坊 and 學習載具 targets, all-or-nothing like the school list."""

from pathlib import Path

import typer

from cli.common import chosen_year, database, reports_errors
from cli.imports import FILE, YEAR
from imports.school_target_lists import import_devices, import_workshop_baseline
from imports.tabular import ImportReport
from rules import load_rules

workshops_app = typer.Typer(help="數位學習工作坊(一)(二)各校培訓教師數", no_args_is_help=True)
devices_app = typer.Typer(help="各校學習載具數", no_args_is_help=True)


def _report(what: str, report: ImportReport) -> None:
    typer.echo(
        f"{what}：新增 {report.inserted} 筆、更新 {report.updated} 筆、未變更 {report.unchanged} 筆"
    )
    for county, count in sorted(report.by_county.items()):
        typer.echo(f"  {county}　{count} 校")


@workshops_app.command("import-baseline")
@reports_errors
def import_baseline_command(file: Path = FILE, year: int | None = YEAR) -> None:
    """匯入各校 111–112 年已完成工作坊(一)(二)的教師數（欄位：學校代碼、累計培訓教師數）；
    任何一列有誤則整批不匯入並列出每一列錯誤。"""
    year = chosen_year(year)
    load_rules(year)  # the year first: a list for a year without rules is never read
    with database() as session:
        report = import_workshop_baseline(session, file, year)
    _report(f"{year} 年度各校工作坊累計培訓教師數（111–112 年）", report)


@devices_app.command("import")
@reports_errors
def import_devices_command(file: Path = FILE, year: int | None = YEAR) -> None:
    """匯入各校現有學習載具（欄位：學校代碼、學習載具數、班級載具套數）；
    任何一列有誤則整批不匯入並列出每一列錯誤。"""
    year = chosen_year(year)
    load_rules(year)
    with database() as session:
        report = import_devices(session, file, year)
    _report(f"{year} 年度各校學習載具", report)
