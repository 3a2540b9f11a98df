"""Reimbursements in the workflow service: creating them, their guards' facts, what they store.

The row keeps A, B, C and E in its columns; its evidence keeps the tranches, the
per-item actual spending and, once settled, the 收支結算表 (A…G).

A and B follow the plan: until the settlement is approved they are read from the plan's
budget lines as they stand (an approved 經費變更 rewrites them) and copied into the
columns on every transition; from then on the approved 收支結算表 fixes them.
"""

from datetime import date

from sqlmodel import Session, select

from model.tables import BudgetLine, Milestone, Plan, Reimbursement, User
from rules import WorkCalendar, YearRules, load_rules
from rules.settlement import BP, Statement, statement, statement_from_dict
from states.errors import Refusal, TransitionRefused, UnknownItem
from states.plan import APPROVED_STATES
from states.reimbursement import (
    CREATE,
    SETTLEMENT_MILESTONE,
    STEPS,
    ApprovedLine,
    ReimbursementContext,
    ReimbursementMachine,
)
from states.steps import access_refusals
from states.values import ItemType
from workflow.service import Lifecycle, actor_of, log_creation


def settlement_due(rules: YearRules) -> date:
    """結報期限: the rules' date, moved to the next working day when the rules say so."""
    cal = WorkCalendar.from_rules(rules)
    return cal.deadline(rules.settlement.date, rules.settlement.roll_to_working_day)


def approved_lines(session: Session, plan_id: int) -> dict[str, ApprovedLine]:
    """The plan's budget lines as they stand now: an approved 經費變更 is what counts."""
    lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
    return {str(line.item): ApprovedLine(line.recurrent, line.capital) for line in lines}


def subsidy_of(plan_amount: int, rules: YearRules) -> int:
    # Floored: the ministry never subsidises a fraction of a 元 it did not approve.
    return plan_amount * rules.facts.subsidy_ratio_bp // BP


def _settled_figures(row: Reimbursement) -> Statement | None:
    figures = row.evidence.get("statement")
    return statement_from_dict(figures) if figures else None


def plan_figures(
    session: Session, row: Reimbursement, rules: YearRules, lines=None
) -> tuple[int, int]:
    """A and B as they count now: the approved 收支結算表's once settled, else the plan's."""
    settled = _settled_figures(row)
    if settled is not None:
        return settled.A, settled.B
    lines = approved_lines(session, row.plan_id) if lines is None else lines
    total = sum(line.total for line in lines.values())
    return total, subsidy_of(total, rules)


def context(session, row: Reimbursement, step, evidence, rules: YearRules, today: date):
    lines = approved_lines(session, row.plan_id)
    plan_amount, subsidy = plan_figures(session, row, rules, lines)
    settled = _settled_figures(row)
    settled_on = row.evidence.get("settled_on")
    return ReimbursementContext(
        rules=rules,
        today=today,
        state=str(row.status),
        evidence=evidence,
        plan_amount=plan_amount,
        subsidy=subsidy,
        disbursed=row.disbursed,
        approved=lines,
        settlement_due=settlement_due(rules),
        to_return=settled.to_return if settled else 0,
        owed_to_county=settled.owed_to_county if settled else 0,
        settled_on=date.fromisoformat(settled_on) if settled_on else None,
    )


def record(session, row: Reimbursement, step, evidence, rules: YearRules, today: date) -> None:
    # First, while the row is unchanged (the query may autoflush), and so that the
    # statement below uses the plan as it stands.
    row.approved_amount, row.subsidy = plan_figures(session, row, rules)
    if step.event in ("disburse", "disburse_tranche", "disburse_final"):
        _record_tranche(row, step, evidence)
    if step.event in ("submit_settlement", "resubmit_settlement"):
        _record_spending(row, evidence)
        _close_plan_milestone(session, row, step, today)
    elif step.event == "settle":
        figures = statement(row.approved_amount, row.subsidy, row.disbursed, row.spent)
        row.evidence = {
            **row.evidence,
            "statement": figures.as_dict(),
            "settled_on": today.isoformat(),
            "settlement_letter_no": evidence.letter_no,
        }
        row.letter_no = evidence.letter_no
    elif step.event == "disburse_final":
        _restate(row)
    elif step.event == "return_balance":
        row.evidence = {**row.evidence, "balance_return": evidence.model_dump(mode="json")}


def _record_tranche(row: Reimbursement, step, evidence) -> None:
    tranche = {**evidence.model_dump(mode="json"), "event": step.event}
    row.evidence = {**row.evidence, "tranches": [*row.evidence.get("tranches", []), tranche]}
    row.disbursed += evidence.amount
    row.letter_no = evidence.letter_no


def _restate(row: Reimbursement) -> None:
    """The 收支結算表 after a payment made on it: C grows, what is owed shrinks.

    The figures the ministry approved stay beside it as settled_statement.
    """
    settled = _settled_figures(row)
    figures = statement(settled.A, settled.B, row.disbursed, settled.E)
    row.evidence = {
        **row.evidence,
        "settled_statement": row.evidence.get("settled_statement", row.evidence["statement"]),
        "statement": figures.as_dict(),
    }


