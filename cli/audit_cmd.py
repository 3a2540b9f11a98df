"""`jingjin audit verify`: walk the transition log's hash chain."""

import typer

from cli.common import database
from model.audit import verify

app = typer.Typer(help="異動紀錄稽核", no_args_is_help=True)

EXIT_BROKEN = 1


@app.command("verify")
def verify_command() -> None:
    """逐筆核對異動紀錄的雜湊鏈；不符時指出第一筆不符的紀錄並以非零狀態結束。"""
    with database() as session:
        count, broken = verify(session.connection())
    if broken is not None:
        typer.echo(broken.sentence(), err=True)
        raise typer.Exit(EXIT_BROKEN)
    typer.echo(f"異動紀錄完整：共 {count:,} 筆，雜湊鏈逐筆相符。")
