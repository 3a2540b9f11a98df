"""My work, the list of one kind of item (with bulk actions), and findings."""

from dataclasses import replace

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlmodel import Session, col, select

from model.tables import County, Finding, Plan, ProgrammeYear, User
from states import plan as plan_states
from states import purchase as purchase_states
from states.errors import Refusal
from states.values import ItemType, Role
from web.access import (
    lifecycle_for,
    may_see_county,
    may_write,
    require_writer,
    scope_county,
    sees_all,
)
from web.bounds import QueryId, form_id
from web.confirmation import needs_confirmation
from web.deps import current_user, flash, get_db, render
from web.export import Table, download, too_many
from web.items import count_in_scope, county_names, item_title, items_in_scope, page_of
from web.listing import (
    DUE_WITHIN_CHOICES,
    EXPORT_MAX,
    PAGE_SIZES,
    Filters,
    Viewer,
    amount_column,
    holder_expr,
    item_conditions,
    item_sort_columns,
    next_due_table,
    ordering,
    read_filters,
    tag,
    user_names,
)
from web.work import (
    actionable,
    county_overdue,
    due_soon,
    open_findings,
    overdue,
    state_counts,
    totals,
    viewer_for,
)
from web.years import programme_year
from workflow.lifecycles import LIFECYCLES

router = APIRouter()

FINDING_ROLES = frozenset({Role.ministry_reviewer, Role.county_supervisor})


MILESTONES_SHOWN = 50  # as many as _milestones.html shows; the rest are counted
ITEM_HEADER = ["項目", "名稱", "縣市", "狀態", "負責人", "金額（新臺幣，元）", "最近期限", "年度"]


def _filters(request: Request, db: Session, user: User) -> tuple[Filters, Viewer, int]:
    day = request.app.state.today()
    current = programme_year(db, day)
    f = read_filters(request.query_params, current)
    viewer = viewer_for(db, user, scope_county(user), day, f.year or current)
    return f, viewer, current


def _filter_context(db: Session, user: User, f: Filters, viewer: Viewer, current: int) -> dict:
    """The choices of the filter form, each with its zh-TW label."""
    county = viewer.county_id if viewer.county_id is not None else f.county
    owners = []
    if county is not None:
        owners = db.exec(
            select(User.id, User.display_name)
            .where(User.county_id == county, col(User.active))
            .order_by(User.display_name, User.id)
        ).all()
    years = list(db.exec(select(ProgrammeYear.year).order_by(col(ProgrammeYear.year).desc())))
    return {
        "f": f,
        "viewer": viewer,
        "current_year": current,
        "years": years or [current],
        "owners": owners,
        "county_choices": county_names(db) if sees_all(user) else {},
        "due_choices": DUE_WITHIN_CHOICES,
        "page_sizes": PAGE_SIZES,
    }


@router.get("/")
def my_work(request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)):
    county = scope_county(user)
    day = request.app.state.today()
    f, viewer, current = _filters(request, db, user)
    shown, todo = actionable(db, user, f, viewer)
    context = {
        "counts": state_counts(db, county),
        "totals": totals(db, county, day),
        "todo": todo,
        "page": shown,
        "kinds": {str(t): lc.label for t, lc in LIFECYCLES.items()},
        "overdue": overdue(db, county, day, limit=MILESTONES_SHOWN),
        "due_soon": due_soon(db, county, day, limit=MILESTONES_SHOWN),
        "findings": open_findings(db, county),
        "counties": county_names(db),
        "today": day,
        "may_ack": Role(user.role) in FINDING_ROLES,
        "may_see_overdue": _may_see_overdue(user),
        **_filter_context(db, user, f, viewer, current),
    }
    return render(request, "work.html", context, user=user)


