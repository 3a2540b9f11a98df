"""Open milestones, set-based: fire an alert for every one in a window, then read them back.

The alert row is inserted by INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, so the
database both picks the milestones and guarantees each alert fires once, even when two
runs overlap. A mail that lists only a few of many milestones reads them back as per-county
summaries computed in SQL plus its first few (`by_county`), not one object per milestone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from flows.jobs.windows import Window
from model.alerts import MilestoneAlert
from model.tables import County, Milestone, Purchase
from notifications.outbox import dialect_insert
from notifications.render import ItemView, item_url
from states.values import ItemType
from vocab.milestone_kinds import MILESTONE_TITLES


class OpenMilestone(NamedTuple):  # a tuple: a busy day reads tens of thousands
    id: int
    county_id: int
    county: str
    owner_id: int | None
    due_on: date
    view: ItemView


@dataclass(frozen=True)
class CountyDue:
    """One county's share of a set of milestones: what a summary shows, and its first few."""

    county_id: int
    county: str
    count: int
    kinds: tuple[tuple[str, int], ...]  # (kind title, milestones), the most frequent first
    first_due: date
    last_due: date
    amount: int | None  # the exact sum over the milestones with an amount, None if none has
    first_id: int  # the smallest milestone id
    first: tuple[date, int]  # (due date, id) of its earliest milestone
    earliest: list[OpenMilestone]  # at most `shown` of them, earliest due first


def fire(
    session: Session,
    *,
    kind: str,
    window: Window,
    as_of: date,
    year: int,
    after_level: int | None = None,
    where: ColumnElement[bool] | None = None,
    rolled: tuple[frozenset[str], date] | None = None,
) -> list[int]:
    """Record `kind` at `window.level` for every open milestone due in the window.

    With `after_level`, only milestones whose alert at that level fired on an earlier
    day: escalation goes step by step, so a late first run does not fire every step at once.
    `where` narrows the milestones (to the counties of one calendar); `rolled` gives the
    kinds whose deadline rolls to a working day and the latest stored date that is due
    in the window once rolled.
    """
    m = Milestone
    fired_before = exists().where(
        MilestoneAlert.milestone_id == m.id,
        MilestoneAlert.kind == kind,
        MilestoneAlert.level == window.level,
    )
    conditions = [m.year == year, col(m.done_on).is_(None), ~fired_before]
    if after_level is not None:
        previous = exists().where(
            MilestoneAlert.milestone_id == m.id,
            MilestoneAlert.kind == kind,
            MilestoneAlert.level == after_level,
            MilestoneAlert.fired_on < as_of,
        )
        conditions.append(previous)
    if window.after is not None:
        conditions.append(m.due_on > window.after)
    if window.upto is not None:
        upto = m.due_on <= window.upto
        if rolled is not None and rolled[0]:
            kinds, rolled_upto = sorted(rolled[0]), rolled[1]
            upto = or_(
                and_(col(m.kind).in_(kinds), m.due_on <= rolled_upto),
                and_(col(m.kind).not_in(kinds), upto),
            )
        conditions.append(upto)
    if where is not None:
        conditions.append(where)
    due = select(
        m.id,
        literal(kind, String),
        literal(window.level, Integer),
        literal(as_of, Date),
    ).where(*conditions)
    stmt = (
        dialect_insert(session, MilestoneAlert)
        .from_select(["milestone_id", "kind", "level", "fired_on"], due)
        .on_conflict_do_nothing(index_elements=["milestone_id", "kind", "level"])
        .returning(MilestoneAlert.milestone_id)
    )
    return sorted(session.connection().execute(stmt).scalars().all())


def load(session: Session, ids: list[int], base_url: str) -> list[OpenMilestone]:
    """The milestones by id, earliest due first."""
    if not ids:
        return []
    # Core, not the ORM: plain rows of columns, without the ORM's per-row loading.
    query = _load_query().where(_among(session, ids)).order_by(Milestone.due_on, Milestone.id)
    rows = session.connection().execute(query)
    return [_open(*row, base_url=base_url) for row in rows]


def _load_query():
    m = Milestone
    # Columns, not Milestone objects: a busy day loads tens of thousands of them.
    return (
        select(m.id, m.county_id, m.owner_id, m.kind, m.title, m.subject_type, m.subject_id,
               m.due_on, County.name, Purchase.amount)
        .join(County, County.id == Milestone.county_id)
        .outerjoin(Purchase, _purchase_of(m))
    )  # fmt: skip


def _purchase_of(m: type[Milestone]):
    return and_(m.subject_type == ItemType.purchase.value, Purchase.id == m.subject_id)


