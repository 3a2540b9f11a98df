"""The plan's budget editor (the seven items of the 經費申請表) and the form downloads."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from forms.budget_form import BudgetLinesForm
from forms.errors import FormInvalid
from model.tables import BudgetLine, County, Plan, User
from rules import BUSINESS_KEYS, load_rules
from rules.errors import JingjinError
from states.values import BudgetItem, ItemType, PlanState
from vocab.labels import ITEM_LABELS
from web.access import lifecycle_for, may_write
from web.bounds import PathId
from web.deps import current_user, end_reading, flash, get_db, render
from web.plans import budget_lines, visible_plan
from workflow.plan_estimate import per_head_rate
from workflow.plans import update_plan_draft

router = APIRouter()

EDITABLE_STATES = (PlanState.draft, PlanState.returned)
ATTRS = ("recurrent", "capital", "explanation", "person_months", "monthly_rate")
# The 經費申請表 groups its twelve lines into seven items.
GROUPS = {
    "1": "人事費（專任及兼任人力）",
    "2": "代理代課費",
    "3": "教師增能研習費",
    "4": "推動辦公室運作費",
    "5": "既有學習載具 MDM 授權",
    "6": "數位內容及教學軟體",
    "7": "行政管理費",
}
MIME = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KIND_LABELS = {
    "plan": "實施計畫",
    "budget": "經費申請表",
    "results": "執行成果",
    "schools": "附錄學校名單",
}


def may_edit(user: User, plan: Plan) -> bool:
    return (
        may_write(user)
        and user.county_id == plan.county_id
        and str(plan.status) in {s.value for s in EDITABLE_STATES}
    )


def downloads() -> list[tuple[str, str, tuple[str, ...]]]:
    from forms.render import FORMATS, KINDS

    return [(kind, KIND_LABELS.get(kind, kind), FORMATS) for kind in KINDS]


def _page(request, db, user, plan, values=None, errors=None, warnings=None, status_code=200):
    rules = load_rules(plan.year)
    lines = budget_lines(db, plan)
    adm = rules.budget.administration
    context = {
        "plan": plan,
        "county": db.get(County, plan.county_id),
        "items": [
            (item.value, ITEM_LABELS[item.value], lines.get(item.value)) for item in BudgetItem
        ],
        "groups": GROUPS,
        "business_keys": BUSINESS_KEYS,
        "adm": adm,
        # Read-only for everyone here: the ministry admin sets it (`jingjin rules per-head`).
        "per_head": per_head_rate(db, rules),
        "editable": may_edit(user, plan),
        "values": values or {},
        "errors": errors or {},
        "warnings": warnings or [],
        "downloads": downloads(),
        "state_label": lifecycle_for(ItemType.plan).state_label(str(plan.status)),
    }
    return render(request, "budget.html", context, status_code=status_code, user=user)


@router.get("/plans/{plan_id}/budget")
def budget_page(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    rules = load_rules(plan.year)
    warnings = []
    lines = budget_lines(db, plan)
    if len(lines) == len(BudgetItem):
        data = {k: _line_dict(v) for k, v in lines.items()}
        try:
            warnings = [m for _, m in BudgetLinesForm.model_validate(data).problems(rules)]
        except ValidationError:
            warnings = []
    return _page(request, db, user, plan, warnings=warnings)


def _line_dict(line: BudgetLine) -> dict:
    return {"estimate": line.estimate, **{a: getattr(line, a) for a in ATTRS}}


@router.post("/plans/{plan_id}/budget")
async def save_budget(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    if not may_edit(user, plan):
        raise HTTPException(403, "只有本縣市人員可以在計畫草稿或退回修正時編輯經費。")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if str(form.get("expected_version", "")) != str(plan.version):
        message = "此計畫已被他人更新，請重新整理後再編輯。"
        return _page(request, db, user, plan, values, {"_": message}, status_code=409)
    lines = budget_lines(db, plan)
    data = {
        item.value: {"estimate": lines[item.value].estimate if item.value in lines else 0,
                     **{a: form.get(f"{item.value}.{a}", "") for a in ATTRS}}
        for item in BudgetItem
    }  # fmt: skip
    rules = load_rules(plan.year)
    try:
        parsed = BudgetLinesForm.model_validate(data)
    except ValidationError:
        try:
            BudgetLinesForm.parse(data, rules)
        except FormInvalid as invalid:
            return _page(request, db, user, plan, values, invalid.fields, status_code=422)
        raise
    _store(db, user, plan, parsed)
    db.commit()
    problems = [m for _, m in parsed.problems(rules)]
    note = "；送出前仍須修正 " + str(len(problems)) + " 處" if problems else ""
    flash(request, "經費已儲存" + note + "。", "warn" if problems else "ok")
    return RedirectResponse(f"/plans/{plan_id}/budget", status_code=303)


def _store(db: Session, user: User, plan: Plan, parsed: BudgetLinesForm) -> None:
    # Through the model's draft update, which also refreshes each line's 教育部預估 column
    # (a line saved here first would otherwise keep an estimate of 0).
    lines = {
        item.value: {attr: getattr(line_input, attr) for attr in ATTRS}
        for item, line_input in parsed.lines().items()
    }
    update_plan_draft(db, user, plan.id, lines=lines)
    # Touch the plan so its version moves: two editors cannot both save over each other.
    flag_modified(plan, "inputs")
    db.add(plan)


@router.get("/plans/{plan_id}/forms/{kind}.{fmt}")
def download_form(
    request: Request,
    plan_id: PathId,
    kind: str,
    fmt: str,
    draft: bool = False,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    try:
        from forms.render import render as render_form
    except ImportError:
        raise HTTPException(404, "表件產生功能尚未提供。") from None
    county = db.get(County, plan.county_id)
    try:
        body = render_form(
            db, kind, county.name, plan.year, fmt, draft=draft, loaded=lambda: end_reading(request)
        )
    except FormInvalid as invalid:
        raise HTTPException(422, str(invalid) + "（可改下載草稿版）") from None
    except JingjinError as error:
        raise HTTPException(422, str(error)) from None
    name = (
        f"{plan.year}-{county.name}-{KIND_LABELS.get(kind, kind)}{'-草稿' if draft else ''}.{fmt}"
    )
    from urllib.parse import quote

    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    return Response(body, media_type=MIME.get(fmt, "application/octet-stream"), headers=headers)
