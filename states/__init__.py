"""Lifecycles of plans, software purchases and reimbursements."""
