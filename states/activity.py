"""Activities that count toward a plan's targets (伍、三; 附件 陸、一): what each kind
records and the rules a record must pass before it is stored.

Pure: the guards read an ActivityContext and return a zh-TW sentence or None; the service
in workflow/activities.py looks up the school, runs them all and refuses with every one.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from rules import YearRules
from rules.school_targets import WORKSHOP_PARTS
from states.evidence import is_whole
from states.steps import COUNTY_ROLES, Step, rule
from states.workshop import parse_attendees
from vocab.display import percent, roc_date
from vocab.milestone_kinds import MilestoneKind


class ActivityKind(StrEnum):
    """An activity's kind is the milestone kind it moves, so the two never drift apart."""

    working_meeting = MilestoneKind.working_meeting.value
    open_lesson = MilestoneKind.open_lesson.value
    workshop = MilestoneKind.workshop.value
    literacy_training = MilestoneKind.literacy_training.value
    guideline_workshop = MilestoneKind.guideline_workshop.value
    parent_session = MilestoneKind.parent_session.value
    companion_visit = MilestoneKind.companion_visit.value
    outcome_sampling = MilestoneKind.outcome_sampling.value


COUNT_FIELDS = ("teachers", "hours", "participants", "days", "classes")
FLAG_FIELDS = ("moe_team", "self_learning_festival", "office_accompanied")
FIELD_LABELS = {
    "teachers": "受訓教師數",
    "hours": "每人研習時數",
    "participants": "參與人次",
    "days": "入校入班日數",
    "classes": "抽樣班級數",
    "moe_team": "教育部輔導團隊主持人/協同主持人是否與會",
    "self_learning_festival": "是否為自主學習節場次",
    "office_accompanied": "推動辦公室人員是否陪同",
}


@dataclass(frozen=True)
class KindSpec:
    label: str
    per_school: bool  # the school is part of the record (and of its milestone)
    required: frozenset[str] = frozenset()  # counts that must be given
    optional: frozenset[str] = frozenset()  # counts that may be given
    flags: frozenset[str] = frozenset()

    @property
    def counts(self) -> frozenset[str]:
        return self.required | self.optional


_PEOPLE = frozenset({"participants"})
# Keyed by the kind's value too: a draft's kind is the string as typed.
SPECS: dict[str, KindSpec] = {
    ActivityKind.working_meeting: KindSpec(
        "推動辦公室工作會議", False, optional=_PEOPLE, flags=frozenset({"moe_team"})
    ),
    ActivityKind.open_lesson: KindSpec(
        "數位學習模式公開觀議課",
        True,
        optional=_PEOPLE,
        flags=frozenset({"self_learning_festival"}),
    ),
    # The teachers trained are the attendees listed (states/workshop.py), not a typed count.
    ActivityKind.workshop: KindSpec("數位學習工作坊(一)(二)", False),
    ActivityKind.literacy_training: KindSpec(
        "數位素養增能培訓", False, frozenset({"teachers", "hours"})
    ),
    ActivityKind.guideline_workshop: KindSpec(
        "數位教學指引(2.0)培力工作坊", False, optional=_PEOPLE
    ),
    ActivityKind.parent_session: KindSpec("家長宣講", False, optional=_PEOPLE),
    ActivityKind.companion_visit: KindSpec(
        "入校入班(手把手)陪伴", True, frozenset({"days"}), flags=frozenset({"office_accompanied"})
    ),
    ActivityKind.outcome_sampling: KindSpec("學習成效抽樣", True, frozenset({"classes"})),
}

RECORD_STEP = Step(event="record_activity", title="登錄績效活動", roles=COUNTY_ROLES)
EVIDENCE_MAX = 500
SHA256 = re.compile(r"[0-9a-f]{64}")
SEMESTER = re.compile(r"(\d{2,3})-([12])")


# ------------------------------------------------------------------ semesters
@dataclass(frozen=True)
class Semester:
    """A school-year semester, e.g. 113-1 = 113學年度第1學期 (2024-08-01 … 2025-01-31)."""

    code: str
    start: date
    end: date

    @property
    def label(self) -> str:
        year, half = self.code.split("-")
        return f"{year}學年度第{half}學期"


