"""The numbers and lists of "my work": by state, due soon, overdue, open findings."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from model.accounts import Deputy
from model.lifecycles import LIFECYCLES
from model.milestone_kinds import MilestoneKind
from model.tables import Finding, Milestone, User
from model.workflow import Lifecycle
from states.activity import ActivityKind
from states.values import ItemType, Role
from web.items import holders, item_title, items_in_scope, status_counts

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
    return [
        (str(item_type), lifecycle, status_counts(session, lifecycle, county_id))
        for item_type, lifecycle in LIFECYCLES.items()
    ]


def _states_for(lifecycle: Lifecycle, role: Role) -> list[str]:
    """The states offering a step this role may take: the database filters on them."""
    return [
        state
        for state in lifecycle.machine.states_map
        if any(
            role in lifecycle.steps[e].roles
            for e in lifecycle.events_from(state)
            if e in lifecycle.steps
        )
    ]


def actionable(session: Session, user: User, county_id: int | None, day: date) -> list[WorkItem]:
    """Every item whose current state offers a step this person's role may take."""
    role = Role(user.role)
    me = {user.id} | absent_colleagues(session, user, day)
    found = []
    for item_type, lifecycle in LIFECYCLES.items():
        states = _states_for(lifecycle, role)
        if not states:
            continue
        rows = items_in_scope(session, lifecycle, county_id, states=states, limit=None)
        holder = holders(session, str(item_type), rows)
        for row in rows:
            label = lifecycle.state_label(str(row.status))
            found.append(WorkItem(str(item_type), lifecycle, row, item_title(lifecycle, row),
                                  label, holder[row.id] in me))  # fmt: skip
    return sorted(found, key=lambda w: (not w.mine, w.item_type, w.row.id))


def _milestones(county_id: int | None):
    query = select(Milestone).where(col(Milestone.done_on).is_(None))
    if county_id is not None:
        query = query.where(Milestone.county_id == county_id)
    return query


def _overdue(county_id: int | None, day: date):
    return _milestones(county_id).where(Milestone.due_on < day)


def _due_soon(county_id: int | None, day: date):
    return _milestones(county_id).where(
        Milestone.due_on >= day, Milestone.due_on <= day + timedelta(days=DUE_SOON_DAYS)
    )


def _findings(county_id: int | None):
    query = select(Finding).where(col(Finding.resolved_on).is_(None))
    return query if county_id is None else query.where(Finding.county_id == county_id)


def _first(session: Session, query, limit: int, *order) -> list:
    return list(session.exec(query.order_by(*order).limit(limit)))


def _count(session: Session, query) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def overdue(session: Session, county_id: int | None, day: date, limit: int = 100):
    return _first(session, _overdue(county_id, day), limit, Milestone.due_on, Milestone.id)


def due_soon(session: Session, county_id: int | None, day: date, limit: int = 100):
    return _first(session, _due_soon(county_id, day), limit, Milestone.due_on, Milestone.id)


def open_findings(session: Session, county_id: int | None, limit: int = 200) -> list[Finding]:
    return _first(session, _findings(county_id), limit, Finding.first_seen, Finding.id)


@dataclass(frozen=True)
class Totals:
    """The cards' numbers, counted by the database: the lists below them are shortened."""

    overdue: int
    due_soon: int
    findings: int


def totals(session: Session, county_id: int | None, day: date) -> Totals:
    return Totals(
        overdue=_count(session, _overdue(county_id, day)),
        due_soon=_count(session, _due_soon(county_id, day)),
        findings=_count(session, _findings(county_id)),
    )


def milestone_url(milestone: Milestone) -> str | None:
    """Where a clerk goes to meet this deadline."""
    if milestone.kind in ACTIVITY_MILESTONES:
        return f"/activities?county_id={milestone.county_id}&year={milestone.year}"
    if milestone.subject_type in {t.value for t in ItemType}:
        return f"/items/{milestone.subject_type}/{milestone.subject_id}"
    return None
