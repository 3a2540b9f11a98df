"""`jingjin findings`: the sweep's findings, open or all, per county, on both databases."""

import json
from collections.abc import Iterator

import pytest
from deadline_fixtures import seed_demo
from sqlmodel import Session, select

from model.tables import County, Finding, User
from states.values import Role
from tests.cli_env import configured_engine, run


@pytest.fixture
def cli(engine, monkeypatch) -> Iterator:
    seed_demo(engine)
    with configured_engine(monkeypatch, engine) as runner:
        invoke = lambda *args: run(runner, *args)  # noqa: E731
        # Due soon on 11/15; on 12/02 the same six are overdue and "due soon" is resolved.
        assert invoke("sweep", "--as-of", "2024-11-15").exit_code == 0
        assert invoke("sweep", "--as-of", "2024-12-02").exit_code == 0
        yield invoke


def _listed(cli, *options) -> list[dict]:
    result = cli("findings", "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_findings_open_by_default_all_on_request(cli, engine):
    with Session(engine) as session:
        stored = session.exec(select(Finding)).all()
    open_ = _listed(cli)
    every = _listed(cli, "--all")
    assert {r["rule_id"] for r in open_} >= {"purchase.disbursement_overdue"}
    assert all(r["resolved_on"] is None for r in open_)
    assert len(open_) == sum(f.resolved_on is None for f in stored)
    assert len(every) == len(stored) > len(open_)
    resolved = [r for r in every if r["rule_id"] == "purchase.disbursement_due_soon"]
    assert resolved and {r["resolved_on_roc"] for r in resolved} == {"113/12/02"}
    assert {r["first_seen_roc"] for r in resolved} == {"113/11/15"}
    assert _listed(cli, "--open") == open_


def test_findings_text_names_county_rule_subject_and_roc_dates(cli):
    result = cli("findings", "--all")
    assert result.exit_code == 0, result.output
    assert "新竹縣" in result.output and "軟體採購逾期未完成經費請撥" in result.output
    assert "軟體採購 #" in result.output and "首次發現 113/12/02" in result.output
    assert "113/12/02 已改善" in result.output and "purchase.disbursement_overdue" in result.output


def test_findings_filter_by_county(cli):
    assert len(_listed(cli, "--county", "新竹縣")) == len(_listed(cli))
    assert _listed(cli, "--county", "臺北市") == []
    unknown = cli("findings", "--county", "火星市")
    assert unknown.exit_code == 2 and "火星市" in unknown.output


def test_findings_county_people_see_their_own_county_only(cli, engine):
    with Session(engine) as session:
        taipei = session.exec(select(County).where(County.name == "臺北市")).one()
        session.add(User(username="tpe.staff", display_name="臺北承辦", role=Role.county_staff,
                         county_id=taipei.id, email="tpe@example.org"))  # fmt: skip
        session.commit()
    assert _listed(cli, "--as", "tpe.staff") == []
    refused = cli("findings", "--as", "tpe.staff", "--county", "新竹縣")
    assert refused.exit_code == 3 and "自己縣市" in refused.output
    assert len(_listed(cli, "--as", "hsq.staff1")) == len(_listed(cli))
