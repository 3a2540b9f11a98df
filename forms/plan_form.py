"""PlanSectionsForm: the county's texts for 壹…柒 of the 附件 outline, every one required."""

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from forms.fields import Text, invalid
from vocab.outline import PLAN_SECTIONS, SECTION_BY_KEY


def _none_is_blank(value: Any) -> Any:
    return "" if value is None else value


Section = Annotated[Text, BeforeValidator(_none_is_blank)]


class PlanSectionsForm(BaseModel):
    # Plan.sections also carries structured data (the previous year's results): ignore it.
    model_config = ConfigDict(extra="ignore", frozen=True)

    goals: Section
    period: Section
    participants: Section
    status_and_results: Section
    work_plan: Section
    indicators: Section
    budget: Section

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> "PlanSectionsForm":
        """The form, or FormInvalid naming every missing or blank section."""
        try:
            return cls.model_validate(dict(data or {}))
        except ValidationError as exc:
            raise invalid(exc, _label) from None

    def texts(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in PLAN_SECTIONS}


def _label(loc: tuple) -> str:
    section = SECTION_BY_KEY.get(loc[0]) if loc else None
    if section is None:
        return "計畫內容"
    return f"{section.number}、{section.title.replace('{year} 年', '本年度')}"
