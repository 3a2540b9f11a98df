"""HTTP-level tests of the web pages: access rules, CSRF, and the workflow through forms."""

import hashlib
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select
from web_support import (
    HOME,
    OTHER,
    TODAY,
    app_on_copy,
    client_for,
    county_id,
    plan_of,
    post,
    purchases_of,
    seed,
    seeded_app,
    seeded_sqlite_file,
    sign_in,
    step_forms,
    user_named,
)

from model.accounts import Deputy, Handover
from model.files import EvidenceFile
from model.tables import Finding, Purchase, TransitionLog
from states.values import PurchaseState
from web.app import ROUTERS
from web.auth_routes import user_for_claims
from web.config import secret_from_data_dir
from web.items import PAGE_SIZE
from web.listing import Filters
from web.ministry_routes import county_rows
from web.security import password_matches, set_demo_passwords
from web.work import actionable, viewer_for


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def ids(app, county: str) -> tuple[int, int]:
    with Session(app.state.engine) as s:
        return purchases_of(s, county)[0].id, plan_of(s, county).id


# ------------------------------------------------------------------ sign-in
def test_sign_in_succeeds_with_demo_password(sqlite_app):
    app = sqlite_app
    client = TestClient(app)
    response = sign_in(client, "hsq.staff1")
    assert response.status_code == 303
    assert "我的工作" in client.get("/").text


def test_sign_in_refuses_wrong_password(sqlite_app):
    app = sqlite_app
    response = sign_in(TestClient(app), "hsq.staff1", "wrong")
    assert response.status_code == 401
    assert "帳號或密碼錯誤" in response.text


def test_sign_in_locks_after_repeated_failures(sqlite_app):
    app = sqlite_app
    client = TestClient(app)
    for _ in range(app.state.settings.max_failures):
        sign_in(client, "hsq.staff1", "wrong")
    response = sign_in(client, "hsq.staff1")  # even the right password, while locked
    assert response.status_code == 401
    assert "鎖定" in response.text


def test_set_demo_passwords_hashes_with_argon2(session):
    from demo.generate import generate

    generate(session)
    users = set_demo_passwords(session, "s3cret-pass")
    assert users and all(u.password_hash.startswith("$argon2") for u in users)
    assert password_matches(users[0].password_hash, "s3cret-pass")
    assert not password_matches(users[0].password_hash, "other")


def test_secret_key_is_generated_once_into_data_dir(tmp_path):
    key, note = secret_from_data_dir(tmp_path)
    again, second_note = secret_from_data_dir(tmp_path)
    assert len(key) >= 32 and key == again
    assert note and second_note is None
    assert (tmp_path / "web-secret-key").stat().st_mode & 0o077 == 0


# ------------------------------------------------------------------ access rules
GET_ROUTES = [
    "/", "/items/purchase", "/items/purchase/{p}", "/items/plan/{plan}", "/plans/{plan}/budget",
    "/settings", "/ministry",
]  # fmt: skip


def test_pages_redirect_to_sign_in_when_signed_out(sqlite_app):
    client = TestClient(sqlite_app)
    purchase, plan = ids(sqlite_app, HOME)
    for route in GET_ROUTES:
        response = client.get(route.format(p=purchase, plan=plan), follow_redirects=False)
        assert response.status_code == 303, route
        assert response.headers["location"].startswith("/login?next=")


OTHER_COUNTY_ROUTES = [
    ("GET", "/items/purchase/{p}"), ("GET", "/items/plan/{plan}"), ("GET", "/plans/{plan}/budget"),
    ("GET", "/plans/{plan}/forms/budget.html"), ("POST", "/items/purchase/{p}/events/decide"),
    ("POST", "/items/purchase/{p}/files"), ("POST", "/items/purchase/{p}/handover"),
    ("POST", "/plans/{plan}/budget"),
]  # fmt: skip


@pytest.mark.parametrize("username", ["hsq.staff1", "hsq.supervisor"])
def test_county_cannot_reach_other_county_items_by_url(sqlite_app, username):
    client = client_for(sqlite_app, username)
    purchase, plan = ids(sqlite_app, OTHER)
    for method, route in OTHER_COUNTY_ROUTES:
        url = route.format(p=purchase, plan=plan)
        response = client.get(url) if method == "GET" else post(client, url, {})
        assert response.status_code == 404, (method, url, response.status_code)
    with Session(sqlite_app.state.engine) as s:
        assert s.get(Purchase, purchase).status == PurchaseState.needs_collected


