"""The 附件 outline of a county plan (壹…柒) and the fixed wording of its tables.

Plan.sections stores one text per SECTION key; demo.generate and the entry forms import
these keys from here so that the outline is spelled out once.
"""

from typing import NamedTuple


class Section(NamedTuple):
    key: str
    number: str  # 壹…柒, as the template numbers them
    title: str  # "{year}" is replaced by the plan year


SECTIONS: tuple[Section, ...] = (
    Section("goals", "壹", "計畫目標"),
    Section("period", "貳", "計畫期程"),
    Section("participants", "參", "實施對象"),
    Section("status_and_results", "肆", "執行現況與成效"),
    Section("work_plan", "伍", "{year} 年工作規劃"),
    Section("indicators", "陸", "預期績效指標"),
    Section("budget", "柒", "經費需求"),
)
PLAN_SECTIONS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}

# Plan.sections may also hold the previous year's results under this key, as
# {row key: {"target": int | None, "achieved": int | None, "note": str}}.
PREVIOUS_RESULTS_KEY = "previous_results"


def section_heading(key: str, year: int) -> str:
    section = SECTION_BY_KEY[key]
    return f"{section.number}、{section.title.format(year=year)}"


# The rows of 肆、一 (the previous year's results) are yearly: rules/<year>.toml previous_results.
PREVIOUS_RESULTS_NOTE = (
    "本縣(市)業依規定完成 {year} 年各項執行成果資料之填報，並上傳至教育部指定平臺(雲端空間)。"
)
COUNTY_PLANNED = "依縣市規劃"
