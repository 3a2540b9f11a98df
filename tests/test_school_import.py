"""Importing the 附錄 school list: the real 2,652-school file, its encodings, bad rows."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from imports.school_list import HEADERS, import_schools, parse_schools
from imports.tabular import ImportRejected, Row, read_rows
from model.counties import COUNTIES
from model.tables import County, School

REAL_FILE = Path("/work/shared/data/schools-113-elementary.csv")
YEAR = 113
# SPEC.md, "The school list": county-run 國小 per county, in the ministry's order.
SPEC_COUNTS = (222, 151, 195, 243, 214, 246, 78, 87, 114, 174, 140, 157, 120, 164, 88, 103,
               37, 41, 33, 19, 19, 7)  # fmt: skip
EXPECTED_BY_COUNTY = {ref.name: n for ref, n in zip(COUNTIES, SPEC_COUNTS, strict=True)}
INT_COLUMNS = {"序號", "112年班級數", "112年編制教師數", "112年學生數"}


def _real_rows() -> list[list[str]]:
    with REAL_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


def _write_csv(path: Path, rows, encoding: str = "utf-8", errors: str = "strict") -> Path:
    with path.open("w", encoding=encoding, errors=errors, newline="") as f:
        csv.writer(f).writerows([HEADERS, *rows])
    return path


def _write_xlsx(path: Path, rows) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for row in rows:
        # Counts go in as numbers, as they would in a sheet someone typed.
        sheet.append([int(v) if h in INT_COLUMNS else v for h, v in zip(HEADERS, row, strict=True)])
    book.save(path)
    return path


def _school_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(School)).one()


def _by_code(session: Session) -> dict[str, School]:
    return {s.code: s for s in session.exec(select(School).where(School.year == YEAR))}


def _row(**changes: str) -> list[str]:
    """The first real row (私立淡江高中附設國小, 新北市) with some cells changed."""
    cells = dict(zip(HEADERS, _real_rows()[0], strict=True))
    cells.update(changes)
    return [cells[h] for h in HEADERS]


# ------------------------------------------------------------------ the real file
def test_import_schools_stores_every_school_of_the_real_list(session):
    report = import_schools(session, REAL_FILE, YEAR)

    assert (report.inserted, report.updated, report.unchanged) == (2652, 0, 0)
    assert report.by_county == EXPECTED_BY_COUNTY
    assert _school_count(session) == 2652


def test_import_schools_stores_per_county_counts_and_remote_schools_as_spec(session):
    import_schools(session, REAL_FILE, YEAR)
    session.commit()

    per_county = session.exec(
        select(County.name, func.count(School.id)).join(School).group_by(County.name)
    ).all()
    remote = session.exec(select(func.count()).where(School.area == "偏遠")).one()
    assert dict(per_county) == EXPECTED_BY_COUNTY
    assert remote == 909


def test_import_schools_keeps_real_zero_counts_and_types(session):
    import_schools(session, REAL_FILE, YEAR)

    schools = _by_code(session).values()
    first = _by_code(session)["011301"]
    seen = (first.seq, first.level, first.name, first.classes, first.students)
    assert seen == (1, "國小", "私立淡江高中附設國小", 16, 500)
    assert first.indigenous is False
    assert any(s.classes == 0 for s in schools)


def test_import_schools_twice_changes_nothing(session):
    import_schools(session, REAL_FILE, YEAR)
    session.commit()

    again = import_schools(session, REAL_FILE, YEAR)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2652)
    assert not session.dirty and not session.new
    assert _school_count(session) == 2652


# ------------------------------------------------------------------ other encodings and XLSX
def _variant(tmp_path: Path, kind: str) -> Path:
    rows = _real_rows()
    if kind == "bom":
        return _write_csv(tmp_path / "bom.csv", rows, "utf-8-sig")
    if kind == "cp950":
        # Excel writes "?" for the few characters Big5 lacks (e.g. 菓, 舘); so do we.
        return _write_csv(tmp_path / "big5.csv", rows, "cp950", errors="replace")
    return _write_xlsx(tmp_path / "list.xlsx", rows)


def _comparable(path: Path) -> list[tuple]:
    return [
        (county, sorted(fields.items()))
        for county, fields in parse_schools(read_rows(path, HEADERS))
    ]


@pytest.mark.parametrize("kind", ["bom", "xlsx"])
def test_parse_schools_reads_bom_and_xlsx_files_identically(tmp_path, kind):
    assert _comparable(_variant(tmp_path, kind)) == _comparable(REAL_FILE)


def test_parse_schools_reads_cp950_identically_but_for_characters_big5_lacks(tmp_path):
    original = _comparable(REAL_FILE)
    big5 = _comparable(_variant(tmp_path, "cp950"))

    differing = [(a, b) for a, b in zip(original, big5, strict=True) if a != b]
    assert len(differing) == 10
    for (_, fields), (_, big5_fields) in differing:
        assert [k for (k, v), (_, w) in zip(fields, big5_fields, strict=True) if v != w] == ["name"]


@pytest.mark.parametrize("kind", ["bom", "cp950", "xlsx"])
def test_import_schools_stores_the_same_list_from_each_file_format(session, tmp_path, kind):
    report = import_schools(session, _variant(tmp_path, kind), YEAR)

    assert (report.inserted, report.by_county) == (2652, EXPECTED_BY_COUNTY)
    assert _school_count(session) == 2652


# ------------------------------------------------------------------ bad rows
BAD_ROWS = [
    _row(),                                                       # 2 fine
    _row(學校代碼="011302", 學制="國高"),                          # 3 unknown 學制
    _row(學校代碼="011303", **{"112年學生數": "-5"}),                 # 4 negative count
    _row(),                                                       # 5 repeats row 2's code
    _row(學校代碼="011304", 縣市別="臺北市"),                       # 6 code says 新北市
    _row(學校代碼="01A305"),                                       # 7 not digits
    _row(學校代碼="331601", 縣市別="臺北市", 學校全銜="國立臺北教育大學附設實驗國民小學"),  # 8
    _row(學校代碼="011306"),                                       # 9 fine
]  # fmt: skip
BAD_LINES = [
    "第 3 列 學制「國高」：不是 國小/國中/高中",
    "第 4 列 112年學生數「-5」：須為 0 或正整數",
    "第 5 列 學校代碼「011301」：與第 2 列重複",
    "第 6 列 縣市別「臺北市」：與學校代碼前兩碼「01」所屬的新北市不符",
    "第 7 列 學校代碼「01A305」：須為 6 位數字",
    "第 8 列 學校全銜「國立臺北教育大學附設實驗國民小學」："
    "國立學校不屬於縣市，不列入縣市的學校名單",
]


def test_import_schools_with_bad_rows_stores_nothing_and_names_each_row(session, tmp_path):
    path = _write_csv(tmp_path / "bad.csv", BAD_ROWS)

    with pytest.raises(ImportRejected) as caught:
        import_schools(session, path, YEAR)

    assert caught.value.rows == [3, 4, 5, 6, 7, 8]
    assert str(caught.value).splitlines()[1:] == BAD_LINES
    assert _school_count(session) == 0
    assert session.exec(select(func.count()).select_from(County)).one() == 0


def test_import_schools_with_bad_rows_keeps_an_earlier_list_untouched(session, tmp_path):
    import_schools(session, REAL_FILE, YEAR)
    session.commit()
    before = {code: s.model_dump() for code, s in _by_code(session).items()}

    with pytest.raises(ImportRejected):
        import_schools(session, _write_csv(tmp_path / "bad.csv", BAD_ROWS), YEAR)

    assert {code: s.model_dump() for code, s in _by_code(session).items()} == before


def _problems(*rows: list[str]) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        parse_schools(_rows_of(rows))
    return [(p.row, p.column, p.reason) for p in caught.value.problems]


def _rows_of(rows: list[list[str]]) -> list[Row]:
    return [Row(n, dict(zip(HEADERS, r, strict=True))) for n, r in enumerate(rows, start=2)]


LOST_ZERO_HINT = "須為 6 位數字（開頭的 0 可能被 Excel 去掉了，請把此欄設為文字）"


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"序號": "0"}, "序號", "須為 1 以上的整數"),
    ({"學校代碼": "11301"}, "學校代碼", LOST_ZERO_HINT),
    ({"學校代碼": "991301"}, "學校代碼", "前兩碼「99」不屬於任何縣市"),
    ({"縣市別": "新北"}, "縣市別", "不是已知的縣市"),
    ({"鄉鎮市區": ""}, "鄉鎮市區", "不可空白"),
    ({"設立別": "國立"}, "設立別", "不是 公立/市立/縣立/私立"),
    ({"附屬": "附設"}, "附屬", "不是 大學附屬/高中附屬/完全中學/國中小"),
    ({"地區屬性": "特偏"}, "地區屬性", "不是 偏遠/非山非市/一般"),
    ({"原住民學校": "Y"}, "原住民學校", "不是 是/否"),
    ({"學校全銜": ""}, "學校全銜", "不可空白"),
    ({"學校全銜": "甲" * 65}, "學校全銜", "超過 64 個字"),
    ({"112年班級數": "3.5"}, "112年班級數", "須為整數，不可有小數"),
    ({"112年編制教師數": "十"}, "112年編制教師數", "須為 0 或正整數"),
])  # fmt: skip
def test_parse_schools_rejects_each_bad_value(changes, column, reason):
    assert _problems(_row(**changes)) == [(2, column, reason)]


def test_parse_schools_accepts_zero_counts_and_tai_for_county_names():
    row = _row(學校代碼="311301", 縣市別="台北市", **{"112年班級數": "0", "112年學生數": "0"})

    ((county, fields),) = parse_schools(_rows_of([row]))

    assert county == "臺北市"
    assert (fields["classes"], fields["students"]) == (0, 0)


def test_parse_schools_reports_every_problem_of_one_row():
    problems = _problems(_row(學制="", 設立別="", **{"112年學生數": "-1"}))

    assert [column for _, column, _ in problems] == ["學制", "設立別", "112年學生數"]


# ------------------------------------------------------------------ updates
def test_import_schools_with_one_changed_row_updates_only_that_row(session, tmp_path):
    import_schools(session, REAL_FILE, YEAR)
    session.commit()
    rows = _real_rows()
    code = rows[100][2]
    rows[100][12] = str(int(rows[100][12]) + 7)
    before = {c: s.model_dump() for c, s in _by_code(session).items()}

    report = import_schools(session, _write_csv(tmp_path / "changed.csv", rows), YEAR)
    session.commit()

    after = {c: s.model_dump() for c, s in _by_code(session).items()}
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2651)
    assert after[code]["students"] == before[code]["students"] + 7
    assert {c for c in before if before[c] != after[c]} == {code}


def test_reimport_replaces_the_countys_list_and_says_what_changed(session, tmp_path):
    first = [_row(), _row(學校代碼="011302", 學校全銜="甲國小"), _row(學校代碼="011303")]
    import_schools(session, _write_csv(tmp_path / "a.csv", first), YEAR)
    taipei = _row(學校代碼="311301", 縣市別="臺北市", 學校全銜="臺北甲國小")
    import_schools(session, _write_csv(tmp_path / "t.csv", [taipei]), YEAR)

    again = [_row(**{"112年學生數": "999", "地區屬性": "偏遠"}), _row(學校代碼="011306")]
    report = import_schools(session, _write_csv(tmp_path / "b.csv", again), YEAR)

    name = _row()[9]
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 0)
    assert report.added == [("011306", name)]
    [(code, _, columns)] = report.changed
    assert code == "011301" and columns["students"][1] == 999 and columns["area"][1] == "偏遠"
    assert report.removed == [("011302", "甲國小"), ("011303", name)]
    # Another county's list is not in the file: it stays as it was.
    assert set(_by_code(session)) == {"011301", "011306", "311301"}


def test_reimport_keeps_a_school_that_records_refer_to_and_says_why(session, tmp_path):
    from demo.generate import generate
    from model.tables import Milestone

    generate(session, year=YEAR, county_name="新竹縣", story=False)
    schools = list(session.exec(select(School).join(County).where(County.name == "新竹縣")))
    used = {m.school_id for m in session.exec(select(Milestone)) if m.school_id is not None}
    assert used, "the demo's plan has per-school milestones"
    new = _row(學校代碼="049999", 縣市別="新竹縣", 學校全銜="新竹縣新設國小")
    unused = len(schools) - len(used)

    report = import_schools(session, _write_csv(tmp_path / "one.csv", [new]), YEAR)

    assert {code for code, _, _ in report.kept} == {s.code for s in schools if s.id in used}
    assert all("待辦事項" in why and "保留於名單中" in why for _, _, why in report.kept)
    left = {
        s.code for s in session.exec(select(School).join(County).where(County.name == "新竹縣"))
    }
    assert left == {"049999"} | {code for code, _, _ in report.kept}
    assert len(report.removed) == unused
