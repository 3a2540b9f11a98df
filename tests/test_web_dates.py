"""The 報送期限 and 停班日 pages: who may use them, ROC dates as typed, refusals by the field."""

from datetime import date

import pytest
from sqlmodel import Session, select
from web_support import HOME, OTHER, app_on_copy, client_for, county_id, post, seeded_sqlite_file

from model.tables import Closure, ReportingDateChange


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def _closures(app) -> list[tuple[date, int | None]]:
    with Session(app.state.engine) as s:
        return [(c.day, c.county_id) for c in s.exec(select(Closure).order_by(Closure.id))]


def test_admin_sets_a_reporting_date_typed_in_roc_and_sees_its_history(app):
    client = client_for(app, "moe.admin")
    page = client.get("/ministry/dates")
    assert page.status_code == 200 and "計畫管考資料提交" in page.text
    assert "113/12/13（教育部設定" in page.text  # the demo's admin announced it
    sent = post(client, "/ministry/dates", {"name": "progress", "due_on_progress": "113/07/15"},
                page="/ministry/dates")  # fmt: skip
    assert sent.status_code == 303
    page = client.get("/ministry/dates")
    assert "113/07/15（教育部設定" in page.text and "設定紀錄" in page.text
    assert "<td>113/12/13</td><td>113/07/15</td>" in page.text  # the history row


def test_a_bad_date_is_refused_beside_its_field_and_nothing_stored(app):
    client = client_for(app, "moe.admin")
    sent = post(client, "/ministry/dates", {"name": "results", "due_on_results": "113/02/30"},
                page="/ministry/dates")  # fmt: skip
    assert sent.status_code == 422
    assert 'id="due_on_results-error"' in sent.text and "沒有這一天" in sent.text
    with Session(app.state.engine) as s:
        assert len(s.exec(select(ReportingDateChange)).all()) == 3  # the demo's only


@pytest.mark.parametrize("username", ["moe.reviewer1", "hsq.supervisor", "auditor"])
def test_only_the_ministry_admin_reaches_the_dates_page(app, username):
    assert client_for(app, username).get("/ministry/dates").status_code == 403


def test_a_supervisor_enters_their_own_countys_closure_whatever_the_form_says(app):
    with Session(app.state.engine) as s:
        home, other = county_id(s, HOME), county_id(s, OTHER)
    client = client_for(app, "hsq.supervisor")
    sent = post(client, "/closures", {"day": "113/07/25", "reason": "凱米颱風停班",
                                      "county_id": str(other)}, page="/closures")  # fmt: skip
    assert sent.status_code == 303
    assert _closures(app) == [(date(2024, 7, 25), home)]


def test_the_admin_enters_a_nationwide_closure_and_a_supervisor_sees_no_other_county(app):
    with Session(app.state.engine) as s:
        other = county_id(s, OTHER)
    admin = client_for(app, "moe.admin")
    post(admin, "/closures", {"day": "2024-10-03", "reason": "山陀兒颱風停班", "county_id": ""},
         page="/closures")  # fmt: skip
    post(admin, "/closures", {"day": "2024-10-04", "reason": "新竹市停班", "county_id": str(other)},
         page="/closures")  # fmt: skip
    assert _closures(app) == [(date(2024, 10, 3), None), (date(2024, 10, 4), other)]
    page = client_for(app, "hsq.supervisor").get("/closures").text
    assert "山陀兒颱風停班" in page and "新竹市停班" not in page


def test_closure_page_refusals(app):
    assert client_for(app, "hsq.staff1").get("/closures").status_code == 403
    assert client_for(app, "moe.reviewer1").get("/closures").status_code == 403
    client = client_for(app, "hsq.supervisor")
    sent = post(client, "/closures", {"day": "明天", "reason": ""}, page="/closures")
    assert sent.status_code == 422
    assert 'id="day-error"' in sent.text and 'id="reason-error"' in sent.text
    assert _closures(app) == []
