"""The list pages: search, sort, filters, paging in SQL, CSV/XLSX export of what is shown,
the per-county overdue page, deputy tags and the empty bulk submit."""

import csv
import re
from datetime import UTC, date, datetime
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlmodel import Session, func, select
from web_support import (
    HOME,
    OTHER,
    app_on_copy,
    client_for,
    county_id,
    post,
    seeded_app,
    seeded_sqlite_file,
    user_named,
)

from model.accounts import Deputy
from model.tables import Milestone, Product, ProgrammeYear, Purchase, School, TransitionLog

MARK = "清單測試"


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def _purchase(s: Session, county: int, title: str, amount: int, **extra) -> Purchase:
    row = Purchase(county_id=county, year=113, title=title, amount=amount, **extra)
    s.add(row)
    s.flush()
    return row


def _deadline(s: Session, row: Purchase, due: date, title: str, **extra) -> None:
    s.add(Milestone(county_id=row.county_id, year=row.year, kind="purchase.disbursement",
                    title=title, subject_type="purchase", subject_id=row.id, due_on=due,
                    owner_id=row.owner_id, **extra))  # fmt: skip


def _add_known(app) -> dict[str, int]:
    """Four purchases of 新竹縣 the tests can tell apart, and one of an earlier year."""
    with Session(app.state.engine) as s:
        home = county_id(s, HOME)
        staff1 = user_named(s, "hsq.staff1").id
        product = s.exec(select(Product).where(Product.name == "PaGamO 閱讀素養")).one()
        school = s.exec(select(School).where(School.county_id == home)).first()
        a = _purchase(s, home, f"{MARK}甲", 300, owner_id=staff1, product_id=product.id)
        b = _purchase(s, home, f"=1+2 {MARK}公式", 100)
        c = _purchase(s, home, f"{MARK}乙", 200)
        d = _purchase(s, home, f"{MARK}丙", 400)
        s.add(TransitionLog(item_type="purchase", item_id=c.id, event="create", from_state="",
                            to_state="needs_collected", actor_role="county_staff",
                            letter_no="府教數字第1130001234號"))  # fmt: skip
        s.add(TransitionLog(item_type="purchase", item_id=d.id, event="create", from_state="",
                            to_state="needs_collected", actor_role="county_staff",
                            evidence={"公文": "臺教資(四)字第1132700999號"}))  # fmt: skip
        _deadline(s, a, date(2024, 5, 20), f"{MARK}甲請撥")  # overdue on TODAY
        _deadline(s, b, date(2024, 6, 5), f"{MARK}公式請撥", school_id=school.id)  # 2 days
        _deadline(s, c, date(2024, 7, 31), f"{MARK}乙請撥")
        s.add(ProgrammeYear(year=112, rules_toml="", rules_sha256="0" * 64))
        s.flush()
        old = _purchase(s, home, f"{MARK}舊年度", 50)
        old.year = 112
        s.commit()
        return {"甲": a.id, "公式": b.id, "乙": c.id, "丙": d.id, "舊": old.id,
                "school": school.name, "vendor": product.vendor}  # fmt: skip


def _titles(html: str) -> list[str]:
    """The known purchases' titles in the order the list shows them."""
    return re.findall(rf"<td>(=1\+2 {MARK}公式|{MARK}[甲乙丙]|{MARK}舊年度)</td>", html)


# ------------------------------------------------------------------ search, sort, filters
def test_search_by_title_product_vendor_school_and_letter_numbers(app):
    known = _add_known(app)
    client = client_for(app, "hsq.staff1")

    def found(q: str) -> set[str]:
        return set(_titles(client.get("/items/purchase", params={"q": q}).text))

    assert found(f"{MARK}甲") == {f"{MARK}甲"}
    assert found("pagamo") == {f"{MARK}甲"}  # product name, any case
    assert found(known["vendor"]) == {f"{MARK}甲"}
    assert found(known["school"]) == {f"=1+2 {MARK}公式"}
    assert found("1130001234") == {f"{MARK}乙"}  # 文號 of a step
    assert found("臺教資(四)字第1132700999號") == {f"{MARK}丙"}  # 文號 inside the evidence
    assert found("100%") == set()  # LIKE wildcards are searched for literally
    page = client.get("/items/purchase", params={"q": "府教數字"}).text
    assert 'value="府教數字"' in page  # the search keeps its value


