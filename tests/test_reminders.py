"""Reminder and escalation days: pure date windows, then day-by-day replays on demo data."""

from datetime import date

import pytest
from deadline_fixtures import (
    add_milestones,
    disbursement_milestone,
    notification_count,
    queued_to,
    replay,
    seed_demo,
)
from sqlmodel import Session, select

from flows.jobs import run
from flows.jobs.windows import escalation_windows, reminder_windows
from model.alerts import ESCALATION, REMINDER, MilestoneAlert
from model.tables import Notification
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
