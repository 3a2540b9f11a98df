"""流用/變更 of an approved plan's budget: the county asks, the ministry decides (陸、二、(五)).

>>> [s.id for s in BudgetChangeMachine.states]
['requested', 'approved', 'rejected']
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from statemachine import State, StateMachine

from rules import BUSINESS_KEYS, YearRules, administration_fee
from states.evidence import Day, Evidence, ask, is_whole
from states.plan import (
    APPROVED_STATES,
    PART_TIME_ITEMS,
    LineFacts,
    amount_problem,
    label,
    rate_problem,
)
from states.reimbursement import SETTLEMENT_NOT_SUBMITTED
from states.steps import MINISTRY, SUPERVISOR, Step, rule
from states.values import BudgetChangeState as S
from states.values import BudgetItem
from vocab.display import amount as money
from vocab.labels import ITEM_LABELS

PARTS = ("recurrent", "capital")
# A part-time (co-)PI line is paid by person-months × monthly rate, so its change may
# restate those two as well; no other line carries them.
STAFFING = ("person_months", "monthly_rate")
PART_NAMES = {"recurrent": "經常門", "capital": "資本門"}
FIELD_NAMES = {**PART_NAMES, "person_months": "人月數", "monthly_rate": "每月支給"}


class BudgetChangeMachine(StateMachine):
    requested = State("待教育部核定", initial=True, value=S.requested)
    approved = State("已核定", final=True, value=S.approved)
    rejected = State("未核定", final=True, value=S.rejected)

    approve_change = requested.to(approved)
    reject_change = requested.to(rejected)


class Decision(Evidence):
    """The ministry's letter deciding the change."""

    letter_no: str = ask(
        "教育部函文號", "核定或駁回經費變更公文的文號。", default="", max_length=64
    )
    decided_on: Day | None = ask(
        "核定日期", "教育部函的日期，例如 113/09/10；未填時以今天為準。", default=None
    )


@dataclass(frozen=True)
class BudgetChangeContext:
    """Everything the budget-change guards read; assembled by workflow.plans."""

    rules: YearRules
    plan_status: str
    current: tuple[LineFacts, ...]  # the plan's lines as they stand now
    proposed: Any  # {item: {"recurrent": int, "capital": int}} as sent, unchecked
    other_pending: int = 0  # other changes of the same plan still awaiting a decision
    settlement_status: str | None = None  # the plan's reimbursement, if it has one
    evidence: Any = None

    def before(self) -> dict[str, tuple[int, int]]:
        return {str(line.item): (line.recurrent, line.capital) for line in self.current}

    def after(self) -> dict[str, tuple[int, int]] | None:
        """The plan's amounts once the change applies; None while the request is malformed."""
        if amount_problems(self.proposed):
            return None
        out = self.before()
        for item, parts in self.proposed.items():
            out[item] = (parts["recurrent"], parts["capital"])
        return out

    def staffing(self, item: str) -> tuple[int, int]:
        """(person-months, monthly rate) of a line once the change applies."""
        line = next((x for x in self.current if x.item == item), None)
        now = (line.person_months, line.monthly_rate) if line else (0, 0)
        proposed = self.proposed.get(item, {}) if isinstance(self.proposed, Mapping) else {}
        return proposed.get("person_months", now[0]), proposed.get("monthly_rate", now[1])

    def changes_staffing(self) -> bool:
        before = {line.item: (line.person_months, line.monthly_rate) for line in self.current}
        return any(
            self.staffing(item) != before.get(item, (0, 0))
            for item in self.proposed
            if item in PART_TIME_ITEMS
        )


def amount_problems(proposed: Any) -> list[str]:
    if not isinstance(proposed, Mapping) or not proposed:
        return ["請至少填寫一個經費項目的新金額。"]
    out = []
    for item, parts in proposed.items():
        if item not in ITEM_LABELS:
            out.append(f"沒有「{item}」這個經費項目")
        elif not isinstance(parts, Mapping) or not set(PARTS) <= set(parts) <= _fields(item):
            out.append(f"{label(item)}須填寫經常門與資本門兩個金額" + _staffing_note(item))
        else:
            out += [
                f"{label(item)}的{FIELD_NAMES[p]}須為不小於 0 的整數，收到 {parts[p]!r}"
                for p in parts
                if not is_whole(parts[p])
            ]
    return out


def _fields(item: str) -> set[str]:
    return set(PARTS) | (set(STAFFING) if item in PART_TIME_ITEMS else set())


def _staffing_note(item: str) -> str:
    return "（可另填人月數與每月支給）" if item in PART_TIME_ITEMS else ""


@rule("budget_change.plan_approved")
def plan_approved(ctx: BudgetChangeContext) -> str | None:
    if ctx.plan_status in APPROVED_STATES:
        return None
    return "經費流用/變更只能在計畫核定後、執行期間提出與核定。"


@rule("budget_change.one_pending")
def one_pending(ctx: BudgetChangeContext) -> str | None:
    if ctx.other_pending == 0:
        return None
    return "本計畫已有一件經費變更待教育部核定，請等該件核定或駁回後再提出。"


