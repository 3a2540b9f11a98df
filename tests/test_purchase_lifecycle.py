"""The software purchase (伍、三、(六)) through the workflow service, on both databases."""

import inspect
import re
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from demo.generate import generate
from model.tables import (
    BudgetLine,
    Closure,
    County,
    Milestone,
    Plan,
    Product,
    Purchase,
    TransitionLog,
    User,
)
from rules import load_rules
from states.errors import TransitionRefused, UnknownEvent
from states.purchase import DISBURSEMENT_MILESTONE, STEPS
from states.values import BudgetItem, ItemType, PlanState, PurchaseState, Role
from workflow.purchases import PURCHASES, create_purchase
from workflow.service import advance

RULES = load_rules(113)
CLAUSE = RULES.software.data_clause_text
TODAY = date(2025, 2, 3)  # after every date the walks type: no date lies in the future
CLAUSE_PRODUCT = "11301-001"  # PaGamO 閱讀素養 in the demo list
PLAIN_PRODUCT = "11301-005"  # 晨星數學闖關島: no clause needed
REPRESENTATIVE = [
    {"name": "王老師", "role": "teacher"},
    {"name": "李主任", "role": "school_admin"},
    {"name": "陳專員", "role": "office_member"},
]


def meeting(**change) -> dict:
    return {"held_on": "2024-03-01", "minutes": "決議採購", "attendees": REPRESENTATIVE} | change


def product(serial: str = CLAUSE_PRODUCT, amount: int = 100_000, **change) -> dict:
    return {"product_serial": serial, "amount": amount} | change


def clause(text_: str = f"契約第 5 條：{CLAUSE}。") -> dict:
    return {"document": "contract", "text": text_}


def contract(amount: int = 100_000, method: str = "small_purchase", **change) -> dict:
    """Awarded at `amount`; the 採購金額 is the same unless `procurement_amount` says."""
    base = {
        "method": method,
        "awarded_on": "2024-06-01",
        "procurement_amount": amount,
        "amount": amount,
        "vendor": "示範廠商",
    }
    return base | change


def request(amount: int = 100_000, on: str = "2024-11-15") -> dict:
    return {"requested_on": on, "amount": amount}


USAGE = {"cumulative_users": 320, "cumulative_hours": 1500, "notes": "學生使用踴躍"}
ORDER = ("decide", "verify_product", "verify_clause", "contract", "request_disbursement")


@pytest.fixture
def demo(session: Session) -> Session:
    generate(session, story=False)
    return session


def user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def plan(session: Session) -> Plan:
    return session.exec(select(Plan).where(Plan.year == 113)).one()


def approve_plan(session: Session) -> None:
    # The plan lifecycle belongs to another engineer; here only its outcome matters.
    plan(session).status = PlanState.approved
    session.flush()


def new_purchase(session: Session, amount: int = 100_000) -> Purchase:
    return create_purchase(
        session, user(session, "hsq.staff1"), title="測試採購", year=113, amount=amount
    )


def go(session: Session, row: Purchase, event: str, evidence=None, who="hsq.staff1", **kw):
    return advance(
        session, PURCHASES, row.id, event, user(session, who), evidence=evidence, today=TODAY, **kw
    )


def walk_before(session: Session, row: Purchase, event: str, **evidence) -> None:
    """Advance with valid evidence from where the row is up to (not including) `event`."""
    defaults = {
        "decide": meeting(),
        "verify_product": product(),
        "verify_clause": clause(),
        "contract": contract(),
        "request_disbursement": request(),
    }
    allowed_now = PURCHASES.events_from(row.status)
    start = next(i for i, step in enumerate(ORDER) if step in allowed_now)
    for step in ORDER[start : ORDER.index(event)]:
        go(session, row, step, evidence.get(step, defaults[step]))


def logs(session: Session, row: Purchase) -> list[TransitionLog]:
    return list(
        session.exec(
            select(TransitionLog)
            .where(TransitionLog.item_type == ItemType.purchase, TransitionLog.item_id == row.id)
            .order_by(TransitionLog.id)
        )
    )


