"""Sheets as an ODF spreadsheet (odfpy, CNS 15251): numbers as float-typed cells holding
whole values, shown with a thousands separator."""

from __future__ import annotations

from io import BytesIO

from odf.element import Element
from odf.number import Number, NumberStyle, PercentageStyle
from odf.number import Text as NumberText
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import ParagraphProperties, Style, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

from forms.sheets import DRAFT_ROW, Cell, Percent, Sheet


class _Styles:
    def __init__(self, doc: OpenDocumentSpreadsheet) -> None:
        grouped = NumberStyle(name="N0")
        grouped.addElement(Number(decimalplaces=0, minintegerdigits=1, grouping="true"))
        doc.automaticstyles.addElement(grouped)
        self.number = Style(name="money", family="table-cell", datastylename="N0")
        doc.automaticstyles.addElement(self.number)
        tenths = PercentageStyle(name="P1")
        tenths.addElement(Number(decimalplaces=1, minintegerdigits=1))
        tenths.addElement(NumberText(text="%"))
        doc.automaticstyles.addElement(tenths)
        self.percent = Style(name="percent", family="table-cell", datastylename="P1")
        doc.automaticstyles.addElement(self.percent)
        self.draft = Style(name="draft", family="table-cell")
        self.draft.addElement(TextProperties(fontweight="bold", color="#cc0000", fontsize="14pt"))
        doc.automaticstyles.addElement(self.draft)
        self.bold = Style(name="bold", family="table-cell")
        self.bold.addElement(TextProperties(fontweight="bold"))
        self.bold.addElement(ParagraphProperties(textalign="center"))
        doc.automaticstyles.addElement(self.bold)
        self._doc = doc
        self._widths: dict[int, Element] = {}

    def column(self, chars: int) -> Element:
        if chars not in self._widths:
            style = Style(name=f"col{chars}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{chars * 0.22:.2f}cm"))
            self._doc.automaticstyles.addElement(style)
            self._widths[chars] = style
        return self._widths[chars]


def _cell(value: Cell, styles: _Styles, style: Element | None = None) -> TableCell:
    if value is None or value == "":
        return TableCell()
    if isinstance(value, Percent):
        cell = TableCell(
            valuetype="percentage", value=str(value.fraction), stylename=styles.percent
        )
        cell.addElement(P(text=str(value)))
        return cell
    if isinstance(value, int) and not isinstance(value, bool):
        cell = TableCell(valuetype="float", value=value, stylename=styles.number)
        cell.addElement(P(text=f"{value:,}"))
        return cell
    styled = {} if style is None else {"stylename": style}
    cell = TableCell(valuetype="string", **styled)
    for line in str(value).split("\n"):
        cell.addElement(P(text=line))
    return cell


def _row(values: list[Cell], styles: _Styles, style: Element | None = None) -> TableRow:
    row = TableRow()
    for value in values:
        row.addElement(_cell(value, styles, style))
    return row


def _table(sheet: Sheet, styles: _Styles, draft: bool) -> Table:
    table = Table(name=sheet.name[:31])
    for chars in sheet.widths:
        table.addElement(TableColumn(stylename=styles.column(chars)))
    if draft:
        table.addElement(_row([DRAFT_ROW], styles, styles.draft))
    for line in sheet.title:
        table.addElement(_row([line], styles))
    table.addElement(_row(list(sheet.header), styles, styles.bold))
    for values in sheet.rows:
        table.addElement(_row(values, styles))
    for note in sheet.notes:
        table.addElement(_row([note], styles))
    return table


def write_ods(sheets: list[Sheet], draft: bool = False) -> bytes:
    doc = OpenDocumentSpreadsheet()
    styles = _Styles(doc)
    for sheet in sheets:
        doc.spreadsheet.addElement(_table(sheet, styles, draft))
    out = BytesIO()
    doc.write(out)
    return out.getvalue()