def test_county_lists_show_only_own_county(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    with Session(sqlite_app.state.engine) as s:
        mine = {p.title for p in purchases_of(s, HOME)}
        theirs = {p.title for p in purchases_of(s, OTHER)} - mine
    page = client.get("/items/purchase").text
    assert all(t in page for t in mine)
    assert not any(t in page for t in theirs)


def test_county_cannot_open_ministry_dashboard(sqlite_app):
    response = client_for(sqlite_app, "hsq.staff1").get("/ministry")
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["moe.reviewer1", "auditor"])
def test_ministry_dashboard_shows_all_counties(sqlite_app, username):
    page = client_for(sqlite_app, username).get("/ministry")
    assert page.status_code == 200
    assert len(re.findall(r'<tr data-county="', page.text)) == 22
    assert HOME in page.text and OTHER in page.text


def test_ministry_dashboard_leaves_cancelled_purchases_out_of_outstanding(session):
    from demo.generate import generate

    generate(session, county_name=HOME, story=False)
    purchases = purchases_of(session, HOME)
    assert len(purchases) >= 3
    purchases[0].status = PurchaseState.cancelled
    purchases[1].status = PurchaseState.disbursement_requested
    session.add_all(purchases[:2])
    session.flush()
    row = next(r for r in county_rows(session, 113, TODAY) if r.county.name == HOME)
    assert (row.requested, row.purchases) == (1, len(purchases) - 1)
    assert row.requested_amount == purchases[1].amount


def test_ministry_sees_items_of_every_county(sqlite_app):
    client = client_for(sqlite_app, "moe.reviewer1")
    for county in (HOME, OTHER):
        purchase, _ = ids(sqlite_app, county)
        assert client.get(f"/items/purchase/{purchase}").status_code == 200


def test_auditor_cannot_change_anything(sqlite_app):
    client = client_for(sqlite_app, "auditor")
    purchase, plan = ids(sqlite_app, HOME)
    assert client.get(f"/items/purchase/{purchase}").status_code == 200
    for url in (f"/items/purchase/{purchase}/events/cancel", f"/items/purchase/{purchase}/files",
                f"/plans/{plan}/budget", "/settings/deputy", "/findings/acknowledge"):  # fmt: skip
        assert post(client, url, {"reason": "x"}).status_code == 403, url


def test_every_post_route_refuses_without_csrf_token(sqlite_app):
    client = client_for(sqlite_app, "hsq.supervisor")
    purchase, plan = ids(sqlite_app, HOME)
    values = {"item_type": "purchase", "item_id": purchase, "event": "cancel", "plan_id": plan,
              "deputy_row": 1}  # fmt: skip
    posts = [r for router in ROUTERS for r in router.routes if "POST" in r.methods]
    assert len(posts) >= 10
    for route in posts:
        url = route.path.format(**values)
        for token in (None, "forged"):
            data = {"reason": "測試"} | ({"csrf_token": token} if token else {})
            response = client.post(url, data=data, follow_redirects=False)
            assert response.status_code == 403, (url, token)
            assert "CSRF" in response.text
    with Session(sqlite_app.state.engine) as s:
        assert s.get(Purchase, purchase).status == PurchaseState.needs_collected


# ------------------------------------------------------------------ the workflow
def test_advance_purchase_through_every_state_records_history(app):
    client = client_for(app, "hsq.staff1")
    engine = app.state.engine
    with Session(engine) as s:
        purchase = purchases_of(s, HOME)[0]
        forms = step_forms(s, purchase)
    url = f"/items/purchase/{purchase.id}"
    for event, data in forms:
        version = re.search(r'name="expected_version" value="(\d+)"', client.get(url).text)
        files = {"file": ("紀錄.pdf", b"%PDF-1.4 minutes", "application/pdf")}
        response = post(client, f"{url}/events/{event}", {**data, "expected_version":
                        version.group(1), "file_kind": "minutes"}, files, page=url)  # fmt: skip
        assert response.status_code == 303, (event, response.text[:3000])
    page = client.get(url).text
    assert "已結案" in page and "登錄公開會議決議" in page and "紀錄.pdf" in page
    with Session(engine) as s:
        assert s.get(Purchase, purchase.id).status == PurchaseState.closed
        files = s.exec(select(EvidenceFile).where(EvidenceFile.item_id == purchase.id)).all()
        assert len(files) == len(forms)
        assert files[0].sha256 == hashlib.sha256(b"%PDF-1.4 minutes").hexdigest()
        assert all(f.transition_id is not None for f in files)


