"""數位內容及教學軟體購置 (伍、三、(六)): from collected needs to the disbursement request.

>>> [s.id for s in PurchaseMachine.states][:3]
['needs_collected', 'meeting_decided', 'product_verified']
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from statemachine import State, StateMachine

from rules import YearRules
from rules.schema import Procurement
from states.clause import contains_clause
from states.evidence import (
    ATTENDEE_ROLES,
    PROCUREMENT_METHODS,
    ClauseDocument,
    DisbursementRequest,
    MeetingRecord,
    ProcurementRecord,
    ProductChoice,
    UsageRecord,
)
from states.steps import COUNTY_ROLES, SUPERVISOR, Step, rule
from states.values import PurchaseState as S
from vocab.display import amount as money
from vocab.display import roc_date


class PurchaseMachine(StateMachine):
    needs_collected = State("需求彙整中", initial=True, value=S.needs_collected)
    meeting_decided = State("已經公開會議決議", value=S.meeting_decided)
    product_verified = State("已確認選購名單產品", value=S.product_verified)
    clause_verified = State("已確認資料介接條款", value=S.clause_verified)
    contracted = State("已決標簽約", value=S.contracted)
    disbursement_requested = State("已申請經費請撥", value=S.disbursement_requested)
    closed = State("已結案", final=True, value=S.closed)
    cancelled = State("已取消", final=True, value=S.cancelled)

    decide = needs_collected.to(meeting_decided)
    verify_product = meeting_decided.to(product_verified)
    verify_clause = product_verified.to(clause_verified)
    contract = clause_verified.to(contracted)
    request_disbursement = contracted.to(disbursement_requested)
    record_usage = disbursement_requested.to(closed)
    cancel = (
        needs_collected.to(cancelled)
        | meeting_decided.to(cancelled)
        | product_verified.to(cancelled)
        | clause_verified.to(cancelled)
    )


@dataclass(frozen=True)
class ProductFacts:
    serial: str
    name: str
    needs_data_clause: bool


@dataclass(frozen=True)
class PurchaseContext:
    """Everything the purchase guards read; filled by the workflow service."""

    rules: YearRules
    today: date
    evidence: Any
    product: ProductFacts | None  # the purchase's product, looked up on the year's list
    plan_approved: bool
    content_line: int  # the plan's approved 數位內容及教學軟體 line
    contracted_elsewhere: int  # other contracts of the county's plan on that line
    contract_amount: int  # this purchase's contract amount, once contracted
    county: str = ""  # the county's name: a county may set a lower 小額採購 cap (§47 III)


# The date each step's evidence carries, and what to call it in a refusal.
DATE_FIELDS = {"held_on": "會議日期", "awarded_on": "決標日期", "requested_on": "請撥日期"}


def _in_period(day: date, rules: YearRules, what: str) -> str | None:
    start, end = rules.period.start, rules.period.end
    if start <= day <= end:
        return None
    return f"{what} {roc_date(day)} 不在計畫期程 {roc_date(start)}–{roc_date(end)} 內。"


@rule("purchase.date_in_period")
def meeting_in_period(ctx: PurchaseContext) -> str | None:
    return _in_period(ctx.evidence.held_on, ctx.rules, "會議日期")


@rule("purchase.date_not_future")
def date_not_future(ctx: PurchaseContext) -> str | None:
    for name, what in DATE_FIELDS.items():
        day = getattr(ctx.evidence, name, None)
        if day is not None and day > ctx.today:
            return (
                f"{what} {roc_date(day)} 晚於今天（{roc_date(ctx.today)}）；"
                "尚未發生的事不能登錄，請確認日期是否打錯。"
            )
    return None


@rule("purchase.meeting_public")
def meeting_public(ctx: PurchaseContext) -> str | None:
    if not ctx.rules.software.meeting.public or ctx.evidence.public:
        return None
    return "購置數位內容及教學軟體須經「公開會議」決議；本次會議未公開，不能作為採購依據。"


@rule("purchase.meeting_representative")
def meeting_representative(ctx: PurchaseContext) -> str | None:
    present = Counter(a.role for a in ctx.evidence.attendees)
    needed = ctx.rules.software.meeting.min_attendees_by_role
    short = [
        f"{ATTENDEE_ROLES[role]}至少 {n} 位" for role, n in needed.items() if present[role] < n
    ]
    if not short:
        return None
    return "公開會議的與會人員不具代表性：需要" + "、".join(short) + "。"


@rule("purchase.product_listed", reads=("product",))
def product_listed(ctx: PurchaseContext) -> str | None:
    if ctx.product is not None:
        return None
    serial = ctx.evidence.product_serial
    name = ctx.rules.software.approved_list_name
    return f"產品序號 {serial} 不在 {ctx.rules.year} 年度「{name}」內，不得以本計畫經費購置。"


@rule("purchase.no_hardware")
def no_hardware(ctx: PurchaseContext) -> str | None:
    if ctx.rules.budget.digital_content.may_buy_hardware or ctx.evidence.hardware_amount == 0:
        return None
    return (
        f"數位內容及教學軟體經費不得用於硬體或教具（本案含 {money(ctx.evidence.hardware_amount)} 元），"
        "如需結合硬體/教具，請由縣市自籌。"
    )


@rule("purchase.data_clause", reads=("product",))
def data_clause(ctx: PurchaseContext) -> str | None:
    if ctx.product is None or not ctx.product.needs_data_clause:
        return None
    if contains_clause(ctx.evidence.text, ctx.rules.software.data_clause_text):
        return None
    kind = "需求文件" if ctx.evidence.document == "requirement" else "契約書"
    return (
        f"「{ctx.product.name}」的{kind}須載明「{ctx.rules.software.data_clause_text}」，"
        "目前文件中沒有這段文字（或文字被更動）。"
    )


@rule("purchase.procurement_rules_date")
def procurement_rules_date(ctx: PurchaseContext) -> str | None:
    procurement = ctx.rules.procurement
    if procurement.in_force(ctx.evidence.awarded_on):
        return None
    return (
        f"決標日期 {roc_date(ctx.evidence.awarded_on)} 早於本年度採購金額級距的施行日 "
        f"{roc_date(procurement.effective_from)}；該日前決標的案件適用舊規定，"
        "系統無法判斷採購方式是否合規，請確認決標日期。"
    )


@rule("purchase.procurement_method", reads=("county",))
def procurement_method(ctx: PurchaseContext) -> str | None:
    ev = ctx.evidence
    procurement = ctx.rules.procurement
    # Bands not yet in force cannot judge the method: procurement_rules_date says why.
    if not procurement.in_force(ev.awarded_on):
        return None
    # The band is the 採購金額's, fixed before tendering; the award amount never moves it.
    if procurement.method_allowed(ev.procurement_amount, ev.method, ctx.county):
        return None
    allowed = "、".join(
        PROCUREMENT_METHODS[m]
        for m in procurement.allowed_methods(ev.procurement_amount, ctx.county)
    )
    return (
        f"採購金額 {money(ev.procurement_amount)} 元不得以「{PROCUREMENT_METHODS[ev.method]}」辦理"
        f"（{_band_words(procurement, ev.procurement_amount, ctx.county)}）；此金額可採：{allowed}。"
    )


def _band_words(procurement: Procurement, amount: int, county: str) -> str:
    small, threshold = procurement.small_cap(county), procurement.announcement_threshold
    return {
        "small": f"{money(small)} 元以下為小額採購",
        "below_announcement": f"逾 {money(small)} 元、未達公告金額 {money(threshold)} 元",
        "announced": f"達公告金額 {money(threshold)} 元以上",
    }[procurement.band_for(amount, county)]


# The article that names the ground each method must state.
REASON_ARTICLES = {"selective": "政府採購法第 20 條", "restricted": "政府採購法第 22 條第 1 項"}


@rule("purchase.justification")
def justification(ctx: PurchaseContext) -> str | None:
    method = ctx.evidence.method
    if not ctx.rules.procurement.needs_reason(method) or ctx.evidence.justification:
        return None
    article = REASON_ARTICLES.get(method)
    ground = f"符合{article}的理由" if article else "理由"
    return f"採「{PROCUREMENT_METHODS[method]}」須敘明{ground}（不論採購金額多少）。"


@rule("purchase.award_in_period")
def award_in_period(ctx: PurchaseContext) -> str | None:
    return _in_period(ctx.evidence.awarded_on, ctx.rules, "決標日期")


@rule("purchase.plan_approved", reads=("plan_approved",))
def plan_approved(ctx: PurchaseContext) -> str | None:
    return None if ctx.plan_approved else "縣市實施計畫尚未核定，不得簽約動支本計畫經費。"


@rule("purchase.within_approved_line", reads=("content_line", "contracted_elsewhere"))
def within_approved_line(ctx: PurchaseContext) -> str | None:
    total = ctx.contracted_elsewhere + ctx.evidence.amount
    if total <= ctx.content_line:
        return None
    return (
        f"數位內容及教學軟體核定經費 {money(ctx.content_line)} 元，已簽約 "
        f"{money(ctx.contracted_elsewhere)} 元，本案 {money(ctx.evidence.amount)} 元將超出核定額度。"
    )


@rule("purchase.request_in_period")
def request_in_period(ctx: PurchaseContext) -> str | None:
    return _in_period(ctx.evidence.requested_on, ctx.rules, "請撥日期")


@rule("purchase.request_within_contract")
def request_within_contract(ctx: PurchaseContext) -> str | None:
    if ctx.evidence.amount <= ctx.contract_amount:
        return None
    return f"請撥金額 {money(ctx.evidence.amount)} 元超過契約金額 {money(ctx.contract_amount)} 元。"


DISBURSEMENT_MILESTONE = "purchase.disbursement"

STEPS: dict[str, Step] = {
    s.event: s
    for s in (
        Step(
            "decide",
            "登錄公開會議決議",
            COUNTY_ROLES,
            MeetingRecord,
            (date_not_future, meeting_in_period, meeting_public, meeting_representative),
            opens=(DISBURSEMENT_MILESTONE,),
            dated_by="held_on",
        ),
        Step(
            "verify_product",
            "確認選購名單產品",
            COUNTY_ROLES,
            ProductChoice,
            (product_listed, no_hardware),
        ),
        Step("verify_clause", "確認資料介接條款", COUNTY_ROLES, ClauseDocument, (data_clause,)),
        Step(
            "contract",
            "登錄決標與契約",
            COUNTY_ROLES,
            ProcurementRecord,
            (
                date_not_future,
                procurement_rules_date,
                procurement_method,
                justification,
                award_in_period,
                plan_approved,
                within_approved_line,
            ),
        ),
        Step(
            "request_disbursement",
            "申請經費請撥",
            COUNTY_ROLES,
            DisbursementRequest,
            (date_not_future, request_in_period, request_within_contract),
            closes=(DISBURSEMENT_MILESTONE,),
            dated_by="requested_on",
        ),
        Step("record_usage", "登錄使用效益並結案", COUNTY_ROLES, UsageRecord),
        Step(
            "cancel", "取消採購", SUPERVISOR, reason_required=True, closes=(DISBURSEMENT_MILESTONE,)
        ),
    )
}
# Not a transition, but taken by the same people: who may open a purchase.
CREATE = Step("create", "建立軟體採購", COUNTY_ROLES)
