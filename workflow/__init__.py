"""The workflow service and the lifecycles bound to their rows: plans, purchases, reimbursements, activities and target progress."""
