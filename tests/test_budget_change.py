"""流用/變更 after approval: the county asks, the ministry approves or rejects, on both DBs."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from demo.generate import generate
from model.tables import BudgetChange, BudgetLine, County, Plan, TransitionLog, User
from rules import BUSINESS_KEYS, administration_fee, load_rules
from states.errors import TransitionRefused
from states.values import BudgetChangeState, BudgetItem, ItemType, ReimbursementState, Role
from workflow.plans import (
    BUDGET_CHANGES,
    PLANS,
    approve_plan,
    decide_budget_change,
    request_budget_change,
)
from workflow.reimbursements import create_reimbursement
from workflow.service import advance

TODAY = date(2024, 5, 2)
PLAN_LETTER = "臺教資(四)字第1130012345號"
CHANGE_LETTER = "臺教資(四)字第1130054321號"
REASON = "研習改採線上辦理，節餘經費移至推動辦公室運作"


@pytest.fixture
def plan(session: Session) -> Plan:
    """The demo county's plan, approved by the ministry."""
    generate(session, story=False)
    row = session.exec(select(Plan)).one()
    for event, username in (("submit", "hsq.supervisor"), ("start_review", "moe.reviewer1")):
        advance(session, PLANS, row.id, event, _user(session, username), today=TODAY)
    approve_plan(session, _user(session, "moe.reviewer1"), row.id, PLAN_LETTER, today=TODAY)
    return row


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _amounts(session: Session, plan: Plan) -> dict[str, tuple[int, int]]:
    rows = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
    return {str(r.item): (r.recurrent, r.capital) for r in rows}


def _logs(session: Session, change_id: int) -> list[TransitionLog]:
    return list(
        session.exec(
            select(TransitionLog)
            .where(
                TransitionLog.item_type == ItemType.budget_change,
                TransitionLog.item_id == change_id,
            )
            .order_by(TransitionLog.id)
        )
    )


def _move(session, plan, source: BudgetItem, target: BudgetItem, n: int, part="recurrent"):
    """Lines that take n 元 of one part from source and give it to target."""
    now = _amounts(session, plan)
    lines = {item: dict(zip(("recurrent", "capital"), now[item], strict=True))
             for item in (source, target)}  # fmt: skip
    lines[source][part] -= n
    lines[target][part] += n
    return {str(k): v for k, v in lines.items()}


def _request(session, plan, lines, username="hsq.supervisor") -> BudgetChange:
    return request_budget_change(session, _user(session, username), plan.id, lines, REASON)


def _request_refused(session, plan, lines, username="hsq.supervisor") -> list[str]:
    before = _amounts(session, plan)
    with pytest.raises(TransitionRefused) as refused:
        _request(session, plan, lines, username)
    assert session.exec(select(func.count()).select_from(BudgetChange)).one() == 0
    assert _amounts(session, plan) == before
    return refused.value.rule_ids


def _training_to_office(session, plan):
    return _move(session, plan, BudgetItem.teacher_training, BudgetItem.office_operations, 30000)


# ------------------------------------------------------------------ decisions
def test_approve_change_applies_new_amounts(session, plan):
    lines = _training_to_office(session, plan)
    change = _request(session, plan, lines)
    entry = decide_budget_change(
        session, _user(session, "moe.reviewer1"), change.id, approve=True, letter_no=CHANGE_LETTER
    )
    amounts = _amounts(session, plan)
    for item, parts in lines.items():
        assert amounts[item] == (parts["recurrent"], parts["capital"])
    assert (change.status, change.letter_no) == (BudgetChangeState.approved, CHANGE_LETTER)
    assert [(log.event, log.letter_no) for log in _logs(session, change.id)] == [
        ("create", None),
        ("approve_change", CHANGE_LETTER),
    ]
    assert entry.evidence["letter_no"] == CHANGE_LETTER


