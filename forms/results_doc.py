"""量化目標達成情形: the previous year's table of the plan (肆、一) and this year's, counted
from the milestones."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from forms.display import percent, roc_date
from forms.heading import Heading, heading, plan_title
from forms.labels import TARGET_LABELS
from forms.outline import COUNTY_PLANNED, PREVIOUS_RESULT_ROWS, PREVIOUS_RESULTS_KEY
from forms.plan_data import PlanData
from model.clock import today
from model.milestone_kinds import MilestoneKind
from model.tables import Milestone


def _spaced(unit: str) -> str:
    # 100%, but 4 次: the template writes counting words apart from the number.
    return unit if unit in ("", "%") else f" {unit}"


@dataclass(frozen=True)
class ResultRow:
    label: str
    unit: str
    target: int | None  # None: 依縣市規劃, or nothing recorded
    achieved: int | None
    note: str = ""

    @property
    def target_text(self) -> str:
        if self.target is None:
            return COUNTY_PLANNED
        return f"{self.target:,}{_spaced(self.unit)}"

    @property
    def achieved_text(self) -> str:
        return "" if self.achieved is None else f"{self.achieved:,}{_spaced(self.unit)}"

    @property
    def rate(self) -> str:
        if self.target is None or self.achieved is None:
            return ""
        return percent(self.achieved, self.target)


@dataclass(frozen=True)
class ResultsDoc:
    heading: Heading
    rows: list[ResultRow]
    as_of: str
    note: str


# ------------------------------------------------------------------ previous year (肆、一)
def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def previous_results(data: PlanData) -> list[ResultRow]:
    """The template's rows, filled from Plan.sections[PREVIOUS_RESULTS_KEY] where given."""
    stored = data.plan.sections.get(PREVIOUS_RESULTS_KEY)
    stored = stored if isinstance(stored, dict) else {}
    rows = []
    for spec in PREVIOUS_RESULT_ROWS:
        entry = stored.get(spec.key)
        entry = entry if isinstance(entry, dict) else {}
        target = _int_or_none(entry.get("target"))
        rows.append(ResultRow(
            label=spec.label,
            unit=spec.unit,
            target=spec.target if target is None else target,
            achieved=_int_or_none(entry.get("achieved")),
            note=str(entry.get("note") or ""),
        ))
    return rows


# ------------------------------------------------------------------ this year, from milestones
# Targets counted as milestones of one kind; 單位 as the indicator counts them.
TARGET_KINDS: tuple[tuple[str, MilestoneKind, str], ...] = (
    ("moe_team_meetings", MilestoneKind.moe_team_meeting, "次"),
    ("working_meetings", MilestoneKind.working_meeting, "次"),
    ("parent_sessions", MilestoneKind.parent_session, "場"),
    ("open_lessons", MilestoneKind.open_lesson, "場"),
)
# Kinds without a numeric target of their own: the target is what was scheduled.
SCHEDULED_KINDS: tuple[MilestoneKind, ...] = (
    MilestoneKind.workshop,
    MilestoneKind.literacy_training,
)

RESULTS_NOTE = (
    "達成值為已填寫完成日期之管考項目數；目標值取自本計畫量化指標，"
    "無對應量化指標者（研習場次）以排定之管考項目數為目標值。"
)


def _counts(session: Session, data: PlanData, as_of: date) -> tuple[Counter, Counter, Counter]:
    rows = session.exec(
        select(Milestone.kind, Milestone.due_on, Milestone.done_on).where(
            Milestone.county_id == data.county.id, Milestone.year == data.year
        )
    ).all()
    scheduled, done, overdue = Counter(), Counter(), Counter()
    for kind, due_on, done_on in rows:
        scheduled[kind] += 1
        if done_on is not None:
            done[kind] += 1
        elif due_on < as_of:
            overdue[kind] += 1
    return scheduled, done, overdue


def _status(achieved: int, target: int, overdue: int, unit: str) -> str:
    if achieved >= target:
        return "已達成"
    text = f"尚差 {target - achieved:,} {unit}"
    return f"{text}；逾期未完成 {overdue:,} 項，已列入追蹤" if overdue else f"{text}，依期程辦理中"


def milestone_results(session: Session, data: PlanData, as_of: date | None = None) -> ResultsDoc:
    as_of = as_of or today()
    scheduled, done, overdue = _counts(session, data, as_of)
    rows = []
    for key, kind, unit in TARGET_KINDS:
        target = data.plan.targets.get(key, data.minimums.get(key, 0))
        rows.append(ResultRow(TARGET_LABELS[key], unit, target, done[kind.value],
                              _status(done[kind.value], target, overdue[kind.value], unit)))
    for kind in SCHEDULED_KINDS:
        target = scheduled[kind.value]
        rows.append(ResultRow(f"{kind.title}場次", "場", target, done[kind.value],
                              _status(done[kind.value], target, overdue[kind.value], "場")))
    return ResultsDoc(
        heading=heading(f"{plan_title(data.county.name, data.year)}量化目標達成情形",
                        data.county.name, data.year),
        rows=rows,
        as_of=roc_date(as_of, long=True),
        note=RESULTS_NOTE,
    )
