"""The facts an item's decision needs, as its page and `jingjin … show` both print them.

Each loader reads what it shows and nothing more (a handful of queries, none per row
of another table), and returns plain text already formatted (新臺幣, ROC dates, zh-TW
labels): the page and the command line print the same strings, so they cannot disagree.
Amounts come from the same functions the guards use (plan_figures, statement,
county_estimate, administration_fee), so the page shows what the rules will judge.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from model.tables import (
    BudgetChange,
    BudgetLine,
    County,
    Plan,
    Product,
    Purchase,
    Reimbursement,
    TransitionLog,
)
from rules import BUSINESS_KEYS, administration_fee, load_rules
from rules.settlement import BP, Statement, statement, statement_from_dict
from states.budget_change import APPROVE_GUARDS
from states.evidence import PROCUREMENT_METHODS
from states.plan import PART_TIME_ITEMS, part_time_limits
from states.steps import run_guards
from states.values import BudgetChangeState, BudgetItem, ItemType, PurchaseState
from states.values import ReimbursementState as RS
from vocab.display import amount, ntd, percent, roc_date, roc_datetime
from vocab.labels import ITEM_LABELS, TARGET_LABELS
from workflow.plan_estimate import county_estimate, county_plan, per_head_rate
from workflow.plans import change_context
from workflow.purchases import _content_line, _contracted_elsewhere
from workflow.reimbursements import approved_lines, plan_figures, settlement_due


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Facts:
    """A <dl>: labelled values."""

    title: str
    facts: tuple[Fact, ...]
    kind: str = "list"


@dataclass(frozen=True)
class Grid:
    """A table: the first column heads each row; `text` names the columns that are words."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None
    text: frozenset[int] = frozenset()
    kind: str = "grid"


@dataclass(frozen=True)
class Sheet:
    title: str
    blocks: tuple[Facts | Grid, ...]
    notes: tuple[str, ...] = ()  # what the decision must not miss (an unexplained line, …)
    covers: frozenset[str] = field(default_factory=frozenset)


UNIT = "（金額單位：新臺幣元）"
# The stored columns each sheet states, which `show` then does not print a second time.
COMMON_COLUMNS = frozenset({"year", "plan_id", "letter_no", "created_at"})
PURCHASE_COLUMNS = COMMON_COLUMNS | {
    "product_id",
    "amount",
    "procurement_amount",
    "award_date",
    "disbursement_requested_on",
}
CHANGE_COLUMNS = COMMON_COLUMNS | {"reason"}
REIMBURSEMENT_COLUMNS = COMMON_COLUMNS | {"approved_amount", "subsidy", "disbursed", "spent"}
PLAN_COLUMNS = frozenset({"year", "submitted_on", "approved_on", "letter_no", "created_at"})
NONE = "—"


def _facts(title: str, pairs) -> Facts:
    return Facts(title, tuple(Fact(label, value) for label, value in pairs if value is not None))


def _day(value: date | str | None) -> str | None:
    if not value:
        return None
    return roc_date(date.fromisoformat(value) if isinstance(value, str) else value)


def _item(key: str) -> str:
    return ITEM_LABELS.get(key, key)


def _signed(value: int) -> str:
    return f"+{amount(value)}" if value > 0 else amount(value)


def _common(row: Any) -> list[tuple[str, str | None]]:
    """What every item's `show` prints beside its own facts."""
    plan_id = getattr(row, "plan_id", None)
    return [
        ("年度", f"{row.year} 年度"),
        ("所屬縣市實施計畫", f"縣市實施計畫 #{plan_id}" if plan_id else None),
        ("文號", row.letter_no or None),
        ("建立時間", roc_datetime(row.created_at) if row.created_at else None),
    ]


# ------------------------------------------------------------------ purchase
def procurement_amount(row: Purchase) -> int | None:
    """採購金額: the budgeted amount fixed before tendering, which picks the band.

    The one place it is read; purchases contracted before it was kept have none, and
    the award amount stands alone.
    """
    return row.procurement_amount


