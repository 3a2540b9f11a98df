"""The purchase guards by rule id, on plain values: each rule's last allowed value and the next."""

from dataclasses import replace
from datetime import date

import pytest
from guard_cases import Boundary, check

from rules import load_rules
from states import purchase as p
from states.evidence import (
    Attendee,
    ClauseDocument,
    DisbursementRequest,
    MeetingRecord,
    ProcurementRecord,
    ProductChoice,
)
from states.purchase import ProductFacts, PurchaseContext

RULES = load_rules(113)
TODAY = date(2024, 6, 1)
CLAUSE = RULES.software.data_clause_text
PRODUCT = ProductFacts("12345-678", "學習吧加分版", needs_data_clause=True)
PEOPLE = [
    Attendee(name="王老師", role="teacher"),
    Attendee(name="李組長", role="school_admin"),
    Attendee(name="陳專員", role="office_member"),
]
BASE = PurchaseContext(
    rules=RULES,
    today=TODAY,
    evidence=None,
    product=PRODUCT,
    plan_approved=True,
    content_line=1_000_000,
    contracted_elsewhere=400_000,
    contract_amount=500_000,
)


def ctx(evidence: object, **change: object) -> PurchaseContext:
    return replace(BASE, evidence=evidence, **change)


def meeting(held_on: date = TODAY, **change: object) -> PurchaseContext:
    fields = {"held_on": held_on, "minutes": "決議購置", "attendees": PEOPLE} | change
    return ctx(MeetingRecord(**fields))


def choice(hardware: int = 0) -> PurchaseContext:
    return ctx(ProductChoice(product_serial="12345-678", amount=80_000, hardware_amount=hardware))


def award(
    awarded_on: date = TODAY,
    method: str = "open",
    procurement_amount: int = 600_000,
    amount: int = 600_000,
    justification: str = "",
) -> PurchaseContext:
    record = ProcurementRecord(
        method=method,
        awarded_on=awarded_on,
        procurement_amount=procurement_amount,
        amount=amount,
        vendor="示範廠商",
        justification=justification,
    )
    return ctx(record)


def request(requested_on: date = TODAY, amount: int = 500_000) -> PurchaseContext:
    return ctx(DisbursementRequest(requested_on=requested_on, amount=amount))


def clause(text: str) -> PurchaseContext:
    return ctx(ClauseDocument(document="contract", text=text))


LAST, AFTER = date(2025, 1, 31), date(2025, 2, 1)
FIRST, BEFORE = date(2024, 1, 1), date(2023, 12, 31)
LATE = {"today": date(2025, 3, 1)}  # so that only the period, not the future, is in question

CASES = [
    Boundary(
        "purchase.date_in_period",
        p.meeting_in_period,
        meeting(LAST),
        meeting(AFTER),
        ("會議日期 114/02/01", "113/01/01–114/01/31"),
        "end",
    ),
    Boundary(
        "purchase.date_in_period",
        p.meeting_in_period,
        meeting(FIRST),
        meeting(BEFORE),
        ("112/12/31", "113/01/01"),
        "start",
    ),
    Boundary(
        "purchase.date_not_future",
        p.date_not_future,
        meeting(TODAY),
        meeting(date(2024, 6, 2)),
        ("會議日期 113/06/02", "113/06/01"),
        "meeting",
    ),
    Boundary(
        "purchase.date_not_future",
        p.date_not_future,
        award(TODAY),
        award(date(2024, 6, 2)),
        ("決標日期 113/06/02",),
        "award",
    ),
    Boundary(
        "purchase.date_not_future",
        p.date_not_future,
        request(TODAY),
        request(date(2024, 6, 2)),
        ("請撥日期 113/06/02",),
        "request",
    ),
    Boundary(
        "purchase.meeting_public",
        p.meeting_public,
        meeting(public=True),
        meeting(public=False),
        ("公開會議",),
    ),
    Boundary(
        "purchase.meeting_representative",
        p.meeting_representative,
        meeting(),
        meeting(attendees=PEOPLE[:2]),
        ("推動辦公室成員至少 1 位",),
    ),
    Boundary(
        "purchase.product_listed",
        p.product_listed,
        choice(),
        replace(choice(), product=None),
        ("12345-678", "113", RULES.software.approved_list_name),
    ),
    Boundary("purchase.no_hardware", p.no_hardware, choice(0), choice(1), ("含 1 元",)),
    Boundary(
        "purchase.data_clause",
        p.data_clause,
        clause(f"第十條　{CLAUSE}。"),
        clause(f"第十條　{CLAUSE[:-1]}。"),
        ("學習吧加分版", "契約書", CLAUSE),
    ),
    Boundary(
        "purchase.procurement_rules_date",
        p.procurement_rules_date,
        award(date(2023, 1, 1)),
        award(date(2022, 12, 31)),
        ("111/12/31", "112/01/01"),
    ),
    Boundary(
        "purchase.procurement_method",
        p.procurement_method,
        award(method="small_purchase", procurement_amount=150_000, amount=150_000),
        award(method="small_purchase", procurement_amount=150_001, amount=150_000),
        ("150,001", "小額採購", "150,000"),
    ),
    Boundary(
        "purchase.justification",
        p.justification,
        award(method="selective", justification="第 20 條第 1 項第 1 款"),
        award(method="selective"),
        ("選擇性招標", "政府採購法第 20 條"),
    ),
    Boundary(
        "purchase.award_in_period",
        p.award_in_period,
        replace(award(LAST), **LATE),
        replace(award(AFTER), **LATE),
        ("決標日期 114/02/01", "114/01/31"),
    ),
    Boundary(
        "purchase.plan_approved",
        p.plan_approved,
        award(),
        replace(award(), plan_approved=False),
        ("尚未核定",),
    ),
    Boundary(
        "purchase.within_approved_line",
        p.within_approved_line,
        award(amount=600_000),
        award(amount=600_001),
        ("1,000,000", "400,000", "600,001"),
    ),
    Boundary(
        "purchase.request_in_period",
        p.request_in_period,
        replace(request(LAST), **LATE),
        replace(request(AFTER), **LATE),
        ("請撥日期 114/02/01", "114/01/31"),
    ),
    Boundary(
        "purchase.request_within_contract",
        p.request_within_contract,
        request(amount=500_000),
        request(amount=500_001),
        ("500,001", "500,000"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_purchase_guard_boundary(case: Boundary) -> None:
    check(case)
