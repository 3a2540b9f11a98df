"""The plan guards by rule id, on plain values: each rule's last allowed value and the next."""

from dataclasses import replace
from datetime import date

import pytest
from guard_cases import Boundary, check

from rules import BUSINESS_KEYS, SchoolFacts, administration_fee, load_rules
from rules.targets import targets as minimum_targets
from states import plan as p
from states.plan import ApprovalLetter, LineFacts, PlanContext
from states.values import BudgetItem
from vocab.outline import PLAN_SECTIONS, section_heading

RULES = load_rules(113)
SCHOOLS = tuple(SchoolFacts("國小", i % 2 == 0, 6, 10, 120) for i in range(6))
AMOUNTS = {
    "admin_staff": (650_000, 0),
    "counseling_staff": (750_000, 0),
    "it_staff": (750_000, 0),
    "substitute_teaching": (60_000, 0),
    "teacher_training": (90_000, 0),
    "office_operations": (600_000, 0),
    "school_companion": (120_000, 0),
    "mdm_licences": (0, 0),
    "digital_content": (300_000, 200_000),
}
STAFFING = {"principal_investigator": (12, 8_000), "co_investigator": (12, 6_000)}
BUSINESS = sum(AMOUNTS[key][0] for key in BUSINESS_KEYS if key in AMOUNTS)
ADMIN_CAP = administration_fee(BUSINESS, RULES)


def _line(item: str) -> LineFacts:
    if item in STAFFING:
        months, rate = STAFFING[item]
        return LineFacts(item, months * rate, months * rate, 0, "", months, rate)
    if item == BudgetItem.administration:
        return LineFacts(item, ADMIN_CAP, ADMIN_CAP, 0)
    recurrent, capital = AMOUNTS[item]
    return LineFacts(item, recurrent + capital, recurrent, capital)


LINES = tuple(_line(item.value) for item in BudgetItem)
GOOD = PlanContext(
    rules=RULES,
    today=date(2024, 2, 1),
    sections={key: "依附件撰寫。" for key in PLAN_SECTIONS},
    schools=SCHOOLS,
    lines=LINES,
    estimate={line.item: line.requested for line in LINES},
    targets=minimum_targets(SCHOOLS, RULES),
    inputs={"periods_per_school": 10},
)


def plan(**change: object) -> PlanContext:
    return replace(GOOD, **change)


def with_line(item: str, **fields: object) -> PlanContext:
    lines = tuple(line._replace(**fields) if line.item == item else line for line in LINES)
    return plan(lines=lines)


def pi_line(rate: int, requested: int) -> PlanContext:
    return with_line("principal_investigator", monthly_rate=rate, recurrent=requested)


OPEN_LESSONS = minimum_targets(SCHOOLS, RULES)["open_lessons"]
SUB = BudgetItem.substitute_teaching.value
LETTER = "臺教資(三)字第1130000001號"


def draft_inputs(inputs: dict[str, object]) -> list:
    """A draft edit's 估算參數, checked before anything is stored."""
    return p.draft_problems(None, None, None, inputs, ("periods_per_school",))


CASES = [
    Boundary(
        "plan.sections_complete",
        p.sections_complete,
        GOOD,
        plan(sections={**GOOD.sections, "work_plan": "  "}),
        (section_heading("work_plan", 113),),
    ),
    Boundary("plan.schools_listed", p.schools_listed, GOOD, plan(schools=()), ("113",)),
    Boundary(
        "plan.budget_lines_present",
        p.budget_lines_present,
        GOOD,
        plan(lines=LINES[:-1]),
        ("7 行政管理費",),
    ),
    Boundary(
        "plan.unexplained_difference",
        p.differences_explained,
        plan(
            estimate={**GOOD.estimate, SUB: 59_999},
            lines=with_line(SUB, explanation="多 1 節").lines,
        ),
        plan(estimate={**GOOD.estimate, SUB: 59_999}),
        ("2 代理代課費", "60,000", "59,999"),
    ),
    Boundary(
        "plan.targets_minimum",
        p.targets_minimum,
        GOOD,
        plan(targets={**GOOD.targets, "open_lessons": OPEN_LESSONS - 1}),
        ("公開觀議課", f"{OPEN_LESSONS - 1}（至少 {OPEN_LESSONS}"),
    ),
    Boundary(
        "plan.pi_rate_range",
        p.pi_rate_range,
        pi_line(8_000, 96_000),
        pi_line(8_001, 96_012),
        ("1d 兼任計畫主持人", "8,001", "5,000", "8,000"),
        "above",
    ),
    Boundary(
        "plan.pi_rate_range",
        p.pi_rate_range,
        pi_line(5_000, 60_000),
        pi_line(4_999, 59_988),
        ("4,999", "5,000"),
        "below",
    ),
    Boundary(
        "plan.pi_amount",
        p.pi_amount,
        pi_line(8_000, 96_000),
        pi_line(8_000, 96_001),
        ("96,001", "12 人月", "96,000"),
    ),
    Boundary(
        "plan.substitute_every_school",
        p.substitute_every_school,
        plan(inputs={"periods_per_school": 1}),
        plan(inputs={"periods_per_school": 0}),
        ("2 代理代課費", "每校代課節數為 0"),
    ),
    Boundary(
        "plan.administration_cap",
        p.administration_cap,
        GOOD,
        with_line("administration", recurrent=ADMIN_CAP + 1),
        (f"{ADMIN_CAP + 1:,}", f"{ADMIN_CAP:,}", f"{BUSINESS:,}"),
    ),
    Boundary(
        "plan.letter_no",
        p.letter_no,
        plan(evidence=ApprovalLetter(letter_no=LETTER)),
        plan(evidence=ApprovalLetter()),
        ("核定函的文號",),
    ),
    Boundary(
        "plan.per_head_ministry",
        draft_inputs,
        {"periods_per_school": 10},
        {"periods_per_school": 10, "per_head": 500},
        ("6 數位內容及教學軟體", "教育部"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_plan_guard_boundary(case: Boundary) -> None:
    check(case)


def test_a_complete_plan_passes_every_submit_guard() -> None:
    assert [g.rule_id for g in p.SUBMIT_GUARDS if g(GOOD)] == []
