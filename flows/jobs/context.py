"""What every job needs to know about its day: the rules, the calendar and where links go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from model.clock import today
from model.settings import Settings, get_settings
from model.tables import Closure, ProgrammeYear
from rules import WorkCalendar, YearRules, load_rules


@dataclass(frozen=True)
class JobContext:
    as_of: date
    rules: YearRules
    calendar: WorkCalendar
    base_url: str
    mail_domain: str
    sender: str

    @property
    def year(self) -> int:
        return self.rules.year


def contexts(
    session: Session, as_of: date | None = None, settings: Settings | None = None
) -> list[JobContext]:
    """One context per programme year loaded in the database (usually just one)."""
    settings = settings or get_settings()
    day = as_of or today()
    # Nationwide closures (停班) only: a county's own typhoon day does not move the
    # windows of the shared queries. TODO when counties differ: per-county windows.
    closures = session.exec(select(Closure.day).where(col(Closure.county_id).is_(None))).all()
    years = session.exec(select(ProgrammeYear.year).order_by(ProgrammeYear.year)).all()
    return [_context(day, load_rules(year), closures, settings) for year in years]


def _context(day: date, rules: YearRules, closures, settings: Settings) -> JobContext:
    return JobContext(
        as_of=day,
        rules=rules,
        calendar=WorkCalendar.from_rules(rules, extra_closures=closures),
        base_url=settings.base_url,
        mail_domain=settings.mail_from.rpartition("@")[2] or "localhost",
        sender=settings.mail_from_name,
    )
