"""教育部預估補助數 (陸、二): the ministry's estimate, one pure function per item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.errors import InputError
from rules.schema import PerSchoolsStaff, SchoolLevel, YearRules

LEVELS = ("國小", "國中", "高中")


# Exact integer rounding: money and percentages never touch floats.
BP = 10000  # basis points in a whole


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def ceil_ratio(value: int, num: int, den: int) -> int:
    """ceil(value × num / den) for non-negative integers."""
    return -(-value * num // den)


def floor_ratio(value: int, num: int, den: int) -> int:
    return value * num // den


def half_up_ratio(value: int, num: int, den: int) -> int:
    """value × num / den rounded half-up (non-negative inputs)."""
    return (2 * value * num + den) // (2 * den)


def ceil_bp(value: int, bp: int) -> int:
    return ceil_ratio(value, bp, BP)


def _require_count(where: str, value: object) -> int:
    # bool is an int subclass; True schools would be nonsense, so refuse it too.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(where, f"須為整數，收到 {value!r}")
    if value < 0:
        raise InputError(where, f"不可為負數，收到 {value}")
    return value


@dataclass(frozen=True)
class SchoolFacts:
    """One row of the 附錄 school list, as far as the estimate needs it."""

    level: SchoolLevel
    remote: bool
    classes: int
    teachers: int
    students: int

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError("level", f"學制須為 國小、國中 或 高中，收到 {self.level!r}")
        if not isinstance(self.remote, bool):
            raise InputError("remote", f"須為 True 或 False，收到 {self.remote!r}")
        for name in ("classes", "teachers", "students"):
            _require_count(name, getattr(self, name))


# ------------------------------------------------------------------ single formulas
def _persons(n: int, staff: PerSchoolsStaff) -> int:
    if staff.rounding == "ceil":
        return ceil_div(n, staff.schools_per_person)
    return n // staff.schools_per_person


def admin_staff_persons(n: int, rules: YearRules) -> int:
    """Persons for n schools from the bands; 0 schools fall in no band and get none."""
    for band in rules.budget.admin_staff.bands:
        if n >= band.min_schools and (band.max_schools is None or n <= band.max_schools):
            return band.persons
    return 0


def admin_staff(n: int, rules: YearRules) -> int:
    """1a 專任行政人力 (陸、二、(一)1.(5)B)."""
    n = _require_count("schools", n)
    return rules.budget.admin_staff.per_person * admin_staff_persons(n, rules)


def counseling_staff(n: int, rules: YearRules) -> int:
    """1b 專任輔導人力 (5)C."""
    staff = rules.budget.counseling_staff
    return staff.per_person * _persons(_require_count("schools", n), staff)


def it_staff(n: int, rules: YearRules) -> int:
    """1c 專任資訊人力 (5)D, at most max_persons."""
    staff = rules.budget.it_staff
    persons = min(staff.max_persons, _persons(_require_count("schools", n), staff))
    return staff.per_person * persons


def nhi_premium(base: int, rules: YearRules) -> int:
    """二代健保補充保費 on an item total, half-up to whole NT$."""
    base = _require_count("base", base)
    return half_up_ratio(base, rules.budget.substitute_teaching.nhi_premium_bp, BP)


def substitute_teaching_base(
    schools: Sequence[SchoolFacts], periods_per_school: int, rules: YearRules
) -> int:
    rates = rules.budget.substitute_teaching.rates
    return sum(periods_per_school * rates[school.level] for school in schools)


def substitute_teaching(
    schools: Sequence[SchoolFacts], periods_per_school: int, rules: YearRules
) -> int:
    """2 代理代課費: periods × level rate for every school, plus the premium on the total."""
    periods = _require_count("periods_per_school", periods_per_school)
    base = substitute_teaching_base(schools, periods, rules)
    return base + nhi_premium(base, rules)


def teacher_training(workshops: int, rules: YearRules) -> int:
    """3 教師增能研習費 (二)5.(3)."""
    return rules.budget.teacher_training.per_session * _require_count("workshops", workshops)


def office_operations(n: int, rules: YearRules) -> int:
    """4a 推動辦公室運作費 (二)5.(4)A, capped."""
    ops = rules.budget.office_operations
    extra = max(0, _require_count("schools", n) - ops.base_schools)
    return min(ops.cap, ops.base + ops.per_extra_school * extra)


def school_companion(companion_schools: int, rules: YearRules, *, office: int = 0) -> int:
    """4b 入校入班陪伴 (二)5.(4)B: per school, outside 4a's cap unless the year's rules say
    within_office_cap; then 4a (`office`, already capped) and 4b together stay under it."""
    count = _require_count("companion_schools", companion_schools)
    office = _require_count("office", office)
    amount = rules.budget.school_companion.per_school * count
    if not rules.budget.school_companion.within_office_cap:
        return amount
    return min(amount, max(0, rules.budget.office_operations.cap - office))


def mdm_licences(devices: int, mdm_fee: int) -> int:
    """5 MDM 授權: the 4-year licence fee per existing device × devices."""
    return _require_count("devices", devices) * _require_count("mdm_fee", mdm_fee)


def digital_content(schools: Sequence[SchoolFacts], per_head: int) -> int:
    """6 數位內容及教學軟體: per-head rate × (teachers + students)."""
    heads = sum(school.teachers + school.students for school in schools)
    return _require_count("per_head", per_head) * heads


def administration_fee(business: int, rules: YearRules) -> int:
    """7 行政管理費 (四)2 on 業務費 B: 10 % up to the threshold, 5 % above, floored, capped.

    The plan's budget check calls this on the plan's own 經常門 業務費.
    """
    adm = rules.budget.administration
    business = _require_count("business", business)
    low = min(business, adm.threshold)
    high = business - low
    # Floor once on the exact sum so two fractional parts cannot each lose a 元.
    fee = floor_ratio(low * adm.low_rate_bp + high * adm.high_rate_bp, 1, BP)
    return min(adm.cap, fee)


# ------------------------------------------------------------------ the whole estimate
ITEM_KEYS = (
    "admin_staff",
    "counseling_staff",
    "it_staff",
    "substitute_teaching",
    "teacher_training",
    "office_operations",
    "school_companion",
    "mdm_licences",
    "digital_content",
    "administration",
)
BUSINESS_KEYS = (
    "teacher_training",
    "office_operations",
    "school_companion",
    "mdm_licences",
    "digital_content",
)


@dataclass(frozen=True)
class Estimate:
    year: int
    schools: int
    items: dict[str, int] = field(default_factory=dict)

    @property
    def business_total(self) -> int:
        return sum(self.items[key] for key in BUSINESS_KEYS)

    @property
    def total(self) -> int:
        return sum(self.items[key] for key in ITEM_KEYS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "schools": self.schools,
            "items": dict(self.items),
            "business_total": self.business_total,
            "total": self.total,
        }


def estimate(
    schools: Sequence[SchoolFacts],
    rules: YearRules,
    *,
    workshops: int = 0,
    companion_schools: int = 0,
    devices: int = 0,
    mdm_fee: int = 0,
    periods_per_school: int = 0,
    per_head: int | None = None,
) -> Estimate:
    """The ministry's estimate for a county administering `schools`."""
    if any(not isinstance(school, SchoolFacts) for school in schools):
        raise InputError("schools", "每一筆須為 SchoolFacts")
    n = len(schools)
    rate = rules.budget.digital_content.per_head if per_head is None else per_head
    office = office_operations(n, rules)
    items = {
        "admin_staff": admin_staff(n, rules),
        "counseling_staff": counseling_staff(n, rules),
        "it_staff": it_staff(n, rules),
        "substitute_teaching": substitute_teaching(schools, periods_per_school, rules),
        "teacher_training": teacher_training(workshops, rules),
        "office_operations": office,
        "school_companion": school_companion(companion_schools, rules, office=office),
        "mdm_licences": mdm_licences(devices, mdm_fee),
        "digital_content": digital_content(schools, rate),
    }
    business = sum(items[key] for key in BUSINESS_KEYS)
    items["administration"] = administration_fee(business, rules)
    return Estimate(year=rules.year, schools=n, items=items)
