"""縣市實施計畫 (one per county and year): from the county's draft to the ministry's closing.

>>> [s.id for s in PlanMachine.states][:3]
['draft', 'submitted', 'under_review']
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from statemachine import State, StateMachine

from rules import BUSINESS_KEYS, SchoolFacts, YearRules, administration_fee
from rules.schema import MonthlyRange
from rules.targets import targets as minimum_targets
from states.errors import Refusal
from states.evidence import Day, Evidence, ask, is_whole
from states.steps import COUNTY_ROLES, MINISTRY, SUPERVISOR, Step, rule
from states.values import BudgetItem
from states.values import PlanState as S
from vocab.display import amount as money
from vocab.display import ntd
from vocab.labels import ITEM_LABELS, TARGET_LABELS
from vocab.milestone_kinds import PLAN_SUBMISSION, RESULTS_REPORT
from vocab.outline import PLAN_SECTIONS, PREVIOUS_RESULTS_KEY, section_heading


class PlanMachine(StateMachine):
    draft = State("草稿", initial=True, value=S.draft)
    submitted = State("已送出", value=S.submitted)
    under_review = State("教育部審查中", value=S.under_review)
    returned = State("已退回修正", value=S.returned)
    resubmitted = State("已重新送出", value=S.resubmitted)
    approved = State("已核定", value=S.approved)
    in_execution = State("執行中", value=S.in_execution)
    final_report_submitted = State("已提交成果報告", value=S.final_report_submitted)
    closed = State("已結案", final=True, value=S.closed)

    submit = draft.to(submitted)
    start_review = submitted.to(under_review) | resubmitted.to(under_review)
    return_plan = under_review.to(returned)
    resubmit = returned.to(resubmitted)
    approve = under_review.to(approved)
    start_execution = approved.to(in_execution)
    submit_final_report = in_execution.to(final_report_submitted)
    close = final_report_submitted.to(closed)


EDITABLE_STATES = (S.draft, S.returned)
APPROVED_STATES = (S.approved, S.in_execution)


class LineFacts(NamedTuple):
    """One line of the 經費申請表 as plain values."""

    item: str
    estimate: int
    recurrent: int
    capital: int
    explanation: str = ""
    person_months: int = 0
    monthly_rate: int = 0

    @property
    def requested(self) -> int:
        return self.recurrent + self.capital


class ApprovalLetter(Evidence):
    """The ministry's 核定函: its 文號 and date (today when left out)."""

    letter_no: str = ask("核定函文號", "教育部核定計畫公文的文號。", default="", max_length=64)
    approved_on: Day | None = ask(
        "核定日期", "核定函的日期，例如 113/03/15；未填時以今天為準。", default=None
    )


@dataclass(frozen=True)
class PlanContext:
    """Everything the plan guards read; assembled by workflow.plans."""

    rules: YearRules
    today: date
    sections: Mapping[str, Any]
    schools: tuple[SchoolFacts, ...]  # the county's 附錄 list for the plan year
    lines: tuple[LineFacts, ...]
    estimate: Mapping[str, int]  # 教育部預估補助數 per item for these schools
    targets: Mapping[str, Any]
    evidence: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)  # the plan's 估算參數

    def line(self, item: str) -> LineFacts | None:
        return next((line for line in self.lines if line.item == item), None)


def label(item: str) -> str:
    return f"「{ITEM_LABELS.get(item, item)}」"


# ------------------------------------------------------------------ submit guards
@rule("plan.sections_complete")
def sections_complete(ctx: PlanContext) -> str | None:
    missing = [
        f"「{section_heading(key, ctx.rules.year)}」"
        for key in PLAN_SECTIONS
        if not isinstance(ctx.sections.get(key), str) or not ctx.sections[key].strip()
    ]
    if not missing:
        return None
    return "計畫書尚有章節未填寫：" + "".join(missing) + "。"


