"""One item: its state, the steps this person may take, evidence, history and diagram."""

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from model.accounts import Handover
from model.file_types import evidence_problem
from model.files import FILE_KINDS, MAX_FILE_BYTES, EvidenceFile
from model.tables import BudgetChange, BudgetLine, Milestone, Plan, Reimbursement, User
from notifications.event_mail import on_handover
from rules import load_rules
from rules.errors import InputError
from rules.settlement import Statement, statement, statement_from_dict
from states import budget_change as change_states
from states import reimbursement as reimbursement_states
from states.errors import Refusal, TransitionConflict, TransitionRefused, UnknownEvent
from states.plan import APPROVED_STATES
from states.steps import Step, access_refusals
from states.values import ItemType, Role
from web.access import (
    lifecycle_for,
    may_see_county,
    may_write,
    require_writer,
    visible_item,
)
from web.bounds import PathId, form_id, form_version
from web.confirmation import needs_confirmation
from web.deadlines import Deadline, late_notes, step_deadlines
from web.deps import current_user, flash, get_db, render
from web.evidence_form import FieldSpec, field_specs, read_evidence, shown_day
from web.facts import item_sheet
from web.item_milestones import STATE_LABELS, milestone_panel
from web.items import county_names, diagram_svg, full_history, holder_id, item_files, item_title
from web.refusal_fields import Placed, place, required_fields
from web.work_routes import list_page
from workflow.reimbursements import approved_lines, plan_figures
from workflow.service import Lifecycle, actor_of, advance, item_county

router = APIRouter()


def _url(item_type: str, item_id: PathId) -> str:
    return f"/items/{item_type}/{item_id}"


@dataclass
class ActionForm:
    """One step this person may take now, with what its form needs."""

    step: Step
    fields: list[FieldSpec]
    deadlines: list[Deadline]
    late_today: list[str]  # said on the form already when today is past a deadline
    required: set[str]
    confirm: bool


def _actions(db: Session, item_type: str, lifecycle: Lifecycle, row, user: User, today: date):
    """The steps this person may take now, as forms; the others are only named."""
    mine, others = [], []
    for event in lifecycle.events_from(str(row.status)):
        step = lifecycle.steps.get(event)
        if step is None:
            continue
        if may_write(user) and Role(user.role) in step.roles:
            fields = field_specs(step.evidence)
            required = {f.name for f in fields if f.required} | required_fields(step)
            if step.reason_required:
                required.add("reason")
            deadlines = step_deadlines(db, item_type, row, step)
            late = late_notes(deadlines, today)
            confirm = needs_confirmation(item_type, event)
            mine.append(ActionForm(step, fields, deadlines, late, required, confirm))
        else:
            others.append(step)
    return mine, others


def unconfirmed(step: Step) -> Refusal:
    return Refusal(
        "transition.confirm", f"「{step.title}」須在項目頁面逐件確認內容後送出，不能批次執行。"
    )


def _colleagues(db: Session, county_id: int | None) -> list[User]:
    query = select(User).where(User.county_id == county_id, User.active).order_by(User.id)
    return list(db.exec(query))


def render_item(
    request: Request,
    db: Session,
    user: User,
    item_type: str,
    row,
    *,
    refusals: list[Refusal] | None = None,
    conflict: str | None = None,
    open_event: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
):
    lifecycle = lifecycle_for(item_type)
    state = str(row.status)
    county = item_county(db, row)
    today = request.app.state.today()
    mine, others = _actions(db, item_type, lifecycle, row, user, today)
    refusals = refusals or []
    open_form = next((a for a in mine if a.step.event == open_event), None)
    placed = place(refusals, _field_names(open_form)) if open_form else Placed(top=refusals)
    holder = holder_id(db, item_type, row)
    milestones = milestone_panel(db, item_type, row.id, today, _page_number(request))
    settlement = settlement_facts(db, row) if item_type == ItemType.reimbursement else None
    typed = None
    if settlement and open_form and values:
        typed = typed_statement(settlement, read_evidence(open_form.step.evidence, values)[0])
    context = {
        "item_type": item_type,
        "lifecycle": lifecycle,
        "row": row,
        "title": item_title(lifecycle, row),
        "state_label": lifecycle.state_label(state),
        "county_name": county_names(db).get(county, ""),
        "holder": db.get(User, holder) if holder else None,
        "actions": mine,
        "others": others,
        "history": full_history(db, lifecycle, row),
        "files": item_files(db, item_type, row.id),
        "file_kinds": FILE_KINDS,
        "diagram": diagram_svg(lifecycle, state),
        "milestones": milestones,
        "milestone_states": STATE_LABELS,
        "today": today,
        "refusals": placed.top,
        "placed": placed,
        "conflict": conflict,
        "open_event": open_event,
        "values": values or {},
        "colleagues": _colleagues(db, county) if Role(user.role) == Role.county_supervisor else [],
        "evidence_items": _evidence_items(row),
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "plan_tools": plan_tools(db, user, row) if item_type == ItemType.plan else None,
        "facts": item_sheet(db, item_type, row),
        "settlement": settlement,
        "typed_statement": typed,
    }
    return render(request, "item.html", context, status_code=status_code, user=user)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("milestones_page", "")
    return int(raw) if raw.isdigit() else 1


