"""Each target's progress, computed from the recorded activities (never typed in), and
the milestones an approved plan opens and the activities close.

Targets are the plan's own numbers (附件 陸, 目標值 A) where it has them, else the year's
minimums from the school list; achieved (達成值 B) comes from set-based aggregates over
the activity table; the rate is B/A.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import case, extract, func
from sqlmodel import Session, col, select

from model.tables import Activity, Milestone, Plan, School, User
from rules import YearRules, load_rules, targets
from states.activity import (
    ActivityDraft,
    ActivityKind,
    Semester,
    plan_semesters,
    rate_text,
    reached_companion_days,
    semester_of,
)
from states.values import ItemType, Role
from vocab.milestone_kinds import MilestoneKind
from workflow.plan_estimate import county_plan, school_facts
from workflow.school_targets import device_standings, workshop_standings

NOT_TRACKED = "不由活動紀錄計算"
# The county's choice of schools, not activities held.
UNTRACKED_KEYS = frozenset({"key_schools"})


@dataclass(frozen=True)
class Progress:
    target: int  # 目標值 (A)
    achieved: int | None  # 達成值 (B); None when activities do not measure this target
    rate_text: str  # 達成率 (B/A), e.g. "83.3%"


# ------------------------------------------------------------------ targets
def target_numbers(session: Session, county_id: int, year: int, rules: YearRules) -> dict:
    """The plan's own target where it set one, else the year's minimum."""
    minimums = targets(school_facts(session, county_id, year), rules)
    plan = county_plan(session, county_id, year)
    chosen = plan.targets if plan is not None else {}
    return {
        key: chosen[key] if isinstance(chosen.get(key), int) else minimum
        for key, minimum in minimums.items()
    }


# ------------------------------------------------------------------ achieved (set-based)
def _mine(county_id: int, year: int):
    return (Activity.county_id == county_id, Activity.year == year)


class KindTotals(NamedTuple):
    activities: int = 0
    teachers: int = 0
    qualified_teachers: int = 0  # trained long enough (literacy: ≥ 3 h)
    with_moe_team: int = 0
    in_festival: int = 0


def _by_kind(
    session: Session, county_id: int, year: int, rules: YearRules
) -> dict[str, KindTotals]:
    hours_min = rules.targets.literacy_hours_min
    rows = session.exec(
        select(
            Activity.kind,
            func.count(),
            func.coalesce(func.sum(Activity.teachers), 0),
            func.coalesce(
                func.sum(case((Activity.hours >= hours_min, Activity.teachers), else_=0)), 0
            ),
            func.coalesce(func.sum(case((col(Activity.moe_team), 1), else_=0)), 0),
            func.coalesce(func.sum(case((col(Activity.self_learning_festival), 1), else_=0)), 0),
        )
        .where(*_mine(county_id, year))
        .group_by(Activity.kind)
    )
    out: dict[str, KindTotals] = defaultdict(KindTotals)
    for kind, *totals in rows:
        out[kind] = KindTotals(*(int(t) for t in totals))
    return out


def _open_lesson_schools(session: Session, county_id: int, year: int, per_school: int) -> int:
    """Lessons counted per school up to the per-school minimum: a school's third lesson
    does not make up for another school's missing one (伍、三、(二)3「每校每年至少」)."""
    per = (
        select(Activity.school_id, func.count().label("n"))
        .where(*_mine(county_id, year), Activity.kind == ActivityKind.open_lesson)
        .group_by(Activity.school_id)
        .subquery()
    )
    capped = case((per.c.n > per_school, per_school), else_=per.c.n)
    return int(session.exec(select(func.coalesce(func.sum(capped), 0))).one())


def _sampled_schools(session: Session, county_id: int, year: int, rules: YearRules) -> int:
    sampling = rules.targets.sampling
    query = (
        select(func.count(func.distinct(Activity.school_id)))
        .join(School, School.id == Activity.school_id)
        .where(
            *_mine(county_id, year),
            Activity.kind == ActivityKind.outcome_sampling,
            Activity.classes >= sampling.classes_per_school_min,
            col(School.level).in_(sampling.levels),
        )
    )
    return int(session.exec(query).one())


