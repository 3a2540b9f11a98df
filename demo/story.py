"""The demo's programme year as it happened, driven through the real lifecycles.

Every state the demo shows was reached by the workflow service, so each one has its
TransitionLog row with the actor, the day, the evidence and the ministry's letter. The
demo county gets the whole story up to STORY_END (20 November): its plan returned once
and approved, purchases from 需求彙整中 to 已結案, the first tranche paid, a budget change
and a year of activities. With all counties, each other one gets its plan as far as the
ministry's review has gone and a couple of purchases in their early states.

Steps are written per thread (plan, purchase, money, activities) and played in date
order, each with `today=` its own day, and the rows it writes are stamped with that day.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from config import clock
from config.clock import zone
from demo.data import (
    PlanContent,
    PurchasePick,
    person_name,
    purchase_picks,
    purchase_title,
    rng_for,
)
from model.assignments import county_reviewers
from model.counties import COUNTIES
from model.tables import (
    BudgetChange,
    BudgetLine,
    County,
    Milestone,
    Plan,
    Product,
    Purchase,
    Reimbursement,
    School,
    User,
)
from rules import YearRules
from rules.settlement import BP
from states.activity import ActivityKind
from states.values import BudgetItem, ItemType
from vocab.display import roc_date
from workflow.activities import record_activity
from workflow.plan_estimate import county_inputs
from workflow.plans import (
    PLANS,
    approve_plan,
    create_plan,
    decide_budget_change,
    request_budget_change,
    update_plan_draft,
)
from workflow.purchases import PURCHASES, create_purchase
from workflow.reimbursements import REIMBURSEMENTS, create_reimbursement
from workflow.service import advance

STORY_END = (11, 20)  # month, day of the programme's first year: "today" in the demo
RECORDED_AFTER = 3  # days between an activity and its entry in the system


def _day(rules: YearRules, month: int, day: int) -> date:
    return date(rules.period.start.year, month, day)


def _letter(rules: YearRules, serial: int) -> str:
    """A ministry letter number in the form the 核定函 use: 臺教資(三)字第1130012345號."""
    return f"臺教資(三)字第{rules.year}{serial:07d}號"


class StoryClock:
    """Stamps the rows the story writes with the story's day instead of the real one.

    The tables default their timestamps to config.clock.now; while `running()`, that
    reads this clock instead, a minute apart so that the order stays visible.
    """

    def __init__(self) -> None:
        self.moment = datetime(2000, 1, 1, tzinfo=zone())

    def set(self, day: date) -> None:
        if day > self.moment.date():
            self.moment = datetime.combine(day, time(9), tzinfo=zone())

    def now(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment

    def running(self):
        return clock.using(self.now)


@dataclass(order=True)
class Beat:
    day: date
    seq: int
    run: Callable[[], Any] = field(compare=False)


@dataclass
class Script:
    """Steps in the order they happened, whatever order they were written in."""

    end: date
    beats: list[Beat] = field(default_factory=list)

    def at(self, day: date, run: Callable[[], Any]) -> None:
        assert day <= self.end, f"the story ends on {self.end}, not {day}"
        self.beats.append(Beat(day, len(self.beats), run))

    def play(self, clock: StoryClock) -> None:
        with clock.running():
            for beat in sorted(self.beats):
                clock.set(beat.day)
                beat.run()


# ------------------------------------------------------------------ who is who
@dataclass
class Cast:
    county: County
    staff: list[User]
    supervisor: User
    reviewer: User  # the ministry's 承辦 for plans and budget changes
    cashier: User  # the ministry's 承辦 who records the money paid
    plan: Plan | None = None
    purchases: list[Purchase] = field(default_factory=list)
    reimbursement: Reimbursement | None = None
    change: BudgetChange | None = None


def _users(session: Session, names: list[str]) -> dict[str, User]:
    rows = session.exec(select(User).where(col(User.username).in_(names)))
    return {u.username: u for u in rows}


def _cast(session: Session, county: County) -> Cast:
    prefix = county.code.lower()
    names = [f"{prefix}.staff1", f"{prefix}.staff2", f"{prefix}.supervisor"]
    ministry = ["moe.reviewer1", "moe.reviewer2"]
    users = _users(session, [*names, *ministry])
    # The county's assigned reviewer decides its plan, as the mails and the digest say;
    # the other one records the money paid.
    assigned = county_reviewers(session, [county.id]).get(county.id)
    reviewer = assigned[0] if assigned else users[ministry[0]]
    cashier = next(users[n] for n in ministry if users[n].id != reviewer.id)
    return Cast(
        county=county,
        staff=[users[names[0]], users[names[1]]],
        supervisor=users[names[2]],
        reviewer=reviewer,
        cashier=cashier,
    )


# ------------------------------------------------------------------ entry point
def tell_stories(
    session: Session,
    counties: list[County],
    demo: County,
    contents: dict[int, PlanContent],
    products: list[Product],
    rules: YearRules,
) -> None:
    """Play the year for these counties: the full story for the demo county, if among them."""
    script = Script(end=_day(rules, *STORY_END))
    variants = plan_variants(demo.name, rules)
    casts = []
    for county in counties:
        cast = _cast(session, county)
        casts.append(cast)
        content = contents[county.id]
        picks = purchase_picks(
            county.code, content.estimate.items["digital_content"], products, rules
        )
        if county.id == demo.id:
            _demo_county(session, script, cast, content, picks, rules)
        else:
            _other_county(session, script, cast, content, picks, variants[county.name], rules)
    script.play(StoryClock())
    _mark_synthetic(session, casts)


def _mark_synthetic(session: Session, casts: list[Cast]) -> None:
    """The services open milestones as real ones; the story's are synthetic like the rest."""
    plans = [c.plan.id for c in casts if c.plan is not None]
    purchases = [p.id for c in casts for p in c.purchases]
    session.execute(
        update(Milestone)
        .where(
            or_(
                (Milestone.subject_type == ItemType.plan) & col(Milestone.subject_id).in_(plans),
                (Milestone.subject_type == ItemType.purchase)
                & col(Milestone.subject_id).in_(purchases),
            )
        )
        .values(synthetic=True)
    )
    session.flush()