def _first_of(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def semester(school_year: int, half: int, rules: YearRules) -> Semester:
    """The second semester starts six months after the school year (8/1 → 2/1)."""
    facts = rules.facts
    gregorian = school_year + facts.roc_year_offset
    month = facts.school_year_start_month
    start = date(gregorian, month, facts.school_year_start_day)
    second = _first_of(gregorian, month + 6)
    if half == 1:
        return Semester(f"{school_year}-1", start, _day_before(second))
    following = date(gregorian + 1, month, facts.school_year_start_day)
    return Semester(f"{school_year}-2", second, _day_before(following))


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def semester_of(day: date, rules: YearRules) -> Semester:
    facts = rules.facts
    start_this_year = date(day.year, facts.school_year_start_month, facts.school_year_start_day)
    school_year = day.year - facts.roc_year_offset - (0 if day >= start_this_year else 1)
    first = semester(school_year, 1, rules)
    return first if first.start <= day <= first.end else semester(school_year, 2, rules)


def plan_semesters(rules: YearRules) -> list[Semester]:
    """Semesters that begin inside the plan period (113: 112-2 and 113-1)."""
    out, day = [], rules.period.start
    while day <= rules.period.end:
        current = semester_of(day, rules)
        if current.start >= rules.period.start and current not in out:
            out.append(current)
        day = _day_after(current.end)
    return out


def _day_after(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


# ------------------------------------------------------------------ what the guards read
@dataclass(frozen=True)
class ActivityDraft:
    """One activity as typed in; None means 'not given'."""

    kind: str
    held_on: date
    evidence_ref: str
    school_code: str | None = None
    semester: str | None = None
    evidence_sha256: str | None = None
    counts: dict[str, object] = field(default_factory=dict)
    flags: dict[str, object] = field(default_factory=dict)
    # 數位學習工作坊 only: the parts held ((一) 1, (二) 2) and the sign-in sheet's text.
    parts: tuple[object, ...] = ()
    attendees: str | None = None

    @property
    def spec(self) -> KindSpec | None:
        return SPECS.get(self.kind)


@dataclass(frozen=True)
class ActivityContext:
    draft: ActivityDraft
    rules: YearRules
    today: date
    school_in_county: bool  # the code is one of the county's schools in the year's list
    # 入校入班 days already recorded for the draft's school in the draft's semester.
    companion_days_before: int = 0


# ------------------------------------------------------------------ guards
@rule("activity.kind")
def known_kind(ctx: ActivityContext) -> str | None:
    if ctx.draft.spec is not None:
        return None
    kinds = "、".join(f"{k.value}（{SPECS[k].label}）" for k in ActivityKind)
    return f"沒有「{ctx.draft.kind}」這種活動。可登錄的活動：{kinds}"


@rule("activity.date_in_period")
def date_in_period(ctx: ActivityContext) -> str | None:
    start, end, day = ctx.rules.period.start, ctx.rules.period.end, ctx.draft.held_on
    if start <= day <= end:
        return None
    return (
        f"辦理日期 {roc_date(day)} 不在 {ctx.rules.year} 年度計畫期程 "
        f"{roc_date(start)}–{roc_date(end)} 內，不能計入本年度績效。"
    )


@rule("activity.date_not_future")
def date_not_future(ctx: ActivityContext) -> str | None:
    if ctx.draft.held_on <= ctx.today:
        return None
    return f"辦理日期 {roc_date(ctx.draft.held_on)} 尚未到來；活動辦理完畢後才能登錄。"


@rule("activity.school_required")
def school_required(ctx: ActivityContext) -> str | None:
    spec = ctx.draft.spec
    if spec is None or not spec.per_school or (ctx.draft.school_code or "").strip():
        return None
    return f"「{spec.label}」須填寫辦理學校的學校代碼。"


@rule("activity.school_in_county")
def school_in_county(ctx: ActivityContext) -> str | None:
    code = (ctx.draft.school_code or "").strip()
    if not code or ctx.school_in_county:
        return None
    return f"學校代碼 {code} 不在本縣市 {ctx.rules.year} 年度的學校名單（附錄）中。"


@rule("activity.counts")
def counts_valid(ctx: ActivityContext) -> str | None:
    spec = ctx.draft.spec
    if spec is None:
        return None
    counts = ctx.draft.counts
    problems = [f"請填寫{FIELD_LABELS[n]}" for n in sorted(spec.required) if counts.get(n) is None]
    problems += [
        f"{FIELD_LABELS[n]}須為不小於 0 的整數（收到 {counts[n]!r}）"
        for n in COUNT_FIELDS
        if counts.get(n) is not None and not is_whole(counts[n])
    ]
    problems += [
        f"「{spec.label}」不需填寫{FIELD_LABELS[n]}"
        for n in COUNT_FIELDS
        if counts.get(n) is not None and n not in spec.counts
    ]
    problems += _minimums(ctx)
    return "；".join(problems) + "。" if problems else None


def _minimums(ctx: ActivityContext) -> list[str]:
    kind, counts = ctx.draft.kind, ctx.draft.counts
    least = ctx.rules.targets.sampling.classes_per_school_min
    classes = counts.get("classes")
    if kind == ActivityKind.outcome_sampling and is_whole(classes) and classes < least:
        return [f"成效抽樣每校至少 {least} 班（收到 {classes} 班）"]
    days = counts.get("days")
    if kind == ActivityKind.companion_visit and is_whole(days) and days < 1:
        return ["入校入班日數至少 1 日"]
    return []


@rule("activity.companion_days")
def companion_days(ctx: ActivityContext) -> str | None:
    """伍、三、(三)1.(4)A「一學期 3~5 日」: a school's semester may not exceed the maximum."""
    days = ctx.draft.counts.get("days")
    if ctx.draft.kind != ActivityKind.companion_visit or not is_whole(days):
        return None
    most = ctx.rules.targets.companion.days_per_semester_max
    total = ctx.companion_days_before + days
    if total <= most:
        return None
    term = semester_of(ctx.draft.held_on, ctx.rules)
    return (
        f"學校 {ctx.draft.school_code} {term.label}已登錄入校入班 {ctx.companion_days_before} 日，"
        f"加上本次 {days} 日共 {total} 日，超過每學期至多 {most} 日。"
    )


def reached_companion_days(days: int, rules: YearRules) -> bool:
    """A school counts toward a semester's companionship once it has the minimum days."""
    return days >= rules.targets.companion.days_per_semester_min


@rule("activity.flags")
def flags_valid(ctx: ActivityContext) -> str | None:
    spec = ctx.draft.spec
    if spec is None:
        return None
    flags = ctx.draft.flags
    problems = [
        f"{FIELD_LABELS[n]}只能填「是」或「否」"
        for n in FLAG_FIELDS
        if flags.get(n) is not None and not isinstance(flags[n], bool)
    ]
    problems += [
        f"「{spec.label}」沒有「{FIELD_LABELS[n]}」這一欄"
        for n in FLAG_FIELDS
        if flags.get(n) is not None and n not in spec.flags
    ]
    return "；".join(problems) + "。" if problems else None


@rule("activity.semester")
def semester_matches(ctx: ActivityContext) -> str | None:
    given = ctx.draft.semester
    if given is None:
        return None
    if ctx.draft.kind != ActivityKind.companion_visit:
        return "只有入校入班陪伴需要填寫學期。"
    if not SEMESTER.fullmatch(given):
        return f"學期「{given}」的格式不對，請寫成「學年度-學期」，例如 113-1。"
    actual = semester_of(ctx.draft.held_on, ctx.rules)
    if given == actual.code:
        return None
    return (
        f"辦理日期 {roc_date(ctx.draft.held_on)} 屬於 {actual.label}（{actual.code}），"
        f"與填寫的學期 {given} 不符。"
    )


@rule("activity.workshop_attendees")
def workshop_attendees(ctx: ActivityContext) -> str | None:
    """The teachers a workshop trained are counted from its sign-in sheet, per school."""
    draft = ctx.draft
    if draft.kind != ActivityKind.workshop:
        if draft.parts or (draft.attendees or "").strip():
            return "只有數位學習工作坊需要填寫場次別與出席教師。"
        return None
    problems = []
    if not draft.parts:
        problems.append("請選擇場次別：數位學習工作坊(一)、(二)或(一)及(二)")
    elif any(part not in WORKSHOP_PARTS for part in draft.parts):
        problems.append(f"場次別只能是 (一) 或 (二)（收到 {list(draft.parts)!r}）")
    attendees, bad = parse_attendees(draft.attendees or "")
    problems += bad
    if not attendees and not bad:
        problems.append(
            "請填寫出席教師，每行一位：學校代碼 姓名（可由簽到表貼上；"
            "請於「各校目標達成情形」頁登錄工作坊出席名單）"
        )
    return "；".join(problems) + "。" if problems else None


@rule("activity.evidence")
def evidence_given(ctx: ActivityContext) -> str | None:
    ref, digest = ctx.draft.evidence_ref, ctx.draft.evidence_sha256
    if not isinstance(ref, str) or not ref.strip():
        return "請填寫佐證資料（例如簽到表、會議紀錄的檔名或網址）。"
    if len(ref.strip()) > EVIDENCE_MAX:
        return f"佐證資料說明最多 {EVIDENCE_MAX} 字。"
    if digest is not None and not SHA256.fullmatch(digest):
        return "佐證檔案的雜湊值須為 64 個小寫十六進位字元（SHA-256）。"
    return None


GUARDS = (
    known_kind,
    date_in_period,
    date_not_future,
    school_required,
    school_in_county,
    counts_valid,
    companion_days,
    flags_valid,
    semester_matches,
    workshop_attendees,
    evidence_given,
)


# ------------------------------------------------------------------ rates
def rate_text(achieved: int, target: int) -> str:
    """B/A as a percentage rounded half up to 0.1 % in integer arithmetic (4/6 → 66.7%),
    except that a target not reached never shows as 100.0% (1999/2000 → 99.9%)."""
    if 0 < achieved < target and achieved * 2000 + target >= 2000 * target:
        return "99.9%"
    return percent(achieved, target)
