"""Escalation of overdue milestones: owner → county supervisor → ministry, each step once.

Step by step: step k fires only for a milestone whose step k−1 fired on an earlier day,
so a milestone found long overdue (a late first run, a milestone entered afterwards)
starts at the owner instead of reaching every level on the same morning. Each reader
gets one mail per step a day, listing all their items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from notifications.render import EscalationLine, Reader, render_escalations


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
            session, kind=ESCALATION, window=window, as_of=ctx.as_of, year=ctx.year,
            after_level=window.level - 1 if window.level > 1 else None,
        )  # fmt: skip
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


@dataclass
class _Bundle:
    """One reader's items of one step today: they go out as one mail."""

    user: User
    lines: list[EscalationLine] = field(default_factory=list)
    whys: dict[str, None] = field(default_factory=dict)  # an ordered set
    first_id: int = 0

    def add(self, milestone_id: int, line: EscalationLine, why: str) -> None:
        self.lines.append(line)
        self.whys[why] = None
        self.first_id = min(self.first_id or milestone_id, milestone_id)


def _mails(
    session: Session, ctx: JobContext, due: list[OpenMilestone], step: int, target: str
) -> list[Outgoing]:
    readers = step_readers(session, due, target)
    owners = recipients.users_by_id(session, (m.owner_id for m in due))
    bundles: dict[int, _Bundle] = {}
    for m in due:
        owner = owners.get(m.owner_id)
        overdue = overdue_working_days(m.due_on, ctx.as_of, ctx.calendar)
        line = EscalationLine(m.view, overdue, owner.display_name if owner else "（未指定）")
        for user, why in readers[m.id]:
            if not recipients.takes_digest(user):
                bundles.setdefault(user.id, _Bundle(user)).add(m.id, line, why)
    mails = []
    for b in bundles.values():
        why = "；".join(b.whys)
        rendered = render_escalations(
            Reader(b.user.display_name, why), b.lines, step=step, target=target,
            sender=ctx.sender,
        )  # fmt: skip
        # Per reader, day and step; the smallest milestone id as in reminders.py.
        key = f"escalate:{ctx.as_of.isoformat()}:{step}:{b.user.id}:{b.first_id}"
        mails.append(Outgoing(key, b.user.id, b.user.email, rendered, why))
    return mails
