"""The web app probed as an attacker would: old cookies, raced sign-ins, oversized bodies,
disguised files, out-of-range numbers, framing and control characters."""

import io
import re
import socket
import threading
import zipfile
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from browser_support import live_server, needs_chromium
from browser_support import sign_in as browser_sign_in
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select
from web_support import (
    HOME,
    PASSWORD,
    app_on_copy,
    client_for,
    csrf_of,
    plan_of,
    post,
    purchases_of,
    seeded_app,
    seeded_sqlite_file,
    sign_in,
    user_named,
)

import web.security
from model.accounts import LoginThrottle
from model.file_types import evidence_problem
from model.files import EvidenceFile
from model.tables import Purchase, User
from states.errors import TransitionRefused
from states.plain_text import hidden_characters
from states.workshop import parse_attendees
from web.security import set_demo_passwords, set_password
from workflow.purchases import create_purchase

HTML = {"Accept": "text/html"}
BIG_ID = str(2**31)
LONG_ID = "9" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ZH = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def app(engine):
    return seeded_app(engine)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    return seeded_sqlite_file(tmp_path_factory)


@pytest.fixture
def sqlite_app(seeded_file, tmp_path):
    yield from app_on_copy(seeded_file, tmp_path)


def _replayed(app, cookie: str) -> TestClient:
    """A client that sends only a copied session cookie, as a thief of it would."""
    client = TestClient(app)
    client.cookies.set("jingjin_session", cookie)
    return client


def _digest(app, username: str) -> bool:
    with Session(app.state.engine) as s:
        return user_named(s, username).daily_digest


# ------------------------------------------------------------------ sessions
def test_an_old_cookie_is_refused_after_sign_out(app):
    client = client_for(app, "hsq.staff1")
    token = csrf_of(client.get("/settings").text)
    old = client.cookies["jingjin_session"]  # holds the CSRF token too
    assert _replayed(app, old).get("/", follow_redirects=False).status_code == 200
    assert post(client, "/logout", {}).status_code == 303
    thief = _replayed(app, old)
    page = thief.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # The copy still holds a valid CSRF token: the change is refused all the same.
    data = {"delivery": "digest", "csrf_token": token}
    response = _replayed(app, old).post(
        "/settings/notifications", data=data, follow_redirects=False
    )
    assert response.headers["location"].startswith("/login")
    assert _digest(app, "hsq.staff1") is False
    # Signing in again works, with a new cookie.
    assert "我的工作" in client_for(app, "hsq.staff1").get("/").text


def test_an_old_cookie_is_refused_after_a_new_password(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    old = client.cookies["jingjin_session"]
    assert _replayed(sqlite_app, old).get("/", follow_redirects=False).status_code == 200
    with Session(sqlite_app.state.engine) as s:
        set_password(s, user_named(s, "hsq.staff1"), "a-new-password-113")
        s.commit()
    assert _replayed(sqlite_app, old).get("/", follow_redirects=False).status_code == 303
    assert sign_in(TestClient(sqlite_app), "hsq.staff1", "a-new-password-113").status_code == 303


def test_a_lockout_ends_the_sessions_of_that_account(sqlite_app):
    signed_in = client_for(sqlite_app, "hsq.staff1")
    attacker = TestClient(sqlite_app)
    for _ in range(5):
        assert sign_in(attacker, "hsq.staff1", "guess").status_code == 401
    assert signed_in.get("/", follow_redirects=False).status_code == 303
    response = sign_in(attacker, "hsq.staff1")  # even the right password, while locked
    assert response.status_code == 401 and "暫時鎖定" in response.text


def test_unknown_names_do_not_grow_the_throttle_table_forever(sqlite_app, monkeypatch):
    from datetime import timedelta

    from config.clock import now

    client = TestClient(sqlite_app)
    for i in range(3):
        sign_in(client, f"nobody-{i}", "guess")
    later = now() + timedelta(minutes=sqlite_app.state.settings.lockout_minutes + 1)
    monkeypatch.setattr(web.security, "now", lambda: later)
    sign_in(client, "nobody-new", "guess")
    with Session(sqlite_app.state.engine) as s:
        names = set(s.exec(select(LoginThrottle.username)))
    assert names == {"nobody-new"}


def test_new_passwords_raise_the_session_epoch_and_leave_users_readable(session):
    from demo.generate import generate

    generate(session, county_name=HOME, story=False)
    user = session.exec(select(User).where(User.username == "hsq.staff1")).one()
    before = user.session_epoch
    set_password(session, user, "another-pass-113")
    assert user.session_epoch == before + 1
    users = set_demo_passwords(session, PASSWORD)
    session.commit()
    session.close()
    assert user.session_epoch == before + 2 and all(u.username for u in users)


# ------------------------------------------------------------------ raced sign-ins
class _CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash, password):
        with self._lock:
            self.checks += 1
        return super().verify(hash, password)


