"""SettlementForm: the actual spending of each budget item, 經常門 and 資本門 apart."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from forms.budget_form import ATTR_LABELS
from forms.fields import Money, invalid
from forms.labels import ITEM_LABELS
from states.values import BudgetItem


class SpendingInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    recurrent: Money
    capital: Money

    @property
    def total(self) -> int:
        return self.recurrent + self.capital


class SettlementForm(BaseModel):
    """One field per BudgetItem; every item is reported, 0 where nothing was spent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    admin_staff: SpendingInput
    counseling_staff: SpendingInput
    it_staff: SpendingInput
    principal_investigator: SpendingInput
    co_investigator: SpendingInput
    substitute_teaching: SpendingInput
    teacher_training: SpendingInput
    office_operations: SpendingInput
    school_companion: SpendingInput
    mdm_licences: SpendingInput
    digital_content: SpendingInput
    administration: SpendingInput

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> "SettlementForm":
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise invalid(exc, _label) from None

    def spending(self) -> dict[BudgetItem, SpendingInput]:
        return {item: getattr(self, item.value) for item in BudgetItem}

    @property
    def total(self) -> int:
        return sum(line.total for line in self.spending().values())


def _label(loc: tuple) -> str:
    item = ITEM_LABELS.get(loc[0], "結報表") if loc else "結報表"
    if len(loc) < 2:
        return f"{item} 實支數"
    return f"{item} 實支{ATTR_LABELS.get(loc[1], loc[1])}"
