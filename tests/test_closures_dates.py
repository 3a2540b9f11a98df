"""Closures (停班) per county and the reporting dates the ministry announces: reminders,
escalation, rolled deadlines and the sweep, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session, select

from demo.generate import generate
from flows.jobs import run
from model.alerts import ESCALATION, REMINDER, MilestoneAlert
from model.db import session_scope
from model.tables import County, Finding, Milestone, Plan, User
from rules import load_rules
from states.errors import TransitionRefused
from states.values import PlanState
from vocab.milestone_kinds import PLAN_SUBMISSION, SETTLEMENT_DUE, WORKING_MEETING
from workflow.closures import add_closure, visible_closures
from workflow.reporting_dates import reporting_date_changes, reporting_dates, set_reporting_date

HOME, OTHER = "新竹縣", "新竹市"
RULES = load_rules(113)
DUE = date(2024, 11, 22)  # a Friday; 3 working days before it is Tue 11/19
TUESDAY, WEDNESDAY = date(2024, 11, 19), date(2024, 11, 20)


@pytest.fixture
def two_counties(engine):
    with session_scope(engine) as session:
        generate(session, year=113, county_name=HOME, story=False)
        generate(session, year=113, county_name=OTHER, story=False)
    return engine


def _county(session: Session, name: str) -> County:
    return session.exec(select(County).where(County.name == name)).one()


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _milestone(engine, county: str, due: date, kind: str = WORKING_MEETING) -> int:
    with session_scope(engine) as session:
        c = _county(session, county)
        plan = session.exec(select(Plan).where(Plan.county_id == c.id)).one()
        owner = session.exec(
            select(User.id).where(User.county_id == c.id, User.role == "county_staff")
        ).first()
        m = Milestone(county_id=c.id, year=113, kind=kind, title=f"{county}測試事項",
                      subject_type="plan", subject_id=plan.id, owner_id=owner, due_on=due)  # fmt: skip
        session.add(m)
        session.flush()
        return m.id


def _close(engine, day: date, county: str | None, username: str = "moe.admin") -> None:
    with session_scope(engine) as session:
        county_id = _county(session, county).id if county else None
        add_closure(session, _user(session, username), day, county_id, "颱風停班")


def _alerts(engine, mid: int, kind: str) -> dict[int, date]:
    with Session(engine) as session:
        rows = session.exec(
            select(MilestoneAlert).where(
                MilestoneAlert.milestone_id == mid, MilestoneAlert.kind == kind
            )
        )
        return {a.level: a.fired_on for a in rows}


# ------------------------------------------------------------------ reminders
def test_county_closure_moves_that_countys_reminder_to_the_next_working_day(two_counties):
    home, other = _milestone(two_counties, HOME, DUE), _milestone(two_counties, OTHER, DUE)
    _close(two_counties, TUESDAY, HOME, "hsq.supervisor")
    run.remind(two_counties, TUESDAY)
    assert _alerts(two_counties, home, REMINDER) == {}
    assert _alerts(two_counties, other, REMINDER) == {3: TUESDAY}
    run.remind(two_counties, WEDNESDAY)
    assert _alerts(two_counties, home, REMINDER) == {3: WEDNESDAY}
    assert _alerts(two_counties, other, REMINDER) == {3: TUESDAY}


def test_nationwide_closure_moves_every_countys_reminder(two_counties):
    home, other = _milestone(two_counties, HOME, DUE), _milestone(two_counties, OTHER, DUE)
    _close(two_counties, TUESDAY, None)
    assert run.remind(two_counties, TUESDAY).skipped
    run.remind(two_counties, WEDNESDAY)
    assert _alerts(two_counties, home, REMINDER) == {3: WEDNESDAY}
    assert _alerts(two_counties, other, REMINDER) == {3: WEDNESDAY}


# ------------------------------------------------------------------ deadlines that roll
SETTLEMENT = date(2025, 3, 31)  # a Monday; the rules roll 結報 to the next working day
APR_1, APR_2 = date(2025, 4, 1), date(2025, 4, 2)


def test_county_closure_on_a_rolling_deadline_rolls_only_that_countys(two_counties):
    assert load_rules(113).settlement.roll_to_working_day
    home = _milestone(two_counties, HOME, SETTLEMENT, SETTLEMENT_DUE)
    other = _milestone(two_counties, OTHER, SETTLEMENT, SETTLEMENT_DUE)
    # A deadline the rules keep as written (a meeting) is late the next day regardless.
    kept = _milestone(two_counties, HOME, SETTLEMENT, WORKING_MEETING)
    _close(two_counties, SETTLEMENT, HOME, "hsq.supervisor")
    run.escalate(two_counties, APR_1)
    assert _alerts(two_counties, other, ESCALATION) == {1: APR_1}
    assert _alerts(two_counties, kept, ESCALATION) == {1: APR_1}
    assert _alerts(two_counties, home, ESCALATION) == {}  # due 4/1 once rolled: not late yet
    run.sweep(two_counties, APR_1)
    assert _overdue_findings(two_counties) >= {other, kept}
    assert home not in _overdue_findings(two_counties)
    run.escalate(two_counties, APR_2)
    assert _alerts(two_counties, home, ESCALATION) == {1: APR_2}
    run.sweep(two_counties, APR_2)
    assert home in _overdue_findings(two_counties)


def test_nationwide_closure_rolls_every_countys_deadline(two_counties):
    home = _milestone(two_counties, HOME, SETTLEMENT, SETTLEMENT_DUE)
    other = _milestone(two_counties, OTHER, SETTLEMENT, SETTLEMENT_DUE)
    _close(two_counties, SETTLEMENT, None)
    run.escalate(two_counties, APR_1)
    assert _alerts(two_counties, home, ESCALATION) == _alerts(two_counties, other, ESCALATION) == {}
    run.escalate(two_counties, APR_2)
    assert (
        _alerts(two_counties, home, ESCALATION)
        == _alerts(two_counties, other, ESCALATION)
        == {1: APR_2}
    )


def _overdue_findings(engine) -> set[int]:
    with Session(engine) as session:
        return set(
            session.exec(
                select(Finding.subject_id).where(
                    Finding.rule_id == "milestone.overdue", Finding.resolved_on.is_(None)
                )
            )
        )


# ------------------------------------------------------------------ who may enter closures
@pytest.mark.parametrize(
    ("username", "county", "rule"),
    [
        ("hsq.staff1", HOME, "access.role"),  # an office clerk enters none
        ("hsq.supervisor", OTHER, "access.county"),  # a supervisor only their own county
        ("hsq.supervisor", None, "access.role"),  # nationwide is the ministry admin's
        ("moe.reviewer1", None, "access.role"),
        ("auditor", HOME, "access.role"),
    ],
)
def test_closure_refusals_name_the_rule_and_store_nothing(two_counties, username, county, rule):
    with pytest.raises(TransitionRefused) as refused:
        _close(two_counties, TUESDAY, county, username)
    assert rule in refused.value.rule_ids
    with Session(two_counties) as session:
        assert visible_closures(session, _user(session, "moe.admin")) == []


def test_a_supervisor_sees_nationwide_and_own_county_closures_only(two_counties):
    _close(two_counties, TUESDAY, None)
    _close(two_counties, WEDNESDAY, OTHER)
    _close(two_counties, date(2024, 11, 21), HOME, "hsq.supervisor")
    with Session(two_counties) as session:
        places = [p for _, p, _ in visible_closures(session, _user(session, "hsq.supervisor"))]
        assert places == [HOME, "全國"]
        assert len(visible_closures(session, _user(session, "moe.admin"))) == 3
    with pytest.raises(TransitionRefused) as refused:  # the same day twice
        _close(two_counties, TUESDAY, None)
    assert refused.value.rule_ids == ["closure.duplicate"]


# ------------------------------------------------------------------ reporting dates
def test_reporting_date_set_by_the_admin_is_a_milestone_found_by_the_sweep(two_counties):
    with session_scope(two_counties) as session:
        before = {d.name: (d.due_on, d.set_by_ministry) for d in reporting_dates(session, RULES)}
        assert before["plan"] == (date(2024, 2, 29), True)  # the demo's admin announced it
        for plan in session.exec(select(Plan)):
            plan.status, plan.submitted_on = PlanState.draft, None
        reviewer, admin = _user(session, "moe.reviewer1"), _user(session, "moe.admin")
        with pytest.raises(TransitionRefused) as refused:
            set_reporting_date(session, reviewer, 113, "plan", date(2024, 3, 1))
        assert refused.value.rule_ids == ["access.role"]
        set_reporting_date(session, admin, 113, "plan", date(2024, 3, 1))
        due = set_reporting_date(session, admin, 113, "plan", date(2024, 3, 8))  # changed
        assert (due.due_on, due.set_by_ministry) == (date(2024, 3, 8), True)
        history = reporting_date_changes(session, 113)[-2:]
        assert [(c.previous, c.due_on, u.username) for c, u in history] == [
            (date(2024, 2, 29), date(2024, 3, 1), "moe.admin"),
            (date(2024, 3, 1), date(2024, 3, 8), "moe.admin"),
        ]
        dues = session.exec(select(Milestone.due_on).where(Milestone.kind == PLAN_SUBMISSION))
        assert list(dues) == [date(2024, 3, 8)] * 2  # one per county's plan, moved
    run.sweep(two_counties, date(2024, 3, 8))  # the due day itself: not yet late
    assert _plan_findings(two_counties) == 0
    run.sweep(two_counties, date(2024, 3, 11))
    assert _plan_findings(two_counties) == 2


def test_reporting_date_outside_the_calendar_is_refused(two_counties):
    with session_scope(two_counties) as session, pytest.raises(TransitionRefused) as refused:
        set_reporting_date(session, _user(session, "moe.admin"), 113, "progress", date(2027, 1, 5))
    assert refused.value.rule_ids == ["reporting.in_calendar"]


def _plan_findings(engine) -> int:
    with Session(engine) as session:
        return len(
            session.exec(select(Finding).where(Finding.rule_id == "plan.not_submitted")).all()
        )


# ------------------------------------------------------------------ 達成率
@pytest.mark.parametrize(
    ("achieved", "target", "text", "tenths"),
    [(4, 6, "66.7%", 667), (1, 6, "16.7%", 167), (1, 8, "12.5%", 125), (1999, 2000, "99.9%", 999),
     (2000, 2000, "100.0%", 1000)],
)  # fmt: skip
def test_rate_rounds_half_up_to_a_tenth_of_a_percent(achieved, target, text, tenths):
    from forms.sheets import Percent
    from states.activity import rate_text

    assert rate_text(achieved, target) == text == str(Percent(achieved, target))
    assert Percent(achieved, target).tenths == tenths


def test_rate_is_a_percent_formatted_number_in_xlsx_and_ods():
    from decimal import Decimal
    from io import BytesIO

    from odf.opendocument import load as load_ods
    from odf.table import TableCell
    from openpyxl import load_workbook

    from forms.heading import Heading
    from forms.ods import write_ods
    from forms.results_doc import ResultRow
    from forms.sheets import results_sheet
    from forms.xlsx import write_xlsx

    heading = Heading("量化目標達成情形", HOME, 113, "113/12/31")
    sheet = results_sheet([ResultRow("家長宣講", "場", 6, 4)], heading, "達成情形")
    cell = next(c for row in load_workbook(BytesIO(write_xlsx([sheet]))).active.iter_rows()
                for c in row if c.number_format == "0.0%")  # fmt: skip
    assert Decimal(str(cell.value)) == Decimal("0.667")
    cells = load_ods(BytesIO(write_ods([sheet]))).spreadsheet.getElementsByType(TableCell)
    [rate] = [c for c in cells if c.getAttribute("valuetype") == "percentage"]
    assert rate.getAttribute("value") == "0.667"


# ------------------------------------------------------------------ the source's words
def test_sampling_refusal_quotes_the_sources_17_percent_and_its_one_sixth_gloss():
    from types import SimpleNamespace

    from rules import SchoolFacts
    from states.plan import targets_minimum

    schools = [SchoolFacts("國小", False, 6, 10, 100)] * 12  # 17 % of 12, rounded up: 3
    ctx = SimpleNamespace(schools=schools, rules=load_rules(113), targets={"sampled_schools": 2})
    message = targets_minimum(ctx)
    assert "學習成效評估抽樣校數(國中小) 2（至少 3；" in message
    assert "「國中小：抽樣校數至少達總校數 17%(縣市所轄 1/6 學校數，每校至少 1班)」" in message
    assert "依總校數 17%（無條件進位）計算" in message


def test_a_quote_that_disagrees_with_the_checked_number_is_refused(tmp_path):
    from rules import RulesFileError, load_rules_file
    from rules.schema import RULES_DIR

    text = (RULES_DIR / "113.toml").read_text(encoding="utf-8")
    path = tmp_path / "113.toml"
    path.write_text(text.replace("schools_bp = 1700", "schools_bp = 1750"), encoding="utf-8")
    with pytest.raises(RulesFileError) as error:
        load_rules_file(path)
    assert error.value.key == "source_quotes.sampling_schools" and "17.5%" in error.value.problem


def test_estimate_text_says_the_administration_fee_is_a_ceiling_for_recurrent_5_and_6():
    from forms.estimate_text import render
    from rules import SchoolFacts, estimate, targets

    rules = load_rules(113)
    facts = [SchoolFacts("國小", False, 6, 10, 100)] * 30
    text = render(HOME, estimate(facts, rules, per_head=100), targets(facts, rules), rules)
    assert "行政管理費係依業務費（3 + 4a + 4b + 5 + 6）估算之上限" in text
    assert "須 5（MDM 授權）與 6（數位內容及教學軟體）均編列於經常門" in text


def test_counties_closed_on_the_same_days_share_one_calendar():
    from flows.jobs.context import JobContext
    from rules import WorkCalendar

    rules = load_rules(113)
    typhoon = frozenset({date(2024, 7, 25)})
    ctx = JobContext(date(2024, 7, 26), rules, WorkCalendar.from_rules(rules), "", "", "",
                     county_closures={3: typhoon, 5: typhoon, 8: typhoon | {date(2024, 7, 24)}})  # fmt: skip
    rest, *own = ctx.groups
    assert (rest.counties, rest.others) == (None, frozenset({3, 5, 8}))
    assert [g.counties for g in own] == [frozenset({3, 5}), frozenset({8})]
    assert not ctx.calendar_of(3).is_working_day(date(2024, 7, 25))
    assert ctx.calendar_of(1).is_working_day(date(2024, 7, 25))
    assert ctx.calendar_of(8).roll_forward(date(2024, 7, 24)) == date(2024, 7, 26)


def test_a_county_records_its_progress_report_and_only_its_own(two_counties):
    from workflow.reporting_dates import record_report

    with session_scope(two_counties) as session:
        home, staff = _county(session, HOME), _user(session, "hsq.staff1")
        set_reporting_date(session, _user(session, "moe.admin"), 113, "progress", date(2024, 7, 15))
        with pytest.raises(TransitionRefused) as refused:
            record_report(
                session, staff, _county(session, OTHER), 113, "progress", date(2024, 7, 10)
            )
        assert refused.value.rule_ids == ["access.county"]
        with pytest.raises(TransitionRefused) as refused:
            record_report(session, staff, home, 113, "plan", date(2024, 7, 10))  # not a report
        assert refused.value.rule_ids == ["reporting.not_a_report"]
        m = record_report(session, staff, home, 113, "progress", date(2024, 7, 10))
        assert m.done_on == date(2024, 7, 10)
    run.sweep(two_counties, date(2024, 7, 17))
    with Session(two_counties) as session:
        late = session.exec(
            select(Milestone.county_id)
            .join(Finding, Finding.subject_id == Milestone.id)
            .where(Finding.rule_id == "milestone.overdue", Milestone.kind == "report.progress")
        ).all()
        assert late == [_county(session, OTHER).id]  # the one that did not report


def test_a_report_without_its_milestone_is_refused(two_counties):
    from sqlalchemy import delete

    from workflow.reporting_dates import record_report

    with session_scope(two_counties) as session:
        session.execute(delete(Milestone).where(Milestone.kind == "report.results"))
        home = _county(session, HOME)
        with pytest.raises(TransitionRefused) as refused:
            record_report(
                session, _user(session, "hsq.staff1"), home, 113, "results", date(2025, 2, 1)
            )
        assert refused.value.rule_ids == ["reporting.no_date"]
