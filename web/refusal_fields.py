"""Which form field a refusal concerns, so the page can show it beside that input.

An evidence-format refusal names its field itself; a guard's refusal is placed by its rule
id. A rule whose field the step's form does not have stays in the box at the top.
"""

from dataclasses import dataclass, field

from states.errors import Refusal

# Rule id -> the evidence fields it judges, the first one the step's form has wins.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "plan.letter_no": ("letter_no",),
    "budget_change.letter_no": ("letter_no",),
    "purchase.date_in_period": ("held_on",),
    "purchase.date_not_future": ("held_on", "awarded_on", "requested_on"),
    "purchase.meeting_public": ("public",),
    "purchase.meeting_representative": ("attendees",),
    "purchase.product_listed": ("product_serial",),
    "purchase.no_hardware": ("hardware_amount",),
    "purchase.data_clause": ("text",),
    "purchase.procurement_rules_date": ("awarded_on",),
    "purchase.procurement_method": ("method",),
    "purchase.justification": ("justification",),
    "purchase.award_in_period": ("awarded_on",),
    "purchase.within_approved_line": ("amount",),
    "purchase.request_in_period": ("requested_on",),
    "purchase.request_within_contract": ("amount",),
    "reimbursement.amounts": ("spending", "amount"),
    "reimbursement.tranche_limit": ("amount",),
    "reimbursement.final_amount": ("amount",),
    "reimbursement.final_after_settlement": ("disbursed_on",),
    "reimbursement.dates_in_period": ("disbursed_on",),
    "reimbursement.within_approved": ("spending",),
    "reimbursement.no_mixing": ("spending",),
    "reimbursement.capital_classification": ("acquisitions",),
    "reimbursement.balance_amount": ("amount",),
    "transition.reason": ("reason",),
    # The budget-change request page: its amounts table, its PI staffing table.
    "budget_change.amounts": ("lines",),
    "budget_change.no_recurrent_capital_flow": ("lines",),
    "budget_change.digital_content_locked": ("lines",),
    "budget_change.administration_cap": ("lines",),
    "budget_change.pi_amount": ("staffing",),
}
# Rules that make an optional-looking field necessary: the form marks it required.
REQUIRED_BY_RULE = {"plan.letter_no": "letter_no", "budget_change.letter_no": "letter_no"}


@dataclass
class Placed:
    """Refusals by the form field they belong to ("held_on", "attendees.0.role", "reason"),
    and the rest for the box at the top."""

    by_field: dict[str, list[Refusal]] = field(default_factory=dict)
    top: list[Refusal] = field(default_factory=list)

    def at(self, name: str) -> list[Refusal]:
        return self.by_field.get(name, [])

    def within(self, name: str) -> bool:
        """Whether a field or any input inside it (a row, a budget line) was refused."""
        return any(k == name or k.startswith(name + ".") for k in self.by_field)


def place(refusals: list[Refusal], fields: set[str]) -> Placed:
    """`fields`: the form's field paths, top-level names and the reason box."""
    placed = Placed()
    for refusal in refusals:
        target = _target(refusal, fields)
        if target:
            placed.by_field.setdefault(target, []).append(refusal)
        else:
            placed.top.append(refusal)
    return placed


def _target(refusal: Refusal, fields: set[str]) -> str:
    if refusal.field:
        top = refusal.field.split(".")[0]
        return refusal.field if refusal.field in fields or top in fields else ""
    for name in RULE_FIELDS.get(refusal.rule_id, ()):
        if name in fields:
            return name
    return ""


def required_fields(step) -> set[str]:
    return {
        REQUIRED_BY_RULE[g.rule_id]
        for g in step.guards
        if getattr(g, "rule_id", "") in REQUIRED_BY_RULE
    }
