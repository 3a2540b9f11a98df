"""The heading every document carries: the programme, the title with the county, the date."""

from dataclasses import dataclass

from config.clock import today
from vocab.display import roc_date

PROGRAMME = "「推動中小學數位學習精進方案」"


@dataclass(frozen=True)
class Heading:
    title: str
    county: str
    year: int
    made_on: str  # ROC date the document was made
    programme: str = PROGRAMME

    @property
    def full_title(self) -> str:
        return f"{self.programme}{self.title}"


def heading(title: str, county: str, year: int) -> Heading:
    return Heading(title=title, county=county, year=year, made_on=roc_date(today(), long=True))


def plan_title(county: str, year: int) -> str:
    return f"{year} 年{county}中小學實施計畫"
