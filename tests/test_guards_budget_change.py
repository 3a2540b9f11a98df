"""The budget-change guards by rule id, on plain values: each rule's last allowed value and
the next."""

from dataclasses import replace

import pytest
from guard_cases import Boundary, check

from rules import load_rules
from states import budget_change as b
from states.budget_change import BudgetChangeContext, Decision
from states.plan import LineFacts
from states.values import BudgetChangeState, ReimbursementState

RULES = load_rules(113)
# 業務費 990,000 (經常門 of 3, 4a and 6) → 行政管理費 at most 99,000 (10 %).
CURRENT = (
    LineFacts("teacher_training", 90_000, 90_000, 0),
    LineFacts("office_operations", 600_000, 600_000, 0),
    LineFacts("digital_content", 500_000, 300_000, 200_000),
    LineFacts("principal_investigator", 96_000, 96_000, 0, "", 12, 8_000),
    LineFacts("administration", 60_000, 60_000, 0),
)
BASE = BudgetChangeContext(
    rules=RULES,
    plan_status="in_execution",
    current=CURRENT,
    proposed={"teacher_training": {"recurrent": 80_000, "capital": 0}},
)


def change(**proposed: tuple[int, ...]) -> BudgetChangeContext:
    """Each item's new (recurrent, capital[, person-months, monthly rate])."""
    names = ("recurrent", "capital", "person_months", "monthly_rate")
    out = {item: dict(zip(names[: len(n)], n, strict=True)) for item, n in proposed.items()}
    return replace(BASE, proposed=out)


def pi(months: int, rate: int, amount: int) -> BudgetChangeContext:
    return change(principal_investigator=(amount, 0, months, rate))


CASES = [
    Boundary(
        "budget_change.plan_approved",
        b.plan_approved,
        BASE,
        replace(BASE, plan_status="under_review"),
        ("核定後",),
    ),
    Boundary(
        "budget_change.one_pending",
        b.one_pending,
        BASE,
        replace(BASE, other_pending=1),
        ("一件經費變更",),
    ),
    Boundary(
        "budget_change.before_settlement",
        b.before_settlement,
        replace(BASE, settlement_status=ReimbursementState.returned),
        replace(BASE, settlement_status=ReimbursementState.settlement_submitted),
        ("已提出結報",),
    ),
    Boundary(
        "budget_change.amounts",
        b.amounts,
        change(teacher_training=(0, 0)),
        change(teacher_training=(-1, 0)),
        ("3 教師增能研習費", "經常門", "-1"),
        "negative",
    ),
    Boundary(
        "budget_change.amounts",
        b.amounts,
        change(teacher_training=(90_001, 0)),
        change(teacher_training=(90_000, 0)),
        ("相同",),
        "unchanged",
    ),
    Boundary(
        "budget_change.no_recurrent_capital_flow",
        b.no_recurrent_capital_flow,
        change(digital_content=(300_000, 199_999)),
        change(digital_content=(300_001, 199_999)),
        ("6 數位內容及教學軟體", "300,000 → 300,001", "200,000 → 199,999"),
    ),
    Boundary(
        "budget_change.digital_content_locked",
        b.digital_content_locked,
        change(digital_content=(300_000, 199_999)),
        change(digital_content=(300_000, 199_999), teacher_training=(90_001, 0)),
        ("6 數位內容及教學軟體", "減列 1 元", "3 教師增能研習費"),
    ),
    Boundary(
        "budget_change.pi_amount",
        b.pi_amount,
        pi(10, 8_000, 80_000),
        pi(10, 8_000, 80_001),
        ("1d 兼任計畫主持人", "80,001", "80,000"),
        "amount",
    ),
    Boundary(
        "budget_change.pi_amount",
        b.pi_amount,
        pi(10, 8_000, 80_000),
        pi(10, 8_001, 80_010),
        ("8,001", "8,000"),
        "rate",
    ),
    Boundary(
        "budget_change.administration_cap",
        b.administration_cap,
        change(administration=(99_000, 0)),
        change(administration=(99_001, 0)),
        ("99,001", "99,000", "990,000"),
    ),
    Boundary(
        "budget_change.letter_no",
        b.letter_no,
        replace(BASE, evidence=Decision(letter_no="臺教資(三)字第1130000002號")),
        replace(BASE, evidence=Decision()),
        ("教育部函的文號",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_budget_change_guard_boundary(case: Boundary) -> None:
    check(case)


def test_states_named_here_are_the_lifecycles_own() -> None:
    # The contexts carry states as strings; a renamed state would pass these cases vacuously.
    assert BASE.plan_status in b.APPROVED_STATES
    assert BudgetChangeState.requested in {s.value for s in b.BudgetChangeMachine.states}