def _product(db: Session, row: Purchase) -> Product | None:
    return db.get(Product, row.product_id) if row.product_id else None


def _contract_logged(db: Session, row: Purchase) -> TransitionLog | None:
    query = (
        select(TransitionLog)
        .where(
            TransitionLog.item_type == ItemType.purchase,
            TransitionLog.item_id == row.id,
            TransitionLog.event == "contract",
        )
        .order_by(col(TransitionLog.id).desc())
        .limit(1)
    )
    return db.exec(query).first()


def _content_room(db: Session, row: Purchase) -> list[tuple[str, str | None]]:
    """The facts purchase.within_approved_line judges the contract by, read as it reads them."""
    plan = county_plan(db, row.county_id, row.year)
    budget, taken = _content_line(db, plan), _contracted_elsewhere(db, row)
    return [
        ("數位內容及教學軟體核定經費", ntd(budget)),
        ("本縣市其他採購已簽約", ntd(taken)),
        ("尚可簽約額度", ntd(budget - taken)),
    ]


def purchase_sheet(db: Session, row: Purchase) -> Sheet:
    ev = row.evidence or {}
    meeting, choice = ev.get("decide") or {}, ev.get("verify_product") or {}
    contract, request = ev.get("contract") or {}, ev.get("request_disbursement") or {}
    usage = ev.get("record_usage") or {}
    method = contract.get("method")
    product = _product(db, row)
    budgeted = procurement_amount(row)
    status = str(row.status)
    logged = _contract_logged(db, row) if contract else None
    product_facts = _facts(
        "產品",
        [
            ("產品名稱", product.name if product else "（尚未確認選購名單產品）"),
            ("選購名單序號", product.serial if product else None),
            ("選購名單廠商", product.vendor if product else None),
            ("選購名單參考價格", ntd(product.reference_price) if product else None),
            ("確認產品時填列金額", ntd(choice["amount"]) if "amount" in choice else None),
            (
                "搭配硬體或教具金額",
                ntd(choice["hardware_amount"]) if choice.get("hardware_amount") else None,
            ),
        ],
    )
    late = "（逾請撥期限）" if ev.get("late_request") else ""
    procurement = _facts(
        "採購與請撥",
        [
            ("預估金額", ntd(row.amount) if not contract else None),
            ("採購金額", ntd(budgeted) if budgeted is not None else None),
            ("決標（契約）金額", ntd(contract["amount"]) if contract else "（尚未決標）"),
            ("採購方式", PROCUREMENT_METHODS.get(method, method) if method else None),
            ("選擇性或限制性招標理由", contract.get("justification") or None),
            ("得標廠商", contract.get("vendor")),
            ("公開會議日期", _day(meeting.get("held_on")) or "（尚未召開）"),
            ("決標日期", _day(row.award_date)),
            ("決標與契約登錄日期", roc_date(logged.at) if logged else None),
            ("請撥日期", (_day(row.disbursement_requested_on) or "") + late or None),
            ("請撥金額", ntd(request["amount"]) if "amount" in request else None),
            ("累計使用人數", amount(usage["cumulative_users"]) if usage else None),
            ("累計使用時數", amount(usage["cumulative_hours"]) if usage else None),
            ("使用效益說明", usage.get("notes") or None),
        ],
    )
    blocks: list[Facts | Grid] = [product_facts, procurement]
    if status == PurchaseState.clause_verified:
        blocks.append(_facts("簽約前的經費額度", _content_room(db, row)))
    blocks.append(_facts("其他", _common(row)))
    notes = ()
    if status == PurchaseState.contracted and contract:
        notes = (f"請撥金額不得超過決標（契約）金額 {ntd(contract['amount'])}。",)
    return Sheet("採購資料", tuple(blocks), notes, PURCHASE_COLUMNS)


# ------------------------------------------------------------------ budget change
def _plan_lines(db: Session, plan_id: int) -> dict[str, BudgetLine]:
    rows = db.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
    return {str(r.item): r for r in rows}


