"""An item's dated obligations as its page shows them: counts by kind and state, then
one page of rows with the overdue ones first. A plan carries thousands (17,990 for the
biggest county nationally), so the page never loads more than it shows."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from model.tables import Milestone
from vocab.milestone_kinds import MILESTONE_TITLES, MilestoneKind

PAGE = 20
OVERDUE, OPEN, DONE = 0, 1, 2
STATE_LABELS = {OVERDUE: "逾期未完成", OPEN: "未到期", DONE: "已完成"}


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    overdue: int
    open: int
    done: int


@dataclass(frozen=True)
class MilestonePanel:
    total: int
    overdue: int
    kinds: list[KindCount]
    rows: list[Milestone]
    number: int
    pages: int

    @property
    def summarised(self) -> bool:
        return self.total > PAGE


def _state(today: date):
    return case(
        (col(Milestone.done_on).is_not(None), DONE),
        (col(Milestone.due_on) < today, OVERDUE),
        else_=OPEN,
    )


def kind_label(kind: str) -> str:
    try:
        return MILESTONE_TITLES[MilestoneKind(kind)]
    except ValueError:
        return kind


def milestone_panel(
    db: Session, item_type: str, item_id: int, today: date, number: int = 1
) -> MilestonePanel:
    mine = (
        Milestone.subject_type == item_type,
        Milestone.subject_id == item_id,
        col(Milestone.school_id).is_(None),
    )
    state = _state(today)
    counts: dict[str, list[int]] = {}
    for kind, st, n in db.exec(
        select(Milestone.kind, state, func.count()).where(*mine).group_by(Milestone.kind, state)
    ):
        counts.setdefault(kind, [0, 0, 0])[st] = n
    total = sum(sum(c) for c in counts.values())
    pages = max(1, -(-total // PAGE))
    number = min(max(1, number), pages)
    rows = db.exec(
        select(Milestone)
        .where(*mine)
        .order_by(state, Milestone.due_on, Milestone.id)
        .limit(PAGE)
        .offset((number - 1) * PAGE)
    ).all()
    kinds = [
        KindCount(kind, kind_label(kind), *c)
        for kind, c in sorted(counts.items(), key=lambda kc: (-kc[1][OVERDUE], kc[0]))
    ]
    return MilestonePanel(
        total=total,
        overdue=sum(k.overdue for k in kinds),
        kinds=kinds,
        rows=list(rows),
        number=number,
        pages=pages,
    )
