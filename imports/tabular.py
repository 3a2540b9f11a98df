"""Reading the lists people send us (CSV or XLSX) and the report shape every importer shares.

Nothing here knows which list it reads: the importers name their headers and check
the values; this module only turns a file into trimmed text cells with the row
numbers a person sees when opening the file.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple
from zipfile import BadZipFile, ZipFile

from config.settings import get_settings
from rules.errors import InputError, JingjinError

CSV_SUFFIXES = frozenset({".csv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
# Excel in Taiwan saves "CSV" in the ANSI code page, CP950 (Big5 with Microsoft's extras).
ENCODINGS = ("utf-8-sig", "cp950")


class Row(NamedTuple):
    number: int  # as shown in Excel: header = 1, first data row = 2
    cells: dict[str, str]


class TabularError(InputError):
    """The file as a whole cannot be read: wrong type, unreadable, headers missing."""


# ------------------------------------------------------------------ reading
def read_rows(
    path: Path | str,
    required: Sequence[str],
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[Row]:
    """Trimmed rows keyed by header; `aliases` maps a canonical header to other spellings.
    Bounded: a file over the size limit, one with more rows than the limit (the reading
    stops there) or with none below its header is refused whole."""
    path = Path(path)
    settings = get_settings()
    _within_size(path, settings.import_max_bytes)
    raw = (item for item in _raw_rows(path) if any(item[1]))
    first = next(raw, None)
    if first is None:
        raise TabularError(path.name, "檔案是空的，找不到標題列")
    headers = _canonical_headers(path.name, first[1], aliases or {})
    missing = [h for h in required if h not in headers]
    if missing:
        raise TabularError(path.name, f"缺少欄位：{'、'.join(missing)}")
    rows = []
    for number, cells in raw:
        if len(rows) == settings.import_max_rows:
            raise TabularError(
                path.name,
                f"資料超過 {settings.import_max_rows:,} 列的上限（第 {number} 列起未讀取），"
                "未匯入任何資料；請確認檔案內容或分批匯入",
            )
        rows.append(_keyed(number, headers, cells))
    if not rows:
        raise TabularError(path.name, "只有標題列，沒有任何資料列")
    return rows


def _within_size(path: Path, limit: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TabularError(path.name, f"無法讀取檔案：{exc.strerror}") from exc
    if size > limit:
        raise TabularError(path.name, f"檔案大小 {size:,} 位元組，超過上限 {limit:,} 位元組")


def _raw_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_rows(path)
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(path)
    if suffix == ".xls":
        raise TabularError(path.name, "不支援舊版 Excel (.xls)，請另存為 .xlsx 或 .csv")
    raise TabularError(
        path.name, f"不支援的檔案類型「{suffix or '(無副檔名)'}」，請使用 .csv 或 .xlsx"
    )


def _canonical_headers(
    filename: str, cells: list[str], aliases: Mapping[str, Sequence[str]]
) -> list[str]:
    canonical = {alias: name for name, names in aliases.items() for alias in names}
    headers = [canonical.get(cell, cell) for cell in cells]
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise TabularError(filename, f"欄位名稱重複：{'、'.join(duplicated)}")
    return headers


def _keyed(number: int, headers: list[str], cells: list[str]) -> Row:
    # Short rows are padded: Excel drops trailing empty cells when it saves CSV.
    padded = cells + [""] * (len(headers) - len(cells))
    return Row(number, {h: v for h, v in zip(headers, padded, strict=False) if h})


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularError(path.name, "無法辨識檔案的文字編碼，請存成 UTF-8 或 Big5 (CP950) 的 CSV")


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = _decode(path)
    # Counting records rather than physical lines: a quoted cell with a line break is
    # still one row to the person looking at it in Excel.
    records = enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    try:
        for n, rec in records:
            yield n, [cell.strip() for cell in rec]
    except csv.Error as exc:
        raise TabularError(path.name, f"CSV 格式錯誤：{exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only XLSX callers pay for the import
    from openpyxl.utils.exceptions import InvalidFileException

    _within_unzipped(path, get_settings().import_max_unzipped_bytes)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TabularError(path.name, f"無法開啟 Excel 檔案：{exc}") from exc
    try:
        # Streamed: the caller stops at its row limit, so rows past it are never parsed.
        for n, cells in enumerate(book.worksheets[0].iter_rows(), start=1):
            yield n, [_cell_text(c.value, c.number_format) for c in cells]
    finally:
        book.close()


def _within_unzipped(path: Path, limit: int) -> None:
    """An XLSX is a zip: judge it by the sizes its members declare before expanding any
    (a 1 MB file can expand to gigabytes)."""
    try:
        with ZipFile(path) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (BadZipFile, OSError) as exc:
        raise TabularError(path.name, f"無法開啟 Excel 檔案：{exc}") from exc
    if expanded > limit:
        raise TabularError(
            path.name, f"解壓縮後達 {expanded:,} 位元組，超過上限 {limit:,} 位元組，未讀取"
        )


def _cell_text(value: Any, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value, number_format or "")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _number_text(value: float, number_format: str) -> str:
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    whole = int(value)
    # A code such as 011301 typed into a number cell keeps its zeros only through a
    # "000000" display format; the stored value is 11301.
    if whole >= 0 and re.fullmatch(r"0+", number_format):
        return str(whole).zfill(len(number_format))
    return str(whole)


# ------------------------------------------------------------------ row problems
class RowProblem(NamedTuple):
    row: int
    column: str
    value: str
    reason: str  # zh-TW, read by office staff

    def __str__(self) -> str:
        return f"第 {self.row} 列 {self.column}「{self.value}」：{self.reason}"


class ImportRejected(JingjinError):
    """At least one row is bad, so nothing was imported; `problems` lists every one."""

    def __init__(self, problems: Iterable[RowProblem], source: str = "") -> None:
        self.problems = sorted(problems, key=lambda p: p.row)
        self.source = source
        rows = len({p.row for p in self.problems})
        head = f"{source}：" if source else ""
        lines = [f"{head}共 {rows} 列有誤，未匯入任何資料。", *map(str, self.problems)]
        super().__init__("\n".join(lines))

    @property
    def rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


class RowChecker:
    """Reads one row's cells into typed values, noting each problem instead of stopping."""

    def __init__(self, row: Row, problems: list[RowProblem]) -> None:
        self.row = row
        self.problems = problems

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(RowProblem(self.row.number, column, self.raw(column), reason))

    def raw(self, column: str) -> str:
        return self.row.cells.get(column, "")

    def text(self, column: str, max_length: int) -> str | None:
        value = self.raw(column)
        if not value:
            return self.fail(column, "不可空白")
        if len(value) > max_length:
            return self.fail(column, f"超過 {max_length} 個字")
        if has_control(value):
            return self.fail(column, "含有控制字元（如換行、定位字元或不可見的格式字元）")
        return value

    def choice(self, column: str, allowed: Sequence[str]) -> str | None:
        value = self.raw(column)
        if value not in allowed:
            return self.fail(column, f"不是 {'/'.join(allowed)}")
        return value

    def pattern(self, column: str, regex: str, reason: str) -> str | None:
        value = self.raw(column)
        # [0-9], not \d: \d also matches full-width and other scripts' digits.
        if not re.fullmatch(regex, value):
            return self.fail(column, reason)
        return value

    def whole(self, column: str, minimum: int = 0) -> int | None:
        """A whole number, thousands separators allowed ("12,000"); no decimals, no sign games."""
        value = self.raw(column)
        number = parse_whole(value)
        if number is None:
            reason = "須為整數，不可有小數" if re.fullmatch(r"-?[0-9,]*\.[0-9]+", value) else None
            return self.fail(column, reason or _minimum_reason(minimum))
        if number < minimum:
            return self.fail(column, _minimum_reason(minimum))
        return number


