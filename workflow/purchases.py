"""Software purchases in the workflow service: creating them, their guards' facts."""

from datetime import date

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from model.seed import ensure_year
from model.tables import BudgetLine, Closure, County, Milestone, Plan, Product, Purchase, User
from rules import WorkCalendar, YearRules
from states.errors import Refusal, TransitionRefused
from states.plain_text import text_problem
from states.plan import APPROVED_STATES
from states.purchase import (
    CREATE,
    DISBURSEMENT_MILESTONE,
    STEPS,
    ProductFacts,
    PurchaseContext,
    PurchaseMachine,
)
from states.steps import access_refusals
from states.values import BudgetItem, ItemType, PurchaseState
from workflow.plan_estimate import county_plan
from workflow.service import Lifecycle, actor_of, log_creation


def _product(session: Session, row: Purchase, serial: str | None) -> ProductFacts | None:
    query = select(Product).where(Product.year == row.year)
    query = (
        query.where(Product.serial == serial)
        if serial
        else query.where(Product.id == row.product_id)
    )
    product = session.exec(query).first()
    if product is None:
        return None
    return ProductFacts(product.serial, product.name, product.needs_data_clause)


def _content_line(session: Session, plan: Plan | None) -> int:
    if plan is None:
        return 0
    line = session.exec(
        select(BudgetLine).where(
            BudgetLine.plan_id == plan.id, BudgetLine.item == BudgetItem.digital_content
        )
    ).first()
    return line.requested if line else 0


def _contracted_elsewhere(session: Session, row: Purchase) -> int:
    done = (PurchaseState.contracted, PurchaseState.disbursement_requested, PurchaseState.closed)
    total = session.exec(
        select(func.coalesce(func.sum(Purchase.amount), 0)).where(
            Purchase.county_id == row.county_id,
            Purchase.year == row.year,
            Purchase.id != row.id,
            Purchase.status.in_(done),
        )
    ).one()
    return int(total)


def context(session, row: Purchase, step, evidence, rules: YearRules, today: date):
    # A fact is looked up only for a step whose guards read it (states.steps.rule): the
    # line's money is a sum over the county's purchases, which grows with every year kept,
    # and the plan and product are two more queries most steps do not need.
    reads = step.reads
    needs_plan = "plan_approved" in reads or "content_line" in reads
    plan = county_plan(session, row.county_id, row.year) if needs_plan else None
    serial = getattr(evidence, "product_serial", None)
    return PurchaseContext(
        rules=rules,
        today=today,
        evidence=evidence,
        product=_product(session, row, serial) if "product" in reads else None,
        plan_approved=plan is not None and plan.status in APPROVED_STATES,
        content_line=_content_line(session, plan) if "content_line" in reads else 0,
        contracted_elsewhere=(
            _contracted_elsewhere(session, row) if "contracted_elsewhere" in reads else 0
        ),
        contract_amount=row.amount,
        county=_county_name(session, row, rules) if "county" in reads else "",
    )


def _county_name(session: Session, row: Purchase, rules: YearRules) -> str:
    # Only a county with its own 小額採購 cap needs its name looked up.
    if not rules.procurement.county_small_purchase_max:
        return ""
    return session.get(County, row.county_id).name


def disbursement_deadline(session: Session, row: Purchase, rules: YearRules) -> date:
    """The date a request is late after: as written, or rolled past holidays and the
    closures (停班) of the whole country or the purchase's county when the rules say so."""
    rule = rules.software.disbursement_deadline
    if not rule.roll_to_working_day:
        return rule.date
    closures = session.exec(
        select(Closure.day).where(
            or_(col(Closure.county_id).is_(None), Closure.county_id == row.county_id)
        )
    ).all()
    return WorkCalendar.from_rules(rules, closures).deadline(rule.date, roll=True)


def record(session, row: Purchase, step, evidence, rules: YearRules, today: date) -> None:
    # The product and closure queries come before any change to the row: a query
    # autoflushes, and a row flushed twice would move its version by two in one transition.
    if step.event == "verify_product":
        product = session.exec(
            select(Product).where(
                Product.year == row.year, Product.serial == evidence.product_serial
            )
        ).one()
        row.product_id, row.amount = product.id, evidence.amount
    elif step.event == "contract":
        row.amount, row.award_date = evidence.amount, evidence.awarded_on
        row.procurement_amount = evidence.procurement_amount
    elif step.event == "request_disbursement":
        late = evidence.requested_on > disbursement_deadline(session, row, rules)
        row.disbursement_requested_on = evidence.requested_on
        # Late is allowed but never silent: the log and the sweep both see it.
        row.evidence = {**row.evidence, "late_request": late}
    if evidence is not None:
        row.evidence = {**row.evidence, step.event: evidence.model_dump(mode="json")}


_milestone = Milestone.__table__.c
# Core, built once: the ORM's per-query set-up cost more than this lookup by index.
_MILESTONE_OF = (
    select(_milestone.id)
    .where(
        _milestone.kind == bindparam("kind"),
        _milestone.subject_type == ItemType.purchase.value,
        _milestone.subject_id == bindparam("subject_id"),
    )
    .limit(1)
)


def open_milestones(session, row: Purchase, kind: str, rules: YearRules, today: date):
    if kind != DISBURSEMENT_MILESTONE:
        return []
    params = {"kind": kind, "subject_id": row.id}
    if session.connection().execute(_MILESTONE_OF, params).first() is not None:
        return []
    return [
        {
            "county_id": row.county_id,
            "year": row.year,
            "kind": kind,
            "title": f"軟體採購「{row.title}」完成經費請撥",
            "subject_type": ItemType.purchase,
            "subject_id": row.id,
            "owner_id": row.owner_id,
            "due_on": rules.software.disbursement_deadline.date,
            "evidence": {},
        }
    ]


class Purchases(Lifecycle):
    item_type = ItemType.purchase
    label = "軟體採購"
    table = Purchase
    machine = PurchaseMachine
    steps = STEPS
    context = staticmethod(context)
    record = staticmethod(record)
    open_milestones = staticmethod(open_milestones)


PURCHASES = Purchases()


def create_purchase(
    session: Session,
    user: User,
    *,
    title: str,
    year: int,
    county_id: int | None = None,
    amount: int = 0,
) -> Purchase:
    """A new purchase in 需求彙整中, owned by the person who opened it."""
    county_id = county_id if county_id is not None else user.county_id
    refusals = access_refusals(CREATE, actor_of(user), county_id)
    if not title.strip():
        refusals.append(Refusal("evidence.format", "請填寫採購名稱。"))
    elif problem := text_problem("採購名稱", title):
        refusals.append(Refusal("evidence.format", problem, "title"))
    if not isinstance(amount, int) or amount < 0:
        refusals.append(Refusal("evidence.format", "預估金額須為不小於 0 的整數（元）。"))
    if refusals:
        raise TransitionRefused(refusals)
    ensure_year(session, year)
    plan = county_plan(session, county_id, year)
    row = Purchase(
        county_id=county_id,
        year=year,
        title=title.strip(),
        amount=amount,
        owner_id=user.id,
        plan_id=plan.id if plan else None,
    )
    session.add(row)
    session.flush()
    log_creation(session, PURCHASES, row, user)
    session.flush()
    return row
