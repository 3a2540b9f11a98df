"""The deadlines a step meets, and the warning said before a late one is taken."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from model.tables import Milestone
from states.reimbursement import SETTLEMENT_MILESTONE
from states.steps import Step
from states.values import ItemType
from vocab.display import roc_date

# The 結報 deadline belongs to the plan; submitting the settlement is what meets it.
SETTLEMENT_EVENTS = ("submit_settlement", "resubmit_settlement")


@dataclass(frozen=True)
class Deadline:
    title: str
    due_on: date


def late_note(due_on: date, day: date) -> str | None:
    """「已逾期限 113/11/30（逾 5 天）…」when day is after due_on; None in time."""
    if day <= due_on:
        return None
    days = (day - due_on).days
    return f"已逾期限 {roc_date(due_on)}（逾 {days} 天），仍可送出，將記錄為逾期。"


def done_late_note(due_on: date, done_on: date) -> str | None:
    """The same fact once recorded: 「期限 113/11/30，113/12/05 完成（逾 5 天），已記錄為逾期」."""
    if done_on <= due_on:
        return None
    days = (done_on - due_on).days
    return f"期限 {roc_date(due_on)}，{roc_date(done_on)} 完成（逾 {days} 天），已記錄為逾期。"


def step_deadlines(db: Session, item_type: str, row, step: Step) -> list[Deadline]:
    """The open deadlines this step would complete."""
    subjects = []
    if step.closes:
        subjects.append((item_type, row.id, step.closes))
    if item_type == ItemType.reimbursement and step.event in SETTLEMENT_EVENTS:
        subjects.append((ItemType.plan, row.plan_id, (SETTLEMENT_MILESTONE,)))
    out = []
    for subject_type, subject_id, kinds in subjects:
        query = select(Milestone).where(
            Milestone.subject_type == subject_type,
            Milestone.subject_id == subject_id,
            col(Milestone.kind).in_(kinds),
            col(Milestone.done_on).is_(None),
            col(Milestone.school_id).is_(None),
        )
        out += [Deadline(m.title, m.due_on) for m in db.exec(query)]
    return out


def late_notes(deadlines: list[Deadline], day: date) -> list[str]:
    return [f"「{d.title}」{note}" for d in deadlines if (note := late_note(d.due_on, day))]