def refusal(session: Session, row: Purchase, event: str, evidence=None, **kw) -> TransitionRefused:
    before = (row.status, row.version, len(logs(session, row)))
    with pytest.raises(TransitionRefused) as caught:
        go(session, row, event, evidence, **kw)
    session.refresh(row)
    assert (row.status, row.version, len(logs(session, row))) == before
    return caught.value


# ------------------------------------------------------------------ the whole way
def test_advance_walks_purchase_to_closed_with_one_log_row_per_transition(demo):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "request_disbursement")
    go(demo, row, "request_disbursement", request())
    go(demo, row, "record_usage", USAGE)

    rows = logs(demo, row)
    assert [(r.event, r.from_state, r.to_state) for r in rows] == [
        ("create", "", "needs_collected"),
        ("decide", "needs_collected", "meeting_decided"),
        ("verify_product", "meeting_decided", "product_verified"),
        ("verify_clause", "product_verified", "clause_verified"),
        ("contract", "clause_verified", "contracted"),
        ("request_disbursement", "contracted", "disbursement_requested"),
        ("record_usage", "disbursement_requested", "closed"),
    ]
    assert all(r.actor_id == user(demo, "hsq.staff1").id for r in rows)
    assert row.status == PurchaseState.closed
    assert row.version == 1 + 6  # one UPDATE per transition
    assert row.award_date == date(2024, 6, 1)
    assert row.evidence["record_usage"]["cumulative_users"] == 320


def test_advance_refused_changes_nothing_and_writes_no_log_row(demo):
    row = new_purchase(demo)
    error = refusal(demo, row, "decide", meeting(attendees=REPRESENTATIVE[:1]))
    assert row.status == PurchaseState.needs_collected
    assert "purchase.meeting_representative" in error.rule_ids


# ------------------------------------------------------------------ each guard
GUARD_CASES = [
    ("decide", meeting(attendees=REPRESENTATIVE[:2]), "purchase.meeting_representative"),
    ("decide", meeting(held_on="2023-12-31"), "purchase.date_in_period"),
    ("decide", meeting(held_on="2025-02-01"), "purchase.date_in_period"),
    ("decide", meeting(public=False), "purchase.meeting_public"),
    ("verify_product", product("99999-999"), "purchase.product_listed"),
    ("verify_product", product(hardware_amount=5_000), "purchase.no_hardware"),
    ("verify_clause", clause("契約第 5 條：廠商應維護系統。"), "purchase.data_clause"),
    ("verify_clause", clause(CLAUSE.replace("教育大數據", "教育小數據")), "purchase.data_clause"),
    ("contract", contract(200_000, "restricted"), "purchase.justification"),
    ("contract", contract(100_000, "restricted"), "purchase.justification"),
    ("contract", contract(2_000_000, "restricted"), "purchase.justification"),
    ("contract", contract(2_000_000, "selective"), "purchase.justification"),
    ("contract", contract(awarded_on="2023-12-31"), "purchase.award_in_period"),
    ("request_disbursement", request(100_001), "purchase.request_within_contract"),
]


@pytest.mark.parametrize(("event", "evidence", "rule_id"), GUARD_CASES)
def test_advance_refuses_with_guard_rule_id(demo, event, evidence, rule_id):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, event)
    error = refusal(demo, row, event, evidence)
    assert error.rule_ids == [rule_id]
    assert all(r.message for r in error.refusals)


@pytest.mark.parametrize(
    "variant",
    [
        f"契約第5條：\n{CLAUSE[:10]}\n  {CLAUSE[10:]}。",
        " ".join(CLAUSE),
        f"本案{CLAUSE.replace('及', ' 及 ')}",
    ],
    ids=["line-breaks", "spaces-between-characters", "spaces-around-word"],
)
def test_verify_clause_accepts_clause_with_whitespace(demo, variant):
    row = new_purchase(demo)
    walk_before(demo, row, "verify_clause")
    go(demo, row, "verify_clause", clause(variant))
    assert row.status == PurchaseState.clause_verified