def test_sort_by_column_both_directions_with_aria_sort(app):
    _add_known(app)
    client = client_for(app, "hsq.staff1")
    up = client.get("/items/purchase", params={"q": MARK, "sort": "amount"}).text
    assert _titles(up) == [f"=1+2 {MARK}公式", f"{MARK}乙", f"{MARK}甲", f"{MARK}丙"]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a [^>]*>金額', up)
    assert up.count("aria-sort=") == 1
    down = client.get("/items/purchase", params={"q": MARK, "sort": "amount", "dir": "desc"})
    assert _titles(down.text) == [f"{MARK}丙", f"{MARK}甲", f"{MARK}乙", f"=1+2 {MARK}公式"]
    assert 'aria-sort="descending"' in down.text
    by_due = client.get("/items/purchase", params={"q": MARK, "sort": "due"}).text
    assert _titles(by_due) == [f"{MARK}甲", f"=1+2 {MARK}公式", f"{MARK}乙", f"{MARK}丙"]


def test_filters_year_default_owner_overdue_due_within_state(app):
    _add_known(app)
    client = client_for(app, "hsq.staff1")

    def shown(**params) -> list[str]:
        return _titles(client.get("/items/purchase", params={"q": MARK, **params}).text)

    assert f"{MARK}舊年度" not in shown()  # the current programme year by default
    assert shown(year="112") == [f"{MARK}舊年度"]
    assert len(shown(year="all")) == 5
    assert shown(owner="me") == [f"{MARK}甲"]
    assert shown(overdue="1") == [f"{MARK}甲"]
    assert shown(due_within="5") == [f"=1+2 {MARK}公式"]  # due in 2 working days
    assert shown(state="closed") == []
    assert len(shown(state="needs_collected")) == 4
    page = client.get("/items/purchase", params={"overdue": "1", "due_within": "5"}).text
    assert 'name="overdue" value="1" checked' in page
    assert '<option value="5" selected>5 個工作天內到期</option>' in page
    assert "needs_collected<" not in page  # states shown by name, not identifier


def test_county_filter_for_the_ministry_and_scope_for_county_people(sqlite_app):
    _add_known(sqlite_app)
    with Session(sqlite_app.state.engine) as s:
        other = county_id(s, OTHER)
    ministry = client_for(sqlite_app, "moe.reviewer1")
    assert len(_titles(ministry.get("/items/purchase", params={"q": MARK}).text)) == 4
    assert _titles(ministry.get("/items/purchase", params={"q": MARK, "county": other}).text) == []
    county = client_for(sqlite_app, "hsz.staff1")  # 新竹市 may not ask for 新竹縣
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
    assert _titles(county.get("/items/purchase", params={"q": MARK, "county": home}).text) == []


# ------------------------------------------------------------------ paging
def _add_many(app, n: int) -> None:
    with Session(app.state.engine) as s:
        home = county_id(s, HOME)
        rows = [dict(county_id=home, year=113, title=f"分頁採購{i:03d}", status="needs_collected",
                     evidence={}, version=1, amount=i, created_at=datetime(2024, 5, 1, tzinfo=UTC))
                for i in range(n)]  # fmt: skip
        s.execute(insert(Purchase), rows)
        s.commit()


def test_paging_last_page_and_past_the_end(app):
    _add_many(app, 60)
    client = client_for(app, "hsq.staff1")
    params = {"q": "分頁採購", "size": "25", "sort": "amount"}
    first = client.get("/items/purchase", params=params).text
    assert "第 1–25 筆，共 60 筆" in first and first.count("分頁採購0") == 25
    last = client.get("/items/purchase", params=params | {"page": "3"}).text
    assert "第 51–60 筆，共 60 筆" in last
    assert re.findall(r"分頁採購(\d+)</td>", last) == [f"{i:03d}" for i in range(50, 60)]
    assert 'rel="next"' not in last and 'rel="prev"' in last
    beyond = client.get("/items/purchase", params=params | {"page": "99"}).text
    assert "第 51–60 筆，共 60 筆" in beyond  # a page past the end shows the last one
    odd = client.get("/items/purchase", params=params | {"size": "100000", "page": "x"}).text
    assert "第 1–60 筆，共 60 筆" in odd or "第 1–100 筆" in odd  # size outside the choices


