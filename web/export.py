"""What a list shows, as CSV (for Excel: UTF-8 with BOM) or XLSX (typed cells).

Text that a spreadsheet would read as a formula (= + - @, tab, CR first) stays text: in
XLSX as a string cell, in CSV behind an apostrophe, as OWASP advises for CSV injection."""

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO, StringIO
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from forms.cells import csv_safe, keep_text

DATE_FORMAT = "yyyy-mm-dd"
THOUSANDS = "#,##0"
Cell = str | int | date | None


@dataclass
class Table:
    name: str  # file and sheet name, zh-TW
    header: list[str]
    rows: list[list[Cell]]


def _plain_name(name: str) -> str:
    """Sheet titles and file names refuse \\ / ? * [ ] : (經費流用/變更)."""
    return re.sub(r"[\\/?*\[\]:]", "、", name)[:31] or "匯出"


def _is_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if _is_number(value):
        return str(value)
    return csv_safe(str(value))


def csv_bytes(table: Table) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_csv_text(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode()


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _plain_name(table.name)
    sheet.append(table.header)
    for cell in sheet[1]:
        keep_text(cell)
        cell.font = Font(bold=True)
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)
            cell.value = value
            keep_text(cell)
            if _is_number(value):
                cell.number_format = THOUSANDS
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def too_many(total: int, limit: int) -> None:
    if total > limit:
        raise HTTPException(
            413,
            f"符合條件的資料有 {total:,} 筆，超過匯出上限 {limit:,} 筆；請縮小篩選範圍後再匯出。",
        )


def download(table: Table, fmt: str) -> Response:
    if fmt == "csv":
        body, media, ext = csv_bytes(table), "text/csv; charset=utf-8", "csv"
    elif fmt == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        body, ext = xlsx_bytes(table), "xlsx"
    else:
        raise HTTPException(404, "沒有這種匯出格式（可用：csv、xlsx）。")
    filename = quote(f"{_plain_name(table.name)}.{ext}")
    disposition = f"attachment; filename=export.{ext}; filename*=UTF-8''{filename}"
    return Response(body, media_type=media, headers={"content-disposition": disposition})
