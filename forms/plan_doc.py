"""The county implementation plan: 壹…柒 with its tables, and the 附錄 school list."""

from dataclasses import dataclass

from forms.budget_doc import BudgetDoc, budget_doc
from forms.heading import Heading, heading, plan_title
from forms.plan_data import PlanData
from forms.results_doc import ResultRow, previous_results
from forms.schools_doc import SchoolsDoc, schools_doc
from vocab.labels import TARGET_LABELS
from vocab.outline import PLAN_SECTIONS, PREVIOUS_RESULTS_NOTE, section_heading


@dataclass(frozen=True)
class SectionText:
    key: str
    heading: str
    text: str


@dataclass(frozen=True)
class TargetRow:
    label: str
    county: int  # the county's own number
    minimum: int  # the least the year's rules accept


@dataclass(frozen=True)
class PlanDoc:
    heading: Heading
    sections: list[SectionText]
    previous_year: int
    previous_results: list[ResultRow]
    previous_results_note: str
    targets: list[TargetRow]
    budget: BudgetDoc
    schools: SchoolsDoc

    def section(self, key: str) -> SectionText:
        return next(s for s in self.sections if s.key == key)


def _sections(data: PlanData) -> list[SectionText]:
    texts = data.plan.sections
    return [
        SectionText(key, section_heading(key, data.year), str(texts.get(key) or "").strip())
        for key in PLAN_SECTIONS
    ]


def _targets(data: PlanData) -> list[TargetRow]:
    chosen = data.plan.targets
    return [
        TargetRow(label, chosen.get(key, data.minimums.get(key, 0)), data.minimums.get(key, 0))
        for key, label in TARGET_LABELS.items()
        if key in chosen or key in data.minimums
    ]


def plan_doc(data: PlanData) -> PlanDoc:
    county = data.county.name
    budget = budget_doc(data)
    return PlanDoc(
        heading=heading(plan_title(county, data.year), county, data.year),
        sections=_sections(data),
        previous_year=data.rules.previous_results.year,
        previous_results=previous_results(data),
        previous_results_note=PREVIOUS_RESULTS_NOTE.format(year=data.rules.previous_results.year),
        targets=_targets(data),
        budget=budget,
        schools=schools_doc(data),
    )
