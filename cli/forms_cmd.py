"""`jingjin forms plan|budget|results|schools`: a county's documents as HTML, PDF, ODS or XLSX."""

from pathlib import Path

import typer

from cli.common import YEAR_HELP, chosen_year, database, fail, reports_errors
from forms.render import FORMATS, render
from rules import load_rules

app = typer.Typer(help="產生計畫文件（實施計畫、經費申請表、量化目標達成情形、學校名單）",
                  no_args_is_help=True)  # fmt: skip

DOCUMENTS = {
    "plan": "縣市中小學實施計畫（壹至柒及附錄）",
    "budget": "經費申請表",
    "results": "量化目標達成情形（依管考項目計算）",
    "schools": "附錄：所轄中小學名單",
}


def _format(fmt: str | None, out: Path) -> str:
    # Without --format, the file name says it: plan.pdf is a PDF.
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        fail(f"請以 --format 指定格式：{'、'.join(FORMATS)}（收到「{chosen or '未指定'}」）")
    return chosen


def _command(kind: str):
    @reports_errors
    def command(
        county: str = typer.Option(..., help="縣市名稱或代碼，例如 新竹縣 或 HSQ"),
        year: int | None = typer.Option(None, help=YEAR_HELP),
        fmt: str | None = typer.Option(
            None, "--format", help="html、pdf、ods 或 xlsx；省略時依 --out 副檔名"
        ),
        out: Path = typer.Option(..., dir_okay=False, help="輸出檔案路徑"),
        draft: bool = typer.Option(
            False, "--draft", help="草稿：資料未通過檢核也產生，每頁標示「草稿」"
        ),
    ) -> None:
        chosen = _format(fmt, out)
        year = chosen_year(year)
        load_rules(year)  # a year without rules is refused in words
        with database() as session:
            content = render(session, kind, county, year, chosen, draft=draft)
        out.write_bytes(content)
        typer.echo(f"已產生{'草稿' if draft else ''}：{out}（{DOCUMENTS[kind]}，{chosen.upper()}）")

    command.__doc__ = f"產生{DOCUMENTS[kind]}。"
    return command


for _kind in DOCUMENTS:
    app.command(_kind)(_command(_kind))
