"""The synthetic demo data: complete, marked as synthetic, consistent with the rules."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from config.clock import local, now
from demo.generate import (
    PLAN_SECTIONS,
    PROFILES,
    DemoSummary,
    generate,
    junior_high_count,
    senior_high_count,
)
from demo.story import PURCHASE_STEPS, RETURN_REASON
from model.assignments import county_reviewers
from model.counties import BY_NAME, COUNTIES
from model.db import make_engine
from model.migrate import upgrade
from model.tables import (
    Activity,
    BudgetChange,
    BudgetLine,
    County,
    Milestone,
    Plan,
    Product,
    Purchase,
    Reimbursement,
    School,
    TransitionLog,
    User,
)
from rules import InputError, SchoolFacts, estimate, load_rules, targets
from states.clause import contains_clause
from states.values import BudgetChangeState, BudgetItem, PlanState, PurchaseState, Role
from vocab.milestone_kinds import MilestoneKind
from workflow.targets_progress import progress

RULES = load_rules(113)
SYNTHETIC_TABLES = (School, User, Plan, Product, Purchase, Milestone, Activity, Reimbursement)
# SPEC.md: county-run 國小 per county in 113學年度.
REAL_ELEMENTARY = dict(
    zip(
        (c.name for c in COUNTIES),
        (222, 151, 195, 243, 214, 246, 78, 87, 114, 174, 140,
         157, 120, 164, 88, 103, 37, 41, 33, 19, 19, 7),
        strict=True,
    )
)  # fmt: skip
HSINCHU_SCHOOLS = 87 + junior_high_count(87) + senior_high_count(87)
# story=False: monthly meetings, MOE-team meetings, workshops, literacy, parent, settlement.
PLAIN_PLAN_MILESTONES = 12 + 4 + 4 + 2 + 1 + 1
# Opened by the approval on 2024-03-15: meetings March–January, 4 MOE-team meetings, the 5
# yearly trainings/sessions, 2 semesters of companion visits; then 5 purchases decided
# and the reimbursement's settlement deadline; and the 3 reporting dates the admin announced.
STORY_MILESTONES = 11 + 4 + 5 + 2 + 5 + 1 + 3
STORY_END = date(2024, 11, 20)
LETTER = "臺教資(三)字第1130012345號"
MINISTRY = {Role.ministry_reviewer, Role.ministry_admin}


@pytest.fixture
def demo(session) -> DemoSummary:
    return generate(session)


def _count(session: Session, table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _demo_county(session: Session) -> County:
    return session.exec(select(County).where(County.name == "新竹縣")).one()


def _schools(session: Session) -> list[School]:
    return list(session.exec(select(School).order_by(School.seq)))


def _facts(schools: list[School]) -> list[SchoolFacts]:
    return [SchoolFacts(s.level, s.remote, s.classes, s.teachers, s.students) for s in schools]


def _log(session: Session, item_type: str, item_id: int) -> list[TransitionLog]:
    query = select(TransitionLog).where(
        TransitionLog.item_type == item_type, TransitionLog.item_id == item_id
    )
    return list(session.exec(query.order_by(TransitionLog.id)))


def _purchases(session: Session) -> list[Purchase]:
    return list(session.exec(select(Purchase).order_by(Purchase.id)))


# ------------------------------------------------------------------ counts and coverage
def test_generate_default_county_counts_match_summary(session, demo):
    assert demo == DemoSummary(
        county="新竹縣", counties=1, schools=HSINCHU_SCHOOLS, users=7, products=24, plans=1,
        purchases=6, milestones=STORY_MILESTONES + HSINCHU_SCHOOLS,
        activities=demo.activities, transitions=demo.transitions,
    )  # fmt: skip
    assert demo.activities > HSINCHU_SCHOOLS // 2 and demo.transitions > 30
    tables = {"schools": School, "users": User, "products": Product, "plans": Plan,
              "purchases": Purchase, "milestones": Milestone, "activities": Activity,
              "transitions": TransitionLog}  # fmt: skip
    for field, table in tables.items():
        assert _count(session, table) == getattr(demo, field)


def test_generate_without_story_keeps_the_plain_rows(session):
    summary = generate(session, story=False)
    counts = summary.plans, summary.purchases, summary.activities, summary.transitions
    assert counts == (1, 6, 0, 0)
    assert summary.milestones == PLAIN_PLAN_MILESTONES + HSINCHU_SCHOOLS + 6 + 3  # 3 reporting
    assert session.exec(select(Plan)).one().status == PlanState.draft
    assert {p.status for p in _purchases(session)} == {PurchaseState.needs_collected}
    assert _count(session, TransitionLog) == 0


def test_generate_default_county_covers_every_school_kind(session, demo):
    schools = _schools(session)
    assert {s.level for s in schools} == {"國小", "國中", "高中"}
    assert {s.area for s in schools} == {"偏遠", "非山非市", "一般"}
    assert {s.establishment for s in schools} == {"公立", "市立", "縣立", "私立"}
    assert {s.affiliation for s in schools} == {"大學附屬", "高中附屬", "完全中學", "國中小"}
    assert 1 <= sum(s.indigenous for s in schools) < len(schools) // 4


def test_generate_default_county_numbers_schools_in_demo_range(session, demo):
    schools = _schools(session)
    assert [s.seq for s in schools] == list(range(1, len(schools) + 1))
    assert [s.code for s in schools] == [f"04{9000 + i}" for i in range(len(schools))]
    assert all(s.name.endswith("(示範)") for s in schools)
    assert len({s.name for s in schools}) == len(schools)


def test_generate_school_sizes_fit_their_kind(session, demo):
    for s in _schools(session):
        if s.remote and s.level == "國小":
            assert (s.classes, 9 <= s.teachers <= 12, 25 <= s.students <= 60) == (6, True, True)
        elif s.level == "國小" and s.area == "一般":
            assert 12 <= s.classes <= 60
            assert 1.5 <= s.teachers / s.classes <= 2.1
            assert 20 <= s.students / s.classes <= 28


def test_generate_creates_every_role(session, demo):
    users = list(session.exec(select(User)))
    assert {u.role for u in users} == set(Role)
    staff = [u.username for u in users if u.role == Role.county_staff]
    assert sorted(staff) == ["hsq.staff1", "hsq.staff2"]
    reviewers = [u for u in users if u.role == Role.ministry_reviewer]
    assert [u.daily_digest for u in sorted(reviewers, key=lambda u: u.username)] == [True, False]
    assert all(u.email == f"{u.username}@demo.example" for u in users)
    assert all(u.password_hash is None and u.username.isascii() for u in users)
    assert all(not u.display_name.isascii() for u in users)


def test_generate_flags_exactly_the_data_clause_products(session, demo):
    products = list(session.exec(select(Product)))
    flagged = {p.name for p in products if p.needs_data_clause}
    assert flagged == set(RULES.software.data_clause_products)
    assert {p.group for p in products} == {"數位內容組", "課堂教學軟體組"}
    assert all(len(p.serial) == 9 and p.serial[5] == "-" for p in products)
    assert len({p.serial for p in products}) == len(products)


def test_generate_marks_every_row_synthetic(session, demo):
    for table in SYNTHETIC_TABLES:
        assert session.exec(select(func.count()).where(~table.synthetic)).one() == 0
        assert _count(session, table) > 0


# ------------------------------------------------------------------ the plan
def test_generate_budget_lines_equal_rules_estimate(session, demo):
    plan = session.exec(select(Plan)).one()
    lines = {line.item: line for line in session.exec(select(BudgetLine))}
    expected = estimate(_facts(_schools(session)), RULES, **plan.inputs).items
    assert set(lines) == set(BudgetItem)
    for item, line in lines.items():
        assert line.plan_id == plan.id
        assert line.estimate == expected.get(str(item), 0), item


def test_generate_budget_lines_explain_every_difference(session, demo):
    lines = list(session.exec(select(BudgetLine)))
    change = session.exec(select(BudgetChange)).one()
    differing = [line for line in lines if line.requested != line.estimate]
    assert 2 <= len(differing) < len(lines) // 2
    # A line differs for a reason the county wrote down, or because the ministry approved
    # moving money into it (經費變更).
    assert all(line.explanation or str(line.item) in change.lines for line in differing)
    content = next(line for line in lines if line.item == BudgetItem.digital_content)
    assert 0 < content.capital < content.recurrent


def test_generate_part_time_lines_stay_inside_rule_rates(session, demo):
    rates = {
        BudgetItem.principal_investigator: RULES.budget.part_time_pi,
        BudgetItem.co_investigator: RULES.budget.part_time_co_pi,
    }
    for line in session.exec(select(BudgetLine).where(BudgetLine.estimate == 0)):
        if line.item in rates:
            r = rates[line.item]
            assert r.min_monthly <= line.monthly_rate <= r.max_monthly
            assert line.person_months == 12
            assert line.recurrent == line.person_months * line.monthly_rate


def test_generate_plan_fills_sections_and_meets_targets(session, demo):
    plan = session.exec(select(Plan)).one()
    assert plan.status == PlanState.in_execution
    assert set(plan.sections) == set(PLAN_SECTIONS)
    assert all(text.strip() for text in plan.sections.values())
    assert [title[0] for title in PLAN_SECTIONS.values()] == list("壹貳參肆伍陸柒")
    minimums = targets(_facts(_schools(session)), RULES)
    assert all(plan.targets[key] >= value for key, value in minimums.items())


# ------------------------------------------------------------------ the story, through the service
def test_generate_plan_history_is_returned_once_then_approved_with_letter(session, demo):
    plan = session.exec(select(Plan)).one()
    steps = [(x.event, local(x.at).date(), x.actor_role) for x in _log(session, "plan", plan.id)]
    assert steps == [
        ("create", date(2024, 1, 10), Role.county_staff),
        ("submit", date(2024, 2, 20), Role.county_supervisor),
        ("start_review", date(2024, 2, 21), Role.ministry_reviewer),
        ("return_plan", date(2024, 2, 27), Role.ministry_reviewer),
        ("resubmit", date(2024, 3, 5), Role.county_supervisor),
        ("start_review", date(2024, 3, 6), Role.ministry_reviewer),
        ("approve", date(2024, 3, 15), Role.ministry_reviewer),
        ("start_execution", date(2024, 3, 18), Role.county_supervisor),
    ]
    logs = {x.event: x for x in _log(session, "plan", plan.id)}
    assert logs["return_plan"].reason == RETURN_REASON
    assert logs["approve"].letter_no == LETTER == plan.letter_no
    assert logs["approve"].evidence == {"letter_no": LETTER, "approved_on": "2024-03-15"}
    assert (plan.submitted_on, plan.approved_on) == (date(2024, 3, 5), date(2024, 3, 15))


def test_generate_plan_is_decided_by_the_reviewer_the_county_is_assigned_to(session, demo):
    plan = session.exec(select(Plan)).one()
    assigned = county_reviewers(session, [plan.county_id])[plan.county_id]
    reviewer_steps = {x.actor_id for x in _log(session, "plan", plan.id)
                      if x.actor_role == Role.ministry_reviewer}  # fmt: skip
    assert [u.username for u in assigned] == ["moe.reviewer2"]
    assert reviewer_steps == {assigned[0].id}


def test_generate_purchases_reach_their_states_each_with_a_full_log(session, demo):
    purchases = _purchases(session)
    assert sorted(p.status for p in purchases) == sorted([
        PurchaseState.closed, PurchaseState.disbursement_requested, PurchaseState.contracted,
        PurchaseState.contracted, PurchaseState.clause_verified, PurchaseState.needs_collected,
    ])  # fmt: skip
    for p in purchases:
        log = _log(session, "purchase", p.id)
        taken = [x.event for x in log]
        assert taken == ["create", *PURCHASE_STEPS[: len(taken) - 1]], p.title
        assert [x.from_state for x in log[1:]] == [x.to_state for x in log[:-1]]
        assert log[-1].to_state == p.status
        assert all(local(x.at).date() <= STORY_END for x in log)
    requested = next(p for p in purchases if p.status == PurchaseState.disbursement_requested)
    assert requested.disbursement_requested_on <= date(2024, 11, 30)
    assert requested.evidence["late_request"] is False


def test_generate_purchases_follow_procurement_and_clause_rules(session, demo):
    products = {p.id: p for p in session.exec(select(Product))}
    contracted = [p for p in _purchases(session) if "contract" in p.evidence]
    methods = {p.evidence["contract"]["method"] for p in contracted}
    assert methods == {"small_purchase", "three_quotes", "open"}
    for p in contracted:
        method = p.evidence["contract"]["method"]
        assert RULES.procurement.method_allowed(p.procurement_amount, method)
        assert p.evidence["contract"]["amount"] == p.amount
    clause = [p for p in contracted if products[p.product_id].needs_data_clause]
    assert clause and all(
        p.evidence["verify_clause"]["document"] == "contract"
        and contains_clause(p.evidence["verify_clause"]["text"], RULES.software.data_clause_text)
        for p in clause
    )
    for p in _purchases(session):
        if "decide" in p.evidence:
            roles = {a["role"] for a in p.evidence["decide"]["attendees"]}
            assert set(RULES.software.meeting.min_attendees_by_role) <= roles


def test_generate_money_is_disbursed_and_changed_within_the_rules(session, demo):
    row = session.exec(select(Reimbursement)).one()
    band = RULES.disbursement.band_for(row.approved_amount)
    assert 0 < row.disbursed * 10000 <= row.subsidy * band.first_tranche_max_bp
    assert [x.event for x in _log(session, "reimbursement", row.id)] == ["create", "disburse"]
    change = session.exec(select(BudgetChange)).one()
    assert change.status == BudgetChangeState.approved and change.letter_no
    assert set(change.lines) == {"teacher_training", "office_operations"}
    lines = {str(x.item): x for x in session.exec(select(BudgetLine))}
    for item, parts in change.lines.items():
        assert (lines[item].recurrent, lines[item].capital) == (parts["recurrent"], 0)
    # Moved, not added: the plan total the reimbursement was opened on still holds.
    assert row.approved_amount == sum(x.requested for x in lines.values())


def test_generate_log_actors_act_for_their_own_county_or_the_ministry(session, demo):
    _assert_actors_belong(session)


def _assert_actors_belong(session: Session) -> None:
    users = {u.id: u for u in session.exec(select(User))}
    county_of = {
        "plan": {p.id: p.county_id for p in session.exec(select(Plan))},
        "purchase": {p.id: p.county_id for p in session.exec(select(Purchase))},
        "reimbursement": {r.id: r.county_id for r in session.exec(select(Reimbursement))},
    }
    plans = county_of["plan"]
    county_of["budget_change"] = {
        c.id: plans[c.plan_id] for c in session.exec(select(BudgetChange))
    }
    logs = list(session.exec(select(TransitionLog)))
    assert logs
    for x in logs:
        actor = users[x.actor_id]
        assert actor.role == x.actor_role
        if actor.role in MINISTRY:
            assert actor.county_id is None
        else:
            assert actor.county_id == county_of[x.item_type][x.item_id], (x.event, actor)


def test_generate_progress_is_partial_with_milestones_done_and_overdue(session, demo):
    county = _demo_county(session)
    tracked = {k: p for k, p in progress(session, county.id, 113).items() if p.achieved is not None}
    reached = [k for k, p in tracked.items() if p.achieved >= p.target]
    short = [k for k, p in tracked.items() if 0 < p.achieved < p.target]
    assert reached and short and len(reached) + len(short) == len(tracked)
    open_lessons = tracked["open_lessons"]
    assert 65 <= open_lessons.achieved * 100 // open_lessons.target <= 75
    milestones = list(session.exec(select(Milestone)))
    overdue = [m for m in milestones if m.done_on is None and m.due_on < STORY_END]
    assert {m.title for m in overdue} == {
        "113年7月推動辦公室工作會議",
        "113年8月推動辦公室工作會議",
    }
    assert sum(m.done_on is not None for m in milestones) > len(milestones) // 2


def test_generate_stamps_rows_with_the_story_s_days_then_restores_the_clock(session, demo):
    stamps = [local(x.at) for x in session.exec(select(TransitionLog))]
    stamps += [local(a.recorded_at) for a in session.exec(select(Activity))]
    assert all(date(2024, 1, 1) <= s.date() <= STORY_END for s in stamps)
    for a in session.exec(select(Activity)):
        assert a.held_on <= local(a.recorded_at).date() <= STORY_END
    fresh = TransitionLog(item_type="plan", item_id=0, event="x", from_state="", to_state="x",
                          actor_role="auditor")  # fmt: skip
    assert abs(fresh.at - now()) < timedelta(minutes=5)


# ------------------------------------------------------------------ purchases and milestones
def test_generate_purchases_span_procurement_bands(session, demo):
    purchases = _purchases(session)
    staff = {u.id for u in session.exec(select(User).where(User.role == Role.county_staff))}
    amounts = [p.amount for p in purchases]
    assert any(a <= 150_000 for a in amounts)
    assert any(150_000 < a < 1_500_000 for a in amounts)
    assert any(a >= 1_500_000 for a in amounts)
    assert all(p.owner_id in staff and p.product_id and p.title for p in purchases)


def test_generate_milestones_cover_every_kind_and_look_lived_in(session, demo):
    milestones = list(session.exec(select(Milestone)))
    assert {m.kind for m in milestones} == {k.value for k in MilestoneKind}
    by_kind = {k: [m for m in milestones if m.kind == k] for k in MilestoneKind}
    # Approved on 2024-03-15: monthly meetings from March to the plan's last month.
    meetings = by_kind[MilestoneKind.working_meeting]
    assert sorted(m.due_on for m in meetings)[0] == date(2024, 3, 31)
    assert len(meetings) == 11
    assert len(by_kind[MilestoneKind.moe_team_meeting]) == 4
    open_lessons = by_kind[MilestoneKind.open_lesson]
    assert {m.school_id for m in open_lessons} == {s.id for s in _schools(session)}
    assert {m.due_on for m in open_lessons} == {date(2024, 12, 31)}
    disbursement = by_kind[MilestoneKind.purchase_disbursement]
    assert {m.subject_type for m in disbursement} == {"purchase"}
    assert {m.due_on for m in disbursement} == {date(2024, 11, 30)}
    assert len([m for m in disbursement if m.done_on is None]) == 3  # 2 contracted, 1 verified
    assert by_kind[MilestoneKind.settlement_due][0].due_on == date(2025, 3, 31)
    # The plan's submission was done before the approval: on the day it was (re)submitted.
    [submitted] = by_kind[MilestoneKind.plan_submission]
    assert submitted.done_on == session.get(Plan, submitted.subject_id).submitted_on
    done = [m for m in milestones if m.done_on is not None and m is not submitted]
    assert done and all(date(2024, 3, 15) <= m.done_on <= STORY_END for m in done)
    assert all(m.owner_id is not None for m in milestones)


# ------------------------------------------------------------------ idempotence, determinism
def test_generate_twice_adds_nothing(session, demo):
    tables = (*SYNTHETIC_TABLES, BudgetLine, BudgetChange, TransitionLog)
    before = {t.__name__: _count(session, t) for t in tables}
    again = generate(session)
    assert again == DemoSummary(county="新竹縣")
    assert {t.__name__: _count(session, t) for t in tables} == before


def test_generate_repeats_the_same_data_on_a_fresh_database(sqlite_engine, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    rows = []
    for engine in (sqlite_engine, other):
        with Session(engine) as s:
            generate(s)
            rows.append([(x.code, x.name, x.area, x.students) for x in _schools(s)])
            rows.append([(p.title, p.status, p.amount, p.evidence) for p in _purchases(s)])
            rows.append([(x.event, x.to_state, x.evidence, x.at) for x in s.exec(
                select(TransitionLog).order_by(TransitionLog.id))])  # fmt: skip
    other.dispose()
    assert rows[:3] == rows[3:]


def test_generate_unknown_county_is_refused(session):
    with pytest.raises(InputError):
        generate(session, county_name="火星市")
    assert _count(session, School) == 0


def test_generate_all_counties_matches_real_school_counts(sqlite_engine):
    with Session(sqlite_engine) as s:
        summary = generate(s, all_counties=True)
        rows = s.exec(
            select(County.name, School.level, func.count())
            .join(School, School.county_id == County.id)
            .group_by(County.name, School.level)
        ).all()
        plans = _count(s, Plan)
    assert summary.counties == 22 and plans == 22
    elementary = {name: n for name, level, n in rows if level == "國小"}
    assert set(elementary) == set(BY_NAME) == set(PROFILES)
    for name, real in REAL_ELEMENTARY.items():
        assert abs(elementary[name] - real) <= real * 0.1, name
    real_total = sum(REAL_ELEMENTARY.values()) * 1.28
    assert abs(summary.schools - real_total) <= real_total * 0.1


def test_generate_all_counties_gives_the_ministry_plans_in_every_review_state(sqlite_engine):
    with Session(sqlite_engine) as s:
        generate(s, all_counties=True)
        demo = _demo_county(s)
        others = [p for p in s.exec(select(Plan)) if p.county_id != demo.id]
        statuses = [p.status for p in others]
        assert set(statuses) == {PlanState.draft, PlanState.returned, PlanState.submitted,
                                 PlanState.under_review, PlanState.in_execution}  # fmt: skip
        assert statuses.count(PlanState.in_execution) > len(others) // 2
        approved = [p for p in others if p.status == PlanState.in_execution]
        assert len({p.letter_no for p in approved}) == len(approved)
        purchases = [p for p in _purchases(s) if p.county_id != demo.id]
        assert len(purchases) == 2 * len(others)
        assert {p.status for p in purchases} == {
            PurchaseState.needs_collected,
            PurchaseState.meeting_decided,
        }
        assert s.exec(select(func.count()).where(~Milestone.synthetic)).one() == 0
        _assert_actors_belong(s)
