"""Rendering is pure; enqueueing is idempotent on both databases."""

from datetime import date

from sqlmodel import Session, select

from model.db import session_scope
from model.tables import Notification
from notifications.outbox import Outgoing, enqueue
from notifications.render import (
    ESCALATION_ITEMS_SHOWN,
    EscalationLine,
    EscalationList,
    FindingView,
    ItemView,
    Reader,
    ReminderLine,
    county_summaries,
    item_url,
    overdue_list_url,
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


# Simplified forms of characters these mails use: a mail must not contain any of them.
SIMPLIFIED = set("县级项数经费请单过总额时办览统为这")


def _overdue(county: str, n: int, kind: str, amount: int | None, first_id: int, most: int):
    """n items, `most` working days overdue and one day less for each next one."""
    return [
        EscalationLine(
            ItemView(county, f"{county}事項{i}", kind, date(2024, 11, 30),
                     item_url("http://jj.example/", "purchase", first_id + i), amount),
            overdue=most - i, owner="陳雅婷",
        )
        for i in range(n)
    ]  # fmt: skip


# 4 + 25 + 3 items in two counties; the longest overdue are not the first given.
MANY = (
    _overdue("臺東縣", 4, "公開授課", None, 200, 15)
    + _overdue("新竹縣", 25, "數位內容及教學軟體經費請撥", 1_500_000, 100, 40)
    + _overdue("新竹縣", 3, "家長宣講", None, 300, 11)
)


def test_county_summaries_count_kinds_lateness_and_exact_amounts():
    hsinchu, taitung = county_summaries(MANY)  # the most items first
    assert (hsinchu.county, hsinchu.count, taitung.county, taitung.count) == (
        "新竹縣", 28, "臺東縣", 4
    )  # fmt: skip
    assert hsinchu.kinds == (("數位內容及教學軟體經費請撥", 25), ("家長宣講", 3))
    assert (hsinchu.overdue_min, hsinchu.overdue_max) == (9, 40)
    assert taitung.overdue_text == "12 至 15 個工作天"
    assert hsinchu.amount == 25 * 1_500_000 and taitung.amount is None


def test_render_escalations_to_the_ministry_summarises_per_county_and_cuts_the_list():
    url = overdue_list_url("http://jj.example/")
    mail = render_escalations(
        Reader("王專員", "您是負責新竹縣、臺東縣的教育部承辦"), MANY, step=3, target="ministry",
        list_url=url,
    )  # fmt: skip
    assert url == "http://jj.example/"
    assert mail.subject == "【逾期通報・第 3 級】臺東縣等 32 件事項逾期未完成"
    assert "各縣市摘要：" in mail.text and "<h3>各縣市摘要</h3>" in mail.html
    assert (
        "- 新竹縣 28 件（數位內容及教學軟體經費請撥 25 件、家長宣講 3 件），已逾期 9 至 40 個"
        "工作天，金額合計新臺幣 37,500,000 元\n- 臺東縣 4 件（公開授課 4 件），已逾期 12 至 15 個"
        "工作天\n"
    ) in mail.text
    assert '<td>臺東縣</td><td align="right">4</td><td>公開授課 4 件</td>' in mail.html
    shown = ESCALATION_ITEMS_SHOWN
    assert f"以下列出逾期最久的 {shown} 件，其餘 {32 - shown} 件未列出。" in mail.text
    assert f"完整清單請至系統查看：{url}\n" in mail.text and f'<a href="{url}">' in mail.html
    # The longest overdue items, each with its link; none of the rest.
    for body in (mail.text, mail.html):
        assert body.count("陳雅婷") == shown
        assert "http://jj.example/items/purchase/100" in body
        assert f"http://jj.example/items/purchase/{100 + shown - 1}" in body
        assert f"http://jj.example/items/purchase/{100 + shown}" not in body
        assert not SIMPLIFIED & set(body)
    assert "1. 新竹縣 新竹縣事項0\n" in mail.text and "已逾期 40 個工作天" in mail.text
    assert f"{shown}. 新竹縣 新竹縣事項{shown - 1}\n" in mail.text and "臺東縣事項" not in mail.text


def test_render_escalations_lists_every_item_for_the_owner_and_up_to_the_limit():
    owner = render_escalations(Reader("陳雅婷", "您是此項目的承辦人"), MANY, step=1, target="owner")
    assert owner.text.count("承辦人：") == 32 and "各縣市摘要" not in owner.text
    few = MANY[:ESCALATION_ITEMS_SHOWN]
    supervisor = render_escalations(
        Reader("林科長", "您是新竹縣的縣市主管"), few, step=2, target="county_supervisor",
        list_url="http://jj.example/",
    )  # fmt: skip
    assert supervisor.text.count("承辦人：") == ESCALATION_ITEMS_SHOWN
    assert "各縣市摘要" not in supervisor.html and "未列出" not in supervisor.text


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


def test_render_digest_summarises_many_escalations_as_the_ministry_mail_does():
    url = overdue_list_url("http://jj.example/")
    digest = render_digest(
        Reader("王專員", "您是負責新竹縣、臺東縣的教育部承辦"), as_of=date(2024, 12, 9),
        since=date(2024, 12, 6), escalations=MANY, findings=[], list_url=url,
    )  # fmt: skip
    shown = ESCALATION_ITEMS_SHOWN
    assert digest.subject == "【每日摘要】113/12/09：逾期通報 32 件、新查核發現 0 件"
    assert "逾期通報（32 件）：\n各縣市摘要：\n" in digest.text
    assert (
        "- 新竹縣 28 件（數位內容及教學軟體經費請撥 25 件、家長宣講 3 件），已逾期 9 至 40 個"
        "工作天，金額合計新臺幣 37,500,000 元\n"
    ) in digest.text
    assert '<td>臺東縣</td><td align="right">4</td><td>公開授課 4 件</td>' in digest.html
    assert f"以下列出逾期最久的 {shown} 件，其餘 {32 - shown} 件未列出。" in digest.text
    assert f"完整清單請至系統查看：{url}\n" in digest.text and f'<a href="{url}">' in digest.html
    for body in (digest.text, digest.html):  # the longest overdue only
        assert "http://jj.example/items/purchase/100" in body
        assert f"http://jj.example/items/purchase/{100 + shown - 1}" in body
        assert f"http://jj.example/items/purchase/{100 + shown}" not in body
        assert "臺東縣事項" not in body and not SIMPLIFIED & set(body)


def test_render_digest_lists_a_few_escalations_in_full_without_a_summary():
    few = MANY[:3]
    digest = render_digest(
        Reader("王", "您是負責臺東縣的教育部承辦"), as_of=date(2024, 12, 9),
        since=date(2024, 12, 6), escalations=few, findings=[], list_url="http://jj.example/",
    )  # fmt: skip
    assert "各縣市摘要" not in digest.text + digest.html and "未列出" not in digest.text
    assert all(f"臺東縣事項{i}：" in digest.text for i in range(3))
    assert EscalationList.of(few) == EscalationList(3, few, [], "臺東縣")
