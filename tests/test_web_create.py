"""HTTP tests of the pages office clerks create and record with: purchases, the year's
plan, its contents and targets, reimbursement, budget changes, and activities."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, func, select
from web_support import (
    HOME,
    OTHER,
    PASSWORD,
    TODAY,
    app_on_copy,
    client_for,
    county_id,
    fast_hash,
    plan_of,
    post,
    purchases_of,
    seeded_app,
    seeded_sqlite_file,
    user_named,
)

from model.tables import (
    Activity,
    BudgetChange,
    BudgetLine,
    County,
    Milestone,
    Plan,
    Purchase,
    Reimbursement,
    School,
    User,
)
from states.values import PlanState, Role
from web.listing import PAGE_SIZE


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def count(app, table, *where) -> int:
    with Session(app.state.engine) as s:
        return s.exec(select(func.count()).select_from(table).where(*where)).one()


def home_plan(app) -> Plan:
    with Session(app.state.engine) as s:
        return plan_of(s, HOME)


def set_plan_status(app, status: PlanState) -> Plan:
    with Session(app.state.engine, expire_on_commit=False) as s:
        plan = plan_of(s, HOME)
        plan.status = status
        s.add(plan)
        s.commit()
        return plan


def school_code(app, county: str) -> str:
    with Session(app.state.engine) as s:
        query = select(School.code).where(School.county_id == county_id(s, county))
        return s.exec(query.order_by(School.seq)).first()


# ------------------------------------------------------------------ purchases
def test_create_purchase_stores_in_own_county_whatever_the_form_says(app):
    client = client_for(app, "hsq.staff1")
    assert "新增軟體採購" in client.get("/items/purchase").text
    with Session(app.state.engine) as s:
        other = county_id(s, OTHER)
    data = {"title": "國中數學適性學習平臺授權", "amount": "120,000", "county_id": str(other)}
    response = post(client, "/purchases/new", data, page="/items/purchase")
    assert response.status_code == 303
    with Session(app.state.engine) as s:
        created = purchases_of(s, HOME)[-1]
        assert (created.title, created.amount) == ("國中數學適性學習平臺授權", 120_000)
        assert created.owner_id == user_named(s, "hsq.staff1").id
        assert all(p.title != data["title"] for p in purchases_of(s, OTHER))
    assert response.headers["location"] == f"/items/purchase/{created.id}"
    assert "國中數學適性學習平臺授權" in client.get(response.headers["location"]).text


def test_create_purchase_refused_shows_rule_and_stores_nothing(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    before = count(sqlite_app, Purchase)
    blank = post(client, "/purchases/new", {"title": " ", "amount": "5000"}, page="/items/purchase")
    assert blank.status_code == 422
    assert "evidence.format" in blank.text and "請填寫採購名稱" in blank.text
    fraction = post(client, "/purchases/new", {"title": "授權", "amount": "12.5"})
    assert fraction.status_code == 422 and "不含小數" in fraction.text
    assert 'value="授權"' in fraction.text  # what was typed is kept
    assert count(sqlite_app, Purchase) == before


@pytest.mark.parametrize("username", ["moe.reviewer1", "auditor"])
def test_create_purchase_refused_to_ministry_and_auditor(sqlite_app, username):
    client = client_for(sqlite_app, username)
    before = count(sqlite_app, Purchase)
    assert "新增軟體採購" not in client.get("/items/purchase").text
    response = post(client, "/purchases/new", {"title": "授權", "amount": "1"})
    assert response.status_code == 403
    assert count(sqlite_app, Purchase) == before


# ------------------------------------------------------------------ the year's plan
def _county_without_plan(app) -> str:
    """A supervisor of 苗栗縣, which the demo gives no users and no plan."""
    with Session(app.state.engine) as s:
        county = s.exec(select(County).where(County.name == "苗栗縣")).one()
        s.add(User(username="mlk.supervisor", display_name="苗栗主管", email="mlk@x.example",
                   role=Role.county_supervisor, county_id=county.id,
                   password_hash=fast_hash(PASSWORD)))  # fmt: skip
        s.commit()
        return county.id


def test_create_plan_when_county_has_none_then_refuses_a_second(sqlite_app):
    county = _county_without_plan(sqlite_app)
    client = client_for(sqlite_app, "mlk.supervisor")
    assert "建立實施計畫" in client.get("/items/plan").text
    response = post(client, "/plans/new", {}, page="/items/plan")
    assert response.status_code == 303
    with Session(sqlite_app.state.engine) as s:
        plan = s.exec(select(Plan).where(Plan.county_id == county)).one()
    assert (plan.status, plan.year) == (PlanState.draft, 113)
    assert response.headers["location"] == f"/plans/{plan.id}/content"
    assert "建立實施計畫" not in client.get("/items/plan").text
    again = post(client, "/plans/new", {}, page="/items/plan")
    assert again.status_code == 422 and "plan.exists" in again.text
    assert count(sqlite_app, Plan, Plan.county_id == county) == 1


@pytest.mark.parametrize("username", ["moe.reviewer1", "auditor"])
def test_create_plan_refused_to_ministry_and_auditor(sqlite_app, username):
    before = count(sqlite_app, Plan)
    response = post(client_for(sqlite_app, username), "/plans/new", {})
    assert response.status_code == 403
    assert count(sqlite_app, Plan) == before


# ------------------------------------------------------------------ plan contents and targets
def _content_form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(section\.[a-z_]+)"[^>]*>([^<]*)</textarea>', page))
    fields |= dict(re.findall(r'name="(target\.[a-z_]+)"[^>]*value="([^"]*)"', page))
    fields["expected_version"] = re.search(r'name="expected_version" value="(\d+)"', page)[1]
    return fields


def test_edit_plan_content_saves_sections_and_targets_with_warnings(app):
    plan = set_plan_status(app, PlanState.draft)
    client = client_for(app, "hsq.staff1")
    url = f"/plans/{plan.id}/content"
    page = client.get(url).text
    assert "壹、計畫目標" in page and "本年度最低要求" in page
    data = _content_form(page) | {"section.goals": "提升學生數位學習成效。", "section.period": "",
                                  "target.parent_sessions": "0"}  # fmt: skip
    assert post(client, url, data, page=url).status_code == 303
    with Session(app.state.engine) as s:
        stored = s.get(Plan, plan.id)
        assert stored.sections["goals"] == "提升學生數位學習成效。"
        assert stored.targets["parent_sessions"] == 0
        assert stored.version > plan.version
    page = client.get(url).text
    assert "貳、計畫期程：不可空白" in page  # the field's own message, beside it
    assert "低於本年度最低要求" in page and "送出審查前須補正" in page


def test_edit_plan_content_refuses_bad_number_and_stale_version(sqlite_app):
    plan = set_plan_status(sqlite_app, PlanState.returned)
    client = client_for(sqlite_app, "hsq.staff1")
    url = f"/plans/{plan.id}/content"
    good = _content_form(client.get(url).text)
    bad = post(client, url, good | {"target.parent_sessions": "兩場", "section.goals": "新"})
    assert bad.status_code == 422
    assert "evidence.format" in bad.text and "收到「兩場」" in bad.text
    stale = post(client, url, good | {"expected_version": "0", "section.goals": "新"})
    assert stale.status_code == 409 and "新</textarea>" in stale.text
    with Session(sqlite_app.state.engine) as s:
        stored = s.get(Plan, plan.id)
        assert stored.version == plan.version and stored.sections["goals"] != "新"


def test_edit_plan_content_refused_once_approved(sqlite_app):
    plan = home_plan(sqlite_app)  # approved by the seed
    client = client_for(sqlite_app, "hsq.staff1")
    url = f"/plans/{plan.id}/content"
    page = client.get(url).text
    assert "目前不能編修" in page
    response = post(client, url, _content_form(page) | {"section.goals": "改"}, page=url)
    assert response.status_code == 422 and "plan.locked" in response.text
    with Session(sqlite_app.state.engine) as s:
        assert s.get(Plan, plan.id).sections["goals"] != "改"


@pytest.mark.parametrize(("username", "status"), [("hsz.staff1", 404), ("auditor", 403),
                                                   ("moe.reviewer1", 403)])  # fmt: skip
def test_edit_plan_content_refused_to_others(sqlite_app, username, status):
    plan = set_plan_status(sqlite_app, PlanState.draft)
    url = f"/plans/{plan.id}/content"
    owner = _content_form(client_for(sqlite_app, "hsq.staff1").get(url).text)
    response = post(client_for(sqlite_app, username), url, owner | {"section.goals": "改"})
    assert response.status_code == status
    with Session(sqlite_app.state.engine) as s:
        assert s.get(Plan, plan.id).version == plan.version


# ------------------------------------------------------------------ reimbursement
def test_create_reimbursement_on_approved_plan_once(app):
    plan = home_plan(app)
    client = client_for(app, "hsq.supervisor")
    url = f"/items/plan/{plan.id}"
    assert "建立經費請撥結報" in client.get(url).text
    response = post(client, f"/plans/{plan.id}/reimbursement", {}, page=url)
    assert response.status_code == 303
    with Session(app.state.engine) as s:
        row = s.exec(select(Reimbursement).where(Reimbursement.plan_id == plan.id)).one()
        lines = s.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id)).all()
        assert row.approved_amount == sum(line.recurrent + line.capital for line in lines) > 0
    assert response.headers["location"] == f"/items/reimbursement/{row.id}"
    again = post(client, f"/plans/{plan.id}/reimbursement", {}, page=url)
    assert again.status_code == 422 and "reimbursement.one_per_plan" in again.text
    assert count(app, Reimbursement) == 1


@pytest.mark.parametrize(("username", "status"), [("hsz.supervisor", 404), ("hsq.staff1", 403),
                                                   ("auditor", 403), ("moe.reviewer1", 403)])  # fmt: skip
def test_create_reimbursement_refused_to_others(sqlite_app, username, status):
    plan = home_plan(sqlite_app)
    response = post(client_for(sqlite_app, username), f"/plans/{plan.id}/reimbursement", {})
    assert response.status_code == status
    assert count(sqlite_app, Reimbursement) == 0


def test_create_reimbursement_refused_while_plan_is_draft(sqlite_app):
    plan = set_plan_status(sqlite_app, PlanState.draft)
    client = client_for(sqlite_app, "hsq.supervisor")
    response = post(client, f"/plans/{plan.id}/reimbursement", {})
    assert response.status_code == 422 and "reimbursement.plan_approved" in response.text
    assert count(sqlite_app, Reimbursement) == 0


# ------------------------------------------------------------------ budget change
def _amounts(app, plan_id: int) -> dict[str, BudgetLine]:
    with Session(app.state.engine) as s:
        rows = s.exec(select(BudgetLine).where(BudgetLine.plan_id == plan_id))
        return {str(r.item): r for r in rows}


def test_request_budget_change_sends_only_changed_lines(sqlite_app):
    plan = home_plan(sqlite_app)
    lines = _amounts(sqlite_app, plan.id)
    client = client_for(sqlite_app, "hsq.supervisor")
    url = f"/plans/{plan.id}/budget-change"
    assert "申請經費流用/變更" in client.get(f"/items/plan/{plan.id}").text
    assert client.get(url).status_code == 200
    moved = {
        "teacher_training.recurrent": str(lines["teacher_training"].recurrent - 10_000),
        "office_operations.recurrent": f"{lines['office_operations'].recurrent + 10_000:,}",
        "reason": "研習場次減少，移作辦公室運作",
    }
    response = post(client, url, moved, page=url)
    assert response.status_code == 303, response.text[:2000]
    with Session(sqlite_app.state.engine) as s:
        change = s.exec(select(BudgetChange)).one()
    assert set(change.lines) == {"teacher_training", "office_operations"}
    assert change.lines["office_operations"]["recurrent"] == (
        lines["office_operations"].recurrent + 10_000
    )
    assert response.headers["location"] == f"/items/budget_change/{change.id}"


def test_request_budget_change_refused_shows_rules_and_stores_nothing(sqlite_app):
    plan = home_plan(sqlite_app)
    lines = _amounts(sqlite_app, plan.id)
    client = client_for(sqlite_app, "hsq.supervisor")
    url = f"/plans/{plan.id}/budget-change"
    flow = {
        "teacher_training.recurrent": str(lines["teacher_training"].recurrent - 10_000),
        "teacher_training.capital": str(lines["teacher_training"].capital + 10_000),
        "reason": "改買設備",
    }
    response = post(client, url, flow, page=url)
    assert response.status_code == 422
    assert "budget_change.no_recurrent_capital_flow" in response.text
    nothing = post(client, url, {"reason": ""}, page=url)
    assert "budget_change.amounts" in nothing.text and "transition.reason" in nothing.text
    typo = post(client, url, {"teacher_training.recurrent": "1.5", "reason": "x"}, page=url)
    assert typo.status_code == 422 and "收到「1.5」" in typo.text
    assert count(sqlite_app, BudgetChange) == 0


@pytest.mark.parametrize(("username", "status"), [("hsz.supervisor", 404), ("hsq.staff1", 403),
                                                   ("auditor", 403), ("moe.reviewer1", 403)])  # fmt: skip
def test_request_budget_change_refused_to_others(sqlite_app, username, status):
    plan = home_plan(sqlite_app)
    data = {"teacher_training.recurrent": "0", "reason": "x"}
    response = post(client_for(sqlite_app, username), f"/plans/{plan.id}/budget-change", data)
    assert response.status_code == status
    assert count(sqlite_app, BudgetChange) == 0


# ------------------------------------------------------------------ activities
def _meeting(**extra) -> dict[str, str]:
    return {"kind": "meeting.working", "held_on": "2024-05-10", "moe_team": "on",
            "participants": "12", "evidence_ref": "113年5月工作會議紀錄.pdf", **extra}  # fmt: skip


def _achieved(page: str, key: str) -> str:
    row = re.search(rf'<tr data-target="{key}">(.*?)</tr>', page, re.S)[1]
    return re.search(r'class="num achieved">([^<]*)<', row)[1]


def test_record_activity_updates_target_progress(app):
    client = client_for(app, "hsq.staff1")
    page = client.get("/activities").text
    assert _achieved(page, "moe_team_meetings") == "0"
    response = post(client, "/activities", _meeting(), page="/activities")
    assert response.status_code == 303, response.text[:2000]
    lesson = {"kind": "open_lesson", "held_on": "2024-05-20", "school_code": school_code(app, HOME),
              "evidence_ref": "觀議課紀錄"}  # fmt: skip
    files = {"file": ("簽到表.pdf", b"%PDF-1.4 sign-in", "application/pdf")}
    assert post(client, "/activities", lesson, files, page="/activities").status_code == 303
    page = client.get("/activities").text
    assert _achieved(page, "moe_team_meetings") == "1"
    assert _achieved(page, "open_lessons") == "1"
    assert "113年5月工作會議紀錄.pdf" in page and "簽到表.pdf" in page
    with Session(app.state.engine) as s:
        rows = s.exec(select(Activity)).all()
        assert {a.county_id for a in rows} == {county_id(s, HOME)}
        assert [a.moe_team for a in rows if a.kind == "meeting.working"] == [True]
        assert all(a.evidence_sha256 for a in rows if a.kind == "open_lesson")


def test_record_activity_refused_shows_rules_and_stores_nothing(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    future = (TODAY + timedelta(days=3)).isoformat()
    response = post(client, "/activities", _meeting(held_on=future), page="/activities")
    assert response.status_code == 422 and "activity.date_not_future" in response.text
    foreign = {"kind": "open_lesson", "held_on": "2024-05-20", "evidence_ref": "紀錄",
               "school_code": school_code(sqlite_app, OTHER)}  # fmt: skip
    response = post(client, "/activities", foreign, page="/activities")
    assert response.status_code == 422 and "activity.school_in_county" in response.text
    response = post(client, "/activities", _meeting(participants="十二"), page="/activities")
    assert response.status_code == 422 and "收到「十二」" in response.text
    assert count(sqlite_app, Activity) == 0


def test_record_activity_goes_to_recorders_own_county_only(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home, other = county_id(s, HOME), county_id(s, OTHER)
    client = client_for(sqlite_app, "hsz.staff1")
    assert client.get(f"/activities?county_id={home}").status_code == 404
    response = post(client, f"/activities?county_id={home}", _meeting(county_id=str(home)))
    assert response.status_code == 303
    assert count(sqlite_app, Activity, Activity.county_id == home) == 0
    assert count(sqlite_app, Activity, Activity.county_id == other) == 1


@pytest.mark.parametrize("username", ["moe.reviewer1", "auditor"])
def test_record_activity_refused_to_ministry_and_auditor_who_still_read(sqlite_app, username):
    client = client_for(sqlite_app, username)
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
    page = client.get(f"/activities?county_id={home}")
    assert page.status_code == 200 and 'id="progress"' in page.text
    assert 'id="record-activity"' not in page.text
    assert client.get(f"/activities?county_id={home}&year=199").status_code == 422
    assert post(client, "/activities", _meeting()).status_code == 403
    assert count(sqlite_app, Activity) == 0


# ------------------------------------------------------------------ CSRF and my work
@pytest.mark.parametrize(
    ("url", "data"),
    [("/purchases/new", {"title": "授權"}), ("/activities", _meeting()), ("/plans/new", {})],
)
def test_create_refused_without_csrf_token(sqlite_app, url, data):
    client = client_for(sqlite_app, "hsq.supervisor")
    before = [count(sqlite_app, t) for t in (Purchase, Activity, Plan)]
    for token in ({}, {"csrf_token": "forged"}):
        response = client.post(url, data=data | token, follow_redirects=False)
        assert response.status_code == 403 and "CSRF" in response.text
    assert [count(sqlite_app, t) for t in (Purchase, Activity, Plan)] == before


def test_my_work_lists_own_county_deadlines_with_links(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home, other = county_id(s, HOME), county_id(s, OTHER)
        purchase, plan = purchases_of(s, HOME)[0].id, plan_of(s, HOME).id
        s.add_all([
            Milestone(county_id=home, year=113, kind="purchase.disbursement", title="請撥逾期甲",
                      subject_type="purchase", subject_id=purchase,
                      due_on=TODAY - timedelta(days=3)),
            Milestone(county_id=home, year=113, kind="meeting.working", title="六月工作會議乙",
                      subject_type="plan", subject_id=plan, due_on=TODAY + timedelta(days=5)),
            Milestone(county_id=other, year=113, kind="meeting.working", title="他縣會議丙",
                      subject_type="plan", subject_id=plan_of(s, OTHER).id,
                      due_on=TODAY + timedelta(days=5)),
        ])  # fmt: skip
        s.commit()
    page = client_for(sqlite_app, "hsq.staff1").get("/").text
    assert f'<a href="/items/purchase/{purchase}">請撥逾期甲</a>' in page
    assert f'<a href="/activities?county_id={home}&amp;year=113">六月工作會議乙</a>' in page
    assert "3 天" in page and "5 天" in page
    assert "他縣會議丙" not in page


def test_activity_list_says_how_many_beyond_those_shown(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home = county_id(s, HOME)
        rows = [
            dict(county_id=home, year=113, kind="parent_session", held_on=TODAY,
                 evidence_ref="簽到表", recorded_at=datetime(2024, 6, 3, tzinfo=UTC))
            for _ in range(PAGE_SIZE + 5)
        ]  # fmt: skip
        s.execute(insert(Activity), rows)
        s.commit()
        total = s.exec(select(func.count()).where(Activity.county_id == home)).one()
    page = client_for(sqlite_app, "hsq.staff1").get("/activities").text
    assert f"第 1–{PAGE_SIZE} 筆，共 {total:,} 筆" in page
