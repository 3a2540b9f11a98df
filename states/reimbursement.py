"""經費請撥、核撥與結報: from the request through the tranches to the 收支結算表 and closing.

>>> [s.id for s in ReimbursementMachine.states][:3]
['requested', 'disbursed', 'settlement_submitted']
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, NamedTuple, cast

from pydantic import Field, StrictBool, StrictFloat, StrictInt
from statemachine import State, StateMachine

from rules import YearRules
from rules.settlement import is_capital, tranche_limit
from states.evidence import Day, Evidence, Text, ask, is_whole
from states.steps import MINISTRY, SUPERVISOR, Step, rule
from states.values import BudgetItem
from states.values import ReimbursementState as S
from vocab.display import amount as money
from vocab.display import roc_date
from vocab.labels import ITEM_LABELS

# Parsed loosely on purpose: a negative or fractional amount reaches the
# reimbursement.amounts guard, which names it in words, instead of a bare type error.
Amount = StrictInt | StrictFloat
KNOWN_ITEMS = frozenset(item.value for item in BudgetItem)
# The same value as vocab.milestone_kinds.MilestoneKind.settlement_due; states stay
# free of the model package.
SETTLEMENT_MILESTONE = "settlement.due"
# The county's duty is to submit the settlement; once submitted, the ministry holds it and
# the approved amounts it was computed against must stand.
SETTLEMENT_NOT_SUBMITTED = (S.requested, S.disbursed, S.returned)


class ReimbursementMachine(StateMachine):
    requested = State("已申請請撥", initial=True, value=S.requested)
    disbursed = State("已核撥", value=S.disbursed)
    settlement_submitted = State("已提送結報", value=S.settlement_submitted)
    under_review = State("結報審查中", value=S.under_review)
    returned = State("結報已退回", value=S.returned)
    resubmitted = State("已重新提送結報", value=S.resubmitted)
    settled = State("結報已核定", value=S.settled)
    balance_returned = State("餘款已繳回", value=S.balance_returned)
    closed = State("已結案", final=True, value=S.closed)

    disburse = requested.to(disbursed)
    disburse_tranche = disbursed.to.itself()
    submit_settlement = disbursed.to(settlement_submitted)
    start_review = settlement_submitted.to(under_review) | resubmitted.to(under_review)
    return_settlement = under_review.to(returned)
    resubmit_settlement = returned.to(resubmitted)
    settle = under_review.to(settled)
    # The share held back on a large plan is paid after the final accounts.
    disburse_final = settled.to.itself()
    return_balance = settled.to(balance_returned)
    close = settled.to(closed) | balance_returned.to(closed)


# ------------------------------------------------------------------ evidence
class Disbursement(Evidence):
    """One tranche the ministry paid, with its 核撥 letter."""

    amount: Amount = ask("撥款金額（元）", "本次核撥的金額，新臺幣整數元。")
    disbursed_on: Day = ask("撥款日期", "教育部核撥的日期，例如 113/07/15。")
    letter_no: Text = ask("核撥函文號", "教育部核撥公文的文號。")


class SpendingLine(Evidence):
    recurrent: Amount = ask("經常門實支（元）", "此項目經常門的實際支出。", default=0)
    capital: Amount = ask("資本門實支（元）", "此項目資本門的實際支出。", default=0)


class Acquisition(Evidence):
    """A thing bought with the money, and whether the county booked it as 資本門 or 經常門."""

    description: Text = ask("品名", "購置的設備或軟體名稱。")
    booked_as: Literal["recurrent", "capital"] = ask("列支", "此項目列經常門或資本門。")
    life_years: Annotated[StrictInt, Field(ge=0)] = ask("使用年限（年）", "財物的使用年限。")
    unit_cost: Amount = ask("單價（元）", "每一單位的價格。")
    amount: Amount = ask("總價（元）", "此項目的總金額。")
    software: StrictBool = ask("屬軟體", "此項目為軟體時勾選。", default=False)


class SettlementReport(Evidence):
    """結報: each budget item's actual spending and the results report it goes with."""

    spending: dict[str, SpendingLine] = ask(
        "收支結算表（各經費項目實支）",
        "逐項填寫經常門與資本門的實際支出；未支用的項目填 0。",
        min_length=1,
    )
    report_ref: Text = ask("成果報告文號或檔名", "隨結報送出的成果報告公文文號或檔案名稱。")
    # Optional: the things bought, so their 資本門/經常門 booking can be checked.
    acquisitions: tuple[Acquisition, ...] = ask(
        "購置財物明細（選填）", "每列一項購置的財物，用來檢查資本門與經常門的列支。", default=()
    )


class SettlementDecision(Evidence):
    letter_no: Text = ask("結報核定函文號", "教育部核定結報公文的文號。")


class BalanceReturn(Evidence):
    amount: Amount = ask("繳回金額（元）", "依收支結算表應繳回的餘款。")
    returned_on: Day = ask("繳回日期", "餘款繳回的日期，例如 114/01/20。")


# ------------------------------------------------------------------ context
class ApprovedLine(NamedTuple):
    recurrent: int
    capital: int

    @property
    def total(self) -> int:
        return self.recurrent + self.capital


