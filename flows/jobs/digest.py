"""The daily digest: one mail per person who chose it, instead of single mails.

A reviewer's digest lists only the counties assigned to them (model/assignments.py). Its
escalations are shown as in a ministry escalation mail: beyond ESCALATION_ITEMS_SHOWN, a
summary per county, the longest overdue items and a link to the rest. Anyone on the
digest also finds there the events they would have had single mails for (a plan
approved, money disbursed, an item handed to them: notifications/events.py), those of
the whole days since the previous digest.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from flows.jobs import milestones
from flows.jobs.checks import COUNTY_SUBJECT, rule_title, school_targets_url
from flows.jobs.context import JobContext
from flows.jobs.escalation import escalation_list
from flows.jobs.milestones import CountyDue
from flows.jobs.report import JobReport
from flows.jobs.sweep import new_findings
from flows.jobs.windows import digest_period
from model.alerts import ESCALATION, MilestoneAlert
from model.tables import BudgetLine, County, Finding, User
from notifications import recipients
from notifications.event_mail import digest_events
from notifications.events import EventView
from notifications.outbox import Outgoing, enqueue
from notifications.render import (
    ESCALATION_ITEMS_SHOWN,
    FindingView,
    Reader,
    item_url,
    overdue_list_url,
    render_digest,
)
from workflow.lifecycles import LIFECYCLES


def daily_digest(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("digest", ctx.as_of)
    if not ctx.calendar.is_working_day(ctx.as_of):
        report.skipped = "非工作日，不寄每日摘要"
        return report
    readers = recipients.digest_readers(session)
    since = digest_period(ctx.as_of, ctx.calendar)
    escalations = _escalations(session, ctx, since) if readers else []
    findings = _findings(session, ctx, since) if readers else []
    events = digest_events(
        session,
        LIFECYCLES,
        year=ctx.year,
        start=since,
        end=ctx.as_of,
        base_url=ctx.base_url,
    )
    happened = sum(len(mine) for _, mine in events.values())
    report.add("摘要項目", sum(due.count for due in escalations) + len(findings) + happened)
    # Reviewers on the digest, then whoever else chose it and has events today.
    reviewer_ids = {user.id for user, _ in readers}
    everyone = readers + [(u, {}) for u, _ in events.values() if u.id not in reviewer_ids]
    mails = []
    for user, counties in everyone:
        mine = events.get(user.id, (user, []))[1]
        mail = _digest(ctx, since, user, counties, escalations, findings, mine)
        if mail is not None:
            mails.append(mail)
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    return report


def _digest(
    ctx: JobContext,
    since: date,
    user: User,
    counties: dict[int, str],
    escalations: list[CountyDue],
    findings: list[tuple[int, FindingView]],
    happened: list[tuple[EventView, str]],
) -> Outgoing | None:
    """One reader's digest: a reviewer's counties and the events for this reader; None
    when nothing is new."""
    mine = [due for due in escalations if due.county_id in counties]
    found = [f for cid, f in findings if cid in counties]
    if not mine and not found and not happened:
        return None
    named = {due.county for due in mine} | {f.county for f in found}
    whys = [recipients.reviewer_why("、".join(n for n in counties.values() if n in named))]
    whys = (whys if named else []) + [why for _, why in happened]
    why = "；".join(dict.fromkeys(whys))
    rendered = render_digest(
        Reader(user.display_name, why), as_of=ctx.as_of, since=since,
        escalations=escalation_list(ctx, mine), findings=found, sender=ctx.sender,
        list_url=_list_url(ctx, mine), events=[view for view, _ in happened],
    )  # fmt: skip
    key = f"digest:{user.id}:{ctx.as_of.isoformat()}"
    return Outgoing(key, user.id, user.email, rendered, why)


def _list_url(ctx: JobContext, mine: list[CountyDue]) -> str:
    """One county's overdue page when the digest is about one county, else 我的工作."""
    ids = {due.county_id for due in mine}
    return overdue_list_url(ctx.base_url, ids.pop() if len(ids) == 1 else None)


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
                rule_title=rule_title(f.rule_id),
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