def test_thirty_parallel_wrong_passwords_check_at_most_five(app, monkeypatch):
    counting = _CountingHasher()
    monkeypatch.setattr(web.security, "HASHER", counting)
    attempts = 30
    start = threading.Barrier(attempts)
    answers: list[int] = []
    with live_server(app) as base:

        def attempt() -> None:
            with httpx.Client(base_url=base) as client:
                token = csrf_of(client.get("/login").text)
                data = {"username": "hsq.staff1", "password": "wrong", "csrf_token": token}
                start.wait(timeout=60)
                answers.append(client.post("/login", data=data).status_code)

        threads = [threading.Thread(target=attempt) for _ in range(attempts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert len(answers) == attempts and set(answers) == {401}
    assert counting.checks == app.state.settings.max_failures == 5
    with Session(app.state.engine) as s:
        assert s.get(LoginThrottle, "hsq.staff1").locked_until is not None


# ------------------------------------------------------------------ body size
def _raw_response(base: str, head: str, body: bytes) -> bytes:
    """Send a request's head and only the first part of its body; read the answer."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=20) as conn:
        conn.sendall(head.encode("latin-1") + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_20_mb_anonymous_post_is_refused_before_its_body_is_read(sqlite_app):
    declared = 20 * 1024 * 1024
    with live_server(sqlite_app) as base:
        head = (
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=xx\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        )
        # Only 64 kB of the 20 MB is ever sent: the answer comes without the rest.
        answer = _raw_response(base, head, b"--xx\r\n" + b"a" * 65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"x-frame-options: DENY" in answer.lower().replace(b"deny", b"DENY")


def test_a_streamed_body_without_length_is_cut_at_the_limit(sqlite_app):
    limit = sqlite_app.state.settings.max_form_bytes
    chunk = b"a" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 2))
    with live_server(sqlite_app) as base:
        head = (
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        answer = _raw_response(base, head, chunks)  # never terminated: the limit decides
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_signed_in_100_mb_upload_is_refused_before_it_is_read(sqlite_app):
    with Session(sqlite_app.state.engine) as s:
        purchase = purchases_of(s, HOME)[0].id
    with live_server(sqlite_app) as base:
        with httpx.Client(base_url=base) as client:
            token = csrf_of(client.get("/login").text)
            data = {"username": "hsq.staff1", "password": PASSWORD, "csrf_token": token}
            assert client.post("/login", data=data).status_code == 303
            cookie = client.cookies["jingjin_session"]
        head = (
            f"POST /items/purchase/{purchase}/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: jingjin_session={cookie}\r\n"
            "Content-Type: multipart/form-data; boundary=xx\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
        )
        answer = _raw_response(base, head, b"--xx\r\n")
    assert answer.startswith(b"HTTP/1.1 413")
    with Session(sqlite_app.state.engine) as s:
        assert s.exec(select(func.count()).select_from(EvidenceFile)).one() == 0


def test_an_oversized_form_gets_a_zh_tw_413_page(sqlite_app):
    response = TestClient(sqlite_app).post("/login", content=b"a" * (2 * 1024 * 1024))
    assert response.status_code == 413 and "超過 1 MB 上限" in response.text


# ------------------------------------------------------------------ uploads by content
def test_a_pdf_name_with_png_content_is_refused(sqlite_app):
    client = client_for(sqlite_app, "hsq.staff1")
    with Session(sqlite_app.state.engine) as s:
        url = f"/items/purchase/{purchases_of(s, HOME)[0].id}"
    files = {"file": ("契約.pdf", PNG, "application/pdf")}
    response = post(client, f"{url}/files", {"file_kind": "contract"}, files, page=url)
    assert response.status_code == 422
    assert "內容不是 PDF" in response.text and "file.type" in response.text
    files = {"file": ("照片.png", PNG, "image/png")}
    assert post(client, f"{url}/files", {}, files, page=url).status_code == 303
    with Session(sqlite_app.state.engine) as s:
        assert list(s.exec(select(EvidenceFile.filename))) == ["照片.png"]


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_evidence_types_are_judged_by_content():
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    odt = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
    assert evidence_problem("計畫.docx", "application/octet-stream", docx) is None
    assert evidence_problem("計畫.odt", None, odt) is None
    assert evidence_problem("a.pdf", "application/pdf", b"%PDF-1.7\n") is None
    assert evidence_problem("a.jpg", "image/jpeg", b"\xff\xd8\xff\xe0") is None
    assert "內容不是 ODF" in evidence_problem("計畫.ods", None, odt)  # a text file renamed
    assert "內容不是 Office" in evidence_problem("計畫.docx", None, _zip({"a.txt": b"x"}))
    assert "不在可上傳" in evidence_problem("run.exe", None, b"MZ\x90\x00")
    assert "不在可上傳" in evidence_problem("page.html", "text/html", b"<html>")
    assert "兩者不符" in evidence_problem("a.pdf", "image/png", b"%PDF-1.7")


# ------------------------------------------------------------------ bounded numbers
def _ids(app) -> dict[str, int]:
    with Session(app.state.engine) as s:
        return {
            "purchase": purchases_of(s, HOME)[0].id,
            "plan": plan_of(s, HOME).id,
            "user": user_named(s, "hsq.staff1").id,
        }


def _zh_422(response, where: str) -> None:
    assert response.status_code == 422, (where, response.status_code)
    assert ZH.search(response.text), where


@pytest.mark.parametrize("bad", [BIG_ID, LONG_ID])
def test_out_of_range_ids_in_addresses_are_a_zh_tw_422(app, bad):
    client = client_for(app, "hsq.supervisor")
    token = csrf_of(client.get("/").text)
    gets = [
        f"/items/purchase/{bad}",
        f"/files/{bad}",
        f"/plans/{bad}/budget",
        f"/plans/{bad}/content",
        f"/plans/{bad}/budget-change",
        f"/plans/{bad}/forms/budget.pdf",
        f"/activities?year={bad}",
        f"/activities?county_id={bad}",
        f"/ministry?year={bad}",
        "/ministry?year=1",
        f"/overdue?county={bad}",
        f"/targets/schools?county_id={bad}",
    ]
    posts = [
        f"/items/purchase/{bad}/events/decide",
        f"/items/purchase/{bad}/files",
        f"/items/purchase/{bad}/handover",
        f"/plans/{bad}/budget",
        f"/plans/{bad}/content",
        f"/plans/{bad}/reimbursement",
        f"/plans/{bad}/budget-change",
        f"/settings/deputy/{bad}/end",
    ]
    for url in gets:
        page = client.get(url, headers=HTML)
        _zh_422(page, url)
        assert re.search("超出範圍|沒有|格式不正確", page.text), url
        answer = client.get(url)
        if "json" in answer.headers["content-type"]:  # a program gets the sentence too
            assert ZH.search(answer.json()["message"]), url
    for url in posts:
        _zh_422(client.post(url, data={"csrf_token": token}, headers=HTML), url)


@pytest.mark.parametrize("bad", [BIG_ID, LONG_ID])
def test_out_of_range_ids_and_amounts_in_forms_are_refused_not_500(app, bad):
    ids = _ids(app)
    supervisor = client_for(app, "hsq.supervisor")
    item = f"/items/purchase/{ids['purchase']}"
    page = post(supervisor, f"{item}/handover", {"to_user_id": bad}, page=item)
    _zh_422(page, "hand-over")
    bulk = post(supervisor, "/bulk/purchase/cancel", {"ids": bad, "reason": "x"})
    _zh_422(bulk, "bulk")
    deputy = post(supervisor, "/settings/deputy", {"deputy_id": bad, "starts_on": "2024-06-03",
                                                   "ends_on": "2024-06-10"}, page="/settings")  # fmt: skip
    _zh_422(deputy, "deputy")
    staff = client_for(app, "hsq.staff1")
    made = post(
        staff, "/purchases/new", {"title": "大數採購", "amount": bad}, page="/items/purchase"
    )
    _zh_422(made, "new purchase")
    assert "超出上限" in made.text
    step = post(staff, f"{item}/events/decide", {"expected_version": bad}, page=item)
    assert step.status_code in (409, 422)
    with Session(app.state.engine) as s:
        assert s.exec(select(Purchase).where(Purchase.title == "大數採購")).first() is None


# ------------------------------------------------------------------ security headers
def test_every_answer_carries_the_security_headers(sqlite_app):
    ids = _ids(sqlite_app)
    client = client_for(sqlite_app, "moe.admin")
    county = client_for(sqlite_app, "hsq.supervisor")
    answers = [
        TestClient(sqlite_app).get("/login"),
        client.get("/"),
        client.get("/ministry"),
        client.get("/items/purchase"),
        client.get(f"/items/purchase/{ids['purchase']}"),
        client.get(f"/plans/{ids['plan']}/budget"),
        client.get("/activities"),
        client.get("/settings"),
        county.get(f"/plans/{ids['plan']}/budget-change"),
        client.get("/static/style.css"),
        client.get("/nowhere"),
        client.get("/items/purchase/abc"),
        TestClient(sqlite_app).post("/login", content=b"a" * (2 * 1024 * 1024)),
    ]
    for answer in answers:
        where = f"{answer.request.url.path} ({answer.status_code})"
        assert answer.headers["x-frame-options"] == "DENY", where
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, where
        assert "unsafe-inline" not in csp, where
        assert answer.headers["x-content-type-options"] == "nosniff", where
        assert answer.headers["referrer-policy"] == "same-origin", where
    for answer in answers[:9]:  # the pages themselves: nothing the policy would block
        assert not re.search(r"<script>|\son[a-z]+=|\sstyle=", answer.text), answer.request.url


# ------------------------------------------------------------------ control characters
@pytest.mark.parametrize("bad", ["採購\x1b[2J", "鈴\x07聲", "\u202etxt.exe", "a\u0085b"])
def test_control_characters_are_refused_in_a_purchase_title(sqlite_app, bad):
    client = client_for(sqlite_app, "hsq.staff1")
    response = post(client, "/purchases/new", {"title": bad, "amount": "1000"},
                    page="/items/purchase")  # fmt: skip
    assert response.status_code == 422 and "不可見的控制字元" in response.text
    with Session(sqlite_app.state.engine) as s:
        assert s.exec(select(Purchase).where(Purchase.title == bad.strip())).first() is None


def test_control_characters_are_refused_by_the_model_on_either_database(session):
    from demo.generate import generate

    generate(session, county_name=HOME, story=False)
    staff = session.exec(select(User).where(User.username == "hsq.staff1")).one()
    with pytest.raises(TransitionRefused) as refused:
        create_purchase(session, staff, title="平板\u202e授權", year=113, amount=0)
    assert "U+202E" in refused.value.refusals[0].message


def test_control_characters_are_refused_in_teacher_names():
    attendees, problems = parse_attendees("049000 王小明\n049000 林\x1b大同\n")
    assert [a.teacher for a in attendees] == ["王小明"]
    assert problems and "第 2 行" in problems[0] and "U+001B" in problems[0]


def test_which_characters_are_hidden():
    assert hidden_characters("第一行\n\t第二行", multiline=True) == []
    assert hidden_characters("第一行\n第二行") == ["U+000A"]
    assert hidden_characters("a\x9bb\u2066c") == ["U+009B", "U+2066"]
    assert hidden_characters("正常的標題（113 年度）") == []


# ------------------------------------------------------------------ the policy in a browser
@pytest.mark.browser
@needs_chromium
def test_pages_work_under_the_content_security_policy(sqlite_app, browser):
    """Bars, select-all boxes and the county picker work with no inline script or style,
    and the browser reports nothing the policy blocked."""
    blocked: list[str] = []
    with live_server(sqlite_app) as base:
        context = browser.new_context(locale="zh-TW")
        page = context.new_page()
        page.on(
            "console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None
        )
        browser_sign_in(page, base, "moe.admin")
        page.goto(f"{base}/ministry")
        widths = page.eval_on_selector_all(
            "[data-width]", "els => els.map(e => [e.dataset.width, e.style.width])"
        )
        assert widths and all(style == f"{n}%" for n, style in widths)
        assert page.eval_on_selector_all("[data-flex]", "els => els.every(e => e.style.flex)")
        page.goto(f"{base}/targets/schools")
        picker = page.locator("select[name=county_id]")
        picker.select_option(index=1)
        page.wait_for_url(re.compile(r"county_id=\d+"))
        context.close()
        context = browser.new_context(locale="zh-TW")
        page = context.new_page()
        page.on(
            "console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None
        )
        browser_sign_in(page, base, "hsq.supervisor")
        page.goto(f"{base}/items/purchase?state=needs_collected")
        page.locator("input[data-check-all]").check()
        boxes = page.locator("input[name=ids]")
        assert boxes.count() > 0
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
        context.close()
    assert blocked == []


def test_budget_amounts_are_bounded():
    from pydantic import ValidationError

    from forms.budget_form import BudgetLineInput

    with pytest.raises(ValidationError, match="超出上限"):
        BudgetLineInput(recurrent=LONG_ID, capital="0")
    assert BudgetLineInput(recurrent="2,147,483,647", capital="0").recurrent == 2**31 - 1
