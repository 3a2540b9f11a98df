"""Text a spreadsheet would read as a formula stays text, in every export.

A clerk's explanation or an imported 學校全銜 starting with = + - @, a tab or a CR would
otherwise become a live formula (OWASP: CSV injection). XLSX writes such text as a string
cell, ODS as a string-typed cell, CSV behind an apostrophe."""

from openpyxl.cell.cell import Cell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def keep_text(cell: Cell) -> None:
    """openpyxl takes any str starting with = as a formula; a string cell never is one."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
