"""Each job as one unit of work on a database: what the CLI and the flows call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from config.clock import today
from flows.jobs.audit import audit_alert
from flows.jobs.context import JobContext, contexts
from flows.jobs.digest import daily_digest
from flows.jobs.escalation import escalate_overdue
from flows.jobs.reminders import send_reminders
from flows.jobs.report import JobReport
from flows.jobs.sweep import compliance_sweep
from model.db import session_scope

PerYear = Callable[[Session, JobContext], JobReport]


def _per_year(job: PerYear, name: str, engine: Engine | None, as_of: date | None) -> JobReport:
    with session_scope(engine) as session:
        ctxs = contexts(session, as_of)
        report = JobReport(name, ctxs[0].as_of if ctxs else (as_of or today()))
        for ctx in ctxs:
            report.merge(job(session, ctx))
        return report


def remind(engine: Engine | None = None, as_of: date | None = None) -> JobReport:
    return _per_year(send_reminders, "remind", engine, as_of)


def escalate(engine: Engine | None = None, as_of: date | None = None) -> JobReport:
    return _per_year(escalate_overdue, "escalate", engine, as_of)


def digest(engine: Engine | None = None, as_of: date | None = None) -> JobReport:
    return _per_year(daily_digest, "digest", engine, as_of)


def sweep(engine: Engine | None = None, as_of: date | None = None) -> JobReport:
    with session_scope(engine) as session:
        ctxs = contexts(session, as_of)
        if not ctxs:
            return JobReport("sweep", as_of or today())
        report = compliance_sweep(session, ctxs)
        # The log's chain is checked with the rules, every day.
        report.merge(audit_alert(session, ctxs[-1]))
        return report
