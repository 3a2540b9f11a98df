"""Creating items in the browser: a purchase, the year's plan, a plan's reimbursement and
a budget change. The model's creators judge every rule; these routes check who may ask,
read what was typed, and show a refusal with its rule id beside what was typed."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from model.tables import BudgetLine, County, Plan, User
from states import budget_change as change_states
from states import plan as plan_states
from states import purchase as purchase_states
from states import reimbursement as reimbursement_states
from states.errors import TransitionRefused
from states.values import BudgetItem, ItemType
from vocab.labels import ITEM_LABELS
from web.access import lifecycle_for, require_role
from web.bounds import PathId
from web.deps import current_user, flash, get_db, render
from web.form_input import FieldProblems, text, typed_values, whole
from web.item_routes import render_item
from web.plans import budget_lines, visible_plan
from web.refusal_fields import place
from web.work_routes import list_page
from web.years import programme_year
from workflow.plans import create_plan, request_budget_change
from workflow.purchases import create_purchase
from workflow.reimbursements import create_reimbursement

router = APIRouter()

COUNTY_ONLY = "此動作由縣市推動辦公室人員在自己的縣市執行。"
SUPERVISOR_ONLY = "此動作由縣市主管執行。"
TITLE_MAX = 200


def _item_url(item_type: str, item_id: PathId) -> RedirectResponse:
    return RedirectResponse(f"/items/{item_type}/{item_id}", status_code=303)


# ------------------------------------------------------------------ purchase
@router.post("/purchases/new")
async def new_purchase(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, purchase_states.CREATE.roles, COUNTY_ONLY)
    form = await request.form()
    problems = FieldProblems()
    title = text(form, "title")
    if len(title) > TITLE_MAX:
        problems.add("title", f"採購名稱最多 {TITLE_MAX} 字。")
    amount = whole(form, "amount", "預估金額", problems)
    refusals = problems.refusals
    if not refusals:
        year = programme_year(db, request.app.state.today())
        try:
            # The county is always the person's own: a county field in the form is ignored.
            row = create_purchase(db, user, title=title, year=year, amount=amount or 0)
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        return list_page(request, db, user, ItemType.purchase, refusals=refusals,
                         values=typed_values(form), status_code=422)  # fmt: skip
    db.commit()
    flash(request, f"已新增軟體採購 #{row.id}「{row.title}」。")
    return _item_url(ItemType.purchase, row.id)


# ------------------------------------------------------------------ plan
@router.post("/plans/new")
async def new_plan(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, plan_states.CREATE.roles, COUNTY_ONLY)
    year = programme_year(db, request.app.state.today())
    try:
        row = create_plan(db, user, user.county_id, year)
    except TransitionRefused as refused:
        db.rollback()
        return list_page(request, db, user, ItemType.plan, refusals=refused.refusals,
                         status_code=422)  # fmt: skip
    db.commit()
    county = db.get(County, row.county_id)
    flash(request, f"已建立{county.name} {year} 年度縣市實施計畫（草稿），請填寫計畫內容與經費。")
    return RedirectResponse(f"/plans/{row.id}/content", status_code=303)


# ------------------------------------------------------------------ reimbursement
@router.post("/plans/{plan_id}/reimbursement")
async def new_reimbursement(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    require_role(user, reimbursement_states.CREATE.roles, SUPERVISOR_ONLY)
    try:
        row = create_reimbursement(db, user, plan.id)
    except TransitionRefused as refused:
        db.rollback()
        fresh = db.get(Plan, plan_id, populate_existing=True)
        return render_item(request, db, user, ItemType.plan, fresh,
                           refusals=refused.refusals, status_code=422)  # fmt: skip
    db.commit()
    flash(request, f"已建立經費請撥結報 #{row.id}，核定經費 {row.approved_amount:,} 元。")
    return _item_url(ItemType.reimbursement, row.id)


# ------------------------------------------------------------------ budget change
def _change_page(request, db, user, plan, *, values=None, problems=None, refusals=None,
                 status_code=200):  # fmt: skip
    lines = budget_lines(db, plan)
    problems = problems or {}
    placed = place(refusals or [], {"lines", "staffing", "reason", *problems})
    context = {
        "plan": plan,
        "county": db.get(County, plan.county_id),
        "items": [(i.value, ITEM_LABELS[i.value], lines.get(i.value)) for i in BudgetItem],
        "parts": change_states.PART_NAMES,
        "staffing": [
            (i, ITEM_LABELS[i], lines.get(i)) for i in map(str, plan_states.PART_TIME_ITEMS)
        ],
        "staffing_names": {k: change_states.FIELD_NAMES[k] for k in change_states.STAFFING},
        "values": values or {},
        "problems": problems,
        "refusals": placed.top,
        "placed": placed,
        "state_label": lifecycle_for(ItemType.plan).state_label(str(plan.status)),
    }
    return render(request, "budget_change_new.html", context, user=user, status_code=status_code)


@router.get("/plans/{plan_id}/budget-change")
def budget_change_form(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    require_role(user, change_states.REQUEST.roles, SUPERVISOR_ONLY)
    return _change_page(request, db, user, plan)


def _changed_lines(form, lines: dict[str, BudgetLine], problems: FieldProblems) -> dict:
    """Only the lines whose typed figures differ from the plan's: those are the request.
    A (co-)PI line also carries its person-months and monthly rate, which the rules check
    against its amount (budget_change.pi_amount)."""
    out = {}
    for item in BudgetItem:
        line = lines.get(item.value)
        fields = _change_fields(item.value)
        now = {p: getattr(line, p) if line else 0 for p in fields}
        typed = {}
        for part in fields:
            label = f"{ITEM_LABELS[item.value]}的{change_states.FIELD_NAMES[part]}"
            value = whole(form, f"{item.value}.{part}", label, problems)
            typed[part] = now[part] if value is None else value
        if typed != now:
            out[item.value] = typed
    return out


def _change_fields(item: str) -> tuple[str, ...]:
    if item in plan_states.PART_TIME_ITEMS:
        return (*change_states.PARTS, *change_states.STAFFING)
    return change_states.PARTS


@router.post("/plans/{plan_id}/budget-change")
async def new_budget_change(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    require_role(user, change_states.REQUEST.roles, SUPERVISOR_ONLY)
    form = await request.form()
    problems = FieldProblems()
    changed = _changed_lines(form, budget_lines(db, plan), problems)
    refusals = problems.refusals
    if not refusals:
        try:
            row = request_budget_change(db, user, plan.id, changed, text(form, "reason"),
                                        today=request.app.state.today())  # fmt: skip
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        fresh = db.get(Plan, plan_id, populate_existing=True)
        return _change_page(request, db, user, fresh, values=typed_values(form),
                            problems=problems, refusals=refusals, status_code=422)  # fmt: skip
    db.commit()
    flash(request, f"已送出經費流用/變更 #{row.id}（{len(changed)} 個項目），待教育部核定。")
    return _item_url(ItemType.budget_change, row.id)