# ------------------------------------------------------------------ the plan
RETURN_REASON = (
    "陸、預期績效指標：公開觀議課請依附錄學校名單逐校規劃場次；"
    "柒、經費需求：師資培訓增辦工作坊之差異說明請補列辦理對象與時數。"
)
INDICATORS_FIX = "公開觀議課依附錄學校名單逐校排定，每校每年至少辦理 1 場。"
TRAINING_FIX = "對象為各校初任及新進教師，每場 6 小時。"


def _line_fields(lines: list[BudgetLine]) -> dict[str, dict[str, Any]]:
    return {
        str(line.item): {
            "recurrent": line.recurrent,
            "capital": line.capital,
            "person_months": line.person_months,
            "monthly_rate": line.monthly_rate,
            "explanation": line.explanation,
        }
        for line in lines
    }


def _draft(session: Session, cast: Cast, content: PlanContent, rules: YearRules) -> None:
    author = cast.staff[0]
    cast.plan = create_plan(session, author, cast.county.id, rules.year)
    cast.plan.synthetic = True
    update_plan_draft(
        session,
        author,
        cast.plan.id,
        sections=content.sections,
        targets=content.targets,
        inputs=county_inputs(content.inputs),
        lines=_line_fields(content.lines),
    )


def _revise(session: Session, cast: Cast, content: PlanContent) -> None:
    """What the county changed after the ministry returned the plan."""
    training = next(x for x in content.lines if x.item == BudgetItem.teacher_training)
    update_plan_draft(
        session,
        cast.staff[0],
        cast.plan.id,
        sections={"indicators": content.sections["indicators"] + INDICATORS_FIX},
        lines={"teacher_training": {"explanation": training.explanation + TRAINING_FIX}},
    )


def _step(session, lifecycle, row_of: Callable[[], Any], event: str, user: User, day: date, **kw):
    return lambda: advance(session, lifecycle, row_of().id, event, user, today=day, **kw)


def _approve(session: Session, cast: Cast, letter: str, day: date) -> Callable[[], Any]:
    return lambda: approve_plan(
        session, cast.reviewer, cast.plan.id, letter, approved_on=day, today=day
    )


