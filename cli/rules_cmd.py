"""`jingjin rules …`: validate a year's rules file; set the ministry's yearly parameters."""

import typer

from cli.common import database, reports_errors
from cli.dates_cmd import dates_app
from cli.item_common import AS_HELP, find_user
from rules import available_years, load_rules
from vocab.display import amount as money
from vocab.display import roc_date

app = typer.Typer(help="年度規則", no_args_is_help=True)
app.add_typer(dates_app, name="dates")


@app.command("check")
@reports_errors
def check_command(year: list[int] = typer.Argument(None, help="年度；省略則檢查全部")) -> None:
    """檢查年度規則檔；有誤時指出是哪一個設定、錯在哪裡。"""
    for y in year or available_years():
        rules = load_rules(y)
        period = f"{roc_date(rules.period.start)}–{roc_date(rules.period.end)}"
        typer.echo(f"rules/{y}.toml 正確：計畫期程 {period}")


@app.command("per-head")
@reports_errors
def per_head_command(
    year: int = typer.Argument(..., help="計畫年度（民國）"),
    amount: int = typer.Argument(..., help="每位師生補助額（元）"),
    as_user: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    """設定「6 數位內容及教學軟體」的每位師生補助額（限教育部管理者）。"""
    from config.clock import local
    from workflow.plan_estimate import per_head_rate_changes, set_per_head_rate

    with database() as session:
        before = per_head_rate_changes(session, year)
        row = set_per_head_rate(session, find_user(session, as_user), year, amount)
        typer.echo(f"{row.year} 年度數位內容每位師生補助額已設為 {money(row.per_head_rate)} 元。")
        for change, actor in before:
            was = "規則檔預設" if change.previous is None else f"{money(change.previous)} 元"
            typer.echo(
                f"  先前：{roc_date(local(change.at).date())} {actor.display_name} "
                f"由{was}設為 {money(change.amount)} 元"
            )
