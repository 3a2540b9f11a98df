"""The application factory: `web.app:create_app(engine=None, settings=None)`."""

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from config.clock import today
from model.db import get_engine
from model.file_types import BY_EXTENSION as EVIDENCE_EXTENSIONS
from states.values import Role
from vocab.display import amount, roc_date, roc_datetime
from web import (
    activity_routes,
    auth_routes,
    create_routes,
    dates_routes,
    item_routes,
    ministry_routes,
    plan_content_routes,
    plan_routes,
    school_targets_routes,
    settings_routes,
    work_routes,
)
from web.bounds import MAX_ID
from web.config import WebSettings, settings_from_env
from web.deps import NotSignedIn, check_csrf, login_redirect
from web.evidence_form import CHOICE_LABELS, FIELD_LABELS, ISO_DAY, shown_day
from web.guards import BodyLimit, SecurityHeaders
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
        school_targets_routes,
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
    templates.env.globals["shown_day"] = shown_day
    templates.env.globals["evidence_accept"] = ",".join(f".{e}" for e in EVIDENCE_EXTENSIONS)
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
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return shown_day(value)
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
    app.add_middleware(SecurityHeaders)
    # Outermost: a body over its limit is refused before sign-in, CSRF or parsing.
    app.add_middleware(
        BodyLimit,
        form_bytes=settings.max_form_bytes,
        upload_bytes=settings.max_upload_bytes,
        page=lambda limit: _too_large_page(app, limit),
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

    # Starlette's own exception, so that the router's 404 and 405 get the page too.
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        message = STATUS_TEXT.get(exc.status_code, "無法處理此要求。")
        if isinstance(exc.detail, str) and exc.detail and not exc.detail.isascii():
            message = exc.detail  # our own zh-TW sentence
        return _error_page(request, exc.status_code, message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        message = invalid_text(exc.errors())
        if "text/html" not in request.headers.get("accept", ""):
            body = {"detail": jsonable_encoder(exc.errors()), "message": message}
            return JSONResponse(body, status_code=422)
        return _error_page(request, 422, message)


# What a person reads instead of the framework's English reason phrase.
STATUS_TEXT = {
    400: "無法處理此要求：送出的資料不完整。",
    403: "您沒有執行此操作的權限。",
    404: "找不到此頁面：網址可能有誤，或項目已不存在。",
    405: "此網址不接受這種操作，請從頁面上的連結或按鈕進入。",
}
# Path and query parameters a person may have typed into the address bar.
PARAM_LABELS = {
    "item_id": "項目編號",
    "file_id": "檔案編號",
    "plan_id": "計畫編號",
    "deputy_row": "代理設定編號",
    "county_id": "縣市",
    "county": "縣市",
    "year": "年度",
    "page": "頁碼",
}


RANGE_ERRORS = {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}


def invalid_text(errors) -> str:
    labelled = [(PARAM_LABELS.get(str(e["loc"][-1])) or FIELD_LABELS.get(str(e["loc"][-1])), e)
                for e in errors if e.get("loc")]  # fmt: skip
    for label, error in labelled:
        reason = (error.get("ctx") or {}).get("error")
        if reason is not None and label:  # our own zh-TW reason (a year without rules)
            return f"「{label}」的值不正確：{reason}。請回到上一頁重新選擇。"
    out_of_range = [label for label, e in labelled if label and e.get("type") in RANGE_ERRORS]
    if out_of_range:
        names = "、".join(dict.fromkeys(f"「{label}」" for label in out_of_range))
        return (f"{names}的值超出範圍（編號須為 1 至 {MAX_ID:,} 的整數），"
                "請回到上一頁重新操作。")  # fmt: skip
    known = "、".join(dict.fromkeys(f"「{label}」" for label, _ in labelled if label))
    where = f"{known}的值" if known else "網址或表單中的資料"
    return f"{where}格式不正確（例如編號須為數字），請回到上一頁重新操作。"


def _too_large_page(app: FastAPI, limit: int) -> bytes:
    mb = max(1, limit // (1024 * 1024))
    message = f"送出的資料超過 {mb} MB 上限，已拒絕（未儲存）。請縮小檔案後再試。"
    context = {"request": None, "status": 413, "message": message}
    return app.state.templates.get_template("error.html").render(context).encode()


def _error_page(request: Request, status: int, message: str, headers=None) -> HTMLResponse:
    context = {"request": request, "status": status, "message": message}
    body = request.app.state.templates.get_template("error.html").render(context)
    return HTMLResponse(body, status_code=status, headers=headers)
