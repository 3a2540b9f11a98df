"""活動紀錄: the activities that count toward a county's targets, recorded from a form,
listed, and set beside the target progress they produce (workflow.targets_progress)."""

from dataclasses import dataclass, replace

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, func, select

from model.files import EvidenceFile
from model.tables import Activity, County, School, User
from rules import load_rules
from rules.errors import JingjinError
from states.activity import COUNT_FIELDS, FIELD_LABELS, FLAG_FIELDS, SPECS
from states.errors import TransitionRefused
from states.steps import COUNTY_ROLES
from vocab.labels import TARGET_LABELS
from web.access import may_see_county, may_write, require_role, role_of, sees_all
from web.bounds import QueryYear, form_id
from web.deadlines import done_late_note
from web.deps import current_user, flash, get_db, render
from web.form_input import FieldProblems, day, text, typed_values, whole
from web.item_routes import read_upload
from web.items import Page, page_of
from web.listing import read_filters
from web.years import programme_year
from workflow.activities import record_activity
from workflow.targets_progress import Progress, progress

router = APIRouter()

FILE_ITEM_TYPE = "activity"
KIND_LABELS = {kind.value: spec.label for kind, spec in SPECS.items()}


@dataclass
class ProgressRow:
    key: str
    label: str
    progress: Progress

    @property
    def percent(self) -> int:
        """Bar width in whole percent, capped at 100 (integer arithmetic)."""
        p = self.progress
        if p.achieved is None or p.target <= 0:
            return 0
        return min(100, p.achieved * 100 // p.target)


def kinds_for(field: str) -> str:
    """The activity kinds a form field belongs to, for the page's show/hide script."""
    out = []
    for kind, spec in SPECS.items():
        uses = spec.per_school if field == "school_code" else field in spec.counts | spec.flags
        if uses:
            out.append(kind.value)
    return " ".join(out)


def _county(db: Session, user: User, county_id: int | None) -> County | None:
    """The county shown: a county person's own; the ministry's and auditor's choice."""
    wanted = county_id if county_id is not None else (None if sees_all(user) else user.county_id)
    if wanted is None:
        return None
    county = db.get(County, wanted)
    if county is None or not may_see_county(user, county.id):
        raise HTTPException(404, "找不到此縣市的活動紀錄。")
    return county


def _activities(db: Session, county_id: int, year: int, page: Page) -> list[Activity]:
    query = (
        select(Activity)
        .where(Activity.county_id == county_id, Activity.year == year)
        .order_by(col(Activity.held_on).desc(), col(Activity.id).desc())
        .offset(page.offset)
        .limit(page.size)
    )
    return list(db.exec(query))


def _activity_count(db: Session, county_id: int, year: int) -> int:
    query = select(func.count()).where(Activity.county_id == county_id, Activity.year == year)
    return int(db.exec(query).one())


def _files(db: Session, activities: list[Activity]) -> dict[int, list[EvidenceFile]]:
    ids = [a.id for a in activities]
    out: dict[int, list[EvidenceFile]] = {}
    if not ids:
        return out
    rows = db.exec(
        select(EvidenceFile)
        .where(EvidenceFile.item_type == FILE_ITEM_TYPE, col(EvidenceFile.item_id).in_(ids))
        .order_by(EvidenceFile.id)
    )
    for row in rows:
        out.setdefault(row.item_id, []).append(row)
    return out


def details(activity: Activity) -> str:
    """The counts and yes/no answers the kind records, in words."""
    spec = SPECS.get(activity.kind)
    if spec is None:
        return ""
    parts = [
        f"{FIELD_LABELS[n]} {getattr(activity, n):,}" for n in COUNT_FIELDS if n in spec.counts
    ]
    parts += [f"{FIELD_LABELS[n]}：{'是' if getattr(activity, n) else '否'}" for n in FLAG_FIELDS
              if n in spec.flags]  # fmt: skip
    if activity.semester:
        parts.append(f"學期 {activity.semester}")
    return "；".join(parts)


def _page(request, db, user, county, year, *, values=None, problems=None, refusals=None,
          status_code=200):  # fmt: skip
    context = {
        "county": county,
        "year": year,
        "counties": list(db.exec(select(County).order_by(County.id))) if sees_all(user) else [],
        "refusals": refusals or [],
        "values": values or {},
        "problems": problems or {},
        "kind_labels": KIND_LABELS,
        "field_labels": FIELD_LABELS,
        "count_fields": COUNT_FIELDS,
        "flag_fields": FLAG_FIELDS,
        "kinds_for": kinds_for,
        "details": details,
        "today": request.app.state.today(),
    }
    if county is not None:
        # Only the page's place and size come from the URL: county and year are chosen above.
        f = replace(read_filters(request.query_params, year), county=None, year=year)
        shown = page_of(f.page, _activity_count(db, county.id, year), f.size)
        activities = _activities(db, county.id, year, shown)
        schools = db.exec(
            select(School).where(School.county_id == county.id, School.year == year)
            .order_by(School.seq, School.id)
        ).all()  # fmt: skip
        recorders = {a.recorded_by for a in activities if a.recorded_by}
        context |= {
            "activities": activities,
            "f": f,
            "page": shown,
            "page_extra": f"&county_id={county.id}",
            "files": _files(db, activities),
            "schools": schools,
            "school_names": {s.id: s.name for s in schools},
            "recorders": {u.id: u.display_name for u in db.exec(
                select(User).where(col(User.id).in_(recorders)))} if recorders else {},
            "progress": [ProgressRow(k, TARGET_LABELS.get(k, k), p)
                         for k, p in progress(db, county.id, year).items()],
            "may_record": may_write(user) and role_of(user) in COUNTY_ROLES
                          and user.county_id == county.id,
        }  # fmt: skip
    return render(request, "activities.html", context, user=user, status_code=status_code)


@router.get("/activities")
def activities_page(
    request: Request,
    county_id: str = "",
    year: QueryYear = None,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    # The county picker sends an empty value for 「請選擇」: no county chosen.
    if county_id and form_id(county_id) is None:
        raise HTTPException(
            422, "網址中的「縣市」資料格式不正確（須為數字），請回到上一頁重新選擇。"
        )
    county = _county(db, user, form_id(county_id))
    year = year or programme_year(db, request.app.state.today())
    try:
        load_rules(year)
    except JingjinError:
        raise HTTPException(404, f"沒有 {year} 年度的規則，無法計算達成情形。") from None
    return _page(request, db, user, county, year)


def _read(form, problems: FieldProblems) -> dict:
    kind = text(form, "kind")
    spec = SPECS.get(kind)
    counts = {n: whole(form, n, FIELD_LABELS[n], problems) for n in COUNT_FIELDS}
    # An unticked box is "否" for a kind that asks the question, and not given otherwise.
    flags = {
        n: True if form.get(n) else (False if spec and n in spec.flags else None)
        for n in FLAG_FIELDS
    }
    return dict(
        kind=kind,
        held_on=day(form, "held_on", "辦理日期", problems),
        school_code=text(form, "school_code") or None,
        evidence_ref=text(form, "evidence_ref"),
        **counts,
        **flags,
    )


@router.post("/activities")
async def record(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, COUNTY_ROLES, "活動紀錄由縣市推動辦公室人員登錄。")
    # Always the person's own county: a county in the form or the URL is not trusted.
    county = db.get(County, user.county_id)
    year = programme_year(db, request.app.state.today())
    form = await request.form()
    problems = FieldProblems()
    fields = _read(form, problems)
    stored, file_refusals = await read_upload(form, user, county.id)
    refusals = problems.refusals + file_refusals
    if not refusals:
        try:
            recorded = record_activity(
                db, user, year=year, county_id=county.id, today=request.app.state.today(),
                evidence_sha256=stored.sha256 if stored else None, **fields,
            )  # fmt: skip
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        return _page(request, db, user, county, year, values=typed_values(form),
                     problems=problems, refusals=refusals, status_code=422)  # fmt: skip
    if stored is not None:
        stored.item_type, stored.item_id = FILE_ITEM_TYPE, recorded.activity.id
        db.add(stored)
    db.commit()
    closed = f"，完成 {len(recorded.closed)} 項期限" if recorded.closed else ""
    # Late is said, never silent: the deadline met on the day the activity was held.
    late = "".join(
        f"「{m.title}」{note}"
        for m in recorded.closed
        if m.done_on and (note := done_late_note(m.due_on, m.done_on))
    )
    flash(request, f"已登錄「{KIND_LABELS[fields['kind']]}」{closed}。{late}")
    return RedirectResponse("/activities", status_code=303)
