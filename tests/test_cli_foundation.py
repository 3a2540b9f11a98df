"""The foundation commands: migrations, rules check, imports and the budget estimate."""

import json
from pathlib import Path

from sqlmodel import Session, func, select

from model.db import make_engine
from model.tables import School
from tests.cli_env import configured, run

REAL_LIST = Path(__file__).resolve().parent.parent / "data" / "schools-113-elementary.csv"


def test_estimate_matches_hand_computation_for_hsinchu_city(monkeypatch, tmp_path):
    # 新竹市: 33 county-run 國小, 0 remote; 2,154 teachers and 30,628 students in the list.
    # 1a 33 ≤ 60 → 1 × 650,000; 1b ceil(33/50) = 1 × 750,000; 1c min(5, 1) × 750,000.
    # 2  33 schools × 20 periods × 336 = 221,760; 2.11 % = 4,679.136 → 4,679; total 226,439.
    # 3  10 × 30,000 = 300,000. 4a 600,000 + 25,000 × 13 = 925,000. 4b 5 × 20,000 = 100,000.
    # 5  100 × 1,200 = 120,000. 6 100 × (2,154 + 30,628) = 3,278,200.
    # B  = 300,000 + 925,000 + 100,000 + 120,000 + 3,278,200 = 4,723,200.
    # 7  10 % × 3,000,000 + 5 % × 1,723,200 = 300,000 + 86,160 = 386,160 (under 600,000).
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        result = run(
            runner,
            "budget",
            "estimate",
            "--schools",
            str(REAL_LIST),
            "--county",
            "新竹市",
            "--workshops",
            "10",
            "--companion-schools",
            "5",
            "--devices",
            "100",
            "--mdm-fee",
            "1200",
            "--periods-per-school",
            "20",
            "--per-head",
            "100",
            "--json",
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schools"] == 33
    assert data["items"] == {
        "admin_staff": 650_000,
        "counseling_staff": 750_000,
        "it_staff": 750_000,
        "substitute_teaching": 226_439,
        "teacher_training": 300_000,
        "office_operations": 925_000,
        "school_companion": 100_000,
        "mdm_licences": 120_000,
        "digital_content": 3_278_200,
        "administration": 386_160,
    }
    assert data["business_total"] == 4_723_200
    assert data["total"] == 7_485_799
    # Targets: ceil(5 % × 33) = 2; ceil(17 % × 33) = 6; ceil(10 % × 2,154) = 216.
    assert data["targets"]["key_schools"] == 2
    assert data["targets"]["sampled_schools"] == 6
    assert data["targets"]["literacy_teachers"] == 216
    assert data["targets"]["workshop_teachers"] == 2154


def test_estimate_text_shows_thousands_separators_and_roc_period(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        result = run(
            runner, "budget", "estimate", "--schools", str(REAL_LIST), "--county", "連江縣"
        )
    assert result.exit_code == 0, result.output
    assert "113/01/01–114/01/31" in result.output
    assert "650,000" in result.output
    assert "所轄學校 7 校" in result.output


def test_estimate_refuses_a_list_of_several_counties_without_county(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        result = run(runner, "budget", "estimate", "--schools", str(REAL_LIST))
    assert result.exit_code == 2
    assert "--county" in result.output


def test_a_job_refuses_a_day_that_is_not_a_date_naming_the_option(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        run(runner, "db", "upgrade")
        result = run(runner, "sweep", "--as-of", "2024-11-31")
    assert result.exit_code == 2
    assert "--as-of：「2024-11-31」沒有這一天" in result.output


def test_import_refuses_an_unmigrated_database_naming_the_command(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}") as runner:
        result = run(runner, "schools", "import", str(REAL_LIST))
    assert result.exit_code == 2
    assert "jingjin db upgrade" in result.output


def test_import_after_upgrade_stores_the_real_list_once(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'jj.db'}"
    with configured(monkeypatch, url) as runner:
        assert run(runner, "db", "upgrade").exit_code == 0
        first = run(runner, "schools", "import", str(REAL_LIST))
        second = run(runner, "schools", "import", str(REAL_LIST))
    assert first.exit_code == 0, first.output
    assert "新增 2652 筆" in first.output
    assert "新增 0 筆、更新 0 筆、未變更 2652 筆" in second.output
    with Session(make_engine(url)) as session:
        assert session.exec(select(func.count()).select_from(School)).one() == 2652


def test_rules_check_names_the_broken_key(monkeypatch, tmp_path):
    with configured(monkeypatch, f"sqlite:///{tmp_path / 'x.db'}") as runner:
        ok = run(runner, "rules", "check", "113")
    assert ok.exit_code == 0
    assert "rules/113.toml 正確" in ok.output


def test_demo_without_serving_builds_everything_and_prints_the_estimate(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with configured(monkeypatch, url) as runner:
        first = run(runner, "demo", "--no-serve")
        second = run(runner, "demo", "--no-serve")
    assert first.exit_code == 0, first.output
    assert "新竹縣（示範資料）" in first.output
    assert "業務費小計" in first.output and "重點學校數" in first.output
    # A second start adds nothing: the demo data are generated once.
    assert "0 縣市、0 校、0 位使用者" in second.output
    with Session(make_engine(url)) as session:
        assert session.exec(select(func.count()).select_from(School)).one() > 100
