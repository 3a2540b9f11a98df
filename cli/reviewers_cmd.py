"""`jingjin reviewers`: which ministry reviewer answers for which county."""

import typer
from sqlmodel import Session, select

from cli.common import database, reports_errors
from cli.item_common import find_county, find_user
from model.assignments import all_assignments, assign, county_reviewers, unassign
from model.tables import County

app = typer.Typer(help="教育部承辦負責的縣市", no_args_is_help=True)


def _names(counties) -> str:
    return "、".join(c.name for c in counties)


@app.command("assign")
@reports_errors
def assign_command(
    username: str = typer.Argument(..., help="教育部承辦的帳號"),
    county: list[str] = typer.Argument(..., help="縣市名稱或代碼（可列多個）"),
) -> None:
    """指定教育部承辦負責的縣市；逾期通報與查核發現即寄給該縣市的負責承辦。"""
    with database() as session:
        user = find_user(session, username)
        wanted = [find_county(session, text) for text in county]
        added = assign(session, user, wanted)
        new_ids = {c.id for c in added}
        kept = [c for c in wanted if c.id not in new_ids]
    if added:
        typer.echo(f"已指定 {user.display_name}（{user.username}）負責：{_names(added)}")
    if kept:
        typer.echo(f"原本就由 {user.username} 負責：{_names(kept)}")


@app.command("unassign")
@reports_errors
def unassign_command(
    username: str = typer.Argument(..., help="教育部承辦的帳號"),
    county: str = typer.Argument(..., help="縣市名稱或代碼"),
) -> None:
    """取消教育部承辦對某縣市的負責。"""
    with database() as session:
        user = find_user(session, username)
        row = find_county(session, county)
        removed = unassign(session, user, row)
        left = _unassigned(session) if removed else []
    if not removed:
        typer.echo(f"{row.name}原本就不由 {user.username} 負責，未變更")
        return
    typer.echo(f"已取消 {user.username} 對{row.name}的負責")
    if row.id in {c.id for c in left}:
        typer.echo(f"{row.name}目前沒有負責的教育部承辦，通知將改寄教育部系統管理者")


@app.command("list")
@reports_errors
def list_command() -> None:
    """列出每位教育部承辦負責的縣市，以及尚未指定承辦的縣市。"""
    with database() as session:
        by_user: dict[str, list[County]] = {}
        for user, county in all_assignments(session):
            stopped = "" if user.active else "【已停用】"
            label = f"{user.display_name}（{user.username}）{stopped}"
            by_user.setdefault(label, []).append(county)
        left = _unassigned(session)
    for label, counties in by_user.items():
        typer.echo(f"{label}：{_names(counties)}")
    if not by_user:
        typer.echo("尚未指定任何教育部承辦負責的縣市")
    if left:
        typer.echo(f"尚未指定承辦的縣市（通知寄教育部系統管理者）：{_names(left)}")


def _unassigned(session: Session) -> list[County]:
    """Counties without an active reviewer: their ministry mails go to the admins."""
    counties = list(session.exec(select(County).order_by(County.id)))
    answered = county_reviewers(session, (c.id for c in counties))
    return [c for c in counties if c.id not in answered]
