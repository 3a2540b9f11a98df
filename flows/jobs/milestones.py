"""Open milestones, set-based: fire an alert for every one in a window, then read them back.

The alert row is inserted by INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, so the
database both picks the milestones and guarantees each alert fires once, even when two
runs overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Integer, String, and_, exists, literal
from sqlmodel import Session, col, select

from flows.jobs.windows import Window
from model.alerts import MilestoneAlert
from model.milestone_kinds import MILESTONE_TITLES, MilestoneKind
from model.tables import County, Milestone, Purchase
from notifications.outbox import dialect_insert
from notifications.render import ItemView, item_url
from states.values import ItemType


@dataclass(frozen=True)
class OpenMilestone:
    id: int
    county_id: int
    county: str
    owner_id: int | None
    due_on: date
    view: ItemView


_IDS_PER_QUERY = 20_000


def fire(
    session: Session,
    *,
    kind: str,
    window: Window,
    as_of: date,
    year: int,
    after_level: int | None = None,
) -> list[int]:
    """Record `kind` at `window.level` for every open milestone due in the window.

    With `after_level`, only milestones whose alert at that level fired on an earlier
    day: escalation goes step by step, so a late first run does not fire every step at once.
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
        conditions.append(m.due_on <= window.upto)
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
    return sorted(session.execute(stmt).scalars())


def load(session: Session, ids: list[int], base_url: str) -> list[OpenMilestone]:
    """The milestones by id, earliest due first, in chunks: PostgreSQL takes at most
    65,535 parameters a statement, and a catch-up day at national scale fired 83,000."""
    rows = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        rows += session.exec(_load_query(ids[start : start + _IDS_PER_QUERY])).all()
    rows.sort(key=lambda row: (row.due_on, row.id))
    return [_open(*row, base_url=base_url) for row in rows]


def _load_query(ids: list[int]):
    m = Milestone
    # Columns, not Milestone objects: a busy day loads tens of thousands of them.
    return (
        select(m.id, m.county_id, m.owner_id, m.kind, m.title, m.subject_type, m.subject_id,
               m.due_on, County.name, Purchase.amount)
        .join(County, County.id == Milestone.county_id)
        .outerjoin(
            Purchase,
            and_(
                Milestone.subject_type == ItemType.purchase.value,
                Purchase.id == Milestone.subject_id,
            ),
        )
        .where(col(Milestone.id).in_(ids))
    )  # fmt: skip


def _open(mid, county_id, owner_id, kind, title, subject_type, subject_id, due_on, county,
          amount, *, base_url: str) -> OpenMilestone:  # fmt: skip
    try:
        kind_title = MILESTONE_TITLES[MilestoneKind(kind)]
    except ValueError:  # a kind added by another module before it got a title here
        kind_title = title
    view = ItemView(
        county=county,
        title=title,
        kind_title=kind_title,
        due_on=due_on,
        url=item_url(base_url, subject_type, subject_id),
        amount=amount,
    )
    return OpenMilestone(mid, county_id, county, owner_id, due_on, view)