@dataclass(frozen=True)
class ReimbursementContext:
    """Everything the reimbursement guards read; filled by the workflow service."""

    rules: YearRules
    today: date
    state: str
    evidence: Any
    plan_amount: int  # A
    subsidy: int  # B
    disbursed: int  # C so far
    approved: dict[str, ApprovedLine]  # the plan's budget lines, by BudgetItem value
    settlement_due: date  # after the rolling the year's rules ask for
    to_return: int  # from the stored 收支結算表; 0 before settlement
    owed_to_county: int = 0  # likewise: what the ministry still owes the county
    settled_on: date | None = None


def _label(item: str) -> str:
    return ITEM_LABELS.get(item, item)


def _amount_problems(evidence: object) -> list[str]:
    problems = []
    if hasattr(evidence, "amount") and not is_whole(evidence.amount):
        problems.append(f"金額 {evidence.amount}")
    for item, line in getattr(evidence, "spending", {}).items():
        if item not in KNOWN_ITEMS:
            problems.append(f"「{item}」不是經費申請表上的項目")
            continue
        for part, label in (("recurrent", "經常門"), ("capital", "資本門")):
            value = getattr(line, part)
            if not is_whole(value):
                problems.append(f"{_label(item)} {label} {value}")
    for thing in getattr(evidence, "acquisitions", ()):
        for part, label in (("unit_cost", "單價"), ("amount", "金額")):
            value = getattr(thing, part)
            if not is_whole(value):
                problems.append(f"「{thing.description}」{label} {value}")
    return problems


def _amounts_ok(ctx: ReimbursementContext) -> bool:
    # The other guards compute with the amounts; a bad one is reported once, by
    # reimbursement.amounts, not again as nonsense arithmetic.
    return not _amount_problems(ctx.evidence)


def _spending(ctx: ReimbursementContext) -> dict[str, SpendingLine]:
    return {k: v for k, v in ctx.evidence.spending.items() if k in KNOWN_ITEMS}


# ------------------------------------------------------------------ guards
@rule("reimbursement.amounts")
def amounts(ctx: ReimbursementContext) -> str | None:
    problems = _amount_problems(ctx.evidence)
    if not problems:
        return None
    return "金額須為不小於 0 的整數（元），且須是經費申請表上的項目：" + "；".join(problems) + "。"


