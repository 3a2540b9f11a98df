"""The compliance sweep: re-check every rule, keep the findings' dates, alert on new ones.

Set-based: an open finding whose subject still breaks its rule is neither read into
Python nor written. Per rule, the sweep reads only the subjects that break it and have no
open finding (new ones, or ones back after being resolved; few on most days), composes
their messages, files or reopens them, and resolves the open findings whose subject no
longer breaks it. On PostgreSQL both come from one FULL JOIN of the rule's subjects and
findings; on SQLite from two anti-joins. Running it twice on one day changes nothing the
second time: new findings are inserted with ON CONFLICT DO NOTHING, and mails go through
the outbox's dedupe keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import and_, bindparam, func, update
from sqlmodel import Session, col, select

from flows.jobs.checks import RULE_TITLES, Check, Hit, checks
from flows.jobs.context import JobContext
from flows.jobs.report import JobReport
from flows.jobs.windows import digest_period
from model.tables import County, Finding
from notifications import recipients
from notifications.outbox import Outgoing, dialect_insert, enqueue
from notifications.render import FindingView, Reader, render_finding
from workflow.reporting_dates import sync_milestones

# Recorded and shown on the dashboard, but not mailed: overdue milestones are alerted by
# the escalation chain, and a purchase's disbursement is itself a milestone with its own
# reminders (mailing those too gave the owner two mails for one purchase, and told the
# ministry on day 1, jumping the chain).
SILENT_RULES = frozenset(
    {"milestone.overdue", "purchase.disbursement_overdue", "purchase.disbursement_due_soon"}
)
_CHUNK = 2000  # ids per IN list: below SQLite's 32,766 bound parameters


def compliance_sweep(session: Session, contexts: list[JobContext]) -> JobReport:
    ctx = current_context(contexts)
    as_of = ctx.as_of
    report = JobReport("sweep", as_of)
    counties = dict(session.exec(select(County.id, County.name)).all())
    for c in contexts:  # plans created since a reporting date was set get theirs
        sync_milestones(session, c.rules)
    today = [check for c in contexts for check in checks(c)]
    unfiled, resolved = [], 0
    for rule_id in RULE_TITLES:
        rule_checks = [check for check in today if check.rule_id == rule_id]
        if len(rule_checks) == 1 and _one_pass(session):
            found, gone = _compare(session, rule_checks[0], counties)
            resolved += _resolve(session, gone, as_of)
        else:
            found = [pair for c in rule_checks for pair in _unfiled(session, c, counties)]
            resolved += _resolve_gone(session, rule_id, rule_checks, as_of)
        unfiled += sorted(found, key=lambda pair: pair[1].subject_id)  # ids in a stable order
    new = _file(session, unfiled, as_of)
    report.add("新發現", new)
    report.add("仍存在", _open_count(session) - new)
    report.add("已改善", resolved)
    if ctx.calendar.is_working_day(as_of):
        mails = _mails(session, ctx, today, counties)
        report.queued = enqueue(session, mails, domain=ctx.mail_domain)
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


def _of_subject(check: Check):
    """Finding is the finding of the check's rule on the check's subject."""
    return and_(
        Finding.rule_id == check.rule_id,
        Finding.subject_type == check.subject_type,
        Finding.subject_id == check.subject_id,
    )


def _one_pass(session: Session) -> bool:
    """PostgreSQL compares a rule's subjects with its findings in one FULL JOIN. SQLite has
    FULL JOIN only since 3.39 and runs it as nested loops (over 9 s for the overdue
    milestones at national scale), so it takes two anti-joins, each cheap there. A rule
    checked for two programme years also takes the two anti-joins: a finding is gone only
    when no year's check finds its subject."""
    return session.get_bind().dialect.name == "postgresql"


def _compare(
    session: Session, check: Check, counties: Mapping[int, str]
) -> tuple[list[tuple[int | None, Hit]], list[int]]:
    """The check's subjects without an open finding, as _unfiled gives them, and the open
    findings of the rule whose subject no longer breaks it: one read of each side."""
    hits = check.rows.add_columns(check.subject_id.label("subject_key")).subquery()
    found = (
        select(Finding.id, Finding.subject_id, Finding.resolved_on)
        .where(Finding.rule_id == check.rule_id, Finding.subject_type == check.subject_type)
        .subquery()
    )
    subject, fid, resolved_on = hits.c.subject_key, found.c.id, found.c.resolved_on
    rows = session.execute(
        select(hits, fid)
        .select_from(hits.join(found, found.c.subject_id == subject, full=True))
        .where(
            fid.is_(None)  # a new finding
            | (subject.is_not(None) & resolved_on.is_not(None))  # one that comes back
            | (subject.is_(None) & resolved_on.is_(None))  # one that is gone
        )
    )
    unfiled, gone = [], []
    for row in rows:
        if row.subject_key is None:
            gone.append(row[-1])
        else:
            unfiled.append((row[-1], check.hit(row[:-2], counties)))
    return unfiled, gone


