"""Activities that count toward a plan's targets, and recording them.

Progress is computed from these rows only (workflow/targets_progress.py), never typed in;
recording one also closes the milestones it completes, in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, func
from sqlmodel import Field, Session, SQLModel, select

from config.clock import now
from config.clock import today as clock_today
from model.tables import Milestone, School, User
from rules import load_rules
from states.activity import (
    GUARDS,
    RECORD_STEP,
    SPECS,
    ActivityContext,
    ActivityDraft,
    ActivityKind,
    reached_companion_days,
    semester_of,
)
from states.errors import TransitionRefused
from states.steps import Actor, access_refusals, run_guards
from states.values import Role
from states.workshop import parse_attendees

_KINDS = ", ".join(f"'{k.value}'" for k in ActivityKind)
_PER_SCHOOL = ", ".join(f"'{k.value}'" for k, spec in SPECS.items() if spec.per_school)


class Activity(SQLModel, table=True):
    """One activity as held: its date, school, counts and evidence (伍、三; 附件 陸、一)."""

    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="ck_activity_kind"),
        CheckConstraint(
            "teachers >= 0 AND hours >= 0 AND participants >= 0 AND days >= 0 AND classes >= 0",
            name="ck_activity_counts",
        ),
        # A per-school activity without its school could never close that school's milestone.
        CheckConstraint(
            f"kind NOT IN ({_PER_SCHOOL}) OR school_id IS NOT NULL", name="ck_activity_school"
        ),
        Index("ix_activity_county_year_kind", "county_id", "year", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id")
    year: int = Field(foreign_key="programme_year.year")
    kind: str = Field(max_length=32)
    held_on: date
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    semester: str | None = Field(default=None, max_length=8)  # 113-1: companion visits only
    teachers: int = 0  # trained teachers (workshops, literacy training)
    hours: int = 0  # hours per teacher (literacy training: only ≥ 3 h counts)
    participants: int = 0  # 人次 of meetings, sessions and workshops
    days: int = 0  # 入校入班 days
    classes: int = 0  # sampled classes
    moe_team: bool = False  # 輔導團隊主持人/協同主持人 attended the working meeting
    self_learning_festival: bool = False  # an open lesson of 自主學習節
    office_accompanied: bool = False  # office staff went along on the companion visit
    # Free text or a URL (sign-in sheet, minutes); the hash of an uploaded file, when any.
    evidence_ref: str = Field(max_length=500)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=now)
    synthetic: bool = False


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


def _companion_filter(county_id: int, year: int, semester: str):
    return (
        Activity.county_id == county_id,
        Activity.year == year,
        Activity.kind == ActivityKind.companion_visit,
        Activity.semester == semester,
    )


def companion_days_before(
    session: Session, draft: ActivityDraft, county_id: int, year: int, school, rules
) -> int:
    """Days already recorded for the draft's school in the semester of its date."""
    if draft.kind != ActivityKind.companion_visit or school is None:
        return 0
    term = semester_of(draft.held_on, rules).code
    total = session.exec(
        select(func.coalesce(func.sum(Activity.days), 0)).where(
            *_companion_filter(county_id, year, term), Activity.school_id == school.id
        )
    ).one()
    return int(total)


def companion_schools_reached(
    session: Session, county_id: int, year: int, semester: str, rules
) -> int:
    """Schools whose 入校入班 days in `semester` reached the year's minimum (一學期 3 日)."""
    per_school = session.exec(
        select(func.sum(Activity.days))
        .where(*_companion_filter(county_id, year, semester))
        .group_by(Activity.school_id)
    ).all()
    return sum(1 for days in per_school if reached_companion_days(int(days), rules))


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
        from workflow.school_targets import add_attendance

        listed, _ = parse_attendees(draft.attendees or "")
        row.teachers, outsiders = add_attendance(session, row, draft.parts, listed)
        row.participants = len(listed)
        session.flush()
    # progress reads this module's table, so it is imported here, not at the top.
    from workflow.targets_progress import close_milestones

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
