"""`jingjin plan edit`: every plan guard reachable from the command line, on both databases."""

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from demo.generate import generate
from model.tables import BudgetLine, County, Plan, User
from states.values import Role
from tests.cli_env import configured_engine, run

STAFF = ("--as", "hsq.staff1", "--today", "2024-02-01")


@pytest.fixture
def cli(engine, monkeypatch) -> Iterator:
    with Session(engine) as session:
        generate(session, story=False)
        session.commit()
    with configured_engine(monkeypatch, engine) as runner:
        yield lambda *args: run(runner, *args)


@pytest.fixture
def plan(cli, engine) -> str:
    """The demo county's draft plan (ids differ between databases and runs)."""
    with Session(engine) as session:
        return str(session.exec(select(Plan.id)).one())


def _plan(engine, plan: str) -> Plan:
    with Session(engine) as session:
        return session.exec(select(Plan).where(Plan.id == int(plan))).one()


def _line(engine, plan: str, item: str) -> BudgetLine:
    with Session(engine) as session:
        return session.exec(
            select(BudgetLine).where(BudgetLine.plan_id == int(plan), BudgetLine.item == item)
        ).one()


def _edit(cli, plan: str, *options: str) -> dict:
    result = cli("plan", "edit", plan, *STAFF, "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _submit(cli, plan: str):
    return cli("plan", "advance", plan, "submit", "--as", "hsq.supervisor", "--today", "2024-02-01")


def test_edit_from_toml_file_stores_sections_targets_lines_and_inputs(cli, plan, engine, tmp_path):
    estimate = _line(engine, plan, "teacher_training").estimate
    path = tmp_path / "plan.toml"
    path.write_text(
        '[sections]\ngoals = """提升學生\n數位學習"""\n'
        "[targets]\nkey_schools = 9\n"
        f'[budget.teacher_training]\nrecurrent = {estimate}\ncapital = 0\nexplanation = ""\n'
        "[inputs]\nworkshops = 96\n",
        encoding="utf-8",
    )
    data = _edit(cli, plan, "--file", str(path))
    row = _plan(engine, plan)
    assert row.sections["goals"] == "提升學生\n數位學習"
    assert row.targets["key_schools"] == 9 and row.inputs["workshops"] == 96
    assert (_line(engine, plan, "teacher_training").recurrent, data["remaining"]) == (estimate, [])
    assert data["version"] == row.version


def test_edit_from_json_file_and_options_together(cli, plan, engine, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"targets": {"parent_sessions": 3}}), encoding="utf-8")
    _edit(cli, plan, "--file", str(path), "--target", "moe_team_meetings=6",
          "--section", "period=113年1月1日至114年1月31日")  # fmt: skip
    row = _plan(engine, plan)
    assert (row.targets["parent_sessions"], row.targets["moe_team_meetings"]) == (3, 6)
    assert row.sections["period"] == "113年1月1日至114年1月31日"


# Each edit breaks exactly one submit guard; the edit says so, and submit refuses with it.
def _pi(months: int, rate: int, requested: int) -> tuple[str, ...]:
    return (
        "--line", f"principal_investigator.person_months={months}",
        "--line", f"principal_investigator.monthly_rate={rate}",
        "--line", f"principal_investigator.recurrent={requested}",
        "--line", "principal_investigator.capital=0",
        "--line", "principal_investigator.explanation=依實際聘任",
    )  # fmt: skip


GUARD_EDITS = [
    ("plan.sections_complete", ("--section", "goals=")),
    ("plan.targets_minimum", ("--target", "key_schools=0")),
    ("plan.pi_rate_range", _pi(12, 9_000, 108_000)),
    ("plan.pi_rate_range", _pi(12, 4_999, 59_988)),
    ("plan.pi_amount", _pi(12, 6_000, 70_000)),
    ("plan.administration_cap", ("--line", "administration.recurrent=9000000",
                                 "--line", "administration.explanation=測試上限")),
    ("plan.substitute_every_school", ("--line", "substitute_teaching.recurrent=0",
                                      "--line", "substitute_teaching.capital=0",
                                      "--line", "substitute_teaching.explanation=不編列")),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "options"), GUARD_EDITS, ids=[g[0] for g in GUARD_EDITS])