@rule("budget_change.before_settlement")
def before_settlement(ctx: BudgetChangeContext) -> str | None:
    if ctx.settlement_status is None or ctx.settlement_status in SETTLEMENT_NOT_SUBMITTED:
        return None
    return (
        "本計畫經費已提出結報，收支結算表依核定金額計算，不能再流用或變更經費；"
        "如須更正，請待教育部退回結報後再提出。"
    )


@rule("budget_change.amounts")
def amounts(ctx: BudgetChangeContext) -> str | None:
    problems = amount_problems(ctx.proposed)
    if problems:
        return "變更金額有誤：" + "；".join(problems) + "。"
    if ctx.after() == ctx.before() and not ctx.changes_staffing():
        return "變更後金額與目前核定金額相同，沒有需要核定的變動。"
    return None


def _totals(amounts: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    return sum(r for r, _ in amounts.values()), sum(c for _, c in amounts.values())


def _flow(label_: str, before: tuple[int, int], after: tuple[int, int]) -> str | None:
    """One side growing while the other shrinks; a plain cut or raise is not a flow."""
    (rec_0, cap_0), (rec_1, cap_1) = before, after
    if (rec_1 - rec_0) * (cap_1 - cap_0) >= 0:
        return None
    return (
        f"{label_}經常門 {money(rec_0)} → {money(rec_1)} 元、"
        f"資本門 {money(cap_0)} → {money(cap_1)} 元"
    )


@rule("budget_change.no_recurrent_capital_flow")
def no_recurrent_capital_flow(ctx: BudgetChangeContext) -> str | None:
    after = ctx.after()
    if after is None:
        return None  # budget_change.amounts says what is malformed
    before = ctx.before()
    # Line by line too: another line's raise must not hide a flow inside one line.
    flows = [
        flow
        for item in after
        if (flow := _flow(label(item), before.get(item, (0, 0)), after[item]))
    ]
    if not flows and (total := _flow("合計", _totals(before), _totals(after))):
        flows.append(total)
    if not flows:
        return None
    return "計畫核定後，經常門與資本門不得互相流用：本次變更使" + "；".join(flows) + "。"


@rule("budget_change.pi_amount")
def pi_amount(ctx: BudgetChangeContext) -> str | None:
    after = ctx.after()
    if after is None:
        return None
    wrong = []
    for item in PART_TIME_ITEMS:
        if item not in ctx.proposed:
            continue  # an untouched line stays as the ministry approved it
        months, rate = ctx.staffing(item)
        wrong += [
            problem
            for problem in (
                rate_problem(item, months, rate, ctx.rules),
                amount_problem(item, sum(after[item]), months, rate),
            )
            if problem
        ]
    if not wrong:
        return None
    return (
        "兼任主持人費須等於人月數乘以每月支給，且每月支給在規定範圍內：" + "；".join(wrong) + "。"
    )


@rule("budget_change.administration_cap")
def administration_cap(ctx: BudgetChangeContext) -> str | None:
    after = ctx.after()
    if after is None:
        return None
    business = sum(after.get(key, (0, 0))[0] for key in BUSINESS_KEYS)
    admin = sum(after.get(BudgetItem.administration, (0, 0)))
    cap = administration_fee(business, ctx.rules)
    if admin <= cap:
        return None
    return (
        f"變更後{label(BudgetItem.administration)} {money(admin)} 元，超過上限 {money(cap)} 元"
        f"（依變更後經常門業務費 {money(business)} 元計算），請一併調降行政管理費。"
    )


@rule("budget_change.digital_content_locked")
def digital_content_locked(ctx: BudgetChangeContext) -> str | None:
    after = ctx.after()
    if after is None or ctx.rules.budget.digital_content.may_flow_to_other_items:
        return None
    before = ctx.before()
    item = BudgetItem.digital_content
    cut = sum(before.get(item, (0, 0))) - sum(after.get(item, (0, 0)))
    raised = [label(i) for i in after if i != item and sum(after[i]) > sum(before.get(i, (0, 0)))]
    if cut <= 0 or not raised:
        return None
    return (
        f"{label(item)}經費不得流用至其他項目：本次減列 {money(cut)} 元，"
        f"同時增列{''.join(raised)}。"
    )


@rule("budget_change.letter_no")
def letter_no(ctx: BudgetChangeContext) -> str | None:
    if ctx.evidence is not None and ctx.evidence.letter_no:
        return None
    return "核定或駁回經費變更須填寫教育部函的文號。"


CHANGE_GUARDS = (
    amounts,
    no_recurrent_capital_flow,
    digital_content_locked,
    pi_amount,
    administration_cap,
)
REQUEST_GUARDS = (plan_approved, before_settlement, one_pending, *CHANGE_GUARDS)
# Re-checked on approval: the plan or its settlement may have moved on since the request.
APPROVE_GUARDS = (plan_approved, before_settlement, *CHANGE_GUARDS)

STEPS: dict[str, Step] = {
    s.event: s
    for s in (
        Step(
            "approve_change",
            "核定經費變更",
            MINISTRY,
            Decision,
            (letter_no, *APPROVE_GUARDS),
            dated_by="decided_on",
        ),
        Step(
            "reject_change",
            "駁回經費變更",
            MINISTRY,
            Decision,
            (letter_no,),
            reason_required=True,
            dated_by="decided_on",
        ),
    )
}
REQUEST = Step("request", "申請經費流用/變更", SUPERVISOR)