def test_verify_clause_accepts_full_width_punctuation(demo, monkeypatch):
    # The 113 clause has no punctuation of its own; a year whose clause has some must
    # still match a document that writes it full-width.
    half = CLAUSE[:10] + "," + CLAUSE[10:] + "(" + "113" + ")"
    full = CLAUSE[:10] + "，" + CLAUSE[10:] + "（" + "113" + "）"
    software = RULES.software.model_copy(update={"data_clause_text": half})
    rules = RULES.model_copy(update={"software": software})
    monkeypatch.setattr("workflow.service.load_rules", lambda year: rules)
    row = new_purchase(demo)
    walk_before(demo, row, "verify_clause")
    go(demo, row, "verify_clause", clause(f"契約：{full}"))
    assert row.status == PurchaseState.clause_verified


def test_verify_clause_refuses_clause_missing_one_character(demo):
    row = new_purchase(demo)
    walk_before(demo, row, "verify_clause")
    error = refusal(demo, row, "verify_clause", clause(CLAUSE[:-1]))
    assert error.rule_ids == ["purchase.data_clause"]


REASON = "政府採購法第 22 條第 1 項第 2 款：獨家授權，僅此廠商"


# Every method at each edge of the 採購金額 bands is tested on plain values in
# tests/test_procurement_guard.py; here the stored rows at a few amounts.
def test_open_tender_at_880_000_is_not_blocked(demo):
    # The clerk's case from the issue: 公開招標 under 公告金額 is lawful.
    approve_plan(demo)
    row = new_purchase(demo, 880_000)
    walk_before(demo, row, "contract", verify_product=product(amount=880_000))
    go(demo, row, "contract", contract(880_000, "open"))
    assert row.status == PurchaseState.contracted


@pytest.mark.parametrize(
    ("procurement_amount", "award", "method", "allowed"),
    [
        # Budgeted at 公告金額, awarded under it: still a 公告金額 procurement.
        (1_500_000, 1_420_000, "three_quotes", False),
        (1_500_000, 1_420_000, "open", True),
        # Budgeted under 公告金額, awarded above it: the band stays the 採購金額's.
        (1_499_999, 1_600_000, "three_quotes", True),
        (150_000, 149_000, "small_purchase", True),
        (150_001, 140_000, "small_purchase", False),
    ],
)
def test_contract_band_comes_from_procurement_amount_not_award(
    demo, procurement_amount, award, method, allowed
):
    approve_plan(demo)
    row = new_purchase(demo, procurement_amount)
    walk_before(demo, row, "contract", verify_product=product(amount=procurement_amount))
    evidence = contract(award, method, procurement_amount=procurement_amount)
    if allowed:
        go(demo, row, "contract", evidence)
        assert (row.procurement_amount, row.amount) == (procurement_amount, award)
        assert row.evidence["contract"]["procurement_amount"] == procurement_amount
    else:
        error = refusal(demo, row, "contract", evidence)
        assert error.rule_ids == ["purchase.procurement_method"]
        assert f"採購金額 {procurement_amount:,} 元" in error.refusals[0].message


# At every band edge on plain values: tests/test_procurement_guard.py.
@pytest.mark.parametrize(("amount", "method"), [(150_000, "selective"), (1_500_000, "restricted")])
def test_contract_asks_a_reason_for_selective_and_restricted(demo, amount, method):
    approve_plan(demo)
    row = new_purchase(demo, amount)
    walk_before(demo, row, "contract", verify_product=product(amount=amount))
    error = refusal(demo, row, "contract", contract(amount, method))
    assert error.rule_ids == ["purchase.justification"]
    assert "第 2" in error.refusals[0].message  # names 第 20 條 or 第 22 條
    go(demo, row, "contract", contract(amount, method, justification=REASON))
    assert row.status == PurchaseState.contracted