def test_edit_reaches_each_submit_guard(cli, plan, rule_id, options):
    assert _submit_rules_after(cli, plan, options) == [rule_id]


def test_edit_reaches_differences_explained(cli, plan, engine):
    line = _line(engine, plan, "teacher_training")
    options = ("--line", f"teacher_training.recurrent={line.estimate + 30_000}",
               "--line", "teacher_training.explanation=")  # fmt: skip
    assert _submit_rules_after(cli, plan, options) == ["plan.unexplained_difference"]


def _submit_rules_after(cli, plan, options) -> list[str]:
    remaining = [r["rule"] for r in _edit(cli, plan, *options)["remaining"]]
    result = _submit(cli, plan)
    assert result.exit_code == 3, result.output
    for rule_id in remaining:
        assert f"[{rule_id}]" in result.output
    return remaining


def test_new_plan_of_county_without_schools_reaches_lines_and_schools(cli, plan, engine):
    with Session(engine) as session:
        county = session.exec(select(County).where(County.name == "連江縣")).one()
        session.add(User(username="lcc.staff", display_name="連江承辦", role=Role.county_staff,
                         county_id=county.id, email="lcc@example.org"))  # fmt: skip
        session.commit()
    created = cli("plan", "new", "--as", "lcc.staff", "--json")
    assert created.exit_code == 0, created.output
    plan_id = str(json.loads(created.stdout)["id"])
    result = cli("plan", "edit", plan_id, "--as", "lcc.staff", "--json",
                 "--section", "goals=連江縣數位學習")  # fmt: skip
    assert result.exit_code == 0, result.output
    rules = {r["rule"] for r in json.loads(result.stdout)["remaining"]}
    assert {"plan.schools_listed", "plan.budget_lines_present", "plan.sections_complete"} <= rules


@pytest.mark.parametrize(
    ("options", "code", "words"),
    [
        (("--line", "teacher_training.recurrent=12.5"), 2, "3 教師增能研習費 經常門"),
        (("--line", "teacher_training.recurrent=-1"), 2, "3 教師增能研習費 經常門"),
        (("--line", "nosuch.recurrent=1"), 2, "沒有「nosuch」這個經費項目"),
        (("--line", "teacher_training.colour=1"), 2, "沒有「colour」這個欄位"),
        (("--line", "teacher_training=1"), 2, "經費項目.欄位=值"),
        (("--target", "key_schools=abc"), 3, "重點學校數"),
        (("--section", "nosuch=文字"), 3, "沒有「nosuch」這個章節"),
        (("--input", "per_head=999"), 3, "每位師生補助額由教育部設定"),
        ((), 2, "沒有要儲存的內容"),
    ],
)
def test_edit_refuses_bad_input_in_words_and_stores_nothing(
    cli, plan, engine, options, code, words
):
    before = _plan(engine, plan).version
    result = cli("plan", "edit", plan, *STAFF, *options)
    assert result.exit_code == code, result.output
    assert words in result.output and "Traceback" not in result.output
    assert _plan(engine, plan).version == before


def test_edit_refuses_malformed_file(cli, plan, engine, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("[targets\nkey_schools = 1\n", encoding="utf-8")
    result = cli("plan", "edit", plan, *STAFF, "--file", str(path))
    assert result.exit_code == 2 and "TOML" in result.output


def test_edit_refuses_outsider_and_stale_version_and_locked_plan(cli, plan, engine):
    outsider = cli("plan", "edit", plan, "--as", "moe.reviewer1", "--target", "key_schools=9")
    assert outsider.exit_code == 3 and "access.role" in outsider.output
    version = _plan(engine, plan).version
    stale = cli("plan", "edit", plan, *STAFF, "--expect-version", str(version - 1),
                "--target", "key_schools=9")  # fmt: skip
    assert stale.exit_code == 4, stale.output
    assert _submit(cli, plan).exit_code == 0
    locked = cli("plan", "edit", plan, *STAFF, "--target", "key_schools=9")
    assert locked.exit_code == 3 and "plan.locked" in locked.output
