"""`jingjin rules check`: validate a year's rules file before it is used."""

import typer

from cli.common import reports_errors
from forms.display import roc_date
from rules import available_years, load_rules

app = typer.Typer(help="年度規則", no_args_is_help=True)


@app.command("check")
@reports_errors
def check_command(year: list[int] = typer.Argument(None, help="年度；省略則檢查全部")) -> None:
    """檢查年度規則檔；有誤時指出是哪一個設定、錯在哪裡。"""
    for y in year or available_years():
        rules = load_rules(y)
        period = f"{roc_date(rules.period.start)}–{roc_date(rules.period.end)}"
        typer.echo(f"rules/{y}.toml 正確：計畫期程 {period}")
