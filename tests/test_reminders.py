"""Reminder and escalation days: pure date windows, then day-by-day replays on demo data."""

from dataclasses import replace
from datetime import date

import pytest
from deadline_fixtures import (
    DEMO_COUNTY,
    add_milestones,
    disbursement_milestone,
    notification_count,
    queued_to,
    replay,
    seed_demo,
)
from sqlmodel import Session, col, select

from config.settings import get_settings
from demo.generate import generate
from flows.jobs import milestones, run
from flows.jobs.context import contexts
from flows.jobs.escalation import escalation_list
from flows.jobs.windows import escalation_windows, overdue_working_days, reminder_windows
from model.alerts import ESCALATION, REMINDER, MilestoneAlert
from model.db import session_scope
from model.tables import County, Milestone, Notification, User
from notifications.recipients import users_by_id
from notifications.render import (
    ESCALATION_ITEMS_SHOWN,
    EscalationLine,
    EscalationList,
    overdue_list_url,
)
from rules import WorkCalendar, load_rules

CAL = WorkCalendar.from_rules(load_rules(113))
OFFSETS = (14, 7, 3, 1)
THRESHOLDS = (0, 3, 5)
DEADLINE = date(2024, 11, 30)  # a Saturday
# Counted by hand on the 2024 calendar (no holidays in November 2024):
# 1 working day before Sat 11/30 is Fri 11/29; 3 → Wed 11/27; 7 → Thu 11/21; 14 → Tue 11/12.
EXPECTED_REMINDERS = {14: date(2024, 11, 12), 7: date(2024, 11, 21), 3: date(2024, 11, 27),
                      1: date(2024, 11, 29)}  # fmt: skip
# Step 1 on the first working day after the deadline (Mon 12/2), step 2 once 3 whole
# working days have passed (Mon–Wed → Thu 12/5), step 3 after 5 (Mon–Fri → Mon 12/9).
EXPECTED_STEPS = {1: date(2024, 12, 2), 2: date(2024, 12, 5), 3: date(2024, 12, 9)}
NON_WORKING = [date(2024, 10, 10), date(2024, 11, 30), date(2024, 12, 1), date(2025, 1, 1),
               date(2025, 1, 27), date(2025, 1, 31), date(2025, 2, 1)]  # fmt: skip


def _reminder_day(due: date, offset: int) -> date | None:
    days = [
        d for d in (date.fromordinal(due.toordinal() - n) for n in range(1, 40))
        if any(w.level == offset and due in w for w in reminder_windows(d, CAL, OFFSETS))
    ]  # fmt: skip
    return days[-1] if days else None


def test_reminder_windows_hit_the_hand_counted_days_for_a_saturday_deadline():
    assert {k: _reminder_day(DEADLINE, k) for k in OFFSETS} == EXPECTED_REMINDERS


def test_reminder_windows_empty_on_holidays_and_weekends():
    for day in NON_WORKING:
        assert reminder_windows(day, CAL, OFFSETS) == []
        assert escalation_windows(day, CAL, THRESHOLDS) == []


def test_escalation_windows_open_on_the_hand_counted_days():
    for step, day in EXPECTED_STEPS.items():
        before = CAL.last_working_day_before(day)
        assert DEADLINE in escalation_windows(day, CAL, THRESHOLDS)[step - 1]
        assert DEADLINE not in escalation_windows(before, CAL, THRESHOLDS)[step - 1]


def _alert_days(session: Session, milestone_id: int, kind: str) -> dict[int, date]:
    rows = session.exec(
        select(MilestoneAlert).where(
            MilestoneAlert.milestone_id == milestone_id, MilestoneAlert.kind == kind
        )
    )
    return {a.level: a.fired_on for a in rows}


