"""Reporting dates the source leaves to the ministry (「提交時間由教育部另行公布」): the
plan's submission, the 管考 data and the 執行成果 data.

A date comes from the year's rules file when written there, else from the ministry
admin when announced; every setting is kept with who set it and when. Each date is a
milestone of every county's plan, so it is reminded, escalated and swept like the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlmodel import Session, col, select

from model.alerts import MilestoneAlert
from model.seed import ensure_year
from model.tables import County, Milestone, Plan, ReportingDateChange, User
from rules import InputError, YearRules, load_rules
from states.errors import Refusal, TransitionRefused
from states.steps import Step, county_refusals, role_refusals
from states.values import ItemType, PlanState, Role
from vocab.display import roc_date
from vocab.milestone_kinds import (
    MILESTONE_TITLES,
    PLAN_SUBMISSION,
    PROGRESS_REPORT,
    RESULTS_REPORT,
)
from workflow.service import actor_of

# The short names people type, the milestone kind, and the rules file's key.
KINDS = {
    "plan": (PLAN_SUBMISSION, "plan_submission"),
    "progress": (PROGRESS_REPORT, "progress_report"),
    "results": (RESULTS_REPORT, "results_report"),
}
SET_DATE = Step("set_reporting_date", "設定報送期限", frozenset({Role.ministry_admin}))
RECORD_REPORT = Step(
    "record_report", "登錄已提交", frozenset({Role.county_staff, Role.county_supervisor})
)
# A plan past these states has been submitted, or has its results report in.
SUBMITTED = frozenset(PlanState) - {PlanState.draft}
RESULTS_IN = frozenset({PlanState.final_report_submitted, PlanState.closed})


@dataclass(frozen=True)
class ReportingDue:
    name: str  # plan | progress | results
    kind: str
    title: str
    due_on: date | None
    set_by_ministry: bool
    rolls: bool


def kind_of(name: str) -> str:
    if name not in KINDS:
        raise InputError("報送項目", f"須為 {'、'.join(KINDS)} 之一，收到「{name}」")
    return KINDS[name][0]


def reporting_dates(session: Session, rules: YearRules) -> list[ReportingDue]:
    """Each reporting date of the year as it applies now."""
    latest = _latest(session, rules.year)
    out = []
    for name, (kind, key) in KINDS.items():
        written = getattr(rules.reporting, key)
        set_on = latest.get(kind)
        out.append(ReportingDue(name, kind, MILESTONE_TITLES[kind],
                                set_on if set_on is not None else written.date,
                                set_on is not None, written.roll_to_working_day))  # fmt: skip
    return out


def _latest(session: Session, year: int) -> dict[str, date]:
    change = ReportingDateChange
    rows = session.exec(
        select(change.kind, change.due_on).where(change.year == year).order_by(change.id)
    )
    return dict(rows.all())  # the last setting of each kind wins


def set_reporting_date(
    session: Session, user: User, year: int, name: str, due_on: date
) -> ReportingDue:
    """The ministry admin announces or changes a date; every county's milestone follows."""
    refusals = role_refusals(SET_DATE, actor_of(user))
    if refusals:
        raise TransitionRefused(refusals)
    kind = kind_of(name)
    rules = load_rules(year)
    cal = rules.calendar
    if not cal.first_year <= due_on.year <= cal.last_year:
        raise TransitionRefused([Refusal(
            "reporting.in_calendar",
            f"期限 {roc_date(due_on)} 不在 {year} 年度工作日曆涵蓋的 {cal.first_year}–"
            f"{cal.last_year} 年內，無法計算提醒的工作天。",
        )])  # fmt: skip
    ensure_year(session, year)
    before = {d.kind: d.due_on for d in reporting_dates(session, rules)}
    session.add(ReportingDateChange(year=year, kind=kind, previous=before[kind], due_on=due_on,
                                    actor_id=user.id))  # fmt: skip
    session.flush()
    sync_milestones(session, rules)
    return next(d for d in reporting_dates(session, rules) if d.kind == kind)