def _demo_plan(
    session: Session, script: Script, cast: Cast, content: PlanContent, rules: YearRules
) -> None:
    """Drafted, submitted, returned once, resubmitted, approved and in execution."""
    d = partial(_day, rules)  # d(2, 20): the dates below read as a calendar

    def plan() -> Plan:
        return cast.plan

    script.at(d(1, 10), lambda: _draft(session, cast, content, rules))
    script.at(d(2, 20), _step(session, PLANS, plan, "submit", cast.supervisor, d(2, 20)))
    script.at(d(2, 21), _step(session, PLANS, plan, "start_review", cast.reviewer, d(2, 21)))
    script.at(
        d(2, 27),
        _step(session, PLANS, plan, "return_plan", cast.reviewer, d(2, 27), reason=RETURN_REASON),
    )
    script.at(d(3, 1), lambda: _revise(session, cast, content))
    script.at(d(3, 5), _step(session, PLANS, plan, "resubmit", cast.supervisor, d(3, 5)))
    script.at(d(3, 6), _step(session, PLANS, plan, "start_review", cast.reviewer, d(3, 6)))
    script.at(d(3, 15), _approve(session, cast, _letter(rules, 12345), d(3, 15)))
    script.at(d(3, 18), _step(session, PLANS, plan, "start_execution", cast.supervisor, d(3, 18)))


# ------------------------------------------------------------------ purchases
# One timeline per purchase of purchase_picks, in its order: the day it was opened, then
# one day per step taken (decide, verify_product, verify_clause, contract,
# request_disbursement, record_usage). Purchases decided together share a meeting.
PURCHASE_STEPS = (
    "decide",
    "verify_product",
    "verify_clause",
    "contract",
    "request_disbursement",
    "record_usage",
)
DEMO_TIMELINES = (
    ((3, 20), (4, 10), (4, 15), (4, 22), (5, 6), (7, 1), (10, 15)),  # closed
    ((3, 20), (4, 10), (4, 17), (4, 24), (6, 3), (10, 28)),  # disbursement requested
    ((5, 2), (5, 29), (6, 5), (6, 12), (8, 19)),  # contracted
    ((5, 2), (5, 29), (6, 12), (10, 7)),  # clause verified
    ((10, 21),),  # needs collected
    ((3, 20), (4, 10), (5, 8), (5, 22), (9, 9)),  # contracted: the open tender
)
OTHER_TIMELINES = (((4, 8),), ((3, 25), (4, 24)))  # needs collected; meeting decided
ATTENDEES = (
    ("teacher", "老師"),
    ("teacher", "老師"),
    ("school_admin", "主任"),
    ("office_member", "專員"),
    ("parent", "家長代表"),
    ("expert", "教授"),
)


def _meeting(cast: Cast, pick: PurchasePick, day: date, rules: YearRules) -> dict:
    # The meeting's own stream: every purchase it decided lists the same people.
    names = rng_for(rules.year, cast.county.code, f"meeting:{day.isoformat()}")
    return {
        "held_on": day.isoformat(),
        "minutes": (
            f"{cast.county.name}數位內容及教學軟體選購公開會議：彙整 {pick.schools} 校需求，"
            f"經與會教師、學校行政及推動辦公室代表討論，決議採購「{pick.product.name}」。"
        ),
        "attendees": [
            {"name": person_name(names)[:1] + title, "role": role} for role, title in ATTENDEES
        ],
    }


def award_amount(amount: int) -> int:
    """About 2 % under the 採購金額 (the estimate fixed before tendering)."""
    return amount * 98 // 100 // 1000 * 1000


def procurement_method(amount: int, rules: YearRules) -> str:
    """The usual method for the 採購金額: 小額採購, 公開取得三家報價 or 公開招標."""
    return rules.procurement.allowed_methods(amount)[0]


def _evidence(
    event: str, cast: Cast, pick: PurchasePick, day: date, rules: YearRules, rng: random.Random
) -> dict:
    award = award_amount(pick.amount)
    if event == "decide":
        return _meeting(cast, pick, day, rules)
    if event == "verify_product":
        return {"product_serial": pick.product.serial, "amount": pick.amount}
    if event == "verify_clause":
        if pick.product.needs_data_clause:
            text = f"契約書第十二條（資料介接）：{rules.software.data_clause_text}。"
            return {"document": "contract", "text": text}
        return {"document": "requirement", "text": "需求說明書：授權一年，含全縣國中小師生帳號。"}
    if event == "contract":
        return {
            "method": procurement_method(pick.amount, rules),
            "awarded_on": day.isoformat(),
            "procurement_amount": pick.amount,
            "amount": award,
            "vendor": pick.product.vendor,
        }
    if event == "request_disbursement":
        return {"requested_on": day.isoformat(), "amount": award}
    return {
        "cumulative_users": pick.schools * rng.randint(60, 120),
        "cumulative_hours": pick.schools * rng.randint(150, 400),
        "notes": "各校反映學生使用踴躍，建議下年度續購並擴大授權校數。",
    }


