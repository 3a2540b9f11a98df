"""流用/變更 after approval: the county asks, the ministry approves or rejects, on both DBs."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from model.demo import generate
from model.plans import (
    BUDGET_CHANGES,
    PLANS,
    approve_plan,
    decide_budget_change,
    request_budget_change,
)
from model.tables import BudgetChange, BudgetLine, County, Plan, TransitionLog, User
from model.workflow import advance
from states.errors import TransitionRefused
from states.values import BudgetChangeState, BudgetItem, ItemType, Role

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
