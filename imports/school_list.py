"""Import of the 附錄 school list (SPEC.md, "The school list").

The list drives the budget estimate, the targets and the per-school milestones, so a
file with one bad row imports nothing: the office fixes the file and sends it again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

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
from model.counties import CountyRef, county_for_name, county_for_school_code
from model.seed import ensure_counties, ensure_year
from model.tables import Activity, Milestone, School

HEADERS = (
    "序號", "學制", "學校代碼", "縣市別", "鄉鎮市區", "設立別", "附屬", "地區屬性",
    "原住民學校", "學校全銜", "112年班級數", "112年編制教師數", "112年學生數",
)  # fmt: skip
# The School columns under the file's headers, to say what a re-import changed.
COLUMN_LABELS = {
    "seq": "序號", "level": "學制", "county_id": "縣市別", "district": "鄉鎮市區",
    "establishment": "設立別", "affiliation": "附屬", "area": "地區屬性",
    "indigenous": "原住民學校", "name": "學校全銜", "classes": "112年班級數",
    "teachers": "112年編制教師數", "students": "112年學生數",
}  # fmt: skip
LEVELS = ("國小", "國中", "高中")
ESTABLISHMENTS = ("公立", "市立", "縣立", "私立")
AFFILIATIONS = ("大學附屬", "高中附屬", "完全中學", "國中小")
AREAS = ("偏遠", "非山非市", "一般")
YES_NO = ("是", "否")
NATIONAL_PREFIX = "國立"
CODE_PATTERN = re.compile(r"[0-9]{6}")
# Column widths of the School table: PostgreSQL refuses longer text, SQLite would not.
NAME_MAX = 64
DISTRICT_MAX = 16


@dataclass(frozen=True)
class SchoolRow:
    county: str
    seq: int
    level: str
    code: str
    district: str
    establishment: str
    affiliation: str
    area: str
    indigenous: bool
    name: str
    classes: int
    teachers: int
    students: int


def import_schools(session: Session, path: Path | str, year: int) -> ImportReport:
    """Replace the year's list of each county in the file by the file's rows, by (year,
    學校代碼), in the caller's transaction (flush only); other counties' lists stay.

    A school the file no longer has is removed, unless a milestone or an activity record
    refers to it: then it stays in the list (and keeps counting) and the report says why,
    so that nobody's records lose their school. Raises TabularError for an unreadable file
    and ImportRejected, having written nothing, when any row is bad.
    """
    parsed = parse_schools(read_rows(path, HEADERS), source=Path(path).name)
    ensure_year(session, year)
    counties = ensure_counties(session)
    existing = {s.code: s for s in session.exec(select(School).where(School.year == year))}
    incoming = {
        fields["code"]: {**fields, "county_id": counties[county].id} for county, fields in parsed
    }
    report = ImportReport(by_county=dict(Counter(county for county, _ in parsed)))
    upsert(session, existing, incoming, lambda f: School(year=year, **f), report)
    in_file = {fields["county_id"] for fields in incoming.values()}
    gone = [s for code, s in existing.items() if code not in incoming and s.county_id in in_file]
    _remove(session, sorted(gone, key=lambda s: (s.county_id, s.seq, s.code)), report)
    return report


def _remove(session: Session, gone: list[School], report: ImportReport) -> None:
    ids = [s.id for s in gone]
    uses: Counter = Counter()
    for table, what in ((Milestone, "待辦事項"), (Activity, "活動紀錄")):
        rows = session.exec(
            select(table.school_id, func.count()).where(col(table.school_id).in_(ids))
            .group_by(table.school_id)
        )  # fmt: skip
        for school_id, n in rows:
            uses[school_id, what] += n
    for school in gone:
        why = [f"{n} 筆{what}" for (sid, what), n in uses.items() if sid == school.id]
        if why:
            report.kept.append((school.code, school.name,
                                f"仍有{'、'.join(why)}引用此校，保留於名單中（仍列入計算）"))  # fmt: skip
        else:
            session.delete(school)
            report.removed.append((school.code, school.name))
    session.flush()


def read_school_file(path: Path | str) -> list[SchoolRow]:
    """The validated rows of a school-list file, without touching any database."""
    parsed = parse_schools(read_rows(path, HEADERS), source=Path(path).name)
    return [SchoolRow(county=county, **fields) for county, fields in parsed]


def parse_schools(rows: list[Row], source: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(county name, School fields) for every row, or ImportRejected listing every problem."""
    problems: list[RowProblem] = []
    parsed = [_parse_row(RowChecker(row, problems)) for row in rows]
    # Rows with a malformed code already have a problem; only well-formed codes can clash.
    codes = [(row.number, row.cells.get("學校代碼", "")) for row in rows]
    valid = [(number, code) for number, code in codes if CODE_PATTERN.fullmatch(code)]
    for number, code, first in duplicates(valid):
        problems.append(RowProblem(number, "學校代碼", code, f"與第 {first} 列重複"))
    if problems:
        raise ImportRejected(problems, source)
    return [p for p in parsed if p is not None]


def _parse_row(check: RowChecker) -> tuple[str, dict[str, Any]] | None:
    before = len(check.problems)
    code = check.pattern("學校代碼", CODE_PATTERN.pattern, code_reason(check.raw("學校代碼")))
    county = _county(check, code)
    name = check.text("學校全銜", NAME_MAX)
    if name and name.startswith(NATIONAL_PREFIX):
        check.fail("學校全銜", "國立學校不屬於縣市，不列入縣市的學校名單")
    fields = {
        "seq": check.whole("序號", minimum=1),
        "level": check.choice("學制", LEVELS),
        "code": code,
        "district": check.text("鄉鎮市區", DISTRICT_MAX),
        "establishment": check.choice("設立別", ESTABLISHMENTS),
        "affiliation": check.choice("附屬", AFFILIATIONS),
        "area": check.choice("地區屬性", AREAS),
        "indigenous": check.choice("原住民學校", YES_NO) == "是",
        "name": name,
        "classes": check.whole("112年班級數"),
        "teachers": check.whole("112年編制教師數"),
        "students": check.whole("112年學生數"),
    }
    if len(check.problems) > before or county is None:
        return None
    return county.name, fields


def code_reason(value: str) -> str:
    if len(value) == 5 and value.isdigit():
        # The usual cause: Excel read the code as a number and dropped the leading 0.
        return "須為 6 位數字（開頭的 0 可能被 Excel 去掉了，請把此欄設為文字）"
    return "須為 6 位數字"


def _county(check: RowChecker, code: str | None) -> CountyRef | None:
    """The row's county, which the first two digits of the code must name too."""
    named = county_for_name(check.raw("縣市別"))
    if named is None:
        check.fail("縣市別", "不是已知的縣市")
    if code is None:
        return None
    by_code = county_for_school_code(code)
    if by_code is None:
        check.fail("學校代碼", f"前兩碼「{code[:2]}」不屬於任何縣市")
        return None
    if named is not None and named != by_code:
        check.fail("縣市別", f"與學校代碼前兩碼「{code[:2]}」所屬的{by_code.name}不符")
        return None
    return named
