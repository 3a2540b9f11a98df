"""Importing the year's 「校園數位內容與教學軟體選購名單」."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from imports.product_list import HEADERS, import_products, needs_data_clause, parse_products
from imports.tabular import ImportRejected, Row, TabularError
from model.tables import Product

YEAR = 113
# Made-up vendors; the names spell the six data-clause products loosely, as lists do.
PRODUCTS = [
    ["11301-001", "PaGamO 閱讀素養 教師版", "甲科技公司", "數位內容組", "12,000"],
    ["11301-002", "學習吧 加分版", "乙教育公司", "數位內容組", "800"],
    ["11301-003", "HiTeach 5 互動教學系統", "丙資訊公司", "課堂教學軟體組", "3500"],
    ["11301-004", "天下雜誌 閱讀理解線上版", "丁出版社", "數位內容組", "500"],
    ["11301-005", "國語日報線上學習", "戊報社", "數位內容組", "450"],
    ["11301-006", "LoiLoNote School", "己公司", "課堂教學軟體組", "1,200"],
    ["11301-007", "英語聽說練習平台", "庚公司", "數位內容組", "0"],
    ["11301-008", "數學互動題庫", "辛公司", "數位內容組", "300"],
]
CLAUSE_SERIALS = {f"11301-00{n}" for n in range(1, 7)}


def _write_csv(path: Path, rows, headers=HEADERS, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([headers, *rows])
    return path


def _products(session: Session) -> dict[str, Product]:
    return {p.serial: p for p in session.exec(select(Product).where(Product.year == YEAR))}


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Product)).one()


def test_import_products_stores_every_product_with_its_price(session, tmp_path):
    report = import_products(session, _write_csv(tmp_path / "list.csv", PRODUCTS), YEAR)

    stored = _products(session)
    assert (report.inserted, report.updated, report.unchanged) == (8, 0, 0)
    assert stored["11301-001"].reference_price == 12000
    assert stored["11301-006"].reference_price == 1200
    assert stored["11301-007"].reference_price == 0
    assert (stored["11301-003"].vendor, stored["11301-003"].group) == (
        "丙資訊公司",
        "課堂教學軟體組",
    )


def test_import_products_marks_exactly_the_six_data_clause_products(session, tmp_path):
    import_products(session, _write_csv(tmp_path / "list.csv", PRODUCTS), YEAR, CLAUSE_SERIALS)

    marked = {serial for serial, p in _products(session).items() if p.needs_data_clause}
    assert marked == CLAUSE_SERIALS


def test_import_products_twice_changes_nothing(session, tmp_path):
    path = _write_csv(tmp_path / "list.csv", PRODUCTS)
    import_products(session, path, YEAR)
    session.commit()

    again = import_products(session, path, YEAR)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    assert not session.dirty and not session.new
    assert _count(session) == 8


def test_import_products_with_one_changed_price_updates_only_that_product(session, tmp_path):
    import_products(session, _write_csv(tmp_path / "a.csv", PRODUCTS), YEAR)
    session.commit()
    before = {s: p.model_dump() for s, p in _products(session).items()}
    changed = [row[:] for row in PRODUCTS]
    changed[7][4] = "350"

    report = import_products(session, _write_csv(tmp_path / "b.csv", changed), YEAR)
    session.commit()

    after = {s: p.model_dump() for s, p in _products(session).items()}
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 7)
    assert {s for s in before if before[s] != after[s]} == {"11301-008"}
    assert after["11301-008"]["reference_price"] == 350


@pytest.mark.parametrize("header", ["參考價格(元)", "參考價格（元）"])
def test_import_products_accepts_the_price_header_with_its_unit(session, tmp_path, header):
    path = _write_csv(tmp_path / "list.csv", PRODUCTS, (*HEADERS[:4], header))

    assert import_products(session, path, YEAR).inserted == 8


@pytest.mark.parametrize("kind", ["cp950", "xlsx"])
def test_import_products_reads_big5_and_xlsx_lists_alike(session, tmp_path, kind):
    if kind == "cp950":
        path = _write_csv(tmp_path / "big5.csv", PRODUCTS, encoding="cp950")
    else:
        book = Workbook()
        for row in [HEADERS, *PRODUCTS]:
            book.active.append(row)
        path = tmp_path / "list.xlsx"
        book.save(path)

    import_products(session, path, YEAR)

    stored = _products(session)
    assert {s: (p.name, p.reference_price) for s, p in stored.items()} == {
        r[0]: (r[1], int(r[4].replace(",", ""))) for r in PRODUCTS
    }


def test_import_products_without_a_required_header_names_it(session, tmp_path):
    path = _write_csv(tmp_path / "list.csv", [r[:4] for r in PRODUCTS], HEADERS[:4])

    with pytest.raises(TabularError, match="缺少欄位：參考價格"):
        import_products(session, path, YEAR)


BAD_ROWS = [
    PRODUCTS[0],                                                        # 2 fine
    ["1130-1001", "甲", "甲公司", "數位內容組", "1"],                    # 3 serial shape
    ["11301001", "乙", "乙公司", "數位內容組", "1"],                     # 4 no hyphen
    ["11301-010", "丙", "丙公司", "硬體組", "1"],                        # 5 unknown group
    ["11301-011", "丁", "丁公司", "數位內容組", "12.5"],                 # 6 decimal price
    ["11301-012", "戊", "戊公司", "數位內容組", "-100"],                 # 7 negative price
    ["11301-001", "己", "己公司", "數位內容組", "1"],                    # 8 repeats row 2
    ["11301-013", "庚", "", "數位內容組", "1"],                          # 9 no vendor
    ["11301-014", "", "辛公司", "數位內容組", "1"],                      # 10 no name
    PRODUCTS[1],                                                        # 11 fine
]  # fmt: skip
BAD_LINES = [
    "第 3 列 產品序號「1130-1001」：須為 5 碼-3 碼數字，如 11301-001",
    "第 4 列 產品序號「11301001」：須為 5 碼-3 碼數字，如 11301-001",
    "第 5 列 組別「硬體組」：不是 數位內容組/課堂教學軟體組",
    "第 6 列 參考價格「12.5」：須為整數，不可有小數",
    "第 7 列 參考價格「-100」：須為 0 或正整數",
    "第 8 列 產品序號「11301-001」：與第 2 列重複",
    "第 9 列 廠商「」：不可空白",
    "第 10 列 產品名稱「」：不可空白",
]


def test_import_products_with_bad_rows_stores_nothing_and_names_each_row(session, tmp_path):
    path = _write_csv(tmp_path / "bad.csv", BAD_ROWS)

    with pytest.raises(ImportRejected) as caught:
        import_products(session, path, YEAR)

    assert caught.value.rows == list(range(3, 11))
    assert str(caught.value).splitlines()[1:] == BAD_LINES
    assert _count(session) == 0


def test_parse_products_rejects_a_bad_list_without_a_database():
    rows = [Row(n, dict(zip(HEADERS, r, strict=True))) for n, r in enumerate(BAD_ROWS, start=2)]

    with pytest.raises(ImportRejected) as caught:
        parse_products(rows)

    assert [str(p) for p in caught.value.problems] == BAD_LINES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HiTeach 5 互動教學系統", True),
        ("hi teach", True),
        ("PaGamO閱讀素養", True),
        ("PaGamO 數學", False),
        ("學習吧", False),
        ("LOILONOTE", True),
    ],
)
def test_needs_data_clause_matches_rule_names_ignoring_case_and_spaces(name, expected):
    keys = ["pagamo閱讀素養", "學習吧加分版", "hiteach", "天下雜誌", "國語日報", "loilonote"]

    assert needs_data_clause(name, keys) is expected


def test_the_clause_flag_follows_the_serial_and_names_only_warn(session, tmp_path):
    rows = [r[:] for r in PRODUCTS]
    rows[0][1] = "PaGamO素養"  # a spelling name matching misses
    report = import_products(session, _write_csv(tmp_path / "a.csv", rows), YEAR, CLAUSE_SERIALS)
    assert {s for s, p in _products(session).items() if p.needs_data_clause} == CLAUSE_SERIALS
    assert report.warnings == [
        "第 2 列 11301-001「PaGamO素養」已標記須附資料條款，但名稱不像規則所列的六項產品，請確認序號"
    ]
    session.commit()
    # Re-imported without serials: the flags stay with their serials.
    again = import_products(session, _write_csv(tmp_path / "b.csv", rows), YEAR)
    assert (again.updated, again.unchanged) == (0, 8)
    assert {s for s, p in _products(session).items() if p.needs_data_clause} == CLAUSE_SERIALS


def test_a_name_like_a_clause_product_without_its_serial_is_a_warning(session, tmp_path):
    report = import_products(session, _write_csv(tmp_path / "a.csv", PRODUCTS), YEAR, ["11301-002"])
    assert {s for s, p in _products(session).items() if p.needs_data_clause} == {"11301-002"}
    assert (
        len(report.warnings) == 5
        and "11301-003「HiTeach 5 互動教學系統」名稱像" in (report.warnings[1])
    )


def test_a_clause_serial_not_in_the_list_stores_nothing(session, tmp_path):
    from rules import InputError

    with pytest.raises(InputError, match=r"11309-999 不在 a\.csv 中"):
        import_products(session, _write_csv(tmp_path / "a.csv", PRODUCTS), YEAR, ["11309-999"])
    assert _count(session) == 0
