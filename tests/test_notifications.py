"""Rendering is pure; enqueueing is idempotent on both databases."""

from datetime import date

from sqlmodel import Session, select

from model.db import session_scope
from model.tables import Notification
from notifications.outbox import Outgoing, enqueue
from notifications.render import (
    EscalationLine,
    FindingView,
    ItemView,
    Reader,
    ReminderLine,
    item_url,
    render_digest,
    render_escalation,
    render_escalations,
    render_finding,
    render_reminder,
    render_reminders,
)

ITEM = ItemView(
    county="新竹縣", title="113年度「Hiteach」授權採購 數位內容及教學軟體經費請撥",
    kind_title="數位內容及教學軟體經費請撥", due_on=date(2024, 11, 30),
    url=item_url("http://jj.example/", "purchase", 3), amount=1_500_000,
)  # fmt: skip


def test_render_reminder_shows_roc_date_amount_link_and_why():
    mail = render_reminder(Reader("陳雅婷", "您是此項目的承辦人"), ITEM, 7)
    assert mail.subject == (
        "【提醒】113年度「Hiteach」授權採購 數位內容及教學軟體經費請撥：113/11/30 到期（剩 7 個工作天）"
    )
    for body in (mail.text, mail.html):
        assert "陳雅婷" in body and "113/11/30" in body and "新臺幣 1,500,000 元" in body
        assert "http://jj.example/items/purchase/3" in body
        assert "您收到這封信，是因為您是此項目的承辦人。" in body


def test_render_escalation_names_the_step_and_the_reader_s_role():
    mail = render_escalation(
        Reader("林科長", "您是新竹縣的縣市主管"), ITEM, step=2, target="county_supervisor",
        overdue=3, owner="陳雅婷",
    )  # fmt: skip
    assert mail.subject.startswith("【逾期通報・第 2 級】新竹縣")
    assert "已逾期 3 個工作天" in mail.text and "承辦人：陳雅婷" in mail.text
    assert "請督導辦理" in mail.html and "您是新竹縣的縣市主管" in mail.html


def test_render_reminders_lists_every_item_and_names_a_non_working_due_day():
    other = ItemView(
        county="新竹縣", title="公開授課", kind_title="公開授課", due_on=date(2024, 10, 10),
        url="http://jj.example/items/plan/1",
    )  # fmt: skip
    lines = [ReminderLine(ITEM, 0, due_on_working_day=False),
             ReminderLine(other, 2, due_on_working_day=False)]  # fmt: skip
    mail = render_reminders(Reader("陳雅婷", "您是此項目的承辦人"), lines)
    assert mail.subject == "【提醒】新竹縣 2 件事項即將到期（最早 113/11/30）"
    assert "期限 113/11/30（星期六），今天是期限前最後一個工作天" in mail.text
    assert "期限 113/10/10（星期四，放假），剩 2 個工作天" in mail.text
    assert "2. 新竹縣 公開授課" in mail.text and "公開授課</a>" in mail.html


def test_render_escalations_lists_each_item_with_its_owner():
    lines = [EscalationLine(ITEM, 3, "陳雅婷"), EscalationLine(ITEM, 4, "林小明")]
    mail = render_escalations(
        Reader("林科長", "您是新竹縣的縣市主管"), lines, step=2, target="county_supervisor"
    )
    assert mail.subject == "【逾期通報・第 2 級】新竹縣 2 件事項逾期未完成"
    assert "承辦人：陳雅婷" in mail.text and "承辦人：林小明" in mail.text
    assert "已逾期 4 個工作天" in mail.text and "請督導辦理" in mail.html


def test_render_finding_and_digest_escape_html_but_not_text():
    finding = FindingView(
        "plan.unexplained_difference",
        "經費申請數與預估數不同且未說明",
        "新竹縣",
        "說明 <未填> & 待補",
        "http://jj.example/items/plan/1",
    )
    mail = render_finding(Reader("王", "您是負責新竹縣的教育部承辦"), finding, date(2024, 11, 15))
    assert "說明 <未填> & 待補" in mail.text
    assert "說明 &lt;未填&gt; &amp; 待補" in mail.html
    digest = render_digest(
        Reader("王", "您是負責各縣市的教育部承辦"), as_of=date(2024, 12, 9),
        since=date(2024, 12, 6), escalations=[EscalationLine(ITEM, 5)], findings=[finding],
    )  # fmt: skip
    assert digest.subject == "【每日摘要】113/12/09：逾期通報 1 件、新查核發現 1 件"
    assert "已逾期 5 個工作天" in digest.text and "113年12月6日" in digest.html


def _mail(key: str) -> Outgoing:
    rendered = render_reminder(Reader("陳雅婷", "您是此項目的承辦人"), ITEM, 1)
    return Outgoing(key, None, "staff@hsq.example", rendered, "您是此項目的承辦人")


def test_enqueue_twice_adds_nothing_and_keeps_the_message_id(engine):
    with session_scope(engine) as session:
        first = enqueue(session, [_mail("a"), _mail("b")], domain="moe.example")
    with Session(engine) as session:
        ids = {n.dedupe_key: n.message_id for n in session.exec(select(Notification))}
    with session_scope(engine) as session:
        second = enqueue(session, [_mail("b"), _mail("c")], domain="moe.example")
    with Session(engine) as session:
        after = {n.dedupe_key: n.message_id for n in session.exec(select(Notification))}
    assert [m.dedupe_key for m in first] == ["a", "b"]
    assert [m.dedupe_key for m in second] == ["c"]
    assert after["a"] == ids["a"] and after["b"] == ids["b"] and len(after) == 3
    assert all(i.startswith("<") and i.endswith("@moe.example>") for i in after.values())
