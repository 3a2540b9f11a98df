"""Which due dates a reminder or an escalation step concerns on a given day: pure dates.

Each window is a date range, so the job can select the matching milestones in one SQL
query instead of judging every row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rules.calendar import WorkCalendar

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """Due dates d with after < d <= upto (either bound may be open)."""

    level: int
    after: date | None
    upto: date | None

    def __contains__(self, d: date) -> bool:
        return (self.after is None or d > self.after) and (self.upto is None or d <= self.upto)


def reminder_windows(as_of: date, cal: WorkCalendar, offsets: tuple[int, ...]) -> list[Window]:
    """The reminder for offset k goes out k working days before the due date.

    Counting back from a due date on a non-working day lands on the last working day
    before it (Sat 11/30 minus 1 is Fri 11/29). The windows of neighbouring offsets
    touch, so a reminder missed on its own day (no run that day, a closure entered
    afterwards, a milestone created late) goes out on the next run, once, as the
    nearest offset. Empty on non-working days: no mail on a holiday.
    """
    if not cal.is_working_day(as_of):
        return []
    windows, nearer = [], None
    for offset in sorted(offsets):
        after = as_of if nearer is None else cal.add_working_days(as_of, nearer)
        windows.append(Window(offset, after, cal.add_working_days(as_of, offset)))
        nearer = offset
    return windows


def escalation_windows(as_of: date, cal: WorkCalendar, thresholds: tuple[int, ...]) -> list[Window]:
    """Step k (1-based) fires once at least thresholds[k-1] whole working days have passed
    since the due date, i.e. on the first working day after it for a threshold of 0.

    Steps already fired are excluded by the job, so a step missed on its day fires on
    the next run.
    """
    if not cal.is_working_day(as_of):
        return []
    return [
        Window(step, None, cal.add_working_days(as_of, -threshold) - _ONE_DAY)
        for step, threshold in enumerate(thresholds, start=1)
    ]


def overdue_working_days(due_on: date, as_of: date, cal: WorkCalendar) -> int:
    """Working days after the due date up to and including as_of."""
    return max(0, cal.working_days_between(due_on, as_of))


def digest_period(as_of: date, cal: WorkCalendar) -> date:
    """A digest on a working day covers what happened after the previous working day."""
    return cal.last_working_day_before(as_of)
