"""Mail for the events people wait on, driven through the real lifecycles and delivered
to a real SMTP server (aiosmtpd): each mail once, to the right people, with the facts."""

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from deadline_fixtures import RecordingHandler, free_port, mail_settings, smtp_server
from sqlalchemy import func
from sqlmodel import Session, select
from web_support import client_for, post, purchases_of, seeded_app

from config import clock
from config.clock import zone
from demo.generate import generate
from flows.jobs import run
from model.db import make_engine
from model.migrate import upgrade
from model.tables import BudgetLine, Notification, Plan, User
from notifications.events import EVENTS, HANDOVER, audience, dedupe_key
from notifications.smtp import deliver
from states.errors import TransitionRefused
from tests.cli_env import configured
from tests.cli_env import run as cli_run
from workflow.plans import PLANS, approve_plan, decide_budget_change, request_budget_change
from workflow.reimbursements import REIMBURSEMENTS, create_reimbursement
from workflow.service import advance

AT = datetime(2024, 3, 1, 10, 30, tzinfo=zone())  # a Friday
LETTER = "臺教資(四)字第1130012345號"
PAID = "臺教資(五)字第1130000001號"
SETTLED = "臺教資(五)字第1140000009號"
BASE = "http://127.0.0.1:8000"
COUNTY_PEOPLE = {
    "hsq.supervisor@demo.example",
    "hsq.staff1@demo.example",
    "hsq.staff2@demo.example",
}


# ------------------------------------------------------------------ helpers
def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _plan(session: Session) -> Plan:
    return session.exec(select(Plan)).one()


def _go(session, lifecycle, row_id, event, who, **kwargs):
    with clock.using(lambda: AT):
        return advance(
            session, lifecycle, row_id, event, _user(session, who), today=AT.date(), **kwargs
        )


def _delivered(engine) -> dict[str, list]:
    """Deliver everything queued; a second run sends nothing. {address: [messages]}."""
    handler, port = RecordingHandler(), free_port()
    with smtp_server(handler, port):
        first = deliver(engine, settings=mail_settings(port))
        again = deliver(engine, settings=mail_settings(port))
    assert len(first.sent) == len(handler.received) and not first.failed
    assert again.sent == [] and len(handler.received) == len(first.sent)
    got: dict[str, list] = {}
    for received in handler.received:
        [to] = received.rcpt_tos
        got.setdefault(to, []).append(received.message)
    return got


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _queued(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Notification)).one()


@pytest.fixture
def demo(session) -> Plan:
    generate(session, story=False)
    session.commit()
    return _plan(session)


def _approved(session, plan: Plan) -> None:
    _go(session, PLANS, plan.id, "submit", "hsq.supervisor")
    _go(session, PLANS, plan.id, "start_review", "moe.reviewer2")
    with clock.using(lambda: AT):
        approve_plan(session, _user(session, "moe.reviewer2"), plan.id, LETTER, today=AT.date())


def _plan_total(session, plan: Plan) -> int:
    lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
    return sum(line.recurrent + line.capital for line in lines)


# ------------------------------------------------------------------ the plan
def test_plan_submitted_returned_and_approved_reach_their_readers_once(engine, session, demo):
    total = _plan_total(session, demo)
    _go(session, PLANS, demo.id, "submit", "hsq.supervisor")
    _go(session, PLANS, demo.id, "start_review", "moe.reviewer2")
    _go(session, PLANS, demo.id, "return_plan", "moe.reviewer2", reason="目標值請再檢視")
    session.commit()
    got = _delivered(engine)
    # Submitted: to the reviewer assigned to 新竹縣 (moe.reviewer2), not the other one.
    [submitted] = got.pop("moe.reviewer2@demo.example")
    assert submitted["Subject"] == "【計畫已送出，待審查】新竹縣 113 年度縣市實施計畫"
    body = _text(submitted)
    assert "處理人：" in body and "（縣市主管）" in body
    assert "時間：113/03/01 10:30" in body
    assert f"申請補助經費：新臺幣 {total:,} 元" in body
    assert f"{BASE}/items/plan/{demo.id}" in body
    assert "您收到這封信，是因為您是負責新竹縣的教育部承辦" in body
    # Returned: to the county's supervisor and, nobody holding the plan, its staff.
    assert set(got) == COUNTY_PEOPLE
    for [mail] in got.values():
        assert mail["Subject"] == "【計畫已退回修正】新竹縣 113 年度縣市實施計畫"
        assert "說明：目標值請再檢視" in _text(mail) and "（教育部承辦）" in _text(mail)
    assert "您是新竹縣的縣市主管" in _text(got["hsq.supervisor@demo.example"][0])

    _go(session, PLANS, demo.id, "resubmit", "hsq.supervisor")
    _go(session, PLANS, demo.id, "start_review", "moe.reviewer2")
    with clock.using(lambda: AT):
        approve_plan(session, _user(session, "moe.reviewer2"), demo.id, LETTER, today=AT.date())
    session.commit()
    got = _delivered(engine)
    [resubmitted] = got.pop("moe.reviewer2@demo.example")
    assert resubmitted["Subject"].startswith("【計畫已修正後重新送出，待審查】")
    assert set(got) == COUNTY_PEOPLE
    for [mail] in got.values():
        assert mail["Subject"] == "【計畫已核定】新竹縣 113 年度縣市實施計畫"
        body = _text(mail)
        assert f"核定文號：{LETTER}" in body
        assert f"核定補助經費：新臺幣 {total:,} 元" in body
        html = mail.get_body(("html",)).get_content()
        assert LETTER in html and f'href="{BASE}/items/plan/{demo.id}"' in html