def _meeting_months(session: Session, county_id: int, year: int) -> int:
    month = extract("year", Activity.held_on) * 100 + extract("month", Activity.held_on)
    query = select(func.count(func.distinct(month))).where(
        *_mine(county_id, year), Activity.kind == ActivityKind.working_meeting
    )
    return int(session.exec(query).one())


def _per_school(session: Session, county_id: int, rules: YearRules) -> dict[str, int]:
    """Teachers counted per school (baseline + this year, capped at 編制) and the
    schools whose devices on hand meet 貳、二 (workflow/school_targets.py)."""
    devices = device_standings(session, county_id, rules)
    return {
        "workshop_teachers": sum(s.counted for s in workshop_standings(session, county_id, rules)),
        "remote_one_device_schools": sum(1 for s in devices if s.remote and s.met),
        "non_remote_class_set_schools": sum(1 for s in devices if not s.remote and s.met),
    }


PER_SCHOOL_KEYS = frozenset(
    {"workshop_teachers", "remote_one_device_schools", "non_remote_class_set_schools"}
)


def achieved(
    session: Session, county_id: int, year: int, rules: YearRules, only: str | None = None
) -> dict[str, int]:
    """What the county achieved toward each target; `only` names the one a caller needs, so
    that recording an activity does not recount every school's standing."""
    if only in PER_SCHOOL_KEYS:
        return _per_school(session, county_id, rules)
    recorded = _recorded(session, county_id, year, rules)
    return recorded if only else _per_school(session, county_id, rules) | recorded


def _recorded(session: Session, county_id: int, year: int, rules: YearRules) -> dict[str, int]:
    kinds = _by_kind(session, county_id, year, rules)
    return {
        "self_learning_open_lessons": kinds[ActivityKind.open_lesson].in_festival,
        "open_lessons": _open_lesson_schools(
            session, county_id, year, rules.targets.open_lessons_per_school_min
        ),
        "sampled_schools": _sampled_schools(session, county_id, year, rules),
        "literacy_teachers": kinds[ActivityKind.literacy_training].qualified_teachers,
        "moe_team_meetings": kinds[ActivityKind.working_meeting].with_moe_team,
        "parent_sessions": kinds[ActivityKind.parent_session].activities,
        "working_meetings": _meeting_months(session, county_id, year),
        "guideline_workshops": kinds[ActivityKind.guideline_workshop].activities,
    }


def progress(session: Session, county_id: int, year: int) -> dict[str, Progress]:
    """Every target of rules.targets.targets(), with what the activities achieved."""
    rules = load_rules(year)
    wanted = target_numbers(session, county_id, year, rules)
    done = achieved(session, county_id, year, rules)
    out = {}
    for key, target in wanted.items():
        if key in UNTRACKED_KEYS:
            out[key] = Progress(target, None, NOT_TRACKED)
        else:
            out[key] = Progress(target, done[key], rate_text(done[key], target))
    return out


def _companion_filter(county_id: int, year: int, semester: str):
    return (
        Activity.county_id == county_id,
        Activity.year == year,
        Activity.kind == ActivityKind.companion_visit,
        Activity.semester == semester,
    )


def companion_days_before(
    session: Session, draft: ActivityDraft, county_id: int, year: int, school, rules
) -> int:
    """Days already recorded for the draft's school in the semester of its date."""
    if draft.kind != ActivityKind.companion_visit or school is None:
        return 0
    term = semester_of(draft.held_on, rules).code
    total = session.exec(
        select(func.coalesce(func.sum(Activity.days), 0)).where(
            *_companion_filter(county_id, year, term), Activity.school_id == school.id
        )
    ).one()
    return int(total)


def companion_schools_reached(
    session: Session, county_id: int, year: int, semester: str, rules
) -> int:
    """Schools whose 入校入班 days in `semester` reached the year's minimum (一學期 3 日)."""
    per_school = session.exec(
        select(func.sum(Activity.days))
        .where(*_companion_filter(county_id, year, semester))
        .group_by(Activity.school_id)
    ).all()
    return sum(1 for days in per_school if reached_companion_days(int(days), rules))