def _open(mid, county_id, owner_id, kind, title, subject_type, subject_id, due_on, county,
          amount, *, base_url: str) -> OpenMilestone:  # fmt: skip
    # MilestoneKind is a StrEnum, so the stored string finds its title without building
    # an enum member per row; a kind added by another module before it got a title here
    # shows the milestone's own title.
    kind_title = MILESTONE_TITLES.get(kind, title)
    view = ItemView(
        county=county,
        title=title,
        kind_title=kind_title,
        due_on=due_on,
        url=item_url(base_url, subject_type, subject_id),
        amount=amount,
    )
    return OpenMilestone(mid, county_id, county, owner_id, due_on, view)


def by_county(
    session: Session, ids: list[int] | Select, base_url: str, *, shown: int
) -> list[CountyDue]:
    """Per county of the milestones `ids` (a list, or a query selecting them): the summary
    and the `shown` earliest due, in the order of each county's earliest milestone.

    Three queries whatever the number of milestones (a county supervisor's mail at national
    scale covers ~900 but lists 20): the sums per county and kind, and which milestones to
    list plus each kind's first, which orders kinds of equal count as Counter would; then
    those milestones' rows.
    """
    if isinstance(ids, list) and not ids:
        return []
    m, conn, among = Milestone, session.connection(), _among(session, ids)
    # A kind without a title of its own is shown under the milestone's title (as in _open).
    own_title = case((col(m.kind).in_(list(MILESTONE_TITLES)), literal("")), else_=m.title)
    groups = conn.execute(
        select(m.county_id, m.kind, own_title, func.count(), func.min(m.due_on),
               func.max(m.due_on), func.sum(Purchase.amount), func.min(m.id))
        .select_from(m).outerjoin(Purchase, _purchase_of(m)).where(among)
        .group_by(m.county_id, m.kind, own_title)
    ).all()  # fmt: skip
    order = (m.due_on, m.id)
    # Ranked on the ids alone: a window over the full rows cost more than the rest.
    ranked = select(
        m.id.label("mid"),
        func.row_number().over(partition_by=m.county_id, order_by=order).label("in_county"),
        func.row_number()
        .over(partition_by=(m.county_id, m.kind, own_title), order_by=order)
        .label("in_kind"),
    ).where(among).subquery()  # fmt: skip
    r = ranked.c
    # The ids first, then their rows: joined in one query, PostgreSQL scanned the table.
    listed = dict(conn.execute(
        select(r.mid, r.in_county).where(or_(r.in_county <= shown, r.in_kind == 1))
    ).all())  # fmt: skip
    earliest: dict[int, list[OpenMilestone]] = {}
    first_of: dict[tuple[int, str], tuple[date, int]] = {}  # (county, kind title) → first
    for row in load(session, list(listed), base_url):  # earliest due first
        first_of.setdefault((row.county_id, row.view.kind_title), (row.due_on, row.id))
        if listed[row.id] <= shown:
            earliest.setdefault(row.county_id, []).append(row)
    counts: dict[int, dict[str, int]] = {}
    found: dict[int, dict] = {}
    for cid, kind, own, n, first_due, last_due, amount, first_id in groups:
        kind_title = MILESTONE_TITLES.get(kind, own)
        mine = counts.setdefault(cid, {})
        mine[kind_title] = mine.get(kind_title, 0) + n
        f = found.setdefault(cid, dict(count=0, first_due=first_due, last_due=last_due,
                                       amount=None, first_id=first_id))  # fmt: skip
        f["count"] += n
        f["first_due"], f["last_due"] = min(f["first_due"], first_due), max(f["last_due"], last_due)
        f["first_id"] = min(f["first_id"], first_id)
        if amount is not None:
            f["amount"] = (f["amount"] or 0) + amount
    dues = []
    for cid, f in found.items():
        # Counter.most_common's order: the most frequent first, ties as first met.
        kinds = sorted(counts[cid].items(), key=lambda k: (-k[1], first_of[cid, k[0]]))
        first = earliest[cid][0]
        dues.append(CountyDue(cid, first.county, kinds=tuple(kinds), first=(first.due_on, first.id),
                              earliest=earliest[cid], **f))  # fmt: skip
    return sorted(dues, key=lambda d: d.first)


def _among(session: Session, ids: list[int] | Select):
    """Milestone.id among `ids`, given as one parameter whatever their number: an IN list
    of 20,000 ids is compiled, sent and parsed as 20,000 parameters (SQLite takes at most
    32,766). PostgreSQL unnests an array (`= ANY(array)` scanned the whole table); SQLite,
    which has no arrays, reads a JSON array."""
    if isinstance(ids, Select):
        return col(Milestone.id).in_(ids)
    if session.get_bind().dialect.name == "postgresql":
        return col(Milestone.id).in_(select(func.unnest(bindparam("ids", ids, ARRAY(Integer)))))
    each = func.json_each(bindparam("ids", json.dumps(ids))).table_valued("value")
    return col(Milestone.id).in_(select(each.c.value))
