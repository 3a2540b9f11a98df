"""縣市實施計畫 and its budget changes in the workflow service: the guards' facts, the
draft edits, and what approving writes."""

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from model.seed import ensure_year
from model.tables import BudgetChange, BudgetLine, County, Plan, Reimbursement, User
from rules import YearRules, load_rules
from states import budget_change as change_states
from states import plan as plan_states
from states.budget_change import BudgetChangeContext, BudgetChangeMachine
from states.errors import Refusal, TransitionRefused
from states.plan import LineFacts, PlanContext, PlanMachine
from states.steps import access_refusals, run_guards
from states.values import BudgetChangeState, BudgetItem, ItemType
from vocab.display import roc_date
from workflow.plan_estimate import (
    ESTIMATE_INPUTS,
    county_estimate,
    county_plan,
    per_head_rate,
    school_facts,
)
from workflow.service import (
    Lifecycle,
    actor_of,
    advance,
    column_values,
    load_item,
    log_creation,
    raise_conflict,
)
from workflow.targets_progress import open_plan_milestones


# ------------------------------------------------------------------ plan facts
def line_facts(session: Session, plan_id: int) -> tuple[LineFacts, ...]:
    rows = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
    return tuple(
        LineFacts(
            str(r.item),
            r.estimate,
            r.recurrent,
            r.capital,
            r.explanation,
            r.person_months,
            r.monthly_rate,
        )
        for r in rows
    )


def plan_context(session, row: Plan, step, evidence, rules: YearRules, today: date):
    county = session.get(County, row.county_id)
    est, _ = county_estimate(session, county, rules)
    return PlanContext(
        rules=rules,
        today=today,
        sections=dict(row.sections),
        schools=tuple(school_facts(session, row.county_id, row.year)),
        lines=line_facts(session, row.id),
        estimate=dict(est.items),
        targets=dict(row.targets),
        evidence=evidence,
        inputs=dict(row.inputs),
    )


def record_plan(session, row: Plan, step, evidence, rules: YearRules, today: date) -> None:
    if step.event in ("submit", "resubmit"):
        row.submitted_on = today
    elif step.event == "approve":
        row.letter_no = evidence.letter_no
        row.approved_on = evidence.approved_on or today


def open_milestones(session, row: Plan, kind: str, rules: YearRules, today: date):
    if kind != plan_states.PLAN_MILESTONES:
        return []
    return [column_values(m) for m in open_plan_milestones(session, row, rules, today)]


class Plans(Lifecycle):
    item_type = ItemType.plan
    label = "縣市實施計畫"
    table = Plan
    machine = PlanMachine
    steps = plan_states.STEPS
    context = staticmethod(plan_context)
    record = staticmethod(record_plan)
    open_milestones = staticmethod(open_milestones)


PLANS = Plans()


# ------------------------------------------------------------------ create and edit
def create_plan(session: Session, user: User, county_id: int, year: int) -> Plan:
    """A county's plan for the year, in 草稿; one per county and year."""
    refusals = access_refusals(plan_states.CREATE, actor_of(user), county_id)
    existing = county_plan(session, county_id, year)
    if existing is not None:
        refusals.append(
            Refusal(
                "plan.exists",
                f"本縣市 {year} 年度的縣市實施計畫已經建立（#{existing.id}），請直接編修該計畫。",
            )
        )
    if refusals:
        raise TransitionRefused(refusals)
    ensure_year(session, year)
    row = Plan(county_id=county_id, year=year)
    session.add(row)
    session.flush()
    log_creation(session, PLANS, row, user)
    session.flush()
    return row


def update_plan_draft(
    session: Session,
    user: User,
    plan_id: int,
    *,
    sections: dict[str, Any] | None = None,
    targets: dict[str, Any] | None = None,
    lines: dict[str, dict[str, Any]] | None = None,
    inputs: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Plan:
    """Store what the county typed; the estimate column is refreshed from the school list.

    Only a draft or a returned plan can be edited, by the county's own people.
    """
    row = load_item(session, PLANS, plan_id)
    if expected_version is not None and row.version != expected_version:
        raise_conflict(PLANS, row)
    refusals = access_refusals(plan_states.EDIT, actor_of(user), row.county_id)
    if row.status not in plan_states.EDITABLE_STATES:
        refusals.append(
            Refusal(
                "plan.locked",
                f"計畫目前為「{PLANS.state_label(row.status)}」，"
                "只有草稿或退回修正中的計畫可以編修。",
            )
        )
    refusals += plan_states.draft_problems(sections, targets, lines, inputs, ESTIMATE_INPUTS)
    if refusals:
        raise TransitionRefused(refusals)
    # New dicts, not in-place edits, so that the JSON columns are seen as changed.
    if sections:
        row.sections = {**row.sections, **sections}
    if targets:
        row.targets = {**row.targets, **targets}
    if inputs:
        row.inputs = {**row.inputs, **inputs}
    _store_lines(session, row, lines or {})
    session.flush()
    return row


def _store_lines(session: Session, row: Plan, lines: dict[str, dict[str, Any]]) -> None:
    existing = {
        str(line.item): line
        for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == row.id))
    }
    for item, fields in lines.items():
        line = existing.setdefault(item, BudgetLine(plan_id=row.id, item=BudgetItem(item)))
        for name, value in fields.items():
            setattr(line, name, value.strip() if isinstance(value, str) else value)
        session.add(line)
    session.flush()  # the estimate below reads the plan's inputs back from the database
    rules = load_rules(row.year)
    est, _ = county_estimate(session, session.get(County, row.county_id), rules)
    # Kept beside the county's inputs: the ministry's figure this estimate was made with.
    # Never read back as an input (workflow/plan_estimate.py), so the county cannot set it.
    row.inputs = {**row.inputs, plan_states.MINISTRY_INPUT: per_head_rate(session, rules)}
    for item, line in existing.items():
        line.estimate = est.items.get(item, 0)