def _record_spending(row: Reimbursement, evidence) -> None:
    # A resubmission replaces the whole report: the returned one no longer counts.
    spending = {
        item: {"recurrent": line.recurrent, "capital": line.capital}
        for item, line in evidence.spending.items()
    }
    row.spent = sum(line["recurrent"] + line["capital"] for line in spending.values())
    acquisitions = [thing.model_dump(mode="json") for thing in evidence.acquisitions]
    # As submitted, so the county and the reviewer read the same A–G before it is settled.
    submitted = statement(row.approved_amount, row.subsidy, row.disbursed, row.spent)
    row.evidence = {
        **row.evidence,
        "spending": spending,
        "report_ref": evidence.report_ref,
        "acquisitions": acquisitions,
        "submitted_statement": submitted.as_dict(),
    }


def _close_plan_milestone(session: Session, row: Reimbursement, step, today: date) -> None:
    # The county meets the 結報 deadline by submitting; how long the ministry then takes
    # to review is not the county's lateness. The deadline belongs to the plan (the demo
    # and create_reimbursement both file it there), so the service's own closing, which
    # looks at the reimbursement, misses it. A resubmission leaves an earlier date be.
    for milestone in _plan_milestones(session, row.plan_id):
        if milestone.done_on is None:
            milestone.done_on = today
            milestone.evidence = {**milestone.evidence, "closed_by": step.event}


def _plan_milestones(session: Session, plan_id: int) -> list[Milestone]:
    query = select(Milestone).where(
        Milestone.kind == SETTLEMENT_MILESTONE,
        Milestone.subject_type == ItemType.plan,
        Milestone.subject_id == plan_id,
    )
    # Not mid-transition: an autoflush here would write the row twice (two versions).
    with session.no_autoflush:
        return list(session.exec(query))


def open_milestones(session, row: Reimbursement, kind: str, rules: YearRules, today: date):
    # No transition opens a milestone: the deadline is opened once, at creation.
    return []


class Reimbursements(Lifecycle):
    item_type = ItemType.reimbursement
    label = "經費請撥結報"
    table = Reimbursement
    machine = ReimbursementMachine
    steps = STEPS
    context = staticmethod(context)
    record = staticmethod(record)
    open_milestones = staticmethod(open_milestones)


REIMBURSEMENTS = Reimbursements()


# ------------------------------------------------------------------ creation
def _creation_refusals(session: Session, user: User, plan: Plan, total: int) -> list[Refusal]:
    out = access_refusals(CREATE, actor_of(user), plan.county_id)
    if plan.status not in APPROVED_STATES:
        out.append(
            Refusal("reimbursement.plan_approved", "縣市實施計畫尚未核定，不得申請經費請撥。")
        )
    existing = session.exec(
        select(Reimbursement.id).where(Reimbursement.plan_id == plan.id)
    ).first()
    if existing is not None:
        out.append(
            Refusal(
                "reimbursement.one_per_plan",
                f"此計畫已有經費請撥結報（#{existing}），每個計畫只能有一筆。",
            )
        )
    if total == 0:
        out.append(Refusal("reimbursement.amounts", "計畫核定經費為 0 元，沒有可請撥的經費。"))
    return out


def _open_settlement_milestone(
    session: Session, row: Reimbursement, plan: Plan, user: User, rules: YearRules
) -> None:
    # The demo (or an earlier run) may already have filed the plan's deadline: keep it.
    if _plan_milestones(session, plan.id):
        return
    session.add(
        Milestone(
            county_id=row.county_id,
            year=row.year,
            kind=SETTLEMENT_MILESTONE,
            title=f"{row.year}年度經費結報",
            subject_type=ItemType.plan,
            subject_id=plan.id,
            owner_id=user.id,
            due_on=settlement_due(rules),
        )
    )


def create_reimbursement(session: Session, user: User, plan_id: int) -> Reimbursement:
    """The reimbursement of an approved plan, in 已申請請撥, opening the 結報 deadline.

    A is the plan's approved total (every line's 經常門 + 資本門); B = A × the year's
    subsidy ratio, which for 113 is 全額補助 (B = A).
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise UnknownItem(f"縣市實施計畫 #{plan_id}")
    total = sum(line.total for line in approved_lines(session, plan.id).values())
    refusals = _creation_refusals(session, user, plan, total)
    if refusals:
        raise TransitionRefused(refusals)
    rules = load_rules(plan.year)
    row = Reimbursement(
        county_id=plan.county_id,
        year=plan.year,
        plan_id=plan.id,
        approved_amount=total,
        subsidy=subsidy_of(total, rules),
    )
    session.add(row)
    session.flush()
    log_creation(session, REIMBURSEMENTS, row, user)
    _open_settlement_milestone(session, row, plan, user, rules)
    session.flush()
    return row