def test_advance_refused_shows_rule_ids_and_changes_nothing(app):
    client = client_for(app, "hsq.staff1")
    purchase, _ = ids(app, HOME)
    url = f"/items/purchase/{purchase}"
    data = {"ev.held_on": "2023-05-20", "ev.minutes": "紀錄",
            "ev.attendees.0.name": "王老師", "ev.attendees.0.role": "teacher"}  # fmt: skip
    response = post(client, f"{url}/events/decide", data, page=url)
    assert response.status_code == 422
    assert "purchase.meeting_representative" in response.text
    assert "purchase.date_in_period" in response.text
    assert 'value="王老師"' in response.text  # what was typed is kept
    with Session(app.state.engine) as s:
        assert s.get(Purchase, purchase).status == PurchaseState.needs_collected
        logs = s.exec(select(TransitionLog).where(TransitionLog.item_id == purchase)).all()
        assert [log.event for log in logs if log.item_type == "purchase"] in ([], ["create"])


def test_advance_refuses_unparsable_amount_in_words(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    purchase, _ = ids(sqlite_app, HOME)
    url = f"/items/purchase/{purchase}"
    response = post(client, f"{url}/events/decide", {"ev.minutes": "x"}, page=url)
    assert response.status_code == 422
    assert "請填寫「會議日期」" in response.text


def test_advance_with_stale_version_shows_conflict(app):
    client = client_for(app, "hsq.staff1")
    with Session(app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0]
        event, data = step_forms(s, purchase)[0]
    url = f"/items/purchase/{purchase.id}"
    stale = {**data, "expected_version": str(purchase.version + 5)}
    response = post(client, f"{url}/events/{event}", stale, page=url)
    assert response.status_code == 409
    assert "已被他人先行處理" in response.text


def test_upload_refuses_file_over_size_limit(sqlite_app, monkeypatch):
    monkeypatch.setattr("web.item_routes.MAX_FILE_BYTES", 10)
    client = client_for(sqlite_app, "hsq.staff1")
    purchase, _ = ids(sqlite_app, HOME)
    url = f"/items/purchase/{purchase}"
    files = {"file": ("big.pdf", b"%PDF-" + b"x" * 6, "application/pdf")}
    response = post(client, f"{url}/files", {"file_kind": "contract"}, files, page=url)
    assert response.status_code == 422 and "file.too_large" in response.text
    files = {"file": ("ok.pdf", b"%PDF-" + b"x" * 5, "application/pdf")}
    assert (
        post(client, f"{url}/files", {"file_kind": "contract"}, files, page=url).status_code == 303
    )
    assert "ok.pdf" in client.get(url).text


def test_file_download_refused_to_other_county(sqlite_app):
    purchase, _ = ids(sqlite_app, HOME)
    url = f"/items/purchase/{purchase}"
    owner = client_for(sqlite_app, "hsq.staff1")
    files = {"file": ("契約.pdf", b"%PDF-contract", "application/pdf")}
    post(owner, f"{url}/files", {"file_kind": "contract"}, files, page=url)
    with Session(sqlite_app.state.engine) as s:
        file_id = s.exec(select(EvidenceFile.id)).one()
    assert owner.get(f"/files/{file_id}").content == b"%PDF-contract"
    assert client_for(sqlite_app, "hsz.staff1").get(f"/files/{file_id}").status_code == 404


def test_bulk_cancel_checks_each_item_by_its_own_guards(app):
    client = client_for(app, "hsq.supervisor")
    with Session(app.state.engine) as s:
        first, second = purchases_of(s, HOME)[:2]
        other = purchases_of(s, OTHER)[0]
    data = {
        "ids": [str(first.id), str(second.id), str(other.id)],
        "reason": "需求取消",
        f"v.{first.id}": str(first.version),
        f"v.{second.id}": str(second.version + 1),
    }
    response = post(client, "/bulk/purchase/cancel", data, page="/items/purchase")
    assert response.status_code == 200
    assert "已完成" in response.text and "已被他人先行處理" in response.text
    with Session(app.state.engine) as s:
        assert s.get(Purchase, first.id).status == PurchaseState.cancelled
        assert s.get(Purchase, second.id).status == PurchaseState.needs_collected
        assert s.get(Purchase, other.id).status == PurchaseState.needs_collected


def test_handover_only_to_same_county_colleague(sqlite_app):
    app = sqlite_app
    client = client_for(app, "hsq.supervisor")
    purchase, _ = ids(app, HOME)
    url = f"/items/purchase/{purchase}"
    with Session(app.state.engine) as s:
        colleague, stranger = user_named(s, "hsq.staff2"), user_named(s, "hsz.staff1")
    refused = post(client, f"{url}/handover", {"to_user_id": str(stranger.id)}, page=url)
    assert refused.status_code == 422 and "handover.same_county" in refused.text
    done = post(client, f"{url}/handover", {"to_user_id": str(colleague.id)}, page=url)
    assert done.status_code == 303
    with Session(app.state.engine) as s:
        assert s.get(Purchase, purchase).owner_id == colleague.id
        assert s.exec(select(Handover)).one().to_user_id == colleague.id
    assert f"交辦給 {colleague.display_name}" in client.get(url).text


def test_handover_refused_to_county_staff(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    purchase, _ = ids(sqlite_app, HOME)
    url = f"/items/purchase/{purchase}"
    assert post(client, f"{url}/handover", {"to_user_id": "1"}, page=url).status_code == 403


# ------------------------------------------------------------------ budget, settings, findings
def _budget_form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="([a-z_]+\.[a-z_]+)"[^>]*?value="([^"]*)"', page))
    fields |= {k: v for k, v in re.findall(r'name="([a-z_]+\.explanation)"[^>]*>([^<]*)<', page)}
    fields["expected_version"] = re.search(r'name="expected_version" value="(\d+)"', page).group(1)
    return fields


