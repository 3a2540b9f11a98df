"""Sheets as an XLSX workbook (openpyxl): numbers as numeric cells with thousands format."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from forms.cells import keep_text
from forms.sheets import DRAFT_ROW, Percent, Sheet

THOUSANDS = "#,##0"
PERCENT = "0.0%"
_WRAP = Alignment(wrap_text=True, vertical="top")


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _append(ws: Worksheet, values) -> None:
    ws.append(values)
    for cell in ws[ws.max_row]:
        keep_text(cell)


def _fill(ws: Worksheet, sheet: Sheet, draft: bool) -> None:
    if draft:
        _append(ws, [DRAFT_ROW])
        ws.cell(ws.max_row, 1).font = Font(bold=True, color="CC0000", size=14)
    for line in sheet.title:
        _append(ws, [line])
    ws.cell(ws.max_row - len(sheet.title) + 2, 1).font = Font(bold=True, size=14)
    _append(ws, sheet.header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = _WRAP
    for row in sheet.rows:
        _append(ws, [v.fraction if isinstance(v, Percent) else v for v in row])
        for cell, value in zip(ws[ws.max_row], row, strict=False):
            cell.alignment = _WRAP
            if isinstance(value, Percent):
                cell.number_format = PERCENT
            elif _is_number(cell.value):
                cell.number_format = THOUSANDS
    for note in sheet.notes:
        _append(ws, [note])
    for index, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def write_xlsx(sheets: list[Sheet], draft: bool = False) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        _fill(book.create_sheet(sheet.name[:31]), sheet, draft)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