def test_a_refused_or_rolled_back_transition_sends_nothing(engine, session, demo):
    with pytest.raises(TransitionRefused):
        _go(session, PLANS, demo.id, "submit", "hsq.staff1")  # only the supervisor submits
    _go(session, PLANS, demo.id, "submit", "hsq.supervisor")
    assert _queued(session) == 1  # queued in the transition's own transaction …
    session.rollback()
    assert _queued(session) == 0  # … and gone with it
    session.rollback()
    assert _delivered(engine) == {}


# ------------------------------------------------------------------ budget change
def test_budget_change_decisions_go_to_the_county(engine, session, demo):
    _approved(session, demo)
    lines = {
        str(line.item): {"recurrent": line.recurrent, "capital": line.capital}
        for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == demo.id))
    }
    office, training = lines["office_operations"], lines["teacher_training"]
    office["recurrent"] += 30_000
    training["recurrent"] -= 30_000
    change = {"office_operations": office, "teacher_training": training}
    with clock.using(lambda: AT):
        row = request_budget_change(
            session, _user(session, "hsq.supervisor"), demo.id, change, "研習費移作辦公室運作",
            today=AT.date(),
        )  # fmt: skip
        decide_budget_change(
            session, _user(session, "moe.reviewer2"), row.id, approve=True,
            letter_no="臺教資(四)字第1130099999號", today=AT.date(),
        )  # fmt: skip
    session.commit()
    got = _delivered(engine)
    got.pop("moe.reviewer2@demo.example")  # the plan's own submission
    assert set(got) == COUNTY_PEOPLE
    for mails in got.values():
        [mail] = [m for m in mails if "經費變更" in m["Subject"]]
        assert mail["Subject"] == f"【經費變更已核定】新竹縣 113 年度經費流用/變更 #{row.id}"
        body = _text(mail)
        assert "文號：臺教資(四)字第1130099999號" in body
        assert f"經常門 新臺幣 {office['recurrent']:,} 元" in body
        assert f"{BASE}/items/budget_change/{row.id}" in body


# ------------------------------------------------------------------ money
def test_disbursement_and_settlement_decisions_go_to_the_county(engine, session, demo):
    _approved(session, demo)
    row = create_reimbursement(session, _user(session, "hsq.supervisor"), demo.id)
    first = row.subsidy * 3000 // 10000  # the first tranche's 30 % band
    evidence = {"amount": first, "disbursed_on": "2024-03-01", "letter_no": PAID}
    _go(session, REIMBURSEMENTS, row.id, "disburse", "moe.reviewer2", evidence=evidence)
    spending = {
        str(line.item): {"recurrent": line.recurrent, "capital": line.capital}
        for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == demo.id))
    }
    report = {"spending": spending, "report_ref": "新竹縣113年度成果報告"}
    _go(session, REIMBURSEMENTS, row.id, "submit_settlement", "hsq.supervisor", evidence=report)
    _go(session, REIMBURSEMENTS, row.id, "start_review", "moe.reviewer2")
    _go(session, REIMBURSEMENTS, row.id, "return_settlement", "moe.reviewer2", reason="缺發票")
    _go(session, REIMBURSEMENTS, row.id, "resubmit_settlement", "hsq.supervisor", evidence=report)
    _go(session, REIMBURSEMENTS, row.id, "start_review", "moe.reviewer2")
    settle = {"letter_no": SETTLED}
    _go(session, REIMBURSEMENTS, row.id, "settle", "moe.reviewer2", evidence=settle)
    session.commit()
    got = _delivered(engine)
    assert set(got) >= COUNTY_PEOPLE
    for address in COUNTY_PEOPLE:
        money = {m["Subject"]: _text(m) for m in got[address] if "經費請撥結報" in m["Subject"]}
        title = f"新竹縣 113 年度經費請撥結報 #{row.id}"
        assert set(money) == {f"【經費已核撥】{title}", f"【結報已退回】{title}",
                              f"【結報已核定】{title}"}  # fmt: skip
        paid = money[f"【經費已核撥】{title}"]
        assert f"本次核撥金額：新臺幣 {first:,} 元" in paid and f"核撥文號：{PAID}" in paid
        assert "核撥日期：113/03/01" in paid
        assert "說明：缺發票" in money[f"【結報已退回】{title}"]
        assert f"結報核定文號：{SETTLED}" in money[f"【結報已核定】{title}"]
        assert f"{BASE}/items/reimbursement/{row.id}" in paid