def _assert_disbursement_alerts(engine) -> None:
    with Session(engine) as session:
        m = disbursement_milestone(session)
        assert m.due_on == DEADLINE
        assert _alert_days(session, m.id, REMINDER) == EXPECTED_REMINDERS
        assert _alert_days(session, m.id, ESCALATION) == EXPECTED_STEPS
        keys = {k.rpartition(":")[0] for k in session.exec(select(Notification.dedupe_key))}
    # One mail per reader, day and kind (the milestone id ends the key).
    assert {f"remind:{d.isoformat()}:{m.owner_id}" for d in EXPECTED_REMINDERS.values()} <= keys
    assert f"escalate:{EXPECTED_STEPS[1].isoformat()}:1:{m.owner_id}" in keys


def test_replay_sends_each_reminder_and_step_once_on_working_days(sqlite_engine):
    seed_demo(sqlite_engine)
    queued = replay(sqlite_engine, date(2024, 10, 1), date(2025, 4, 30))
    _assert_disbursement_alerts(sqlite_engine)
    assert all(queued[d] == 0 for d in queued if not CAL.is_working_day(d))
    assert sum(queued.values()) == notification_count(sqlite_engine) > 0
    again = replay(sqlite_engine, date(2024, 10, 1), date(2025, 4, 30))
    assert sum(again.values()) == 0
    assert notification_count(sqlite_engine) == sum(queued.values())


@pytest.mark.postgres
def test_replay_sends_each_reminder_and_step_once_on_postgres(postgres_engine):
    seed_demo(postgres_engine)
    queued = replay(postgres_engine, date(2024, 11, 8), date(2024, 12, 10))
    _assert_disbursement_alerts(postgres_engine)
    assert all(n == 0 for d, n in queued.items() if not CAL.is_working_day(d))
    assert sum(replay(postgres_engine, date(2024, 11, 8), date(2024, 12, 10)).values()) == 0


# ------------------------------------------------------------------ single days
MAKEUP_SATURDAY = date(2024, 2, 17)  # 補行上班 for 2/8
MONDAY_AFTER = date(2024, 2, 19)


def test_remind_on_a_makeup_saturday_sends_the_last_reminder(engine):
    seed_demo(engine)
    [mid] = add_milestones(engine, MONDAY_AFTER, "hsq.staff2", title="補班日前的事項")
    run.remind(engine, MAKEUP_SATURDAY)
    with Session(engine) as session:
        assert _alert_days(session, mid, REMINDER) == {1: MAKEUP_SATURDAY}
    [mail] = queued_to(engine, "hsq.staff2")
    assert "補班日前的事項1" in mail.body_text
    assert "期限 113/02/19，剩 1 個工作天" in mail.body_text


def test_remind_caught_up_late_states_the_working_days_actually_left(engine):
    seed_demo(engine)
    # Entered on Mon 11/25, due Wed 11/27: caught up in the 3-day window, 2 days left.
    [mid] = add_milestones(engine, date(2024, 11, 27), "hsq.supervisor", title="晚建立的事項")
    run.remind(engine, date(2024, 11, 25))
    with Session(engine) as session:
        assert _alert_days(session, mid, REMINDER) == {3: date(2024, 11, 25)}
    [mail] = queued_to(engine, "hsq.supervisor")
    assert "期限 113/11/27，剩 2 個工作天" in mail.body_text
    assert "剩 2 個工作天" in mail.subject and "剩 3 個" not in mail.body_text


def test_remind_before_a_saturday_due_date_names_the_weekday(engine):
    seed_demo(engine)
    run.remind(engine, date(2024, 11, 29))
    with Session(engine) as session:
        owner_id = disbursement_milestone(session).owner_id
        [mail] = session.exec(
            select(Notification).where(Notification.recipient_id == owner_id)
        ).all()
    assert "期限 113/11/30（星期六），今天是期限前最後一個工作天" in mail.body_text
    assert "113/11/30（星期六）" in mail.body_html


