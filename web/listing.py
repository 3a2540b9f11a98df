"""Search, filters, sort and paging of the lists, done by the database: a page loads only
the rows it shows and counts the rest with COUNT(*)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import String, case, cast, exists, false, func, literal, or_
from sqlmodel import Session, col, select

from model.accounts import Handover
from model.tables import Closure, County, Milestone, Product, School, TransitionLog, User
from rules import load_rules
from rules.calendar import WorkCalendar
from rules.errors import JingjinError
from workflow.service import Lifecycle

PAGE_SIZES = (25, 50, 100, 200)
PAGE_SIZE = 100
EXPORT_MAX = 5000  # an export of more asks for a narrower filter rather than stalling
DUE_WITHIN_CHOICES = (5, 10, 20)
ALL_YEARS = "all"


@dataclass(frozen=True)
class Filters:
    """What the person asked for in the URL; every field is kept in the links it makes."""

    q: str = ""
    county: int | None = None
    state: str = ""
    kind: str = ""  # item type, on "my work"
    owner: str = ""  # "", "me" or a user id
    overdue: bool = False
    due_within: int | None = None  # working days
    year: int | None = None  # None: every year
    sort: str = ""
    desc: bool = False
    page: int = 1
    size: int = PAGE_SIZE

    def params(self, **changes) -> dict[str, str]:
        """The query parameters that give this list again (with changes)."""
        f = replace(self, **changes)
        out = {
            "q": f.q,
            "county": "" if f.county is None else str(f.county),
            "state": f.state,
            "kind": f.kind,
            "owner": f.owner,
            "overdue": "1" if f.overdue else "",
            "due_within": "" if f.due_within is None else str(f.due_within),
            "year": ALL_YEARS if f.year is None else str(f.year),
            "sort": f.sort,
            "dir": "desc" if f.desc else "",
            "page": "" if f.page == 1 else str(f.page),
            "size": "" if f.size == PAGE_SIZE else str(f.size),
        }
        return {k: v for k, v in out.items() if v}

    def url(self, **changes) -> str:
        return "?" + urlencode(self.params(**changes))

    def sort_url(self, key: str) -> str:
        """A header's link: sorted by it ascending, or flipped when it is already the sort."""
        return self.url(sort=key, desc=(self.sort == key and not self.desc), page=1)

    def aria_sort(self, key: str) -> str | None:
        if self.sort != key:
            return None
        return "descending" if self.desc else "ascending"


def _int(raw, default: int | None = None) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else default


def read_filters(params: Mapping[str, str], default_year: int) -> Filters:
    """Tolerant: a value that makes no sense is dropped, never a server error."""
    year_raw = params.get("year", "")
    year = None if year_raw == ALL_YEARS else _int(year_raw, default_year)
    size = _int(params.get("size"), PAGE_SIZE)
    return Filters(
        q=str(params.get("q", "")).strip()[:100],
        county=_int(params.get("county") or params.get("county_id")),
        state=str(params.get("state", "")).strip()[:32],
        kind=str(params.get("kind", "")).strip()[:24],
        owner=str(params.get("owner", "")).strip()[:12],
        overdue=params.get("overdue", "") not in ("", "0"),
        due_within=_int(params.get("due_within")),
        year=year,
        sort=str(params.get("sort", "")).strip()[:16],
        desc=params.get("dir") == "desc",
        page=max(1, _int(params.get("page"), 1)),
        size=size if size in PAGE_SIZES else PAGE_SIZE,
    )


@dataclass(frozen=True)
class Viewer:
    """Who looks and when: what the filters need beyond the URL."""

    user_id: int
    county_id: int | None  # None: every county (the ministry)
    absent: frozenset[int]  # the people this person stands in for today
    today: date
    calendar: WorkCalendar | None = None

    def due_until(self, working_days: int) -> date:
        if self.calendar is None:
            return self.today
        return self.calendar.add_working_days(self.today, working_days)


def work_calendar(session: Session, year: int) -> WorkCalendar | None:
    """The year's working-day calendar with nationwide closures (as the reminders use)."""
    try:
        rules = load_rules(year)
    except JingjinError:
        return None
    closures = session.exec(select(Closure.day).where(col(Closure.county_id).is_(None))).all()
    return WorkCalendar.from_rules(rules, extra_closures=closures)


def like(text: str) -> str:
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _matches(column, q: str):
    """column contains q, also as JSON stores it (non-ASCII escaped as \\uXXXX)."""
    forms = {q, json.dumps(q)[1:-1]}
    return or_(*(column.ilike(like(f), escape="!") for f in forms))


# ------------------------------------------------------------------ item columns
def holder_expr(table, item_type: str):
    """Whoever the item was last handed to, else its owner (as web.items.holder_id)."""
    handed = (
        select(Handover.to_user_id)
        .where(Handover.item_type == item_type, Handover.item_id == table.id)
        .order_by(col(Handover.id).desc())
        .limit(1)
        .scalar_subquery()
        # Always the item's row, also when nested in another subquery (the owner's name):
        # left to auto-correlation there, it read every handover against every item.
        .correlate_except(Handover)
    )
    owner = getattr(table, "owner_id", None)
    return handed if owner is None else func.coalesce(handed, owner)


