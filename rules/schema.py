"""Validated, frozen models of one year's rules file, and the loader.

A new year needs only a new `rules/<year>.toml`; nothing here names a year.
"""

from __future__ import annotations

import tomllib
from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from rules.errors import RulesFileError

RULES_DIR = Path(__file__).resolve().parent

# Strict so that 1.5, true or "600000" in a rules file is an error, not a silent cast.
Money = Annotated[int, Strict(), Field(ge=0)]
Count = Annotated[int, Strict(), Field(ge=0)]
Positive = Annotated[int, Strict(), Field(ge=1)]
BasisPoints = Annotated[int, Strict(), Field(ge=0, le=10000)]
Day = Annotated[date, Strict(), Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Rounding = Literal["ceil", "floor"]
SchoolLevel = Literal["國小", "國中", "高中"]
Role = Literal["teacher", "school_admin", "office_member"]
EscalationTarget = Literal["owner", "county_supervisor", "ministry"]
ProcurementMethod = Literal["small_purchase", "three_quotes", "open", "selective", "restricted"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Max = TypeVar("_Max", int, int | None)


def _check_max(value: _Max, info: ValidationInfo, min_field: str) -> _Max:
    low = info.data.get(min_field)
    if value is not None and low is not None and value < low:
        raise ValueError(f"上限 {value} 小於下限 {min_field} = {low}")
    return value


def _check_contiguous(bands: Sequence[BaseModel], low: str, high: str) -> None:
    """Bands must start at the first value, touch each other and end open."""
    for before, after in pairwise(bands):
        end = getattr(before, high)
        if end is None or getattr(after, low) != end + 1:
            raise ValueError(f"區間不連續: {end} 之後應接 {low} = {(end or 0) + 1}")
    if getattr(bands[-1], high) is not None:
        raise ValueError("最後一個區間不可設上限 (須涵蓋以上所有數量)")


# ------------------------------------------------------------------ period and facts
class Period(_Frozen):
    start: Day
    end: Day

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError(f"結束日 {value} 早於開始日 {start}")
        return value


class Facts(_Frozen):
    roc_year_offset: Positive
    school_year_start_month: Annotated[Positive, Field(le=12)]
    school_year_start_day: Annotated[Positive, Field(le=31)]
    subsidy_ratio_bp: BasisPoints


# ------------------------------------------------------------------ budget
class StaffBand(_Frozen):
    min_schools: Positive
    max_schools: Positive | None = None
    persons: Count

    @field_validator("max_schools")
    @classmethod
    def _ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _check_max(value, info, "min_schools")


class AdminStaff(_Frozen):
    per_person: Money
    bands: tuple[StaffBand, ...] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _contiguous(cls, bands: tuple[StaffBand, ...]) -> tuple[StaffBand, ...]:
        if bands[0].min_schools != 1:
            raise ValueError("第一個區間須從 1 校開始")
        _check_contiguous(bands, "min_schools", "max_schools")
        return bands


class PerSchoolsStaff(_Frozen):
    per_person: Money
    schools_per_person: Positive
    rounding: Rounding


class CappedPerSchoolsStaff(PerSchoolsStaff):
    max_persons: Count


class MonthlyRange(_Frozen):
    min_monthly: Money
    max_monthly: Money

    @field_validator("max_monthly")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        return _check_max(value, info, "min_monthly")


class SubstituteTeaching(_Frozen):
    nhi_premium_bp: BasisPoints
    nhi_rounding: Literal["half_up"]
    every_school: StrictBool
    rates: dict[SchoolLevel, Money]

    @field_validator("rates")
    @classmethod
    def _all_levels(cls, rates: dict[str, int]) -> dict[str, int]:
        missing = set(get_args(SchoolLevel)) - set(rates)
        if missing:
            raise ValueError(f"缺少學制的鐘點費: {'、'.join(sorted(missing))}")
        return rates


class TeacherTraining(_Frozen):
    per_session: Money


class OfficeOperations(_Frozen):
    base: Money
    base_schools: Count
    per_extra_school: Money
    cap: Money

    @field_validator("cap")
    @classmethod
    def _cap_covers_base(cls, value: int, info: ValidationInfo) -> int:
        return _check_max(value, info, "base")


class SchoolCompanion(_Frozen):
    per_school: Money
    within_office_cap: StrictBool


class Mdm(_Frozen):
    licence_years: Positive


class DigitalContent(_Frozen):
    per_head: Money
    may_flow_to_other_items: StrictBool
    may_buy_hardware: StrictBool  # the one setting for 陸、二、(二)5.(2); purchase.no_hardware


class Administration(_Frozen):
    threshold: Money
    low_rate_bp: BasisPoints
    high_rate_bp: BasisPoints
    cap: Money
    rounding: Literal["floor"]


class Budget(_Frozen):
    admin_staff: AdminStaff
    counseling_staff: PerSchoolsStaff
    it_staff: CappedPerSchoolsStaff
    part_time_pi: MonthlyRange
    part_time_co_pi: MonthlyRange
    substitute_teaching: SubstituteTeaching
    teacher_training: TeacherTraining
    office_operations: OfficeOperations
    school_companion: SchoolCompanion
    mdm: Mdm
    digital_content: DigitalContent
    administration: Administration


# ------------------------------------------------------------------ targets
class Companion(_Frozen):
    days_per_semester_min: Positive
    days_per_semester_max: Positive
    office_accompaniment_per_semester_min: Count

    @field_validator("days_per_semester_max")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        return _check_max(value, info, "days_per_semester_min")


class Sampling(_Frozen):
    levels: tuple[SchoolLevel, ...] = Field(min_length=1)
    schools_bp: BasisPoints
    classes_per_school_min: Positive
    senior_high_numerator: Count
    senior_high_denominator: Positive

    @field_validator("senior_high_denominator")
    @classmethod
    def _proper_fraction(cls, value: int, info: ValidationInfo) -> int:
        return _check_max(value, info, "senior_high_numerator")


class Devices(_Frozen):
    remote_devices_per_person: Positive
    remote_includes_teachers: StrictBool
    classes_per_class_set: Positive
    class_set_rounding: Rounding


class Targets(_Frozen):
    remote_one_device_bp: BasisPoints
    non_remote_class_set_bp: BasisPoints
    moe_team_meetings_min: Count
    working_meetings_per_month_min: Count
    months_per_year: Annotated[Positive, Field(le=12)]
    open_lessons_per_school_min: Count
    self_learning_open_lessons_bp: BasisPoints
    key_schools_bp: BasisPoints
    parent_sessions_min: Count
    workshop_teachers_bp: BasisPoints
    workshop_counted_from_year: Positive
    literacy_teachers_bp: BasisPoints
    literacy_hours_min: Count
    guideline_workshops: Count
    devices: Devices
    companion: Companion
    sampling: Sampling


# ------------------------------------------------------------------ software purchase
class Meeting(_Frozen):
    public: StrictBool
    min_attendees_by_role: dict[Role, Count] = Field(min_length=1)


class DatedRule(_Frozen):
    date: Day
    roll_to_working_day: StrictBool


class Software(_Frozen):
    approved_list_name: Annotated[StrictStr, Field(min_length=1)]
    data_clause_products: tuple[StrictStr, ...]
    data_clause_text: Annotated[StrictStr, Field(min_length=1)]
    meeting: Meeting
    disbursement_deadline: DatedRule


class Settlement(DatedRule):
    months_after_plan_end: Positive


# ------------------------------------------------------------------ reimbursement, procurement
class TrancheBand(_Frozen):
    min_plan: Money
    max_plan: Money | None = None
    first_tranche_max_bp: BasisPoints
    holdback_min_bp: BasisPoints

    @field_validator("max_plan")
    @classmethod
    def _ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _check_max(value, info, "min_plan")


class Disbursement(_Frozen):
    # One set of bands per year: the loader refuses bands that start after the plan does.
    effective_from: Day
    bands: tuple[TrancheBand, ...] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _contiguous(cls, bands: tuple[TrancheBand, ...]) -> tuple[TrancheBand, ...]:
        if bands[0].min_plan != 0:
            raise ValueError("第一個區間須從 0 元開始")
        _check_contiguous(bands, "min_plan", "max_plan")
        return bands

    def band_for(self, plan_amount: int) -> TrancheBand:
        return next(b for b in reversed(self.bands) if plan_amount >= b.min_plan)


class Capital(_Frozen):
    min_life_years: Positive
    min_unit_cost: Money
    includes_software: StrictBool


class ProcurementMethods(_Frozen):
    """The methods allowed in each band of the 採購金額."""

    small: tuple[ProcurementMethod, ...] = Field(min_length=1)
    below_announcement: tuple[ProcurementMethod, ...] = Field(min_length=1)
    announced: tuple[ProcurementMethod, ...] = Field(min_length=1)


ProcurementBandName = Literal["small", "below_announcement", "announced"]


class Procurement(_Frozen):
    effective_from: Day
    small_purchase_max: Money
    announcement_threshold: Money
    county_small_purchase_max: dict[StrictStr, Money]
    reason_required: tuple[ProcurementMethod, ...]
    methods: ProcurementMethods

    @field_validator("announcement_threshold")
    @classmethod
    def _above_small(cls, value: int, info: ValidationInfo) -> int:
        small = info.data.get("small_purchase_max")
        if small is not None and value <= small:
            raise ValueError(f"公告金額 {value} 須大於小額採購上限 {small}")
        return value

    @field_validator("county_small_purchase_max")
    @classmethod
    def _lower_caps(cls, caps: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        # §47 III: a county may lower the cap, never raise it.
        small = info.data.get("small_purchase_max")
        for county, cap in caps.items():
            if small is not None and cap > small:
                raise ValueError(f"{county} 的小額採購上限 {cap} 不得高於 {small}")
        return caps

    def small_cap(self, county: str | None = None) -> int:
        return self.county_small_purchase_max.get(county or "", self.small_purchase_max)

    def band_for(self, amount: int, county: str | None = None) -> ProcurementBandName:
        """The band of a 採購金額 (never of the award amount)."""
        if amount <= self.small_cap(county):
            return "small"
        if amount < self.announcement_threshold:
            return "below_announcement"
        return "announced"

    def allowed_methods(self, amount: int, county: str | None = None) -> tuple[str, ...]:
        methods: tuple[str, ...] = getattr(self.methods, self.band_for(amount, county))
        return methods

    def in_force(self, day: date) -> bool:
        """The bands judge awards made on or after effective_from, never earlier ones."""
        return day >= self.effective_from

    def method_allowed(self, amount: int, method: str, county: str | None = None) -> bool:
        return method in self.allowed_methods(amount, county)

    def needs_reason(self, method: str) -> bool:
        return method in self.reason_required


# ------------------------------------------------------------------ calendar, reminders
class CalendarRules(_Frozen):
    first_year: Annotated[Positive, Field(ge=2000, le=2100)]
    last_year: Annotated[Positive, Field(ge=2000, le=2100)]
    holidays: tuple[Day, ...]
    makeup_workdays: tuple[Day, ...]

    @field_validator("last_year")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        return _check_max(value, info, "first_year")

    @field_validator("holidays", "makeup_workdays")
    @classmethod
    def _inside_years(cls, days: tuple[date, ...], info: ValidationInfo) -> tuple[date, ...]:
        first, last = info.data.get("first_year"), info.data.get("last_year")
        for day in days:
            if first is not None and last is not None and not first <= day.year <= last:
                raise ValueError(f"{day} 不在 {first}–{last} 年之間")
        return days

    @field_validator("makeup_workdays")
    @classmethod
    def _weekend_only(cls, days: tuple[date, ...], info: ValidationInfo) -> tuple[date, ...]:
        for day in days:
            if day.weekday() < 5:
                raise ValueError(f"補行上班日 {day} 不是週六或週日")
            if day in info.data.get("holidays", ()):
                raise ValueError(f"{day} 不可既是放假日又是補行上班日")
        return days


class EscalationStep(_Frozen):
    to: EscalationTarget
    after_working_days: Count


class Reminders(_Frozen):
    offsets_working_days: tuple[Positive, ...] = Field(min_length=1)
    escalation: tuple[EscalationStep, ...] = Field(min_length=1)

    @field_validator("offsets_working_days")
    @classmethod
    def _descending(cls, offsets: tuple[int, ...]) -> tuple[int, ...]:
        if any(a <= b for a, b in pairwise(offsets)):
            raise ValueError("提醒天數須由大到小且不重複")
        return offsets

    @field_validator("escalation")
    @classmethod
    def _ascending(cls, steps: tuple[EscalationStep, ...]) -> tuple[EscalationStep, ...]:
        days = [s.after_working_days for s in steps]
        if any(a >= b for a, b in pairwise(days)):
            raise ValueError("逾期通報天數須由小到大且不重複")
        return steps


# ------------------------------------------------------------------ the previous year's results
class ResultRowRule(_Frozen):
    key: Annotated[StrictStr, Field(pattern=r"^[a-z_]+$")]
    label: Annotated[StrictStr, Field(min_length=1)]
    unit: StrictStr
    target: Count | None = None  # the template's 目標值; None = 依縣市規劃


class PreviousResults(_Frozen):
    """附件 肆、一: the table of the year before, as this year's template prints it."""

    year: Positive
    rows: tuple[ResultRowRule, ...] = Field(min_length=1)

    @field_validator("rows")
    @classmethod
    def _unique(cls, rows: tuple[ResultRowRule, ...]) -> tuple[ResultRowRule, ...]:
        keys = [r.key for r in rows]
        if len(set(keys)) != len(keys):
            raise ValueError("項目 key 不可重複")
        return rows


class ReportingDate(_Frozen):
    """A date the ministry announces (「另行公布」): absent until known, then set in the app."""

    date: Day | None = None
    roll_to_working_day: StrictBool


class Reporting(_Frozen):
    plan_submission: ReportingDate
    progress_report: ReportingDate
    results_report: ReportingDate


class SourceQuotes(_Frozen):
    """Sentences of the source quoted verbatim where a refusal needs the source's words."""

    sampling_schools: Annotated[StrictStr, Field(min_length=1)]


# ------------------------------------------------------------------ the year
class YearRules(_Frozen):
    year: Annotated[Positive, Field(ge=100, le=200)]
    period: Period
    facts: Facts
    budget: Budget
    targets: Targets
    software: Software
    settlement: Settlement
    disbursement: Disbursement
    capital: Capital
    procurement: Procurement
    calendar: CalendarRules
    reminders: Reminders
    previous_results: PreviousResults
    reporting: Reporting
    source_quotes: SourceQuotes


# ------------------------------------------------------------------ loading
_PROBLEMS = {
    "missing": "缺少此設定",
    "extra_forbidden": "不認得的設定 (拼錯或多餘)",
    "int_type": "須為整數 (不可為小數、布林值或文字)",
    "bool_type": "須為 true 或 false",
    "string_type": "須為文字",
    "date_type": "須為日期 (YYYY-MM-DD)",
    "greater_than_equal": "數值過小",
    "less_than_equal": "數值過大",
    "literal_error": "不是允許的值",
}


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(整個檔案)"


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    text = _PROBLEMS.get(kind)
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    if text is None:
        return error["msg"]
    if kind in ("missing", "extra_forbidden"):
        return text
    return f"{text} (目前是 {error['input']!r})"


def _label(path: Path) -> str:
    return f"rules/{path.name}"


def load_rules_file(path: Path | str) -> YearRules:
    """Read and validate one rules file; every failure names the offending key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesFileError("(檔案)", f"找不到規則檔 {path}", _label(path)) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesFileError("(檔案)", f"無法讀取規則檔: {exc}", _label(path)) from None
    try:
        rules = YearRules.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesFileError(_dotted(first["loc"]), _problem(first), _label(path)) from None
    _cross_check(rules, _label(path))
    return rules


def add_months(day: date, months: int) -> date:
    """`day` plus whole months; a month's last day stays a last day (2025-01-31 + 2 = 03-31),
    any other day keeps its number, shortened to the month's end when the month is short."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = monthrange(year, month + 1)[1]
    at_end = day.day == monthrange(day.year, day.month)[1]
    return date(year, month + 1, last if at_end else min(day.day, last))


def _cross_check(rules: YearRules, label: str) -> None:
    """Facts that span sections: deadlines must sit where the calendar can judge them."""
    _check_settlement_months(rules, label)
    _check_bands_in_force(rules, label)
    _check_quotes(rules, label)
    period, cal = rules.period, rules.calendar
    checks = (
        (
            "software.disbursement_deadline.date",
            rules.software.disbursement_deadline.date,
            period.start,
            period.end,
            "須在計畫期程內",
        ),
        (
            "settlement.date",
            rules.settlement.date,
            period.end,
            date(cal.last_year, 12, 31),
            "須在計畫結束之後且在工作日曆涵蓋的年份內",
        ),
        (
            "calendar.first_year",
            date(cal.first_year, 12, 31),
            period.start,
            date.max,
            "工作日曆須涵蓋計畫開始的年份",
        ),
    )
    for key, day, low, high, problem in checks:
        if not low <= day <= high:
            raise RulesFileError(key, f"{problem} (目前是 {day})", label)


def _check_quotes(rules: YearRules, label: str) -> None:
    # The quote is shown beside the number the program checks: they must agree.
    bp = rules.targets.sampling.schools_bp
    shown = f"{bp / 100:g}%"
    if shown not in rules.source_quotes.sampling_schools:
        raise RulesFileError(
            "source_quotes.sampling_schools",
            f"引文須含 targets.sampling.schools_bp 的 {shown}",
            label,
        )


def _check_settlement_months(rules: YearRules, label: str) -> None:
    # The date and the months are one fact written twice; they must not disagree.
    months = rules.settlement.months_after_plan_end
    expected = add_months(rules.period.end, months)
    if rules.settlement.date != expected:
        raise RulesFileError(
            "settlement.date",
            f"須為計畫結束日 {rules.period.end} 後 {months} 個月，即 {expected} "
            f"(目前是 {rules.settlement.date})",
            label,
        )


def _check_bands_in_force(rules: YearRules, label: str) -> None:
    # Tranche bands are looked up by plan amount alone, so they must govern the whole plan.
    start = rules.disbursement.effective_from
    if start > rules.period.start:
        raise RulesFileError(
            "disbursement.effective_from",
            f"撥款級距須在計畫開始日 {rules.period.start} 前已施行 (目前是 {start})；"
            "同一年度不能前後適用兩套級距",
            label,
        )


def default_directory() -> Path:
    """Where the yearly files live: `rules/` beside this module, or JINGJIN_RULES_DIR."""
    # Imported here: the settings read the environment, the formulas above never do.
    from config.settings import get_settings

    return get_settings().rules_dir or RULES_DIR


def _directory(directory: Path | str | None) -> Path:
    return (default_directory() if directory is None else Path(directory)).resolve()


def rules_path(year: int, directory: Path | str | None = None) -> Path:
    return _directory(directory) / f"{year}.toml"


def load_rules(year: int, directory: Path | str | None = None) -> YearRules:
    """The validated rules of `year` (ROC year, e.g. 113), read once per directory."""
    return _load_cached(year, _directory(directory))


@cache
def _load_cached(year: int, directory: Path) -> YearRules:
    path = directory / f"{year}.toml"
    if not path.is_file():
        known = "、".join(str(y) for y in available_years(directory)) or "無"
        raise RulesFileError(
            "(檔案)",
            f"沒有 {year} 年度的規則檔（{path}），此年度無法使用；"
            f"已有規則的年度：{known}。新年度須由教育部系統管理者先建立規則檔，"
            f"再以「jingjin rules check {year}」檢查。",
            _label(path),
        )
    rules = load_rules_file(path)
    if rules.year != year:
        raise RulesFileError("year", f"檔名是 {year} 年度，內容卻寫 {rules.year}", _label(path))
    return rules


def available_years(directory: Path | str | None = None) -> list[int]:
    """ROC years that have a rules file, ascending."""
    found = (p.stem for p in _directory(directory).glob("*.toml"))
    return sorted(int(stem) for stem in found if stem.isdigit())
