"""The benchmarks run, at a tiny size: valid JSON lines, and the project's answer equals the
bare reference's wherever the two are comparable. No timing is asserted here."""

import json

import pytest

from bench import deadlines, delivery, pages, sweep, table, transitions
from bench.__main__ import main
from bench.common import bench_database

TINY = 0.01
KEYS = {"bench", "db", "size", "project_s", "reference_s", "ratio", "target", "met"}


@pytest.fixture(scope="module")
def sqlite_db():
    with bench_database("sqlite", TINY, quiet=True) as db:
        yield db


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_sweep_finds_what_the_bare_query_finds(sqlite_db, capsys):
    records = sweep.run(sqlite_db, repeat=1)
    assert [r["bench"] for r in _lines(capsys)] == ["sweep.first_day", "sweep"]
    assert all(r.keys() >= KEYS for r in records)
    assert records[1]["same_result"] and records[1]["hits_compared"] > 0


def test_deadlines_fire_what_the_bare_query_selects(sqlite_db, capsys):
    records = deadlines.run(sqlite_db, repeat=1)
    assert [r["bench"] for r in _lines(capsys)] == ["deadlines.catch_up", "deadlines"]
    assert records[1]["same_result"] and records[1]["alerts"] > 0


def test_transitions_move_the_same_as_hand_written_sql(sqlite_db, capsys):
    records = transitions.run(sqlite_db, repeat=1)
    assert [r["bench"] for r in _lines(capsys)] == ["transitions.single", "transitions.batched"]
    assert all(r.keys() >= KEYS and r["same_result"] for r in records)


def test_delivery_sends_every_mail_both_ways(sqlite_db, capsys):
    (record,) = delivery.run(sqlite_db, repeat=1)
    assert _lines(capsys)[0].keys() >= KEYS
    assert record["same_result"] and record["mails"] >= 20


def test_pages_answer_over_http_alone_and_under_load(sqlite_db, capsys):
    records = pages.run(sqlite_db, repeat=1, seconds=0.2, clients=3, workers=(1, 2))
    printed = _lines(capsys)
    alone = [r for r in printed if r["bench"] == "pages.alone"]
    loaded = [r for r in printed if r["bench"] == "pages.load"]
    assert len(records) == len(printed) and len(alone) >= 20
    assert {r["status"] for r in alone} == {200}
    assert all(r["statements"] > 0 and r["bytes"] > 0 for r in alone)
    assert {r["who"] for r in alone} == {"clerk", "supervisor", "reviewer"}
    assert any(r["page"].endswith("末頁") for r in alone)
    assert {r["workers"] for r in loaded} == {1, 2}
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in loaded)
    assert "| 計畫頁 |" in table.pages_table(printed)


@pytest.mark.postgres
def test_benchmarks_run_on_postgres_with_the_same_results(postgres_engine, capsys):
    # postgres_engine only proves the server is there; the benchmark makes its own schema.
    records = main(["--sizes", "0.004", "0.016", "--dbs", "postgres", "--only", "sweep",
                    "transitions"])  # fmt: skip
    printed = _lines(capsys)
    assert all(r in printed for r in json.loads(json.dumps(records, default=str)))
    assert {r["bench"] for r in printed} >= {"machine", "generate", "sweep", "transitions.single"}
    assert all(r["same_result"] for r in printed if "same_result" in r)