def _open_purchase(session: Session, cast: Cast, pick: PurchasePick, owner: User, rules):
    row = create_purchase(
        session, owner, title=purchase_title(pick.product, rules), year=rules.year,
        amount=pick.amount,
    )  # fmt: skip
    # The needs survey names the product the schools asked for; the meeting decides it.
    row.product_id, row.synthetic = pick.product.id, True
    row.evidence = {"needs": {"schools": pick.schools, "note": "各校需求調查彙整"}}
    cast.purchases.append(row)
    return row


def _purchase_beats(
    session: Session,
    script: Script,
    cast: Cast,
    picks: list[PurchasePick],
    timelines: tuple,
    rules: YearRules,
) -> None:
    rng = rng_for(rules.year, cast.county.code, "purchase-story")
    for i, (pick, timeline) in enumerate(zip(picks, timelines, strict=False)):
        owner = cast.staff[i % len(cast.staff)]
        holder: list[Purchase] = []
        opened = _day(rules, *timeline[0])
        script.at(opened, lambda p=pick, o=owner, h=holder: h.append(
            _open_purchase(session, cast, p, o, rules)))  # fmt: skip
        for event, when in zip(PURCHASE_STEPS, timeline[1:], strict=False):
            day = _day(rules, *when)
            evidence = _evidence(event, cast, pick, day, rules, rng)
            script.at(day, _step(session, PURCHASES, lambda h=holder: h[0], event, owner, day,
                                 evidence=evidence))  # fmt: skip


# ------------------------------------------------------------------ money
FIRST_TRANCHE_LETTER = 34567
CHANGE_LETTER = 98765
CHANGE_REASON = (
    "部分數位學習工作坊改採線上辦理，節餘經費移至推動辦公室運作，增聘臨時人力協助陪伴入校。"
)
CHANGE_MOVE = 60_000


def _open_reimbursement(session: Session, cast: Cast) -> None:
    cast.reimbursement = create_reimbursement(session, cast.supervisor, cast.plan.id)
    cast.reimbursement.synthetic = True


def _first_tranche(session: Session, cast: Cast, day: date, rules: YearRules) -> None:
    row = cast.reimbursement
    band = rules.disbursement.band_for(row.approved_amount)
    amount = row.subsidy * band.first_tranche_max_bp // BP // 1000 * 1000
    evidence = {
        "amount": amount,
        "disbursed_on": day,
        "letter_no": _letter(rules, FIRST_TRANCHE_LETTER),
    }
    advance(session, REIMBURSEMENTS, row.id, "disburse", cast.cashier, evidence=evidence,
            letter_no=evidence["letter_no"], today=day)  # fmt: skip