@rule("plan.schools_listed")
def schools_listed(ctx: PlanContext) -> str | None:
    if ctx.schools:
        return None
    return f"附錄學校名單中沒有本縣市 {ctx.rules.year} 年度的學校，請先匯入學校名單。"


@rule("plan.budget_lines_present")
def budget_lines_present(ctx: PlanContext) -> str | None:
    present = {line.item for line in ctx.lines}
    missing = [label(item) for item in BudgetItem if item not in present]
    if not missing:
        return None
    return "經費申請表缺少下列項目（無需經費請填 0 元）：" + "".join(missing) + "。"


# One rule, judged in two places: this guard on submission, and the daily sweep's SQL
# over every plan (flows/jobs/checks.py), which files its findings under the same id.
UNEXPLAINED_DIFFERENCE = "plan.unexplained_difference"


def unexplained_sentence(lines: Iterable[tuple[str, int, int]]) -> str:
    """The refusal and the finding alike, from (item, requested, estimate) per line."""
    listed = "、".join(
        f"{label(item)}（申請 {ntd(requested)}，預估 {ntd(estimate)}）"
        for item, requested, estimate in lines
    )
    return f"下列項目的申請數與教育部預估數不同，請填寫差異說明：{listed}。"


@rule(UNEXPLAINED_DIFFERENCE)
def differences_explained(ctx: PlanContext) -> str | None:
    unexplained = [
        (line.item, line.requested, ctx.estimate.get(line.item, 0))
        for line in ctx.lines
        if line.requested != ctx.estimate.get(line.item, 0) and not line.explanation.strip()
    ]
    return unexplained_sentence(unexplained) if unexplained else None


@rule("plan.targets_minimum")
def targets_minimum(ctx: PlanContext) -> str | None:
    short = []
    for key, minimum in minimum_targets(ctx.schools, ctx.rules).items():
        value = ctx.targets.get(key)
        name = TARGET_LABELS.get(key, key)
        if not isinstance(value, int) or isinstance(value, bool):
            short.append(f"{name} 未填（至少 {money(minimum)}）")
        elif value < minimum:
            short.append(f"{name} {money(value)}（至少 {money(minimum)}{_why(key, ctx.rules)}）")
    if not short:
        return None
    return "下列量化指標低於最低要求：" + "、".join(short) + "。"


def _why(key: str, rules: YearRules) -> str:
    """The source's words where the number is a reading of them."""
    if key != "sampled_schools":
        return ""
    bp = rules.targets.sampling.schools_bp
    return (f"；實施計畫說明伍、三、(七)3.(1)「{rules.source_quotes.sampling_schools}」，"
            f"本系統依總校數 {bp / 100:g}%（無條件進位）計算")  # fmt: skip


PART_TIME_ITEMS = (BudgetItem.principal_investigator, BudgetItem.co_investigator)


def part_time_limits(item: str, rules: YearRules) -> MonthlyRange:
    if item == BudgetItem.principal_investigator:
        return rules.budget.part_time_pi
    return rules.budget.part_time_co_pi


def rate_problem(item: str, person_months: int, monthly_rate: int, rules: YearRules) -> str | None:
    """陸、二、(一)1.(5)E/F: the monthly rate of a part-time (co-)PI lies in the range."""
    limits = part_time_limits(item, rules)
    if person_months <= 0 or limits.min_monthly <= monthly_rate <= limits.max_monthly:
        return None
    return (
        f"{label(item)}每月 {money(monthly_rate)} 元不在 "
        f"{money(limits.min_monthly)}–{money(limits.max_monthly)} 元之間"
    )


def amount_problem(item: str, requested: int, person_months: int, monthly_rate: int) -> str | None:
    """The line pays person-months at the monthly rate, nothing more or less."""
    due = person_months * monthly_rate
    if requested == due:
        return None
    return (
        f"{label(item)}申請 {money(requested)} 元，但 {person_months} 人月 × 每月 "
        f"{money(monthly_rate)} 元應為 {money(due)} 元"
    )


