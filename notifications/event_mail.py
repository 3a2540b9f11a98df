"""The database side of the event mails: the people and figures of a logged event.

`on_transition` is called by the workflow service (workflow/service.py) for every recorded
transition, inside its transaction: a transition that is refused or rolled back queues
nothing, and the web, the CLI and the flows all send the same mail. A reader on the
daily digest gets no single mail; `digest_events` hands the day's events to the digest.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlmodel import Session, col, select

from config.clock import zone
from config.settings import Settings, get_settings
from model.accounts import Handover
from model.tables import BudgetLine, County, TransitionLog, User
from notifications import recipients
from notifications.events import (
    EVENTS,
    HANDOVER,
    EventKind,
    EventView,
    audience,
    dedupe_key,
    render_event,
)
from notifications.outbox import Outgoing, enqueue
from notifications.render import Reader, item_url
from states.values import Role
from vocab.display import ntd, roc_date
from vocab.labels import ITEM_LABELS

Readers = list[tuple[User, str]]


def on_transition(session: Session, lifecycle, row, entry: TransitionLog) -> list[Outgoing]:
    kind = EVENTS.get((str(lifecycle.item_type), entry.event))
    if kind is None:
        return []
    settings = get_settings()
    view, readers = transition_event(session, kind, lifecycle, row, entry, settings.base_url)
    return _queue(session, ("log", entry.id), view, readers, settings)


def on_handover(session: Session, lifecycle, row, handover: Handover) -> list[Outgoing]:
    """The mail to the person an item was just handed to (call after the row's flush)."""
    settings = get_settings()
    view, readers = handover_event(session, lifecycle, row, handover, settings.base_url)
    return _queue(session, ("handover", handover.id), view, readers, settings)


def _queue(session, source, view, readers: Readers, settings: Settings) -> list[Outgoing]:
    mails = []
    for user, why in readers:
        if user.daily_digest:
            continue  # collected into the daily digest instead
        rendered = render_event(Reader(user.display_name, why), view, settings.mail_from_name)
        mails.append(Outgoing(dedupe_key(*source, user.id), user.id, user.email, rendered, why))
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    return enqueue(session, mails, domain=domain, settings=settings) if mails else []


# ------------------------------------------------------------------ one event
def transition_event(
    session: Session, kind: EventKind, lifecycle, row, entry: TransitionLog, base_url: str
) -> tuple[EventView, Readers]:
    county = session.get(County, row.county_id).name
    actor = session.get(User, entry.actor_id) if entry.actor_id is not None else None
    view = EventView(
        kind=kind,
        item=_item_title(county, lifecycle, row),
        county=county,
        actor=_actor(actor),
        at=entry.at,
        url=item_url(base_url, str(lifecycle.item_type), row.id),
        facts=tuple(_facts(session, str(lifecycle.item_type), entry, row)),
        reason=entry.reason,
    )
    readers = audience(
        kind, county, actor_id=entry.actor_id, **_people(session, kind, lifecycle, row, county)
    )
    return view, readers


def handover_event(
    session: Session, lifecycle, row, handover: Handover, base_url: str
) -> tuple[EventView, Readers]:
    county = session.get(County, row.county_id).name
    people = recipients.users_by_id(
        session, (handover.by_user_id, handover.to_user_id, handover.from_user_id)
    )
    before = people.get(handover.from_user_id)
    view = EventView(
        kind=HANDOVER,
        item=_item_title(county, lifecycle, row),
        county=county,
        actor=_actor(people.get(handover.by_user_id)),
        at=handover.at,
        url=item_url(base_url, str(lifecycle.item_type), row.id),
        facts=(("原承辦人", before.display_name),) if before else (),
        reason=handover.note,
    )
    holder = people.get(handover.to_user_id)
    return view, audience(HANDOVER, county, actor_id=handover.by_user_id, holder=holder)


def _item_title(county: str, lifecycle, row) -> str:
    year = getattr(row, "year", None)
    title = f"{county} {year} 年度{lifecycle.label}" if year else f"{county} {lifecycle.label}"
    return title if str(lifecycle.item_type) == "plan" else f"{title} #{row.id}"


def _actor(user: User | None) -> str:
    if user is None:
        return "系統"
    return f"{user.display_name}（{Role(user.role).label}）"


def _people(session: Session, kind: EventKind, lifecycle, row, county: str) -> dict:
    if kind.audience == "ministry":
        return {"ministry": recipients.ministry(session, [(row.county_id, county)])[row.county_id]}
    holder_id = _holder_id(session, str(lifecycle.item_type), row)
    holder = session.get(User, holder_id) if holder_id is not None else None
    if holder is not None and not holder.active:
        holder = None
    staff = [] if holder is not None else _staff(session, row.county_id)
    supervisors = recipients.supervisors(session, [row.county_id])[row.county_id]
    return {"supervisors": supervisors, "holder": holder, "staff": staff}


def _holder_id(session: Session, item_type: str, row) -> int | None:
    """Whoever the item was last handed to, else its owner (as the item page says)."""
    last = session.exec(
        select(Handover.to_user_id)
        .where(Handover.item_type == item_type, Handover.item_id == row.id)
        .order_by(col(Handover.id).desc())
    ).first()
    return last if last is not None else getattr(row, "owner_id", None)


def _staff(session: Session, county_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(User.role == Role.county_staff, User.active, User.county_id == county_id)
            .order_by(User.id)
        )
    )


