"""The reimbursement guards by rule id, on plain values: each rule's last allowed value and
the next."""

from dataclasses import replace
from datetime import date

import pytest
from guard_cases import Boundary, check

from rules import load_rules
from states import reimbursement as r
from states.reimbursement import (
    Acquisition,
    ApprovedLine,
    BalanceReturn,
    Disbursement,
    ReimbursementContext,
    SettlementReport,
    SpendingLine,
)
from states.values import ReimbursementState

RULES = load_rules(113)
BASE = ReimbursementContext(
    rules=RULES,
    today=date(2024, 7, 1),
    state=ReimbursementState.disbursed,
    evidence=None,
    plan_amount=1_000_000,
    subsidy=1_000_000,
    disbursed=0,
    approved={
        "teacher_training": ApprovedLine(90_000, 0),
        "digital_content": ApprovedLine(300_000, 200_000),
    },
    settlement_due=date(2025, 3, 31),
    to_return=0,
)


def paid(
    amount: int | float, day: date = date(2024, 7, 1), **change: object
) -> ReimbursementContext:
    return replace(
        BASE,
        evidence=Disbursement(amount=amount, disbursed_on=day, letter_no="臺教資字第1號"),
        **change,
    )


def large(amount: int, disbursed: int = 3_000_000) -> ReimbursementContext:
    """A plan of NT$10,000,000: first tranche at most 30 %, 5 % held until settlement."""
    return paid(amount, plan_amount=10_000_000, subsidy=10_000_000, disbursed=disbursed)


def final(amount: int, day: date = date(2025, 4, 10), **change: object) -> ReimbursementContext:
    facts = {"state": ReimbursementState.settled, "settled_on": date(2025, 4, 10)} | change
    return paid(amount, day, **facts)


def spent(spending: dict[str, tuple[int, int]], *acquisitions: Acquisition) -> ReimbursementContext:
    lines = {
        item: SpendingLine(recurrent=rec, capital=cap) for item, (rec, cap) in spending.items()
    }
    report = SettlementReport(spending=lines, report_ref="成果報告.pdf", acquisitions=acquisitions)
    return replace(BASE, evidence=report)


def bought(unit_cost: int) -> ReimbursementContext:
    thing = Acquisition(
        description="互動觸控螢幕",
        booked_as="capital",
        life_years=2,
        unit_cost=unit_cost,
        amount=unit_cost,
    )
    return spent({"digital_content": (0, unit_cost)}, thing)


def returned(amount: int, to_return: int = 12_345, **change: object) -> ReimbursementContext:
    evidence = BalanceReturn(amount=amount, returned_on=date(2025, 4, 20))
    return replace(BASE, evidence=evidence, to_return=to_return, **change)


def settled(**change: object) -> ReimbursementContext:
    return replace(BASE, state=ReimbursementState.settled, **change)


CASES = [
    Boundary("reimbursement.amounts", r.amounts, paid(0), paid(-1), ("金額 -1",), "negative"),
    Boundary("reimbursement.amounts", r.amounts, paid(1), paid(1.5), ("金額 1.5",), "fraction"),
    Boundary(
        "reimbursement.amounts",
        r.amounts,
        spent({"teacher_training": (0, 0)}),
        spent({"teacher_training": (0, 0), "snacks": (0, 0)}),
        ("「snacks」",),
        "item",
    ),
    Boundary(
        "reimbursement.tranche_limit",
        r.within_tranche_limit,
        paid(1_000_000),
        paid(1_000_001),
        ("1,000,001", "1,000,000"),
        "subsidy",
    ),
    Boundary(
        "reimbursement.tranche_limit",
        r.within_tranche_limit,
        large(3_000_000, disbursed=0),
        large(3_000_001, disbursed=0),
        ("30 %", "3,000,000", "3,000,001"),
        "first",
    ),
    Boundary(
        "reimbursement.tranche_limit",
        r.within_tranche_limit,
        large(6_500_000),
        large(6_500_001),
        ("5 %", "9,500,000", "9,500,001"),
        "holdback",
    ),
    Boundary(
        "reimbursement.tranche_limit",
        r.within_final_tranche_limit,
        final(7_000_000, plan_amount=10_000_000, subsidy=10_000_000, disbursed=3_000_000),
        final(7_000_001, plan_amount=10_000_000, subsidy=10_000_000, disbursed=3_000_000),
        ("10,000,001", "10,000,000"),
    ),
    Boundary(
        "reimbursement.final_amount",
        r.final_within_owed,
        final(50_000, owed_to_county=50_000),
        final(50_001, owed_to_county=50_000),
        ("50,001", "50,000"),
    ),
    Boundary(
        "reimbursement.final_after_settlement",
        r.final_after_settlement,
        final(1, date(2025, 4, 10)),
        final(1, date(2025, 4, 9)),
        ("114/04/09", "114/04/10"),
    ),
    Boundary(
        "reimbursement.dates_in_period",
        r.dates_in_period,
        paid(1, date(2025, 3, 31)),
        paid(1, date(2025, 4, 1)),
        ("114/04/01", "113/01/01", "114/03/31"),
        "end",
    ),
    Boundary(
        "reimbursement.dates_in_period",
        r.dates_in_period,
        paid(1, date(2024, 1, 1)),
        paid(1, date(2023, 12, 31)),
        ("112/12/31", "113/01/01"),
        "start",
    ),
    Boundary(
        "reimbursement.within_approved",
        r.within_approved,
        spent({"teacher_training": (90_000, 0)}),
        spent({"teacher_training": (90_001, 0)}),
        ("3 教師增能研習費", "90,001", "90,000"),
    ),
    Boundary(
        "reimbursement.no_mixing",
        r.no_mixing,
        spent({"digital_content": (300_000, 200_000)}),
        spent({"digital_content": (300_001, 199_999)}),
        ("6 數位內容及教學軟體", "經常門實支 300,001", "300,000"),
    ),
    Boundary(
        "reimbursement.capital_classification",
        r.capital_classification,
        bought(10_000),
        bought(9_999),
        ("互動觸控螢幕", "9,999", "10,000", "應列經常門"),
    ),
    Boundary(
        "reimbursement.balance_amount",
        r.balance_amount,
        returned(12_345),
        returned(12_344),
        ("12,344", "12,345"),
    ),
    Boundary(
        "reimbursement.balance_amount",
        r.balance_amount,
        returned(1, to_return=1),
        returned(1, to_return=0, owed_to_county=1),
        ("尚應撥付縣市 1 元",),
        "owed",
    ),
    Boundary(
        "reimbursement.balance_cleared",
        r.balance_cleared,
        settled(to_return=0),
        settled(to_return=1),
        ("餘款 1 元",),
    ),
    Boundary(
        "reimbursement.owed_to_county",
        r.owed_paid,
        settled(owed_to_county=0),
        settled(owed_to_county=1),
        ("尚應撥付縣市 1 元",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reimbursement_guard_boundary(case: Boundary) -> None:
    check(case)
