"""The documents' tables as plain rows, ready for a spreadsheet: one Sheet per table.

Money and counts stay ints so the spreadsheet holds numbers people can add up.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from forms.budget_doc import BudgetDoc, BudgetRow
from forms.heading import Heading
from forms.plan_doc import PlanDoc, TargetRow
from forms.results_doc import ResultRow, ResultsDoc
from forms.schools_doc import SchoolsDoc


@dataclass(frozen=True)
class Percent:
    """A rate a spreadsheet keeps as a number with a % format: part / whole, rounded half
    up to 0.1 % in integer arithmetic (4/6 is 66.7 %)."""

    part: int
    whole: int

    @property
    def tenths(self) -> int:  # tenths of a percent; a target not reached stays below 100.0
        tenths = (self.part * 2000 + self.whole) // (2 * self.whole)
        return 999 if tenths == 1000 and self.part < self.whole else tenths

    @property
    def fraction(self) -> Decimal:  # 0.667 for 66.7 %
        return Decimal(self.tenths) / 1000

    def __str__(self) -> str:
        return f"{self.tenths // 10}.{self.tenths % 10}%"


Cell = str | int | Percent | None

DRAFT_ROW = "草稿：本文件未經檢核，不得作為正式文件"


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters: the XLSX limit
    title: list[str]
    header: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)  # in characters, per column


def _title(heading: Heading, extra: str | None = None) -> list[str]:
    lines = [heading.programme, extra or heading.title]
    return [*lines, f"製表日期：{heading.made_on}"]


# ------------------------------------------------------------------ budget
BUDGET_HEADER = [
    "項次", "經費項目", "編列說明", "教育部預估補助數(元)", "申請經費-經常門(元)",
    "申請經費-資本門(元)", "申請經費-小計(元)", "與教育部預估補助數之差異說明(經費需求說明)",
]  # fmt: skip


def _budget_row(row: BudgetRow) -> list[Cell]:
    notes = "\n".join(f"{i}. {n}" for i, n in enumerate(row.notes, 1)) if len(row.notes) > 1 else (
        row.notes[0] if row.notes else "")  # fmt: skip
    if row.estimate_note:
        notes = f"{notes}\n（預估補助數：{row.estimate_note}）"
    return [row.code, row.title, notes, row.estimate, row.recurrent, row.capital,
            row.subtotal, row.explanation]  # fmt: skip


def budget_sheet(doc: BudgetDoc, name: str = "經費申請表") -> Sheet:
    rows = []
    for block in doc.blocks:
        rows.append(_budget_row(block.item))
        rows += [_budget_row(part) for part in block.parts]
    rows.append([*_budget_row(doc.total)[:7], f"({doc.no_transfer_note})"])
    rows.append(["", "行政管理費上限", f"依經常門業務費 {doc.business_recurrent:,} 元計算",
                 None, doc.administration_cap, None, None, ""])  # fmt: skip
    return Sheet(
        name=name,
        title=_title(doc.heading),
        header=BUDGET_HEADER,
        rows=rows,
        notes=[f"備註{i}：{remark}" for i, remark in enumerate(doc.remarks, 1)],
        widths=[6, 22, 50, 14, 14, 14, 14, 36],
    )


# ------------------------------------------------------------------ results
RESULTS_HEADER = ["項目", "目標值(A)", "達成值(B)", "達成率(B/A)", "單位", "執行現況"]


def _result_row(row: ResultRow) -> list[Cell]:
    target = row.target if row.target is not None else "依縣市規劃"
    rate = row.rate
    if row.target and row.achieved is not None and rate:
        rate = Percent(row.achieved, row.target)
    return [row.label, target, row.achieved, rate, row.unit, row.note]


def results_sheet(rows: list[ResultRow], heading: Heading, name: str, title: str | None = None,
                  notes: list[str] | None = None) -> Sheet:  # fmt: skip
    return Sheet(
        name=name,
        title=_title(heading, title),
        header=RESULTS_HEADER,
        rows=[_result_row(row) for row in rows],
        notes=notes or [],
        widths=[50, 12, 12, 12, 6, 40],
    )


def milestone_results_sheet(doc: ResultsDoc) -> Sheet:
    return results_sheet(doc.rows, doc.heading, "量化目標達成情形",
                         notes=[f"統計日期：{doc.as_of}", f"說明：{doc.note}"])  # fmt: skip


def shortfall_sheets(doc: ResultsDoc) -> list[Sheet]:
    """The schools short of the per-school targets, one sheet each."""
    workshop = Sheet(
        name="工作坊培訓未達編制之學校",
        title=_title(doc.heading, "數位學習工作坊(一)(二)累計培訓教師數未達編制教師總數之學校"),
        header=["學校代碼", "學校全銜", "編制教師數", "111–112 年累計", "本年度完成(一)(二)",
                "累計(不超過編制)", "尚差(人)"],
        rows=[[s.code, s.name, s.staff, s.baseline, s.trained, s.counted, s.short]
              for s in doc.workshop_short],
        notes=[] if doc.workshop_short else ["各校均已達成。"],
        widths=[10, 36, 12, 14, 16, 16, 10],
    )  # fmt: skip
    devices = Sheet(
        name="學習載具未達標準之學校",
        title=_title(doc.heading, "學習載具未達配發標準之學校"),
        header=["學校代碼", "學校全銜", "標準", "應有", "現有", "尚差", "單位"],
        rows=[[s.code, s.name, s.standard, s.need, s.have, s.short, s.unit]
              for s in doc.devices_short],
        notes=[] if doc.devices_short else ["各校均已達成。"],
        widths=[10, 36, 22, 10, 10, 10, 6],
    )  # fmt: skip
    return [workshop, devices]


# ------------------------------------------------------------------ schools
def schools_sheet(doc: SchoolsDoc, name: str = "學校名單") -> Sheet:
    t = doc.totals
    rows: list[list[Cell]] = [
        ["合計", None, None, None, None, None, None, None, None, f"共 {t.schools} 校",
         t.classes, t.teachers, t.students],
    ]  # fmt: skip
    rows += [
        [s.seq, s.level, s.code, s.county, s.district, s.establishment, s.affiliation, s.area,
         s.indigenous, s.name, s.classes, s.teachers, s.students]
        for s in doc.rows
    ]  # fmt: skip
    return Sheet(
        name=name,
        title=_title(doc.heading),
        header=doc.columns,
        rows=rows,
        notes=[doc.note],
        widths=[6, 6, 10, 8, 10, 8, 10, 10, 8, 30, 12, 14, 12],
    )


# ------------------------------------------------------------------ the plan, a sheet per table
def _targets_sheet(rows: list[TargetRow], heading: Heading) -> Sheet:
    return Sheet(
        name="預期績效指標",
        title=_title(heading, f"{heading.title} 陸、預期績效指標 一、量化指標"),
        header=["量化指標", "本縣(市)目標值", f"{heading.year} 年度最低要求"],
        rows=[[row.label, row.county, row.minimum] for row in rows],
        widths=[50, 16, 16],
    )


def plan_sheets(doc: PlanDoc) -> list[Sheet]:
    previous = results_sheet(
        doc.previous_results,
        doc.heading,
        f"{doc.previous_year}年量化目標達成情形",
        title=f"{doc.heading.title} 肆、一、{doc.previous_year} 年量化目標達成情形",
        notes=[f"備註：{doc.previous_results_note}"],
    )
    return [
        previous,
        _targets_sheet(doc.targets, doc.heading),
        budget_sheet(doc.budget),
        schools_sheet(doc.schools, name="附錄學校名單"),
    ]
