"""SYNTHETIC demo data: a lived-in county (or all 22) for trying jingjin without real rows.

Everything here is invented and marked so: every row with a `synthetic` column has it
set, school names end in 「(示範)」, school codes use the unused 9000–9999 range, e-mail
addresses use the reserved `.example` domain and no user gets a password. The output is
the same on every run: each county draws from its own seeded random stream, so the demo
county looks the same whether it is generated alone or with all the others.

By default the plans, purchases, reimbursement and activities are driven through the
real lifecycles (demo/story.py), so every state has its log row. `story=False`
keeps the plain rows of before: a draft plan, purchases in 需求彙整中 and hand-made
milestones, a blank slate for tests that walk the lifecycles themselves.
"""

from __future__ import annotations

import random
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from demo.data import (
    EMAIL_DOMAIN,
    GROUP_NUMBERS,
    NATIONAL_USERS,
    PLAN_SECTIONS,
    PRODUCTS,
    PROFILES,
    PlanContent,
    ProductSpec,
    county_schools,
    junior_high_count,
    person_name,
    plan_content,
    purchase_picks,
    purchase_title,
    rng_for,
    senior_high_count,
)
from demo.school_figures import add_school_figures
from demo.story import STORY_END, tell_stories
from imports.product_list import needs_data_clause
from model.assignments import all_assignments, assign
from model.counties import BY_NAME, COUNTIES, county_for_name
from model.seed import ensure_counties, ensure_year
from model.tables import (
    Activity,
    County,
    Milestone,
    Plan,
    Product,
    ProgrammeYear,
    Purchase,
    School,
    TransitionLog,
    User,
)
from rules import InputError, SchoolFacts, WorkCalendar, YearRules, load_rules
from states.values import ItemType, PlanState, PurchaseState, Role
from vocab.milestone_kinds import MilestoneKind
from workflow.plan_estimate import county_inputs, per_head_rate, set_per_head_rate
from workflow.reporting_dates import reporting_dates, set_reporting_date, sync_milestones

# The demo's "today": a working Monday late in the plan year, after STORY_END, with the
# year's last deadlines close (cli/demo.py pins the clock to it).
DEMO_DAY = (11, 25)  # month, day of the programme's first year
# The synthetic demo accounts' password, the same on every run (README.md); real
# accounts never get it.
DEMO_PASSWORD = "jingjin-demo"

# Re-exported: the tests and the CLI import these from here.
__all__ = [
    "DEMO_DAY",
    "DEMO_PASSWORD",
    "PLAN_SECTIONS",
    "PROFILES",
    "DemoSummary",
    "demo_today",
    "generate",
    "junior_high_count",
    "senior_high_count",
    "story_end",
]


@dataclass
class DemoSummary:
    """What one call added; a second call on the same database adds (and counts) nothing."""

    county: str
    counties: int = 0
    schools: int = 0
    users: int = 0
    products: int = 0
    plans: int = 0
    purchases: int = 0
    milestones: int = 0
    activities: int = 0
    transitions: int = 0  # TransitionLog rows, creation included


COUNTED = {
    "plans": Plan,
    "purchases": Purchase,
    "milestones": Milestone,
    "activities": Activity,
    "transitions": TransitionLog,
}


def demo_today(year: int = 113) -> date:
    return date(load_rules(year).period.start.year, *DEMO_DAY)


def story_end(year: int = 113) -> date:
    """The last day the demo story writes: no "today" may come before it."""
    return date(load_rules(year).period.start.year, *STORY_END)


