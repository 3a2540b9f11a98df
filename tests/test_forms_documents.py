"""Every document in every format, rendered from the demo county and read back.

One SQLite demo database serves the module: only the rendering is under test here (the
same renders on PostgreSQL are in test_forms_database.py), and a PDF takes a second.
"""

import subprocess
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from odf.number import Number, NumberStyle
from odf.opendocument import load as load_ods
from odf.style import Style
from odf.table import Table, TableCell, TableRow
from odf.teletype import extractText
from openpyxl import load_workbook
from PIL import Image, ImageChops
from sqlmodel import Session, select

from demo.generate import generate
from forms.render import render
from model.db import make_engine
from model.migrate import upgrade
from model.tables import BudgetLine, County, Plan, School
from rules import BUSINESS_KEYS, administration_fee, estimate, load_rules
from states.values import BudgetItem
from vocab.labels import ITEM_LABELS, TARGET_LABELS
from workflow.plan_estimate import ESTIMATE_INPUTS, per_head_rate, school_facts
from workflow.targets_progress import progress

COUNTY = "新竹縣"
YEAR = 113
SHEET_FORMATS = ["ods", "xlsx"]
PLAN_SHEETS = ["112年量化目標達成情形", "預期績效指標", "經費申請表", "附錄學校名單"]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('forms') / 'demo.db'}")
    upgrade(engine)
    with Session(engine) as session:
        generate(session, year=YEAR, county_name=COUNTY, story=False)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def rendered(demo_engine):
    """render() once per (kind, format, draft): PDFs are the slow part of the suite."""
    cache: dict[tuple, bytes] = {}

    def get(kind: str, fmt: str, draft: bool = False) -> bytes:
        key = (kind, fmt, draft)
        if key not in cache:
            with Session(demo_engine) as session:
                cache[key] = render(session, kind, COUNTY, YEAR, fmt, draft=draft)
        return cache[key]

    return get


@pytest.fixture(scope="module")
def stored(demo_engine):
    """What the documents must show, straight from the tables and the rules."""
    rules = load_rules(YEAR)
    with Session(demo_engine) as session:
        county = session.exec(select(County).where(County.name == COUNTY)).one()
        plan = session.exec(select(Plan).where(Plan.county_id == county.id)).one()
        lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id)).all()
        schools = session.exec(select(School).where(School.county_id == county.id)).all()
        inputs = {k: v for k, v in plan.inputs.items() if k in ESTIMATE_INPUTS}
        facts, rate = school_facts(session, county.id, YEAR), per_head_rate(session, rules)
        est = estimate(facts, rules, **inputs, per_head=rate)  # per head: the ministry's figure
    return {
        "rules": rules,
        "plan": plan,
        "lines": {BudgetItem(line.item): line for line in lines},
        "schools": schools,
        "estimate": est,
    }


# ------------------------------------------------------------------ readers
def read_sheets(data: bytes, fmt: str) -> dict[str, list[list]]:
    return read_ods(data) if fmt == "ods" else read_xlsx(data)


