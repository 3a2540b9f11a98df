"""How the workflow service writes a transition: the machines' moves, one UPDATE that checks
the version, and a row the caller holds that shows the result with nothing left to flush."""

from datetime import date

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, select
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from demo.generate import generate
from model.tables import BudgetLine, Milestone, Plan, Purchase, TransitionLog, User
from states.errors import UnknownItem
from states.purchase import DISBURSEMENT_MILESTONE
from states.values import BudgetItem, ItemType, PurchaseState
from tests.test_concurrency import MEETING
from workflow.lifecycles import LIFECYCLES
from workflow.plans import PLANS, approve_plan, decide_budget_change, request_budget_change
from workflow.purchases import PURCHASES, create_purchase
from workflow.service import advance, column_values, moves

TODAY = date(2024, 5, 2)


class _Row:
    status = ""


@pytest.mark.parametrize("lifecycle", list(LIFECYCLES.values()), ids=lambda lc: lc.item_type)
def test_moves_are_what_the_machine_does(lifecycle):
    table = moves(lifecycle.machine)
    for state in lifecycle.machine.states:
        for event in lifecycle.steps:
            row = _Row()
            row.status = state.value
            try:
                lifecycle.machine(model=row, state_field="status").send(event)
            except TransitionNotAllowed:
                assert (state.value, event) not in table
            else:
                assert table[(state.value, event)] == row.status


def test_moves_refuse_a_machine_with_a_condition():
    class Guarded(StateMachine):
        draft = State(initial=True)
        done = State(final=True)
        finish = draft.to(done, cond="ready")

        def ready(self) -> bool:
            return True

    with pytest.raises(TypeError):
        moves(Guarded)


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def test_advance_leaves_the_held_row_current_and_nothing_to_flush(session):
    generate(session, story=False)
    staff = _user(session, "hsq.staff1")
    row = create_purchase(session, staff, title="寫入測試", year=113, amount=1000)
    entry = advance(
        session, PURCHASES, row.id, "decide", staff, evidence=MEETING, expected_version=1, today=TODAY
    )  # fmt: skip

    assert (row.status, row.version) == (PurchaseState.meeting_decided, 2)
    assert row.evidence["decide"]["held_on"] == "2024-03-01"
    assert not session.is_modified(row) and not session.dirty and not session.new
    assert (entry.event, entry.from_state, entry.to_state) == (
        "decide",
        PurchaseState.needs_collected,
        PurchaseState.meeting_decided,
    )
    logged = session.get(TransitionLog, entry.id)
    assert (logged.item_id, logged.event, logged.to_state) == (row.id, "decide", entry.to_state)
    session.commit()

    with Session(session.get_bind()) as other:
        stored = other.get(Purchase, row.id)
        assert (stored.status, stored.version) == (PurchaseState.meeting_decided, 2)
        assert stored.evidence["decide"]["attendees"] == MEETING["attendees"]
        log = other.get(TransitionLog, entry.id)
        assert (log.item_type, log.item_id, log.actor_id) == (ItemType.purchase, row.id, staff.id)
        assert log.evidence["minutes"] == "決議採購" and log.at is not None
        milestone = other.exec(
            select(Milestone).where(
                Milestone.subject_type == ItemType.purchase, Milestone.subject_id == row.id
            )
        ).one()
        assert (milestone.kind, milestone.owner_id, milestone.done_on) == (
            DISBURSEMENT_MILESTONE,
            staff.id,
            None,
        )
        assert milestone.evidence == {} and milestone.synthetic is False


def test_an_unflushed_change_to_the_held_row_is_written_with_the_move(engine):
    with Session(engine, expire_on_commit=False) as session:
        generate(session, story=False)
        staff = _user(session, "hsq.staff1")
        row = create_purchase(session, staff, title="寫入測試", year=113, amount=1000)
        session.commit()
        row.title = "會議前改名"
        advance(session, PURCHASES, row.id, "decide", staff, evidence=MEETING, today=TODAY)
        assert not session.is_modified(row)
        session.commit()
    # Read again inside the transition: still right once its session is gone.
    assert (row.title, row.status, row.version) == ("會議前改名", PurchaseState.meeting_decided, 2)
    with Session(engine) as other:
        stored = other.get(Purchase, row.id)
        assert (stored.title, stored.status, stored.version) == (row.title, row.status, 2)


def test_a_later_change_to_the_row_still_writes_one_version(session):
    generate(session, story=False)
    staff = _user(session, "hsq.staff1")
    row = create_purchase(session, staff, title="寫入測試", year=113, amount=1000)
    advance(session, PURCHASES, row.id, "decide", staff, evidence=MEETING, today=TODAY)
    row.title = "改過的名稱"
    session.commit()
    session.expire_all()
    assert (row.title, row.version) == ("改過的名稱", 3)


def test_approving_a_budget_change_moves_its_version_by_one(session):
    # The approval reads the plan's lines while the change row already holds its letter
    # number; an autoflush there used to write the row once more, two versions in one step.
    generate(session, story=False)
    plan = session.exec(select(Plan)).one()
    reviewer = _user(session, "moe.reviewer1")
    for event, who in (("submit", "hsq.supervisor"), ("start_review", "moe.reviewer1")):
        advance(session, PLANS, plan.id, event, _user(session, who), today=TODAY)
    approve_plan(session, reviewer, plan.id, "臺教資(四)字第1130012345號", today=TODAY)
    lines = {
        line.item: line
        for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
    }
    give, take = lines[BudgetItem.teacher_training], lines[BudgetItem.office_operations]
    change = request_budget_change(
        session,
        _user(session, "hsq.supervisor"),
        plan.id,
        {
            str(give.item): {"recurrent": give.recurrent - 1000, "capital": give.capital},
            str(take.item): {"recurrent": take.recurrent + 1000, "capital": take.capital},
        },
        "研習改採線上辦理",
    )
    before = change.version
    decide_budget_change(session, reviewer, change.id, approve=True, letter_no="臺教資第1號")
    session.commit()
    session.expire_all()
    assert change.version == before + 1


def test_advance_on_a_row_the_session_does_not_hold_yet(engine):
    # The bench's case, and a CLI's: the service reads the row itself, and the row the
    # session then loads shows the transition.
    with Session(engine, expire_on_commit=False) as setup:
        generate(setup, story=False)
        row = create_purchase(setup, _user(setup, "hsq.staff1"), title="未載入", year=113)
        setup.commit()
        item_id = row.id
    with Session(engine, expire_on_commit=False) as session:
        staff = _user(session, "hsq.staff1")
        advance(session, PURCHASES, item_id, "decide", staff, evidence=MEETING, today=TODAY)
        row = session.get(Purchase, item_id)
        assert inspect(row).persistent and not session.is_modified(row)
        assert (row.status, row.version, row.title) == (PurchaseState.meeting_decided, 2, "未載入")
        assert row.evidence["decide"]["minutes"] == "決議採購"
        session.commit()
        with Session(engine) as other:
            assert column_values(other.get(Purchase, item_id)) == column_values(row)
        with pytest.raises(UnknownItem):
            advance(session, PURCHASES, item_id + 1000, "decide", staff, evidence=MEETING)