# ------------------------------------------------------------------ closing milestones
# The target each cumulative kind counts toward: its milestones close once it is reached.
CUMULATIVE = {
    ActivityKind.workshop: "workshop_teachers",
    ActivityKind.literacy_training: "literacy_teachers",
    ActivityKind.guideline_workshop: "guideline_workshops",
    ActivityKind.parent_session: "parent_sessions",
    ActivityKind.outcome_sampling: "sampled_schools",
}


def _open(activity: Activity, kind: str):
    return (
        select(Milestone)
        .where(
            Milestone.county_id == activity.county_id,
            Milestone.year == activity.year,
            Milestone.kind == kind,
            col(Milestone.done_on).is_(None),
        )
        .order_by(Milestone.due_on, Milestone.id)
    )


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _within(query, start: date, end: date):
    return query.where(Milestone.due_on >= start, Milestone.due_on <= end)


def _to_close(session: Session, activity: Activity, rules: YearRules) -> list[Milestone]:
    kind = ActivityKind(activity.kind)
    if kind == ActivityKind.working_meeting:
        # ≥ 1 a month: a meeting closes its own month's milestone, never another month's;
        # ≥ 4 a year with the ministry's team: each such meeting closes the next one due.
        month = session.exec(_within(_open(activity, kind), *_month(activity.held_on)))
        rows = [month.first()]
        if activity.moe_team:
            rows.append(session.exec(_open(activity, MilestoneKind.moe_team_meeting)).first())
        return [row for row in rows if row is not None]
    if kind == ActivityKind.open_lesson:
        query = _open(activity, kind).where(Milestone.school_id == activity.school_id)
        return list(session.exec(query))
    if kind == ActivityKind.companion_visit:
        return _companion(session, activity, rules)
    key = CUMULATIVE[kind]
    wanted = target_numbers(session, activity.county_id, activity.year, rules)[key]
    if achieved(session, activity.county_id, activity.year, rules, only=key)[key] < wanted:
        return []
    return list(session.exec(_open(activity, kind)))


def _companion(session: Session, activity: Activity, rules: YearRules) -> list[Milestone]:
    """The semester's milestone closes once the office has accompanied enough visits."""
    term: Semester = semester_of(activity.held_on, rules)
    accompanied = session.exec(
        select(func.count()).where(
            *_mine(activity.county_id, activity.year),
            Activity.kind == ActivityKind.companion_visit,
            Activity.semester == term.code,
            col(Activity.office_accompanied),
        )
    ).one()
    if accompanied < rules.targets.companion.office_accompaniment_per_semester_min:
        return []
    # 一學期 3~5 日: a visit counts once its school had the semester's minimum days.
    reached = companion_schools_reached(
        session, activity.county_id, activity.year, term.code, rules
    )
    if reached == 0:
        return []
    query = _within(_open(activity, activity.kind), term.start, term.end)
    return list(session.exec(query))


def close_milestones(session: Session, activity: Activity, rules: YearRules) -> list[Milestone]:
    """Mark done (on the activity's date) what this activity completes; return those."""
    closed = _to_close(session, activity, rules)
    for milestone in closed:
        milestone.done_on = activity.held_on
        milestone.evidence = {**milestone.evidence, "closed_by_activity": activity.id}
        session.add(milestone)
    return closed


# ------------------------------------------------------------------ opening milestones
@dataclass(frozen=True)
class Due:
    kind: MilestoneKind
    title: str
    due_on: date
    school_id: int | None = None


# Kinds with several milestones per plan, told apart by their due date (one a month,
# one a semester) or by their ordinal title (第1次…第4次, as the demo data names them).
BY_DUE_DATE = frozenset({MilestoneKind.working_meeting, MilestoneKind.companion_visit})
BY_TITLE = frozenset({MilestoneKind.moe_team_meeting})


def _slot(kind: str, school_id: int | None, due_on: date, title: str) -> tuple:
    if kind in BY_DUE_DATE:
        return (kind, school_id, due_on)
    if kind in BY_TITLE:
        return (kind, school_id, title)
    return (kind, school_id)  # one per plan (or per school): the table's unique key


def _month_ends(start: date, end: date) -> list[date]:
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(_month(day)[1])
        day = out[-1] + timedelta(days=1)
    return out


