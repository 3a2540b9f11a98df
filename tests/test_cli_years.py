"""Every command that takes a year refuses a year without rules in one zh-TW sentence."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session, func, select

from demo.generate import generate
from model.tables import Plan, Purchase
from tests.cli_env import configured_engine, run

REFUSED = "沒有 114 年度的規則檔"


@pytest.fixture
def cli(engine, monkeypatch, tmp_path) -> Iterator:
    with Session(engine) as session:
        generate(session, story=False)
        session.commit()
    with configured_engine(monkeypatch, engine) as runner:
        yield lambda *args: run(runner, *args)


def _rows(engine) -> tuple[int, int]:
    with Session(engine) as session:
        purchases = session.exec(select(func.count()).select_from(Purchase)).one()
        plans = session.exec(select(func.count()).select_from(Plan)).one()
    return purchases, plans


@pytest.mark.parametrize(
    "args",
    [
        ("purchase", "new", "--as", "hsq.staff1", "--title", "次年度採購", "--year", "114"),
        ("plan", "new", "--as", "hsq.staff1", "--year", "114"),
        ("purchase", "new", "--as", "nobody", "--title", "x", "--year", "114"),  # year first
        ("purchase", "list", "--year", "114"),
        ("plan", "list", "--year", "114"),
        ("forms", "budget", "--county", "新竹縣", "--year", "114", "--out", "{tmp}/b.html"),
        ("rules", "per-head", "114", "120", "--as", "moe.admin"),
        ("rules", "check", "114"),
        ("schools", "import", "{schools}", "--year", "114"),
        ("products", "import", "{schools}", "--year", "114"),
        ("budget", "estimate", "--schools", "{schools}", "--year", "114"),
        ("demo", "--year", "114", "--no-serve"),
        ("workshops", "import-baseline", "{schools}", "--year", "114"),
        ("devices", "import", "{schools}", "--year", "114"),
        ("rules", "dates", "list", "114"),
        ("rules", "dates", "set", "114", "plan", "2025-07-15", "--as", "moe.admin"),
        (
            "reports",
            "submitted",
            "progress",
            "--county",
            "新竹縣",
            "--year",
            "114",
            "--on",
            "2025-07-15",
            "--as",
            "hsq.staff1",
        ),
    ],
    ids=lambda args: " ".join(args[:3]),
)
def test_year_without_rules_exits_2_in_words(cli, engine, tmp_path, args):
    schools = tmp_path / "schools.csv"
    schools.write_text("序號\n", encoding="utf-8")
    before = _rows(engine)
    argv = [a.format(tmp=tmp_path, schools=schools) for a in args]
    result = cli(*argv)
    assert result.exit_code == 2, result.output
    assert REFUSED in result.output and "jingjin rules check 114" in result.output
    assert "Traceback" not in result.output and "FOREIGN KEY" not in result.output
    assert _rows(engine) == before  # nothing half-stored


def test_year_with_rules_still_creates(cli, engine):
    result = cli("purchase", "new", "--as", "hsq.staff1", "--title", "本年度採購", "--year", "113")
    assert result.exit_code == 0, result.output
