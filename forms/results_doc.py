"""量化目標達成情形: the previous year's table of the plan (肆、一) and this year's, taken
from the activities through workflow.targets_progress.progress()."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from config.clock import today
from forms.heading import Heading, heading, plan_title
from forms.plan_data import PlanData
from model.tables import Milestone
from rules import load_rules
from rules.school_targets import DeviceStanding, WorkshopStanding
from vocab.display import percent, roc_date
from vocab.labels import TARGET_LABELS
from vocab.milestone_kinds import MilestoneKind
from vocab.outline import COUNTY_PLANNED, PREVIOUS_RESULTS_KEY
from workflow.school_targets import device_standings, workshop_standings
from workflow.targets_progress import Progress, progress


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
    # This year's rate comes from progress() (floored); typed-in figures are rounded here.
    fixed_rate: str | None = None

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
        if self.fixed_rate is not None:
            return self.fixed_rate
        if self.target is None or self.achieved is None:
            return ""
        return percent(self.achieved, self.target)


@dataclass(frozen=True)
class ResultsDoc:
    heading: Heading
    rows: list[ResultRow]
    as_of: str
    note: str
    # The schools short of the per-school targets (伍、三、(三)2.(2); 貳、二).
    workshop_short: list[WorkshopStanding] = field(default_factory=list)
    devices_short: list[DeviceStanding] = field(default_factory=list)


# ------------------------------------------------------------------ previous year (肆、一)
def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def previous_results(data: PlanData) -> list[ResultRow]:
    """The template's rows, filled from Plan.sections[PREVIOUS_RESULTS_KEY] where given."""
    stored = data.plan.sections.get(PREVIOUS_RESULTS_KEY)
    stored = stored if isinstance(stored, dict) else {}
    rows = []
    for spec in data.rules.previous_results.rows:
        entry = stored.get(spec.key)
        entry = entry if isinstance(entry, dict) else {}
        target = _int_or_none(entry.get("target"))
        rows.append(
            ResultRow(
                label=spec.label,
                unit=spec.unit,
                target=spec.target if target is None else target,
                achieved=_int_or_none(entry.get("achieved")),
                note=str(entry.get("note") or ""),
            )
        )
    return rows


# ------------------------------------------------------------------ this year, from progress()
# 單位 as each indicator counts it; the rows follow workflow.targets_progress.progress(), the
# one source the activities page reads too, so the document and the page never disagree.
TARGET_UNITS: dict[str, str] = {
    "key_schools": "校",
    "self_learning_open_lessons": "場",
    "open_lessons": "場",
    "sampled_schools": "校",
    "literacy_teachers": "人",
    "workshop_teachers": "人",
    "moe_team_meetings": "次",
    "parent_sessions": "場",
    "working_meetings": "次",
    "guideline_workshops": "場",
    "remote_one_device_schools": "校",
    "non_remote_class_set_schools": "校",
}
# The milestones that track a target: their overdue count goes into 執行現況.
TARGET_MILESTONES: dict[str, MilestoneKind] = {
    "open_lessons": MilestoneKind.open_lesson,
    "sampled_schools": MilestoneKind.outcome_sampling,
    "literacy_teachers": MilestoneKind.literacy_training,
    "workshop_teachers": MilestoneKind.workshop,
    "moe_team_meetings": MilestoneKind.moe_team_meeting,
    "parent_sessions": MilestoneKind.parent_session,
    "working_meetings": MilestoneKind.working_meeting,
    "guideline_workshops": MilestoneKind.guideline_workshop,
}

RESULTS_NOTE = (
    "目標值取自本計畫量化指標（未訂者依最低標準），達成值由已登錄之活動紀錄計算，"
    "與系統「活動紀錄」頁之目標進度相同。"
)


def _overdue(session: Session, data: PlanData, as_of: date) -> Counter:
    kinds = session.exec(
        select(Milestone.kind).where(
            Milestone.county_id == data.county.id,
            Milestone.year == data.year,
            col(Milestone.done_on).is_(None),
            Milestone.due_on < as_of,
        )
    ).all()
    return Counter(kinds)


def _status(p: Progress, overdue: int, unit: str) -> str:
    if p.achieved is None:
        return p.rate_text  # 不由活動紀錄計算
    if p.achieved >= p.target:
        return "已達成"
    text = f"尚差 {p.target - p.achieved:,} {unit}"
    return f"{text}；逾期未完成 {overdue:,} 項，已列入追蹤" if overdue else f"{text}，依期程辦理中"


def _progress_row(key: str, p: Progress, overdue: Counter) -> ResultRow:
    unit = TARGET_UNITS.get(key, "")
    kind = TARGET_MILESTONES.get(key)
    late = overdue[kind.value] if kind is not None else 0
    rate = "" if p.achieved is None else p.rate_text
    return ResultRow(TARGET_LABELS.get(key, key), unit, p.target, p.achieved,
                     _status(p, late, unit), fixed_rate=rate)  # fmt: skip


def milestone_results(session: Session, data: PlanData, as_of: date | None = None) -> ResultsDoc:
    as_of = as_of or today()
    overdue = _overdue(session, data, as_of)
    rows = [
        _progress_row(key, p, overdue)
        for key, p in progress(session, data.county.id, data.year).items()
    ]
    rules = load_rules(data.year)
    return ResultsDoc(
        workshop_short=[s for s in workshop_standings(session, data.county.id, rules) if not s.met],
        devices_short=[s for s in device_standings(session, data.county.id, rules) if not s.met],
        heading=heading(
            f"{plan_title(data.county.name, data.year)}量化目標達成情形",
            data.county.name,
            data.year,
        ),
        rows=rows,
        as_of=roc_date(as_of, long=True),
        note=RESULTS_NOTE,
    )