def reporting_date_changes(session: Session, year: int) -> list[tuple[ReportingDateChange, User]]:
    """Every setting of the year's reporting dates, oldest first, with who set it."""
    change = ReportingDateChange
    rows = session.exec(
        select(change, User)
        .join(User, User.id == change.actor_id)
        .where(change.year == year)
        .order_by(change.id)
    )
    return list(rows.all())


def sync_milestones(session: Session, rules: YearRules) -> int:
    """Give every plan of the year a milestone per known reporting date, and move the open
    ones to a changed date (their reminders then go out again for the new date). Returns
    how many milestones were created or moved. The sweep calls it, so plans created after
    a date was set get theirs too."""
    dues = [d for d in reporting_dates(session, rules) if d.due_on is not None]
    if not dues:
        return 0
    plans = session.exec(select(Plan).where(Plan.year == rules.year)).all()
    existing = {
        (m.kind, m.subject_id): m
        for m in session.exec(
            select(Milestone).where(
                Milestone.year == rules.year,
                col(Milestone.kind).in_([d.kind for d in dues]),
                Milestone.subject_type == ItemType.plan.value,
            )
        )
    }
    owners = _owners(session)
    changed, moved = 0, []
    for plan in plans:
        for due in dues:
            m = existing.get((due.kind, plan.id))
            if m is None:
                session.add(_milestone(plan, due, owners.get(plan.county_id), rules.year))
                changed += 1
            elif m.done_on is None and m.due_on != due.due_on:
                m.due_on = due.due_on
                moved.append(m.id)
                changed += 1
    if moved:
        session.execute(delete(MilestoneAlert).where(col(MilestoneAlert.milestone_id).in_(moved)))
    session.flush()
    return changed


def _milestone(plan: Plan, due: ReportingDue, owner: int | None, year: int) -> Milestone:
    # A plan already past the step counts as done: it was submitted before the date was set.
    status = PlanState(plan.status)
    done = None
    if due.kind == PLAN_SUBMISSION and status in SUBMITTED:
        done = plan.submitted_on or due.due_on
    elif due.kind == RESULTS_REPORT and status in RESULTS_IN:
        done = due.due_on
    return Milestone(county_id=plan.county_id, year=year, kind=due.kind,
                     title=f"{year}年度{due.title}", subject_type=ItemType.plan.value,
                     subject_id=plan.id, owner_id=owner, due_on=due.due_on, done_on=done,
                     synthetic=plan.synthetic)  # fmt: skip


def _owners(session: Session) -> dict[int, int]:
    """Each county's first active office clerk, as for the plan's other milestones."""
    rows = session.exec(
        select(User.county_id, User.id)
        .where(User.role == Role.county_staff, col(User.active))
        .order_by(col(User.id).desc())
    )
    return dict(rows.all())  # the smallest id of each county is written last


def record_report(
    session: Session, user: User, county: County, year: int, name: str, on: date
) -> Milestone:
    """The county records that it submitted a report (管考 or 成果) on `on`."""
    kind = kind_of(name)
    actor = actor_of(user)
    refusals = role_refusals(RECORD_REPORT, actor) + county_refusals(actor, county.id)
    if kind == PLAN_SUBMISSION:  # done when the plan itself is submitted
        refusals.append(Refusal("reporting.not_a_report", "實施計畫的提報請在計畫頁面送出。"))
    if refusals:
        raise TransitionRefused(refusals)
    m = session.exec(
        select(Milestone).where(
            Milestone.county_id == county.id, Milestone.year == year, Milestone.kind == kind
        )
    ).first()
    if m is None:
        raise TransitionRefused([Refusal(
            "reporting.no_date", f"教育部尚未公布{county.name}{year}年度「{MILESTONE_TITLES[kind]}」"
            "的期限，沒有可登錄的事項。",
        )])  # fmt: skip
    if m.done_on is None:
        m.done_on = on
        m.evidence = {**m.evidence, "recorded_by": user.id}
        session.add(m)
        session.flush()
    return m