def _field_names(action: ActionForm) -> set[str]:
    return {f.name for f in action.fields} | {"reason"}


def settlement_facts(db: Session, row: Reimbursement) -> dict[str, Any]:
    """What the 收支結算表 is computed from (A, B, C), the approved lines beside which the
    spending is typed, and the statement as last submitted or settled."""
    rules = load_rules(row.year)
    lines = approved_lines(db, row.plan_id)
    A, B = plan_figures(db, row, rules, lines)
    evidence = row.evidence or {}
    stored = evidence.get("statement") or evidence.get("submitted_statement")
    return {
        "A": A,
        "B": B,
        "C": row.disbursed,
        "approved": lines,
        "spending": evidence.get("spending", {}),
        "statement": statement_from_dict(stored) if stored else None,
        "settled": "statement" in evidence,
    }


def typed_statement(facts: dict[str, Any], evidence: dict[str, Any] | None) -> Statement | None:
    """The 收支結算表 of the spending typed, computed by the rules' own arithmetic."""
    spending = (evidence or {}).get("spending") or {}
    try:
        E = sum(int(v) for line in spending.values() for v in line.values())
        return statement(facts["A"], facts["B"], facts["C"], E)
    except (InputError, TypeError, ValueError):
        return None


def plan_tools(db: Session, user: User, plan: Plan) -> dict[str, Any]:
    """What a plan's page offers beyond its steps: its reimbursement and budget changes,
    and the forms to create them where this person's role may (the model re-checks)."""
    approved = plan.status in APPROVED_STATES

    def may(step: Step) -> bool:
        return may_write(user) and not access_refusals(step, actor_of(user), plan.county_id)

    reimbursement = db.exec(select(Reimbursement).where(Reimbursement.plan_id == plan.id)).first()
    changes = db.exec(
        select(BudgetChange).where(BudgetChange.plan_id == plan.id).order_by(BudgetChange.id)
    ).all()
    return {
        "reimbursement": reimbursement,
        "changes": changes,
        "change_label": lifecycle_for(ItemType.budget_change).state_label,
        "may_reimburse": may(reimbursement_states.CREATE) and approved and reimbursement is None,
        "may_request_change": may(change_states.REQUEST) and approved,
    }


def _evidence_items(row) -> list[tuple[str, Any]]:
    evidence = getattr(row, "evidence", None) or {}
    return list(evidence.items()) if isinstance(evidence, dict) else []


