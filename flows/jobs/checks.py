"""The compliance rules of the daily sweep, each one SQL query over a whole year.

A check returns the subjects that break its rule today; the sweep turns them into
findings. Statuses are compared as stored strings, so these checks do not depend on the
lifecycle machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from flows.jobs.context import JobContext
from forms.display import ntd, roc_date
from forms.labels import ITEM_LABELS
from model.tables import BudgetLine, County, Milestone, Plan, Purchase, Reimbursement
from notifications.render import item_url
from states.values import ItemType, PlanState, PurchaseState, ReimbursementState

PLAN_SUBMIT_KIND = "plan.submit"  # until the rules carry the plan's own submission date

RULE_TITLES = {
    "plan.not_submitted": "實施計畫逾期未提報",
    "purchase.disbursement_due_soon": "軟體採購經費請撥期限將至",
    "purchase.disbursement_overdue": "軟體採購逾期未完成經費請撥",
    "milestone.overdue": "事項逾期未完成",
    "plan.unexplained_difference": "經費申請數與預估數不同且未說明",
    "reimbursement.settlement_overdue": "經費逾期未結報",
}

UNSUBMITTED_PLANS = (PlanState.draft, PlanState.returned)
PURCHASE_DONE = (
    PurchaseState.disbursement_requested,
    PurchaseState.closed,
    PurchaseState.cancelled,
)
# The county's duty is to submit the settlement; once submitted, the ministry holds it.
SETTLEMENT_NOT_SUBMITTED = (
    ReimbursementState.requested, ReimbursementState.disbursed, ReimbursementState.returned,
)  # fmt: skip
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


def plans_not_submitted(session: Session, ctx: JobContext) -> list[Hit]:
    due = (
        select(Milestone.county_id, func.min(Milestone.due_on).label("due_on"))
        .where(
            Milestone.kind == PLAN_SUBMIT_KIND,
            Milestone.year == ctx.year,
            col(Milestone.done_on).is_(None),
        )
        .group_by(Milestone.county_id)
        .subquery()
    )
    rows = session.exec(
        select(Plan.id, Plan.county_id, County.name, Plan.status, due.c.due_on)
        .join(due, due.c.county_id == Plan.county_id)
        .join(County, County.id == Plan.county_id)
        .where(
            Plan.year == ctx.year,
            col(Plan.status).in_(UNSUBMITTED_PLANS),
            due.c.due_on < ctx.as_of,
        )
    )
    return [
        Hit("plan.not_submitted", county_id, county, ItemType.plan.value, plan_id,
            f"{county}實施計畫仍為「{STATUS_WORDS[PlanState(status)]}」，"
            f"提報期限 {roc_date(due_on)} 已過",
            item_url(ctx.base_url, ItemType.plan.value, plan_id))
        for plan_id, county_id, county, status, due_on in rows
    ]  # fmt: skip


def purchases_not_disbursed(session: Session, ctx: JobContext) -> list[Hit]:
    rule = ctx.rules.software.disbursement_deadline
    deadline = ctx.calendar.deadline(rule.date, rule.roll_to_working_day)
    horizon = max(ctx.rules.reminders.offsets_working_days)
    if ctx.as_of > deadline:
        rule_id, state = "purchase.disbursement_overdue", "已逾期"
    elif ctx.calendar.working_days_between(ctx.as_of, deadline) <= horizon:
        rule_id, state = "purchase.disbursement_due_soon", "將至"
    else:
        return []
    rows = session.exec(
        select(Purchase.id, Purchase.county_id, County.name, Purchase.title, Purchase.amount,
               Purchase.owner_id)
        .join(County, County.id == Purchase.county_id)
        .where(Purchase.year == ctx.year, col(Purchase.status).not_in(PURCHASE_DONE))
    )  # fmt: skip
    return [
        Hit(rule_id, county_id, county, ItemType.purchase.value, pid,
            f"「{title}」（{ntd(amount)}）尚未完成經費請撥，期限 {roc_date(deadline)} {state}",
            item_url(ctx.base_url, ItemType.purchase.value, pid), owner_id, amount)
        for pid, county_id, county, title, amount, owner_id in rows
    ]  # fmt: skip


def milestones_overdue(session: Session, ctx: JobContext) -> list[Hit]:
    m = Milestone
    # Columns, not Milestone objects: building ORM objects was most of the sweep's time.
    rows = session.exec(
        select(m.id, m.county_id, County.name, m.title, m.due_on, m.subject_type,
               m.subject_id, m.owner_id)
        .join(County, County.id == m.county_id)
        .where(m.year == ctx.year, col(m.done_on).is_(None), m.due_on < ctx.as_of)
    )  # fmt: skip
    return [
        Hit("milestone.overdue", county_id, county, "milestone", mid,
            f"「{title}」期限 {roc_date(due_on)} 已過，尚未完成",
            item_url(ctx.base_url, subject_type, subject_id), owner_id)
        for mid, county_id, county, title, due_on, subject_type, subject_id, owner_id in rows
    ]  # fmt: skip


def unexplained_differences(session: Session, ctx: JobContext) -> list[Hit]:
    line = BudgetLine
    rows = session.exec(
        select(line, Plan.county_id, County.name)
        .join(Plan, Plan.id == line.plan_id)
        .join(County, County.id == Plan.county_id)
        .where(
            Plan.year == ctx.year,
            Plan.status != PlanState.closed,
            line.recurrent + line.capital != line.estimate,
            func.trim(line.explanation) == "",
        )
    )
    return [
        Hit("plan.unexplained_difference", county_id, county, "budget_line", b.id,
            f"{ITEM_LABELS.get(b.item, b.item)}：申請 {ntd(b.requested)}，"
            f"預估 {ntd(b.estimate)}，未填差異說明",
            item_url(ctx.base_url, ItemType.plan.value, b.plan_id), None, b.requested)
        for b, county_id, county in rows
    ]  # fmt: skip


def settlements_overdue(session: Session, ctx: JobContext) -> list[Hit]:
    rule = ctx.rules.settlement
    due = ctx.calendar.deadline(rule.date, rule.roll_to_working_day)
    if ctx.as_of <= due:
        return []
    rows = session.exec(
        select(Reimbursement.id, Reimbursement.county_id, County.name, Reimbursement.subsidy)
        .join(County, County.id == Reimbursement.county_id)
        .where(
            Reimbursement.year == ctx.year,
            col(Reimbursement.status).in_(SETTLEMENT_NOT_SUBMITTED),
        )
    )
    return [
        Hit("reimbursement.settlement_overdue", county_id, county, ItemType.reimbursement.value,
            rid, f"{county}{ctx.year}年度經費尚未提出結報，期限 {roc_date(due)} 已過",
            item_url(ctx.base_url, ItemType.reimbursement.value, rid), None, subsidy)
        for rid, county_id, county, subsidy in rows
    ]  # fmt: skip


CHECKS = (
    plans_not_submitted,
    purchases_not_disbursed,
    milestones_overdue,
    unexplained_differences,
    settlements_overdue,
)
