"""Typed days: ROC and ISO forms, and the boundaries where a typed day is refused."""

from datetime import date

import pytest

from vocab.dates import DayError, parse_day
from vocab.display import roc_date


@pytest.mark.parametrize(
    "typed",
    [
        "113/11/30",
        "113-11-30",
        "113.11.30",
        "1131130",
        "113年11月30日",
        "民國113年11月30日",
        " 113 / 11 / 30 ",
        "１１３／１１／３０",
        "2024-11-30",
        "2024/11/30",
        "20241130",
    ],
)
def test_every_accepted_form_reads_the_same_day(typed):
    assert parse_day(typed) == date(2024, 11, 30)


def test_shown_back_in_roc_reads_the_same_day():
    day = date(2025, 1, 2)
    assert roc_date(day) == "114/01/02"
    assert parse_day(roc_date(day)) == day
    assert parse_day(roc_date(day, long=True)) == day


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1/1/1", date(1912, 1, 1)),  # the first ROC year
        ("99/12/31", date(2010, 12, 31)),  # two-digit ROC years
        ("991231", date(2010, 12, 31)),
        ("113/2/29", date(2024, 2, 29)),  # a leap day
        ("113/1/5", date(2024, 1, 5)),  # one-digit month and day
    ],
)
def test_boundaries_accepted(typed, day):
    assert parse_day(typed) == day


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("112/2/29", "沒有這一天"),  # 2023 is no leap year
        ("113/13/01", "沒有這一天"),
        ("113/11/31", "沒有這一天"),
        ("113/00/10", "沒有這一天"),
        ("0/1/1", "民國年須大於 0"),
        ("", "不是日期"),
        ("明天", "不是日期"),
        ("113/11", "不是日期"),
        ("11311300", "沒有這一天"),  # eight digits are YYYYMMDD: year 1131, month 13
        ("113113", "沒有這一天"),  # six digits: ROC 11, month 31
        ("2024-11-30T08:00", "不是日期"),
    ],
)
def test_refused_in_words(typed, says):
    with pytest.raises(DayError) as refused:
        parse_day(typed)
    assert says in str(refused.value)
