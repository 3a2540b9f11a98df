"""Escalation of overdue milestones: owner → county supervisor → ministry, each step once."""

from __future__ import annotations

from sqlmodel import Session

from flows.jobs import milestones
from flows.jobs.context import JobContext
from flows.jobs.milestones import OpenMilestone
from flows.jobs.report import JobReport
from flows.jobs.windows import escalation_windows, overdue_working_days
from model.alerts import ESCALATION
from model.tables import User
from notifications import recipients
from notifications.outbox import Outgoing, enqueue
from notifications.render import Reader, render_escalation


def escalate_overdue(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("escalate", ctx.as_of)
    steps = ctx.rules.reminders.escalation
    windows = escalation_windows(
        ctx.as_of, ctx.calendar, tuple(s.after_working_days for s in steps)
    )
    if not windows:
        report.skipped = "非工作日，不發逾期通報"
        return report
    mails: list[Outgoing] = []
    for window, step in zip(windows, steps, strict=True):
        ids = milestones.fire(
            session, kind=ESCALATION, window=window, as_of=ctx.as_of, year=ctx.year
        )
        report.add(f"逾期第 {window.level} 級", len(ids))
        due = milestones.load(session, ids, ctx.base_url)
        mails += _mails(session, ctx, due, window.level, step.to)
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    return report


def step_readers(
    session: Session, due: list[OpenMilestone], target: str
) -> dict[int, list[tuple[User, str]]]:
    """Each milestone's readers for a step, with the sentence saying why them."""
    if target == "owner":
        owners = recipients.users_by_id(session, (m.owner_id for m in due))
        return {
            m.id: [(owners[m.owner_id], recipients.OWNER_WHY)] if m.owner_id in owners else []
            for m in due
        }
    if target == "county_supervisor":
        by_county = recipients.supervisors(session, (m.county_id for m in due))
        return {
            m.id: [(u, recipients.supervisor_why(m.county)) for u in by_county[m.county_id]]
            for m in due
        }
    by_county = recipients.ministry(session, ((m.county_id, m.county) for m in due))
    return {m.id: by_county[m.county_id] for m in due}


def _mails(
    session: Session, ctx: JobContext, due: list[OpenMilestone], step: int, target: str
) -> list[Outgoing]:
    readers = step_readers(session, due, target)
    owners = recipients.users_by_id(session, (m.owner_id for m in due))
    mails = []
    for m in due:
        owner = owners.get(m.owner_id)
        owner_name = owner.display_name if owner else "（未指定）"
        overdue = overdue_working_days(m.due_on, ctx.as_of, ctx.calendar)
        for user, why in readers[m.id]:
            if recipients.takes_digest(user):
                continue
            rendered = render_escalation(
                Reader(user.display_name, why), m.view, step=step, target=target,
                overdue=overdue, owner=owner_name, sender=ctx.sender,
            )  # fmt: skip
            key = f"escalate:{m.id}:{step}:{user.id}"
            mails.append(Outgoing(key, user.id, user.email, rendered, why))
    return mails
