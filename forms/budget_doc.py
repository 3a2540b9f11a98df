"""The 經費申請表 (附件 柒) of a plan: seven items, 1a–1e and 4a–4b under their item."""

from dataclasses import dataclass, field

from forms.budget_outline import GROUPS, MDM_ESTIMATE_NOTE, NO_TRANSFER_NOTE, REMARKS, fill_blanks
from forms.heading import Heading, heading
from forms.plan_data import PlanData
from rules import BUSINESS_KEYS, administration_fee
from states.values import BudgetItem
from vocab.display import roc_date
from vocab.labels import ITEM_LABELS


@dataclass(frozen=True)
class BudgetRow:
    code: str  # "1", "1a", …; "" for the 合計 row
    title: str
    estimate: int
    recurrent: int
    capital: int
    explanation: str = ""
    notes: tuple[str, ...] = ()  # 編列說明, on the item rows only
    estimate_note: str = ""

    @property
    def subtotal(self) -> int:
        return self.recurrent + self.capital


@dataclass(frozen=True)
class BudgetBlock:
    """An item of the form; `parts` holds 1a–1e or 4a–4b where the item has parts."""

    item: BudgetRow
    parts: tuple[BudgetRow, ...] = ()


@dataclass(frozen=True)
class BudgetDoc:
    heading: Heading
    blocks: list[BudgetBlock]
    total: BudgetRow
    business_recurrent: int  # 業務費: the 經常門 of items 3, 4a, 4b, 5 and 6
    administration_cap: int
    administration_requested: int
    no_transfer_note: str = NO_TRANSFER_NOTE
    remarks: list[str] = field(default_factory=list)


def _line_row(data: PlanData, item: BudgetItem) -> BudgetRow:
    line = data.lines.get(item)
    code, title = ITEM_LABELS[item.value].split(" ", 1)
    return BudgetRow(
        code=code,
        title=title,
        estimate=data.estimate_of(item),
        recurrent=line.recurrent if line else 0,
        capital=line.capital if line else 0,
        explanation=line.explanation if line else "",
    )


def _block(data: PlanData, group) -> BudgetBlock:
    parts = tuple(_line_row(data, item) for item in group.items)
    notes = tuple(fill_blanks(note, data.plan.inputs, data.rules) for note in group.notes)
    item = BudgetRow(
        code=group.number,
        title=group.title,
        estimate=sum(p.estimate for p in parts),
        recurrent=sum(p.recurrent for p in parts),
        capital=sum(p.capital for p in parts),
        # A single-line item keeps its own explanation; split items explain per part.
        explanation=parts[0].explanation if len(parts) == 1 else "",
        notes=notes,
        estimate_note=MDM_ESTIMATE_NOTE if BudgetItem.mdm_licences in group.items else "",
    )
    return BudgetBlock(item=item, parts=parts if len(parts) > 1 else ())


def budget_doc(data: PlanData, title: str | None = None) -> BudgetDoc:
    blocks = [_block(data, group) for group in GROUPS]
    items = [b.item for b in blocks]
    business = sum(
        line.recurrent for item, line in data.lines.items() if item.value in BUSINESS_KEYS
    )
    admin = data.lines.get(BudgetItem.administration)
    period = data.rules.period
    remarks = [
        note.format(start=roc_date(period.start, long=True), end=roc_date(period.end, long=True))
        for note in REMARKS
    ]
    return BudgetDoc(
        heading=heading(
            title or f"{data.year} 年中小學實施計畫經費申請表--{data.county.name}",
            data.county.name,
            data.year,
        ),
        blocks=blocks,
        total=BudgetRow(
            code="",
            title="合計",
            estimate=sum(i.estimate for i in items),
            recurrent=sum(i.recurrent for i in items),
            capital=sum(i.capital for i in items),
        ),
        business_recurrent=business,
        administration_cap=administration_fee(business, data.rules),
        administration_requested=admin.requested if admin else 0,
        remarks=remarks,
    )
