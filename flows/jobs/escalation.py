"""Escalation of overdue milestones: owner → county supervisor → ministry, each step once.

Step by step: step k fires only for a milestone whose step k−1 fired on an earlier day,
so a milestone found long overdue (a late first run, a milestone entered afterwards)
starts at the owner instead of reaching every level on the same morning. Each reader
gets one mail per step a day: the owner's lists all their items, a supervisor's or the
ministry's a summary per county and the longest overdue (notifications/render.py).
"""

from __future__ import annotations

from sqlmodel import Session

from flows.jobs import milestones
from flows.jobs.context import JobContext
from flows.jobs.milestones import OpenMilestone
from flows.jobs.report import JobReport
from flows.jobs.windows import escalation_windows, overdue_working_days
from model.alerts import ESCALATION
from model.tables import Milestone, User
from notifications import recipients
from notifications.outbox import Outgoing, enqueue
from notifications.render import (
    ESCALATION_ITEMS_SHOWN,
    CountySummary,
    EscalationLine,
    EscalationList,
    Reader,
    Rendered,
    overdue_list_url,
    places_text,
    render_escalation_list,
    render_escalations,
)


def escalate_overdue(session: Session, ctx: JobContext) -> JobReport:
    report = JobReport("escalate", ctx.as_of)
    steps = ctx.rules.reminders.escalation
    thresholds = tuple(s.after_working_days for s in steps)
    fired: dict[int, list[int]] = {}
    # Each calendar's counties on their own: a county closed today (停班) escalates on its
    # next working day, and a deadline that rolls past its closures is late only after.
    for group in ctx.groups:
        windows = escalation_windows(ctx.as_of, group.calendar, thresholds)
        for window, threshold in zip(windows, thresholds, strict=False):
            # A rolled deadline is late once a working day has passed since it: its last
            # stored date still in the window is the (threshold+1)-th working day back.
            rolled_upto = group.calendar.add_working_days(ctx.as_of, -(threshold + 1))
            ids = milestones.fire(
                session, kind=ESCALATION, window=window, as_of=ctx.as_of, year=ctx.year,
                after_level=window.level - 1 if window.level > 1 else None,
                where=group.where(Milestone.county_id),
                rolled=(ctx.rolling_kinds, rolled_upto),
            )  # fmt: skip
            fired.setdefault(window.level, []).extend(ids)
    if not fired:
        report.skipped = "非工作日，不發逾期通報"
        return report
    mails: list[Outgoing] = []
    for level, step in enumerate(steps, start=1):
        if level not in fired:
            continue
        ids = sorted(fired[level])
        report.add(f"逾期第 {level} 級", len(ids))
        if step.to == "owner":
            due = milestones.load(session, ids, ctx.base_url)
            mails += _owner_mails(session, ctx, due, level)
        else:
            mails += _summary_mails(session, ctx, ids, level, step.to)
    report.queued = enqueue(session, mails, domain=ctx.mail_domain)
    return report


def county_readers(
    session: Session, counties: dict[int, str], target: str
) -> dict[int, list[tuple[User, str]]]:
    """A supervisor's or the ministry's step: each county's readers with the reason."""
    if target == "county_supervisor":
        by_county = recipients.supervisors(session, counties)
        return {
            cid: [(u, recipients.supervisor_why(county)) for u in by_county[cid]]
            for cid, county in counties.items()
        }
    return recipients.ministry(session, counties.items())


