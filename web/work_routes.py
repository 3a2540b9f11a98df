"""My work, the list of one kind of item (with bulk actions), and findings."""

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlmodel import Session, select

from model.tables import Finding, Plan, User
from states import plan as plan_states
from states.errors import Refusal
from states.steps import COUNTY_ROLES
from states.values import ItemType, Role
from web.access import lifecycle_for, may_see_county, may_write, require_writer, scope_county
from web.deps import current_user, flash, get_db, render
from web.items import count_in_scope, county_names, item_title, items_in_scope, page_of
from web.work import actionable, due_soon, open_findings, overdue, state_counts, totals
from web.years import programme_year

router = APIRouter()

FINDING_ROLES = frozenset({Role.ministry_reviewer, Role.county_supervisor})
TODO_SHOWN = 100  # the rest are a click away in each kind's list


@router.get("/")
def my_work(request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)):
    county = scope_county(user)
    day = request.app.state.today()
    context = {
        "counts": state_counts(db, county),
        "totals": totals(db, county, day),
        "todo": actionable(db, user, county, day),
        "todo_shown": TODO_SHOWN,
        "overdue": overdue(db, county, day),
        "due_soon": due_soon(db, county, day),
        "findings": open_findings(db, county),
        "counties": county_names(db),
        "today": day,
        "may_ack": Role(user.role) in FINDING_ROLES,
    }
    return render(request, "work.html", context, user=user)


@router.get("/items/{item_type}")
def item_list(
    request: Request,
    item_type: str,
    state: str = "",
    page: int = 1,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    return list_page(request, db, user, item_type, state, page=page)


def list_page(
    request: Request,
    db: Session,
    user: User,
    item_type: str,
    state: str = "",
    *,
    page: int = 1,
    refusals: list[Refusal] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
):
    """One kind of item in the person's scope, with its creation form where they may create."""
    lifecycle = lifecycle_for(item_type)
    county, states = scope_county(user), [state] if state else None
    shown = page_of(page, count_in_scope(db, lifecycle, county, states))
    rows = items_in_scope(db, lifecycle, county, states=states, offset=shown.offset)
    role = Role(user.role)
    events = lifecycle.events_from(state) if state in lifecycle.machine.states_map else []
    bulk = [lifecycle.steps[e] for e in events if e in lifecycle.steps]
    bulk = [s for s in bulk if s.evidence is None and role in s.roles]
    year = programme_year(db, request.app.state.today())
    context = {
        "item_type": item_type,
        "lifecycle": lifecycle,
        "rows": [(r, item_title(lifecycle, r)) for r in rows],
        "state": state,
        "page": shown,
        "states": [(s.id, s.name) for s in lifecycle.machine.states],
        "bulk_steps": bulk,
        "counties": county_names(db),
        "year": year,
        "create": creation_offer(db, user, item_type, year),
        "refusals": refusals or [],
        "values": values or {},
    }
    return render(request, "items.html", context, user=user, status_code=status_code)


def creation_offer(db: Session, user: User, item_type: str, year: int) -> str | None:
    """Which creation form the list shows this person: 'purchase', 'plan' or None."""
    if not may_write(user) or user.county_id is None:
        return None
    role = Role(user.role)
    if item_type == ItemType.purchase and role in COUNTY_ROLES:
        return "purchase"
    if item_type == ItemType.plan and role in plan_states.CREATE.roles:
        has_plan = db.exec(
            select(Plan.id).where(Plan.county_id == user.county_id, Plan.year == year)
        ).first()
        return None if has_plan else "plan"
    return None


@router.post("/findings/acknowledge")
async def acknowledge_findings(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_writer(user)
    if Role(user.role) not in FINDING_ROLES:
        raise HTTPException(403, "只有教育部承辦或縣市主管可以確認查核發現。")
    form = await request.form()
    results = []
    for raw in form.getlist("ids"):
        finding = db.get(Finding, int(raw)) if str(raw).isdigit() else None
        results.append((raw, _acknowledge(user, finding)))
    db.commit()
    done = sum(1 for _, problem in results if problem is None)
    problems = [f"#{i}：{p}" for i, p in results if p]
    flash(
        request,
        f"已確認 {done} 筆查核發現。" + ("；".join(problems) and "未處理：" + "；".join(problems)),
    )
    return _back(request)


def _acknowledge(user: User, finding: Finding | None) -> str | None:
    """Each finding is checked on its own: visible, still open, not yet acknowledged."""
    if finding is None or not may_see_county(user, finding.county_id):
        return "找不到此查核發現。"
    if finding.resolved_on is not None:
        return "此查核發現已解除。"
    if finding.acknowledged_by is not None:
        return "此查核發現已有人確認。"
    finding.acknowledged_by = user.id
    return None


def _back(request: Request):
    from fastapi.responses import RedirectResponse

    return RedirectResponse("/", status_code=303)
