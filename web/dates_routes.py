"""報送期限 (the ministry admin announces the dates the source leaves open) and 停班日
(closures: nationwide by the ministry admin, a county's by its supervisor)."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from forms.typed_date import parse_day
from model.tables import County, User
from rules import InputError, load_rules
from states.errors import TransitionRefused
from states.values import Role
from vocab.display import roc_date
from vocab.milestone_kinds import MILESTONE_TITLES
from web.access import require_role, role_of
from web.bounds import form_id
from web.deps import current_user, flash, get_db, render
from web.form_input import FieldProblems, text, typed_values
from web.years import programme_year
from workflow.closures import add_closure, visible_closures
from workflow.reporting_dates import (
    KINDS,
    reporting_date_changes,
    reporting_dates,
    set_reporting_date,
)

router = APIRouter()

ADMIN_ONLY = "報送期限僅限教育部系統管理者設定。"
CLOSURE_ROLES = frozenset({Role.ministry_admin, Role.county_supervisor})
CLOSURE_ONLY = "停班日由教育部系統管理者（全國）或縣市主管（本縣市）登錄。"


def _typed_day(form, name: str, label: str, problems: FieldProblems):
    raw = text(form, name)
    if not raw:
        problems.add(name, f"請填寫「{label}」。")
        return None
    try:
        return parse_day(raw, label)
    except InputError as error:
        problems.add(name, f"「{label}」{error.problem}")
        return None


# ------------------------------------------------------------------ 報送期限
def _dates_page(request, db, user, problems=None, refusals=(), values=None, status_code=200):
    year = programme_year(db, request.app.state.today())
    context = {
        "year": year,
        "dues": reporting_dates(db, load_rules(year)),
        "history": reporting_date_changes(db, year),
        "titles": MILESTONE_TITLES,
        "problems": problems or {},
        "refusals": list(refusals),
        "values": values or {},
    }
    return render(request, "reporting_dates.html", context, status_code=status_code, user=user)


@router.get("/ministry/dates")
def dates_page(request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)):
    require_role(user, {Role.ministry_admin}, ADMIN_ONLY)
    return _dates_page(request, db, user)


@router.post("/ministry/dates")
async def set_date(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, {Role.ministry_admin}, ADMIN_ONLY)
    form = await request.form()
    name = text(form, "name")
    if name not in KINDS:
        raise HTTPException(404, "沒有這個報送項目。")
    problems = FieldProblems()
    day = _typed_day(form, f"due_on_{name}", "期限", problems)
    refusals = problems.refusals
    if not refusals:
        year = programme_year(db, request.app.state.today())
        try:
            due = set_reporting_date(db, user, year, name, day)
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        return _dates_page(request, db, user, problems, refusals, typed_values(form), 422)
    db.commit()
    flash(request, f"「{due.title}」期限已設為 {roc_date(due.due_on)}，各縣市待辦事項已更新。")
    return RedirectResponse("/ministry/dates", status_code=303)


# ------------------------------------------------------------------ 停班日
def _closures_page(request, db, user, problems=None, refusals=(), values=None, status_code=200):
    counties = []
    if role_of(user) == Role.ministry_admin:  # a supervisor's closure is their own county's
        counties = list(db.exec(select(County).order_by(County.id)))
    context = {
        "closures": visible_closures(db, user),
        "counties": counties,
        "own_county": db.get(County, user.county_id) if user.county_id else None,
        "problems": problems or {},
        "refusals": list(refusals),
        "values": values or {},
    }
    return render(request, "closures.html", context, status_code=status_code, user=user)


@router.get("/closures")
def closures_page(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, CLOSURE_ROLES, CLOSURE_ONLY)
    return _closures_page(request, db, user)


@router.post("/closures")
async def new_closure(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, CLOSURE_ROLES, CLOSURE_ONLY)
    form = await request.form()
    problems = FieldProblems()
    day = _typed_day(form, "day", "停班日", problems)
    reason = text(form, "reason")
    if not reason:
        problems.add("reason", "請填寫「停班原因」。")
    if role_of(user) == Role.ministry_admin:
        chosen = text(form, "county_id")
        county_id = form_id(chosen)  # blank: nationwide
    else:
        county_id = user.county_id  # a county field in the form is ignored
    refusals = problems.refusals
    if not refusals:
        try:
            row = add_closure(db, user, day, county_id, reason)
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        return _closures_page(request, db, user, problems, refusals, typed_values(form), 422)
    db.commit()
    flash(request, f"已登錄 {roc_date(row.day)} 停班：{row.reason}。提醒與逾期通報將順延。")
    return RedirectResponse("/closures", status_code=303)