def _request_change(session: Session, cast: Cast, day: date) -> None:
    """Move money between two 經常門 lines: training held online, the office short-handed."""
    lines = {
        str(x.item): x
        for x in session.exec(select(BudgetLine).where(BudgetLine.plan_id == cast.plan.id))
    }
    source, target = lines[BudgetItem.teacher_training], lines[BudgetItem.office_operations]
    move = min(CHANGE_MOVE, source.recurrent // 10 // 1000 * 1000)
    proposed = {
        str(source.item): {"recurrent": source.recurrent - move, "capital": source.capital},
        str(target.item): {"recurrent": target.recurrent + move, "capital": target.capital},
    }
    cast.change = request_budget_change(
        session, cast.supervisor, cast.plan.id, proposed, CHANGE_REASON, today=day
    )


def _money_beats(session: Session, script: Script, cast: Cast, rules: YearRules) -> None:
    d = partial(_day, rules)
    script.at(d(3, 25), lambda: _open_reimbursement(session, cast))
    script.at(d(4, 15), lambda: _first_tranche(session, cast, d(4, 15), rules))
    script.at(d(9, 16), lambda: _request_change(session, cast, d(9, 16)))
    script.at(d(10, 4), lambda: decide_budget_change(
        session, cast.reviewer, cast.change.id, approve=True,
        letter_no=_letter(rules, CHANGE_LETTER), decided_on=d(10, 4), today=d(10, 4),
    ))  # fmt: skip


# ------------------------------------------------------------------ activities
MEETINGS_SKIPPED = (7, 8)  # the summer break: left overdue on purpose, for the reminders
MOE_TEAM_MONTHS = (3, 6, 9, 11)
OPEN_LESSON_PCT = 70
WORKSHOP_PCT = 45  # of the sessions the plan budgets, held by the story's end
LITERACY_SESSIONS = 10
LITERACY_SHARE_PCT = 8  # of the literacy target, per session: about 80 % by the end


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _spread(start: date, end: date, n: int) -> list[date]:
    """n working days spread evenly from start to end."""
    span = (end - start).days
    return [_weekday(start + timedelta(days=span * i // max(1, n))) for i in range(n)]


@dataclass
class Recorder:
    session: Session
    script: Script
    cast: Cast
    rules: YearRules

    def at(self, kind: ActivityKind, day: date, school: School | None = None, **counts) -> None:
        def run() -> None:
            user = self.cast.staff[day.month % len(self.cast.staff)]
            recorded = record_activity(
                self.session, user, kind, year=self.rules.year, held_on=day,
                evidence_ref=f"簽到表及紀錄：{roc_date(day)}",
                school_code=school.code if school else None,
                today=min(day + timedelta(days=RECORDED_AFTER), self.script.end), **counts,
            )  # fmt: skip
            recorded.activity.synthetic = True

        self.script.at(day, run)


def _activity_beats(
    session: Session, script: Script, cast: Cast, content: PlanContent, rules: YearRules
) -> None:
    rng = rng_for(rules.year, cast.county.code, "activities")
    schools = list(
        session.exec(
            select(School)
            .where(School.county_id == cast.county.id, School.year == rules.year)
            .order_by(School.seq)
        )
    )
    rec, d, t = Recorder(session, script, cast, rules), partial(_day, rules), content.targets
    for month in range(1, STORY_END[0] + 1):
        if month not in MEETINGS_SKIPPED:
            rec.at(ActivityKind.working_meeting, _weekday(d(month, 20)),
                   participants=rng.randint(8, 14), moe_team=month in MOE_TEAM_MONTHS)  # fmt: skip
    _open_lessons(rec, schools, t["self_learning_open_lessons"], rng)
    sessions = max(4, content.inputs["workshops"] * WORKSHOP_PCT // 100)
    for i, day in enumerate(_spread(d(1, 15), d(11, 15), sessions)):
        rec.at(ActivityKind.workshop, day, **_workshop_sheet(schools, i, rng))
    per = max(1, t["literacy_teachers"] * LITERACY_SHARE_PCT // 100)
    for day in _spread(d(3, 20), d(11, 12), LITERACY_SESSIONS):
        rec.at(ActivityKind.literacy_training, day, teachers=per, hours=rng.choice((3, 6)))
    rec.at(ActivityKind.literacy_training, d(6, 19), teachers=25, hours=2)  # too short to count
    for day in _spread(d(10, 14), d(10, 25), t["guideline_workshops"]):
        rec.at(ActivityKind.guideline_workshop, day, participants=rng.randint(30, 60))
    rec.at(ActivityKind.parent_session, d(10, 19), participants=rng.randint(80, 150))
    _companion_visits(rec, schools, rng)
    _sampling(rec, schools, t["sampled_schools"], rng)


def _workshop_sheet(schools: list[School], session_no: int, rng) -> dict:
    """Sessions in pairs: (一), then (二) for the same group less a few who missed it, so
    some teachers complete both and some do not (synthetic names: 示範教師)."""
    group = random.Random(session_no // 2)  # the pair's group, the same for (一) and (二)
    people = [(group.choice(schools).code, f"示範教師{session_no // 2}-{k}")
              for k in range(group.randint(40, 60))]  # fmt: skip
    part = session_no % 2 + 1
    if part == 2:
        people = [p for p in people if rng.random() >= 0.1]
    return {"parts": [part], "attendees": "\n".join(f"{code} {name}" for code, name in people)}


def _open_lessons(rec: Recorder, schools: list[School], festival: int, rng) -> None:
    held = rng.sample(schools, len(schools) * OPEN_LESSON_PCT // 100)
    in_festival = max(1, festival * 2 // 3)  # 自主學習節 lessons: short of the target
    days = _spread(_day(rec.rules, 4, 1), _day(rec.rules, 11, 15), len(held))
    for i, (school, day) in enumerate(zip(held, days, strict=True)):
        rec.at(ActivityKind.open_lesson, day, school, participants=rng.randint(15, 40),
               self_learning_festival=i < in_festival)  # fmt: skip


def _companion_visits(rec: Recorder, schools: list[School], rng) -> None:
    """Spring term: the office went along once (done); autumn: not yet (still open)."""
    d = partial(_day, rec.rules)
    visited = rng.sample(schools, min(11, len(schools)))
    spring, autumn = _spread(d(3, 12), d(6, 20), 6), _spread(d(9, 10), d(11, 12), 5)
    for i, day in enumerate(spring + autumn):
        rec.at(ActivityKind.companion_visit, day, visited[i % len(visited)],
               days=rng.randint(1, 3), office_accompanied=day.month == 5)  # fmt: skip


def _sampling(rec: Recorder, schools: list[School], target: int, rng) -> None:
    levels = rec.rules.targets.sampling.levels
    eligible = [s for s in schools if s.level in levels]
    sampled = rng.sample(eligible, min(len(eligible), max(1, target // 2)))
    days = _spread(_day(rec.rules, 10, 14), _day(rec.rules, 11, 15), len(sampled))
    for school, day in zip(sampled, days, strict=True):
        rec.at(ActivityKind.outcome_sampling, day, school, classes=rng.randint(1, 2))


# ------------------------------------------------------------------ the counties
def _demo_county(
    session: Session,
    script: Script,
    cast: Cast,
    content: PlanContent,
    picks: list[PurchasePick],
    rules: YearRules,
) -> None:
    _demo_plan(session, script, cast, content, rules)
    _purchase_beats(session, script, cast, picks, DEMO_TIMELINES, rules)
    _money_beats(session, script, cast, rules)
    _activity_beats(session, script, cast, content, rules)


# How far the ministry had got with the other counties' plans; the rest are in execution.
VARIANTS = ("draft", "draft", "returned", "returned", "submitted", "under_review", "under_review")
OTHER_REASON = "柒、經費需求：兼任計畫主持人費之差異說明請補列兼任期間與工作內容。"


def plan_variants(demo_name: str, rules: YearRules) -> dict[str, str]:
    """Each other county's plan state, by county name; the same whichever are generated."""
    names = [c.name for c in COUNTIES if c.name != demo_name]
    rng_for(rules.year, "MOE", "plan-variants").shuffle(names)
    return {n: VARIANTS[i] if i < len(VARIANTS) else "in_execution" for i, n in enumerate(names)}


def _other_county(
    session: Session,
    script: Script,
    cast: Cast,
    content: PlanContent,
    picks: list[PurchasePick],
    variant: str,
    rules: YearRules,
) -> None:
    k = [c.name for c in COUNTIES].index(cast.county.name)

    def d(month: int, day: int) -> date:  # staggered, so the counties' days differ
        return _weekday(_day(rules, month, day) + timedelta(days=k % 9))

    def plan() -> Plan:
        return cast.plan

    script.at(d(1, 8), lambda: _draft(session, cast, content, rules))
    if variant != "draft":
        script.at(d(2, 15), _step(session, PLANS, plan, "submit", cast.supervisor, d(2, 15)))
    if variant in ("returned", "under_review", "in_execution"):
        script.at(d(2, 26), _step(session, PLANS, plan, "start_review", cast.reviewer, d(2, 26)))
    if variant == "returned":
        script.at(d(3, 12), _step(session, PLANS, plan, "return_plan", cast.reviewer, d(3, 12),
                                  reason=OTHER_REASON))  # fmt: skip
    if variant == "in_execution":
        letter = _letter(rules, 12345 + 111 * (k + 1))
        script.at(d(3, 18), _approve(session, cast, letter, d(3, 18)))
        script.at(d(4, 1), _step(session, PLANS, plan, "start_execution", cast.supervisor,
                                 d(4, 1)))  # fmt: skip
    _purchase_beats(session, script, cast, picks, OTHER_TIMELINES, rules)