@rule("reimbursement.tranche_limit")
def within_tranche_limit(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    return tranche_limit(
        ctx.plan_amount, ctx.disbursed, ctx.evidence.amount, ctx.rules, subsidy=ctx.subsidy
    )


@rule("reimbursement.tranche_limit")
def within_final_tranche_limit(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    return tranche_limit(
        ctx.plan_amount,
        ctx.disbursed,
        ctx.evidence.amount,
        ctx.rules,
        final=True,
        subsidy=ctx.subsidy,
    )


@rule("reimbursement.final_amount")
def final_within_owed(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    if ctx.owed_to_county == 0:
        return "收支結算表顯示教育部已無應撥付縣市的款項，不需再撥款。"
    if ctx.evidence.amount <= ctx.owed_to_county:
        return None
    return (
        f"本次撥款 {money(ctx.evidence.amount)} 元超過收支結算表尚應撥付縣市的 "
        f"{money(ctx.owed_to_county)} 元。"
    )


@rule("reimbursement.final_after_settlement")
def final_after_settlement(ctx: ReimbursementContext) -> str | None:
    day, settled_on = ctx.evidence.disbursed_on, ctx.settled_on
    if settled_on is None or day >= settled_on:
        return None
    return f"尾款撥款日期 {roc_date(day)} 早於結報核定日期 {roc_date(settled_on)}。"


@rule("reimbursement.dates_in_period")
def dates_in_period(ctx: ReimbursementContext) -> str | None:
    day, start, end = ctx.evidence.disbursed_on, ctx.rules.period.start, ctx.settlement_due
    if start <= day <= end:
        return None
    return (
        f"撥款日期 {roc_date(day)} 不在計畫期程起日 {roc_date(start)} 至結報期限 "
        f"{roc_date(end)} 之間。"
    )


@rule("reimbursement.within_approved")
def within_approved(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    over = []
    for item, line in _spending(ctx).items():
        approved = ctx.approved.get(item, ApprovedLine(0, 0)).total
        # Whole amounts by now: reimbursement.amounts refuses any other.
        spent = cast(int, line.recurrent + line.capital)
        if spent > approved:
            over.append(f"{_label(item)} 實支 {money(spent)} 元，核定 {money(approved)} 元")
    if not over:
        return None
    return "下列項目實支數超過核定經費，請修正或先辦理經費變更：" + "；".join(over) + "。"


@rule("reimbursement.no_mixing")
def no_mixing(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    mixed = []
    for item, line in _spending(ctx).items():
        approved = ctx.approved.get(item, ApprovedLine(0, 0))
        for part, label in (("recurrent", "經常門"), ("capital", "資本門")):
            spent, allowed = getattr(line, part), getattr(approved, part)
            if spent > allowed:
                mixed.append(
                    f"{_label(item)} {label}實支 {money(spent)} 元，核定{label} {money(allowed)} 元"
                )
    if not mixed:
        return None
    return "經常門與資本門經費不得互相流用，各自不得超過核定數：" + "；".join(mixed) + "。"


@rule("reimbursement.balance_amount")
def balance_amount(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    if ctx.to_return == 0 and ctx.owed_to_county:
        return (
            f"收支結算表顯示本案沒有應繳回的餘款，反而是教育部尚應撥付縣市 "
            f"{money(ctx.owed_to_county)} 元，請由教育部登錄結報後撥款。"
        )
    if ctx.to_return == 0:
        return "收支結算表顯示本案沒有應繳回的餘款，請直接結案。"
    if ctx.evidence.amount == ctx.to_return:
        return None
    return (
        f"繳回金額 {money(ctx.evidence.amount)} 元與收支結算表應繳回金額 "
        f"{money(ctx.to_return)} 元不符。"
    )


@rule("reimbursement.balance_cleared")
def balance_cleared(ctx: ReimbursementContext) -> str | None:
    if ctx.state != S.settled or ctx.to_return == 0:
        return None
    return f"尚有應繳回餘款 {money(ctx.to_return)} 元，請縣市先登錄餘款繳回，才能結案。"


@rule("reimbursement.owed_to_county")
def owed_paid(ctx: ReimbursementContext) -> str | None:
    if ctx.owed_to_county == 0:
        return None
    return (
        f"收支結算表顯示教育部尚應撥付縣市 {money(ctx.owed_to_county)} 元，"
        "請先登錄結報後撥款，才能結案。"
    )


def _capital_test(rules: YearRules) -> str:
    cap = rules.capital
    return f"使用年限 {cap.min_life_years} 年以上且單價 {money(cap.min_unit_cost)} 元以上"


def _misbooked(thing: Acquisition, rules: YearRules) -> str | None:
    unit_cost = cast(int, thing.unit_cost)  # whole: reimbursement.amounts refuses any other
    capital = is_capital(thing.life_years, unit_cost, rules, software=thing.software)
    facts = f"「{thing.description}」使用年限 {thing.life_years} 年、單價 {money(unit_cost)} 元"
    if thing.booked_as == "capital" and not capital:
        if thing.software and not rules.capital.includes_software:
            return f"「{thing.description}」是軟體，本年度軟體不列資本門，應列經常門"
        return f"{facts}，未達資本門標準，應列經常門"
    if thing.booked_as == "recurrent" and capital:
        return f"{facts}，已達資本門標準，應列資本門"
    return None


@rule("reimbursement.capital_classification")
def capital_classification(ctx: ReimbursementContext) -> str | None:
    if not _amounts_ok(ctx):
        return None
    wrong = [m for m in (_misbooked(t, ctx.rules) for t in ctx.evidence.acquisitions) if m]
    if not wrong:
        return None
    return (
        f"資本門須{_capital_test(ctx.rules)}，其餘列經常門；下列項目列錯："
        + "；".join(wrong)
        + "。"
    )


SETTLEMENT_GUARDS = (amounts, within_approved, no_mixing, capital_classification)
DISBURSEMENT_GUARDS = (amounts, within_tranche_limit, dates_in_period)
FINAL_GUARDS = (amounts, within_final_tranche_limit, final_within_owed, final_after_settlement)

STEPS: dict[str, Step] = {
    s.event: s
    for s in (
        Step(
            "disburse",
            "登錄第一期核撥",
            MINISTRY,
            Disbursement,
            DISBURSEMENT_GUARDS,
            dated_by="disbursed_on",
        ),
        Step(
            "disburse_tranche",
            "登錄後續分期核撥",
            MINISTRY,
            Disbursement,
            DISBURSEMENT_GUARDS,
            dated_by="disbursed_on",
        ),
        Step("submit_settlement", "提送結報", SUPERVISOR, SettlementReport, SETTLEMENT_GUARDS),
        Step("start_review", "開始審查結報", MINISTRY),
        Step("return_settlement", "退回結報", MINISTRY, reason_required=True),
        Step(
            "resubmit_settlement", "重新提送結報", SUPERVISOR, SettlementReport, SETTLEMENT_GUARDS
        ),
        # Not closes=(SETTLEMENT_MILESTONE,): the deadline belongs to the plan, and the
        # county meets it by submitting (workflow.reimbursements closes it there).
        Step("settle", "核定結報", MINISTRY, SettlementDecision),
        Step(
            "disburse_final",
            "登錄結報後撥款",
            MINISTRY,
            Disbursement,
            FINAL_GUARDS,
            dated_by="disbursed_on",
        ),
        Step(
            "return_balance",
            "登錄餘款繳回",
            SUPERVISOR,
            BalanceReturn,
            (amounts, balance_amount),
            dated_by="returned_on",
        ),
        Step("close", "結案", MINISTRY, guards=(balance_cleared, owed_paid)),
    )
}
# Not a transition, but taken by the same people: who may open a plan's reimbursement.
CREATE = Step("create", "建立經費請撥結報", SUPERVISOR)
