"""`jingjin findings`: what the compliance sweep found, open or all, per county."""

import typer
from sqlmodel import col, select

from cli.common import database, print_json, reports_errors
from cli.item_common import AS_HELP, JSON_HELP, check_read, find_county, reader
from flows.jobs.checks import rule_title
from model.tables import County, Finding
from vocab.display import roc_date
from workflow.lifecycles import LIFECYCLES
from workflow.service import actor_of

# What each kind of subject is called; items take their lifecycle's name.
SUBJECT_LABELS = {
    **{lifecycle.item_type.value: lifecycle.label for lifecycle in LIFECYCLES.values()},
    "milestone": "期限事項",
    "budget_line": "經費項目",
}


def _row(finding: Finding, county: str | None) -> dict:
    kind = SUBJECT_LABELS.get(finding.subject_type, finding.subject_type)
    return {
        "county": county,
        "rule_id": finding.rule_id,
        "rule": rule_title(finding.rule_id),
        "subject_type": finding.subject_type,
        "subject_id": finding.subject_id,
        "subject": f"{kind} #{finding.subject_id}",
        "message": finding.message,
        "first_seen": finding.first_seen.isoformat(),
        "first_seen_roc": roc_date(finding.first_seen),
        "resolved_on": finding.resolved_on.isoformat() if finding.resolved_on else None,
        "resolved_on_roc": roc_date(finding.resolved_on) if finding.resolved_on else None,
    }


@reports_errors
def findings_command(
    county: str | None = typer.Option(None, "--county", help="縣市代碼或名稱"),
    every: bool = typer.Option(
        False, "--all/--open", help="--open 只列尚未改善者（預設）；--all 連已改善者一併列出"
    ),
    as_user: str | None = typer.Option(None, "--as", help=AS_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """列出法規查核的發現：縣市、規則、對象、說明、首次發現日與改善日。"""
    with database() as session:
        user = reader(session, as_user)
        county_id = find_county(session, county).id if county else None
        if user is not None and actor_of(user).role.is_county:
            check_read(user, county_id if county else user.county_id)
            county_id = user.county_id
        query = (
            select(Finding, County.name)
            .outerjoin(County, County.id == Finding.county_id)
            .order_by(col(Finding.county_id), Finding.first_seen, Finding.id)
        )
        if county_id is not None:
            query = query.where(Finding.county_id == county_id)
        if not every:
            query = query.where(col(Finding.resolved_on).is_(None))
        rows = [_row(f, name) for f, name in session.exec(query)]
    if as_json:
        print_json(rows)
        return
    scope = "全部" if every else "尚未改善"
    typer.echo(f"法規查核發現（{scope}）：共 {len(rows)} 筆")
    for r in rows:
        resolved = f"{r['resolved_on_roc']} 已改善" if r["resolved_on"] else "尚未改善"
        typer.echo(
            f"  {r['county'] or '—'}｜{r['rule']}（{r['rule_id']}）｜{r['subject']}｜"
            f"首次發現 {r['first_seen_roc']}｜{resolved}"
        )
        typer.echo(f"    {r['message']}")
