"""Every lifecycle the workflow service knows, by item type."""

from model.plans import BUDGET_CHANGES, PLANS
from model.purchases import PURCHASES
from model.reimbursements import REIMBURSEMENTS
from model.workflow import Lifecycle
from states.values import ItemType

LIFECYCLES: dict[ItemType, Lifecycle] = {
    ItemType.purchase: PURCHASES,
    ItemType.plan: PLANS,
    ItemType.budget_change: BUDGET_CHANGES,
    ItemType.reimbursement: REIMBURSEMENTS,
}
