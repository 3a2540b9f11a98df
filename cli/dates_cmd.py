"""`jingjin rules dates …`, `jingjin reports …` and `jingjin closures …`: the reporting
dates the ministry announces, the reports a county submits, and closures (停班)."""

import typer

from cli.common import database, reports_errors
from cli.item_common import AS_HELP, find_county, find_user
from forms.typed_date import parse_day
from vocab.display import roc_date

dates_app = typer.Typer(help="報送期限（教育部另行公布）", no_args_is_help=True)
reports_app = typer.Typer(help="縣市報送（管考、成果資料）", no_args_is_help=True)
closures_app = typer.Typer(help="停班日（颱風等）", no_args_is_help=True)

KIND_HELP = "plan（實施計畫提報）、progress（計畫管考資料）或 results（執行成果資料）"


@dates_app.command("list")
@reports_errors
def dates_list(year: int = typer.Argument(..., help="計畫年度（民國）")) -> None:
    """列出年度的報送期限，以及每次設定的紀錄。"""
    from rules import load_rules
    from workflow.reporting_dates import reporting_dates

    rules = load_rules(year)  # a year without rules is refused in words
    with database() as session:
        for due in reporting_dates(session, rules):
            typer.echo(f"{due.name}\t{due.title}\t{_due_text(due)}")
        _print_history(session, year)


@dates_app.command("set")
@reports_errors
def dates_set(
    year: int = typer.Argument(..., help="計畫年度（民國）"),
    kind: str = typer.Argument(..., help=KIND_HELP),
    day: str = typer.Argument(..., help="期限（113/07/15 或 2024-07-15）"),
    as_user: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    """設定或變更報送期限（限教育部管理者）；各縣市的待辦事項隨之建立或改期。"""
    from rules import load_rules
    from workflow.reporting_dates import set_reporting_date

    load_rules(year)  # a year without rules is refused in words, before anything is read
    with database() as session:
        due = set_reporting_date(session, find_user(session, as_user), year, kind,
                                 parse_day(day, "期限"))  # fmt: skip
        typer.echo(f"{year} 年度「{due.title}」期限已設為 {roc_date(due.due_on)}。")
        _print_history(session, year)


def _due_text(due) -> str:
    if due.due_on is None:
        return "尚未公布"
    source = "教育部設定" if due.set_by_ministry else "規則檔"
    rolls = "，遇停班或假日順延" if due.rolls else ""
    return f"{roc_date(due.due_on)}（{source}{rolls}）"


def _print_history(session, year: int) -> None:
    from config.clock import local
    from vocab.milestone_kinds import MILESTONE_TITLES
    from workflow.reporting_dates import reporting_date_changes

    for change, actor in reporting_date_changes(session, year):
        was = "未定" if change.previous is None else roc_date(change.previous)
        typer.echo(f"  紀錄：{roc_date(local(change.at).date())} {actor.display_name} 將"
                   f"「{MILESTONE_TITLES[change.kind]}」由{was}設為 {roc_date(change.due_on)}")  # fmt: skip


@reports_app.command("submitted")
@reports_errors
def report_submitted(
    kind: str = typer.Argument(..., help="progress（計畫管考資料）或 results（執行成果資料）"),
    county: str = typer.Option(..., "--county", help="縣市"),
    year: int = typer.Option(..., "--year", help="計畫年度（民國）"),
    on: str = typer.Option(..., "--on", help="提交日（113/07/15 或 2024-07-15）"),
    as_user: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    """登錄縣市已提交管考或成果資料（限該縣市承辦或主管）。"""
    from rules import load_rules
    from workflow.reporting_dates import record_report

    load_rules(year)
    with database() as session:
        c = find_county(session, county)
        m = record_report(session, find_user(session, as_user), c, year, kind,
                          parse_day(on, "提交日"))  # fmt: skip
        typer.echo(f"{c.name}「{m.title}」已登錄於 {roc_date(m.done_on)} 提交。")


@closures_app.command("add")
@reports_errors
def closures_add(
    day: str = typer.Argument(..., help="停班日（113/07/25 或 2024-07-25）"),
    reason: str = typer.Option(..., "--reason", help="原因，例如：凱米颱風停班"),
    county: str = typer.Option(None, "--county", help="縣市；省略為全國（限教育部管理者）"),
    as_user: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    """登錄停班日：全國由教育部管理者登錄，縣市由該縣市主管登錄。提醒、逾期通報與順延的期限隨之順延。"""
    from workflow.closures import add_closure

    with database() as session:
        c = find_county(session, county) if county else None
        row = add_closure(session, find_user(session, as_user), parse_day(day, "停班日"),
                          c.id if c else None, reason)  # fmt: skip
        where = c.name if c else "全國"
        typer.echo(f"已登錄 {roc_date(row.day)} {where}停班：{row.reason}")


@closures_app.command("list")
@reports_errors
def closures_list(as_user: str = typer.Option(..., "--as", help=AS_HELP)) -> None:
    """列出您可看到的停班日（縣市人員只看到全國與自己縣市的）。"""
    from workflow.closures import visible_closures

    with database() as session:
        rows = visible_closures(session, find_user(session, as_user))
        if not rows:
            typer.echo("沒有登錄的停班日。")
        for closure, place, who in rows:
            by = f"（{who.display_name} 登錄）" if who else ""
            typer.echo(f"{roc_date(closure.day)}\t{place}\t{closure.reason}{by}")
