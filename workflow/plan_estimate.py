"""A county's estimate and minimum targets from its stored school list and plan inputs.

The per-head amount of 6 數位內容 is the ministry's: the year's override on
ProgrammeYear when the ministry admin has set one, else the rules file's figure. A
county's own figure would let it make the estimate match its request.
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from model.seed import ensure_year
from model.tables import County, PerHeadRateChange, Plan, ProgrammeYear, School, User
from rules import Estimate, SchoolFacts, YearRules, estimate, load_rules, targets
from states.errors import Refusal, TransitionRefused
from states.evidence import is_whole
from states.steps import Step, role_refusals
from states.values import Role
from workflow.service import actor_of

# What the county chooses for the estimate; per_head is not among them (see above).
ESTIMATE_INPUTS = (
    "workshops",
    "companion_schools",
    "devices",
    "mdm_fee",
    "periods_per_school",
)


def county_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a county may store; the ministry's per-head amount is left out."""
    return {k: v for k, v in inputs.items() if k in ESTIMATE_INPUTS}


SET_PER_HEAD = Step("set_per_head", "設定數位內容每位師生補助額", frozenset({Role.ministry_admin}))


def school_facts(session: Session, county_id: int, year: int) -> list[SchoolFacts]:
    rows = session.exec(
        select(School.level, School.area, School.classes, School.teachers, School.students).where(
            School.county_id == county_id, School.year == year
        )
    )
    return [SchoolFacts(lvl, area == "偏遠", c, t, s) for lvl, area, c, t, s in rows]


def per_head_rate(session: Session, rules: YearRules) -> int:
    """The ministry's per-head amount for the year: its override, else the rules file's."""
    row = session.get(ProgrammeYear, rules.year)
    if row is not None and row.per_head_rate is not None:
        return row.per_head_rate
    return rules.budget.digital_content.per_head


def set_per_head_rate(session: Session, user: User, year: int, amount: int) -> ProgrammeYear:
    """The ministry admin sets the year's per-head amount (the CLI and the demo call this)."""
    refusals = role_refusals(SET_PER_HEAD, actor_of(user))
    if not is_whole(amount):
        refusals.append(
            Refusal(
                "evidence.format", f"每位師生補助額須為不小於 0 的整數（元），收到 {amount!r}。"
            )
        )
    if refusals:
        raise TransitionRefused(refusals)
    load_rules(year)  # an unknown year is refused before anything is stored
    row = ensure_year(session, year)
    session.add(
        PerHeadRateChange(year=year, previous=row.per_head_rate, amount=amount, actor_id=user.id)
    )
    row.per_head_rate = amount
    session.add(row)
    session.flush()
    return row


def per_head_rate_changes(session: Session, year: int) -> list[tuple[PerHeadRateChange, User]]:
    """Every setting of the year's per-head amount, oldest first, with who set it."""
    change = PerHeadRateChange
    rows = session.exec(
        select(change, User)
        .join(User, User.id == change.actor_id)
        .where(change.year == year)
        .order_by(change.id)
    )
    return list(rows.all())


def county_plan(session: Session, county_id: int, year: int) -> Plan | None:
    """A county's plan for a year; there is at most one."""
    return session.exec(select(Plan).where(Plan.county_id == county_id, Plan.year == year)).first()


def county_estimate(
    session: Session, county: County, rules: YearRules
) -> tuple[Estimate, dict[str, int]]:
    """The estimate uses the inputs the county put in its plan for the year, if any."""
    facts = school_facts(session, county.id, rules.year)
    plan = county_plan(session, county.id, rules.year)
    inputs = county_inputs(plan.inputs if plan else {})
    rate = per_head_rate(session, rules)
    return estimate(facts, rules, **inputs, per_head=rate), targets(facts, rules)
