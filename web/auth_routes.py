"""Sign-in with a local account, or the education system's OpenID Connect when configured."""

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from model.tables import User
from web.deps import get_db, render
from web.security import authenticate, end_sessions

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only paths of this site: "//evil.example" or "https://…" would leave it.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _sign_in(request: Request, user: User, target: str) -> RedirectResponse:
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in person
    request.session["uid"] = user.id
    request.session["epoch"] = user.session_epoch
    return RedirectResponse(_safe_next(target), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(get_db),
):
    cfg = request.app.state.settings
    user, error = authenticate(db, username, password, cfg.max_failures, cfg.lockout_minutes)
    db.commit()  # failures count even though the sign-in fails
    if user is None:
        context = {"next": _safe_next(next), "error": error, "username": username}
        return render(request, "login.html", context, status_code=401)
    return _sign_in(request, user, next)


@router.post("/logout")
def logout(request: Request, db: Session = Depends(get_db)):
    """Signs this person out everywhere: a copy of the cookie kept elsewhere stops working."""
    uid = request.session.get("uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    if user is not None and request.session.get("epoch", 0) == user.session_epoch:
        end_sessions(db, user.id)
        db.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _oidc_client(request: Request):
    oauth = getattr(request.app.state, "oauth", None)
    if oauth is None:
        raise HTTPException(404, "未啟用單一簽入。")
    return oauth.edu


@router.get("/oidc/login")
async def oidc_login(request: Request):
    client = _oidc_client(request)
    return await client.authorize_redirect(request, str(request.url_for("oidc_callback")))


@router.get("/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, db: Session = Depends(get_db)):
    client = _oidc_client(request)
    token = await client.authorize_access_token(request)
    claims = token.get("userinfo") or {}
    user = user_for_claims(db, claims)
    if user is None:
        context = {"next": "/", "error": "此教育體系帳號尚未開通本系統權限，請洽系統管理者。"}
        return render(request, "login.html", context, status_code=403)
    return _sign_in(request, user, "/")


def user_for_claims(db: Session, claims: dict) -> User | None:
    """An existing, active account with the verified e-mail; roles are never taken from claims,
    because a school role (教師, 學生) is not a role in this system."""
    email = str(claims.get("email") or "").strip().lower()
    # A provider that omits the claim has not vouched for the address; treat it as unverified.
    if not email or claims.get("email_verified") is not True:
        return None
    for user in db.exec(select(User).where(User.active)):
        if user.email.lower() == email:
            return user
    return None
