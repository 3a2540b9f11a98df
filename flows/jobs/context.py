"""What every job needs to know about its day: the rules, the calendar and where links go."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from config.clock import today
from config.settings import Settings, get_settings
from model.tables import Closure, ProgrammeYear
from rules import WorkCalendar, YearRules, load_rules
from vocab.milestone_kinds import (
    PLAN_SUBMISSION,
    PROGRESS_REPORT,
    PURCHASE_DISBURSEMENT,
    RESULTS_REPORT,
    SETTLEMENT_DUE,
)

# A county's closure moves the windows of the days around it only: reminders look at most
# 14 working days ahead, escalation a few back. Older ones would give their county a
# calendar (and a round of queries) of its own for the rest of the year; what they still
# change, the count of working days a long-overdue item is late, is shown, not acted on.
COUNTY_CLOSURES_KEPT = timedelta(days=120)


@dataclass(frozen=True)
class CountyGroup:
    """Counties that share one working-day calendar: `counties`, or, when that is None,
    every county except `others` (those with closures of their own)."""

    calendar: WorkCalendar
    counties: frozenset[int] | None = None
    others: frozenset[int] = frozenset()

    def where(self, county_id) -> ColumnElement[bool]:
        if self.counties is not None:
            return col(county_id).in_(sorted(self.counties))
        if self.others:
            return col(county_id).not_in(sorted(self.others))
        return true()


@dataclass(frozen=True)
class JobContext:
    as_of: date
    rules: YearRules
    calendar: WorkCalendar  # the nationwide calendar: holidays and nationwide closures
    base_url: str
    mail_domain: str
    sender: str
    # A county's own closures (停班), on top of the nationwide ones.
    county_closures: Mapping[int, frozenset[date]] = field(default_factory=dict)

    @property
    def year(self) -> int:
        return self.rules.year

    @cached_property
    def groups(self) -> tuple[CountyGroup, ...]:
        """The nationwide calendar for the counties without closures of their own, then
        one calendar per set of county closures (a typhoon closes several counties on the
        same days, so they share one): a job runs its queries once per group."""
        by_days: dict[frozenset[date], set[int]] = defaultdict(set)
        for county_id, days in self.county_closures.items():
            by_days[days].add(county_id)
        rest = CountyGroup(self.calendar, None, frozenset(self.county_closures))
        own = (
            CountyGroup(self._with(days), frozenset(counties))
            for days, counties in sorted(by_days.items(), key=lambda g: min(g[1]))
        )
        return (rest, *own)

    def calendar_of(self, county_id: int) -> WorkCalendar:
        return self._by_county.get(county_id, self.calendar)

    @cached_property
    def _by_county(self) -> dict[int, WorkCalendar]:
        return {cid: g.calendar for g in self.groups[1:] for cid in g.counties or ()}

    def _with(self, days: frozenset[date]) -> WorkCalendar:
        cal = self.calendar
        return WorkCalendar(cal.holidays, cal.makeup_workdays, cal.closures | days)

    @cached_property
    def rolling_kinds(self) -> frozenset[str]:
        """Milestone kinds whose deadline moves to the next working day (行政程序法 §48)
        when the rules say so: their stored date is the one written or announced."""
        r = self.rules
        rolls = {
            SETTLEMENT_DUE: r.settlement.roll_to_working_day,
            PURCHASE_DISBURSEMENT: r.software.disbursement_deadline.roll_to_working_day,
            PLAN_SUBMISSION: r.reporting.plan_submission.roll_to_working_day,
            PROGRESS_REPORT: r.reporting.progress_report.roll_to_working_day,
            RESULTS_REPORT: r.reporting.results_report.roll_to_working_day,
        }
        return frozenset(kind for kind, rolls_ in rolls.items() if rolls_)


def contexts(
    session: Session, as_of: date | None = None, settings: Settings | None = None
) -> list[JobContext]:
    """One context per programme year loaded in the database (usually just one)."""
    settings = settings or get_settings()
    day = as_of or today()
    nationwide, by_county = [], defaultdict(set)
    for closed_on, county_id in session.exec(select(Closure.day, Closure.county_id)):
        if county_id is None:
            nationwide.append(closed_on)
        elif abs(closed_on - day) <= COUNTY_CLOSURES_KEPT:
            by_county[county_id].add(closed_on)
    county_closures = {cid: frozenset(days) for cid, days in by_county.items()}
    years = session.exec(select(ProgrammeYear.year).order_by(ProgrammeYear.year)).all()
    return [
        _context(day, load_rules(year), nationwide, county_closures, settings) for year in years
    ]


def _context(
    day: date, rules: YearRules, closures, county_closures, settings: Settings
) -> JobContext:
    return JobContext(
        as_of=day,
        rules=rules,
        calendar=WorkCalendar.from_rules(rules, extra_closures=closures),
        base_url=settings.base_url,
        mail_domain=settings.mail_from.rpartition("@")[2] or "localhost",
        sender=settings.mail_from_name,
        county_closures=county_closures,
    )
