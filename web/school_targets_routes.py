"""各校目標達成情形: each school's 數位學習工作坊(一)(二) trained teachers against its 編制
(伍、三、(三)2.(2)) and its learning devices against 貳、二, the schools short listed first;
and the form that records a workshop session with its sign-in sheet."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from model.tables import County, User
from rules import load_rules
from rules.errors import JingjinError
from rules.school_targets import PART_LABELS, all_met
from states.activity import ActivityKind
from states.errors import TransitionRefused
from states.steps import COUNTY_ROLES
from web.access import may_write, require_role, role_of, sees_all
from web.activity_routes import _county
from web.bounds import QueryId, QueryYear
from web.deps import current_user, flash, get_db, render
from web.form_input import FieldProblems, day, text, typed_values
from web.years import programme_year
from workflow.activities import record_activity
from workflow.school_targets import device_standings, workshop_standings

router = APIRouter()

PAGE = "/targets/schools"
PART_CHOICES = {"1": (1,), "2": (2,), "1,2": (1, 2)}
PART_CHOICE_LABELS = {"1": PART_LABELS[1], "2": PART_LABELS[2], "1,2": "(一)及(二)同日辦理"}


def _rules(year: int):
    try:
        return load_rules(year)
    except JingjinError:
        raise HTTPException(404, f"沒有 {year} 年度的規則，無法計算達成情形。") from None


def _page(request, db, user, county, year, *, values=None, refusals=None, status_code=200):
    rules = _rules(year)
    context = {
        "county": county,
        "year": year,
        "counties": list(db.exec(select(County).order_by(County.id))) if sees_all(user) else [],
        "values": values or {},
        "refusals": refusals or [],
        "part_choices": PART_CHOICE_LABELS,
        "from_year": rules.targets.workshop_counted_from_year,
        "devices_rule": rules.targets.devices,
        "today": request.app.state.today(),
    }
    if county is not None:
        workshops = workshop_standings(db, county.id, rules)
        devices = device_standings(db, county.id, rules)
        # The schools short first, then the rest, each in the 附錄's order.
        context |= {
            "workshops": sorted(workshops, key=lambda s: s.met),
            "workshop_short": sum(1 for s in workshops if not s.met),
            "workshop_met": all_met(workshops),
            "devices": sorted(devices, key=lambda s: s.met),
            "devices_short": sum(1 for s in devices if not s.met),
            "devices_met": all_met(devices),
            "may_record": may_write(user) and role_of(user) in COUNTY_ROLES
                          and user.county_id == county.id,
        }  # fmt: skip
    return render(request, "school_targets.html", context, user=user, status_code=status_code)


@router.get(PAGE)
def school_targets_page(
    request: Request,
    county_id: QueryId = None,
    year: QueryYear = None,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    county = _county(db, user, county_id)
    year = year or programme_year(db, request.app.state.today())
    return _page(request, db, user, county, year)


@router.post(f"{PAGE}/workshop")
async def record_workshop(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
):
    require_role(user, COUNTY_ROLES, "工作坊出席名單由縣市推動辦公室人員登錄。")
    county = db.get(County, user.county_id)  # always the person's own county
    year = programme_year(db, request.app.state.today())
    form = await request.form()
    problems = FieldProblems()
    held_on = day(form, "held_on", "辦理日期", problems)
    parts = PART_CHOICES.get(text(form, "parts"), ())
    refusals = problems.refusals
    if not refusals:
        try:
            recorded = record_activity(
                db, user, ActivityKind.workshop.value, year=year, county_id=county.id,
                held_on=held_on, evidence_ref=text(form, "evidence_ref"), parts=parts,
                attendees=form.get("attendees") or "", today=request.app.state.today(),
            )  # fmt: skip
        except TransitionRefused as refused:
            refusals = refused.refusals
    if refusals:
        db.rollback()
        return _page(request, db, user, county, year, values=typed_values(form),
                     refusals=refusals, status_code=422)  # fmt: skip
    db.commit()
    row = recorded.activity
    message = f"已登錄數位學習工作坊：本縣市學校教師 {row.teachers:,} 位"
    if recorded.outsiders:
        message += (
            f"；另 {recorded.outsiders:,} 位的學校不在本縣市附錄名單（如國立學校、他縣市學校），"
            "已登錄出席但不計入培訓教師數"
        )
    flash(request, message + "。")
    return RedirectResponse(PAGE, status_code=303)