def next_due_table(item_type: str, county_id: int | None = None):
    """Each item's earliest open deadline, grouped once and joined (of one county's items
    when the list is one county's: the nation's open deadlines are ten times more)."""
    query = select(
        Milestone.subject_id.label("item_id"), func.min(Milestone.due_on).label("due")
    ).where(Milestone.subject_type == item_type, col(Milestone.done_on).is_(None))
    if county_id is not None:
        query = query.where(Milestone.county_id == county_id)
    return query.group_by(Milestone.subject_id).subquery()


def _with_open_deadline(table, item_type: str, *conditions):
    """table.id among the subjects of matching open deadlines (one uncorrelated subquery)."""
    subjects = select(Milestone.subject_id).where(
        Milestone.subject_type == item_type, col(Milestone.done_on).is_(None), *conditions
    )
    return col(table.id).in_(subjects)


def amount_column(table):
    """The money an item is about, where it has one."""
    for name in ("amount", "approved_amount"):
        if hasattr(table, name):
            return getattr(table, name)
    return None


def state_rank(lifecycle: Lifecycle):
    """States sort in the lifecycle's order, not by their identifiers."""
    order = {s.id: i for i, s in enumerate(lifecycle.machine.states)}
    return case(order, value=lifecycle.table.status, else_=len(order))


def county_code(county_id_column):
    return select(County.code).where(County.id == county_id_column).scalar_subquery()


def user_name(user_column):
    return select(User.display_name).where(User.id == user_column).scalar_subquery()


def item_sort_columns(lifecycle: Lifecycle, next_due) -> dict:
    """Sortable columns; `next_due` is next_due_table's subquery, joined by the caller."""
    table, item_type = lifecycle.table, str(lifecycle.item_type)
    columns = {
        "item": table.id,
        "county": county_code(table.county_id),
        "state": state_rank(lifecycle),
        "owner": user_name(holder_expr(table, item_type)),
        "due": next_due.c.due,
        "year": table.year,
    }
    if hasattr(table, "title"):
        columns["title"] = table.title
    if amount_column(table) is not None:
        columns["amount"] = amount_column(table)
    return columns


def _search(lifecycle: Lifecycle, q: str):
    table, item_type = lifecycle.table, str(lifecycle.item_type)
    found = []
    if q.lstrip("#").isdigit() and len(q) < 10:
        found.append(table.id == int(q.lstrip("#")))
    for name in ("title", "letter_no", "reason"):
        if hasattr(table, name):
            found.append(_matches(getattr(table, name), q))
    if hasattr(table, "product_id"):
        found.append(
            exists().where(
                Product.id == table.product_id,
                or_(_matches(Product.name, q), _matches(Product.vendor, q)),
            )
        )
    # 文號 and other facts recorded with each step: the letter number and the evidence.
    found.append(
        exists().where(
            TransitionLog.item_type == item_type,
            TransitionLog.item_id == table.id,
            or_(
                _matches(TransitionLog.letter_no, q),
                _matches(cast(TransitionLog.evidence, String), q),
            ),
        )
    )
    schools = select(School.id).where(_matches(School.name, q))
    found.append(
        col(table.id).in_(
            select(Milestone.subject_id).where(
                Milestone.subject_type == item_type, col(Milestone.school_id).in_(schools)
            )
        )
    )
    return or_(*found)


def _owner(holder, f: Filters, viewer: Viewer):
    if f.owner == "me":
        return holder == viewer.user_id
    if f.owner == "deputy":
        return holder.in_(list(viewer.absent)) if viewer.absent else false()
    owner = _int(f.owner)
    return None if owner is None else holder == owner


def item_conditions(lifecycle: Lifecycle, f: Filters, viewer: Viewer, *, state: bool = True):
    """The WHERE clauses of the filters, county scope included."""
    table, item_type = lifecycle.table, str(lifecycle.item_type)
    county = viewer.county_id if viewer.county_id is not None else f.county
    where = []
    if county is not None:
        where.append(table.county_id == county)
    if state and f.state:
        where.append(table.status == f.state)
    if f.year is not None:
        where.append(table.year == f.year)
    if f.q:
        where.append(_search(lifecycle, f.q))
    if f.owner:
        clause = _owner(holder_expr(table, item_type), f, viewer)
        if clause is not None:
            where.append(clause)
    if f.overdue:
        where.append(_with_open_deadline(table, item_type, Milestone.due_on < viewer.today))
    if f.due_within is not None:
        until = viewer.due_until(f.due_within)
        where.append(
            _with_open_deadline(
                table, item_type, Milestone.due_on >= viewer.today, Milestone.due_on <= until
            )
        )
    return where


def ordering(columns: dict, f: Filters, default: str, tiebreak) -> list:
    """ORDER BY the chosen column (empty values last either way), then a stable key."""
    column = columns.get(f.sort) if f.sort in columns else columns[default]
    first = column.desc() if f.desc else column.asc()
    return [first.nulls_last(), tiebreak]


def count(session: Session, query) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def tag(holder: int | None, viewer: Viewer, names: Mapping[int, str]) -> str:
    """「我負責」 for one's own items, 「代理 name」 for those of someone one stands in for."""
    if holder is None:
        return ""
    if holder == viewer.user_id:
        return "我負責"
    if holder in viewer.absent:
        return f"代理 {names.get(holder, '')}".strip()
    return ""


def user_names(session: Session, ids) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted)))
    return dict(rows.all())


def literal_type(item_type: str):
    return literal(item_type, String)
