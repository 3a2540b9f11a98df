"""A new year is a new rules file: a 114.toml with other numbers, and no code change.

The file is written to a temporary rules directory (JINGJIN_RULES_DIR); the estimate, a
purchase, a plan submission and a reminder day then follow its numbers, not 113's.
"""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from config.settings import get_settings
from demo.generate import generate
from flows.jobs import run
from model.alerts import REMINDER, MilestoneAlert
from model.db import session_scope
from model.tables import BudgetLine, Milestone, Plan, Product, User
from rules import load_rules
from rules.schema import RULES_DIR
from states.errors import TransitionRefused
from states.values import PlanState, PurchaseState
from tests.cli_env import configured
from tests.cli_env import run as invoke
from workflow.plans import PLANS
from workflow.purchases import PURCHASES, create_purchase
from workflow.service import advance
from workflow.targets_progress import _moe_dues

CHANGES = [
    ("year = 113", "year = 114"),
    ("start = 2024-01-01", "start = 2025-01-01"),
    ("end = 2025-01-31", "end = 2026-01-31"),
    ("per_person = 650000", "per_person = 680000"),  # 專任行政人力
    ('"國小" = 336', '"國小" = 360'),  # 代課鐘點費
    ("per_session = 30000", "per_session = 32000"),  # 教師增能研習
    ("cap = 600000 ", "cap = 500000 "),  # 行政管理費上限
    ("moe_team_meetings_min = 4", "moe_team_meetings_min = 6"),
    ("small_purchase_max = 150000", "small_purchase_max = 200000"),
    ("announcement_threshold = 1500000", "announcement_threshold = 2000000"),
    ("date = 2024-11-30", "date = 2025-11-28"),  # 經費請撥期限 (a Friday)
    ("date = 2025-03-31", "date = 2026-03-31"),  # 結報
    ("first_year = 2024", "first_year = 2025"),
    ("last_year = 2025", "last_year = 2026"),
    ("[14, 7, 3, 1]", "[10, 5, 2, 1]"),
]
# The 114 calendar: 2025 as published, 2026 opened with 1/1, and a closing day the test
# invents on Wed 2025-11-26 so that the reminder days can only come from this file.
CALENDAR_2025 = """holidays = [
  2025-01-01, 2025-01-27, 2025-01-28, 2025-01-29, 2025-01-30, 2025-01-31, 2025-02-28,
  2025-04-03, 2025-04-04, 2025-05-30, 2025-09-29, 2025-10-06, 2025-10-10, 2025-10-24,
  2025-11-26, 2025-12-25, 2026-01-01,
]
makeup_workdays = [2025-02-08]
"""


