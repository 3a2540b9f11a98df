"""Which steps are shown once more, on a confirmation page, before they are taken."""

from states.values import ItemType

# Steps that leave the county's hands, or hand money over: shown once more before they go.
CONFIRM_STEPS = {
    (ItemType.plan, "submit"),
    (ItemType.plan, "resubmit"),
    (ItemType.plan, "approve"),
    (ItemType.budget_change, "approve_change"),
    (ItemType.reimbursement, "disburse"),
    (ItemType.reimbursement, "disburse_tranche"),
    (ItemType.reimbursement, "disburse_final"),
    (ItemType.reimbursement, "submit_settlement"),
    (ItemType.reimbursement, "resubmit_settlement"),
}


def needs_confirmation(item_type: str, event: str) -> bool:
    return (item_type, event) in CONFIRM_STEPS
