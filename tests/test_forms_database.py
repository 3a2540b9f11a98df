"""render() against the stored plan: both databases, the validation gate, and the CLI."""

import shutil
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from demo.generate import generate
from forms.errors import FormInvalid
from forms.render import render
from model.db import make_engine
from model.migrate import upgrade
from model.tables import Activity, BudgetLine, County, Plan
from rules import InputError, load_rules
from states.activity import ActivityKind
from states.values import BudgetItem
from tests.cli_env import configured, run
from vocab.labels import TARGET_LABELS
from vocab.outline import PREVIOUS_RESULTS_KEY
from workflow.targets_progress import progress

COUNTY = "新竹縣"


def _plan(session: Session) -> Plan:
    county = session.exec(select(County).where(County.name == COUNTY)).one()
    return session.exec(select(Plan).where(Plan.county_id == county.id)).one()


def _line(session: Session, plan: Plan, item: BudgetItem) -> BudgetLine:
    return session.exec(
        select(BudgetLine).where(BudgetLine.plan_id == plan.id, BudgetLine.item == item)
    ).one()


def _break_plan(session: Session) -> None:
    """A blank 壹 and a 教師增能研習費 that differs from the estimate without a word why."""
    plan = _plan(session)
    plan.sections = {**plan.sections, "goals": " "}
    line = _line(session, plan, BudgetItem.teacher_training)
    line.recurrent, line.explanation = line.estimate + 30000, ""
    session.add_all([plan, line])
    session.flush()


def _sheet(data: bytes, name: str) -> list[list]:
    rows = load_workbook(BytesIO(data))[name].iter_rows()
    return [[_shown(cell) for cell in row] for row in rows]


def _shown(cell):
    # A 達成率 is a number with a % format: read it as the text it shows.
    if cell.number_format == "0.0%" and cell.value is not None:
        return f"{Decimal(str(cell.value)) * 100:.1f}%"
    return cell.value


# ------------------------------------------------------------------ both databases
def test_render_budget_matches_stored_lines_on_each_database(session):
    generate(session, year=113, county_name=COUNTY, story=False)
    plan = _plan(session)
    lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id)).all()
    rows = _sheet(render(session, "budget", COUNTY, 113, "xlsx"), "經費申請表")
    total = next(row for row in rows if row[1] == "合計")
    assert len(lines) == len(BudgetItem)
    assert total[4:7] == [sum(x.recurrent for x in lines), sum(x.capital for x in lines),
                          sum(x.requested for x in lines)]  # fmt: skip


def test_render_refuses_invalid_plan_unless_draft(session):
    generate(session, year=113, county_name=COUNTY, story=False)
    _break_plan(session)
    with pytest.raises(FormInvalid) as caught:
        render(session, "plan", COUNTY, 113, "html")
    assert list(caught.value.fields) == ["goals", "teacher_training.explanation"]
    assert caught.value.fields["goals"] == "壹、計畫目標：不可空白"
    html = render(session, "plan", COUNTY, 113, "html", draft=True).decode()
    assert 'class="draft-banner"' in html and "（本節尚未填寫）" in html


# ------------------------------------------------------------------ one SQLite demo, copied
@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms-db") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        generate(session, year=113, county_name=COUNTY, story=False)
        session.commit()
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def demo_session(demo_file, tmp_path):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def test_render_finds_county_by_code_as_by_name(demo_session):
    by_code = render(demo_session, "schools", "hsq", 113, "html")
    assert by_code == render(demo_session, "schools", "新竹縣", 113, "html")


def test_render_refuses_unknown_county(demo_session):
    with pytest.raises(InputError, match="找不到縣市「火星縣」"):
        render(demo_session, "plan", "火星縣", 113, "html")


def test_render_refuses_county_without_plan(demo_session):
    with pytest.raises(InputError, match="臺北市尚無 113 年度實施計畫"):
        render(demo_session, "plan", "台北市", 113, "html")


def test_render_escapes_markup_typed_into_sections(demo_session):
    plan = _plan(demo_session)
    plan.sections = {**plan.sections, "goals": "<script>alert(1)</script> & 目標"}
    demo_session.add(plan)
    demo_session.flush()
    html = render(demo_session, "plan", COUNTY, 113, "html").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 目標" in html
    assert "<script>" not in html


def test_render_previous_results_from_plan_sections(demo_session):
    plan = _plan(demo_session)
    stored = {"key_schools": {"target": 6, "achieved": 5, "note": "1 校延至下學期"},
              "remote_one_device": {"achieved": 100}}  # fmt: skip
    plan.sections = {**plan.sections, PREVIOUS_RESULTS_KEY: stored}
    demo_session.add(plan)
    demo_session.flush()
    rows = _sheet(render(demo_session, "plan", COUNTY, 113, "xlsx"), "112年量化目標達成情形")
    labels = {row.key: row.label for row in load_rules(113).previous_results.rows}
    by_label = {row[0]: row for row in rows}
    assert by_label[labels["key_schools"]][1:6] == [6, 5, "83.3%", "校", "1 校延至下學期"]
    assert by_label[labels["remote_one_device"]][1:4] == [100, 100, "100.0%"]
    assert by_label[labels["open_lessons"]][1:4] == ["依縣市規劃", None, None]


# ------------------------------------------------------------------ the command
def test_forms_command_writes_the_requested_format(monkeypatch, demo_file, tmp_path):
    out = tmp_path / "schools.xlsx"
    with configured(monkeypatch, f"sqlite:///{demo_file}") as runner:
        result = run(runner, "forms", "schools", "--county", COUNTY, "--year", "113",
                     "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _sheet(out.read_bytes(), "學校名單")
    assert rows[1][0] == "113 年度新竹縣所轄中小學名單"


def test_forms_command_prints_each_field_message_and_exits_2(monkeypatch, demo_file, tmp_path):
    broken = tmp_path / "broken.db"
    shutil.copy(demo_file, broken)
    engine = make_engine(f"sqlite:///{broken}")
    with Session(engine) as session:
        _break_plan(session)
        session.commit()
    engine.dispose()
    out = tmp_path / "plan.pdf"
    with configured(monkeypatch, f"sqlite:///{broken}") as runner:
        result = run(runner, "forms", "plan", "--county", "HSQ", "--format", "pdf",
                     "--out", str(out))  # fmt: skip
    assert result.exit_code == 2
    assert "壹、計畫目標：不可空白" in result.output
    assert "3 教師增能研習費 差異說明" in result.output
    assert not out.exists()


def test_render_results_counts_activities_not_milestones_on_each_database(session):
    """Nine meetings held, seven milestones closed: the document says 9, as the page does."""
    generate(session, year=113, county_name=COUNTY, story=False)
    county_id = _plan(session).county_id
    session.add_all(
        Activity(county_id=county_id, year=113, kind=ActivityKind.working_meeting,
                 held_on=date(2024, month, 15), evidence_ref="會議紀錄")
        for month in range(1, 10)
    )  # fmt: skip
    session.flush()
    expected = progress(session, county_id, 113)["working_meetings"]
    rows = _sheet(render(session, "results", COUNTY, 113, "xlsx"), "量化目標達成情形")
    row = next(r for r in rows if r[0] == TARGET_LABELS["working_meetings"])
    assert expected.achieved == 9
    assert row[1:4] == [expected.target, 9, expected.rate_text]