# ------------------------------------------------------------------ entry point
def generate(
    session: Session,
    *,
    year: int = 113,
    county_name: str = "新竹縣",
    all_counties: bool = False,
    story: bool = True,
    items: bool = True,
) -> DemoSummary:
    """Add the demo data in the caller's transaction (flush only, no commit).

    `items=False` stops at what a county starts its year with (people, schools, products,
    the ministry's figures): no plan, purchase or milestone, for a year begun in the browser.

    A county that already has synthetic schools for the year is left alone, so running
    this twice adds nothing the second time.
    """
    demo = county_for_name(county_name)
    if demo is None:
        raise InputError("county_name", f"找不到縣市「{county_name}」")
    rules = load_rules(year)
    ensure_year(session, year)
    counties = ensure_counties(session)
    refs = COUNTIES if all_counties else (demo,)
    fresh = _counties_without_demo(session, [counties[r.name] for r in refs], year)
    summary = DemoSummary(county=demo.name, counties=len(fresh))
    before = _counts(session)
    products = _ensure_products(session, rules, summary)
    staff = _ensure_users(session, fresh, summary)
    _assign_reviewers(session, counties)
    _set_per_head(session, year)
    schools = _add_schools(session, fresh, year, summary)
    facts = _school_facts(session, fresh, year)
    contents = {c.id: plan_content(BY_NAME[c.name], facts[c.id], rules) for c in fresh}
    if items and story:
        unplanned = [c for c in fresh if c.id not in _planned(session, fresh, year)]
        tell_stories(session, unplanned, counties[demo.name], contents, products, rules)
        add_school_figures(session, fresh, rules)
    elif items:
        plans = _add_plans(session, fresh, contents, rules)
        purchases = _add_purchases(session, fresh, plans, contents, staff, products, rules)
        _add_milestones(session, fresh, plans, schools, purchases, staff, rules)
    _announce_reporting_dates(session, rules)
    for field, count in _counts(session).items():
        setattr(summary, field, count - before[field])
    return summary


def _counts(session: Session) -> dict[str, int]:
    return {
        field: session.exec(select(func.count()).select_from(table)).one()
        for field, table in COUNTED.items()
    }


def _counties_without_demo(session: Session, counties: list[County], year: int) -> list[County]:
    ids = [c.id for c in counties]
    done = set(
        session.exec(
            select(School.county_id)
            .where(School.year == year, School.synthetic, col(School.county_id).in_(ids))
            .distinct()
        )
    )
    return [c for c in counties if c.id not in done]


def _planned(session: Session, counties: list[County], year: int) -> set[int]:
    """Counties that already have a plan (a real one, say): their story is not told."""
    ids = [c.id for c in counties]
    return set(
        session.exec(select(Plan.county_id).where(Plan.year == year, col(Plan.county_id).in_(ids)))
    )


# ------------------------------------------------------------------ products
def _clause_keys(rules: YearRules) -> list[str]:
    # Folded as the product-list import folds them, so demo and import flag alike.
    return ["".join(name.split()).casefold() for name in rules.software.data_clause_products]


def _ensure_products(session: Session, rules: YearRules, summary: DemoSummary) -> list[Product]:
    existing = session.exec(
        select(Product).where(Product.year == rules.year, Product.synthetic).order_by(Product.id)
    ).all()
    if existing:
        return list(existing)
    keys = _clause_keys(rules)
    rows = [_product(spec, i, rules, keys) for i, spec in enumerate(PRODUCTS, start=1)]
    session.add_all(rows)
    session.flush()
    summary.products = len(rows)
    return rows


def _product(spec: ProductSpec, index: int, rules: YearRules, keys: list[str]) -> Product:
    return Product(
        year=rules.year,
        serial=f"{rules.year:03d}{GROUP_NUMBERS[spec.group]:02d}-{index:03d}",
        name=spec.name,
        vendor=spec.vendor,
        group=spec.group,
        reference_price=spec.reference_price,
        needs_data_clause=needs_data_clause(spec.name, keys),
        synthetic=True,
    )


# ------------------------------------------------------------------ users
def _user(username: str, role: Role, rng: random.Random, **extra) -> User:
    return User(
        username=username,
        display_name=person_name(rng),
        email=f"{username}@{EMAIL_DOMAIN}",
        role=role,
        synthetic=True,
        **extra,
    )


