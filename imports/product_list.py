"""Import of the year's 「校園數位內容與教學軟體選購名單」 (伍、三、(六)).

A purchase may only buy a listed product, and six products need the data clause;
so, like the school list, a file with one bad row imports nothing.

The six are flagged by 產品序號, given by whoever imports the list (the rules name the
products, the year's list gives their serials): names are spelled loosely (「PaGamO素養」),
so a name that looks like one of the six only raises a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from imports.tabular import (
    ImportRejected,
    ImportReport,
    Row,
    RowChecker,
    RowProblem,
    duplicates,
    read_rows,
    upsert,
)
from model.seed import ensure_year
from model.tables import Product
from rules import InputError, load_rules

HEADERS = ("產品序號", "產品名稱", "廠商", "組別", "參考價格")
# The ministry's sheets carry the unit in the header in some years.
ALIASES = {"參考價格": ("參考價格(元)", "參考價格（元）")}
GROUPS = ("數位內容組", "課堂教學軟體組")
SERIAL_PATTERN = re.compile(r"[0-9]{5}-[0-9]{3}")
# Column widths of the Product table: PostgreSQL refuses longer text, SQLite would not.
TEXT_MAX = 128


def import_products(
    session: Session, path: Path | str, year: int, clause_serials: Iterable[str] | None = None
) -> ImportReport:
    """Upsert the year's list by (year, 產品序號) in the caller's transaction (flush only).

    `clause_serials` is the complete set of serials that need the data clause; None keeps
    the serials flagged by an earlier import. Raises TabularError for an unreadable file
    and ImportRejected, having written nothing, when any row or serial is bad.
    """
    clause_names = load_rules(year).software.data_clause_products
    rows = read_rows(path, HEADERS, ALIASES)
    source = Path(path).name
    incoming = parse_products(rows, source=source)
    existing = {p.serial: p for p in session.exec(select(Product).where(Product.year == year))}
    if clause_serials is None:
        flagged = {serial for serial, p in existing.items() if p.needs_data_clause}
    else:
        flagged = set(clause_serials)
        unknown = sorted(flagged - set(incoming))
        if unknown:
            raise InputError(
                "須附資料條款的產品序號",
                f"{'、'.join(unknown)} 不在 {source} 中，未匯入任何資料",
            )
    for serial, fields in incoming.items():
        fields["needs_data_clause"] = serial in flagged
    ensure_year(session, year)
    report = ImportReport()
    upsert(session, existing, incoming, lambda f: Product(year=year, **f), report)
    report.warnings = clause_warnings(incoming, rows, clause_names)
    return report


def parse_products(rows: list[Row], source: str = "") -> dict[str, dict[str, Any]]:
    """Product fields by serial, or ImportRejected listing every problem."""
    problems: list[RowProblem] = []
    parsed = [_parse_row(RowChecker(row, problems)) for row in rows]
    serials = [(row.number, row.cells.get("產品序號", "")) for row in rows]
    valid = [(number, s) for number, s in serials if SERIAL_PATTERN.fullmatch(s)]
    for number, serial, first in duplicates(valid):
        problems.append(RowProblem(number, "產品序號", serial, f"與第 {first} 列重複"))
    if problems:
        raise ImportRejected(problems, source)
    return {fields["serial"]: fields for fields in parsed if fields is not None}


def clause_warnings(
    incoming: dict[str, dict[str, Any]], rows: list[Row], clause_names: Iterable[str]
) -> list[str]:
    """Rows whose flag and name disagree: a name like one of the six without the flag,
    or a flagged serial whose name is like none of them."""
    keys = [_folded(name) for name in clause_names]
    number = {row.cells.get("產品序號", ""): row.number for row in rows}
    out = []
    for serial, fields in incoming.items():
        looks = needs_data_clause(fields["name"], keys)
        where = f"第 {number[serial]} 列 {serial}「{fields['name']}」"
        if looks and not fields["needs_data_clause"]:
            out.append(f"{where}名稱像須附資料條款的產品（伍、三、(六)3），但未以序號標記")
        elif fields["needs_data_clause"] and not looks:
            out.append(f"{where}已標記須附資料條款，但名稱不像規則所列的六項產品，請確認序號")
    return out


def needs_data_clause(product_name: str, clause_keys: Iterable[str]) -> bool:
    """True when the name contains one of the rules' names (already folded)."""
    folded = _folded(product_name)
    return any(key in folded for key in clause_keys)


def _folded(text: str) -> str:
    # The ministry's list and the plan spell names loosely ("HiTeach 5" vs "Hiteach").
    return re.sub(r"\s+", "", text).casefold()


def _parse_row(check: RowChecker) -> dict[str, Any] | None:
    before = len(check.problems)
    name = check.text("產品名稱", TEXT_MAX)
    fields = {
        "serial": check.pattern(
            "產品序號", SERIAL_PATTERN.pattern, "須為 5 碼-3 碼數字，如 11301-001"
        ),
        "name": name,
        "vendor": check.text("廠商", TEXT_MAX),
        "group": check.choice("組別", GROUPS),
        "reference_price": check.whole("參考價格"),
    }
    return None if len(check.problems) > before else fields
