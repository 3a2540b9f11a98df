"""A county's estimate and minimum targets from its stored school list and plan inputs."""

from sqlmodel import Session, select

from model.tables import County, Plan, School
from rules import Estimate, SchoolFacts, YearRules, estimate, targets

ESTIMATE_INPUTS = (
    "workshops",
    "companion_schools",
    "devices",
    "mdm_fee",
    "periods_per_school",
    "per_head",
)


def school_facts(session: Session, county_id: int, year: int) -> list[SchoolFacts]:
    rows = session.exec(
        select(School.level, School.area, School.classes, School.teachers, School.students).where(
            School.county_id == county_id, School.year == year
        )
    )
    return [SchoolFacts(lvl, area == "偏遠", c, t, s) for lvl, area, c, t, s in rows]


def county_estimate(
    session: Session, county: County, rules: YearRules
) -> tuple[Estimate, dict[str, int]]:
    """The estimate uses the inputs the county put in its plan for the year, if any."""
    facts = school_facts(session, county.id, rules.year)
    plan = session.exec(
        select(Plan).where(Plan.county_id == county.id, Plan.year == rules.year)
    ).first()
    inputs = {k: v for k, v in (plan.inputs if plan else {}).items() if k in ESTIMATE_INPUTS}
    return estimate(facts, rules, **inputs), targets(facts, rules)