def approve_plan(
    session: Session,
    user: User,
    plan_id: int,
    letter_no: str,
    *,
    approved_on: date | None = None,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
):
    """核定: the letter number goes on the plan, the log row and the guard's evidence."""
    evidence = {"letter_no": letter_no}
    if approved_on is not None:
        evidence["approved_on"] = approved_on
    return advance(
        session,
        PLANS,
        plan_id,
        "approve",
        user,
        evidence=evidence,
        reason=reason,
        letter_no=letter_no.strip() or None,
        expected_version=expected_version,
        today=today,
    )


# ------------------------------------------------------------------ budget changes
def _plan_of(session: Session, change: BudgetChange) -> Plan:
    return session.get(Plan, change.plan_id)


def _other_pending(session: Session, plan_id: int, change_id: int | None) -> int:
    query = select(func.count()).where(
        BudgetChange.plan_id == plan_id, BudgetChange.status == BudgetChangeState.requested
    )
    if change_id is not None:
        query = query.where(BudgetChange.id != change_id)
    return session.exec(query.select_from(BudgetChange)).one()


def _settlement_status(session: Session, plan_id: int) -> str | None:
    status = session.exec(select(Reimbursement.status).where(Reimbursement.plan_id == plan_id))
    return status.first()


def _change_context(session, plan: Plan, proposed, change_id, evidence, rules) -> Any:
    return BudgetChangeContext(
        rules=rules,
        plan_status=str(plan.status),
        current=line_facts(session, plan.id),
        proposed=proposed,
        other_pending=_other_pending(session, plan.id, change_id),
        settlement_status=_settlement_status(session, plan.id),
        evidence=evidence,
    )


def change_context(session, row: BudgetChange, step, evidence, rules: YearRules, today: date):
    return _change_context(session, _plan_of(session, row), row.lines, row.id, evidence, rules)


def record_change(session, row: BudgetChange, step, evidence, rules: YearRules, today: date):
    row.letter_no = evidence.letter_no
    if step.event != "approve_change":
        return
    lines = {
        str(line.item): line
        for line in session.exec(select(BudgetLine).where(BudgetLine.plan_id == row.plan_id))
    }
    row.previous = {
        item: {name: getattr(line, name) for name in row.lines[item]}
        for item, line in lines.items()
        if item in row.lines
    }
    # The approved change is the explanation of the line's new difference from the estimate.
    note = f"依{roc_date(decided_on(evidence, today), long=True)}{row.letter_no or ''}核定經費流用/變更：{row.reason}"
    for item, parts in row.lines.items():
        line = lines.get(item) or BudgetLine(plan_id=row.plan_id, item=BudgetItem(item))
        for name, value in parts.items():  # the two amounts, and a PI line's staffing
            setattr(line, name, value)
        line.explanation = f"{line.explanation}\n{note}".strip()
        session.add(line)


def decided_on(evidence, today: date) -> date:
    return getattr(evidence, "decided_on", None) or today


class BudgetChanges(Lifecycle):
    item_type = ItemType.budget_change
    label = "經費流用/變更"
    table = BudgetChange
    machine = BudgetChangeMachine
    steps = change_states.STEPS
    context = staticmethod(change_context)
    record = staticmethod(record_change)

    @staticmethod
    def open_milestones(session, row, kind, rules, today) -> list:
        return []  # a budget change opens no milestone


BUDGET_CHANGES = BudgetChanges()


def request_budget_change(
    session: Session,
    user: User,
    plan_id: int,
    lines: dict[str, dict[str, int]],
    reason: str,
    *,
    today: date | None = None,
) -> BudgetChange:
    """The county supervisor asks the ministry to approve new amounts for some lines."""
    plan = load_item(session, PLANS, plan_id)
    rules = load_rules(plan.year)
    refusals = access_refusals(change_states.REQUEST, actor_of(user), plan.county_id)
    if not reason.strip():
        refusals.append(Refusal("transition.reason", "申請經費流用/變更須說明理由。"))
    ctx = _change_context(session, plan, lines, None, None, rules)
    refusals += run_guards(change_states.REQUEST_GUARDS, ctx)
    if refusals:
        raise TransitionRefused(refusals)
    fields = (*change_states.PARTS, *change_states.STAFFING)
    stored = {
        str(item): {p: parts[p] for p in fields if p in parts} for item, parts in lines.items()
    }
    row = BudgetChange(
        plan_id=plan.id,
        county_id=plan.county_id,
        year=plan.year,
        lines=stored,
        reason=reason.strip(),
    )
    session.add(row)
    session.flush()
    log_creation(session, BUDGET_CHANGES, row, user, reason.strip())
    session.flush()
    return row


def decide_budget_change(
    session: Session,
    user: User,
    change_id: int,
    *,
    approve: bool,
    letter_no: str,
    reason: str = "",
    decided_on: date | None = None,
    expected_version: int | None = None,
    today: date | None = None,
):
    """核定 (the new amounts replace the plan's lines) or 駁回 (nothing but the status)."""
    evidence: dict[str, Any] = {"letter_no": letter_no}
    if decided_on is not None:
        evidence["decided_on"] = decided_on
    return advance(
        session,
        BUDGET_CHANGES,
        change_id,
        "approve_change" if approve else "reject_change",
        user,
        evidence=evidence,
        reason=reason,
        letter_no=letter_no.strip() or None,
        expected_version=expected_version,
        today=today,
    )
