"""A person's own settings: how notifications arrive, and a deputy while away."""

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from model.accounts import Deputy
from model.tables import User
from states.values import Role
from vocab.dates import DayError, parse_day
from web.access import MINISTRY_ROLES, require_writer
from web.bounds import PathId, form_id
from web.deps import current_user, flash, get_db, render

router = APIRouter()


def _eligible_deputies(db: Session, user: User) -> list[User]:
    """Colleagues who could stand in: same county, or the ministry for the ministry."""
    query = select(User).where(User.active, User.id != user.id)
    if Role(user.role).is_county:
        query = query.where(User.county_id == user.county_id)
    else:
        query = query.where(col(User.role).in_([r.value for r in MINISTRY_ROLES]))
    return list(db.exec(query.order_by(User.id)))


def _page(request, db, user, error=None, status_code=200):
    mine = db.exec(select(Deputy).where(Deputy.user_id == user.id).order_by(Deputy.id)).all()
    for_others = db.exec(select(Deputy).where(Deputy.deputy_id == user.id)).all()
    names = {u.id: u for u in db.exec(select(User))}
    context = {
        "deputies": mine,
        "standing_in": for_others,
        "names": names,
        "eligible": _eligible_deputies(db, user),
        "error": error,
        "today": request.app.state.today(),
    }
    return render(request, "settings.html", context, status_code=status_code, user=user)


@router.get("/settings")
def settings_page(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    return _page(request, db, user)


@router.post("/settings/notifications")
async def save_notifications(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    form = await request.form()
    user.daily_digest = form.get("delivery") == "digest"
    db.add(user)
    db.commit()
    how = "每日彙整一封" if user.daily_digest else "每件事各寄一封"
    flash(request, f"通知方式已設定為：{how}。")
    return RedirectResponse("/settings", status_code=303)


def _date(text) -> date | None:
    try:
        return parse_day(str(text))
    except DayError:
        return None


@router.post("/settings/deputy")
async def add_deputy(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_writer(user)
    form = await request.form()
    eligible = {u.id for u in _eligible_deputies(db, user)}
    deputy_id = form_id(form.get("deputy_id"))
    starts, ends = _date(form.get("starts_on")), _date(form.get("ends_on"))
    if deputy_id not in eligible:
        return _page(request, db, user, "代理人須為同一縣市（或教育部）仍在職的同仁。", 422)
    if starts is None or ends is None or starts > ends:
        return _page(request, db, user, "請填寫正確的代理期間（開始日不可晚於結束日）。", 422)
    db.add(Deputy(user_id=user.id, deputy_id=deputy_id, starts_on=starts, ends_on=ends))
    db.commit()
    flash(request, "已設定代理人。")
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/deputy/{deputy_row}/end")
def end_deputy(
    request: Request,
    deputy_row: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    row = db.get(Deputy, deputy_row)
    if row is None or row.user_id != user.id:  # only one's own deputies
        return _page(request, db, user, "找不到此代理設定。", 404)
    db.delete(row)
    db.commit()
    flash(request, "已取消代理設定。")
    return RedirectResponse("/settings", status_code=303)