def has_control(value: str) -> bool:
    """Line breaks, tabs and invisible format characters (such as a right-to-left
    override) have no place in a name: they hide or reorder what a reader sees."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def parse_whole(value: str) -> int | None:
    """'12', '12,000' or '-3' → int; anything else (decimals, '1,2', blanks) → None."""
    if re.fullmatch(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)", value):
        return int(value.replace(",", ""))
    return None


def _minimum_reason(minimum: int) -> str:
    return "須為 0 或正整數" if minimum == 0 else f"須為 {minimum} 以上的整數"


def duplicates(rows: Iterable[tuple[int, str | None]]) -> Iterator[tuple[int, str, int]]:
    """(row, key, first row) for every repeat of a key; None keys were already reported."""
    first: dict[str, int] = {}
    for number, key in rows:
        if key is None:
            continue
        if key in first:
            yield number, key, first[key]
        else:
            first[key] = number


# ------------------------------------------------------------------ upsert
@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    by_county: dict[str, int] = field(default_factory=dict)  # county name → rows in the file
    warnings: list[str] = field(default_factory=list)  # stored anyway; a person should look
    # What changed, row by row: (key, name) added or removed; (key, name, {column: (old,
    # new)}) changed; (key, name, why) left in place although the file no longer has it.
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str, str]] = field(default_factory=list)


def upsert(
    session: Any,
    existing: Mapping[str, Any],
    incoming: Mapping[str, dict[str, Any]],
    make: Callable[[dict[str, Any]], Any],
    report: ImportReport,
) -> None:
    """Insert new keys, update rows whose fields differ, leave identical ones untouched,
    noting each added and changed row in the report.

    Rows missing from the file are left to the caller: what happens to them depends on
    what points at them (imports/school_list.py removes the schools nothing refers to).
    """
    for key, fields in incoming.items():
        row = existing.get(key)
        if row is None:
            session.add(make(fields))
            report.inserted += 1
            report.added.append((key, fields.get("name", "")))
            continue
        changed = {name: v for name, v in fields.items() if getattr(row, name) != v}
        if changed:
            before = {name: (getattr(row, name), v) for name, v in changed.items()}
            report.changed.append((key, fields.get("name", getattr(row, "name", "")), before))
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
