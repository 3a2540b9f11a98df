"""The numbers and lists of "my work": by state, due soon, overdue, open findings."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Integer, String, case, cast, literal, null, union_all
from sqlmodel import Session, col, func, select

from model.accounts import Deputy
from model.tables import Finding, Milestone, Purchase, Reimbursement, User
from states.activity import ActivityKind
from states.values import ItemType, Role
from vocab.milestone_kinds import MilestoneKind
from web.items import Page, page_of, status_counts
from web.listing import (
    Filters,
    Viewer,
    amount_column,
    county_code,
    holder_expr,
    item_conditions,
    item_sort_columns,
    like,
    next_due_table,
    ordering,
    tag,
    user_name,
    user_names,
    work_calendar,
)
from workflow.lifecycles import LIFECYCLES
from workflow.service import Lifecycle

DUE_SOON_DAYS = 14
# Deadlines met by recording an activity lead to the activity page, not to the plan.
ACTIVITY_MILESTONES = frozenset(k.value for k in ActivityKind) | {MilestoneKind.moe_team_meeting}


@dataclass
class WorkItem:
    item_type: str
    lifecycle: Lifecycle
    id: int
    county_id: int
    title: str
    state_label: str
    tag: str  # 我負責, 代理 <name>, or ""
    holder: int | None
    owner_name: str
    due: date | None
    amount: int | None


def absent_colleagues(session: Session, user: User, day: date) -> set[int]:
    """The people this user stands in for today."""
    rows = session.exec(
        select(Deputy.user_id).where(
            Deputy.deputy_id == user.id, Deputy.starts_on <= day, Deputy.ends_on >= day
        )
    )
    return set(rows)


def viewer_for(session: Session, user: User, county_id: int | None, day: date, year: int):
    return Viewer(
        user_id=user.id,
        county_id=county_id,
        absent=frozenset(absent_colleagues(session, user, day)),
        today=day,
        calendar=work_calendar(session, year),
    )


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


def _text(column):
    return cast(column, String) if column is not None else cast(null(), String)


def _actionable_select(
    lifecycle: Lifecycle, states: list[str], f: Filters, viewer: Viewer, lean: bool = False
):
    table, item_type = lifecycle.table, str(lifecycle.item_type)
    amount = amount_column(table)
    county = viewer.county_id if viewer.county_id is not None else f.county
    due = next_due_table(item_type, county)
    columns = item_sort_columns(lifecycle, due)
    if lean:  # for counting: no column the count does not need
        query = select(table.id).where(col(table.status).in_(states))
        query = query.where(*item_conditions(lifecycle, f, viewer))
        return query if county is None else query.where(table.county_id == county)
    query = select(
        cast(literal(item_type), String).label("item_type"),
        table.id.label("id"),
        table.county_id.label("county_id"),
        _text(table.status).label("status"),
        _text(getattr(table, "title", None)).label("title"),
        holder_expr(table, item_type).label("holder"),
        columns["due"].label("due"),
        columns["state"].label("state_rank"),
        (amount if amount is not None else cast(null(), Integer)).label("amount"),
    ).outerjoin(due, due.c.item_id == table.id)
    query = query.where(col(table.status).in_(states), *item_conditions(lifecycle, f, viewer))
    return query if county is None else query.where(table.county_id == county)


def _actionable_union(role: Role, f: Filters, viewer: Viewer, lean: bool = False):
    selects = []
    for item_type, lifecycle in LIFECYCLES.items():
        states = _states_for(lifecycle, role)
        if states and (not f.kind or f.kind == item_type):
            selects.append(_actionable_select(lifecycle, states, f, viewer, lean))
    if not selects:
        return None
    return (union_all(*selects) if len(selects) > 1 else selects[0]).subquery()


def actionable(
    session: Session, user: User, f: Filters, viewer: Viewer
) -> tuple[Page, list[WorkItem]]:
    """One page of the items whose current state offers a step this person's role may
    take: counted, sorted and paged by the database over every kind of item at once."""
    found = _actionable_union(Role(user.role), f, viewer)
    if found is None:
        return page_of(1, 0, f.size), []
    c = found.c
    counted = _actionable_union(Role(user.role), f, viewer, lean=True)
    total = int(session.exec(select(func.count()).select_from(counted)).one())
    page = page_of(f.page, total, f.size)
    mine = case((c.holder == viewer.user_id, 0), (c.holder.in_(list(viewer.absent) or [-1]), 1),
                else_=2)  # fmt: skip
    # Names and codes over the union, not inside it: computed for the page's rows only
    # (unless the page is sorted by them), not for each of the county's thousands.
    owner_name = user_name(c.holder)
    columns = {"item": c.item_type, "county": county_code(c.county_id), "state": c.state_rank,
               "owner": owner_name, "due": c.due, "amount": c.amount, "title": c.title,
               "mine": mine}  # fmt: skip
    order = [*ordering(columns, f, "mine", c.item_type), c.id]
    query = select(*found.c, owner_name.label("owner_name"))
    rows = session.exec(query.order_by(*order).offset(page.offset).limit(page.size))
    rows = rows.all()
    names = user_names(session, [r.holder for r in rows])
    items = []
    for r in rows:
        lifecycle = LIFECYCLES[ItemType(r.item_type)]
        name = lifecycle.item_name(r.id)
        items.append(WorkItem(r.item_type, lifecycle, r.id, r.county_id,
                              f"{name} {r.title}" if r.title else name,
                              lifecycle.state_label(r.status), tag(r.holder, viewer, names),
                              r.holder, r.owner_name or "", r.due, r.amount))  # fmt: skip
    return page, items


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


# ------------------------------------------------------------------ one county's overdue
OVERDUE_SORTS = ("due", "kind", "title", "owner", "amount")


def _subject_amount():
    """The money a deadline's item is about: a purchase's amount, a reimbursement's A."""

    def of(table, column):
        return select(column).where(table.id == Milestone.subject_id).scalar_subquery()

    return case(
        (Milestone.subject_type == ItemType.purchase.value, of(Purchase, Purchase.amount)),
        (Milestone.subject_type == ItemType.reimbursement.value,
         of(Reimbursement, Reimbursement.approved_amount)),
        else_=null(),
    )  # fmt: skip


