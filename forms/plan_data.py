"""What every document reads from the database, loaded once: county, plan, lines, schools.

Also the gate: a document is made only from a plan whose sections and budget lines pass
their forms, unless it is a draft.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from forms.budget_form import BudgetLinesForm
from forms.errors import FormInvalid
from forms.plan_form import PlanSectionsForm
from model.counties import county_for_name
from model.tables import BudgetLine, County, Plan, School
from rules import Estimate, InputError, YearRules, load_rules
from states.values import BudgetItem
from workflow.plan_estimate import county_estimate, county_plan


@dataclass(frozen=True)
class PlanData:
    county: County
    plan: Plan
    rules: YearRules
    estimate: Estimate
    minimums: dict[str, int]
    lines: dict[BudgetItem, BudgetLine]
    schools: list[School]

    @property
    def year(self) -> int:
        return self.rules.year

    def estimate_of(self, item: BudgetItem) -> int:
        # Part-time PIs have no estimate: the ministry pays them only on request.
        return self.estimate.items.get(item.value, 0)


def find_county(session: Session, county: str) -> County:
    """By name (台 accepted for 臺) or by code (e.g. HSQ)."""
    ref = county_for_name(county)
    wanted = ref.name if ref else county.strip()
    row = session.exec(
        select(County).where((County.name == wanted) | (County.code == wanted.upper()))
    ).first()
    if row is None:
        raise InputError("county", f"找不到縣市「{county}」")
    return row


def load_plan_data(session: Session, county: str, year: int) -> PlanData:
    row = find_county(session, county)
    rules = load_rules(year)
    plan = county_plan(session, row.id, year)
    if plan is None:
        raise InputError("plan", f"{row.name}尚無 {year} 年度實施計畫")
    est, minimums = county_estimate(session, row, rules)
    lines = session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id)).all()
    schools = session.exec(
        select(School).where(School.county_id == row.id, School.year == year).order_by(School.seq)
    ).all()
    return PlanData(
        county=row,
        plan=plan,
        rules=rules,
        estimate=est,
        minimums=minimums,
        lines={BudgetItem(line.item): line for line in lines},
        schools=list(schools),
    )


def budget_form_data(data: PlanData) -> dict[str, dict]:
    """The stored lines as BudgetLinesForm input, each beside the computed estimate."""
    return {
        item.value: {
            "estimate": data.estimate_of(item),
            "recurrent": line.recurrent,
            "capital": line.capital,
            "explanation": line.explanation,
            "person_months": line.person_months,
            "monthly_rate": line.monthly_rate,
        }
        for item, line in data.lines.items()
    }


def problems(data: PlanData) -> list[tuple[str, str]]:
    """Every reason the plan cannot yet be a final document."""
    found: list[tuple[str, str]] = []
    for check in (
        lambda: PlanSectionsForm.parse(data.plan.sections),
        lambda: BudgetLinesForm.parse(budget_form_data(data), data.rules),
    ):
        try:
            check()
        except FormInvalid as exc:
            found += exc.errors
    if not data.schools:
        missing = f"附錄學校名單：{data.county.name}尚未匯入 {data.year} 年度學校名單"
        found.append(("appendix", missing))
    return found


def require_valid(data: PlanData) -> None:
    found = problems(data)
    if found:
        raise FormInvalid(found)