@rule("plan.pi_rate_range")
def pi_rate_range(ctx: PlanContext) -> str | None:
    wrong = [
        problem
        for item in PART_TIME_ITEMS
        if (line := ctx.line(item)) is not None
        and (problem := rate_problem(item, line.person_months, line.monthly_rate, ctx.rules))
    ]
    if not wrong:
        return None
    return "兼任主持人費超出規定範圍：" + "；".join(wrong) + "。"


@rule("plan.pi_amount")
def pi_amount(ctx: PlanContext) -> str | None:
    wrong = [
        problem
        for item in PART_TIME_ITEMS
        if (line := ctx.line(item)) is not None
        and (problem := amount_problem(item, line.requested, line.person_months, line.monthly_rate))
    ]
    if not wrong:
        return None
    return "兼任主持人費須等於人月數乘以每月支給：" + "；".join(wrong) + "。"


@rule("plan.substitute_every_school")
def substitute_every_school(ctx: PlanContext) -> str | None:
    line = ctx.line(BudgetItem.substitute_teaching)
    if not ctx.rules.budget.substitute_teaching.every_school or line is None or not ctx.schools:
        return None  # plan.budget_lines_present / plan.schools_listed say what is missing
    periods = ctx.inputs.get("periods_per_school", 0)
    missing = []
    if line.requested <= 0:
        missing.append("申請金額為 0 元")
    if not isinstance(periods, int) or periods <= 0:
        missing.append("每校代課節數為 0")
    if not missing:
        return None
    return (
        f"{label(BudgetItem.substitute_teaching)}依陸、二、(一)2.(1)「須補助至每一學校」，"
        "每一學校都須編列代理代課節數；目前" + "、".join(missing) + "。"
    )


@rule("plan.administration_cap")
def administration_cap(ctx: PlanContext) -> str | None:
    admin = ctx.line(BudgetItem.administration)
    if admin is None:
        return None  # plan.budget_lines_present reports the missing line
    business = sum(line.recurrent for line in ctx.lines if line.item in BUSINESS_KEYS)
    cap = administration_fee(business, ctx.rules)
    if admin.requested <= cap:
        return None
    return (
        f"{label(BudgetItem.administration)}申請 {money(admin.requested)} 元，超過上限 "
        f"{money(cap)} 元（依本計畫經常門業務費 {money(business)} 元計算）。"
    )


@rule("plan.letter_no")
def letter_no(ctx: PlanContext) -> str | None:
    if ctx.evidence is not None and ctx.evidence.letter_no:
        return None
    return "核定計畫須填寫教育部核定函的文號。"


SUBMIT_GUARDS = (
    sections_complete,
    schools_listed,
    budget_lines_present,
    differences_explained,
    targets_minimum,
    pi_rate_range,
    pi_amount,
    substitute_every_school,
    administration_cap,
)

# The 附件's own milestones (meetings, workshops, open lessons …) open on approval.
PLAN_MILESTONES = "plan.milestones"

STEPS: dict[str, Step] = {
    s.event: s
    for s in (
        Step(
            "submit",
            "送出計畫（縣市主管核可）",
            SUPERVISOR,
            guards=SUBMIT_GUARDS,
            closes=(PLAN_SUBMISSION,),
        ),
        Step("start_review", "開始審查", MINISTRY),
        Step("return_plan", "退回修正", MINISTRY, reason_required=True),
        Step(
            "resubmit",
            "修正後重新送出",
            SUPERVISOR,
            guards=SUBMIT_GUARDS,
            closes=(PLAN_SUBMISSION,),
        ),
        Step(
            "approve",
            "核定計畫",
            MINISTRY,
            ApprovalLetter,
            (letter_no,),
            opens=(PLAN_MILESTONES,),
            dated_by="approved_on",
        ),
        Step("start_execution", "開始執行", COUNTY_ROLES),
        Step("submit_final_report", "提交成果報告", SUPERVISOR, closes=(RESULTS_REPORT,)),
        Step("close", "結案", MINISTRY),
    )
}
# Not transitions, but taken by the same people: who may open and edit a plan.
CREATE = Step("create", "建立縣市實施計畫", COUNTY_ROLES)
EDIT = Step("edit", "編修計畫草稿", COUNTY_ROLES)


