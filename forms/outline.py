"""The 附件 outline of a county plan (壹…柒) and the fixed wording of its tables.

Plan.sections stores one text per SECTION key; model.demo and the entry forms import
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


class ResultRow(NamedTuple):
    key: str
    label: str
    unit: str  # "%" for ratios; otherwise the counting word
    target: int | None  # the template's fixed 目標值; None = 依縣市規劃


# 肆、一「112 年量化目標達成情形」, in the template's order.
PREVIOUS_RESULT_ROWS: tuple[ResultRow, ...] = (
    ResultRow("remote_one_device", "偏遠地區學校達成每位學生 1 臺學習載具之學校校數比率", "%", 100),
    ResultRow("non_remote_class_set", "非偏遠地區學校達成每 6 班配發 1 班載具的校數比率", "%", 100),
    ResultRow("moe_team_meetings", "輔導團隊之計畫/協同主持人參與縣市政府重要會議次數", "次", 4),
    ResultRow("open_lessons", "辦理數位學習模式之公開觀議課次數(每校至少 1 場)", "場", None),
    ResultRow(
        "self_learning_open_lessons", "結合自主學習節辦理公開觀議課場次(達總校數 5%)", "場", None
    ),
    ResultRow("key_schools", "重點學校數(達總校數 5%)", "校", None),
    ResultRow("workshop_teachers", "累計培訓教師數達所轄中小學教師總數比率", "%", 82),
    ResultRow(
        "advanced_training", "辦理科技輔助自主學習、數位學習講師及科技領導研習人次", "人次", None
    ),
    ResultRow("literacy_teachers", "數位素養相關培訓教師數達所轄中小學教師總數比率", "%", 10),
    ResultRow("it_lead_sessions", "辦理資訊組長(或資訊負責人員)增能研習場次", "場", None),
    ResultRow("it_lead_attendance", "辦理資訊組長(或資訊負責人員)增能研習人次", "人次", None),
    ResultRow("guideline_sessions", "辦理「B3.數位教學指引培力」工作坊場次", "場", 1),
    ResultRow("guideline_attendance", "辦理「B3.數位教學指引培力」工作坊人次", "人次", None),
    ResultRow("learning_outcomes", "學習成效評估", "%", None),
    ResultRow("learning_support", "學習扶助班級融入數位教學之班級數比率(4 年達 50%)", "%", None),
    ResultRow("other", "其他", "", None),
)
PREVIOUS_RESULTS_NOTE = (
    "本縣(市)業依規定完成 {year} 年各項執行成果資料之填報，並上傳至教育部指定平臺(雲端空間)。"
)
COUNTY_PLANNED = "依縣市規劃"
