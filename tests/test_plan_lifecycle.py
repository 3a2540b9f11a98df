"""縣市實施計畫 through its lifecycle: every guard, access rule and log row, on both databases."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from demo.generate import generate
from model.tables import (
    BudgetLine,
    County,
    Milestone,
    Plan,
    ProgrammeYear,
    School,
    TransitionLog,
    User,
)
from rules import load_rules
from states.errors import TransitionRefused
from states.plan import STEPS
from states.values import BudgetItem, ItemType, PlanState, Role
from vocab.outline import PLAN_SECTIONS
from workflow.plan_estimate import county_estimate
from workflow.plans import PLANS, approve_plan, create_plan, update_plan_draft
from workflow.service import advance

TODAY = date(2024, 3, 1)
LETTER = "臺教資(四)字第1130012345號"


@pytest.fixture
def demo(session: Session) -> Plan:
    generate(session, story=False)
    return session.exec(select(Plan)).one()


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _logs(session: Session, plan_id: int) -> list[TransitionLog]:
    return list(
        session.exec(
            select(TransitionLog)
            .where(TransitionLog.item_type == ItemType.plan, TransitionLog.item_id == plan_id)
            .order_by(TransitionLog.id)
        )
    )


def _go(session: Session, plan: Plan, event: str, username: str, **kwargs) -> TransitionLog:
    return advance(session, PLANS, plan.id, event, _user(session, username), today=TODAY, **kwargs)


def _line(session: Session, plan: Plan, item: BudgetItem) -> BudgetLine:
    return session.exec(
        select(BudgetLine).where(BudgetLine.plan_id == plan.id, BudgetLine.item == item)
    ).one()


def _refused(session: Session, plan: Plan, event: str, username: str, **kwargs) -> list[str]:
    """The refused rule ids, after checking that the refusal changed nothing."""
    status, version, logs = plan.status, plan.version, len(_logs(session, plan.id))
    with pytest.raises(TransitionRefused) as refused:
        _go(session, plan, event, username, **kwargs)
    session.expire_all()
    reloaded = session.get(Plan, plan.id)
    assert (reloaded.status, reloaded.version) == (status, version)
    assert len(_logs(session, plan.id)) == logs
    return refused.value.rule_ids


def _other_county_user(session: Session, role: Role) -> User:
    taipei = session.exec(select(County).where(County.name == "臺北市")).one()
    user = User(
        username=f"tpe.{role}", display_name="他縣市", email="x@demo.example", role=role,
        county_id=taipei.id,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


def _to_review(session: Session, plan: Plan) -> None:
    _go(session, plan, "submit", "hsq.supervisor")
    _go(session, plan, "start_review", "moe.reviewer1")


# ------------------------------------------------------------------ the whole walk
WALK = (
    ("submit", "hsq.supervisor", {}, PlanState.submitted),
    ("start_review", "moe.reviewer1", {}, PlanState.under_review),
    ("return_plan", "moe.reviewer2", {"reason": "目標值請再檢視"}, PlanState.returned),
    ("resubmit", "hsq.supervisor", {}, PlanState.resubmitted),
    ("start_review", "moe.reviewer1", {}, PlanState.under_review),
    ("approve", "moe.reviewer1", {"evidence": {"letter_no": LETTER}, "letter_no": LETTER},
     PlanState.approved),
    ("start_execution", "hsq.staff1", {}, PlanState.in_execution),
    ("submit_final_report", "hsq.supervisor", {}, PlanState.final_report_submitted),
    ("close", "moe.reviewer2", {}, PlanState.closed),
)  # fmt: skip


def test_walk_plan_lifecycle_end_to_end(session, demo):
    for event, username, kwargs, state in WALK:
        entry = _go(session, demo, event, username, **kwargs)
        assert demo.status == state
        assert (entry.event, entry.to_state) == (event, state)
    logs = _logs(session, demo.id)
    assert [log.event for log in logs] == [event for event, *_ in WALK]
    assert [log.from_state for log in logs[1:]] == [log.to_state for log in logs[:-1]]
    assert logs[2].reason == "目標值請再檢視"
    assert logs[5].letter_no == LETTER
    assert (demo.letter_no, demo.approved_on, demo.submitted_on) == (LETTER, TODAY, TODAY)


def test_approve_plan_records_letter_and_date(session, demo):
    _to_review(session, demo)
    entry = approve_plan(
        session, _user(session, "moe.reviewer1"), demo.id, LETTER, approved_on=date(2024, 2, 27)
    )
    assert demo.status == PlanState.approved
    assert (demo.letter_no, demo.approved_on) == (LETTER, date(2024, 2, 27))
    assert (entry.letter_no, entry.evidence["letter_no"]) == (LETTER, LETTER)


def test_approve_refused_without_letter_no(session, demo):
    _to_review(session, demo)
    assert _refused(session, demo, "approve", "moe.reviewer1") == ["plan.letter_no"]


def test_return_refused_without_reason(session, demo):
    _to_review(session, demo)
    assert _refused(session, demo, "return_plan", "moe.reviewer1") == ["transition.reason"]


def test_approve_refused_while_draft(session, demo):
    ids = _refused(session, demo, "approve", "moe.reviewer1", evidence={"letter_no": LETTER})
    assert ids == ["state.not_allowed"]


# ------------------------------------------------------------------ access
def test_submit_refused_for_county_staff(session, demo):
    assert _refused(session, demo, "submit", "hsq.staff1") == ["access.role"]


def test_submit_refused_for_other_county_supervisor(session, demo):
    other = _other_county_user(session, Role.county_supervisor)
    assert _refused(session, demo, "submit", other.username) == ["access.county"]


def test_review_refused_for_county_supervisor(session, demo):
    _go(session, demo, "submit", "hsq.supervisor")
    assert _refused(session, demo, "start_review", "hsq.supervisor") == ["access.role"]


def test_submit_refused_for_auditor(session, demo):
    assert _refused(session, demo, "submit", "auditor") == ["access.role"]


# ------------------------------------------------------------------ submit guards
def _blank_goals(session, plan):
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, sections={"goals": "  "})


def _drop_counseling_line(session, plan):
    session.delete(_line(session, plan, BudgetItem.counseling_staff))
    session.flush()


def _unexplain_training(session, plan):
    lines = {"teacher_training": {"explanation": ""}}
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, lines=lines)


def _short_key_schools(session, plan):
    short = _minimums(session, plan)["key_schools"] - 1
    update_plan_draft(
        session, _user(session, "hsq.staff1"), plan.id, targets={"key_schools": short}
    )


def _pi_rate_too_high(session, plan):
    months = _line(session, plan, BudgetItem.principal_investigator).person_months
    lines = {"principal_investigator": {"monthly_rate": 9000, "recurrent": months * 9000}}
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, lines=lines)


def _pi_amount_off_rate(session, plan):
    # 12 person-months at 8,000 cannot ask for 5,000,000.
    lines = {
        "principal_investigator": {
            "person_months": 12, "monthly_rate": 8000, "recurrent": 5_000_000, "capital": 0,
        }
    }  # fmt: skip
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, lines=lines)


def _no_substitute_teaching(session, plan):
    lines = {"substitute_teaching": {"recurrent": 0, "capital": 0, "explanation": "本年度不申請"}}
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, lines=lines)


def _no_substitute_periods(session, plan):
    update_plan_draft(
        session, _user(session, "hsq.staff1"), plan.id, inputs={"periods_per_school": 0}
    )


def _administration_over_cap(session, plan):
    admin = _line(session, plan, BudgetItem.administration)
    lines = {"administration": {"recurrent": admin.recurrent + 1, "explanation": "多編 1 元"}}
    update_plan_draft(session, _user(session, "hsq.staff1"), plan.id, lines=lines)


def _minimums(session, plan) -> dict[str, int]:
    rules = load_rules(plan.year)
    _, minimums = county_estimate(session, session.get(County, plan.county_id), rules)
    return minimums


BREAKERS = {
    "plan.sections_complete": _blank_goals,
    "plan.budget_lines_present": _drop_counseling_line,
    "plan.unexplained_difference": _unexplain_training,
    "plan.targets_minimum": _short_key_schools,
    "plan.pi_rate_range": _pi_rate_too_high,
    "plan.pi_amount": _pi_amount_off_rate,
    "plan.substitute_every_school": _no_substitute_teaching,
    "plan.administration_cap": _administration_over_cap,
}


@pytest.mark.parametrize("rule_id", BREAKERS)
def test_submit_refused_when_rule_broken(session, demo, rule_id):
    BREAKERS[rule_id](session, demo)
    assert _refused(session, demo, "submit", "hsq.supervisor") == [rule_id]


def test_resubmit_refused_when_rule_broken(session, demo):
    # Resubmitting runs the submit guards (each on plain values: tests/test_guards_plan.py).
    assert STEPS["resubmit"].guards == STEPS["submit"].guards
    _to_review(session, demo)
    _go(session, demo, "return_plan", "moe.reviewer1", reason="請補正")
    _short_key_schools(session, demo)
    assert _refused(session, demo, "resubmit", "hsq.supervisor") == ["plan.targets_minimum"]


def test_submit_refusal_names_every_broken_rule(session, demo):
    _blank_goals(session, demo)
    _pi_rate_too_high(session, demo)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    assert refused.value.rule_ids == ["plan.sections_complete", "plan.pi_rate_range"]
    messages = [r.message for r in refused.value.refusals]
    assert "壹、計畫目標" in messages[0]
    assert "9,000" in messages[1] and "5,000–8,000" in messages[1]


def test_submit_refusal_names_short_target_and_minimum(session, demo):
    _short_key_schools(session, demo)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    minimum = _minimums(session, demo)["key_schools"]
    assert f"重點學校數 {minimum - 1}（至少 {minimum}）" in refused.value.refusals[0].message


def test_submit_refusal_names_unexplained_item(session, demo):
    _unexplain_training(session, demo)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    assert "3 教師增能研習費" in refused.value.refusals[0].message


# ------------------------------------------------------------------ a plan built from nothing
def _fill_plan_without_schools(session: Session, user: User, plan: Plan) -> None:
    """Every rule but the school list holds: requests equal the (school-less) estimate."""
    rules = load_rules(plan.year)
    county = session.get(County, plan.county_id)
    est, minimums = county_estimate(session, county, rules)
    lines = {
        item.value: {"recurrent": est.items.get(item.value, 0), "capital": 0} for item in BudgetItem
    }
    sections = {key: "內容" for key in PLAN_SECTIONS}
    update_plan_draft(session, user, plan.id, sections=sections, targets=minimums, lines=lines)


def test_submit_refused_without_school_list(session, demo):
    chiayi = session.exec(select(County).where(County.name == "嘉義市")).one()
    user = User(
        username="cyc.supervisor", display_name="主管", email="c@demo.example",
        role=Role.county_supervisor, county_id=chiayi.id,
    )  # fmt: skip
    session.add(user)
    plan = create_plan(session, user, chiayi.id, 113)
    _fill_plan_without_schools(session, user, plan)
    assert _refused(session, plan, "submit", user.username) == ["plan.schools_listed"]


def test_create_plan_starts_draft_and_logs_creation(session, demo):
    supervisor = _other_county_user(session, Role.county_supervisor)
    plan = create_plan(session, supervisor, supervisor.county_id, 113)
    assert plan.status == PlanState.draft
    assert [(log.event, log.to_state) for log in _logs(session, plan.id)] == [("create", "draft")]


# ------------------------------------------------------------------ create and edit refusals
def _create_refused(session, user, county_id) -> list[str]:
    before = session.exec(select(func.count()).select_from(Plan)).one()
    with pytest.raises(TransitionRefused) as refused:
        create_plan(session, user, county_id, 113)
    assert session.exec(select(func.count()).select_from(Plan)).one() == before
    return refused.value.rule_ids


def test_create_plan_refused_when_county_has_one(session, demo):
    assert _create_refused(session, _user(session, "hsq.staff1"), demo.county_id) == ["plan.exists"]


def test_create_plan_refused_for_other_county(session, demo):
    staff = _other_county_user(session, Role.county_staff)
    assert _create_refused(session, staff, demo.county_id) == ["access.county", "plan.exists"]


def test_create_plan_refused_for_ministry(session, demo):
    reviewer = _user(session, "moe.reviewer1")
    taipei = session.exec(select(County).where(County.name == "臺北市")).one()
    assert _create_refused(session, reviewer, taipei.id) == ["access.role"]


def _edit_refused(session, user, plan, **changes) -> list[str]:
    sections, version = dict(plan.sections), plan.version
    with pytest.raises(TransitionRefused) as refused:
        update_plan_draft(session, user, plan.id, **changes)
    session.expire_all()
    reloaded = session.get(Plan, plan.id)
    assert (reloaded.sections, reloaded.version) == (sections, version)
    return refused.value.rule_ids


def test_update_draft_refused_once_submitted(session, demo):
    _go(session, demo, "submit", "hsq.supervisor")
    staff = _user(session, "hsq.staff1")
    assert _edit_refused(session, staff, demo, sections={"goals": "改"}) == ["plan.locked"]


def test_update_draft_refused_for_other_county(session, demo):
    staff = _other_county_user(session, Role.county_staff)
    assert _edit_refused(session, staff, demo, sections={"goals": "改"}) == ["access.county"]


def test_update_draft_refused_for_ministry(session, demo):
    reviewer = _user(session, "moe.reviewer1")
    assert _edit_refused(session, reviewer, demo, sections={"goals": "改"}) == ["access.role"]


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": {"teacher_training": {"recurrent": -5}}},
        {"lines": {"teacher_training": {"recurrent": 1.5}}},
        {"lines": {"no_such_item": {"recurrent": 5}}},
        {"targets": {"key_schools": "十"}},
        {"sections": {"no_such_section": "x"}},
    ],
)
def test_update_draft_refused_on_bad_values(session, demo, changes):
    staff = _user(session, "hsq.staff1")
    training = _line(session, demo, BudgetItem.teacher_training).recurrent
    assert _edit_refused(session, staff, demo, **changes) == ["evidence.format"]
    assert _line(session, demo, BudgetItem.teacher_training).recurrent == training


def test_update_draft_allowed_when_returned(session, demo):
    _to_review(session, demo)
    _go(session, demo, "return_plan", "moe.reviewer1", reason="請補正")
    update_plan_draft(session, _user(session, "hsq.staff1"), demo.id, sections={"goals": "新目標"})
    assert demo.sections["goals"] == "新目標"


def test_update_draft_refreshes_estimate_from_school_list(session, demo):
    # More students raise 6 數位內容及教學軟體, estimated per head (teachers + students).
    before = _line(session, demo, BudgetItem.digital_content).estimate
    school = session.exec(select(School).where(School.county_id == demo.county_id)).first()
    school.students += 10
    session.flush()
    update_plan_draft(session, _user(session, "hsq.staff1"), demo.id, lines={})
    after = _line(session, demo, BudgetItem.digital_content).estimate
    assert after == before + 10 * session.get(ProgrammeYear, 113).per_head_rate


def test_update_draft_refused_when_county_sets_per_head(session, demo):
    # The per-head amount is the ministry's: a county setting it would set its own estimate.
    before = _line(session, demo, BudgetItem.digital_content).estimate
    staff = _user(session, "hsq.staff1")
    refused = _edit_refused(session, staff, demo, inputs={"per_head": 500, "workshops": 1})
    assert refused == ["plan.per_head_ministry"]
    assert demo.inputs["per_head"] == session.get(ProgrammeYear, 113).per_head_rate
    assert demo.inputs["workshops"] != 1
    assert _line(session, demo, BudgetItem.digital_content).estimate == before


def test_submit_refused_when_digital_content_exceeds_ministry_estimate(session, demo):
    line = _line(session, demo, BudgetItem.digital_content)
    lines = {"digital_content": {"recurrent": line.recurrent + 100_000, "explanation": ""}}
    update_plan_draft(session, _user(session, "hsq.staff1"), demo.id, lines=lines)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    assert refused.value.rule_ids == ["plan.unexplained_difference"]
    assert "6 數位內容及教學軟體" in refused.value.refusals[0].message


def test_submit_refusal_names_pi_amount_and_product(session, demo):
    _pi_amount_off_rate(session, demo)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    message = refused.value.refusals[0].message
    assert "5,000,000" in message and "12 人月" in message and "96,000" in message


def test_submit_refusal_cites_every_school(session, demo):
    _no_substitute_periods(session, demo)
    with pytest.raises(TransitionRefused) as refused:
        _go(session, demo, "submit", "hsq.supervisor")
    # The estimate follows the periods to 0, so the request also differs from it.
    by_rule = {r.rule_id: r.message for r in refused.value.refusals}
    assert "「須補助至每一學校」" in by_rule["plan.substitute_every_school"]
    assert "每校代課節數為 0" in by_rule["plan.substitute_every_school"]


def _plan_milestones(session: Session, plan: Plan) -> set[tuple[str, int | None, date]]:
    rows = session.exec(
        select(Milestone.kind, Milestone.school_id, Milestone.due_on).where(
            Milestone.subject_type == ItemType.plan, Milestone.subject_id == plan.id
        )
    )
    return set(rows)


def test_approve_opens_plan_milestones(session, demo):
    # The demo already carries some of the plan's milestones; approval adds the rest once.
    _to_review(session, demo)
    before = _plan_milestones(session, demo)
    approve_plan(session, _user(session, "moe.reviewer1"), demo.id, LETTER, today=TODAY)
    opened = _plan_milestones(session, demo) - before
    assert opened
