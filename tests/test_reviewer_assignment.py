"""Ministry mails go to the reviewers assigned to the county, or to the admin asking for one."""

from datetime import date

import pytest
from cli_env import configured, run
from deadline_fixtures import (
    DEMO_COUNTY,
    Received,
    RecordingHandler,
    blank_explanation,
    free_port,
    mail_settings,
    replay,
    seed_demo,
    smtp_server,
)
from sqlmodel import Session, delete, select

from demo.generate import generate
from flows.jobs import run as jobs
from model.assignments import ReviewerAssignment, all_assignments, assign
from model.db import make_engine, session_scope
from model.migrate import upgrade
from model.tables import County, User
from notifications.smtp import deliver
from rules import InputError

FIRST_OVERDUE_DAY = date(2024, 12, 2)  # the disbursements due Sat 11/30: step 1
STEP_3_DAY = date(2024, 12, 9)  # … step by step, they reach the ministry step
SWEEP_DAY = date(2024, 11, 15)
OTHER_COUNTY = "苗栗縣"


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _county(session: Session, name: str) -> County:
    return session.exec(select(County).where(County.name == name)).one()


def _reassign(engine, plan: dict[str, list[str]], *, digest: frozenset[str] = frozenset()) -> None:
    """Replace the demo's assignments with `plan` (username → county names)."""
    with session_scope(engine) as session:
        session.exec(delete(ReviewerAssignment))
        for name in ("moe.reviewer1", "moe.reviewer2"):
            _user(session, name).daily_digest = name in digest
        for name, counties in plan.items():
            assign(session, _user(session, name), [_county(session, c) for c in counties])


def _delivered(engine) -> list[Received]:
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        while deliver(engine, settings=mail_settings(port)).sent:
            pass
    return handler.received


def _text(got: Received) -> str:
    return got.message.get_body(("plain",)).get_content()


def _escalate_to_step_3(engine) -> int:
    return sum(replay(engine, FIRST_OVERDUE_DAY, STEP_3_DAY, jobs=(jobs.escalate,)).values())


def _step_3(received: list[Received]) -> list[Received]:
    return [r for r in received if "第 3 級" in r.message["Subject"]]


def test_escalate_ministry_step_reaches_only_the_county_s_reviewer(engine):
    seed_demo(engine)
    # Neither reviewer on the digest: only the assignment can keep reviewer1 out.
    _reassign(engine, {"moe.reviewer2": [DEMO_COUNTY], "moe.reviewer1": [OTHER_COUNTY]})
    assert _escalate_to_step_3(engine)
    step_3 = _step_3(_delivered(engine))
    assert step_3 and {a for r in step_3 for a in r.rcpt_tos} == {"moe.reviewer2@demo.example"}
    assert all("您是負責新竹縣的教育部承辦" in _text(r) for r in step_3)


def test_escalate_unassigned_county_goes_to_the_admin_asking_for_a_reviewer(engine):
    seed_demo(engine)
    _reassign(engine, {"moe.reviewer1": [OTHER_COUNTY]})
    _escalate_to_step_3(engine)
    step_3 = _step_3(_delivered(engine))
    assert step_3 and {a for r in step_3 for a in r.rcpt_tos} == {"moe.admin@demo.example"}
    assert all("新竹縣尚未指定負責的教育部承辦，請指派" in _text(r) for r in step_3)


def test_sweep_mails_new_findings_to_the_county_s_reviewer_only(engine):
    seed_demo(engine)
    _reassign(engine, {"moe.reviewer1": [DEMO_COUNTY], "moe.reviewer2": [OTHER_COUNTY]})
    blank_explanation(engine)
    report = jobs.sweep(engine, SWEEP_DAY)
    with Session(engine) as session:
        ministry = {
            _user(session, n).id: n for n in ("moe.reviewer1", "moe.reviewer2", "moe.admin")
        }
    to_ministry = [m for m in report.queued if m.recipient_id in ministry]
    assert to_ministry and {ministry[m.recipient_id] for m in to_ministry} == {"moe.reviewer1"}
    assert {m.reason for m in to_ministry} == {"您是負責新竹縣的教育部承辦"}


