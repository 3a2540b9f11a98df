"""The numbers and lists of "my work": by state, due soon, overdue, open findings."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from model.accounts import Deputy
from model.lifecycles import LIFECYCLES
from model.milestone_kinds import MilestoneKind
from model.tables import Finding, Milestone, User
from model.workflow import Lifecycle
from states.activity import ActivityKind
from states.values import ItemType, Role
from web.items import holder_id, item_title, items_in_scope

DUE_SOON_DAYS = 14
# Deadlines met by recording an activity lead to the activity page, not to the plan.
ACTIVITY_MILESTONES = frozenset(k.value for k in ActivityKind) | {MilestoneKind.moe_team_meeting}


@dataclass
class WorkItem:
    item_type: str
    lifecycle: Lifecycle
    row: object
    title: str
    state_label: str
    mine: bool


def absent_colleagues(session: Session, user: User, day: date) -> set[int]:
    """The people this user stands in for today."""
    rows = session.exec(
        select(Deputy.user_id).where(
            Deputy.deputy_id == user.id, Deputy.starts_on <= day, Deputy.ends_on >= day
        )
    )
    return set(rows)


def state_counts(session: Session, county_id: int | None) -> list[tuple[str, Lifecycle, Counter]]:
    out = []
    for item_type, lifecycle in LIFECYCLES.items():
        counts = Counter(str(r.status) for r in items_in_scope(session, lifecycle, county_id))
        out.append((str(item_type), lifecycle, counts))
    return out


def actionable(session: Session, user: User, county_id: int | None, day: date) -> list[WorkItem]:
    """Items whose current state offers a step this person's role may take."""
    role = Role(user.role)
    me = {user.id} | absent_colleagues(session, user, day)
    found = []
    for item_type, lifecycle in LIFECYCLES.items():
        for row in items_in_scope(session, lifecycle, county_id):
            events = lifecycle.events_from(str(row.status))
            if not any(role in lifecycle.steps[e].roles for e in events if e in lifecycle.steps):
                continue
            mine = holder_id(session, str(item_type), row) in me
            label = lifecycle.state_label(str(row.status))
            found.append(WorkItem(str(item_type), lifecycle, row, item_title(lifecycle, row),
                                  label, mine))  # fmt: skip
    return sorted(found, key=lambda w: (not w.mine, w.item_type, w.row.id))


def _milestones(session: Session, county_id: int | None):
    query = select(Milestone).where(col(Milestone.done_on).is_(None))
    if county_id is not None:
        query = query.where(Milestone.county_id == county_id)
    return query


def overdue(session: Session, county_id: int | None, day: date, limit: int = 100):
    query = _milestones(session, county_id).where(Milestone.due_on < day)
    return list(session.exec(query.order_by(Milestone.due_on, Milestone.id).limit(limit)))


def due_soon(session: Session, county_id: int | None, day: date, limit: int = 100):
    query = _milestones(session, county_id).where(
        Milestone.due_on >= day, Milestone.due_on <= day + timedelta(days=DUE_SOON_DAYS)
    )
    return list(session.exec(query.order_by(Milestone.due_on, Milestone.id).limit(limit)))


def open_findings(session: Session, county_id: int | None, limit: int = 200) -> list[Finding]:
    query = select(Finding).where(col(Finding.resolved_on).is_(None))
    if county_id is not None:
        query = query.where(Finding.county_id == county_id)
    return list(session.exec(query.order_by(Finding.first_seen, Finding.id).limit(limit)))


def count_overdue(session: Session, county_id: int | None, day: date) -> int:
    return len(overdue(session, county_id, day, limit=100_000))


def milestone_url(milestone: Milestone) -> str | None:
    """Where a clerk goes to meet this deadline."""
    if milestone.kind in ACTIVITY_MILESTONES:
        return f"/activities?county_id={milestone.county_id}&year={milestone.year}"
    if milestone.subject_type in {t.value for t in ItemType}:
        return f"/items/{milestone.subject_type}/{milestone.subject_id}"
    return None
