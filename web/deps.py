"""Request-scoped pieces: the database session, the signed-in person, CSRF, rendering."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from model.db import reading
from model.tables import User
from web.access import may_write, sees_all
from web.security import CSRF_FIELD, csrf_ok, csrf_token

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class NotSignedIn(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. Page views only read: on SQLite they begin deferred (WAL
    readers take no lock) and `render` ends their transaction before the page is built,
    so neither a writer nor the jobs wait for someone's page."""
    engine = request.app.state.engine
    reads = request.method in SAFE_METHODS
    with Session(reading(engine) if reads else engine, expire_on_commit=False) as session:
        if reads:
            request.state.read_session = session
        try:
            yield session
        finally:
            session.rollback()  # whatever a route did not commit explicitly is dropped


def end_reading(request: Request) -> None:
    """Close a page view's transaction once its values are loaded (before rendering a page
    or a document). Nothing was written, so committing only ends it: the loaded rows stay
    usable, and a late lazy load begins a new deferred read."""
    session = getattr(request.state, "read_session", None)
    if session is not None and session.in_transaction():
        session.commit()


def current_user(request: Request, db: Session = Depends(get_db)) -> User:
    uid = request.session.get("uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    # A cookie from before the person's last sign-out, new password or lockout is refused.
    if user is None or not user.active or request.session.get("epoch", 0) != user.session_epoch:
        request.session.clear()
        raise NotSignedIn(request.url.path)
    return user


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not csrf_ok(request.session, sent if isinstance(sent, str) else None):
        raise HTTPException(
            403, "表單已逾時或來源不明（CSRF 檢查未通過），請重新整理頁面後再送出。"
        )


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = [kind, message]


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    end_reading(request)
    base = {
        "request": request,
        "user": user,
        "csrf": csrf_token(request.session),
        "flash": request.session.pop("flash", None),
        "sees_all": bool(user and sees_all(user)),
        "may_write": bool(user and may_write(user)),
        "oidc": request.app.state.settings.oidc,
    }
    return request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
