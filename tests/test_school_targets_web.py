"""The 各校目標達成情形 page: each school's workshop and device standing, the schools short
first, and recording a workshop session with its sign-in sheet."""

import re

import pytest
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
)

from model.tables import School, WorkshopAttendance

PAGE = "/targets/schools"


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def _schools(app, county: str) -> list[School]:
    with Session(app.state.engine) as s:
        query = select(School).where(School.county_id == county_id(s, county))
        return list(s.exec(query.order_by(School.seq)))


def _row(page: str, table: str, code: str) -> str:
    body = re.search(rf'<table class="grid" id="{table}">(.*?)</table>', page, re.S)[1]
    return re.search(rf'<tr data-code="{code}"[^>]*>(.*?)</tr>', body, re.S)[1]


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_recording_a_workshop_updates_the_schools_standing(app):
    client = client_for(app, "hsq.staff1")
    a = _schools(app, HOME)[0]
    outsider = _schools(app, OTHER)[0]
    page = client.get(PAGE).text
    assert "各校目標達成情形" in page and 'id="record-workshop"' in page
    assert _cells(_row(page, "workshop-schools", a.code))[2] == "0"
    sheet = f"{a.code}\t王小明\n{a.code}\t李大同\n{outsider.code}\t他縣教師"
    form = {"held_on": "2024-05-20", "parts": "1,2", "attendees": sheet, "evidence_ref": "簽到表"}
    response = post(client, f"{PAGE}/workshop", form, page=PAGE)
    assert response.status_code == 303, response.text[:2000]
    page = client.get(PAGE).text
    assert "不計入培訓教師數" in page  # the flash names the outsider
    staff, baseline, trained, counted, short, state = _cells(_row(page, "workshop-schools", a.code))
    assert (staff, baseline, trained, counted, state) == (
        f"{a.teachers:,}",
        "0",
        "2",
        "2",
        "未達成",
    )
    assert short == f"{a.teachers - 2:,}"
    assert _cells(_row(page, "device-schools", a.code))[2] == "尚未匯入"


def test_a_bad_sign_in_sheet_is_refused_beside_what_was_typed(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    form = {"held_on": "2024-05-20", "parts": "1", "attendees": "王小明", "evidence_ref": "簽到表"}
    response = post(client, f"{PAGE}/workshop", form, page=PAGE)
    assert response.status_code == 422
    assert "activity.workshop_attendees" in response.text and "第 1 行" in response.text
    assert ">王小明</textarea>" in response.text
    with Session(sqlite_app.state.engine) as s:
        assert s.exec(select(func.count()).select_from(WorkshopAttendance)).one() == 0


def test_the_page_shows_only_the_readers_county_and_the_ministry_chooses(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
    assert client_for(sqlite_app, "hsz.staff1").get(f"{PAGE}?county_id={home}").status_code == 404
    reviewer = client_for(sqlite_app, "moe.reviewer1")
    assert "請選擇縣市" in reviewer.get(PAGE).text
    page = reviewer.get(f"{PAGE}?county_id={home}").text
    assert 'id="record-workshop"' not in page and 'id="workshop-schools"' in page
    response = post(reviewer, f"{PAGE}/workshop", {"held_on": "2024-05-20"}, page=PAGE)
    assert response.status_code == 403


def test_the_activities_page_links_to_the_schools_page(sqlite_app):
    page = client_for(sqlite_app, "hsq.staff1").get("/activities").text
    assert 'href="/targets/schools?county_id=' in page
