"""BudgetLinesForm: the twelve lines of the 經費申請表 and the money rules they must keep."""

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from forms.errors import FormInvalid
from forms.fields import Count, Money, invalid
from rules import BUSINESS_KEYS, YearRules, administration_fee
from rules.schema import MonthlyRange
from states.values import BudgetItem
from vocab.display import amount
from vocab.labels import ITEM_LABELS

ATTR_LABELS = {
    "estimate": "教育部預估補助數",
    "recurrent": "經常門",
    "capital": "資本門",
    "explanation": "差異說明",
    "person_months": "人月數",
    "monthly_rate": "每人月酬金",
}


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


class BudgetLineInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    estimate: Money = 0
    recurrent: Money
    capital: Money
    explanation: Annotated[str, BeforeValidator(_none_is_empty)] = ""
    person_months: Count = 0
    monthly_rate: Money = 0

    @property
    def requested(self) -> int:
        return self.recurrent + self.capital


class BudgetLinesForm(BaseModel):
    """One field per BudgetItem, in the form's order; `estimate` is the ministry's figure
    the caller puts beside each line, so a difference can be asked to be explained."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    admin_staff: BudgetLineInput
    counseling_staff: BudgetLineInput
    it_staff: BudgetLineInput
    principal_investigator: BudgetLineInput
    co_investigator: BudgetLineInput
    substitute_teaching: BudgetLineInput
    teacher_training: BudgetLineInput
    office_operations: BudgetLineInput
    school_companion: BudgetLineInput
    mdm_licences: BudgetLineInput
    digital_content: BudgetLineInput
    administration: BudgetLineInput

    @classmethod
    def parse(cls, data: Mapping[str, Any], rules: YearRules) -> "BudgetLinesForm":
        """The form, or FormInvalid with every field that breaks a rule."""
        try:
            form = cls.model_validate(dict(data))
        except ValidationError as exc:
            raise invalid(exc, _label) from None
        problems = form.problems(rules)
        if problems:
            raise FormInvalid(problems)
        return form

    def line(self, item: BudgetItem | str) -> BudgetLineInput:
        return getattr(self, BudgetItem(item).value)

    def lines(self) -> dict[BudgetItem, BudgetLineInput]:
        return {item: self.line(item) for item in BudgetItem}

    @property
    def business_recurrent(self) -> int:
        """業務費 as 陸、二、(四)2 reads it in a plan: the 經常門 of the business items."""
        return sum(self.line(key).recurrent for key in BUSINESS_KEYS)

    def administration_cap(self, rules: YearRules) -> int:
        return administration_fee(self.business_recurrent, rules)

    def problems(self, rules: YearRules) -> list[tuple[str, str]]:
        return [
            *self._unexplained(),
            *self._over_cap(rules),
            *self._rate(BudgetItem.principal_investigator, rules.budget.part_time_pi),
            *self._rate(BudgetItem.co_investigator, rules.budget.part_time_co_pi),
        ]

    def _unexplained(self) -> list[tuple[str, str]]:
        found = []
        for item, line in self.lines().items():
            if line.requested != line.estimate and not line.explanation.strip():
                found.append(
                    (
                        f"{item}.explanation",
                        f"{_label((item.value, 'explanation'))}：申請經費 {amount(line.requested)} 元"
                        f"與教育部預估補助數 {amount(line.estimate)} 元不同，請說明差異",
                    )
                )
        return found

    def _over_cap(self, rules: YearRules) -> list[tuple[str, str]]:
        line, cap = self.administration, self.administration_cap(rules)
        if line.requested <= cap:
            return []
        return [
            (
                BudgetItem.administration.value,
                f"{ITEM_LABELS['administration']}：申請 {amount(line.requested)} 元超過上限 "
                f"{amount(cap)} 元（依經常門業務費 {amount(self.business_recurrent)} 元計算）",
            )
        ]

    def _rate(self, item: BudgetItem, allowed: MonthlyRange) -> list[tuple[str, str]]:
        line = self.line(item)
        if line.requested == 0 and line.person_months == 0:
            return []
        if line.person_months == 0:
            label = _label((item.value, "person_months"))
            return [(f"{item}.person_months", f"{label}：請填寫人月數")]
        if allowed.min_monthly <= line.monthly_rate <= allowed.max_monthly:
            return []
        return [
            (
                f"{item}.monthly_rate",
                f"{_label((item.value, 'monthly_rate'))}：須介於 {amount(allowed.min_monthly)} 至 "
                f"{amount(allowed.max_monthly)} 元，目前為 {amount(line.monthly_rate)} 元",
            )
        ]


def _label(loc: tuple) -> str:
    item = ITEM_LABELS.get(loc[0], "經費申請表") if loc else "經費申請表"
    if len(loc) < 2:
        return item
    return f"{item} {ATTR_LABELS.get(loc[1], loc[1])}"
