"""The compliance rules of the daily sweep, each one SQL query over a whole year.

A check is a SELECT of the subjects that break its rule today, with the columns their
finding's message needs. The sweep compares it with the rule's findings as a set: only
the subjects without an open finding come back to Python, and the findings whose subject
no longer breaks the rule are resolved in the database. Statuses are compared as stored
strings, so these checks do not depend on the lifecycle machines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_
from sqlmodel import col, select

from flows.jobs.context import CountyGroup, JobContext
from model.tables import BudgetLine, Milestone, Plan, Purchase, Reimbursement
from notifications.render import item_url
from rules.budget import BP
from states.plan import UNEXPLAINED_DIFFERENCE, unexplained_sentence
from states.reimbursement import SETTLEMENT_NOT_SUBMITTED
from states.values import ItemType, PlanState, PurchaseState
from vocab.display import ntd, roc_date
from vocab.milestone_kinds import PLAN_SUBMISSION
from workflow.school_targets import device_rows, workshop_rows
from workflow.targets_progress import year_end

PLAN_SUBMIT_KIND = PLAN_SUBMISSION

RULE_TITLES = {
    "plan.not_submitted": "實施計畫逾期未提報",
    "purchase.disbursement_due_soon": "軟體採購經費請撥期限將至",
    "purchase.disbursement_overdue": "軟體採購逾期未完成經費請撥",
    "milestone.overdue": "事項逾期未完成",
    UNEXPLAINED_DIFFERENCE: "經費申請數與預估數不同且未說明",
    "reimbursement.settlement_overdue": "經費逾期未結報",
    "workshop.schools_short": "學校數位學習工作坊(一)(二)累計培訓教師數未達編制教師總數",
    "devices.schools_short": "學校學習載具未達配發標準",
}

# Findings filed outside the per-county checks: the audit log's chain (flows/jobs/audit.py).
AUDIT_RULE = "audit.chain_broken"
OTHER_TITLES = {AUDIT_RULE: "異動紀錄雜湊鏈不符（紀錄疑遭竄改）"}


def rule_title(rule_id: str) -> str:
    return RULE_TITLES.get(rule_id) or OTHER_TITLES.get(rule_id, rule_id)


UNSUBMITTED_PLANS = (PlanState.draft, PlanState.returned)
PURCHASE_DONE = (
    PurchaseState.disbursement_requested,
    PurchaseState.closed,
    PurchaseState.cancelled,
)
STATUS_WORDS = {PlanState.draft: "草稿", PlanState.returned: "退回修正"}


@dataclass(frozen=True)
class Hit:
    rule_id: str
    county_id: int
    county: str
    subject_type: str
    subject_id: int
    message: str
    url: str
    owner_id: int | None = None
    amount: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.rule_id, self.subject_type, self.subject_id)


@dataclass(frozen=True)
class Check:
    """One rule of one year today: `rows` selects the subjects that break it, keyed by
    `subject_id`, and `hit` turns one of its rows into a Hit, given the counties' names.

    The names come from a dict, not a join: a join is made for every row the check reads,
    most of which the sweep does not return (and it led SQLite to read purchases county
    by county, four times slower)."""

    rule_id: str
    subject_type: str
    subject_id: ColumnElement[int]
    rows: Select
    hit: Callable[[Any, Mapping[int, str]], Hit]


def past_due(ctx: JobContext, group: CountyGroup) -> ColumnElement[bool]:
    """A milestone whose deadline has passed on the context's day, in the calendar of its
    county's group: a deadline that rolls (行政程序法 §48) is past once a working day has
    passed since it, so one on a day the county was closed is not yet late."""
    m = Milestone
    plain = m.due_on < ctx.as_of
    if not ctx.rolling_kinds:
        return plain
    kinds = sorted(ctx.rolling_kinds)
    rolled = m.due_on <= group.calendar.last_working_day_before(ctx.as_of)
    return or_(and_(col(m.kind).in_(kinds), rolled), and_(col(m.kind).not_in(kinds), plain))


def plans_not_submitted(ctx: JobContext) -> list[Check]:
    return [_plans_not_submitted(ctx, group) for group in ctx.groups]


def _plans_not_submitted(ctx: JobContext, group: CountyGroup) -> Check:
    due = (
        select(Milestone.county_id, func.min(Milestone.due_on).label("due_on"))
        .where(
            Milestone.kind == PLAN_SUBMIT_KIND,
            Milestone.year == ctx.year,
            col(Milestone.done_on).is_(None),
            group.where(Milestone.county_id),
            # The earliest open due date is past exactly when one of them is; this bound
            # lets the open-due index skip the milestones not yet due.
            Milestone.due_on < ctx.as_of,
            past_due(ctx, group),
        )
        .group_by(Milestone.county_id)
        .subquery()
    )
    rows = (
        select(Plan.id, Plan.county_id, Plan.status, due.c.due_on)
        .join(due, due.c.county_id == Plan.county_id)
        .where(
            Plan.year == ctx.year,
            col(Plan.status).in_(UNSUBMITTED_PLANS),
        )
    )

    def hit(row, counties: Mapping[int, str]) -> Hit:
        plan_id, county_id, status, due_on = row
        county = counties[county_id]
        return Hit("plan.not_submitted", county_id, county, ItemType.plan.value, plan_id,
                   f"{county}實施計畫仍為「{STATUS_WORDS[PlanState(status)]}」，"
                   f"提報期限 {roc_date(due_on)} 已過",
                   item_url(ctx.base_url, ItemType.plan.value, plan_id))  # fmt: skip

    return Check("plan.not_submitted", ItemType.plan.value, col(Plan.id), rows, hit)


def purchases_not_disbursed(ctx: JobContext) -> list[Check]:
    return [c for group in ctx.groups if (c := _purchases_not_disbursed(ctx, group))]


def _purchases_not_disbursed(ctx: JobContext, group: CountyGroup) -> Check | None:
    rule = ctx.rules.software.disbursement_deadline
    cal = group.calendar
    deadline = cal.deadline(rule.date, rule.roll_to_working_day)
    horizon = max(ctx.rules.reminders.offsets_working_days)
    if ctx.as_of > deadline:
        rule_id, state = "purchase.disbursement_overdue", "已逾期"
    elif cal.working_days_between(ctx.as_of, deadline) <= horizon:
        rule_id, state = "purchase.disbursement_due_soon", "將至"
    else:
        return None
    rows = (
        select(Purchase.id, Purchase.county_id, Purchase.title, Purchase.amount,
               Purchase.owner_id)
        .where(Purchase.year == ctx.year, col(Purchase.status).not_in(PURCHASE_DONE),
               group.where(Purchase.county_id))
    )  # fmt: skip

    def hit(row, counties: Mapping[int, str]) -> Hit:
        pid, county_id, title, amount, owner_id = row
        return Hit(rule_id, county_id, counties[county_id], ItemType.purchase.value, pid,
                   f"「{title}」（{ntd(amount)}）尚未完成經費請撥，期限 {roc_date(deadline)} {state}",
                   item_url(ctx.base_url, ItemType.purchase.value, pid), owner_id, amount)  # fmt: skip

    return Check(rule_id, ItemType.purchase.value, col(Purchase.id), rows, hit)


def milestones_overdue(ctx: JobContext) -> list[Check]:
    return [_milestones_overdue(ctx, group) for group in ctx.groups]


def _milestones_overdue(ctx: JobContext, group: CountyGroup) -> Check:
    m = Milestone
    rows = (
        select(m.id, m.county_id, m.title, m.due_on, m.subject_type, m.subject_id, m.owner_id)
        .where(m.year == ctx.year, col(m.done_on).is_(None), m.due_on < ctx.as_of,
               group.where(m.county_id), past_due(ctx, group))
    )  # fmt: skip

    def hit(row, counties: Mapping[int, str]) -> Hit:
        mid, county_id, title, due_on, subject_type, subject_id, owner_id = row
        return Hit("milestone.overdue", county_id, counties[county_id], "milestone", mid,
                   f"「{title}」期限 {roc_date(due_on)} 已過，尚未完成",
                   item_url(ctx.base_url, subject_type, subject_id), owner_id)  # fmt: skip

    return Check("milestone.overdue", "milestone", col(m.id), rows, hit)


def unexplained_differences(ctx: JobContext) -> list[Check]:
    line = BudgetLine
    rows = (
        select(line.id, line.plan_id, line.item,
               (line.recurrent + line.capital).label("requested"), line.estimate, Plan.county_id)
        .join(Plan, Plan.id == line.plan_id)
        .where(
            Plan.year == ctx.year,
            Plan.status != PlanState.closed,
            line.recurrent + line.capital != line.estimate,
            func.trim(line.explanation) == "",
        )
    )  # fmt: skip

    def hit(row, counties: Mapping[int, str]) -> Hit:
        line_id, plan_id, item, requested, estimate, county_id = row
        return Hit(UNEXPLAINED_DIFFERENCE, county_id, counties[county_id], "budget_line",
                   line_id, unexplained_sentence([(item, requested, estimate)]),
                   item_url(ctx.base_url, ItemType.plan.value, plan_id), None, requested)  # fmt: skip

    return [Check(UNEXPLAINED_DIFFERENCE, "budget_line", col(line.id), rows, hit)]


def settlements_overdue(ctx: JobContext) -> list[Check]:
    return [c for group in ctx.groups if (c := _settlements_overdue(ctx, group))]


def _settlements_overdue(ctx: JobContext, group: CountyGroup) -> Check | None:
    rule = ctx.rules.settlement
    due = group.calendar.deadline(rule.date, rule.roll_to_working_day)
    if ctx.as_of <= due:
        return None
    rows = select(Reimbursement.id, Reimbursement.county_id, Reimbursement.subsidy).where(
        Reimbursement.year == ctx.year,
        col(Reimbursement.status).in_(SETTLEMENT_NOT_SUBMITTED),
        group.where(Reimbursement.county_id),
    )

    def hit(row, counties: Mapping[int, str]) -> Hit:
        rid, county_id, subsidy = row
        county = counties[county_id]
        return Hit("reimbursement.settlement_overdue", county_id, county,
                   ItemType.reimbursement.value, rid,
                   f"{county}{ctx.year}年度經費尚未提出結報，期限 {roc_date(due)} 已過",
                   item_url(ctx.base_url, ItemType.reimbursement.value, rid), None, subsidy)  # fmt: skip

    return Check("reimbursement.settlement_overdue", ItemType.reimbursement.value,
                 col(Reimbursement.id), rows, hit)  # fmt: skip


# ------------------------------------------------------------------ per-school targets
COUNTY_SUBJECT = "county"
NAMES_SHOWN = 20  # of a county's schools in one finding; the page lists them all


def school_targets_url(base_url: str, county_id: int) -> str:
    return f"{base_url.rstrip('/')}/targets/schools?county_id={county_id}"


def _names(joined: str) -> str:
    names = sorted(joined.split("\n"))
    shown = "、".join(names[:NAMES_SHOWN])
    return shown if len(names) <= NAMES_SHOWN else f"{shown}等 {len(names):,} 校"


def _short_schools(ctx: JobContext, rule_id: str, per_school, short, what: str) -> list[Check]:
    """One finding per county listing its schools short of a per-school target. Both
    targets are the year's (「113 年累計」; 貳 for the year), so they fall due with the
    year's other targets on 12-31, not before."""
    if ctx.as_of <= year_end(ctx.rules):
        return []
    # Grouped in a subquery: the sweep joins findings to `rows` and adds their columns.
    grouped = (
        select(per_school.c.county_id, func.count().label("schools"),
               func.aggregate_strings(per_school.c.name, "\n").label("names"))
        .where(short)
        .group_by(per_school.c.county_id)
        .subquery()
    )  # fmt: skip
    rows = select(grouped.c.county_id, grouped.c.schools, grouped.c.names)

    def hit(row, counties: Mapping[int, str]) -> Hit:
        county_id, n, names = row
        county = counties[county_id]
        return Hit(rule_id, county_id, county, COUNTY_SUBJECT, county_id,
                   f"{county}尚有 {n:,} 校{what}：{_names(names)}",
                   school_targets_url(ctx.base_url, county_id))  # fmt: skip

    return [Check(rule_id, COUNTY_SUBJECT, grouped.c.county_id, rows, hit)]


