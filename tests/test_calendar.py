"""Working days under the 2024/2025 DGPA calendar in rules/113.toml."""

from datetime import date

import pytest

from rules import WorkCalendar, load_rules


@pytest.fixture(scope="module")
def r113():
    return load_rules(113)


@pytest.fixture(scope="module")
def cal(r113):
    return WorkCalendar.from_rules(r113)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 2, 17),
        date(2025, 2, 8),
        date(2024, 11, 29),
        date(2025, 5, 1),
        date(2025, 1, 24),
        date(2025, 2, 3),
    ],
)
def test_is_working_day_accepts_weekdays_and_makeup_saturdays(cal, day):
    assert cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 1, 1),
        date(2024, 2, 8),
        date(2024, 2, 14),
        date(2024, 2, 28),
        date(2024, 4, 5),
        date(2024, 6, 10),
        date(2024, 9, 17),
        date(2024, 10, 10),
        date(2024, 11, 30),
        date(2024, 12, 1),
        date(2025, 1, 27),
        date(2025, 1, 31),
        date(2025, 4, 3),
        date(2025, 5, 30),
        date(2025, 9, 29),
        date(2025, 10, 6),
        date(2025, 10, 24),
        date(2025, 12, 25),
    ],
)
def test_is_working_day_refuses_holidays_and_weekends(cal, day):
    assert not cal.is_working_day(day)


def test_last_working_day_before_skips_weekend(cal):
    assert cal.last_working_day_before(date(2024, 11, 30)) == date(2024, 11, 29)


def test_last_working_day_before_is_strictly_before(cal):
    assert cal.last_working_day_before(date(2024, 11, 29)) == date(2024, 11, 28)


def test_last_working_day_before_skips_lunar_new_year(cal):
    assert cal.last_working_day_before(date(2025, 2, 3)) == date(2025, 1, 24)


def test_roll_forward_moves_plan_end_past_new_year(cal):
    assert cal.roll_forward(date(2025, 1, 31)) == date(2025, 2, 3)


def test_roll_forward_keeps_working_day(cal):
    assert cal.roll_forward(date(2024, 11, 29)) == date(2024, 11, 29)
    assert cal.roll_forward(date(2024, 2, 17)) == date(2024, 2, 17)


def test_add_working_days_jumps_holiday_run(cal):
    assert cal.add_working_days(date(2024, 2, 7), 1) == date(2024, 2, 15)


def test_add_working_days_counts_makeup_saturday(cal):
    assert cal.add_working_days(date(2024, 2, 16), 1) == date(2024, 2, 17)


def test_add_working_days_goes_backwards_when_negative(cal):
    assert cal.add_working_days(date(2024, 2, 15), -1) == date(2024, 2, 7)
    assert cal.add_working_days(date(2024, 12, 2), -1) == date(2024, 11, 29)


def test_add_working_days_keeps_date_when_zero(cal):
    assert cal.add_working_days(date(2024, 11, 30), 0) == date(2024, 11, 30)


def test_working_days_between_counts_end_not_start(cal):
    assert cal.working_days_between(date(2024, 11, 29), date(2024, 12, 2)) == 1
    assert cal.working_days_between(date(2024, 11, 29), date(2024, 11, 29)) == 0
    assert cal.working_days_between(date(2024, 12, 2), date(2024, 11, 29)) == -1


def test_working_days_between_inverts_add_working_days(cal):
    start = date(2024, 1, 2)
    for n in (1, 5, 14, 40, 200):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_working_days_between_remembered_answers_match_a_fresh_calendar(r113):
    # A day's escalations ask the same question thousands of times: the answers a
    # calendar remembers must be the ones a fresh calendar counts, in both directions.
    used, fresh = WorkCalendar.from_rules(r113), WorkCalendar.from_rules(r113)
    today = date(2024, 12, 9)
    dues = [date.fromordinal(today.toordinal() - n) for n in range(0, 400, 7)]
    first = [used.working_days_between(d, today) for d in dues]
    assert [used.working_days_between(d, today) for d in dues] == first
    assert [-used.working_days_between(today, d) for d in dues] == first
    assert first == [WorkCalendar.from_rules(r113).working_days_between(d, today) for d in dues]
    assert first[:3] == [0, 5, 10] and used == fresh


def test_deadline_keeps_disbursement_date_as_written(cal, r113):
    rule = r113.software.disbursement_deadline
    assert cal.deadline(rule.date, rule.roll_to_working_day) == date(2024, 11, 30)


def test_deadline_rolls_when_rules_say_so(cal, r113):
    assert cal.deadline(date(2024, 11, 30), True) == date(2024, 12, 2)
    rule = r113.settlement
    assert cal.deadline(rule.date, rule.roll_to_working_day) == date(2025, 3, 31)


def test_reminder_offsets_land_on_working_days(cal, r113):
    due = date(2024, 11, 30)
    last = cal.last_working_day_before(due)
    days = [cal.add_working_days(last, 1 - k) for k in r113.reminders.offsets_working_days]
    assert days[-1] == date(2024, 11, 29)
    assert all(cal.is_working_day(d) for d in days)
    assert days == sorted(days)


def test_is_working_day_refuses_typhoon_closure(r113):
    typhoon = date(2024, 10, 3)
    cal = WorkCalendar.from_rules(r113, extra_closures=[typhoon])
    assert not cal.is_working_day(typhoon)
    assert cal.roll_forward(typhoon) == date(2024, 10, 4)


def test_is_working_day_lets_closure_beat_makeup_saturday():
    saturday = date(2024, 2, 17)
    cal = WorkCalendar(set(), {saturday}, {saturday})
    assert not cal.is_working_day(saturday)