def year_end(rules: YearRules) -> date:
    """Yearly targets fall due at the end of the programme's calendar year (see below)."""
    return date(rules.period.start.year, 12, 31)


def _roc_month(day: date, rules: YearRules) -> str:
    return f"{day.year - rules.facts.roc_year_offset}年{day.month}月"


def _meeting_dues(rules: YearRules, today: date) -> list[Due]:
    kind = MilestoneKind.working_meeting
    start = max(today, rules.period.start)
    return [
        Due(kind, f"{_roc_month(day, rules)}{kind.title}", day)
        for day in _month_ends(start, rules.period.end)
    ]


def _moe_dues(rules: YearRules, today: date) -> list[Due]:
    """The year's minimum of meetings (伍、三、(二)1「每年至少 4 次」in 113) spread evenly
    over the months left in the year: quarter ends for four approved in January, closer
    together when approved later."""
    kind = MilestoneKind.moe_team_meeting
    spread = rules.targets.moe_team_meetings_min
    months = _month_ends(max(today, rules.period.start), year_end(rules)) or [rules.period.end]
    picks = [months[-(-len(months) * k // spread) - 1] for k in range(1, spread + 1)]
    return [Due(kind, f"第{k}次{kind.title}", day) for k, day in enumerate(picks, start=1)]


def _yearly_dues(rules: YearRules) -> list[Due]:
    kinds = (
        MilestoneKind.parent_session,
        MilestoneKind.literacy_training,
        MilestoneKind.workshop,
        MilestoneKind.guideline_workshop,
        MilestoneKind.outcome_sampling,
    )
    return [Due(kind, kind.title, year_end(rules)) for kind in kinds]


def _companion_dues(rules: YearRules, today: date) -> list[Due]:
    kind = MilestoneKind.companion_visit
    return [
        Due(kind, f"{term.label}{kind.title}", term.end)
        for term in plan_semesters(rules)
        if term.end >= today
    ]


def _school_dues(schools: list[School], rules: YearRules) -> list[Due]:
    kind = MilestoneKind.open_lesson
    return [Due(kind, f"{s.name} {kind.title}", year_end(rules), s.id) for s in schools]


def _owner(session: Session, county_id: int) -> int | None:
    return session.exec(
        select(User.id)
        .where(User.county_id == county_id, User.role == Role.county_staff, col(User.active))
        .order_by(User.id)
    ).first()


def open_plan_milestones(
    session: Session, plan: Plan, rules: YearRules, today: date
) -> list[Milestone]:
    """The milestones an approved plan opens, minus those that already exist; unsaved.

    Per-school open lessons and the other yearly targets fall due on 12-31 of the
    programme year, not at the plan's end (2025-01-31): the source counts them per year
    (「每校每年至少辦理 1 場」, 「每校 113 年累計」, 「每年培訓教師數」) and the accounting
    year is the calendar year; the plan's January is for closing the books.
    """
    schools = session.exec(
        select(School)
        .where(School.county_id == plan.county_id, School.year == plan.year)
        .order_by(School.seq, School.id)
    ).all()
    dues = _school_dues(list(schools), rules) + _meeting_dues(rules, today)
    dues += _moe_dues(rules, today) + _yearly_dues(rules) + _companion_dues(rules, today)
    existing = session.exec(
        select(Milestone.kind, Milestone.school_id, Milestone.due_on, Milestone.title).where(
            Milestone.subject_type == ItemType.plan, Milestone.subject_id == plan.id
        )
    )
    taken = {_slot(*row) for row in existing}
    owner = _owner(session, plan.county_id)
    out = []
    for due in dues:
        slot = _slot(due.kind.value, due.school_id, due.due_on, due.title)
        if slot in taken:
            continue
        taken.add(slot)
        out.append(_milestone(plan, due, owner))
    return out


def _milestone(plan: Plan, due: Due, owner: int | None) -> Milestone:
    return Milestone(
        county_id=plan.county_id,
        year=plan.year,
        kind=due.kind.value,
        title=due.title,
        subject_type=ItemType.plan.value,
        subject_id=plan.id,
        school_id=due.school_id,
        owner_id=owner,
        due_on=due.due_on,
    )
