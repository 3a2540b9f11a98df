"""Recording the activities that count toward a plan's targets.

The rows are model.tables.Activity. Progress is computed from them only
(workflow/targets_progress.py), never typed in; recording one also closes the milestones it
completes, in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from config.clock import today as clock_today
from model.tables import Activity, Milestone, School, User
from rules import load_rules
from states.activity import (
    GUARDS,
    RECORD_STEP,
    ActivityContext,
    ActivityDraft,
    ActivityKind,
    semester_of,
)
from states.errors import TransitionRefused
from states.steps import Actor, access_refusals, run_guards
from states.values import Role
from states.workshop import parse_attendees
from workflow.school_targets import add_attendance
from workflow.targets_progress import close_milestones, companion_days_before


@dataclass
class Recorded:
    activity: Activity
    closed: list[Milestone] = field(default_factory=list)
    # Workshop attendees whose school is not the county's (國立, other counties): not counted.
    outsiders: int = 0


def _school(session: Session, year: int, code: str | None) -> School | None:
    code = (code or "").strip()
    if not code:
        return None
    return session.exec(select(School).where(School.year == year, School.code == code)).first()


def record_activity(
    session: Session,
    user: User,
    kind: str,
    *,
    year: int,
    held_on: date,
    evidence_ref: str,
    school_code: str | None = None,
    county_id: int | None = None,
    semester: str | None = None,
    evidence_sha256: str | None = None,
    teachers: int | None = None,
    hours: int | None = None,
    participants: int | None = None,
    days: int | None = None,
    classes: int | None = None,
    moe_team: bool | None = None,
    self_learning_festival: bool | None = None,
    office_accompanied: bool | None = None,
    parts: tuple[int, ...] | list[int] = (),
    attendees: str | None = None,
    today: date | None = None,
) -> Recorded:
    """Store one activity of the user's county and close the milestones it completes.

    Every broken rule is reported at once (TransitionRefused) and nothing is written.
    """
    today = today or clock_today()
    rules = load_rules(year)
    county_id = county_id if county_id is not None else user.county_id
    draft = ActivityDraft(
        kind=kind,
        held_on=held_on,
        evidence_ref=evidence_ref,
        school_code=school_code,
        semester=semester,
        evidence_sha256=evidence_sha256,
        counts=dict(
            teachers=teachers, hours=hours, participants=participants, days=days, classes=classes
        ),
        flags=dict(
            moe_team=moe_team,
            self_learning_festival=self_learning_festival,
            office_accompanied=office_accompanied,
        ),
        parts=tuple(parts),
        attendees=attendees,
    )
    school = _school(session, year, school_code)
    in_county = school is not None and school.county_id == county_id
    actor = Actor(user.id, Role(user.role), user.county_id, user.display_name)
    refusals = access_refusals(RECORD_STEP, actor, county_id)
    before = companion_days_before(session, draft, county_id, year, school, rules)
    refusals += run_guards(GUARDS, ActivityContext(draft, rules, today, in_county, before))
    if refusals:
        raise TransitionRefused(refusals)
    row = _row(draft, county_id, year, school, user, rules)
    session.add(row)
    session.flush()
    outsiders = 0
    if draft.kind == ActivityKind.workshop:
        listed, _ = parse_attendees(draft.attendees or "")
        row.teachers, outsiders = add_attendance(session, row, draft.parts, listed)
        row.participants = len(listed)
        session.flush()
    closed = close_milestones(session, row, rules)
    session.flush()
    return Recorded(row, closed, outsiders)


def _row(draft: ActivityDraft, county_id, year, school, user, rules) -> Activity:
    counts = {name: value or 0 for name, value in draft.counts.items()}
    flags = {name: bool(value) for name, value in draft.flags.items()}
    semester = None
    if draft.kind == ActivityKind.companion_visit:
        semester = draft.semester or semester_of(draft.held_on, rules).code
    return Activity(
        county_id=county_id,
        year=year,
        kind=draft.kind,
        held_on=draft.held_on,
        school_id=school.id if school is not None else None,
        semester=semester,
        evidence_ref=draft.evidence_ref.strip(),
        evidence_sha256=draft.evidence_sha256,
        recorded_by=user.id,
        **counts,
        **flags,
    )