def test_activities_list_is_paged(sqlite_app):
    from model.tables import Activity

    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
        s.add_all([Activity(county_id=home, year=113, kind="parent_session",
                            held_on=date(2024, 5, 1), participants=10,
                            evidence_ref=f"簽到表{i:03d}") for i in range(30)])  # fmt: skip
        s.commit()
        total = s.exec(
            select(func.count()).select_from(Activity).where(Activity.county_id == home)
        ).one()
    assert total >= 30
    client = client_for(sqlite_app, "hsq.staff1")
    page = client.get("/activities", params={"size": "25"}).text
    assert f"第 1–25 筆，共 {total} 筆" in page
    assert page.count('<tr data-kind="') == 25
    last = -(-total // 25)
    tail = client.get("/activities", params={"size": "25", "page": str(last)}).text
    assert f"共 {total} 筆" in tail and tail.count('<tr data-kind="') == total - 25 * (last - 1)


# ------------------------------------------------------------------ export
def test_csv_and_xlsx_export_what_the_filter_shows_over_all_pages(app):
    _add_known(app)
    client = client_for(app, "hsq.staff1")
    params = {"q": MARK, "sort": "amount", "size": "25", "page": "1"}
    shown = _titles(client.get("/items/purchase", params=params).text)
    response = client.get("/export/items/purchase", params=params | {"format": "csv"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    table = list(csv.reader(StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["項目", "名稱"]
    assert [r[1].removeprefix("'") for r in table[1:]] == shown
    assert table[1][1] == f"'=1+2 {MARK}公式"  # never a formula in Excel
    assert [r[5] for r in table[1:]] == ["100", "200", "300", "400"]

    response = client.get("/export/items/purchase", params=params | {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[1].value for r in rows] == shown
    assert rows[0][1].data_type == "s" and rows[0][1].value.startswith("=")
    assert [r[5].value for r in rows] == [100, 200, 300, 400]
    assert rows[0][6].is_date and rows[0][6].value.date() == date(2024, 6, 5)


def test_export_covers_every_page_not_only_the_shown_one(app):
    _add_many(app, 60)
    client = client_for(app, "hsq.staff1")
    params = {"q": "分頁採購", "size": "25", "page": "2", "sort": "amount", "dir": "desc"}
    response = client.get("/export/items/purchase", params=params | {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    amounts = [row[5].value for row in sheet.iter_rows(min_row=2)]
    assert amounts == list(range(59, -1, -1))


# ------------------------------------------------------------------ overdue page
def test_overdue_page_for_reviewer_longest_overdue_first(sqlite_app):
    known = _add_known(sqlite_app)
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
        c = s.get(Purchase, known["乙"])
        _deadline(s, c, date(2024, 4, 1), f"{MARK}更早逾期")
        s.commit()
    reviewer = client_for(sqlite_app, "moe.reviewer1")
    response = reviewer.get(f"/overdue?county={home}")
    assert response.status_code == 200
    page = response.text
    assert page.index(f"{MARK}更早逾期") < page.index(f"{MARK}甲請撥")
    assert "113/04/01" in page and "63 天" in page  # ROC due date, days late
    assert "數位內容及教學軟體經費請撥" in page  # the kind by name
    assert "蕭思妤" in page and "300" in page  # owner, amount
    assert "purchase.disbursement" not in page
    assert f'href="/overdue?county={home}"' in reviewer.get("/ministry").text
    supervisor = client_for(sqlite_app, "hsq.supervisor")
    assert supervisor.get(f"/overdue?county={home}").status_code == 200
    assert f'href="/overdue?county={home}"' in supervisor.get("/").text
    export = reviewer.get("/export/overdue", params={"county": home, "format": "csv"})
    rows = list(csv.reader(StringIO(export.content.decode("utf-8-sig"))))
    titles = [r[0] for r in rows[1:]]
    assert titles.index(f"{MARK}更早逾期") < titles.index(f"{MARK}甲請撥")
    assert rows[1 + titles.index(f"{MARK}更早逾期")][3:5] == ["2024-04-01", "63"]


def test_export_beyond_the_limit_asks_for_a_narrower_filter(sqlite_app, monkeypatch):
    monkeypatch.setattr("web.work_routes.EXPORT_MAX", 3)
    _add_known(sqlite_app)
    client = client_for(sqlite_app, "hsq.staff1")
    refused = client.get("/export/items/purchase", params={"q": MARK, "format": "csv"})
    assert refused.status_code == 413 and "超過匯出上限 3 筆" in refused.text
    narrowed = client.get("/export/items/purchase", params={"q": f"{MARK}甲", "format": "csv"})
    assert narrowed.status_code == 200


def test_overdue_page_refused_for_another_countys_supervisor(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
    assert (
        client_for(sqlite_app, "hsz.supervisor").get(f"/overdue?county={home}").status_code == 404
    )
    assert client_for(sqlite_app, "hsq.staff1").get(f"/overdue?county={home}").status_code == 403


# ------------------------------------------------------------------ deputy, bulk, labels
def test_deputy_sees_absent_persons_items_tagged_with_their_name(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        staff1, staff2 = user_named(s, "hsq.staff1"), user_named(s, "hsq.staff2")
        s.add(Deputy(user_id=staff1.id, deputy_id=staff2.id, starts_on=date(2024, 6, 1),
                     ends_on=date(2024, 6, 30)))  # fmt: skip
        s.commit()
        absent = staff1.display_name
    client = client_for(sqlite_app, "hsq.staff2")
    listing = client.get("/items/purchase").text
    assert listing.count(f">代理 {absent}</span>") == 3
    assert listing.count(">我負責</span>") == 3
    mine = client.get("/items/purchase", params={"owner": "deputy"}).text
    assert mine.count(f">代理 {absent}</span>") == 3 and ">我負責</span>" not in mine


def test_empty_bulk_submit_says_nothing_chosen_and_changes_nothing(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        logs = s.exec(select(func.count()).select_from(TransitionLog)).one()
    client = client_for(sqlite_app, "hsq.supervisor")  # may cancel without evidence
    listing = "/items/purchase?state=needs_collected"
    response = post(client, "/bulk/purchase/cancel?state=needs_collected", {"reason": "x"},
                    page=listing)  # fmt: skip
    assert response.status_code == 422
    fieldset = response.text[response.text.index('id="bulk-actions"') :]
    assert "未選擇任何項目" in fieldset[: fieldset.index("</fieldset>")]
    with Session(sqlite_app.state.engine) as s:
        assert s.exec(select(func.count()).select_from(TransitionLog)).one() == logs


def test_my_work_filters_search_and_pages_in_sql(sqlite_app):
    _add_many(sqlite_app, 60)
    client = client_for(sqlite_app, "hsq.staff1")
    page = client.get("/", params={"q": "分頁採購", "size": "25", "page": "3", "sort": "amount"})
    assert "第 51–60 筆，共 60 筆" in page.text
    assert re.findall(r"分頁採購(\d+)</a>", page.text) == [f"{i:03d}" for i in range(50, 60)]
    assert 'value="分頁採購"' in page.text
    assert "<b>60</b><span>待我處理</span>" in page.text


def test_controls_are_labelled_and_show_no_identifiers(sqlite_app):
    client = client_for(sqlite_app, "moe.reviewer1")
    for url in ("/items/purchase", "/items/plan", "/"):
        page = client.get(url).text
        for control in re.findall(r"<(?:select|input)\b[^>]*>", page):
            if 'type="hidden"' in control or (
                'type="checkbox"' in control and "aria-label" in control
            ):
                continue
            name = re.search(r'name="([^"]+)"', control)
            assert name, control
            # each control sits inside a <label> with zh-TW text before it
            before = page[: page.index(control)]
            assert before.rfind("<label") > before.rfind("</label>"), (url, control)
        for raw in ("needs_collected", "county_staff", "purchase.disbursement"):
            assert f">{raw}<" not in page


def test_every_kind_of_list_exports_and_sorts_by_every_column(app):
    from web.listing import item_sort_columns, next_due_table
    from workflow.lifecycles import LIFECYCLES

    _add_known(app)
    client = client_for(app, "moe.reviewer1")
    for key in ("item", "county", "state", "owner", "due", "amount", "title", "nonsense"):
        for direction in ("", "desc"):
            work = client.get("/", params={"sort": key, "dir": direction, "q": MARK})
            assert work.status_code == 200 and f"{MARK}甲" in work.text
    for item_type, lifecycle in LIFECYCLES.items():
        for key in item_sort_columns(lifecycle, next_due_table(str(item_type))):
            for direction in ("", "desc"):
                url = f"/items/{item_type}"
                assert client.get(url, params={"sort": key, "dir": direction}).status_code == 200
        book = client.get(f"/export/items/{item_type}", params={"format": "xlsx"})
        assert book.status_code == 200
        assert load_workbook(BytesIO(book.content)).active["A1"].value == "項目"
    assert client.get("/export/items/purchase", params={"format": "pdf"}).status_code == 404