# ------------------------------------------------------------------ the key facts
def _facts(session: Session, item_type: str, entry: TransitionLog, row) -> list[tuple[str, str]]:
    evidence = entry.evidence or {}
    facts: list[tuple[str, str]] = []
    if item_type == "plan":
        total = _plan_total(session, row.id)
        if entry.event == "approve":
            facts.append(("核定文號", entry.letter_no or row.letter_no or ""))
            facts.append(("核定補助經費", ntd(total)))
        else:
            facts.append(("申請補助經費", ntd(total)))
    elif item_type == "budget_change":
        facts.append(("文號", entry.letter_no or evidence.get("letter_no") or ""))
        for item, parts in row.lines.items():
            shown = (
                f"經常門 {ntd(parts.get('recurrent', 0))}、資本門 {ntd(parts.get('capital', 0))}"
            )
            facts.append((f"{ITEM_LABELS.get(item, item)}（變更後）", shown))
    elif item_type == "reimbursement":
        if entry.event.startswith("disburse"):
            facts += [
                ("本次核撥金額", ntd(int(evidence.get("amount", 0)))),
                ("核撥日期", _day(evidence.get("disbursed_on"))),
                ("核撥文號", entry.letter_no or evidence.get("letter_no") or ""),
                ("累計核撥", f"{ntd(row.disbursed)}（核定 {ntd(row.approved_amount)}）"),
            ]
        elif entry.event == "settle":
            figures = row.evidence.get("statement", {})
            facts += [
                ("結報核定文號", evidence.get("letter_no") or row.letter_no or ""),
                ("核定經費", ntd(row.approved_amount)),
                ("實際支用", ntd(row.spent)),
                ("應繳回", ntd(int(figures.get("to_return", 0)))),
            ]
        else:
            facts.append(("結報支用合計", ntd(row.spent)))
    return [(label, value) for label, value in facts if value]


def _plan_total(session: Session, plan_id: int) -> int:
    lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
    return sum(line.recurrent + line.capital for line in lines)


def _day(value) -> str:
    try:
        return roc_date(date.fromisoformat(str(value)))
    except ValueError:
        return ""


# ------------------------------------------------------------------ the digest's share
def digest_events(
    session: Session, lifecycles: dict, *, year: int, start: date, end: date, base_url: str
) -> dict[int, tuple[User, list[tuple[EventView, str]]]]:
    """The events logged on the days start … end−1 (Taipei), for each digest reader.

    Days, not hours: a digest covers whole days that are over, so an event after the
    digest's hour is in the next one, never lost and never twice. `lifecycles` (by item
    type) come from the caller: the workflow service sits above the mail.
    """
    low, high = _moment(start), _moment(end)
    found: dict[int, tuple[User, list[tuple[EventView, str]]]] = {}

    def collect(view: EventView, readers: Readers) -> None:
        for user, why in readers:
            if user.daily_digest:
                found.setdefault(user.id, (user, []))[1].append((view, why))

    types = sorted({item_type for item_type, _ in EVENTS})
    events = sorted({event for _, event in EVENTS})
    logs = session.exec(
        select(TransitionLog)
        .where(
            col(TransitionLog.item_type).in_(types),
            col(TransitionLog.event).in_(events),
            TransitionLog.at >= low,
            TransitionLog.at < high,
        )
        .order_by(TransitionLog.id)
    )
    for entry in logs:
        kind = EVENTS.get((str(entry.item_type), entry.event))
        lifecycle = lifecycles.get(entry.item_type)
        row = session.get(lifecycle.table, entry.item_id) if kind and lifecycle else None
        if row is not None and row.year == year:
            collect(*transition_event(session, kind, lifecycle, row, entry, base_url))
    handovers = session.exec(
        select(Handover).where(Handover.at >= low, Handover.at < high).order_by(Handover.id)
    )
    for handover in handovers:
        lifecycle = lifecycles.get(handover.item_type)
        row = session.get(lifecycle.table, handover.item_id) if lifecycle else None
        if row is not None and getattr(row, "year", year) == year:
            collect(*handover_event(session, lifecycle, row, handover, base_url))
    return found


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), zone())
