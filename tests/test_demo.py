"""The synthetic demo data: complete, marked as synthetic, consistent with the rules."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from model.counties import BY_NAME, COUNTIES
from model.db import make_engine
from model.demo import (
    PLAN_SECTIONS,
    PROFILES,
    DemoSummary,
    generate,
    junior_high_count,
    senior_high_count,
)
from model.migrate import upgrade
from model.milestone_kinds import MilestoneKind
from model.tables import BudgetLine, County, Milestone, Plan, Product, Purchase, School, User
from rules import InputError, SchoolFacts, estimate, load_rules, targets
from states.values import BudgetItem, PlanState, PurchaseState, Role

RULES = load_rules(113)
SYNTHETIC_TABLES = (School, User, Plan, Product, Purchase, Milestone)
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
# Monthly meetings, MOE-team meetings, workshops, literacy, parent session, settlement.
PLAN_MILESTONES = 12 + 4 + 4 + 2 + 1 + 1


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


# ------------------------------------------------------------------ counts and coverage
def test_generate_default_county_counts_match_summary(session, demo):
    assert demo == DemoSummary(
        county="新竹縣", counties=1, schools=HSINCHU_SCHOOLS, users=7, products=24, plans=1,
        purchases=6, milestones=PLAN_MILESTONES + HSINCHU_SCHOOLS + 6,
    )  # fmt: skip
    tables = {"schools": School, "users": User, "products": Product, "plans": Plan,
              "purchases": Purchase, "milestones": Milestone}  # fmt: skip
    for field, table in tables.items():
        assert _count(session, table) == getattr(demo, field)


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
    differing = [line for line in lines if line.requested != line.estimate]
    assert 2 <= len(differing) < len(lines) // 2
    assert all(line.explanation for line in differing)
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
    assert plan.status == PlanState.draft
    assert set(plan.sections) == set(PLAN_SECTIONS)
    assert all(text.strip() for text in plan.sections.values())
    assert [title[0] for title in PLAN_SECTIONS.values()] == list("壹貳參肆伍陸柒")
    minimums = targets(_facts(_schools(session)), RULES)
    assert all(plan.targets[key] >= value for key, value in minimums.items())


# ------------------------------------------------------------------ purchases and milestones
def test_generate_purchases_span_procurement_bands(session, demo):
    purchases = list(session.exec(select(Purchase)))
    staff = {u.id for u in session.exec(select(User).where(User.role == Role.county_staff))}
    amounts = [p.amount for p in purchases]
    assert any(a <= 150_000 for a in amounts)
    assert any(150_000 < a < 1_500_000 for a in amounts)
    assert any(a >= 1_500_000 for a in amounts)
    assert all(p.status == PurchaseState.needs_collected for p in purchases)
    assert all(p.owner_id in staff and p.product_id and p.title for p in purchases)


def test_generate_milestones_cover_every_kind_and_look_lived_in(session, demo):
    milestones = list(session.exec(select(Milestone)))
    assert {m.kind for m in milestones} == {k.value for k in MilestoneKind}
    by_kind = {k: [m for m in milestones if m.kind == k] for k in MilestoneKind}
    assert len(by_kind[MilestoneKind.working_meeting]) == 12
    assert len(by_kind[MilestoneKind.moe_team_meeting]) == 4
    open_lessons = by_kind[MilestoneKind.open_lesson]
    assert {m.school_id for m in open_lessons} == {s.id for s in _schools(session)}
    assert {m.due_on for m in open_lessons} == {date(2024, 12, 31)}
    disbursement = by_kind[MilestoneKind.purchase_disbursement]
    assert {m.subject_type for m in disbursement} == {"purchase"}
    assert {m.due_on for m in disbursement} == {date(2024, 11, 30)}
    assert by_kind[MilestoneKind.settlement_due][0].due_on == date(2025, 3, 31)
    done = [m for m in milestones if m.done_on is not None]
    assert done and all(m.done_on < date(2024, 7, 1) for m in done)
    assert all(m.owner_id is not None for m in milestones)


# ------------------------------------------------------------------ idempotence, determinism
def test_generate_twice_adds_nothing(session, demo):
    before = {t.__name__: _count(session, t) for t in (*SYNTHETIC_TABLES, BudgetLine)}
    again = generate(session)
    assert again == DemoSummary(county="新竹縣")
    assert {t.__name__: _count(session, t) for t in (*SYNTHETIC_TABLES, BudgetLine)} == before


def test_generate_repeats_the_same_data_on_a_fresh_database(sqlite_engine, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    rows = []
    for engine in (sqlite_engine, other):
        with Session(engine) as s:
            generate(s)
            rows.append([(x.code, x.name, x.area, x.students) for x in _schools(s)])
    other.dispose()
    assert rows[0] == rows[1]


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