@router.get("/items/{item_type}/{item_id}")
def item_page(
    request: Request,
    item_type: str,
    item_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    row = visible_item(db, user, lifecycle_for(item_type), item_id)
    return render_item(request, db, user, item_type, row)


async def read_upload(
    form, user: User, county_id: int
) -> tuple[EvidenceFile | None, list[Refusal]]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, []
    content = await upload.read(MAX_FILE_BYTES + 1)
    if not content:
        return None, [Refusal("file.empty", f"檔案「{upload.filename}」是空的。")]
    if len(content) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return None, [Refusal("file.too_large", f"檔案「{upload.filename}」超過 {limit} MB 上限。")]
    problem = evidence_problem(upload.filename, upload.content_type, content)
    if problem:
        return None, [Refusal("file.type", problem)]
    kind = str(form.get("file_kind", "other"))
    stored = EvidenceFile(
        item_type="",
        item_id=0,
        county_id=county_id,
        kind=kind if kind in FILE_KINDS else "other",
        filename=upload.filename[-255:],
        content_type=(upload.content_type or "application/octet-stream")[:128],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=user.id,
    )
    return stored, []


def _version(form) -> int | None:
    return form_version(form.get("expected_version"))


@router.post("/items/{item_type}/{item_id}/events/{event}")
async def take_step(
    request: Request,
    item_type: str,
    item_id: PathId,
    event: str,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    lifecycle = lifecycle_for(item_type)
    row = visible_item(db, user, lifecycle, item_id)
    require_writer(user)
    step = lifecycle.steps.get(event)
    if step is None:
        raise HTTPException(404, "沒有這個動作。")
    form = await request.form()
    evidence, problems = read_evidence(step.evidence, form)
    stored, file_problems = await read_upload(form, user, item_county(db, row))
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    values.pop("confirmed", None)
    values.pop("back", None)

    def again(refusals=None, conflict=None, status=422):
        db.rollback()
        fresh = db.get(lifecycle.table, item_id, populate_existing=True)
        return render_item(request, db, user, item_type, fresh, refusals=refusals, conflict=conflict,
                     open_event=event, values=values, status_code=status)  # fmt: skip

    if form.get("back"):
        return again(status=200)  # 返回修改: the form again, as it was typed
    if problems or file_problems:
        return again(problems + file_problems)
    today = request.app.state.today()
    # Late is said before the step is taken, with the date the person entered.
    day = _entered_day(step, evidence, today)
    lateness = late_notes(step_deadlines(db, item_type, row, step), day)
    confirmed = form.get("confirmed") == "1"
    try:
        entry = advance(
            db, lifecycle, item_id, event, user,
            evidence=evidence, reason=str(form.get("reason", "")),
            letter_no=str(form.get("letter_no", "")).strip() or None,
            expected_version=_version(form), today=today,
        )  # fmt: skip
    except TransitionRefused as refused:
        return again(refused.refusals)
    except TransitionConflict as conflict:
        return again(conflict=str(conflict), status=409)
    except UnknownEvent as unknown:
        return again([Refusal("state.unknown_event", str(unknown))])
    if not confirmed and (needs_confirmation(item_type, event) or lateness):
        # Every rule has passed; nothing is kept until the person confirms what goes.
        db.rollback()
        fresh = db.get(lifecycle.table, item_id, populate_existing=True)
        return confirmation_page(request, db, user, item_type, fresh, step, evidence, values,
                                 lateness)  # fmt: skip
    if stored is not None:
        stored.item_type, stored.item_id, stored.transition_id = item_type, item_id, entry.id
        db.add(stored)
    db.commit()
    late = "（已逾期限，記錄為逾期）" if lateness else ""
    flash(
        request,
        f"已完成「{step.title}」{late}，目前狀態：{lifecycle.state_label(entry.to_state)}。",
    )
    return RedirectResponse(_url(item_type, item_id), status_code=303)


def _entered_day(step: Step, evidence: dict[str, Any] | None, today: date) -> date:
    """The step's own date as entered (read_evidence gives it as ISO), else today: the
    day its deadlines will record as met (workflow.service.step_day)."""
    raw = (evidence or {}).get(step.dated_by) if step.dated_by else None
    return date.fromisoformat(raw) if isinstance(raw, str) and raw else today


def confirmation_page(request, db, user, item_type, row, step, evidence, values, lateness):
    lifecycle = lifecycle_for(item_type)
    facts = _confirm_facts(db, item_type, row, step, evidence)
    context = {
        "item_type": item_type,
        "row": row,
        "step": step,
        "title": item_title(lifecycle, row),
        "county_name": county_names(db).get(item_county(db, row), ""),
        "facts": facts,
        "lateness": lateness,
        "values": values,
        "statement": facts.pop("statement", None),
        "file_kinds": FILE_KINDS,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "confirm.html", context, user=user)


def _confirm_facts(db, item_type, row, step, evidence) -> dict[str, Any]:
    """What will be sent, as people read it: the item's money and every field entered."""
    out: dict[str, Any] = {"rows": []}
    if item_type == ItemType.plan:
        lines = db.exec(select(BudgetLine).where(BudgetLine.plan_id == row.id)).all()
        total = sum(line.recurrent + line.capital for line in lines)
        out["rows"].append(("申請經費合計", f"{total:,} 元"))
    if item_type == ItemType.reimbursement:
        facts = settlement_facts(db, row)
        out["rows"] += [
            ("核定計畫金額（A）", f"{facts['A']:,} 元"),
            ("核定補助金額（B）", f"{facts['B']:,} 元"),
            ("已撥付金額（C）", f"{facts['C']:,} 元"),
        ]
        if step.event in ("submit_settlement", "resubmit_settlement"):
            out["statement"] = typed_statement(facts, evidence)
    for spec in field_specs(step.evidence):
        value = (evidence or {}).get(spec.name)
        if spec.kind in ("spending", "rows") or value in (None, "", []):
            continue
        out["rows"].append((spec.label, _shown(spec, value)))
    return out


def _shown(spec: FieldSpec, value: Any) -> str:
    if spec.kind == "date":
        return shown_day(str(value))
    if spec.kind == "int":
        return f"{value:,}"
    if spec.kind == "checkbox":
        return "是" if value else "否"
    if spec.kind == "select":
        return dict(spec.options).get(str(value), str(value))
    return str(value)


@router.post("/items/{item_type}/{item_id}/files")
async def upload_file(
    request: Request,
    item_type: str,
    item_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    lifecycle = lifecycle_for(item_type)
    row = visible_item(db, user, lifecycle, item_id)
    require_writer(user)
    form = await request.form()
    stored, problems = await read_upload(form, user, item_county(db, row))
    if stored is None:
        problems = problems or [Refusal("file.missing", "請選擇要上傳的檔案。")]
        return render_item(request, db, user, item_type, row, refusals=problems, status_code=422)
    stored.item_type, stored.item_id = item_type, item_id
    db.add(stored)
    db.commit()
    flash(request, f"已上傳「{stored.filename}」（{stored.size:,} 位元組）。")
    return RedirectResponse(_url(item_type, item_id), status_code=303)


@router.get("/files/{file_id}")
def download_file(
    file_id: PathId, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    stored = db.get(EvidenceFile, file_id)
    if stored is None or not may_see_county(user, stored.county_id):
        raise HTTPException(404, "找不到此檔案。")
    safe = stored.filename.replace('"', "")
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(safe)}",
        "X-Content-SHA256": stored.sha256,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(stored.content, media_type="application/octet-stream", headers=headers)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@router.post("/items/{item_type}/{item_id}/handover")
async def hand_over(
    request: Request,
    item_type: str,
    item_id: PathId,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    lifecycle = lifecycle_for(item_type)
    row = visible_item(db, user, lifecycle, item_id)
    if Role(user.role) != Role.county_supervisor:
        raise HTTPException(403, "只有縣市主管可以交辦項目。")
    form = await request.form()
    target_id = form_id(form.get("to_user_id"))
    target = db.get(User, target_id) if target_id else None
    county = item_county(db, row)
    if target is None or target.county_id != county or not target.active:
        refusal = Refusal("handover.same_county", "只能交辦給同一縣市、仍在職的人員。")
        return render_item(request, db, user, item_type, row, refusals=[refusal], status_code=422)
    previous = holder_id(db, item_type, row)
    handover = Handover(item_type=item_type, item_id=item_id, from_user_id=previous,
                        to_user_id=target.id, by_user_id=user.id,
                        note=str(form.get("note", "")).strip())  # fmt: skip
    db.add(handover)
    if hasattr(row, "owner_id"):
        row.owner_id = target.id
    # The item's open deadlines follow it, so reminders reach the new holder.
    for milestone in db.exec(
        select(Milestone).where(
            Milestone.subject_type == item_type,
            Milestone.subject_id == item_id,
            col(Milestone.done_on).is_(None),
        )
    ):
        milestone.owner_id = target.id
    db.flush()
    on_handover(db, lifecycle, row, handover)  # the new holder's mail, in this transaction
    db.commit()
    flash(request, f"已交辦給 {target.display_name}。")
    return RedirectResponse(_url(item_type, item_id), status_code=303)


@router.post("/bulk/{item_type}/{event}")
async def bulk_step(
    request: Request,
    item_type: str,
    event: str,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    """One step over a selection; every item still passes its own guards, in its own
    transaction, so one refusal or conflict leaves the others as they went."""
    lifecycle = lifecycle_for(item_type)
    require_writer(user)
    step = lifecycle.steps.get(event)
    if step is None:
        raise HTTPException(404, "沒有這個動作。")
    form = await request.form()
    ids = [i for i in map(form_id, form.getlist("ids")) if i is not None]
    if not ids:
        return list_page(request, db, user, item_type, bulk_problem="未選擇任何項目",
                         status_code=422)  # fmt: skip
    reason = str(form.get("reason", ""))
    user_id = user.id
    db.rollback()  # each item gets its own transaction; hold no lock of ours meanwhile
    results = []
    for item_id in ids:
        version = str(form.get(f"v.{item_id}", ""))
        if needs_confirmation(item_type, event):
            # What leaves the county's hands is confirmed item by item, on its own page.
            results.append((item_id, f"#{item_id}", False, [unconfirmed(step)], ""))
            continue
        results.append(_bulk_one(request, lifecycle, item_id, event, user_id, reason, version))
    context = {"lifecycle": lifecycle, "step": step, "results": results, "item_type": item_type}
    return render(request, "bulk_result.html", context, user=user)


def _bulk_one(request, lifecycle, item_id, event, user_id, reason, version):
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        actor = db.get(User, user_id)
        try:
            row = visible_item(db, actor, lifecycle, item_id)
            title = item_title(lifecycle, row)
            advance(db, lifecycle, item_id, event, actor, reason=reason,
                    expected_version=form_version(version),
                    today=request.app.state.today())  # fmt: skip
            db.commit()
            return (item_id, title, True, [], "")
        except HTTPException as missing:
            return (item_id, f"#{item_id}", False, [], str(missing.detail))
        except TransitionRefused as refused:
            db.rollback()
            return (item_id, title, False, refused.refusals, "")
        except TransitionConflict as conflict:
            db.rollback()
            return (item_id, title, False, [], str(conflict))