def _wanted_users(counties: list[County]) -> list[User]:
    rng = rng_for(0, "MOE", "users")
    users = [_user(name, role, rng, daily_digest=digest) for name, role, digest in NATIONAL_USERS]
    for county in counties:
        rng = rng_for(0, county.code, "users")
        prefix = county.code.lower()
        for name in (f"{prefix}.staff1", f"{prefix}.staff2"):
            users.append(_user(name, Role.county_staff, rng, county_id=county.id))
        supervisor = f"{prefix}.supervisor"
        users.append(_user(supervisor, Role.county_supervisor, rng, county_id=county.id))
    return users


def _ensure_users(
    session: Session, counties: list[County], summary: DemoSummary
) -> dict[int, list[User]]:
    """Create missing users; return each county's staff, who own its items."""
    wanted = _wanted_users(counties)
    names = [u.username for u in wanted]
    existing = {
        u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))
    }
    new = [u for u in wanted if u.username not in existing]
    session.add_all(new)
    session.flush()
    summary.users = len(new)
    staff: dict[int, list[User]] = defaultdict(list)
    for user in (existing.get(u.username, u) for u in wanted):
        if user.role == Role.county_staff and user.county_id is not None:
            staff[user.county_id].append(user)
    return staff


# ------------------------------------------------------------------ reviewers
# The first half of the counties, the demo county 新竹縣 among them, goes to the reviewer
# on single mails, so that its escalations and findings show as mails of their own; the
# other half to the reviewer on the daily digest.
REVIEWER_HALVES = (("moe.reviewer2", COUNTIES[:11]), ("moe.reviewer1", COUNTIES[11:]))


def _assign_reviewers(session: Session, counties: dict[str, County]) -> None:
    """Assign the counties nobody answers for yet; an admin's own choice is kept."""
    taken = {c.id for _, c in all_assignments(session)}
    for username, refs in REVIEWER_HALVES:
        user = session.exec(select(User).where(User.username == username)).one()
        assign(session, user, [counties[r.name] for r in refs if counties[r.name].id not in taken])


# ------------------------------------------------------------------ schools
def _add_schools(
    session: Session, counties: list[County], year: int, summary: DemoSummary
) -> dict[int, list[School]]:
    by_county = {c.id: county_schools(BY_NAME[c.name], c.id, year) for c in counties}
    rows = [s for schools in by_county.values() for s in schools]
    session.add_all(rows)
    session.flush()
    summary.schools = len(rows)
    return by_county


def _school_facts(
    session: Session, counties: list[County], year: int
) -> dict[int, list[SchoolFacts]]:
    """Every school of the county, as the estimate counts them (real rows included)."""
    rows = session.exec(
        select(School.county_id, School.level, School.area, School.classes,
               School.teachers, School.students)
        .where(School.year == year, col(School.county_id).in_([c.id for c in counties]))
    )  # fmt: skip
    facts: dict[int, list[SchoolFacts]] = defaultdict(list)
    for county_id, level, area, classes, teachers, students in rows:
        facts[county_id].append(SchoolFacts(level, area == "偏遠", classes, teachers, students))
    return facts


# ------------------------------------------------------------------ the ministry's per-head amount
# The 113 plan publishes no per-head amount for 6 數位內容; the demo's ministry admin sets
# the figure demo/data.plan_inputs estimated with, so the demo's estimate is unchanged.
DEMO_PER_HEAD = 120


def _set_per_head(session: Session, year: int) -> None:
    """Set as moe.admin, through the CLI's own function; an admin's own figure is kept."""
    row = session.get(ProgrammeYear, year)
    if row is not None and row.per_head_rate is not None:
        return
    admin = session.exec(select(User).where(User.username == "moe.admin")).one()
    set_per_head_rate(session, admin, year, DEMO_PER_HEAD)