def test_budget_editor_saves_and_warns_about_unexplained_difference(sqlite_app):
    app = sqlite_app
    with Session(app.state.engine) as s:
        plan = plan_of(s, HOME)
        plan.status = "draft"
        s.add(plan)
        s.commit()
    client = client_for(app, "hsq.staff1")
    _, plan = ids(app, HOME)
    url = f"/plans/{plan}/budget"
    page = client.get(url).text
    assert "7 行政管理費" in page and "行政管理費上限" in page
    data = _budget_form(page) | {"admin_staff.recurrent": "600,000", "admin_staff.explanation": ""}
    assert post(client, url, data, page=url).status_code == 303
    page = client.get(url).text
    assert 'value="600000"' in page and "請說明差異" in page
    data = _budget_form(page) | {"teacher_training.recurrent": "12.5"}
    response = post(client, url, data, page=url)
    assert response.status_code == 422 and "不含小數" in response.text
    stale = _budget_form(page) | {"expected_version": "0"}
    assert post(client, url, stale, page=url).status_code == 409


def test_budget_editor_read_only_after_approval(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    _, plan = ids(sqlite_app, HOME)
    url = f"/plans/{plan}/budget"
    assert "目前不能編輯經費" in client.get(url).text
    response = post(client, url, _budget_form(client.get(url).text), page=url)
    assert response.status_code == 403


def test_settings_saves_daily_digest(sqlite_app):
    client = client_for(sqlite_app, "moe.reviewer2")
    assert post(client, "/settings/notifications", {"delivery": "digest"}).status_code == 303
    with Session(sqlite_app.state.engine) as s:
        assert user_named(s, "moe.reviewer2").daily_digest is True


def test_deputy_must_be_same_county_and_sees_absent_work(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    period = {"starts_on": "2024-06-01", "ends_on": "2024-06-30"}
    with Session(sqlite_app.state.engine) as s:
        staff2, stranger = user_named(s, "hsq.staff2"), user_named(s, "hsz.staff1")
    bad = post(client, "/settings/deputy", {"deputy_id": str(stranger.id)} | period)
    assert bad.status_code == 422
    assert (
        post(client, "/settings/deputy", {"deputy_id": str(staff2.id)} | period).status_code == 303
    )
    with Session(sqlite_app.state.engine) as s:
        assert s.exec(select(Deputy)).one().deputy_id == staff2.id
    page = client_for(sqlite_app, "hsq.staff2").get("/").text
    # The county's six purchases: staff2's own three, and staff1's three in their absence.
    assert page.count(">我負責</span>") == 3
    with Session(sqlite_app.state.engine) as s:
        absent = user_named(s, "hsq.staff1").display_name
    assert page.count(f">代理 {absent}</span>") == 3


def test_acknowledge_findings_checks_each_finding(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        home, other = county_id(s, HOME), county_id(s, OTHER)
        rows = [Finding(rule_id="purchase.late", county_id=c, subject_type="purchase",
                        subject_id=i, message="逾期", first_seen=TODAY)
                for i, c in enumerate((home, home, other), start=1)]  # fmt: skip
        s.add_all(rows)
        s.commit()
        found = [r.id for r in rows]
    client = client_for(sqlite_app, "hsq.supervisor")
    post(client, "/findings/acknowledge", {"ids": [str(i) for i in found]})
    with Session(sqlite_app.state.engine) as s:
        acked = [s.get(Finding, i).acknowledged_by is not None for i in found]
    assert acked == [True, True, False]  # the other county's finding is not reachable


# ------------------------------------------------------------------ single sign-on
def test_single_sign_on_routes_absent_unless_configured(sqlite_app):
    client = TestClient(sqlite_app)
    assert client.get("/oidc/login").status_code == 404
    assert "/oidc/login" not in client.get("/login").text


def test_single_sign_on_maps_verified_email_to_existing_account(sqlite_engine):
    seed(sqlite_engine)
    with Session(sqlite_engine) as s:
        staff = user_named(s, "hsq.staff1")
        verified = {"email": staff.email.upper(), "email_verified": True}
        assert user_for_claims(s, verified).id == staff.id
        assert user_for_claims(s, {"email": "nobody@demo.example", "email_verified": True}) is None


def test_single_sign_on_refuses_email_without_verification_claim(sqlite_engine):
    seed(sqlite_engine)
    with Session(sqlite_engine) as s:
        admin = user_named(s, "moe.admin")
        assert user_for_claims(s, {"email": admin.email}) is None
        assert user_for_claims(s, {"email": admin.email, "email_verified": False}) is None
        assert user_for_claims(s, {"email": admin.email, "email_verified": "true"}) is None


# ------------------------------------------------------------------ long lists
def _add_purchases(app, county: str, n: int) -> int:
    """n more purchases in one statement (cheap); returns how many the county now has."""
    with Session(app.state.engine) as s:
        home = county_id(s, county)
        rows = [
            dict(county_id=home, year=113, title=f"大量採購{i:04d}", status="needs_collected",
                 evidence={}, version=1, created_at=datetime(2024, 5, 1, tzinfo=UTC))
            for i in range(n)
        ]  # fmt: skip
        s.execute(insert(Purchase), rows)
        s.commit()
        return len(purchases_of(s, county))


def test_item_list_pages_beyond_page_size_with_visible_note(app):
    total = _add_purchases(app, HOME, PAGE_SIZE + 20)
    client = client_for(app, "hsq.staff1")
    first = client.get("/items/purchase").text
    assert f"第 1–{PAGE_SIZE} 筆，共 {total:,} 筆" in first
    assert first.count('href="/items/purchase/') == PAGE_SIZE
    assert 'href="?year=113&amp;page=2" rel="next"' in first
    second = client.get("/items/purchase?page=2").text
    assert f"第 {PAGE_SIZE + 1}–{total} 筆，共 {total:,} 筆" in second
    assert second.count('href="/items/purchase/') == total - PAGE_SIZE
    assert f"大量採購{PAGE_SIZE + 19:04d}" in second


def test_item_list_state_filter_counts_in_database(app):
    total = _add_purchases(app, HOME, PAGE_SIZE + 5)
    page = client_for(app, "hsq.staff1").get("/items/purchase?state=needs_collected&page=2")
    with Session(app.state.engine) as s:
        waiting = [p for p in purchases_of(s, HOME) if p.status == PurchaseState.needs_collected]
    assert len(waiting) <= total
    assert f"第 {PAGE_SIZE + 1}–{len(waiting)} 筆，共 {len(waiting):,} 筆" in page.text


def test_my_work_counts_every_item_beyond_page_size(app):
    _add_purchases(app, HOME, PAGE_SIZE + 20)
    with Session(app.state.engine) as s:
        waiting = sum(p.status == PurchaseState.needs_collected for p in purchases_of(s, HOME))
        staff = user_named(s, "hsq.staff1")
        viewer = viewer_for(s, staff, county_id(s, HOME), TODAY, 113)
        todo = actionable(s, staff, Filters(year=113), viewer)[0].total
    assert waiting > PAGE_SIZE and todo >= waiting
    page = client_for(app, "hsq.staff1").get("/").text
    assert f'href="/items/purchase?state=needs_collected">需求彙整中 {waiting}</a>' in page
    assert f"第 1–{PAGE_SIZE} 筆，共 {todo:,} 筆" in page
