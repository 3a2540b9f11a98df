"""Reminders before a due date: to the milestone's owner, once per working-day offset."""

from __future__ import annotations

from sqlmodel import Session

from flows.jobs import milestones
from flows.jobs.context import JobContext
from flows.jobs.report import JobReport
from flows.jobs.windows import reminder_windows
from model.alerts import REMINDER
from notifications.outbox import Outgoing, enqueue
from notifications.recipients import OWNER_WHY, takes_digest, users_by_id
from notifications.render import Reader, render_reminder


def send_reminders(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("remind", ctx.as_of)
    windows = reminder_windows(ctx.as_of, ctx.calendar, ctx.rules.reminders.offsets_working_days)
    if not windows:
        report.skipped = "非工作日，不寄提醒"
        return report
    mails: list[Outgoing] = []
    for window in windows:
        ids = milestones.fire(session, kind=REMINDER, window=window, as_of=ctx.as_of, year=ctx.year)
        report.add(f"提醒（前 {window.level} 個工作天）", len(ids))
        mails += _mails(session, ctx, milestones.load(session, ids, ctx.base_url), window.level)
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    return report


def _mails(session, ctx: JobContext, due: list, offset: int) -> list[Outgoing]:
    owners = users_by_id(session, (m.owner_id for m in due))
    mails = []
    for m in due:
        owner = owners.get(m.owner_id)
        if owner is None or takes_digest(owner):
            continue
        rendered = render_reminder(
            Reader(owner.display_name, OWNER_WHY), m.view, offset, ctx.sender
        )
        key = f"remind:{m.id}:{offset}:{owner.id}"
        mails.append(Outgoing(key, owner.id, owner.email, rendered, OWNER_WHY))
    return mails