def test_contract_refuses_evidence_without_procurement_amount(demo):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "contract")
    evidence = contract()
    del evidence["procurement_amount"]
    error = refusal(demo, row, "contract", evidence)
    assert error.rule_ids == ["evidence.format"]
    assert error.refusals[0].message == "請填寫「採購金額（元）」。"


def test_contract_accepts_restricted_with_justification(demo):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "contract")
    evidence = contract(200_000, "restricted", justification="獨家授權，僅此廠商")
    go(demo, row, "contract", evidence)
    assert row.amount == 200_000


def test_contract_refused_while_plan_not_approved(demo):
    assert plan(demo).status == PlanState.draft
    row = new_purchase(demo)
    walk_before(demo, row, "contract")
    assert refusal(demo, row, "contract", contract()).rule_ids == ["purchase.plan_approved"]


def test_contract_refused_over_approved_content_line(demo):
    approve_plan(demo)
    line = demo.exec(
        select(BudgetLine).where(
            BudgetLine.plan_id == plan(demo).id, BudgetLine.item == BudgetItem.digital_content
        )
    ).one()
    first, second = new_purchase(demo), new_purchase(demo)
    walk_before(demo, first, "request_disbursement")  # 100,000 contracted
    walk_before(demo, second, "contract")
    over = line.requested - 100_000 + 1
    error = refusal(demo, second, "contract", contract(over, "open"))
    assert error.rule_ids == ["purchase.within_approved_line"]
    go(demo, second, "contract", contract(over - 1, "open"))  # exactly the line: allowed
    assert second.status == PurchaseState.contracted


# ------------------------------------------------------------------ who and when
def test_advance_refuses_role_not_named_by_step(demo):
    row = new_purchase(demo)
    error = refusal(demo, row, "decide", meeting(), who="moe.reviewer1")
    assert error.rule_ids == ["access.role"]
    error = refusal(demo, row, "cancel", who="hsq.staff1", reason="不買了")
    assert error.rule_ids == ["access.role"]


def test_advance_refuses_other_county_staff(demo):
    taipei = demo.exec(select(County).where(County.name == "臺北市")).one()
    demo.add(
        User(
            username="tpe.staff9",
            display_name="臺北承辦",
            email="tpe.staff9@demo.example",
            role=Role.county_staff,
            county_id=taipei.id,
        )
    )
    demo.flush()
    row = new_purchase(demo)
    error = refusal(demo, row, "decide", meeting(), who="tpe.staff9")
    assert error.rule_ids == ["access.county"]


def test_advance_refuses_event_not_allowed_from_state(demo):
    row = new_purchase(demo)
    error = refusal(demo, row, "contract", contract())
    assert error.rule_ids == ["state.not_allowed"]
    assert "decide" in error.refusals[0].message and "cancel" in error.refusals[0].message


def test_advance_raises_unknown_event_listing_allowed(demo):
    row = new_purchase(demo)
    with pytest.raises(UnknownEvent) as caught:
        go(demo, row, "approve_everything")
    assert any(a.startswith("decide") for a in caught.value.allowed)
    assert "decide" in str(caught.value)


def test_cancel_needs_supervisor_and_reason(demo):
    row = new_purchase(demo)
    error = refusal(demo, row, "cancel", who="hsq.supervisor")
    assert error.rule_ids == ["transition.reason"]
    go(demo, row, "cancel", who="hsq.supervisor", reason="需求改由他案支應")
    assert row.status == PurchaseState.cancelled
    assert logs(demo, row)[-1].reason == "需求改由他案支應"


# ------------------------------------------------------------------ the data clause
def _serial(session: Session, name: str) -> str:
    return session.exec(select(Product.serial).where(Product.name == name)).one()