def _owner_mails(
    session: Session, ctx: JobContext, due: list[OpenMilestone], step: int
) -> list[Outgoing]:
    """The owner's step lists every item: each is something that person has to do."""
    owners = recipients.users_by_id(session, (m.owner_id for m in due))
    by_owner: dict[int, list[OpenMilestone]] = {}
    for m in due:
        owner = owners.get(m.owner_id)
        if owner is not None and not recipients.takes_digest(owner):
            by_owner.setdefault(owner.id, []).append(m)
    mails = []
    for owner_id, items in by_owner.items():
        owner = owners[owner_id]
        lines = [
            EscalationLine(m.view, overdue_working_days(m.due_on, ctx.as_of,
                                                        ctx.calendar_of(m.county_id)),
                           owner.display_name)
            for m in items
        ]  # fmt: skip
        rendered = render_escalations(
            Reader(owner.display_name, recipients.OWNER_WHY), lines, step=step, target="owner",
            sender=ctx.sender, list_url=overdue_list_url(ctx.base_url),
        )  # fmt: skip
        mails.append(_outgoing(ctx, step, owner, min(m.id for m in items), rendered,
                               recipients.OWNER_WHY))  # fmt: skip
    return mails


def _outgoing(
    ctx: JobContext, step: int, user: User, first_id: int, rendered: Rendered, why: str
) -> Outgoing:
    # Per reader, day and step; the smallest milestone id as in reminders.py.
    key = f"escalate:{ctx.as_of.isoformat()}:{step}:{user.id}:{first_id}"
    return Outgoing(key, user.id, user.email, rendered, why)


def _summary_mails(
    session: Session, ctx: JobContext, ids: list[int], step: int, target: str
) -> list[Outgoing]:
    """A supervisor's or the ministry's mails, which list only the longest overdue items:
    per-county summaries from SQL instead of loading every milestone of the step."""
    dues = milestones.by_county(session, ids, ctx.base_url, shown=ESCALATION_ITEMS_SHOWN)
    readers = county_readers(session, {d.county_id: d.county for d in dues}, target)
    mine: dict[int, tuple[User, list[milestones.CountyDue], dict[str, None]]] = {}
    for due in dues:  # in the order of each county's longest overdue item
        for user, why in readers[due.county_id]:
            if not recipients.takes_digest(user):
                _, counties, whys = mine.setdefault(user.id, (user, [], {}))
                counties.append(due)
                whys[why] = None
    owner_ids = (m.owner_id for due in dues for m in due.earliest)
    owners = recipients.users_by_id(session, owner_ids)
    mails = []
    for user, counties, whys in mine.values():
        listing = escalation_list(ctx, counties, owners)
        why = "；".join(whys)
        # One county: its own overdue page; several: each summary row links its county's.
        only = counties[0].county_id if len(counties) == 1 else None
        rendered = render_escalation_list(
            Reader(user.display_name, why), listing, step=step, target=target,
            sender=ctx.sender, list_url=overdue_list_url(ctx.base_url, only),
        )  # fmt: skip
        first_id = min(due.first_id for due in counties)
        mails.append(_outgoing(ctx, step, user, first_id, rendered, why))
    return mails


def escalation_list(
    ctx: JobContext, counties: list[milestones.CountyDue], owners: dict[int, User] | None = None
) -> EscalationList:
    """One reader's counties as a mail shows them: the same as EscalationList.of() over
    every item, which lists the longest overdue (= the earliest due) first."""
    as_of, cal = ctx.as_of, ctx.calendar_of

    def line(m: OpenMilestone) -> EscalationLine:
        late = overdue_working_days(m.due_on, as_of, cal(m.county_id))
        if owners is None:
            return EscalationLine(m.view, late)
        owner = owners.get(m.owner_id)
        name = owner.display_name if owner else "（未指定）"
        return EscalationLine(m.view, late, name)

    total = sum(due.count for due in counties)
    earliest = sorted((m for due in counties for m in due.earliest), key=lambda m: (m.due_on, m.id))
    shown = [line(m) for m in earliest[:ESCALATION_ITEMS_SHOWN]]
    summaries = []
    if total > len(shown):
        summaries = [
            CountySummary(
                due.county, due.count, due.kinds,
                overdue_working_days(due.last_due, as_of, cal(due.county_id)),
                overdue_working_days(due.first_due, as_of, cal(due.county_id)), due.amount,
                overdue_list_url(ctx.base_url, due.county_id),
            )
            for due in sorted(counties, key=lambda due: -due.count)
        ]  # fmt: skip
    return EscalationList(total, shown, summaries, places_text(due.county for due in counties))