def test_digest_lists_only_the_reviewer_s_counties(engine):
    seed_demo(engine)
    with session_scope(engine) as session:
        generate(session, year=113, county_name=OTHER_COUNTY, story=False)
    _reassign(
        engine,
        {"moe.reviewer1": [DEMO_COUNTY], "moe.reviewer2": [OTHER_COUNTY]},
        digest={"moe.reviewer1", "moe.reviewer2"},
    )
    for county in (DEMO_COUNTY, OTHER_COUNTY):
        blank_explanation(engine, county)
    swept = jobs.sweep(engine, SWEEP_DAY)
    with Session(engine) as session:
        reviewer_ids = {_user(session, "moe.reviewer1").id, _user(session, "moe.reviewer2").id}
    assert not [m for m in swept.queued if m.recipient_id in reviewer_ids]  # digest only
    assert len(jobs.digest(engine, SWEEP_DAY).queued) == 2
    by_reader = {
        r.rcpt_tos[0]: _text(r) for r in _delivered(engine) if "每日摘要" in r.message["Subject"]
    }
    mine, theirs = by_reader["moe.reviewer1@demo.example"], by_reader["moe.reviewer2@demo.example"]
    assert "- 新竹縣 " in mine and "- 苗栗縣 " not in mine
    assert "- 苗栗縣 " in theirs and "- 新竹縣 " not in theirs
    assert "您是負責新竹縣的教育部承辦" in mine and "您是負責苗栗縣的教育部承辦" in theirs


def test_assign_non_reviewer_is_refused_and_stores_nothing(session):
    generate(session, story=False)
    staff, county = _user(session, "hsq.staff1"), _county(session, DEMO_COUNTY)
    before = all_assignments(session)
    with pytest.raises(InputError, match="只有教育部承辦可以指定負責的縣市") as refused:
        assign(session, staff, [county])
    assert refused.value.where == "reviewer.role" and "縣市推動辦公室承辦" in str(refused.value)
    assert all_assignments(session) == before


def test_generate_gives_the_demo_county_to_the_reviewer_on_single_mails(session):
    generate(session, story=False)
    pairs = [(u.username, c.name) for u, c in all_assignments(session)]
    assert ("moe.reviewer2", DEMO_COUNTY) in pairs and not _user(
        session, "moe.reviewer2"
    ).daily_digest
    assert (
        [n for n, _ in pairs].count("moe.reviewer2")
        == 11
        == [n for n, _ in pairs].count("moe.reviewer1")
    )
    assert len({c for _, c in pairs}) == 22


# ------------------------------------------------------------------ the command
@pytest.fixture
def cli(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        generate(session, story=False)
        session.exec(delete(ReviewerAssignment))
    engine.dispose()
    with configured(monkeypatch, url) as runner:
        yield lambda *args: run(runner, *args)


def test_reviewers_assign_by_name_or_code_then_list_and_unassign(cli):
    done = cli("reviewers", "assign", "moe.reviewer1", "新竹縣", "MIA", "台北市")
    assert done.exit_code == 0, done.output
    assert "負責：新竹縣、苗栗縣、臺北市" in done.stdout
    listed = cli("reviewers", "list").stdout
    assert "（moe.reviewer1）：臺北市、新竹縣、苗栗縣" in listed
    assert "尚未指定承辦的縣市" in listed and "新北市" in listed.splitlines()[-1]
    again = cli("reviewers", "assign", "moe.reviewer1", "HSQ")
    assert "原本就由 moe.reviewer1 負責：新竹縣" in again.stdout
    gone = cli("reviewers", "unassign", "moe.reviewer1", "hsq")
    assert gone.exit_code == 0 and "新竹縣目前沒有負責的教育部承辦" in gone.stdout
    assert "新竹縣" in cli("reviewers", "list").stdout.splitlines()[-1]


def test_reviewers_assign_refuses_a_non_reviewer_or_unknown_county(cli):
    staff = cli("reviewers", "assign", "hsq.staff1", "新竹縣")
    assert staff.exit_code == 2 and "只有教育部承辦可以指定負責的縣市" in staff.output
    nowhere = cli("reviewers", "assign", "moe.reviewer1", "火星市")
    assert nowhere.exit_code == 2 and "找不到縣市「火星市」" in nowhere.output
    assert "尚未指定任何教育部承辦負責的縣市" in cli("reviewers", "list").stdout
