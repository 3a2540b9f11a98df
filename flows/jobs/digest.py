"""The daily digest: one mail per reviewer who chose it, instead of single mails.

A reviewer's digest lists only the counties assigned to them (model/assignments.py). Its
escalations are shown as in a ministry escalation mail: beyond ESCALATION_ITEMS_SHOWN, a
summary per county, the longest overdue items and a link to the rest.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from flows.jobs import milestones
from flows.jobs.checks import COUNTY_SUBJECT, RULE_TITLES, school_targets_url
from flows.jobs.context import JobContext
from flows.jobs.escalation import escalation_list
from flows.jobs.milestones import CountyDue
from flows.jobs.report import JobReport
from flows.jobs.sweep import new_findings
from flows.jobs.windows import digest_period
from model.alerts import ESCALATION, MilestoneAlert
from model.tables import BudgetLine, County, Finding, User
from notifications import recipients
from notifications.outbox import Outgoing, enqueue
from notifications.render import (
    ESCALATION_ITEMS_SHOWN,
    FindingView,
    Reader,
    item_url,
    overdue_list_url,
    render_digest,
)


def daily_digest(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("digest", ctx.as_of)
    if not ctx.calendar.is_working_day(ctx.as_of):
        report.skipped = "非工作日，不寄每日摘要"
        return report
    readers = recipients.digest_readers(session)
    since = digest_period(ctx.as_of, ctx.calendar)
    escalations = _escalations(session, ctx, since) if readers else []
    findings = _findings(session, ctx, since) if readers else []
    report.add("摘要項目", sum(due.count for due in escalations) + len(findings))
    mails = [
        mail
        for user, counties in readers
        if (mail := _digest(ctx, since, user, counties, escalations, findings)) is not None
    ]
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    return report


def _digest(
    ctx: JobContext,
    since: date,
    user: User,
    counties: dict[int, str],
    escalations: list[CountyDue],
    findings: list[tuple[int, FindingView]],
) -> Outgoing | None:
    """One reviewer's digest: only the counties they answer for; None when nothing is new."""
    mine = [due for due in escalations if due.county_id in counties]
    found = [f for cid, f in findings if cid in counties]
    if not mine and not found:
        return None
    named = {due.county for due in mine} | {f.county for f in found}
    why = recipients.reviewer_why("、".join(n for n in counties.values() if n in named))
    rendered = render_digest(
        Reader(user.display_name, why), as_of=ctx.as_of, since=since,
        escalations=escalation_list(ctx, mine), findings=found, sender=ctx.sender,
        list_url=overdue_list_url(ctx.base_url),
    )  # fmt: skip
    key = f"digest:{user.id}:{ctx.as_of.isoformat()}"
    return Outgoing(key, user.id, user.email, rendered, why)


def _ministry_steps(ctx: JobContext) -> list[int]:
    steps = enumerate(ctx.rules.reminders.escalation, start=1)
    return [level for level, step in steps if step.to == "ministry"]


def _escalations(session: Session, ctx: JobContext, since) -> list[CountyDue]:
    """The milestones escalated to the ministry in the period, summarised per county."""
    ids = (
        select(MilestoneAlert.milestone_id)
        .where(
            MilestoneAlert.kind == ESCALATION,
            col(MilestoneAlert.level).in_(_ministry_steps(ctx)),
            MilestoneAlert.fired_on > since,
            MilestoneAlert.fired_on <= ctx.as_of,
        )
        .distinct()
    )
    return milestones.by_county(session, ids, ctx.base_url, shown=ESCALATION_ITEMS_SHOWN)


def _findings(session: Session, ctx: JobContext, since) -> list[tuple[int, FindingView]]:
    rows = session.exec(
        select(Finding, County.name, BudgetLine.plan_id)
        .join(County, County.id == Finding.county_id)
        .outerjoin(
            BudgetLine,
            (Finding.subject_type == "budget_line") & (BudgetLine.id == Finding.subject_id),
        )
        .where(*new_findings(since, ctx.as_of))
        .order_by(Finding.county_id, Finding.rule_id, Finding.id)
    )
    return [
        (
            f.county_id,
            FindingView(
                rule_id=f.rule_id,
                rule_title=RULE_TITLES.get(f.rule_id, f.rule_id),
                county=county,
                message=f.message,
                url=_url(ctx, f, plan_id),
            ),
        )
        for f, county, plan_id in rows
    ]


def _url(ctx: JobContext, finding: Finding, plan_id: int | None) -> str:
    # A budget line is read on its plan's page.
    if plan_id is not None:
        return item_url(ctx.base_url, "plan", plan_id)
    if finding.subject_type == COUNTY_SUBJECT:
        return school_targets_url(ctx.base_url, finding.subject_id)
    return item_url(ctx.base_url, finding.subject_type, finding.subject_id)
