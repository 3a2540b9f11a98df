"""The compliance sweep: re-check every rule, keep the findings' dates, alert on new ones.

Running it twice on one day changes nothing the second time: new findings are inserted
with ON CONFLICT DO NOTHING, the others only get `last_seen` moved, and mails go through
the outbox's dedupe keys.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from flows.jobs.checks import CHECKS, RULE_TITLES, Hit
from flows.jobs.context import JobContext
from flows.jobs.report import JobReport
from flows.jobs.windows import digest_period
from model.tables import Finding
from notifications import recipients
from notifications.outbox import Outgoing, dialect_insert, enqueue
from notifications.render import FindingView, Reader, render_finding

# Recorded and shown on the dashboard, but not mailed: overdue milestones are alerted by
# the escalation chain, and a purchase's disbursement is itself a milestone with its own
# reminders (mailing those too gave the owner two mails for one purchase, and told the
# ministry on day 1, jumping the chain).
SILENT_RULES = frozenset(
    {"milestone.overdue", "purchase.disbursement_overdue", "purchase.disbursement_due_soon"}
)
_CHUNK = 2000  # ids per UPDATE: below SQLite's 32,766 bound parameters


def compliance_sweep(session: Session, contexts: list[JobContext]) -> JobReport:
    ctx = current_context(contexts)
    as_of = ctx.as_of
    report = JobReport("sweep", as_of)
    hits = {hit.key: hit for ctx in contexts for check in CHECKS for hit in check(session, ctx)}
    known = _known(session)
    new = _insert_new(session, [hit for key, hit in hits.items() if key not in known], as_of)
    _mark_seen(session, [known[key] for key in hits if key in known], as_of)
    report.add("新發現", new)
    report.add("仍存在", len(hits) - new)
    report.add("已改善", _resolve_gone(session, as_of))
    if ctx.calendar.is_working_day(as_of):
        report.queued = enqueue(session, _mails(session, ctx, hits), domain=ctx.mail_domain)
    return report


def current_context(contexts: list[JobContext]) -> JobContext:
    """The latest year whose calendar covers the day, else the latest year: the oldest
    year's calendar knows nothing of the holidays and 補班 of the years after it."""
    year = contexts[0].as_of.year
    covering = [
        c for c in contexts if c.rules.calendar.first_year <= year <= c.rules.calendar.last_year
    ]
    return (covering or contexts)[-1]


def new_findings(since: date, as_of: date) -> tuple:
    """Conditions on Finding: first seen after `since` up to `as_of`, still open, and of a
    rule that is mailed. The sweep's mails and the daily digest share them."""
    return (
        Finding.first_seen > since,
        Finding.first_seen <= as_of,
        col(Finding.resolved_on).is_(None),
        col(Finding.rule_id).not_in(SILENT_RULES),
    )


def _known(session: Session) -> dict[tuple[str, str, int], tuple[int, date, date | None]]:
    """Every finding of the sweep's rules: its id, last_seen and resolved_on by subject."""
    rows = session.exec(
        select(
            Finding.rule_id, Finding.subject_type, Finding.subject_id, Finding.id,
            Finding.last_seen, Finding.resolved_on,
        ).where(col(Finding.rule_id).in_(RULE_TITLES))
    )  # fmt: skip
    return {(rule, kind, subject): (fid, seen, resolved)
            for rule, kind, subject, fid, seen, resolved in rows}  # fmt: skip


def _insert_new(session: Session, fresh_hits: list[Hit], as_of: date) -> int:
    """Insert the hits that had no finding; the conflict clause settles any race."""
    fresh = [_row(hit, as_of) for hit in fresh_hits]
    if not fresh:
        return 0
    stmt = (
        dialect_insert(session, Finding)
        .on_conflict_do_nothing(index_elements=["rule_id", "subject_type", "subject_id"])
        .returning(Finding.id)
    )
    return len(session.execute(stmt, fresh).all())


def _row(hit: Hit, as_of: date) -> dict:
    return {
        "rule_id": hit.rule_id, "county_id": hit.county_id, "subject_type": hit.subject_type,
        "subject_id": hit.subject_id, "message": hit.message, "first_seen": as_of,
        "last_seen": as_of, "resolved_on": None,
    }  # fmt: skip


def _mark_seen(session: Session, found: list[tuple[int, date, date | None]], as_of: date) -> int:
    """Move last_seen, and reopen a finding that had been resolved and is back.

    By primary key, and only the rows that change: matching (rule, type, subject) tuples
    with IN made PostgreSQL scan the table once per chunk (5.6 s a day at national scale).
    """
    ids = [fid for fid, seen, resolved in found if seen != as_of or resolved is not None]
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            update(Finding)
            .where(col(Finding.id).in_(ids[start : start + _CHUNK]))
            .where((Finding.last_seen != as_of) | col(Finding.resolved_on).is_not(None))
            .values(last_seen=as_of, resolved_on=None)
            .execution_options(synchronize_session=False)
        )
        changed += session.execute(stmt).rowcount
    return changed


def _resolve_gone(session: Session, as_of: date) -> int:
    stmt = (
        update(Finding)
        .where(col(Finding.resolved_on).is_(None), Finding.last_seen < as_of)
        .where(col(Finding.rule_id).in_(RULE_TITLES))
        .values(resolved_on=as_of)
    )
    return session.execute(stmt).rowcount


def _mails(session: Session, ctx: JobContext, hits: dict) -> list[Outgoing]:
    """Mail findings first seen since the previous working day (weekend ones on Monday)."""
    since = digest_period(ctx.as_of, ctx.calendar)
    fresh = session.exec(
        select(Finding).where(*new_findings(since, ctx.as_of)).order_by(Finding.id)
    ).all()
    keyed = ((f, hits.get((f.rule_id, f.subject_type, f.subject_id))) for f in fresh)
    found = [(f, hit) for f, hit in keyed if hit is not None]
    owners = recipients.users_by_id(session, (hit.owner_id for _, hit in found))
    bosses = recipients.supervisors(session, (hit.county_id for _, hit in found))
    ministry = recipients.ministry(session, ((hit.county_id, hit.county) for _, hit in found))
    mails = []
    for finding, hit in found:
        view = finding_view(hit)
        for user, why in _readers(hit, owners, bosses, ministry[hit.county_id]):
            rendered = render_finding(Reader(user.display_name, why), view, ctx.as_of, ctx.sender)
            key = f"finding:{finding.id}:{user.id}"
            mails.append(Outgoing(key, user.id, user.email, rendered, why))
    return mails


def _readers(hit: Hit, owners: dict, bosses: dict, ministry: list):
    """The item's owner, or the county's supervisors when nobody owns it; then the ministry
    readers of the county, less the reviewers who read it in the digest."""
    owner = owners.get(hit.owner_id)
    if owner is not None:
        yield owner, recipients.OWNER_WHY
    else:
        for user in bosses[hit.county_id]:
            yield user, recipients.supervisor_why(hit.county)
    for user, why in ministry:
        if not recipients.takes_digest(user):
            yield user, why


def finding_view(hit: Hit) -> FindingView:
    return FindingView(
        rule_id=hit.rule_id, rule_title=RULE_TITLES[hit.rule_id], county=hit.county,
        message=hit.message, url=hit.url, amount=hit.amount,
    )  # fmt: skip
