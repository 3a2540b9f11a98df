"""Synthetic per-school figures for the demo story: each school's 111–112 workshop baseline
and its devices on hand, so the 各校目標達成情形 page has schools on both sides of the line.
Written straight to the tables (the import path is tested on its own files)."""

from sqlmodel import Session, col, select

from demo.data import rng_for
from model.tables import County, School, SchoolDevices, WorkshopBaseline
from rules import YearRules
from rules.school_targets import devices_needed

BASELINE_PCT = (60, 100)  # of 編制, trained in 111–112
DEVICES_MET_PCT = 85  # of the schools, with all the devices 貳、二 asks for


def add_school_figures(session: Session, counties: list[County], rules: YearRules) -> None:
    ids = [c.id for c in counties]
    codes = {c.id: c.code for c in counties}
    schools = session.exec(
        select(School)
        .where(School.year == rules.year, col(School.county_id).in_(ids))
        .order_by(School.county_id, School.seq)
    ).all()
    for school in schools:
        rng = rng_for(rules.year, codes[school.county_id], f"school-figures:{school.code}")
        staff = school.teachers
        session.add(
            WorkshopBaseline(
                school_id=school.id, teachers=staff * rng.randint(*BASELINE_PCT) // 100
            )
        )
        need = devices_needed(school.remote, school.classes, staff, school.students, rules)
        have = need if rng.randrange(100) < DEVICES_MET_PCT else max(0, need - rng.randint(1, 5))
        devices, sets = (have, 0) if school.remote else (0, have)
        session.add(SchoolDevices(school_id=school.id, devices=devices, class_sets=sets))
    session.flush()