@router.get("/items/{item_type}")
def item_list(
    request: Request,
    item_type: str,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    return list_page(request, db, user, item_type)


def _item_query(db: Session, user: User, lifecycle, f: Filters, viewer: Viewer):
    """The list's scope, filters and order (web.listing) for items_in_scope."""
    county = viewer.county_id if viewer.county_id is not None else f.county
    states = [f.state] if f.state else None
    where = item_conditions(lifecycle, f, viewer, state=False)
    table, item_type = lifecycle.table, str(lifecycle.item_type)
    due = next_due_table(item_type, county)
    order = ordering(item_sort_columns(lifecycle, due), f, "item", table.id)
    extra = [holder_expr(table, item_type), due.c.due]
    return county, states, where, order, extra, [(due, due.c.item_id == table.id)]


def _item_rows(db: Session, lifecycle, rows, viewer: Viewer) -> list[dict]:
    names = user_names(db, [holder for _, holder, _ in rows])
    amount = amount_column(lifecycle.table)
    return [
        {
            "row": row,
            "title": item_title(lifecycle, row),
            "holder": names.get(holder, ""),
            "tag": tag(holder, viewer, names),
            "due": due,
            "late": due is not None and due < viewer.today,
            "amount": getattr(row, amount.key) if amount is not None else None,
        }
        for row, holder, due in rows
    ]


def list_page(
    request: Request,
    db: Session,
    user: User,
    item_type: str,
    *,
    refusals: list[Refusal] | None = None,
    values: dict[str, str] | None = None,
    bulk_problem: str = "",
    status_code: int = 200,
):
    """One kind of item in the person's scope, with its creation form where they may create."""
    lifecycle = lifecycle_for(item_type)
    f, viewer, current = _filters(request, db, user)
    county, states, where, order, extra, outer = _item_query(db, user, lifecycle, f, viewer)
    shown = page_of(f.page, count_in_scope(db, lifecycle, county, states, where), f.size)
    rows = items_in_scope(db, lifecycle, county, states=states, where=where, order=order,
                          extra=extra, outer=outer, offset=shown.offset, limit=shown.size)  # fmt: skip
    role = Role(user.role)
    state = f.state
    events = lifecycle.events_from(state) if state in lifecycle.machine.states_map else []
    bulk = [lifecycle.steps[e] for e in events if e in lifecycle.steps]
    bulk = [s for s in bulk if s.evidence is None and role in s.roles and may_write(user)]
    # A step that needs its confirmation page is taken one item at a time.
    bulk = [s for s in bulk if not needs_confirmation(lifecycle.item_type, s.event)]
    table = lifecycle.table
    context = {
        "item_type": item_type,
        "lifecycle": lifecycle,
        "rows": _item_rows(db, lifecycle, rows, viewer),
        "state": state,
        "page": shown,
        "states": [(s.id, s.name) for s in lifecycle.machine.states],
        "bulk_steps": bulk,
        "bulk_problem": bulk_problem,
        "counties": county_names(db),
        "year": current,
        "has_title": hasattr(table, "title"),
        "has_amount": amount_column(table) is not None,
        "create": creation_offer(db, user, item_type, current),
        "refusals": refusals or [],
        "values": values or {},
        **_filter_context(db, user, f, viewer, current),
    }
    return render(request, "items.html", context, user=user, status_code=status_code)


@router.get("/export/items/{item_type}")
def export_items(
    request: Request,
    item_type: str,
    format: str = "csv",
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    """Every page of what the list shows (its filters and order), up to EXPORT_MAX rows."""
    lifecycle = lifecycle_for(item_type)
    f, viewer, _ = _filters(request, db, user)
    county, states, where, order, extra, outer = _item_query(db, user, lifecycle, f, viewer)
    too_many(count_in_scope(db, lifecycle, county, states, where), EXPORT_MAX)
    rows = items_in_scope(db, lifecycle, county, states=states, where=where, order=order,
                          extra=extra, outer=outer, limit=EXPORT_MAX)  # fmt: skip
    counties = county_names(db)
    table = Table(lifecycle.label, ITEM_HEADER, [
        [lifecycle.item_name(r["row"].id), getattr(r["row"], "title", None),
         counties.get(r["row"].county_id, ""), lifecycle.state_label(r["row"].status),
         r["holder"], r["amount"], r["due"], r["row"].year]
        for r in _item_rows(db, lifecycle, rows, viewer)
    ])  # fmt: skip
    return download(table, format)


# ------------------------------------------------------------------ one county's overdue
def _may_see_overdue(user: User) -> bool:
    return sees_all(user) or Role(user.role) == Role.county_supervisor


def _overdue_county(db: Session, user: User, county: int | None) -> County:
    if not _may_see_overdue(user):
        raise HTTPException(403, "逾期清單僅供教育部與縣市主管檢視。")
    found = db.get(County, county) if county is not None else None
    if found is None or not may_see_county(user, found.id):
        raise HTTPException(404, "找不到此縣市的逾期清單。")
    return found


OVERDUE_HEADER = [
    "事項",
    "種類",
    "負責人",
    "期限",
    "逾期天數",
    "逾期工作天數",
    "金額（新臺幣，元）",
]


@router.get("/overdue")
def overdue_page(
    request: Request,
    county: QueryId = None,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    """One county's overdue deadlines, longest overdue first: where escalation mails lead."""
    found = _overdue_county(db, user, county)
    f, viewer, current = _filters(request, db, user)
    shown, rows = county_overdue(db, found.id, f, viewer)
    context = {"county": found, "page": shown, "rows": rows, "f": f, "today": viewer.today,
               "page_sizes": PAGE_SIZES, "current_year": current}  # fmt: skip
    return render(request, "overdue.html", context, user=user)


@router.get("/export/overdue")
def export_overdue(
    request: Request,
    county: QueryId = None,
    format: str = "csv",
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    found = _overdue_county(db, user, county)
    f, viewer, _ = _filters(request, db, user)
    shown, _ = county_overdue(db, found.id, replace(f, page=1, size=1), viewer)
    too_many(shown.total, EXPORT_MAX)
    _, rows = county_overdue(db, found.id, replace(f, page=1, size=EXPORT_MAX), viewer)
    table = Table(f"{found.name}逾期清單", OVERDUE_HEADER, [
        [r.milestone.title, r.kind_label, r.owner_name, r.milestone.due_on, r.days_late,
         r.working_days_late, r.amount]
        for r in rows
    ])  # fmt: skip
    return download(table, format)


def creation_offer(db: Session, user: User, item_type: str, year: int) -> str | None:
    """Which creation form the list shows this person: 'purchase', 'plan' or None."""
    if not may_write(user) or user.county_id is None:
        return None
    role = Role(user.role)
    if item_type == ItemType.purchase and role in purchase_states.CREATE.roles:
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
        finding_id = form_id(raw)
        finding = db.get(Finding, finding_id) if finding_id else None
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