@pytest.mark.parametrize(
    ("name", "needs_clause"),
    [(n, True) for n in RULES.software.data_clause_products]
    + [(n, False) for n in ("晨星數學闖關島", "課堂即時回饋板", "學習歷程整合平台")],
)
def test_contract_without_clause_only_for_products_that_do_not_need_it(demo, name, needs_clause):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "verify_clause", verify_product=product(_serial(demo, name)))
    no_clause = clause("契約：廠商應提供一年授權與教師研習。")
    if needs_clause:
        assert refusal(demo, row, "verify_clause", no_clause).rule_ids == ["purchase.data_clause"]
        assert refusal(demo, row, "contract", contract()).rule_ids == ["state.not_allowed"]
    else:
        go(demo, row, "verify_clause", no_clause)
        go(demo, row, "contract", contract())
        assert row.status == PurchaseState.contracted


# ------------------------------------------------------------------ the deadline
def _milestone(session: Session, row: Purchase) -> Milestone | None:
    return session.exec(
        select(Milestone).where(
            Milestone.kind == DISBURSEMENT_MILESTONE,
            Milestone.subject_type == ItemType.purchase,
            Milestone.subject_id == row.id,
        )
    ).one_or_none()


def test_decide_opens_disbursement_milestone_and_request_closes_it_late(demo):
    approve_plan(demo)
    row = new_purchase(demo)
    assert _milestone(demo, row) is None
    go(demo, row, "decide", meeting())
    opened = _milestone(demo, row)
    assert (opened.due_on, opened.done_on) == (date(2024, 11, 30), None)
    assert opened.owner_id == user(demo, "hsq.staff1").id

    walk_before(demo, row, "request_disbursement")
    late_day = date(2024, 12, 2)
    advance(
        demo, PURCHASES, row.id, "request_disbursement", user(demo, "hsq.staff1"),
        evidence=request(on=late_day.isoformat()), today=late_day,
    )  # fmt: skip
    demo.refresh(opened)
    assert row.status == PurchaseState.disbursement_requested  # late is accepted
    assert opened.done_on == late_day > opened.due_on
    assert opened.evidence["closed_by"] == "request_disbursement"
    assert row.evidence["late_request"] is True
    assert logs(demo, row)[-1].evidence["requested_on"] == "2024-12-02"


def test_request_on_time_is_not_marked_late(demo):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "request_disbursement")
    go(demo, row, "request_disbursement", request(on="2024-11-29"))
    assert row.evidence["late_request"] is False
    # Done on the day the request was made, not the day it was entered.
    assert _milestone(demo, row).done_on == date(2024, 11, 29)


# ------------------------------------------------------------------ the log is append-only
@pytest.mark.parametrize(
    "statement",
    ["UPDATE transition_log SET reason = 'changed'", "DELETE FROM transition_log"],
)
def test_log_rows_cannot_be_updated_or_deleted(demo, statement):
    row = new_purchase(demo)
    go(demo, row, "decide", meeting())
    demo.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        demo.execute(text(statement))
    demo.rollback()
    count = demo.exec(select(func.count()).select_from(TransitionLog)).one()
    assert count == 2


@pytest.mark.parametrize(
    ("event", "evidence"),
    [
        ("decide", meeting(held_on="2024-06-02")),
        ("contract", contract(awarded_on="2024-06-02")),
        ("request_disbursement", request(on="2024-06-02")),
    ],
)
def test_advance_refuses_date_after_today(demo, event, evidence):
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, event, decide=meeting(held_on="2024-05-01"),
                contract=contract(awarded_on="2024-05-15"))  # fmt: skip
    before = (row.status, row.version, len(logs(demo, row)))
    with pytest.raises(TransitionRefused) as caught:
        advance(demo, PURCHASES, row.id, event, user(demo, "hsq.staff1"), evidence=evidence,
                today=date(2024, 6, 1))  # fmt: skip
    assert caught.value.rule_ids == ["purchase.date_not_future"]
    assert "113/06/02" in caught.value.refusals[0].message
    demo.refresh(row)
    assert (row.status, row.version, len(logs(demo, row))) == before
    advance(demo, PURCHASES, row.id, event, user(demo, "hsq.staff1"), evidence=evidence,
            today=date(2024, 6, 2))  # fmt: skip
    assert row.status != before[0]


