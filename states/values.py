"""The vocabulary shared by the state machines and the stored rows.

Kept free of python-statemachine so that the data model can import it cheaply.
"""

from enum import StrEnum


class Role(StrEnum):
    county_staff = "county_staff"
    county_supervisor = "county_supervisor"
    ministry_reviewer = "ministry_reviewer"
    ministry_admin = "ministry_admin"
    auditor = "auditor"

    @property
    def is_county(self) -> bool:
        return self in (Role.county_staff, Role.county_supervisor)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.county_staff: "縣市推動辦公室承辦",
    Role.county_supervisor: "縣市主管",
    Role.ministry_reviewer: "教育部承辦",
    Role.ministry_admin: "教育部系統管理",
    Role.auditor: "稽核",
}


class PlanState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    returned = "returned"
    resubmitted = "resubmitted"
    approved = "approved"
    in_execution = "in_execution"
    final_report_submitted = "final_report_submitted"
    closed = "closed"


class PurchaseState(StrEnum):
    needs_collected = "needs_collected"
    meeting_decided = "meeting_decided"
    product_verified = "product_verified"
    clause_verified = "clause_verified"
    contracted = "contracted"
    disbursement_requested = "disbursement_requested"
    closed = "closed"
    cancelled = "cancelled"


class ReimbursementState(StrEnum):
    requested = "requested"
    disbursed = "disbursed"
    settlement_submitted = "settlement_submitted"
    under_review = "under_review"
    returned = "returned"
    resubmitted = "resubmitted"
    settled = "settled"
    balance_returned = "balance_returned"
    closed = "closed"


class BudgetChangeState(StrEnum):
    requested = "requested"
    approved = "approved"
    rejected = "rejected"


class ItemType(StrEnum):
    plan = "plan"
    purchase = "purchase"
    reimbursement = "reimbursement"
    budget_change = "budget_change"


class BudgetItem(StrEnum):
    """The lines of the 經費申請表, in the form's order (陸、二)."""

    admin_staff = "admin_staff"
    counseling_staff = "counseling_staff"
    it_staff = "it_staff"
    principal_investigator = "principal_investigator"
    co_investigator = "co_investigator"
    substitute_teaching = "substitute_teaching"
    teacher_training = "teacher_training"
    office_operations = "office_operations"
    school_companion = "school_companion"
    mdm_licences = "mdm_licences"
    digital_content = "digital_content"
    administration = "administration"