# ------------------------------------------------------------------ draft edits
LINE_NUMBERS = ("recurrent", "capital", "person_months", "monthly_rate")
LINE_FIELDS = (*LINE_NUMBERS, "explanation")


def _count_problem(where: str, value: object) -> str | None:
    if is_whole(value):
        return None
    return f"{where}須為不小於 0 的整數，收到 {value!r}。"


def draft_problems(
    sections: Mapping[str, Any] | None,
    targets: Mapping[str, Any] | None,
    lines: Mapping[str, Mapping[str, Any]] | None,
    inputs: Mapping[str, Any] | None,
    input_keys: tuple[str, ...],
) -> list[Refusal]:
    """What is wrong with a draft edit before anything is stored."""
    inputs = dict(inputs or {})
    refusals = []
    if MINISTRY_INPUT in inputs:
        del inputs[MINISTRY_INPUT]
        refusals.append(Refusal("plan.per_head_ministry", PER_HEAD_MINISTRY))
    problems = [
        *_section_problems(sections or {}),
        *_number_problems(targets or {}, TARGET_LABELS, "量化指標"),
        *_number_problems(inputs, {k: k for k in input_keys}, "估算參數"),
        *_line_problems(lines or {}),
    ]
    return refusals + [Refusal("evidence.format", p) for p in problems]


# 陸、二、(二)5.(2) estimates 6 數位內容 from 師生數 at the ministry's per-head amount: a
# county that chose the amount would choose its own estimate and skip 差異說明.
MINISTRY_INPUT = "per_head"
PER_HEAD_MINISTRY = (
    f"{label(BudgetItem.digital_content)}的每位師生補助額由教育部設定，縣市不能自行填寫；"
    "預估數依教育部設定的金額計算，申請數不同時請填寫差異說明。"
)


def _section_problems(sections: Mapping[str, Any]) -> list[str]:
    out = []
    for key, text in sections.items():
        if key == PREVIOUS_RESULTS_KEY:
            if not isinstance(text, dict):
                out.append("前一年度量化目標達成情形須為表格資料。")
        elif key not in PLAN_SECTIONS:
            out.append(f"計畫書沒有「{key}」這個章節。")
        elif not isinstance(text, str):
            out.append(f"章節「{key}」的內容須為文字。")
    return out


def _number_problems(values: Mapping[str, Any], known: Mapping[str, str], what: str) -> list[str]:
    out = []
    for key, value in values.items():
        if key not in known:
            out.append(f"沒有「{key}」這個{what}。")
        elif problem := _count_problem(f"{what}「{known[key]}」", value):
            out.append(problem)
    return out


def _line_problems(lines: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out = []
    for item, fields in lines.items():
        if item not in ITEM_LABELS:
            out.append(f"沒有「{item}」這個經費項目。")
            continue
        if not isinstance(fields, Mapping):
            out.append(f"{label(item)}的內容須為各欄位的值。")
            continue
        for name, value in fields.items():
            if name not in LINE_FIELDS:
                out.append(f"{label(item)}沒有「{name}」這個欄位。")
            elif name == "explanation":
                if not isinstance(value, str):
                    out.append(f"{label(item)}的差異說明須為文字。")
            elif problem := _count_problem(f"{label(item)}的{FIELD_NAMES[name]}", value):
                out.append(problem)
    return out


FIELD_NAMES = {
    "recurrent": "經常門",
    "capital": "資本門",
    "person_months": "人月數",
    "monthly_rate": "每月支給",
}