def write_114(directory: Path) -> Path:
    text = (RULES_DIR / "113.toml").read_text(encoding="utf-8")
    for old, new in CHANGES:
        assert old in text, old
        text = text.replace(old, new, 1)
    start = text.index("holidays = [")
    end = text.index("# ----", start)
    text = text[:start] + CALENDAR_2025 + "\n" + text[end:]
    path = directory / "114.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rules_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    write_114(directory)
    monkeypatch.setenv("JINGJIN_RULES_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


@pytest.fixture
def year_114(rules_dir, engine):
    with session_scope(engine) as session:
        generate(session, year=114, story=False)
    return engine


def test_rules_114_read_from_the_configured_directory(rules_dir):
    rules = load_rules(114)
    assert rules.budget.admin_staff.per_person == 680000
    assert rules.procurement.small_purchase_max == 200000
    assert rules.calendar.first_year == 2025


def test_estimate_follows_114_numbers(year_114):
    with Session(year_114) as session:
        plan = session.exec(select(Plan).where(Plan.year == 114)).one()
        lines = {
            str(line.item): line.estimate
            for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
        }
        workshops = plan.inputs["workshops"]
    rules = load_rules(114)
    persons = 2  # 新竹縣's demo list: 61–180 schools
    assert lines["admin_staff"] == 680000 * persons
    assert lines["teacher_training"] == 32000 * workshops
    assert lines["administration"] <= 500000 == rules.budget.administration.cap


def test_ministry_team_meetings_follow_114_minimum(rules_dir):
    # The milestones an approval opens: six ministry-team meetings, every other month.
    dues = [d.due_on for d in _moe_dues(load_rules(114), date(2025, 1, 15))]
    ends = {2: 28, 4: 30, 6: 30, 8: 31, 10: 31, 12: 31}
    assert dues == [date(2025, m, day) for m, day in ends.items()]


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def test_purchase_bands_follow_114_thresholds(year_114):
    with session_scope(year_114) as session:
        plan = session.exec(select(Plan).where(Plan.year == 114)).one()
        plan.status = PlanState.approved  # the plan lifecycle is tested on its own
        staff = _user(session, "hsq.staff1")
        product = session.exec(select(Product).where(Product.year == 114)).first()
        amount = 180_000  # over 113's 小額採購 cap, under 114's
        row = create_purchase(session, staff, title="114 採購", year=114, amount=amount)
        steps = [
            ("decide", {"held_on": "2025-03-01", "minutes": "決議採購", "attendees": [
                {"name": "王老師", "role": "teacher"}, {"name": "李主任", "role": "school_admin"},
                {"name": "陳專員", "role": "office_member"}]}),
            ("verify_product", {"product_serial": product.serial, "amount": amount}),
            ("verify_clause", {"document": "contract", "text":
                               "契約：" + load_rules(114).software.data_clause_text}),
        ]  # fmt: skip
        for event, evidence in steps:
            advance(session, PURCHASES, row.id, event, staff, evidence=evidence,
                    today=date(2025, 6, 1))  # fmt: skip
        contract = {"method": "small_purchase", "awarded_on": "2025-06-01", "vendor": "廠商",
                    "procurement_amount": amount, "amount": amount}  # fmt: skip
        advance(session, PURCHASES, row.id, "contract", staff, evidence=contract,
                today=date(2025, 6, 2))  # fmt: skip
        assert row.status == PurchaseState.contracted
        due = session.exec(
            select(Milestone.due_on).where(
                Milestone.subject_type == "purchase", Milestone.subject_id == row.id
            )
        ).one()
        assert due == date(2025, 11, 28)


def test_plan_submit_follows_114_minimums(year_114):
    with session_scope(year_114) as session:
        plan = session.exec(select(Plan).where(Plan.year == 114)).one()
        supervisor = _user(session, "hsq.supervisor")
        assert plan.targets["moe_team_meetings"] >= 6  # the demo plan follows the file
        meetings = session.exec(
            select(Milestone.due_on).where(Milestone.kind == "meeting.moe_team")
        ).all()
        assert len(meetings) == 6 and max(meetings) == date(2025, 12, 31)
        plan.targets = {**plan.targets, "moe_team_meetings": 5}  # enough in 113, not in 114
        session.flush()
        with pytest.raises(TransitionRefused) as refused:
            advance(session, PLANS, plan.id, "submit", supervisor, today=date(2025, 2, 3))
        assert refused.value.rule_ids == ["plan.targets_minimum"]
        assert "至少 6" in str(refused.value)
        plan.targets = {**plan.targets, "moe_team_meetings": 6}
        session.flush()
        advance(session, PLANS, plan.id, "submit", supervisor, today=date(2025, 2, 3))
        assert plan.status == PlanState.submitted


def test_reminder_days_follow_114_calendar_and_offsets(year_114):
    with Session(year_114) as session:
        ids = session.exec(select(Milestone.id, Milestone.due_on).where(
            Milestone.kind == "purchase.disbursement")).all()  # fmt: skip
    assert {due for _, due in ids} == {date(2025, 11, 28)}
    day = date(2025, 11, 10)
    while day <= date(2025, 11, 28):
        run.remind(year_114, day)
        day += timedelta(days=1)
    with Session(year_114) as session:
        alerts = session.exec(select(MilestoneAlert).where(
            MilestoneAlert.milestone_id.in_([i for i, _ in ids]),
            MilestoneAlert.kind == REMINDER)).all()  # fmt: skip
    # Working days before Fri 11/28 in this file: Thu 11/27 (1), Wed 11/26 is closed,
    # Tue 11/25 (2), Mon 11/24, Fri 11/21, Thu 11/20 (5), …, Thu 11/13 (10).
    assert {(a.level, a.fired_on) for a in alerts} == {
        (10, date(2025, 11, 13)),
        (5, date(2025, 11, 20)),
        (2, date(2025, 11, 25)),
        (1, date(2025, 11, 27)),
    }
    assert len(alerts) == 4 * len(ids)


def test_budget_wording_follows_114_numbers(rules_dir):
    from forms.budget_outline import GROUPS, fill_blanks

    rules = load_rules(114)
    notes = [fill_blanks(n, {"mdm_fee": 500}, rules) for g in GROUPS for n in g.notes]
    assert any("編列上限為 50 萬元" in n for n in notes)  # 114's cap, not 113's 60 萬元
    assert any(n.startswith("4 年使用授權費 500 元") for n in notes)


def test_commands_without_year_take_the_latest_rules_file(rules_dir, monkeypatch, tmp_path):
    # With 113 and 114 in the rules directory, a command given no --year works in 114.
    (rules_dir / "113.toml").write_text(
        (RULES_DIR / "113.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    schools = Path(__file__).resolve().parent.parent / "data" / "schools-113-elementary.csv"
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'unused.db'}") as runner:
        result = invoke(runner, "budget", "estimate", "--schools", str(schools),
                     "--county", "新竹縣", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == 114 and data["items"]["admin_staff"] == 680000 * 2
