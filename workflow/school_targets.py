"""Per-school targets on the database side: who attended each 數位學習工作坊 session,
each school's 111–112 trained-teacher baseline and its devices on hand, and the
set-based reads that feed the pure standings in rules/school_targets.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from model.tables import Activity, School, SchoolDevices, WorkshopAttendance, WorkshopBaseline
from rules import YearRules
from rules.school_targets import (
    WORKSHOP_PARTS,
    DeviceStanding,
    WorkshopStanding,
    device_standing,
    workshop_standing,
)
from states.workshop import Attendee


# ------------------------------------------------------------------ attendance
def add_attendance(
    session: Session, activity: Activity, parts: Sequence[int], attendees: Sequence[Attendee]
) -> tuple[int, int]:
    """Store the sign-in sheet of a workshop session; (counted, outsiders) attendees."""
    codes = {a.school_code for a in attendees}
    ours = dict(
        session.exec(
            select(School.code, School.id).where(
                School.county_id == activity.county_id,
                School.year == activity.year,
                col(School.code).in_(codes),
            )
        ).all()
    )
    for part in sorted(set(parts)):
        for a in attendees:
            session.add(
                WorkshopAttendance(
                    activity_id=activity.id, year=activity.year, part=part,
                    school_code=a.school_code, school_id=ours.get(a.school_code),
                    teacher=a.teacher,
                )
            )  # fmt: skip
    counted = sum(1 for a in attendees if a.school_code in ours)
    return counted, len(attendees) - counted


def completed_both(year: int, county_id: int | None = None):
    """(school_id, trained): distinct teachers of each school with every part this year;
    of one county's schools only when `county_id` is given (the page and the document)."""
    a = WorkshopAttendance
    query = select(a.school_id, a.teacher).where(a.year == year, col(a.school_id).is_not(None))
    if county_id is not None:
        query = query.join(School, School.id == a.school_id).where(School.county_id == county_id)
    done = (
        query.group_by(a.school_id, a.teacher)
        .having(func.count(func.distinct(a.part)) == len(WORKSHOP_PARTS))
        .subquery()
    )
    return (
        select(done.c.school_id, func.count().label("trained"))
        .group_by(done.c.school_id)
        .subquery()
    )


def workshop_rows(year: int, county_id: int | None = None):
    """Per school of the year: id, county, code, name, 編制, baseline, trained."""
    trained = completed_both(year, county_id)
    return (
        select(
            School.id, School.county_id, School.code, School.name, School.teachers,
            func.coalesce(WorkshopBaseline.teachers, 0).label("baseline"),
            func.coalesce(trained.c.trained, 0).label("trained"),
        )
        .outerjoin(WorkshopBaseline, WorkshopBaseline.school_id == School.id)
        .outerjoin(trained, trained.c.school_id == School.id)
        .where(School.year == year)
    )  # fmt: skip


def workshop_standings(
    session: Session, county_id: int, rules: YearRules
) -> list[WorkshopStanding]:
    # Two plain reads joined here: one county's schools are a few hundred rows, and a
    # planner that misjudges the grouped subquery (fresh statistics) loops over it instead.
    done = completed_both(rules.year, county_id)
    trained = dict(session.exec(select(done.c.school_id, done.c.trained)).all())
    rows = session.exec(
        select(
            School.id, School.code, School.name, School.teachers,
            func.coalesce(WorkshopBaseline.teachers, 0),
        )
        .outerjoin(WorkshopBaseline, WorkshopBaseline.school_id == School.id)
        .where(School.year == rules.year, School.county_id == county_id)
        .order_by(School.seq, School.id)
    )  # fmt: skip
    return [
        workshop_standing(sid, code, name, staff, base, trained.get(sid, 0), rules)
        for sid, code, name, staff, base in rows
    ]


def device_rows(year: int):
    """Per school of the year: id, county, code, name, remote, classes, teachers,
    students, devices, class sets (None when nothing was imported for the school)."""
    return (
        select(
            School.id, School.county_id, School.code, School.name,
            (School.area == "偏遠").label("remote"), School.classes, School.teachers,
            School.students, SchoolDevices.devices, SchoolDevices.class_sets,
        )
        .outerjoin(SchoolDevices, SchoolDevices.school_id == School.id)
        .where(School.year == year)
    )  # fmt: skip


def device_standings(session: Session, county_id: int, rules: YearRules) -> list[DeviceStanding]:
    rows = session.exec(
        device_rows(rules.year).where(School.county_id == county_id).order_by(School.seq, School.id)
    )
    return [
        device_standing(sid, code, name, bool(remote), classes, teachers, students,
                        devices, sets, rules)
        for sid, _county, code, name, remote, classes, teachers, students, devices, sets in rows
    ]  # fmt: skip
