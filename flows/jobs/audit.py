"""The daily check of the transition log's hash chain: a break is a ministry alert.

A finding of its own rule (`audit.chain_broken`, on the first row that does not match),
mailed at once to every ministry admin, whatever the day: evidence may have been forged.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from flows.jobs.checks import AUDIT_RULE, OTHER_TITLES
from flows.jobs.context import JobContext
from flows.jobs.report import JobReport
from model.audit import verify
from model.tables import Finding
from notifications import recipients
from notifications.outbox import Outgoing, dialect_insert, enqueue
from notifications.render import FindingView, Reader, render_finding

SUBJECT = "transition_log"
ADMIN_WHY = "您是教育部管理者，異動紀錄的完整性由您負責查核。"


def audit_alert(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("audit", ctx.as_of)
    _rows, broken = verify(session.connection())
    open_ones = (Finding.rule_id == AUDIT_RULE, col(Finding.resolved_on).is_(None))
    if broken is None:  # a clean chain adds nothing to the sweep's line
        session.execute(update(Finding).where(*open_ones).values(resolved_on=ctx.as_of))
        return report
    finding_id = _file(session, broken.row_id or 0, broken.sentence(), ctx.as_of)
    view = FindingView(
        rule_id=AUDIT_RULE, rule_title=OTHER_TITLES[AUDIT_RULE], county="全國",
        message=broken.sentence(), url=f"{ctx.base_url.rstrip('/')}/ministry",
    )  # fmt: skip
    mails = []
    for user in recipients.admins(session):
        rendered = render_finding(Reader(user.display_name, ADMIN_WHY), view, ctx.as_of, ctx.sender)
        mails.append(
            Outgoing(f"finding:{finding_id}:{user.id}", user.id, user.email, rendered, ADMIN_WHY)
        )
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    report.add("稽核警示", 1)
    return report


def _file(session: Session, row_id: int, message: str, as_of: date) -> int:
    """The finding on the broken row: new, or reopened if it was resolved before."""
    values = {
        "rule_id": AUDIT_RULE, "county_id": None, "subject_type": SUBJECT,
        "subject_id": row_id, "message": message, "first_seen": as_of, "resolved_on": None,
    }  # fmt: skip
    session.execute(
        dialect_insert(session, Finding.__table__)
        .values(values)
        .on_conflict_do_nothing(index_elements=["rule_id", "subject_type", "subject_id"])
    )
    session.execute(
        update(Finding)
        .where(Finding.rule_id == AUDIT_RULE, Finding.subject_id == row_id)
        .where(col(Finding.resolved_on).is_not(None))
        .values(resolved_on=None, message=message)
    )
    return session.exec(
        select(Finding.id).where(
            Finding.rule_id == AUDIT_RULE,
            Finding.subject_type == SUBJECT,
            Finding.subject_id == row_id,
        )
    ).one()