# ------------------------------------------------------------------ rules read from the year's file
def _with(monkeypatch, section: str, part: str, **change):
    """The 113 rules with one sub-section changed, as the service will load them."""
    outer = getattr(RULES, section)
    inner = getattr(outer, part).model_copy(update=change)
    rules = RULES.model_copy(update={section: outer.model_copy(update={part: inner})})
    monkeypatch.setattr("workflow.service.load_rules", lambda year: rules)
    return rules


def test_decide_accepts_closed_meeting_when_rules_do_not_ask_public(demo, monkeypatch):
    _with(monkeypatch, "software", "meeting", public=False)
    row = new_purchase(demo)
    go(demo, row, "decide", meeting(public=False))
    assert row.status == PurchaseState.meeting_decided
    assert logs(demo, row)[-1].evidence["public"] is False


def test_verify_product_accepts_hardware_when_rules_allow_it(demo, monkeypatch):
    _with(monkeypatch, "budget", "digital_content", may_buy_hardware=True)
    row = new_purchase(demo)
    walk_before(demo, row, "verify_product")
    go(demo, row, "verify_product", product(hardware_amount=5_000))
    assert row.status == PurchaseState.product_verified


def test_contract_refused_before_procurement_bands_in_force(demo, monkeypatch):
    # Bands from 2024-07-01: an award in June falls under rules this file does not hold.
    later = RULES.procurement.model_copy(update={"effective_from": date(2024, 7, 1)})
    rules = RULES.model_copy(update={"procurement": later})
    monkeypatch.setattr("workflow.service.load_rules", lambda year: rules)
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "contract")
    error = refusal(demo, row, "contract", contract(200_000, "small_purchase"))
    assert error.rule_ids == ["purchase.procurement_rules_date"]  # the method is not judged
    go(demo, row, "contract", contract(awarded_on="2024-07-01"))
    assert row.status == PurchaseState.contracted


def test_request_on_rolled_deadline_is_not_late_when_rules_roll(demo, monkeypatch):
    # 2024-11-30 is a Saturday: rolled, the deadline is Monday 12-02, and 12-02 is on time.
    _with(monkeypatch, "software", "disbursement_deadline", roll_to_working_day=True)
    approve_plan(demo)
    row = new_purchase(demo)
    walk_before(demo, row, "request_disbursement")
    go(demo, row, "request_disbursement", request(on="2024-12-02"))
    assert row.evidence["late_request"] is False


def test_request_after_rolled_deadline_is_late_unless_county_closed(demo, monkeypatch):
    _with(monkeypatch, "software", "disbursement_deadline", roll_to_working_day=True)
    approve_plan(demo)
    first, second = new_purchase(demo), new_purchase(demo)
    walk_before(demo, first, "request_disbursement")
    go(demo, first, "request_disbursement", request(on="2024-12-03"))
    assert first.evidence["late_request"] is True
    # A typhoon day (停班) in the county on Monday 12-02 moves the deadline to 12-03.
    demo.add(Closure(day=date(2024, 12, 2), county_id=first.county_id, reason="颱風停班"))
    demo.flush()
    walk_before(demo, second, "request_disbursement")
    go(demo, second, "request_disbursement", request(on="2024-12-03"))
    assert second.evidence["late_request"] is False


# The context fields the workflow service looks up in the database (workflow/purchases.py).
LOOKED_UP = {"product", "plan_approved", "content_line", "contracted_elsewhere", "county"}


def test_every_guard_names_the_looked_up_facts_it_reads():
    # A step loads only the facts its guards name; a guard reading another would see a default.
    for step in STEPS.values():
        for guard in step.guards:
            used = set(re.findall(r"ctx\.(\w+)", inspect.getsource(guard))) & LOOKED_UP
            assert used <= guard.reads, guard.rule_id
    assert STEPS["verify_product"].reads == {"product"}
    assert STEPS["decide"].reads == frozenset()
