"""Imports of per-school figures the offices keep outside this system: each school's
teachers who completed 數位學習工作坊(一)(二) in 111–112 (the baseline the 113 cumulative
count starts from) and each school's learning devices on hand (貳、二).

The same rules as the school list: CSV (UTF-8, BOM, Big5) or XLSX, one bad row and
nothing is stored, every bad row listed with its number and reason, and importing the
same file again changes nothing. Schools are found by 學校代碼 in the year's 附錄 list,
so a 國立 school or a code the list does not have is a bad row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from imports.school_list import CODE_PATTERN, code_reason
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
from model.tables import County, School, SchoolDevices, WorkshopBaseline

CODE = "學校代碼"
BASELINE = "累計培訓教師數"
BASELINE_HEADERS = (CODE, BASELINE)
BASELINE_ALIASES = {BASELINE: ("111-112年累計培訓教師數", "111–112年累計培訓教師數")}
DEVICES = "學習載具數"
CLASS_SETS = "班級載具套數"
DEVICE_HEADERS = (CODE, DEVICES, CLASS_SETS)


def import_workshop_baseline(session: Session, path: Path | str, year: int) -> ImportReport:
    """Upsert each school's 111–112 trained teachers, keyed by the school of `year`."""
    return _import(session, path, year, BASELINE_HEADERS, BASELINE_ALIASES, _baseline_row,
                   WorkshopBaseline)  # fmt: skip


def import_devices(session: Session, path: Path | str, year: int) -> ImportReport:
    """Upsert each school's devices on hand (single devices and class sets)."""
    return _import(session, path, year, DEVICE_HEADERS, {}, _devices_row, SchoolDevices)


def _baseline_row(check: RowChecker, school: School) -> dict[str, Any]:
    teachers = check.whole(BASELINE)
    if teachers is not None and teachers > school.teachers:
        # The count is of the school's 編制 teachers: more than 編制 is a typing error.
        check.fail(BASELINE, f"超過該校 112年編制教師數 {school.teachers:,} 人")
    return {"teachers": teachers}


def _devices_row(check: RowChecker, school: School) -> dict[str, Any]:
    """偏遠 schools are measured by single devices, the others by class sets (貳、二): the
    column that measures the school is required, the other may be left blank (0)."""
    wanted = DEVICES if school.remote else CLASS_SETS
    values = {}
    for column in (DEVICES, CLASS_SETS):
        if column != wanted and not check.raw(column):
            values[column] = 0
        else:
            values[column] = check.whole(column)
    return {"devices": values[DEVICES], "class_sets": values[CLASS_SETS]}


def _import(
    session: Session,
    path: Path | str,
    year: int,
    headers: tuple[str, ...],
    aliases: dict[str, tuple[str, ...]],
    parse: Callable[[RowChecker, School], dict[str, Any]],
    table: type[SQLModel],
) -> ImportReport:
    rows = read_rows(path, headers, aliases)
    codes = {row.cells.get(CODE, "") for row in rows}
    schools = {
        s.code: s
        for s in session.exec(
            select(School).where(School.year == year, col(School.code).in_(codes))
        )
    }
    incoming = _parse(rows, schools, year, parse, Path(path).name)
    by_id = {s.id: s.code for s in schools.values()}
    existing = {
        by_id[row.school_id]: row
        for row in session.exec(select(table).where(col(table.school_id).in_(list(by_id))))
    }
    names = dict(session.exec(select(County.id, County.name)).all())
    report = ImportReport(by_county=dict(Counter(names[schools[c].county_id] for c in incoming)))
    upsert(session, existing, incoming, lambda f: table(**f), report)
    return report


def _parse(
    rows: list[Row],
    schools: dict[str, School],
    year: int,
    parse: Callable[[RowChecker, School], dict[str, Any]],
    source: str,
) -> dict[str, dict[str, Any]]:
    problems: list[RowProblem] = []
    incoming: dict[str, dict[str, Any]] = {}
    for row in rows:
        check = RowChecker(row, problems)
        code = check.pattern(CODE, CODE_PATTERN.pattern, code_reason(check.raw(CODE)))
        if code is None:
            continue
        school = schools.get(code)
        if school is None:
            check.fail(CODE, f"不在 {year} 年度的學校名單（附錄）中；國立學校與名單外的學校不列入")
            continue
        before = len(problems)
        fields = parse(check, school)
        if len(problems) == before:
            incoming.setdefault(code, {"school_id": school.id, **fields})
    codes = [(row.number, row.cells.get(CODE, "")) for row in rows]
    valid = [(number, code) for number, code in codes if code in schools]
    for number, code, first in duplicates(valid):
        problems.append(RowProblem(number, CODE, code, f"與第 {first} 列重複"))
    if problems:
        raise ImportRejected(problems, source)
    return incoming