# ------------------------------------------------------------------ hand-over
def test_a_hand_over_on_the_web_mails_the_new_holder(engine):
    app = seeded_app(engine)
    with Session(engine) as session:
        purchase = purchases_of(session, "新竹縣")[0]
        target = _user(session, "hsq.staff2")
        before = _queued(session)
    client = client_for(app, "hsq.supervisor")
    url = f"/items/purchase/{purchase.id}"
    done = post(client, f"{url}/handover", {"to_user_id": str(target.id), "note": "請接手驗收"},
                page=url)  # fmt: skip
    assert done.status_code == 303
    with Session(engine) as session:
        assert _queued(session) == before + 1
    got = _delivered(engine)
    [mail] = got["hsq.staff2@demo.example"]
    assert mail["Subject"].startswith("【項目已交辦給您】新竹縣 ")
    body = _text(mail)
    assert "（縣市主管）" in body and "說明：請接手驗收" in body
    assert f"{BASE}/items/purchase/{purchase.id}" in body
    assert "您收到這封信，是因為此項目已交辦給您" in body


# ------------------------------------------------------------------ the daily digest
def test_a_digest_reader_gets_the_event_in_the_digest_not_single(engine, session, demo):
    supervisor = _user(session, "hsq.supervisor")
    supervisor.daily_digest = True
    session.add(supervisor)
    session.commit()
    _approved(session, demo)  # on Friday 2024-03-01
    session.commit()
    got = _delivered(engine)
    assert "hsq.supervisor@demo.example" not in got  # no single mail …
    assert {"hsq.staff1@demo.example", "hsq.staff2@demo.example"} <= set(got)
    run.digest(engine, date(2024, 3, 1))  # … nor in the digest of the day it happened
    assert "hsq.supervisor@demo.example" not in _delivered(engine)
    run.digest(engine, date(2024, 3, 4))  # the next working day's digest has it
    run.digest(engine, date(2024, 3, 4))  # once
    [digest] = _delivered(engine)["hsq.supervisor@demo.example"]
    assert (
        digest["Subject"] == "【每日摘要】113/03/04：逾期通報 0 件、新查核發現 0 件、事項通知 1 件"
    )
    body = _text(digest)
    assert "事項通知（1 件）：" in body
    assert "- 113/03/01 新竹縣 113 年度縣市實施計畫：計畫已核定" in body
    assert f"核定文號：{LETTER}" in body and f"{BASE}/items/plan/{demo.id}" in body
    assert "您是新竹縣的縣市主管" in body
    run.digest(engine, date(2024, 3, 5))  # the day after: nothing new for this reader
    assert "hsq.supervisor@demo.example" not in _delivered(engine)


# ------------------------------------------------------------------ the pure mapping
@dataclass(frozen=True)
class Person:
    id: int


def test_audience_names_each_reader_once_and_never_the_one_who_acted():
    boss, holder, clerk, reviewer = Person(1), Person(2), Person(3), Person(4)
    county = EVENTS[("plan", "approve")]
    # The holder answers for the item: the other staff are not asked.
    readers = audience(county, "新竹縣", actor_id=None, supervisors=[boss], holder=holder,
                       staff=[holder, clerk])  # fmt: skip
    assert readers == [(boss, "您是新竹縣的縣市主管"), (holder, "您是此項目的承辦人")]
    # Nobody holds it: the county's staff, once each, the supervisor who acted left out.
    readers = audience(county, "新竹縣", actor_id=1, supervisors=[boss], staff=[clerk, clerk])
    assert [u for u, _ in readers] == [clerk]
    ministry = EVENTS[("plan", "submit")]
    pairs = [(reviewer, "您是負責新竹縣的教育部承辦")]
    assert audience(ministry, "新竹縣", actor_id=1, ministry=pairs, supervisors=[boss]) == pairs
    assert audience(HANDOVER, "新竹縣", actor_id=1, holder=holder) == [(holder, "此項目已交辦給您")]
    assert dedupe_key("log", 7, 2) != dedupe_key("handover", 7, 2)


# ------------------------------------------------------------------ the command line
def test_the_command_line_queues_the_same_mail(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        generate(session, story=False)
        session.commit()
        plan_id = _plan(session).id
    with configured(monkeypatch, url) as runner:
        done = cli_run(runner, "plan", "advance", str(plan_id), "submit", "--as", "hsq.supervisor")
    assert done.exit_code == 0, done.output
    [mail] = _delivered(engine)["moe.reviewer2@demo.example"]
    assert mail["Subject"] == "【計畫已送出，待審查】新竹縣 113 年度縣市實施計畫"
    engine.dispose()