# ------------------------------------------------------------------ the ministry's reporting dates
# The 113 text leaves them to the ministry (「另行公布」); the demo's ministry admin
# announces invented ones, so that every plan carries them as milestones.
# (years after the calendar's first, month, day)
DEMO_REPORTING_DATES = {"plan": (0, 2, 29), "progress": (0, 12, 13), "results": (1, 2, 28)}


def _announce_reporting_dates(session: Session, rules: YearRules) -> None:
    """Set as moe.admin where neither the rules file nor an admin has; then every plan,
    the ones just told included, gets its milestones."""
    known = {d.name for d in reporting_dates(session, rules) if d.due_on is not None}
    admin = session.exec(select(User).where(User.username == "moe.admin")).one()
    first = rules.calendar.first_year
    for name, (years, month, day) in DEMO_REPORTING_DATES.items():
        if name not in known:
            # 2/29 in a leap year is the month's last day in any other year.
            year = first + years
            due = date(year, month, min(day, monthrange(year, month)[1]))
            set_reporting_date(session, admin, rules.year, name, due)
    sync_milestones(session, rules)


def _inputs(session: Session, content: PlanContent, rules: YearRules) -> dict[str, int]:
    """The county's inputs, and the ministry's per-head figure as update_plan_draft keeps it."""
    return {**county_inputs(content.inputs), "per_head": per_head_rate(session, rules)}


# ------------------------------------------------------------------ plain plans (story=False)
def _add_plans(
    session: Session,
    counties: list[County],
    contents: dict[int, PlanContent],
    rules: YearRules,
) -> dict[int, Plan]:
    """A draft plan per county; a county that already has its plan keeps it untouched."""
    plans = {
        p.county_id: p
        for p in session.exec(
            select(Plan).where(
                Plan.year == rules.year, col(Plan.county_id).in_([c.id for c in counties])
            )
        )
    }
    new = {}
    for county in counties:
        if county.id in plans:
            continue
        content = contents[county.id]
        new[county.id] = plans[county.id] = Plan(
            county_id=county.id, year=rules.year, status=PlanState.draft,
            inputs=_inputs(session, content, rules), targets=content.targets,
            sections=content.sections, synthetic=True,
        )  # fmt: skip
    session.add_all(new.values())
    session.flush()
    for county_id, plan in new.items():
        for line in contents[county_id].lines:
            line.plan_id = plan.id
            session.add(line)
    session.flush()
    return plans


# ------------------------------------------------------------------ plain purchases
def _add_purchases(
    session: Session,
    counties: list[County],
    plans: dict[int, Plan],
    contents: dict[int, PlanContent],
    staff: dict[int, list[User]],
    products: list[Product],
    rules: YearRules,
) -> dict[int, list[Purchase]]:
    by_county = {}
    for c in counties:
        content_budget = contents[c.id].estimate.items["digital_content"]
        picks = purchase_picks(c.code, content_budget, products, rules)
        by_county[c.id] = [
            Purchase(
                county_id=c.id, year=rules.year, plan_id=plans[c.id].id,
                title=purchase_title(pick.product, rules), status=PurchaseState.needs_collected,
                product_id=pick.product.id, amount=pick.amount,
                owner_id=staff[c.id][i % len(staff[c.id])].id,
                evidence={"needs": {"schools": pick.schools, "note": "各校需求調查彙整"}},
                synthetic=True,
            )
            for i, pick in enumerate(picks)
        ]  # fmt: skip
    session.add_all([p for purchases in by_county.values() for p in purchases])
    session.flush()
    return by_county


# ------------------------------------------------------------------ plain milestones
DONE_BEFORE = (7, 1)  # month, day: what fell due before mid-year is mostly done
DONE_PCT = 90  # the rest is overdue, so reminders and escalation have work to show
EARLY_OPEN_LESSON_PCT = 25


