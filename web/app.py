"""The application factory: `web.app:create_app(engine=None, settings=None)`."""

from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from forms.display import amount, roc_date, roc_datetime
from model.clock import today
from model.db import get_engine
from states.values import Role
from web import (
    activity_routes,
    auth_routes,
    create_routes,
    dates_routes,
    item_routes,
    ministry_routes,
    plan_content_routes,
    plan_routes,
    settings_routes,
    work_routes,
)
from web.config import WebSettings, settings_from_env
from web.deps import NotSignedIn, check_csrf, login_redirect
from web.evidence_form import CHOICE_LABELS, FIELD_LABELS
from web.work import milestone_url

HERE = Path(__file__).resolve().parent
ROUTERS = tuple(
    m.router
    for m in (
        auth_routes,
        work_routes,
        item_routes,
        create_routes,
        dates_routes,
        plan_routes,
        plan_content_routes,
        activity_routes,
        ministry_routes,
        settings_routes,
    )
)


def _money(value) -> str:
    return amount(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(
        roc_date=roc_date,
        money=_money,
        roc_datetime=lambda v: roc_datetime(v) if v else "",
        role_label=lambda r: Role(r).label if r in Role.__members__ else str(r),
        field_label=lambda name: FIELD_LABELS.get(name, name),
        evidence_text=_evidence_text,
    )
    templates.env.globals["milestone_url"] = milestone_url
    return templates


def _evidence_text(value) -> str:
    """Recorded evidence as a clerk reads it: labels for choices, one line per entry."""
    if isinstance(value, list):
        return "\n".join(_evidence_text(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{FIELD_LABELS.get(k, k)}：{_evidence_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return amount(value)
    return CHOICE_LABELS.get(str(value), str(value))


def _oauth(settings: WebSettings):
    if settings.oidc is None:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        "edu",
        server_metadata_url=settings.oidc.metadata_url,
        client_id=settings.oidc.client_id,
        client_secret=settings.oidc.client_secret,
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth


def create_app(engine: Engine | None = None, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or settings_from_env()
    app = FastAPI(
        title="數位學習精進方案管考系統",
        dependencies=[Depends(check_csrf)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine or get_engine()
    app.state.settings = settings
    app.state.templates = _templates()
    app.state.oauth = _oauth(settings)
    app.state.today = today  # tests may pin the day
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="jingjin_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.https_only,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _errors(app)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _signed_out(request: Request, exc: NotSignedIn):
        return login_redirect(exc.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "無法處理此要求。"
        context = {"request": request, "status": exc.status_code, "message": message}
        body = request.app.state.templates.get_template("error.html").render(context)
        return HTMLResponse(body, status_code=exc.status_code)