def test_remind_many_milestones_of_one_owner_sends_one_mail_listing_them(engine):
    seed_demo(engine)
    add_milestones(engine, MONDAY_AFTER, "hsq.supervisor", n=38, title="公開授課")
    assert len(run.remind(engine, MAKEUP_SATURDAY).queued) >= 1
    [mail] = queued_to(engine, "hsq.supervisor")
    assert "38 件事項即將到期" in mail.subject
    assert all(f"公開授課{i}\n" in mail.body_text for i in range(1, 39))
    assert mail.body_text.count("剩 1 個工作天") == 38
    assert run.remind(engine, MAKEUP_SATURDAY).queued == []  # each alert once
    run.escalate(engine, date(2024, 2, 20))
    [_, escalated] = queued_to(engine, "hsq.supervisor")
    assert "第 1 級" in escalated.subject and "38 件事項逾期未完成" in escalated.subject
    assert escalated.body_text.count("已逾期 1 個工作天") == 38


def test_escalate_late_first_run_goes_step_by_step(engine):
    seed_demo(engine)
    # The disbursements (due Sat 11/30) are past every threshold on 12/9, but the first
    # run sends only step 1; each further step waits for a later working day.
    replay(engine, date(2024, 12, 9), date(2024, 12, 11), jobs=(run.escalate, run.escalate))
    with Session(engine) as session:
        m = disbursement_milestone(session)
        assert _alert_days(session, m.id, ESCALATION) == {
            1: date(2024, 12, 9), 2: date(2024, 12, 10), 3: date(2024, 12, 11)
        }  # fmt: skip


def test_escalate_many_items_to_the_supervisor_sends_a_summary_and_the_longest_overdue(engine):
    seed_demo(engine)
    ids = add_milestones(engine, MONDAY_AFTER, "hsq.staff2", n=30, title="逾期事項")
    # Step 1 (owner) on Tue 2/20; step 2 (縣市主管) once 3 whole working days have passed.
    replay(engine, date(2024, 2, 20), date(2024, 2, 23), jobs=(run.escalate,))
    with Session(engine) as session:  # every alert recorded, whatever the mail shows
        steps = [_alert_days(session, mid, ESCALATION) for mid in ids]
    assert all(s == {1: date(2024, 2, 20), 2: date(2024, 2, 23)} for s in steps)
    [owner_mail] = [m for m in queued_to(engine, "hsq.staff2") if "第 1 級" in m.subject]
    assert all(f"逾期事項{i}\n" in owner_mail.body_text for i in range(1, 31))  # all listed
    [mail] = [m for m in queued_to(engine, "hsq.supervisor") if "第 2 級" in m.subject]
    total = int(mail.subject.rpartition(" 件")[0].rpartition(" ")[2])
    assert total >= 30
    shown = ESCALATION_ITEMS_SHOWN
    assert f"- 新竹縣 {total} 件（" in mail.body_text and "推動辦公室工作會議 " in mail.body_text
    assert f"以下列出逾期最久的 {shown} 件，其餘 {total - shown} 件未列出。" in mail.body_text
    with Session(engine) as session:
        county = _county_id(session)
    # The county's own overdue page (/overdue?county=…), from its summary and the list.
    url = overdue_list_url(get_settings().base_url, county)
    assert url.endswith(f"/overdue?county={county}")
    assert (
        f"工作天\n  {url}\n" in mail.body_text and f'<a href="{url}">新竹縣</a>' in mail.body_html
    )
    assert f"完整清單請至系統查看：{url}\n" in mail.body_text and f'href="{url}"' in mail.body_html
    assert mail.body_text.count("承辦人：") == shown


def _county_id(session: Session) -> int:
    return session.exec(select(County.id).where(County.name == "新竹縣")).one()


def _add(session: Session, county_id: int, kind: str, title: str, due_on: date, owner_id: int):
    m = Milestone(county_id=county_id, year=113, kind=kind, title=title, subject_type="plan",
                  subject_id=1, owner_id=owner_id, due_on=due_on)  # fmt: skip
    session.add(m)
    session.flush()
    return m.id