def read_xlsx(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(BytesIO(data))
    return {ws.title: [[_xlsx_value(c) for c in row] for row in ws.iter_rows()] for ws in book}


def _xlsx_value(cell):
    # A 達成率 is a number with a % format: read it as the text it shows.
    if cell.number_format == "0.0%" and cell.value is not None:
        return f"{Decimal(str(cell.value)) * 100:.1f}%"
    return cell.value


def _ods_value(cell):
    kind = cell.getAttribute("valuetype")
    if kind == "float":
        number = float(cell.getAttribute("value"))
        assert number.is_integer(), f"{number} is not a whole amount"
        return int(number)
    return extractText(cell) or None


def read_ods(data: bytes) -> dict[str, list[list]]:
    doc = load_ods(BytesIO(data))
    return {
        table.getAttribute("name"): [
            [_ods_value(cell) for cell in row.getElementsByType(TableCell)]
            for row in table.getElementsByType(TableRow)
        ]
        for table in doc.spreadsheet.getElementsByType(Table)
    }


def row_where(rows: list[list], column: int, value) -> list:
    return next(row for row in rows if len(row) > column and row[column] == value)


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def _code(item: BudgetItem) -> str:
    return ITEM_LABELS[item.value].split(" ", 1)[0]


# ------------------------------------------------------------------ budget
@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_budget_sheet_matches_estimate_and_stored_lines(rendered, stored, fmt):
    rows = read_sheets(rendered("budget", fmt), fmt)["經費申請表"]
    for item, line in stored["lines"].items():
        row = row_where(rows, 0, _code(item))
        expected = stored["estimate"].items.get(item.value, 0)
        assert row[3:7] == [expected, line.recurrent, line.capital, line.requested], item


@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_budget_sheet_sums_items_and_total(rendered, stored, fmt):
    rows = read_sheets(rendered("budget", fmt), fmt)["經費申請表"]
    lines = stored["lines"]
    staff = [
        lines[BudgetItem(k)]
        for k in (
            "admin_staff",
            "counseling_staff",
            "it_staff",
            "principal_investigator",
            "co_investigator",
        )
    ]
    assert row_where(rows, 0, "1")[4:7] == [
        sum(x.recurrent for x in staff), sum(x.capital for x in staff),
        sum(x.requested for x in staff),
    ]  # fmt: skip
    total = row_where(rows, 1, "合計")
    assert total[3] == stored["estimate"].total
    assert total[4:7] == [
        sum(x.recurrent for x in lines.values()), sum(x.capital for x in lines.values()),
        sum(x.requested for x in lines.values()),
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_budget_sheet_caps_administration_on_recurrent_business(rendered, stored, fmt):
    rows = read_sheets(rendered("budget", fmt), fmt)["經費申請表"]
    business = sum(stored["lines"][BudgetItem(k)].recurrent for k in BUSINESS_KEYS)
    cap = administration_fee(business, stored["rules"])
    assert row_where(rows, 1, "行政管理費上限")[4] == cap
    assert row_where(rows, 0, "7")[6] <= cap


def test_render_xlsx_keeps_numbers_as_thousands_formatted_ints(rendered):
    for kind in ("plan", "budget", "results", "schools"):
        book = load_workbook(BytesIO(rendered(kind, "xlsx")))
        numbers = [c for ws in book for row in ws.iter_rows() for c in row
                   if isinstance(c.value, int | float)]  # fmt: skip
        assert numbers, kind
        counts = [c for c in numbers if c.number_format != "0.0%"]  # 達成率 are percentages
        assert all(type(c.value) is int and c.number_format == "#,##0" for c in counts), kind


def test_render_ods_keeps_numbers_as_grouped_whole_values(rendered):
    doc = load_ods(BytesIO(rendered("plan", "ods")))
    grouped = {
        style.getAttribute("name")
        for style in doc.automaticstyles.getElementsByType(NumberStyle)
        if any(n.getAttribute("grouping") == "true" for n in style.getElementsByType(Number))
    }
    cell_styles = {
        style.getAttribute("name"): style.getAttribute("datastylename")
        for style in doc.automaticstyles.getElementsByType(Style)
    }
    numbers = [c for c in doc.spreadsheet.getElementsByType(TableCell)
               if c.getAttribute("valuetype") == "float"]  # fmt: skip
    assert len(numbers) > 100
    assert all(float(c.getAttribute("value")).is_integer() for c in numbers)
    assert all(cell_styles[c.getAttribute("stylename")] in grouped for c in numbers)


def test_render_budget_html_shows_fixed_notes_and_cap(rendered, stored):
    html = rendered("budget", "html").decode()
    assert "113 年中小學實施計畫經費申請表--新竹縣" in html
    assert "本計畫經費核定後，經常門、資本門項目不得流用。" in html
    assert "預算法第 54 條" in html and "113年1月1日起至114年1月31日止" in html
    admin = stored["lines"][BudgetItem.administration]
    assert f"本計畫申請新臺幣 {admin.requested:,} 元" in html


# ------------------------------------------------------------------ schools
@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_school_sheet_lists_every_school_and_total(rendered, stored, fmt):
    rows = read_sheets(rendered("schools", fmt), fmt)["學校名單"]
    schools = stored["schools"]
    header = row_where(rows, 0, "序號")
    assert len([h for h in header if h]) == 13 and header[10] == "112 年班級數"
    listed = [row for row in rows if isinstance(row[0], int)]
    assert [row[2] for row in listed] == [s.code for s in sorted(schools, key=lambda s: s.seq)]
    total = row_where(rows, 0, "合計")
    assert total[9] == f"共 {len(schools)} 校"
    assert total[10:13] == [sum(s.classes for s in schools), sum(s.teachers for s in schools),
                            sum(s.students for s in schools)]  # fmt: skip


def test_render_school_html_marks_county_and_indigenous(rendered, stored):
    html = rendered("schools", "html").decode()
    assert "113 年度新竹縣所轄中小學名單" in html
    assert html.count("<td>新竹縣</td>") == len(stored["schools"])
    assert f"合計（共 {len(stored['schools'])} 校）" in html


# ------------------------------------------------------------------ results
@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_results_sheet_matches_activity_progress(rendered, demo_engine, fmt):
    rows = read_sheets(rendered("results", fmt), fmt)["量化目標達成情形"]
    with Session(demo_engine) as session:
        county = session.exec(select(County).where(County.name == COUNTY)).one()
        expected = progress(session, county.id, YEAR)
    assert expected  # the page's targets, every one of them in the document
    for key, p in expected.items():
        row = row_where(rows, 0, TARGET_LABELS[key])
        rate = p.rate_text if p.achieved is not None else None
        assert [row[1], row[2], row[3] or None] == [p.target, p.achieved, rate], key


def test_render_results_html_shows_same_counts_as_activity_page(rendered, demo_engine):
    html = rendered("results", "html").decode()
    with Session(demo_engine) as session:
        county = session.exec(select(County).where(County.name == COUNTY)).one()
        meetings = progress(session, county.id, YEAR)["working_meetings"]
    label = TARGET_LABELS["working_meetings"]
    row = html[html.index(label) : html.index("</tr>", html.index(label))]
    assert f"{meetings.target:,} 次" in row and f"{meetings.achieved:,} 次" in row
    assert meetings.rate_text in row


# ------------------------------------------------------------------ the whole plan
@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_plan_spreadsheet_puts_each_table_on_its_own_sheet(rendered, stored, fmt):
    sheets = read_sheets(rendered("plan", fmt), fmt)
    assert list(sheets) == PLAN_SHEETS
    targets = sheets["預期績效指標"]
    for key, value in stored["plan"].targets.items():
        assert row_where(targets, 0, TARGET_LABELS[key])[1] == value
    assert row_where(sheets["經費申請表"], 1, "合計")[6] == sum(
        line.requested for line in stored["lines"].values()
    )
    assert sum(isinstance(row[0], int) for row in sheets["附錄學校名單"]) == len(stored["schools"])


@pytest.mark.parametrize("fmt", SHEET_FORMATS)
def test_render_draft_spreadsheet_starts_every_sheet_with_draft_row(rendered, fmt):
    sheets = read_sheets(rendered("plan", fmt, draft=True), fmt)
    assert len(sheets) == len(PLAN_SHEETS)
    assert all(rows[0][0].startswith("草稿") for rows in sheets.values())
    final = read_sheets(rendered("plan", fmt), fmt)
    assert not any(str(rows[0][0]).startswith("草稿") for rows in final.values())


def test_render_plan_html_follows_outline_with_county_title(rendered):
    html = rendered("plan", "html").decode()
    assert '<html lang="zh-Hant-TW">' in html
    assert "「推動中小學數位學習精進方案」" in html and "113 年新竹縣中小學實施計畫" in html
    headings = ["壹、計畫目標", "貳、計畫期程", "參、實施對象", "肆、執行現況與成效",
                "伍、113 年工作規劃", "陸、預期績效指標", "柒、經費需求", "附錄"]  # fmt: skip
    positions = [html.index(f"<h2>{h}</h2>") for h in headings]
    assert positions == sorted(positions)
    assert "一、112 年量化目標達成情形" in html and "依縣市規劃" in html
    assert "草稿" not in html


def test_render_draft_html_shows_banner(rendered):
    assert 'class="draft-banner"' in rendered("plan", "html", draft=True).decode()


# ------------------------------------------------------------------ PDF
def test_render_budget_pdf_carries_totals_and_notes(rendered, stored, tmp_path):
    text = "".join(pdf_pages(rendered("budget", "pdf"), tmp_path))
    lines = stored["lines"].values()
    assert "113 年中小學實施計畫經費申請表--新竹縣" in text
    assert f"{sum(line.requested for line in lines):,}" in text
    assert f"{sum(line.capital for line in lines):,}" in text
    assert "計畫經費編列、支用與結報" in text and "草稿" not in text


def test_render_schools_and_results_pdf_carry_their_tables(rendered, stored, tmp_path):
    schools = "".join(pdf_pages(rendered("schools", "pdf"), tmp_path))
    assert f"合計（共 {len(stored['schools'])} 校）" in schools
    assert f"{sum(s.students for s in stored['schools']):,}" in schools
    results = "".join(pdf_pages(rendered("results", "pdf"), tmp_path))
    assert "量化目標達成情形" in results and "達成率" in results


def test_render_plan_pdf_is_a4_with_every_section(rendered, tmp_path):
    data = rendered("plan", "pdf")
    pages = pdf_pages(data, tmp_path)
    text = "".join(pages)
    for heading in ("壹、計畫目標", "陸、預期績效指標", "柒、經費需求", "附錄"):
        assert heading in text
    assert all("草稿" not in page for page in pages)
    info = subprocess.run(["pdfinfo", str(tmp_path / "doc.pdf")], capture_output=True,
                          check=True, text=True).stdout  # fmt: skip
    assert "595.276 x 841.89" in info  # A4 portrait, the first page


def test_render_draft_pdf_says_draft_on_every_page(rendered, tmp_path):
    # The budget table runs over several pages: the cheapest multi-page PDF to check.
    pages = pdf_pages(rendered("budget", "pdf", draft=True), tmp_path)
    assert len(pages) > 1
    assert all("草稿" in page for page in pages)


def test_render_pdf_embeds_traditional_chinese_font(rendered, tmp_path):
    path = tmp_path / "results.pdf"
    path.write_bytes(rendered("results", "pdf"))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    assert "Noto-Sans-CJK-TC" in fonts.stdout


NO_CJK_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""
TOFU_RENDER = (
    "import sys; from weasyprint import HTML; HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"
)


def _page_png(pdf: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(pdf.with_suffix(""))], check=True)  # fmt: skip
    return Image.open(pdf.with_suffix(".png")).convert("L")


def _dark(image: Image.Image) -> int:
    return image.point(lambda p: 255 if p < 128 else 0).histogram()[255]


def test_render_pdf_draws_cjk_glyphs_not_tofu(rendered, tmp_path):
    # The same HTML, rendered by a process whose fontconfig knows no CJK font, draws
    # empty boxes (tofu). A page drawn with real glyphs must look clearly different and
    # carry more ink; if fonts-noto-cjk went missing both would be tofu and match.
    html = tmp_path / "results.html"
    html.write_bytes(rendered("results", "html"))
    real = tmp_path / "real.pdf"
    real.write_bytes(rendered("results", "pdf"))
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_CJK_FONTS.format(cache=tmp_path / "fc-cache"))
    tofu = tmp_path / "tofu.pdf"
    env = {"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([str(Path(__import__("sys").executable)), "-c", TOFU_RENDER, str(html),
                    str(tofu)], check=True, env=env)  # fmt: skip
    real_png, tofu_png = _page_png(real), _page_png(tofu)
    assert real_png.size == tofu_png.size
    changed = ImageChops.difference(real_png, tofu_png).point(lambda p: 255 if p > 64 else 0)
    share = changed.histogram()[255] / (real_png.size[0] * real_png.size[1])
    assert share > 0.02
    assert _dark(real_png) > 1.3 * _dark(tofu_png)