def _unfiled(
    session: Session, check: Check, counties: Mapping[int, str]
) -> list[tuple[int | None, Hit]]:
    """The subjects breaking the rule today without an open finding (few on most days),
    each with the id of its resolved finding if it had one."""
    open_finding = select(Finding.id).where(_of_subject(check), col(Finding.resolved_on).is_(None))
    resolved = select(Finding.id).where(_of_subject(check)).scalar_subquery()
    rows = session.execute(check.rows.add_columns(resolved).where(~open_finding.exists()))
    return [(row[-1], check.hit(row[:-1], counties)) for row in rows]


def _file(session: Session, unfiled: list[tuple[int | None, Hit]], as_of: date) -> int:
    """Insert the hits that never had a finding and reopen, with today's message, the ones
    that come back; a reopened finding keeps its first_seen, so it is not mailed again.
    Returns how many were inserted. The conflict clause settles a race with another sweep.
    """
    fresh = [_row(hit, as_of) for fid, hit in unfiled if fid is None]
    back = [{"fid": fid, "msg": hit.message} for fid, hit in unfiled if fid is not None]
    table = Finding.__table__  # Core: a list of parameters is an executemany
    new = 0
    if fresh:
        # An executemany, counted by the driver: RETURNING made PostgreSQL's driver send
        # one huge multi-row statement instead, twice as slow.
        stmt = (
            dialect_insert(session, table)
            .on_conflict_do_nothing(index_elements=["rule_id", "subject_type", "subject_id"])
            .execution_options(preserve_rowcount=True)
        )
        new = session.execute(stmt, fresh).rowcount
    if back:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("fid"), table.c.resolved_on.is_not(None))
            .values(resolved_on=None, message=bindparam("msg")),
            back,
        )
    return new


def _row(hit: Hit, as_of: date) -> dict:
    return {
        "rule_id": hit.rule_id, "county_id": hit.county_id, "subject_type": hit.subject_type,
        "subject_id": hit.subject_id, "message": hit.message, "first_seen": as_of,
        "resolved_on": None,
    }  # fmt: skip


def _resolve_gone(session: Session, rule_id: str, rule_checks: list[Check], as_of: date) -> int:
    """Resolve the rule's open findings whose subject breaks it in no year's check today."""
    stmt = update(Finding).where(Finding.rule_id == rule_id, col(Finding.resolved_on).is_(None))
    for check in rule_checks:
        stmt = stmt.where(~check.rows.where(_of_subject(check)).exists())
    stmt = stmt.values(resolved_on=as_of).execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount


def _resolve(session: Session, finding_ids: list[int], as_of: date) -> int:
    """Resolve the findings _compare found gone, by primary key."""
    resolved = 0
    for start in range(0, len(finding_ids), _CHUNK):
        stmt = (
            update(Finding)
            .where(col(Finding.id).in_(finding_ids[start : start + _CHUNK]))
            .where(col(Finding.resolved_on).is_(None))
            .values(resolved_on=as_of)
            .execution_options(synchronize_session=False)
        )
        resolved += session.execute(stmt).rowcount
    return resolved


def _open_count(session: Session) -> int:
    """Open findings of the sweep's rules: after the sweep, exactly today's hits."""
    return session.exec(
        select(func.count())
        .select_from(Finding)
        .where(col(Finding.resolved_on).is_(None), col(Finding.rule_id).in_(RULE_TITLES))
    ).one()


def _mails(
    session: Session, ctx: JobContext, today: list[Check], counties: Mapping[int, str]
) -> list[Outgoing]:
    """Mail findings first seen since the previous working day (weekend ones on Monday)."""
    since = digest_period(ctx.as_of, ctx.calendar)
    rules = set(
        session.exec(select(Finding.rule_id).where(*new_findings(since, ctx.as_of)).distinct())
    )
    found = []
    for check in today:
        if check.rule_id not in rules:
            continue
        rows = session.execute(
            check.rows.add_columns(Finding.id)
            .join(Finding, _of_subject(check))
            .where(*new_findings(since, ctx.as_of))
        )
        found += [(row[-1], check.hit(row[:-1], counties)) for row in rows]
    found.sort(key=lambda pair: pair[0])
    owners = recipients.users_by_id(session, (hit.owner_id for _, hit in found))
    bosses = recipients.supervisors(session, (hit.county_id for _, hit in found))
    ministry = recipients.ministry(session, ((hit.county_id, hit.county) for _, hit in found))
    mails = []
    for finding_id, hit in found:
        view = finding_view(hit)
        for user, why in _readers(hit, owners, bosses, ministry[hit.county_id]):
            rendered = render_finding(Reader(user.display_name, why), view, ctx.as_of, ctx.sender)
            key = f"finding:{finding_id}:{user.id}"
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