def test_summaries_from_sql_equal_those_over_every_loaded_item(engine):
    seed_demo(engine)
    with session_scope(engine) as session:
        generate(session, year=113, county_name="苗栗縣", story=False)
    as_of = date(2024, 12, 9)
    ids = add_milestones(engine, date(2024, 11, 1), "hsq.staff1", n=25, title="逾期事項")
    with session_scope(engine) as session:
        county = session.exec(select(County).where(County.name == DEMO_COUNTY)).one()
        owner = session.exec(select(User).where(User.username == "hsq.staff2")).one()
        ids += [
            # Two kinds with two items each: the one met first (earlier due, larger ids)
            # is named first, as Counter.most_common does; a kind without a title of its
            # own shows the milestone's.
            *(_add(session, county.id, "open_lesson", f"公開課{i}", date(2024, 11, 6), owner.id)
              for i in range(2)),
            *(_add(session, county.id, "parent_session", f"宣講{i}", date(2024, 11, 5), None)
              for i in range(2)),
            _add(session, county.id, "custom.kind", "自訂事項", date(2024, 11, 4), owner.id),
        ]  # fmt: skip
    with Session(engine) as session:
        disbursements = select(Milestone.id).where(Milestone.kind == "purchase.disbursement")
        ids += list(session.exec(disbursements))
        ctx = contexts(session, as_of)[0]
        due = milestones.load(session, ids, ctx.base_url)
        owners = users_by_id(session, (m.owner_id for m in due))
        lines = [
            EscalationLine(m.view, overdue_working_days(m.due_on, as_of, ctx.calendar),
                           owners[m.owner_id].display_name if m.owner_id in owners else "（未指定）")
            for m in due
        ]  # fmt: skip
        expected = EscalationList.of(lines)
        assert expected.cut and {s.county for s in expected.summaries} == {DEMO_COUNTY, "苗栗縣"}
        [mine] = [s for s in expected.summaries if s.county == DEMO_COUNTY]
        assert [k for k, n in mine.kinds if n == 2] == ["家長宣講", "數位學習模式公開觀議課"]
        assert ("自訂事項", 1) in mine.kinds
        shown = ESCALATION_ITEMS_SHOWN
        as_list = milestones.by_county(session, ids, ctx.base_url, shown=shown)
        as_query = milestones.by_county(
            session, select(Milestone.id).where(col(Milestone.id).in_(ids)), ctx.base_url,
            shown=shown,
        )  # fmt: skip
        assert as_list == as_query
        got = escalation_list(ctx, as_list, owners)
        # The SQL side knows the counties' ids: each summary links its county's overdue page.
        ids_by_name = {d.county: d.county_id for d in as_list}
        assert [s.url for s in got.summaries] == [
            overdue_list_url(ctx.base_url, ids_by_name[s.county]) for s in got.summaries
        ]
        got = replace(got, summaries=[replace(s, url="") for s in got.summaries])
        assert got == expected
        assert sum(d.count for d in as_list) == len(ids) == expected.total


def test_digest_summarises_many_ministry_escalations_and_links_the_rest(engine):
    seed_demo(engine)
    with session_scope(engine) as session:  # the demo county's reviewer, on the digest
        session.exec(select(User).where(User.username == "moe.reviewer2")).one().daily_digest = True
    ids = add_milestones(engine, MONDAY_AFTER, "hsq.staff2", n=30, title="逾期事項")
    replay(engine, date(2024, 2, 20), date(2024, 3, 1), jobs=(run.escalate,))
    with Session(engine) as session:
        step_3 = _alert_days(session, ids[0], ESCALATION)[3]
    assert not [m for m in queued_to(engine, "moe.reviewer2") if "逾期通報" in m.subject]
    run.digest(engine, step_3)
    [mail] = queued_to(engine, "moe.reviewer2")
    total = int(mail.subject.partition("逾期通報 ")[2].partition(" 件")[0])
    shown = ESCALATION_ITEMS_SHOWN
    assert total >= 30 and "各縣市摘要：\n- 新竹縣 " in mail.body_text
    assert f"以下列出逾期最久的 {shown} 件，其餘 {total - shown} 件未列出。" in mail.body_text
    with Session(engine) as session:
        url = overdue_list_url(get_settings().base_url, _county_id(session))
    assert f"完整清單請至系統查看：{url}\n" in mail.body_text and f'href="{url}"' in mail.body_html
    assert mail.body_text.count("到期，已逾期") == shown