def workshop_schools_short(ctx: JobContext) -> list[Check]:
    """伍、三、(三)2.(2)「每校…累計培訓教師數須達編制教師總數 100%」: short when
    (baseline + this year) / 編制 < the rate, compared exactly as integers."""
    w = workshop_rows(ctx.year).subquery()
    short = (
        w.c.baseline + w.c.trained
    ) * BP < w.c.teachers * ctx.rules.targets.workshop_teachers_bp
    return _short_schools(ctx, "workshop.schools_short", w, short,
                          "數位學習工作坊(一)(二)累計培訓教師數未達編制教師總數")  # fmt: skip


def devices_schools_short(ctx: JobContext) -> list[Check]:
    """貳、二, the same comparison as rules.school_targets.devices_needed in integers:
    偏遠 devices < persons × per person; else sets < ceil(classes / 6) ⇔ sets × 6 < classes
    (floor: (sets + 1) × 6 ≤ classes)."""
    d = ctx.rules.targets.devices
    r = device_rows(ctx.year).subquery()
    devices, sets = func.coalesce(r.c.devices, 0), func.coalesce(r.c.class_sets, 0)
    persons = r.c.students + (r.c.teachers if d.remote_includes_teachers else 0)
    per_set = d.classes_per_class_set
    sets_short = (
        sets * per_set < r.c.classes
        if d.class_set_rounding == "ceil"
        else (sets + 1) * per_set <= r.c.classes
    )
    short = or_(
        and_(r.c.remote, devices < persons * d.remote_devices_per_person),
        and_(not_(r.c.remote), sets_short),
    )
    return _short_schools(ctx, "devices.schools_short", r, short, "學習載具未達配發標準")


CHECKS = (
    plans_not_submitted,
    purchases_not_disbursed,
    milestones_overdue,
    unexplained_differences,
    settlements_overdue,
    workshop_schools_short,
    devices_schools_short,
)


def checks(ctx: JobContext) -> list[Check]:
    """Every rule's check for one programme year on the context's day."""
    return [check for make in CHECKS for check in make(ctx)]
