"""Working days under the DGPA calendar in the year's rules, plus hand-entered closures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from rules.errors import InputError
from rules.schema import YearRules

_DAY = timedelta(days=1)
_COUNTS_KEPT = 4096


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    closures: frozenset[date] = frozenset()
    _counts: dict[tuple[date, date], int] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        holidays: Iterable[date],
        makeup_workdays: Iterable[date],
        closures: Iterable[date] = frozenset(),
    ) -> None:
        object.__setattr__(self, "holidays", frozenset(holidays))
        object.__setattr__(self, "makeup_workdays", frozenset(makeup_workdays))
        object.__setattr__(self, "closures", frozenset(closures))
        # The calendar never changes, so a count is walked once per pair of dates: a day's
        # escalations ask for ~20,000 counts over only a few hundred distinct due dates.
        object.__setattr__(self, "_counts", {})

    @classmethod
    def from_rules(cls, rules: YearRules, extra_closures: Iterable[date] = ()) -> WorkCalendar:
        """The year's calendar; typhoon closures (停班) are added as they happen."""
        cal = rules.calendar
        return cls(cal.holidays, cal.makeup_workdays, extra_closures)

    def is_working_day(self, d: date) -> bool:
        # A closure beats even a 補班 Saturday: the office is shut either way.
        if d in self.closures or d in self.holidays:
            return False
        return d.weekday() < 5 or d in self.makeup_workdays

    def roll_forward(self, d: date) -> date:
        """d if it is a working day, else the next working day (行政程序法 §48)."""
        while not self.is_working_day(d):
            d += _DAY
        return d

    def last_working_day_before(self, d: date) -> date:
        """The latest working day strictly before d: when the last reminder goes out."""
        d -= _DAY
        while not self.is_working_day(d):
            d -= _DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """Step n working days from d (backwards when n < 0); d itself never counts."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InputError("n", f"須為整數，收到 {n!r}")
        step = _DAY if n >= 0 else -_DAY
        for _ in range(abs(n)):
            d += step
            while not self.is_working_day(d):
                d += step
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d ≤ b; negative when b is before a.

        So a milestone due on `a` is working_days_between(a, today) working days overdue.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = self._counts.get((a, b))
        if count is None:
            if len(self._counts) >= _COUNTS_KEPT:  # a long-lived calendar stays small
                self._counts.clear()
            count = self._counts[a, b] = self._walk(a, b)
        return count

    def _walk(self, a: date, b: date) -> int:
        count, d = 0, a
        while d < b:
            d += _DAY
            count += self.is_working_day(d)
        return count

    def deadline(self, raw_date: date, roll: bool) -> date:
        """The effective due date: as written, or rolled to a working day when the rules say so."""
        return self.roll_forward(raw_date) if roll else raw_date
