"""Reminders before a due date: to the milestone's owner, once per working-day offset.

The alerts are recorded one per milestone and offset, but an owner gets one mail a day
listing all of them: a county officer who owns a hundred school milestones would
otherwise receive dozens of mails on the same morning.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from flows.jobs import milestones
from flows.jobs.context import JobContext
from flows.jobs.milestones import OpenMilestone
from flows.jobs.report import JobReport
from flows.jobs.windows import reminder_windows
from model.alerts import REMINDER
from model.tables import Milestone
from notifications.outbox import Outgoing, enqueue
from notifications.recipients import OWNER_WHY, takes_digest, users_by_id
from notifications.render import Reader, ReminderLine, render_reminders


def send_reminders(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("remind", ctx.as_of)
    fired: list[int] = []
    counted: dict[int, int] = {}
    # Each calendar's counties on their own: a county closed today (停班) gets its
    # reminders on its next working day, the others today.
    for group in ctx.groups:
        offsets = ctx.rules.reminders.offsets_working_days
        for window in reminder_windows(ctx.as_of, group.calendar, offsets):
            ids = milestones.fire(session, kind=REMINDER, window=window, as_of=ctx.as_of,
                                  year=ctx.year, where=group.where(Milestone.county_id))  # fmt: skip
            counted[window.level] = counted.get(window.level, 0) + len(ids)
            fired += ids
    if not counted:
        report.skipped = "非工作日，不寄提醒"
        return report
    for level in sorted(counted):
        report.add(f"提醒（前 {level} 個工作天）", counted[level])
    due = milestones.load(session, fired, ctx.base_url)
    report.queued = enqueue(session, _mails(session, ctx, due), domain=ctx.mail_domain)
    return report


def reminder_line(ctx: JobContext, m: OpenMilestone) -> ReminderLine:
    """The working days actually left, not the offset of the window: a reminder caught up
    late, or for a due date on a weekend, would otherwise state the wrong number."""
    cal = ctx.calendar_of(m.county_id)
    return ReminderLine(
        m.view, cal.working_days_between(ctx.as_of, m.due_on), cal.is_working_day(m.due_on)
    )


def _mails(session: Session, ctx: JobContext, due: list[OpenMilestone]) -> list[Outgoing]:
    owners = users_by_id(session, (m.owner_id for m in due))
    by_owner: dict[int, list[OpenMilestone]] = defaultdict(list)
    for m in due:
        owner = owners.get(m.owner_id)
        if owner is not None and not takes_digest(owner):
            by_owner[owner.id].append(m)
    mails = []
    for owner_id, items in by_owner.items():
        owner = owners[owner_id]
        lines = [reminder_line(ctx, m) for m in items]
        rendered = render_reminders(Reader(owner.display_name, OWNER_WHY), lines, ctx.sender)
        # The smallest milestone id tells apart a second run on the same day that fired
        # other milestones (created since): its mail must not be swallowed as a duplicate.
        key = f"remind:{ctx.as_of.isoformat()}:{owner.id}:{min(m.id for m in items)}"
        mails.append(Outgoing(key, owner.id, owner.email, rendered, OWNER_WHY))
    return mails
