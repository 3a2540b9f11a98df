"""The ministry's one page over all 22 counties."""

from collections import Counter
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from sqlalchemy import case
from sqlmodel import Session, col, func, select

from model.tables import County, Finding, Milestone, Plan, ProgrammeYear, Purchase, User
from rules import load_rules
from states.values import ItemType, PurchaseState
from web.access import lifecycle_for, require_ministry_view
from web.bounds import QueryYear
from web.deps import current_user, get_db, render
from web.years import default_year

router = APIRouter()

REQUESTED = (PurchaseState.disbursement_requested, PurchaseState.closed)


@dataclass
class CountyRow:
    county: County
    plan: Plan | None
    plan_label: str
    purchases: int
    requested: int
    contracted_amount: int
    requested_amount: int
    overdue: int
    findings: int

    @property
    def percent(self) -> int:
        """Purchases requested for disbursement, in whole percent (integer arithmetic)."""
        return self.requested * 100 // self.purchases if self.purchases else 0


def _by_county(db: Session, query) -> Counter:
    return Counter(dict(db.exec(query).all()))


def _purchase_totals(db: Session, year: int) -> dict[int, tuple[int, int, int, int]]:
    """Per county: purchases, requested, contracted amount, requested amount. A cancelled
    purchase will never be requested, so it is not counted as outstanding either."""
    requested = col(Purchase.status).in_(REQUESTED)
    query = (
        select(
            Purchase.county_id,
            func.count(),
            func.coalesce(func.sum(case((requested, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((col(Purchase.award_date).is_not(None), Purchase.amount), else_=0)),
                0,
            ),
            func.coalesce(func.sum(case((requested, Purchase.amount), else_=0)), 0),
        )
        .where(Purchase.year == year, Purchase.status != PurchaseState.cancelled)
        .group_by(Purchase.county_id)
    )
    return {county_id: tuple(int(n) for n in rest) for county_id, *rest in db.exec(query)}


def county_rows(db: Session, year: int, day) -> list[CountyRow]:
    plans = {p.county_id: p for p in db.exec(select(Plan).where(Plan.year == year))}
    purchases = _purchase_totals(db, year)
    overdue = _by_county(db, select(Milestone.county_id, func.count()).where(
        Milestone.year == year, col(Milestone.done_on).is_(None), Milestone.due_on < day,
    ).group_by(Milestone.county_id))  # fmt: skip
    findings = _by_county(db, select(Finding.county_id, func.count()).where(
        col(Finding.resolved_on).is_(None)).group_by(Finding.county_id))  # fmt: skip
    plan_lifecycle = lifecycle_for(ItemType.plan)
    rows = []
    for county in db.exec(select(County).order_by(County.id)):
        counted, done, contracted, requested = purchases.get(county.id, (0, 0, 0, 0))
        plan = plans.get(county.id)
        rows.append(CountyRow(
            county=county, plan=plan,
            plan_label=plan_lifecycle.state_label(str(plan.status)) if plan else "尚未建立",
            purchases=counted, requested=done,
            contracted_amount=contracted, requested_amount=requested,
            overdue=overdue[county.id], findings=findings[county.id],
        ))  # fmt: skip
    return rows


def _year(db: Session, year: int | None) -> int:
    if year:
        return year
    latest = db.exec(select(func.max(ProgrammeYear.year))).one()
    return latest or default_year()


@router.get("/ministry")
def dashboard(
    request: Request,
    year: QueryYear = None,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
):
    require_ministry_view(user)
    year = _year(db, year)
    rules = load_rules(year)
    day = request.app.state.today()
    deadline = rules.software.disbursement_deadline.date
    rows = county_rows(db, year, day)
    plan_states = Counter(r.plan_label for r in rows)
    context = {
        "year": year,
        "rows": rows,
        "deadline": deadline,
        "days_left": (deadline - day).days,
        "today": day,
        "plan_states": sorted(plan_states.items(), key=lambda kv: -kv[1]),
        "total_counties": len(rows),
        "max_overdue": max([r.overdue for r in rows] + [1]),
    }
    return render(request, "ministry.html", context, user=user)
