"""Every lifecycle the workflow service knows, by item type."""

from states.values import ItemType
from workflow.plans import BUDGET_CHANGES, PLANS
from workflow.purchases import PURCHASES
from workflow.reimbursements import REIMBURSEMENTS
from workflow.service import Lifecycle

LIFECYCLES: dict[ItemType, Lifecycle] = {
    ItemType.purchase: PURCHASES,
    ItemType.plan: PLANS,
    ItemType.budget_change: BUDGET_CHANGES,
    ItemType.reimbursement: REIMBURSEMENTS,
}