STAFFED = ("recurrent", "capital", "person_months", "monthly_rate")


def _order(keys) -> list[str]:
    known = [item.value for item in BudgetItem]
    return sorted(keys, key=lambda k: known.index(k) if k in known else len(known))


def change_amounts(
    row: BudgetChange, lines: Mapping[str, BudgetLine]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """(before, after) per budget line, staffing included.

    Approved: a changed line's before is what the change replaced (kept on the change)
    and its after what the change wrote. Otherwise before is the plan as it stands and
    after what was asked for.
    """
    empty = dict.fromkeys(STAFFED, 0)
    now = {item: {n: getattr(line, n) for n in STAFFED} for item, line in lines.items()}
    approved = row.status == BudgetChangeState.approved
    before, after = dict(now), dict(now)
    for item, parts in row.lines.items():
        base = now.get(item, empty)
        after[item] = {**base, **parts}
        if approved:
            before[item] = {**base, **row.previous[item]} if item in row.previous else empty
    return before, after


def _parts_total(amounts: Mapping[str, Mapping[str, int]], part: str) -> int:
    return sum(parts[part] for parts in amounts.values())


def budget_change_sheet(db: Session, row: BudgetChange) -> Sheet:
    rules = load_rules(row.year)
    lines = _plan_lines(db, row.plan_id)
    before, after = change_amounts(row, lines)
    changed = set(row.lines)
    rows = []
    empty = dict.fromkeys(STAFFED, 0)
    for item in _order(set(before) | set(after)):
        b, a = before.get(item, empty), after.get(item, empty)
        diff = a["recurrent"] + a["capital"] - b["recurrent"] - b["capital"]
        mark = "（變更）" if item in changed else ""
        rows.append(
            (
                _item(item) + mark,
                amount(b["recurrent"]),
                amount(b["capital"]),
                amount(a["recurrent"]),
                amount(a["capital"]),
                _signed(diff),
            )
        )
    totals = {
        side: (_parts_total(amounts, "recurrent"), _parts_total(amounts, "capital"))
        for side, amounts in (("before", before), ("after", after))
    }
    (rb, cb), (ra, ca) = totals["before"], totals["after"]
    by_line = Grid(
        "各經費項目變更前後" + UNIT,
        ("經費項目", "變更前經常門", "變更前資本門", "變更後經常門", "變更後資本門", "差額"),
        tuple(rows),
        ("合計", amount(rb), amount(cb), amount(ra), amount(ca), _signed(ra + ca - rb - cb)),
    )
    by_part = Grid(
        "經常門／資本門合計" + UNIT,
        ("類別", "變更前", "變更後", "差額"),
        (
            ("經常門", amount(rb), amount(ra), _signed(ra - rb)),
            ("資本門", amount(cb), amount(ca), _signed(ca - cb)),
        ),
        ("合計", amount(rb + cb), amount(ra + ca), _signed(ra + ca - rb - cb)),
    )
    business = sum(after.get(key, {}).get("recurrent", 0) for key in BUSINESS_KEYS)
    admin = after.get(BudgetItem.administration.value, {})
    admin_total = admin.get("recurrent", 0) + admin.get("capital", 0)
    cap = administration_fee(business, rules)
    context = [
        ("變更理由", row.reason or NONE),
        ("變更後經常門業務費（3、4a、4b、5、6）", ntd(business)),
        ("變更後行政管理費", ntd(admin_total)),
        ("行政管理費上限", ntd(cap) + ("" if admin_total <= cap else "（超過上限）")),
    ]
    for item in PART_TIME_ITEMS:
        if item.value in changed:
            limits = part_time_limits(item, rules)
            b, a = before.get(item.value, empty), after[item.value]
            context.append(
                (
                    f"{_item(item.value)}人月數 × 每月支給",
                    f"變更前 {b['person_months']} 人月 × {ntd(b['monthly_rate'])}；"
                    f"變更後 {a['person_months']} 人月 × {ntd(a['monthly_rate'])}"
                    f"（每月支給範圍 {amount(limits.min_monthly)}–{amount(limits.max_monthly)} 元）",
                )
            )
    if not rules.budget.digital_content.may_flow_to_other_items:
        context.append(("數位內容及教學軟體", "經費不得流用至其他項目"))
    context.append(("經常門與資本門", "計畫核定後不得互相流用"))
    notes: tuple[str, ...] = ()
    if row.status == BudgetChangeState.requested:
        # The rules the approval will run, on the plan as it stands now.
        refusals = run_guards(APPROVE_GUARDS, change_context(db, row, None, None, rules, None))
        notes = tuple(f"核定時將不符規定：{r.message}" for r in refusals)
        verdict = "不符規定（見上方說明）" if refusals else "符合經費流用/變更規定"
        context.append(("依目前計畫經費檢核", verdict))
    blocks = (by_line, by_part, _facts("核定所需資訊", context), _facts("其他", _common(row)))
    return Sheet("經費流用/變更內容", blocks, notes, CHANGE_COLUMNS)


# ------------------------------------------------------------------ reimbursement
def reimbursement_figures(db: Session, row: Reimbursement) -> tuple[int, int, dict]:
    """A, B and the approved lines as the guards count them now (workflow.reimbursements)."""
    rules = load_rules(row.year)
    lines = approved_lines(db, row.plan_id)
    a, b = plan_figures(db, row, rules, lines)
    return a, b, lines


SUBMITTED = (RS.settlement_submitted, RS.under_review, RS.resubmitted)


def _statement_grid(figures: Statement, caption: str) -> Grid:
    d = percent(figures.D.numerator, figures.D.denominator)
    g = figures.G
    if g > 0:
        outcome = f"應繳回 {ntd(g)}"
    elif g < 0:
        outcome = f"教育部應補撥 {ntd(-g)}"
    else:
        outcome = "無須繳回"
    return Grid(
        caption,
        ("欄位", "項目", "金額", "計算方式"),
        (
            ("A", "核定計畫金額", ntd(figures.A), ""),
            ("B", "核定補助金額", ntd(figures.B), ""),
            ("C", "已撥付金額", ntd(figures.C), ""),
            ("D", "補助比率", d, "B ÷ A"),
            ("E", "實支金額", ntd(figures.E), ""),
            ("F", "賸餘款", ntd(figures.F), "A − E"),
            ("G", "應繳回金額", ntd(g), "F × D −（B − C）"),
            ("結果", "結算結果", outcome, ""),
        ),
        text=frozenset({1, 2, 3}),
    )


def reimbursement_sheet(db: Session, row: Reimbursement) -> Sheet:
    rules = load_rules(row.year)
    a, b, lines = reimbursement_figures(db, row)
    ev = row.evidence or {}
    tranches = ev.get("tranches", [])
    band = rules.disbursement.band_for(a)
    keep = b * (BP - band.holdback_min_bp) // BP
    money = [
        ("A 核定計畫金額", ntd(a)),
        ("B 核定補助金額", ntd(b)),
        ("C 已撥付金額", ntd(row.disbursed)),
        ("尚未撥付（B − C）", ntd(b - row.disbursed)),
        ("E 實支金額", ntd(row.spent) if "spending" in ev else "（尚未提送結報）"),
        ("第一期撥款上限", ntd(b * band.first_tranche_max_bp // BP)),
    ]
    if band.holdback_min_bp:
        money.append(("結報前累計撥款上限", ntd(keep)))
        money.append(("結報前尚可撥付", ntd(max(keep - row.disbursed, 0))))
        money.append(("保留至結報後撥付", ntd(b - keep)))
    money.append(("結報期限", roc_date(settlement_due(rules))))
    blocks: list[Facts | Grid] = [_facts("經費", money)]
    if tranches:
        blocks.append(
            Grid(
                "分期撥付",
                ("期別", "撥付日期", "金額", "核撥文號"),
                tuple(
                    (
                        f"第 {i} 期",
                        _day(t.get("disbursed_on")) or NONE,
                        ntd(t["amount"]),
                        t.get("letter_no") or NONE,
                    )
                    for i, t in enumerate(tranches, 1)
                ),
                ("合計", "", ntd(sum(t["amount"] for t in tranches)), ""),
                text=frozenset({1, 3}),
            )
        )
    blocks.append(_spending_grid(lines, ev.get("spending") or {}))
    blocks += _statement_blocks(row, a, b, ev)
    paid_back = ev.get("balance_return")
    if paid_back:
        blocks.append(
            _facts(
                "餘款繳回",
                [
                    ("繳回日期", _day(paid_back.get("returned_on"))),
                    ("繳回金額", ntd(paid_back["amount"])),
                ],
            )
        )
    blocks.append(_facts("其他", [*_common(row), ("成果報告", ev.get("report_ref"))]))
    return Sheet("經費請撥與結報資料", tuple(blocks), (), REIMBURSEMENT_COLUMNS)


def _spending_grid(lines: Mapping, spending: Mapping) -> Grid:
    """The approved lines, beside what was spent on each once the settlement says."""
    rows = []
    for item in _order(set(lines) | set(spending)):
        line, spent = lines.get(item), spending.get(item)
        rec, cap = (line.recurrent, line.capital) if line else (0, 0)
        if spending:
            spent = spent or {}
            cells = (rec, spent.get("recurrent", 0), cap, spent.get("capital", 0))
        else:
            cells = (rec, cap, rec + cap)
        rows.append((_item(item), *(amount(c) for c in cells)))
    if spending:
        head = ("經費項目", "核定經常門", "實支經常門", "核定資本門", "實支資本門")
        return Grid("各經費項目核定與實支" + UNIT, head, tuple(rows))
    return Grid("各經費項目核定經費" + UNIT, ("經費項目", "經常門", "資本門", "合計"), tuple(rows))


def _statement_blocks(row: Reimbursement, a: int, b: int, ev: Mapping) -> list[Grid]:
    stored, first = ev.get("statement"), ev.get("settled_statement")
    if first:  # a payment made on the settled statement restated it
        return [
            _statement_grid(statement_from_dict(stored), "收支結算表（含結報後撥款）"),
            _statement_grid(
                statement_from_dict(first), f"收支結算表（{_day(ev.get('settled_on'))} 核定）"
            ),
        ]
    if stored:
        caption = f"收支結算表（{_day(ev.get('settled_on'))} 核定）"
        return [_statement_grid(statement_from_dict(stored), caption)]
    if str(row.status) in SUBMITTED and "spending" in ev and a:
        figures = statement(a, b, row.disbursed, row.spent)
        return [_statement_grid(figures, "收支結算表（依提送數字試算，尚待教育部核定）")]
    return []


# ------------------------------------------------------------------ plan
def plan_sheet(db: Session, row: Plan) -> Sheet:
    rules = load_rules(row.year)
    est, minimums = county_estimate(db, db.get(County, row.county_id), rules)
    lines = _plan_lines(db, row.id)
    rows, unexplained = [], []
    for item in _order(set(lines) | set(est.items)):
        line, estimated = lines.get(item), est.items.get(item, 0)
        rec, cap = (line.recurrent, line.capital) if line else (0, 0)
        diff = rec + cap - estimated
        explained = line.explanation.strip() if line else ""
        if diff == 0:
            note = NONE
        elif explained:
            note = "已說明：" + explained
        else:
            note = "未說明"
            unexplained.append(_item(item))
        rows.append(
            (
                _item(item),
                amount(estimated),
                amount(rec),
                amount(cap),
                amount(rec + cap),
                _signed(diff),
                note,
            )
        )
    rec_total = sum(x.recurrent for x in lines.values())
    cap_total = sum(x.capital for x in lines.values())
    requested = rec_total + cap_total
    budget = Grid(
        "經費申請與教育部預估" + UNIT,
        ("經費項目", "教育部預估", "經常門", "資本門", "申請合計", "差額", "差異說明"),
        tuple(rows),
        (
            "合計",
            amount(est.total),
            amount(rec_total),
            amount(cap_total),
            amount(requested),
            _signed(requested - est.total),
            "",
        ),
        text=frozenset({6}),
    )
    business = sum(x.recurrent for k, x in lines.items() if k in BUSINESS_KEYS)
    admin = lines.get(BudgetItem.administration.value)
    cap = administration_fee(business, rules)
    summary = [
        ("經常門合計", ntd(rec_total)),
        ("資本門合計", ntd(cap_total)),
        ("申請總額", ntd(requested)),
        ("教育部預估總額", ntd(est.total)),
        ("申請與預估差額", ntd(requested - est.total)),
        ("所轄學校數", f"{est.schools} 校"),
        ("數位內容每位師生補助額", ntd(per_head_rate(db, rules))),
        ("經常門業務費（3、4a、4b、5、6）", ntd(business)),
        ("行政管理費申請／上限", f"{ntd(admin.requested if admin else 0)}／{ntd(cap)}"),
    ]
    for item in PART_TIME_ITEMS:
        line = lines.get(item.value)
        if line and (line.person_months or line.monthly_rate):
            summary.append(
                (
                    f"{_item(item.value)}人月數 × 每月支給",
                    f"{line.person_months} 人月 × {ntd(line.monthly_rate)}",
                )
            )
    targets = []
    for key, minimum in minimums.items():
        value = (row.targets or {}).get(key)
        typed = isinstance(value, int) and not isinstance(value, bool)
        met = "未填" if not typed else ("符合" if value >= minimum else "低於最低要求")
        targets.append(
            (TARGET_LABELS.get(key, key), amount(value) if typed else NONE, amount(minimum), met)
        )
    target_grid = Grid(
        "量化指標", ("指標", "本計畫目標", "最低要求", "檢核"), tuple(targets), text=frozenset({3})
    )
    dates = [
        ("年度", f"{row.year} 年度"),
        ("送出日期", _day(row.submitted_on)),
        ("核定日期", _day(row.approved_on)),
        ("核定文號", row.letter_no or None),
        ("建立時間", roc_datetime(row.created_at) if row.created_at else None),
    ]
    notes = ()
    if unexplained:
        notes = (
            "下列項目的申請數與教育部預估數不同，尚未說明差異：" + "、".join(unexplained) + "。",
        )
    blocks = (budget, _facts("經費摘要", summary), target_grid, _facts("其他", dates))
    return Sheet("計畫經費與量化指標", blocks, notes, PLAN_COLUMNS)


SHEETS: dict[str, Callable[[Session, Any], Sheet]] = {
    ItemType.purchase.value: purchase_sheet,
    ItemType.budget_change.value: budget_change_sheet,
    ItemType.reimbursement.value: reimbursement_sheet,
    ItemType.plan.value: plan_sheet,
}


def item_sheet(db: Session, item_type: str, row: Any) -> Sheet | None:
    loader = SHEETS.get(str(item_type))
    return loader(db, row) if loader else None


def sheet_lines(sheet: Sheet) -> list[str]:
    """The sheet as terminal lines, for `jingjin … show`."""
    out = [f"【{sheet.title}】"]
    for block in sheet.blocks:
        if isinstance(block, Facts):
            if block.facts:
                out.append(f"  {block.title}")
                out += [f"    {f.label}：{f.value}" for f in block.facts]
            continue
        out.append(f"  {block.caption}")
        out.append("    " + "｜".join(block.head))
        out += [
            "    " + "｜".join(cells)
            for cells in (*block.rows, *([block.total] if block.total else []))
        ]
    out += [f"  ※ {note}" for note in sheet.notes]
    return out
