"""The activity guards by rule id, on plain values: each rule's last allowed value and the next."""

from dataclasses import replace
from datetime import date

import pytest
from guard_cases import Boundary, check

from rules import load_rules
from states import activity as a
from states.activity import ActivityContext, ActivityDraft
from states.activity import ActivityKind as K

RULES = load_rules(113)
TODAY = date(2024, 6, 1)  # 112學年度第2學期
SCHOOL = "123456"


def ctx(kind: str = K.open_lesson, **draft: object) -> ActivityContext:
    fields = {"held_on": TODAY, "evidence_ref": "簽到表.pdf", "school_code": SCHOOL} | draft
    return ActivityContext(ActivityDraft(kind, **fields), RULES, TODAY, school_in_county=True)


def late(day: date) -> ActivityContext:
    return replace(ctx(held_on=day), today=date(2025, 6, 1))


def visit(days: int, before: int = 3, **draft: object) -> ActivityContext:
    return replace(
        ctx(K.companion_visit, counts={"days": days}, **draft), companion_days_before=before
    )


def workshop(*parts: object) -> ActivityContext:
    return ctx(K.workshop, school_code=None, parts=parts, attendees=f"{SCHOOL} 王小明")


CASES = [
    Boundary(
        "activity.kind", a.known_kind, ctx(K.open_lesson), ctx("open_lessons"), ("open_lessons",)
    ),
    Boundary(
        "activity.date_in_period",
        a.date_in_period,
        late(date(2025, 1, 31)),
        late(date(2025, 2, 1)),
        ("114/02/01", "113", "113/01/01–114/01/31"),
    ),
    Boundary(
        "activity.date_not_future",
        a.date_not_future,
        ctx(held_on=TODAY),
        ctx(held_on=date(2024, 6, 2)),
        ("113/06/02",),
    ),
    Boundary(
        "activity.school_required",
        a.school_required,
        ctx(school_code=SCHOOL),
        ctx(school_code="  "),
        ("數位學習模式公開觀議課", "學校代碼"),
    ),
    Boundary(
        "activity.school_in_county",
        a.school_in_county,
        ctx(),
        replace(ctx(), school_in_county=False),
        (SCHOOL, "113"),
    ),
    Boundary(
        "activity.counts",
        a.counts_valid,
        ctx(K.outcome_sampling, counts={"classes": 1}),
        ctx(K.outcome_sampling, counts={"classes": 0}),
        ("至少 1 班", "收到 0 班"),
        "minimum",
    ),
    Boundary(
        "activity.counts",
        a.counts_valid,
        ctx(K.literacy_training, counts={"teachers": 30, "hours": 3}),
        ctx(K.literacy_training, counts={"teachers": 30}),
        ("每人研習時數",),
        "required",
    ),
    Boundary(
        "activity.companion_days",
        a.companion_days,
        visit(2),
        visit(3),
        (SCHOOL, "112學年度第2學期", "3 日", "共 6 日", "至多 5 日"),
    ),
    Boundary(
        "activity.flags",
        a.flags_valid,
        ctx(K.working_meeting, flags={"moe_team": True}),
        ctx(K.working_meeting, flags={"moe_team": "yes"}),
        ("教育部輔導團隊主持人", "「是」或「否」"),
    ),
    Boundary(
        "activity.semester",
        a.semester_matches,
        visit(1, semester="112-2"),
        visit(1, semester="113-1"),
        ("113/06/01", "112學年度第2學期", "113-1"),
    ),
    Boundary(
        "activity.workshop_attendees",
        a.workshop_attendees,
        workshop(1, 2),
        workshop(1, 3),
        ("場次別", "[1, 3]"),
    ),
    Boundary(
        "activity.evidence",
        a.evidence_given,
        ctx(evidence_ref="佐" * a.EVIDENCE_MAX),
        ctx(evidence_ref="佐" * (a.EVIDENCE_MAX + 1)),
        (f"最多 {a.EVIDENCE_MAX} 字",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_activity_guard_boundary(case: Boundary) -> None:
    check(case)
