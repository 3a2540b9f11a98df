"""Imports have bounds: size, rows, what an XLSX expands to, at least one data row, and
names without control characters. A refused file stores nothing."""

import csv
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from cli_env import configured_engine, run
from openpyxl import Workbook
from sqlmodel import Session, func, select

from config.settings import get_settings
from imports.product_list import HEADERS as PRODUCT_HEADERS
from imports.product_list import import_products
from imports.school_list import HEADERS, import_schools
from imports.school_target_lists import import_devices, import_workshop_baseline
from imports.tabular import ImportRejected, TabularError, read_rows
from model.tables import Product, School

YEAR = 113
REAL_FILE = Path("/work/shared/data/schools-113-elementary.csv")
PRODUCT = ["11301-001", "PaGamO 閱讀素養 教師版", "甲科技公司", "數位內容組", "12,000"]


def _real_rows() -> list[list[str]]:
    with REAL_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


def _write_csv(path: Path, rows, headers=HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([headers, *rows])
    return path


def _count(session: Session, table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def limits(monkeypatch):
    """Set import limits through the environment, as an install would."""

    def set_(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"JINGJIN_IMPORT_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


# ------------------------------------------------------------------ rows
def test_a_list_of_10_001_schools_is_refused_and_nothing_stored(session, tmp_path):
    first = _real_rows()[0]  # 新北市; codes 01xxxx
    rows = [[*first[:2], f"01{n:04d}"[-6:], *first[3:]] for n in range(10_001)]
    path = _write_csv(tmp_path / "big.csv", rows)
    with pytest.raises(TabularError, match="超過 10,000 列的上限") as refused:
        import_schools(session, path, YEAR)
    assert "第 10002 列起未讀取" in str(refused.value)
    session.rollback()
    assert _count(session, School) == 0


def test_the_row_limit_comes_from_the_settings_and_the_limit_itself_is_read(tmp_path, limits):
    limits(max_rows=3)
    rows = [PRODUCT] * 3
    assert len(read_rows(_write_csv(tmp_path / "ok.csv", rows, PRODUCT_HEADERS), [])) == 3
    with pytest.raises(TabularError, match="超過 3 列的上限"):
        read_rows(_write_csv(tmp_path / "over.csv", [*rows, PRODUCT], PRODUCT_HEADERS), [])


def test_an_xlsx_is_read_as_a_stream_that_stops_at_the_limit(tmp_path, limits):
    limits(max_rows=5)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(PRODUCT_HEADERS))
    for _ in range(50):
        sheet.append(PRODUCT)
    book.save(tmp_path / "list.xlsx")
    with pytest.raises(TabularError, match="第 7 列起未讀取"):
        read_rows(tmp_path / "list.xlsx", PRODUCT_HEADERS)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, limits):
    limits(max_bytes=1_000)
    path = _write_csv(tmp_path / "list.csv", [PRODUCT] * 40, PRODUCT_HEADERS)
    with pytest.raises(TabularError, match="超過上限 1,000 位元組"):
        read_rows(path, PRODUCT_HEADERS)


# ------------------------------------------------------------------ zip bomb
def _zip_bomb(path: Path, expanded: int) -> Path:
    """A valid workbook whose sheet expands to `expanded` bytes (mostly blanks): a few
    hundred kilobytes on disk."""
    book = Workbook()
    book.active.append(list(PRODUCT_HEADERS))
    book.save(path.with_suffix(".seed.xlsx"))
    with (
        zipfile.ZipFile(path.with_suffix(".seed.xlsx")) as seed,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in seed.infolist():
            data = seed.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, data)
                continue
            with bomb.open(item.filename, "w", force_zip64=True) as out:
                head, tail = data.split(b"</sheetData>")
                out.write(head)
                chunk = b" " * 1_000_000
                for _ in range(expanded // len(chunk)):
                    out.write(chunk)
                out.write(b"</sheetData>" + tail)
    return path


def test_a_zip_bomb_is_refused_without_expanding_it(tmp_path):
    path = _zip_bomb(tmp_path / "bomb.xlsx", 150_000_000)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(TabularError, match=r"解壓縮後達 1[0-9]{2},[0-9]{3},[0-9]{3} 位元組"):
            read_rows(path, PRODUCT_HEADERS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the 150 MB were never expanded


# ------------------------------------------------------------------ header only
IMPORTERS = {
    "schools": (lambda s, p: import_schools(s, p, YEAR), HEADERS),
    "products": (lambda s, p: import_products(s, p, YEAR), PRODUCT_HEADERS),
    "baseline": (lambda s, p: import_workshop_baseline(s, p, YEAR), ("學校代碼", "累計培訓教師數")),
    "devices": (
        lambda s, p: import_devices(s, p, YEAR),
        ("學校代碼", "學習載具數", "班級載具套數"),
    ),
}


@pytest.mark.parametrize("kind", IMPORTERS)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_header_only_list_is_refused(session, tmp_path, kind, suffix):
    importer, headers = IMPORTERS[kind]
    path = tmp_path / f"list{suffix}"
    if suffix == ".csv":
        _write_csv(path, [["", ""]], headers)  # a blank line after the header is no data
    else:
        book = Workbook()
        book.active.append(list(headers))
        book.save(path)
    with pytest.raises(TabularError, match="只有標題列，沒有任何資料列"):
        importer(session, path)


def test_the_command_refuses_a_header_only_school_list(engine, monkeypatch, tmp_path):
    path = _write_csv(tmp_path / "schools.csv", [])
    with configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "schools", "import", str(path), "--year", str(YEAR))
    assert result.exit_code == 2
    assert "只有標題列" in result.stderr


# ------------------------------------------------------------------ control characters
@pytest.mark.parametrize("bad", ["\x07", "\x0b", "\u202e", "\u200b", "\x1b[31m"])
def test_control_characters_in_a_school_name_are_refused(session, tmp_path, bad):
    rows = _real_rows()[:3]
    name_at = HEADERS.index("學校全銜")
    rows[1][name_at] = f"新北市私立{bad}某某國小"
    with pytest.raises(ImportRejected) as refused:
        import_schools(session, _write_csv(tmp_path / "s.csv", rows), YEAR)
    assert refused.value.rows == [3]
    assert "學校全銜" in str(refused.value) and "控制字元" in str(refused.value)
    session.rollback()
    assert _count(session, School) == 0


@pytest.mark.parametrize("bad", ["\x00", "\x08", "\u202e"])
def test_control_characters_in_a_product_name_are_refused(session, tmp_path, bad):
    rows = [PRODUCT, ["11301-002", f"學習吧{bad}加分版", "乙教育公司", "數位內容組", "800"]]
    path = _write_csv(tmp_path / "p.csv", rows, PRODUCT_HEADERS)
    with pytest.raises(ImportRejected) as refused:
        import_products(session, path, YEAR)
    assert refused.value.rows == [3] and "產品名稱" in str(refused.value)
    session.rollback()
    assert _count(session, Product) == 0
