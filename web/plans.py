"""The plan as the plan pages read it: the plan a person may see and its budget lines."""

from sqlmodel import Session, select

from model.tables import BudgetLine, Plan, User
from states.values import ItemType
from web.access import lifecycle_for, visible_item


def visible_plan(db: Session, user: User, plan_id: int) -> Plan:
    """The plan, or 404/403 as for any item this person may not see."""
    return visible_item(db, user, lifecycle_for(ItemType.plan), plan_id)


def budget_lines(db: Session, plan: Plan) -> dict[str, BudgetLine]:
    """The plan's budget lines by item key."""
    rows = db.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
    return {str(r.item): r for r in rows}