def test_reject_change_changes_only_status(session, plan):
    before = _amounts(session, plan)
    change = _request(session, plan, _training_to_office(session, plan))
    reviewer = _user(session, "moe.reviewer2")
    decide_budget_change(
        session, reviewer, change.id, approve=False, letter_no=CHANGE_LETTER, reason="理由不足"
    )
    assert _amounts(session, plan) == before
    assert change.status == BudgetChangeState.rejected
    last = _logs(session, change.id)[-1]
    assert (last.event, last.letter_no, last.reason) == ("reject_change", CHANGE_LETTER, "理由不足")


def _decision_refused(session, change, username, **kwargs) -> list[str]:
    status, version, logs = change.status, change.version, len(_logs(session, change.id))
    with pytest.raises(TransitionRefused) as refused:
        decide_budget_change(session, _user(session, username), change.id, **kwargs)
    session.expire_all()
    reloaded = session.get(BudgetChange, change.id)
    assert (reloaded.status, reloaded.version) == (status, version)
    assert len(_logs(session, change.id)) == logs
    return refused.value.rule_ids


def test_approve_change_refused_without_letter_no(session, plan):
    before = _amounts(session, plan)
    change = _request(session, plan, _training_to_office(session, plan))
    ids = _decision_refused(session, change, "moe.reviewer1", approve=True, letter_no=" ")
    assert ids == ["budget_change.letter_no"]
    assert _amounts(session, plan) == before