@dataclass
class OverdueRow:
    milestone: Milestone
    kind_label: str
    owner_name: str
    amount: int | None
    days_late: int
    working_days_late: int | None


def county_overdue(
    session: Session, county_id: int, f: Filters, viewer: Viewer
) -> tuple[Page, list[OverdueRow]]:
    """A county's open deadlines past due, longest overdue first unless sorted otherwise."""
    owner = select(User.display_name).where(User.id == Milestone.owner_id).scalar_subquery()
    amount = _subject_amount()
    where = [Milestone.county_id == county_id, col(Milestone.done_on).is_(None),
             Milestone.due_on < viewer.today]  # fmt: skip
    if f.q:
        where.append(Milestone.title.ilike(like(f.q), escape="!"))
    total = session.exec(select(func.count()).select_from(Milestone).where(*where)).one()
    page = page_of(f.page, int(total), f.size)
    columns = {"due": Milestone.due_on, "kind": Milestone.kind, "title": Milestone.title,
               "owner": owner, "amount": amount}  # fmt: skip
    order = ordering(columns, f, "due", Milestone.id)
    rows = session.exec(
        select(Milestone, owner.label("owner_name"), amount.label("amount"))
        .where(*where).order_by(*order).offset(page.offset).limit(page.size)
    ).all()  # fmt: skip
    cal = viewer.calendar
    return page, [
        OverdueRow(m, _kind_label(m.kind), name or "", money, (viewer.today - m.due_on).days,
                   max(0, cal.working_days_between(m.due_on, viewer.today)) if cal else None)
        for m, name, money in rows
    ]  # fmt: skip


def _kind_label(kind: str) -> str:
    try:
        return MilestoneKind(kind).title
    except ValueError:
        return "其他期限"
