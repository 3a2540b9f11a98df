"""The ministry's per-head amount for 6 數位內容: who sets it and what the estimate reads."""

from datetime import datetime

import pytest
from sqlmodel import Session, select

from config import clock
from config.clock import local, zone
from demo.generate import DEMO_PER_HEAD, generate
from model.db import make_engine
from model.migrate import upgrade
from model.tables import BudgetLine, County, Plan, ProgrammeYear, User
from rules import load_rules
from states.errors import TransitionRefused
from states.values import BudgetItem
from tests.cli_env import configured, run
from workflow.plan_estimate import (
    county_estimate,
    per_head_rate,
    per_head_rate_changes,
    set_per_head_rate,
)

RULES = load_rules(113)


@pytest.fixture
def plan(session: Session) -> Plan:
    generate(session, story=False)
    return session.exec(select(Plan)).one()


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _digital_content(session: Session, plan: Plan) -> int:
    est, _ = county_estimate(session, session.get(County, plan.county_id), RULES)
    return est.items["digital_content"]


def test_generate_demo_sets_per_head_as_ministry_admin(session, plan):
    assert session.get(ProgrammeYear, 113).per_head_rate == DEMO_PER_HEAD == 120
    line = session.exec(
        select(BudgetLine).where(
            BudgetLine.plan_id == plan.id, BudgetLine.item == BudgetItem.digital_content
        )
    ).one()
    assert line.estimate == _digital_content(session, plan) > 0


def test_estimate_uses_ministry_per_head_over_county_input(session, plan):
    before = _digital_content(session, plan)
    # A per_head left in a plan's inputs by an older version is not read.
    plan.inputs = {**plan.inputs, "per_head": 999}
    session.flush()
    assert _digital_content(session, plan) == before
    set_per_head_rate(session, _user(session, "moe.admin"), 113, 240)
    assert _digital_content(session, plan) == before * 2


def test_estimate_uses_rules_file_when_ministry_sets_none(session, plan):
    session.get(ProgrammeYear, 113).per_head_rate = None
    session.flush()
    assert per_head_rate(session, RULES) == RULES.budget.digital_content.per_head == 0
    assert _digital_content(session, plan) == 0


def test_set_per_head_keeps_who_set_it_when_and_from_what(session, plan):
    admin = _user(session, "moe.admin")
    with clock.using(lambda: datetime(2024, 3, 1, 9, 30, tzinfo=zone())):
        set_per_head_rate(session, admin, 113, 240)
    set_per_head_rate(session, admin, 113, 180)
    changes = per_head_rate_changes(session, 113)
    assert [(c.previous, c.amount, u.username) for c, u in changes] == [
        (None, DEMO_PER_HEAD, "moe.admin"),  # the demo's own setting
        (DEMO_PER_HEAD, 240, "moe.admin"),
        (240, 180, "moe.admin"),
    ]
    assert local(changes[1][0].at) == datetime(2024, 3, 1, 9, 30, tzinfo=zone())


def test_refused_per_head_setting_leaves_no_record(session, plan):
    before = len(per_head_rate_changes(session, 113))
    with pytest.raises(TransitionRefused):
        set_per_head_rate(session, _user(session, "moe.admin"), 113, -5)
    assert len(per_head_rate_changes(session, 113)) == before


@pytest.mark.parametrize("username", ["hsq.supervisor", "hsq.staff1", "moe.reviewer1"])
def test_set_per_head_refused_for_non_admin(session, plan, username):
    with pytest.raises(TransitionRefused) as refused:
        set_per_head_rate(session, _user(session, username), 113, 500)
    assert refused.value.rule_ids == ["access.role"]
    session.expire_all()
    assert session.get(ProgrammeYear, 113).per_head_rate == DEMO_PER_HEAD


@pytest.mark.parametrize("amount", [-1, True, "120"])
def test_set_per_head_refused_on_bad_amount(session, plan, amount):
    with pytest.raises(TransitionRefused) as refused:
        set_per_head_rate(session, _user(session, "moe.admin"), 113, amount)
    assert refused.value.rule_ids == ["evidence.format"]
    assert session.get(ProgrammeYear, 113).per_head_rate == DEMO_PER_HEAD


def test_rules_per_head_command_sets_rate_for_admin_only(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        generate(session, story=False)
        session.commit()
    with configured(monkeypatch, url) as runner:
        refused = run(runner, "rules", "per-head", "113", "300", "--as", "hsq.supervisor")
        done = run(runner, "rules", "per-head", "113", "150", "--as", "moe.admin")
    assert refused.exit_code == 3 and "access.role" in refused.output
    assert done.exit_code == 0, done.output
    assert "150 元" in done.output
    # The demo's own setting is listed as the one before, with who made it.
    assert f"由規則檔預設設為 {DEMO_PER_HEAD} 元" in done.output
    with Session(engine) as session:
        assert session.get(ProgrammeYear, 113).per_head_rate == 150
    engine.dispose()