def test_reject_change_refused_without_reason(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    ids = _decision_refused(session, change, "moe.reviewer1", approve=False, letter_no="函")
    assert ids == ["transition.reason"]


def test_approve_change_refused_for_county_supervisor(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    ids = _decision_refused(session, change, "hsq.supervisor", approve=True, letter_no="函")
    assert ids == ["access.role"]


def test_approve_change_refused_once_plan_closed(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    for event, username in (
        ("start_execution", "hsq.staff1"),
        ("submit_final_report", "hsq.supervisor"),
        ("close", "moe.reviewer1"),
    ):
        advance(session, PLANS, plan.id, event, _user(session, username), today=TODAY)
    ids = _decision_refused(session, change, "moe.reviewer1", approve=True, letter_no="函")
    assert ids == ["budget_change.plan_approved"]


def _settlement(session, plan, status: ReimbursementState) -> None:
    row = create_reimbursement(session, _user(session, "hsq.supervisor"), plan.id)
    row.status = status  # where the reimbursement's own lifecycle would have taken it
    session.flush()


@pytest.mark.parametrize(
    "status", [ReimbursementState.settlement_submitted, ReimbursementState.settled]
)
def test_request_refused_once_the_settlement_is_submitted(session, plan, status):
    _settlement(session, plan, status)
    ids = _request_refused(session, plan, _training_to_office(session, plan))
    assert ids == ["budget_change.before_settlement"]


def test_request_allowed_while_the_settlement_is_returned_for_correction(session, plan):
    _settlement(session, plan, ReimbursementState.returned)
    change = _request(session, plan, _training_to_office(session, plan))
    assert change.status == BudgetChangeState.requested


def test_approve_change_refused_when_the_settlement_was_submitted_meanwhile(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    _settlement(session, plan, ReimbursementState.settlement_submitted)
    ids = _decision_refused(session, change, "moe.reviewer1", approve=True, letter_no="函")
    assert ids == ["budget_change.before_settlement"]


def test_change_decided_once_only(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    reviewer = _user(session, "moe.reviewer1")
    decide_budget_change(session, reviewer, change.id, approve=True, letter_no=CHANGE_LETTER)
    ids = _decision_refused(
        session, change, "moe.reviewer1", approve=False, letter_no="函", reason="x"
    )
    assert ids == ["state.not_allowed"]


# ------------------------------------------------------------------ request guards
def test_request_allowed_while_in_execution(session, plan):
    advance(session, PLANS, plan.id, "start_execution", _user(session, "hsq.staff1"), today=TODAY)
    change = _request(session, plan, _training_to_office(session, plan))
    assert change.status == BudgetChangeState.requested
    assert [log.event for log in _logs(session, change.id)] == ["create"]


def test_request_refused_before_plan_approved(session):
    generate(session, story=False)
    draft = session.exec(select(Plan)).one()
    lines = _training_to_office(session, draft)
    assert _request_refused(session, draft, lines) == ["budget_change.plan_approved"]


def test_request_refused_when_recurrent_flows_to_capital(session, plan):
    now = _amounts(session, plan)[BudgetItem.digital_content]
    lines = {"digital_content": {"recurrent": now[0] - 10000, "capital": now[1] + 10000}}
    assert _request_refused(session, plan, lines) == ["budget_change.no_recurrent_capital_flow"]


def test_request_refused_when_recurrent_flows_to_capital_across_lines(session, plan):
    now = _amounts(session, plan)
    training, office = now["teacher_training"], now["office_operations"]
    lines = {
        "teacher_training": {"recurrent": training[0] - 10000, "capital": training[1]},
        "office_operations": {"recurrent": office[0], "capital": office[1] + 10000},
    }
    assert _request_refused(session, plan, lines) == ["budget_change.no_recurrent_capital_flow"]


def test_request_refusal_names_every_broken_rule(session, plan):
    # Item 6's 資本門 moved into another line's 經常門 breaks both money rules at once.
    now = _amounts(session, plan)
    lines = {
        "digital_content": {"recurrent": now["digital_content"][0], "capital": 0},
        "office_operations": {
            "recurrent": now["office_operations"][0] + now["digital_content"][1],
            "capital": now["office_operations"][1],
        },
    }
    ids = _request_refused(session, plan, lines)
    assert ids == [
        "budget_change.no_recurrent_capital_flow",
        "budget_change.digital_content_locked",
    ]


def test_request_refused_when_digital_content_raises_another_line(session, plan):
    lines = _move(session, plan, BudgetItem.digital_content, BudgetItem.teacher_training, 30000)
    assert _request_refused(session, plan, lines) == ["budget_change.digital_content_locked"]


def test_request_allowed_to_cut_digital_content_alone(session, plan):
    now = _amounts(session, plan)[BudgetItem.digital_content]
    lines = {"digital_content": {"recurrent": now[0] - 30000, "capital": now[1]}}
    assert _request(session, plan, lines).status == BudgetChangeState.requested


@pytest.mark.parametrize(
    "lines",
    [
        {},
        {"no_such_item": {"recurrent": 1, "capital": 0}},
        {"teacher_training": {"recurrent": -1, "capital": 0}},
        {"teacher_training": {"recurrent": 1.5, "capital": 0}},
        {"teacher_training": {"recurrent": True, "capital": 0}},
        {"teacher_training": {"recurrent": 1}},
    ],
)
def test_request_refused_on_bad_amounts(session, plan, lines):
    assert _request_refused(session, plan, lines) == ["budget_change.amounts"]


def test_request_refused_when_nothing_changes(session, plan):
    now = _amounts(session, plan)[BudgetItem.teacher_training]
    lines = {"teacher_training": {"recurrent": now[0], "capital": now[1]}}
    assert _request_refused(session, plan, lines) == ["budget_change.amounts"]


def test_request_refused_while_another_pending(session, plan):
    _request(session, plan, _training_to_office(session, plan))
    before = session.exec(select(func.count()).select_from(BudgetChange)).one()
    with pytest.raises(TransitionRefused) as refused:
        _request(session, plan, _training_to_office(session, plan))
    assert refused.value.rule_ids == ["budget_change.one_pending"]
    assert session.exec(select(func.count()).select_from(BudgetChange)).one() == before


def test_request_refused_for_county_staff(session, plan):
    ids = _request_refused(session, plan, _training_to_office(session, plan), "hsq.staff1")
    assert ids == ["access.role"]


def test_request_refused_for_other_county_supervisor(session, plan):
    taipei = session.exec(select(County).where(County.name == "臺北市")).one()
    session.add(
        User(
            username="tpe.supervisor", display_name="他縣市", email="t@demo.example",
            role=Role.county_supervisor, county_id=taipei.id,
        )
    )  # fmt: skip
    session.flush()
    ids = _request_refused(session, plan, _training_to_office(session, plan), "tpe.supervisor")
    assert ids == ["access.county"]


def test_request_refused_without_reason(session, plan):
    user = _user(session, "hsq.supervisor")
    with pytest.raises(TransitionRefused) as refused:
        request_budget_change(session, user, plan.id, _training_to_office(session, plan), " ")
    assert refused.value.rule_ids == ["transition.reason"]


def test_budget_change_lifecycle_reads_county_from_plan(session, plan):
    change = _request(session, plan, _training_to_office(session, plan))
    assert (change.county_id, change.year) == (plan.county_id, plan.year)
    assert BUDGET_CHANGES.state_label(change.status) == "待教育部核定"


# ------------------------------------------------------------------ review findings
def _business(amounts: dict[str, tuple[int, int]]) -> int:
    return sum(amounts[key][0] for key in BUSINESS_KEYS)


def _cut_business_keep_administration(session, plan) -> dict:
    """Cut 3 and 4a hard and raise 7 行政管理費 to its old ceiling of 600,000."""
    return {
        "office_operations": {"recurrent": 100_000, "capital": 0},
        "teacher_training": {"recurrent": 0, "capital": 0},
        "administration": {"recurrent": 600_000, "capital": 0},
    }


def test_request_refused_when_administration_exceeds_cap_after_change(session, plan):
    lines = _cut_business_keep_administration(session, plan)
    with pytest.raises(TransitionRefused) as refused:
        _request(session, plan, lines)
    assert refused.value.rule_ids == ["budget_change.administration_cap"]
    after = {
        **_amounts(session, plan),
        **{k: (v["recurrent"], v["capital"]) for k, v in lines.items()},
    }
    cap = administration_fee(_business(after), load_rules(113))
    assert f"上限 {cap:,} 元" in refused.value.refusals[0].message
    assert session.exec(select(func.count()).select_from(BudgetChange)).one() == 0


def _line_row(session, plan, item: BudgetItem) -> BudgetLine:
    return session.exec(
        select(BudgetLine).where(BudgetLine.plan_id == plan.id, BudgetLine.item == item)
    ).one()


def test_approve_change_refused_when_administration_exceeds_cap(session, plan):
    # The request fits; by approval the plan's 業務費 has dropped (say, an older change).
    admin = _amounts(session, plan)["administration"]
    lowered = {"administration": {"recurrent": admin[0] - 1000, "capital": admin[1]}}
    change = _request(session, plan, lowered)
    _line_row(session, plan, BudgetItem.teacher_training).recurrent = 0
    _line_row(session, plan, BudgetItem.office_operations).recurrent = 100_000
    session.flush()
    ids = _decision_refused(session, change, "moe.reviewer1", approve=True, letter_no=CHANGE_LETTER)
    assert ids == ["budget_change.administration_cap"]


def test_approve_change_allowed_when_administration_within_cap(session, plan):
    # More 業務費 raises the cap; 行政管理費 may follow it up to the new cap, not beyond.
    now = _amounts(session, plan)
    training = now["teacher_training"]
    raised = {"teacher_training": {"recurrent": training[0] + 20_000, "capital": training[1]}}
    cap = administration_fee(_business(now) + 20_000, load_rules(113))
    over = {**raised, "administration": {"recurrent": cap + 1, "capital": 0}}
    assert _request_refused(session, plan, over) == ["budget_change.administration_cap"]
    change = _request(session, plan, {**raised, "administration": {"recurrent": cap, "capital": 0}})
    decide_budget_change(
        session, _user(session, "moe.reviewer1"), change.id, approve=True, letter_no=CHANGE_LETTER
    )
    assert _amounts(session, plan)["administration"] == (cap, 0)


def test_request_refused_when_one_line_flows_hidden_by_another(session, plan):
    # admin_staff moves 100,000 of 經常門 into its own 資本門; counseling_staff's raise of
    # 經常門 keeps both totals from moving in opposite directions.
    now = _amounts(session, plan)
    staff, counsel = now["admin_staff"], now["counseling_staff"]
    lines = {
        "admin_staff": {"recurrent": staff[0] - 100_000, "capital": staff[1] + 100_000},
        "counseling_staff": {"recurrent": counsel[0] + 100_000, "capital": counsel[1]},
    }
    with pytest.raises(TransitionRefused) as refused:
        _request(session, plan, lines)
    assert refused.value.rule_ids == ["budget_change.no_recurrent_capital_flow"]
    assert "「1a 專任行政人力」經常門" in refused.value.refusals[0].message
    assert session.exec(select(func.count()).select_from(BudgetChange)).one() == 0


def test_request_refused_when_digital_content_flows_hidden_by_another(session, plan):
    # The reviewer's case: 6's 經常門 500k→400k, 資本門 100k→200k, 1(1) 經常門 +100k.
    now = _amounts(session, plan)
    digital, staff = now["digital_content"], now["admin_staff"]
    lines = {
        "digital_content": {"recurrent": digital[0] - 100_000, "capital": digital[1] + 100_000},
        "admin_staff": {"recurrent": staff[0] + 100_000, "capital": staff[1]},
    }
    assert "budget_change.no_recurrent_capital_flow" in _request_refused(session, plan, lines)


def _pi(session, plan) -> BudgetLine:
    return session.exec(
        select(BudgetLine).where(
            BudgetLine.plan_id == plan.id, BudgetLine.item == BudgetItem.principal_investigator
        )
    ).one()


def test_request_refused_when_pi_amount_leaves_monthly_rate(session, plan):
    pi = _pi(session, plan)
    lines = {"principal_investigator": {"recurrent": 5_000_000, "capital": 0}}
    with pytest.raises(TransitionRefused) as refused:
        _request(session, plan, lines)
    assert refused.value.rule_ids == ["budget_change.pi_amount"]
    due = pi.person_months * pi.monthly_rate
    assert f"應為 {due:,} 元" in refused.value.refusals[0].message


def test_request_refused_when_pi_rate_out_of_range(session, plan):
    lines = {
        "principal_investigator": {
            "recurrent": 12 * 9000, "capital": 0, "person_months": 12, "monthly_rate": 9000,
        }
    }  # fmt: skip
    assert _request_refused(session, plan, lines) == ["budget_change.pi_amount"]


def test_request_refused_when_staffing_given_for_other_line(session, plan):
    lines = {"teacher_training": {"recurrent": 0, "capital": 0, "person_months": 1}}
    assert _request_refused(session, plan, lines) == ["budget_change.amounts"]


def test_approve_change_applies_pi_staffing(session, plan):
    pi = _pi(session, plan)
    before = (pi.recurrent, pi.capital, pi.person_months, pi.monthly_rate)
    new = {"recurrent": 6 * 8000, "capital": 0, "person_months": 6, "monthly_rate": 8000}
    change = _request(session, plan, {"principal_investigator": new})
    decide_budget_change(
        session, _user(session, "moe.reviewer1"), change.id, approve=True, letter_no=CHANGE_LETTER
    )
    session.refresh(pi)
    assert (pi.recurrent, pi.capital, pi.person_months, pi.monthly_rate) == (48_000, 0, 6, 8000)
    assert change.previous["principal_investigator"] == dict(
        zip(("recurrent", "capital", "person_months", "monthly_rate"), before, strict=True)
    )
