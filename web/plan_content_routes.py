"""The plan's sections (壹…柒), its target numbers (量化指標) and the county's figures for
the ministry's estimate (研習場次, 代課節數 …), edited in the browser while the plan is a
draft or returned; workflow.plans.update_plan_draft stores them.

Sections may be saved half-written (a draft is work in progress); what still blocks
submission is shown beside each field. A target that is not a whole number is refused
and nothing is stored.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from forms.errors import FormInvalid
from forms.plan_form import PlanSectionsForm
from model.tables import County, Plan, User
from rules import load_rules
from rules.targets import targets as minimum_targets
from states import plan as plan_states
from states.errors import Refusal, TransitionConflict, TransitionRefused
from states.values import ItemType, Role
from vocab.labels import TARGET_LABELS
from vocab.outline import PLAN_SECTIONS, section_heading
from web.access import lifecycle_for, may_write, require_role
from web.bounds import PathId, form_version
from web.deps import current_user, flash, get_db, render
from web.form_input import FieldProblems, typed_values, whole
from web.plans import visible_plan
from workflow.plan_estimate import school_facts
from workflow.plans import update_plan_draft

router = APIRouter()

SECTION_FIELD = "section."
TARGET_FIELD = "target."
INPUT_FIELD = "input."
# What the county chooses for the ministry's estimate (workflow.plan_estimate.ESTIMATE_INPUTS).
INPUT_LABELS = {
    "workshops": "教師增能研習場次",
    "companion_schools": "入校入班陪伴參與校數",
    "devices": "既有學習載具臺數",
    "mdm_fee": "每臺 4 年 MDM 授權費（元）",
    "periods_per_school": "每校代理代課節數",
}


def may_edit_content(user: User, plan: Plan) -> bool:
    return (
        may_write(user)
        and Role(user.role) in plan_states.EDIT.roles
        and user.county_id == plan.county_id
        and plan.status in plan_states.EDITABLE_STATES
    )


def minimums(db: Session, plan: Plan) -> dict[str, int]:
    return minimum_targets(school_facts(db, plan.county_id, plan.year), load_rules(plan.year))


def _section_warnings(sections: dict) -> dict[str, str]:
    try:
        PlanSectionsForm.parse(sections)
    except FormInvalid as invalid:
        return {key.split(".")[0]: message for key, message in invalid.fields.items()}
    return {}


def _target_warnings(chosen: dict, least: dict[str, int]) -> dict[str, str]:
    out = {}
    for key, minimum in least.items():
        value = chosen.get(key)
        if not isinstance(value, int):
            out[key] = f"尚未填寫（至少 {minimum:,}）。"
        elif value < minimum:
            out[key] = f"低於本年度最低要求 {minimum:,}，送出審查時會被退回。"
    return out


def blocking(db: Session, plan: Plan) -> int:
    """How many sections and targets would still stop the plan being submitted."""
    least = minimums(db, plan)
    return len(_section_warnings(plan.sections)) + len(_target_warnings(plan.targets, least))


def _page(request, db, user, plan, *, values=None, problems=None, refusals=None,
          conflict=None, status_code=200):  # fmt: skip
    values, problems = values or {}, problems or {}
    least = minimums(db, plan)
    section_warnings = _section_warnings(plan.sections)
    target_warnings = _target_warnings(plan.targets, least)
    sections = [
        (key, section_heading(key, plan.year),
         values.get(SECTION_FIELD + key, plan.sections.get(key) or ""),
         problems.get(SECTION_FIELD + key), section_warnings.get(key))
        for key in PLAN_SECTIONS
    ]  # fmt: skip
    targets = [
        (key, label, values.get(TARGET_FIELD + key, plan.targets.get(key, "")), least.get(key),
         problems.get(TARGET_FIELD + key), target_warnings.get(key))
        for key, label in TARGET_LABELS.items()
    ]  # fmt: skip
    inputs = [
        (key, label, values.get(INPUT_FIELD + key, plan.inputs.get(key, "")),
         problems.get(INPUT_FIELD + key))
        for key, label in INPUT_LABELS.items()
    ]  # fmt: skip
    context = {
        "plan": plan,
        "county": db.get(County, plan.county_id),
        "sections": sections,
        "inputs": inputs,
        "targets": targets,
        "editable": may_edit_content(user, plan),
        "refusals": refusals or [],
        "conflict": conflict,
        "blocking": len(section_warnings) + len(target_warnings),
        "state_label": lifecycle_for(ItemType.plan).state_label(str(plan.status)),
    }
    return render(request, "plan_content.html", context, user=user, status_code=status_code)


@router.get("/plans/{plan_id}/content")
def content_page(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    return _page(request, db, user, visible_plan(db, user, plan_id))


def _read(form, plan: Plan, problems: FieldProblems) -> tuple[dict, dict, dict]:
    sections = {}
    for key in PLAN_SECTIONS:
        raw = form.get(SECTION_FIELD + key)
        if isinstance(raw, str):  # browsers send CRLF; store the text as typed, with LF
            sections[key] = raw.replace("\r\n", "\n").strip()
    chosen = {}
    for key, label in TARGET_LABELS.items():
        name = TARGET_FIELD + key
        value = whole(form, name, label, problems)
        if value is not None:
            chosen[key] = value
        elif name not in problems and isinstance(plan.targets.get(key), int):
            problems.add(name, f"「{label}」已填過，不能清空；請填入數字。")
    inputs = {}
    for key, label in INPUT_LABELS.items():
        value = whole(form, INPUT_FIELD + key, label, problems)
        if value is not None:
            inputs[key] = value
    return sections, chosen, inputs


@router.post("/plans/{plan_id}/content")
async def save_content(
    request: Request,
    plan_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    plan = visible_plan(db, user, plan_id)
    require_role(user, plan_states.EDIT.roles, "計畫內容由本縣市推動辦公室人員編修。")
    form = await request.form()
    values, problems = typed_values(form), FieldProblems()
    sections, chosen, inputs = _read(form, plan, problems)
    raw_version = str(form.get("expected_version", ""))
    version = form_version(raw_version)
    version = -1 if version is None else version  # a form without it is stale

    def again(refusals: list[Refusal], conflict=None, status=422):
        db.rollback()
        fresh = db.get(Plan, plan_id, populate_existing=True)
        return _page(request, db, user, fresh, values=values, problems=problems,
                     refusals=refusals, conflict=conflict, status_code=status)  # fmt: skip

    if problems:
        return again(problems.refusals)
    try:
        update_plan_draft(db, user, plan.id, sections=sections, targets=chosen, inputs=inputs,
                          expected_version=version)  # fmt: skip
    except TransitionRefused as refused:
        return again(refused.refusals)
    except TransitionConflict as conflict:
        return again([], conflict=str(conflict), status=409)
    db.commit()
    db.refresh(plan)
    left = blocking(db, plan)
    note = f"；送出前仍須補正 {left} 處" if left else ""
    flash(request, "計畫內容已儲存" + note + "。", "warn" if left else "ok")
    return RedirectResponse(f"/plans/{plan_id}/content", status_code=303)
