"""Reading CSV (UTF-8, UTF-8 with BOM, CP950) and XLSX into trimmed, numbered rows."""

import pytest
from openpyxl import Workbook

from imports.tabular import (
    ImportRejected,
    RowProblem,
    TabularError,
    parse_whole,
    read_rows,
)
from rules.errors import InputError

HEADERS = ("代碼", "名稱", "數量")


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path, rows, formats=None):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for (row, col), fmt in (formats or {}).items():
        sheet.cell(row=row, column=col).number_format = fmt
    book.save(path)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_read_csv_decodes_each_encoding_excel_writes(tmp_path, encoding):
    path = _write(tmp_path / "a.csv", "代碼,名稱,數量\r\n011301,臺北國小,12\r\n", encoding)

    assert read_rows(path, HEADERS) == [(2, {"代碼": "011301", "名稱": "臺北國小", "數量": "12"})]


def test_read_csv_numbers_rows_as_excel_shows_them_when_rows_are_blank(tmp_path):
    text = "代碼,名稱,數量\n1,甲,3\n,,\n\n2,乙,4\n"
    rows = read_rows(_write(tmp_path / "a.csv", text), HEADERS)

    assert [number for number, _ in rows] == [2, 5]


def test_read_csv_counts_a_quoted_line_break_as_one_row(tmp_path):
    text = '代碼,名稱,數量\n1,"甲\n乙",3\n2,丙,4\n'
    rows = read_rows(_write(tmp_path / "a.csv", text), HEADERS)

    assert [(n, cells["名稱"]) for n, cells in rows] == [(2, "甲\n乙"), (3, "丙")]


def test_read_csv_trims_whitespace_in_headers_and_cells(tmp_path):
    text = " 代碼 ,名稱\u3000,數量\n 01 ,\u3000甲 , 3\t\n"
    rows = read_rows(_write(tmp_path / "a.csv", text), HEADERS)

    assert rows == [(2, {"代碼": "01", "名稱": "甲", "數量": "3"})]


def test_read_csv_pads_short_rows_with_empty_cells(tmp_path):
    rows = read_rows(_write(tmp_path / "a.csv", "代碼,名稱,數量\n1,甲\n"), HEADERS)

    assert rows[0].cells == {"代碼": "1", "名稱": "甲", "數量": ""}


def test_read_csv_skips_leading_blank_lines_before_the_header(tmp_path):
    rows = read_rows(_write(tmp_path / "a.csv", "\n代碼,名稱,數量\n1,甲,2\n"), HEADERS)

    assert rows[0].number == 3


def test_read_csv_renames_header_aliases(tmp_path):
    path = _write(tmp_path / "a.csv", "代碼,名稱,數量(個)\n1,甲,2\n")

    rows = read_rows(path, HEADERS, {"數量": ("數量(個)",)})

    assert rows[0].cells["數量"] == "2"


def test_read_csv_rejects_missing_headers_naming_them(tmp_path):
    path = _write(tmp_path / "a.csv", "代碼,別的\n1,甲\n")

    with pytest.raises(TabularError, match="缺少欄位：名稱、數量"):
        read_rows(path, HEADERS)


def test_read_csv_rejects_duplicate_headers(tmp_path):
    path = _write(tmp_path / "a.csv", "代碼,名稱,數量,名稱\n1,甲,2,乙\n")

    with pytest.raises(TabularError, match="欄位名稱重複：名稱"):
        read_rows(path, HEADERS)


def test_read_csv_rejects_an_empty_file(tmp_path):
    with pytest.raises(TabularError, match="檔案是空的"):
        read_rows(_write(tmp_path / "a.csv", "\n\n"), HEADERS)


def test_read_csv_rejects_bytes_of_no_known_encoding(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("代碼,名稱,數量\n".encode() + b"\xff\xfe\xff,x,1\n")

    with pytest.raises(TabularError, match="無法辨識檔案的文字編碼"):
        read_rows(path, HEADERS)


@pytest.mark.parametrize(
    ("name", "message"),
    [("a.ods", "不支援的檔案類型「.ods」"), ("a.xls", "舊版 Excel"), ("noext", "無副檔名")],
)
def test_read_rows_rejects_unknown_file_types(tmp_path, name, message):
    path = _write(tmp_path / name, "代碼,名稱,數量\n")

    with pytest.raises(TabularError, match=message) as caught:
        read_rows(path, HEADERS)
    assert isinstance(caught.value, InputError)


def test_read_xlsx_gives_whole_numbers_without_decimals(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [HEADERS, ["011301", "甲", 12.0], ["011302", "乙", 7]])

    rows = read_rows(path, HEADERS)

    assert [r.cells["數量"] for r in rows] == ["12", "7"]


def test_read_xlsx_keeps_fractions_as_written(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [HEADERS, ["1", "甲", 12.5]])

    assert read_rows(path, HEADERS)[0].cells["數量"] == "12.5"


def test_read_xlsx_restores_leading_zeros_of_zero_padded_number_cells(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [HEADERS, [11301, "甲", 1]], {(2, 1): "000000"})

    assert read_rows(path, HEADERS)[0].cells["代碼"] == "011301"


def test_read_xlsx_skips_empty_rows_and_numbers_rows_as_excel(tmp_path):
    rows = [HEADERS, [" 1 ", " 甲 ", 2], [None, None, None], ["2", "乙", 3]]

    read = read_rows(_xlsx(tmp_path / "a.xlsx", rows), HEADERS)

    assert read == [
        (2, {"代碼": "1", "名稱": "甲", "數量": "2"}),
        (4, {"代碼": "2", "名稱": "乙", "數量": "3"}),
    ]


def test_read_xlsx_rejects_a_file_that_is_not_a_workbook(tmp_path):
    with pytest.raises(TabularError, match="無法開啟 Excel 檔案"):
        read_rows(_write(tmp_path / "a.xlsx", "not a zip"), HEADERS)


WHOLE_CASES = [
    ("12", 12), ("12,000", 12000), ("1,234,567", 1234567), ("-3", -3), ("0", 0),
    ("12.5", None), ("1,2", None), ("", None), ("１２", None), ("12,0000", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), WHOLE_CASES)
def test_parse_whole_accepts_only_whole_numbers(text, expected):
    assert parse_whole(text) == expected


def test_import_rejected_lists_every_problem_by_row():
    error = ImportRejected(
        [
            RowProblem(7, "學制", "國高", "不是 國小/國中/高中"),
            RowProblem(5, "序號", "0", "須為 1 以上的整數"),
        ],
        source="a.csv",
    )

    lines = str(error).splitlines()
    assert lines == [
        "a.csv：共 2 列有誤，未匯入任何資料。",
        "第 5 列 序號「0」：須為 1 以上的整數",
        "第 7 列 學制「國高」：不是 國小/國中/高中",
    ]
    assert error.rows == [5, 7]