@dataclass
class Due:
    kind: MilestoneKind
    title: str
    due_on: date
    subject_type: str
    subject_id: int
    school_id: int | None = None


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _plan_dues(plan: Plan, rules: YearRules) -> list[Due]:
    roc, g = rules.year, rules.period.start.year
    moe = rules.targets.moe_team_meetings_min  # spread evenly over the year's months

    def due(kind: MilestoneKind, title: str, day: date) -> Due:
        return Due(kind, title, day, ItemType.plan.value, plan.id)

    K = MilestoneKind  # a short alias keeps the table below readable
    return [
        *(due(K.working_meeting, f"{roc}年{m}月{K.working_meeting.title}", _month_end(g, m))
          for m in range(1, 13)),
        *(due(K.moe_team_meeting, f"第{q}次{K.moe_team_meeting.title}",
              _month_end(g, -(-12 * q // moe))) for q in range(1, moe + 1)),
        *(due(K.workshop, f"{K.workshop.title}（第{q}季場次）", _month_end(g, 3 * q))
          for q in range(1, 5)),
        due(K.literacy_training, f"{K.literacy_training.title}（上半年）", date(g, 6, 30)),
        due(K.literacy_training, f"{K.literacy_training.title}（下半年）", date(g, 12, 31)),
        due(K.parent_session, K.parent_session.title, date(g, 10, 31)),
        due(K.settlement_due, f"{roc}年度{K.settlement_due.title}", rules.settlement.date),
    ]  # fmt: skip


def _school_dues(plan: Plan, schools: list[School], rules: YearRules) -> list[Due]:
    kind = MilestoneKind.open_lesson
    day = date(rules.period.start.year, 12, 31)
    return [
        Due(kind, f"{s.name} {kind.title}", day, ItemType.plan.value, plan.id, s.id)
        for s in schools
    ]


def _purchase_dues(purchases: list[Purchase], rules: YearRules) -> list[Due]:
    kind = MilestoneKind.purchase_disbursement
    day = rules.software.disbursement_deadline.date
    return [Due(kind, f"{p.title} {kind.title}", day, ItemType.purchase.value, p.id)
            for p in purchases]  # fmt: skip


def _done_on(due: Due, cutoff: date, cal: WorkCalendar, rng: random.Random) -> date | None:
    """A lived-in year: most past items are done a few working days early."""
    if due.due_on < cutoff:
        return cal.add_working_days(due.due_on, -rng.randint(1, 8)) if (
            rng.randrange(100) < DONE_PCT) else None  # fmt: skip
    if due.kind == MilestoneKind.open_lesson and rng.randrange(100) < EARLY_OPEN_LESSON_PCT:
        return cal.add_working_days(cutoff, -rng.randint(1, 60))
    return None


def _county_milestones(
    county: County,
    plan: Plan,
    schools: list[School],
    purchases: list[Purchase],
    staff: list[User],
    rules: YearRules,
) -> list[Milestone]:
    rng = rng_for(rules.year, county.code, "milestones")
    cal = WorkCalendar.from_rules(rules)
    cutoff = date(rules.period.start.year, *DONE_BEFORE)
    dues = _plan_dues(plan, rules) + _school_dues(plan, schools, rules)
    dues += _purchase_dues(purchases, rules)
    return [
        Milestone(
            county_id=county.id, year=rules.year, kind=d.kind.value, title=d.title,
            subject_type=d.subject_type, subject_id=d.subject_id, school_id=d.school_id,
            owner_id=staff[i % len(staff)].id, due_on=d.due_on,
            done_on=_done_on(d, cutoff, cal, rng), synthetic=True,
        )
        for i, d in enumerate(dues)
    ]  # fmt: skip


def _add_milestones(
    session: Session,
    counties: list[County],
    plans: dict[int, Plan],
    schools: dict[int, list[School]],
    purchases: dict[int, list[Purchase]],
    staff: dict[int, list[User]],
    rules: YearRules,
) -> None:
    rows = [
        m
        for c in counties
        for m in _county_milestones(
            c, plans[c.id], schools[c.id], purchases[c.id], staff[c.id], rules
        )
    ]
    session.add_all(rows)
    session.flush()
