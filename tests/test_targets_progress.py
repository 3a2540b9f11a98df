"""Progress computed from activities only, and the milestones an approved plan opens."""

from datetime import date

import pytest
from sqlmodel import Session, col, delete, select

from demo.generate import generate
from model.tables import County, Milestone, Plan, School, User
from rules import load_rules, targets
from states.activity import plan_semesters, rate_text, semester_of
from states.values import Role
from vocab.milestone_kinds import MilestoneKind
from workflow.activities import record_activity
from workflow.targets_progress import (
    NOT_TRACKED,
    Progress,
    open_plan_milestones,
    progress,
    school_facts,
)

RULES = load_rules(113)
TODAY = date(2024, 10, 1)


@pytest.fixture
def demo(session) -> Session:
    generate(session, story=False)
    return session


def _staff(session: Session) -> User:
    return session.exec(select(User).where(User.username == "hsq.staff1")).one()


def _plan(session: Session) -> Plan:
    return session.exec(select(Plan)).one()


def _school(session: Session, county_id: int, level: str, index: int = 0) -> School:
    query = select(School).where(School.county_id == county_id, School.level == level)
    return session.exec(query.order_by(School.seq)).all()[index]


# ------------------------------------------------------------------ rate arithmetic
@pytest.mark.parametrize(
    "achieved, target, text",
    [
        (5, 6, "83.3%"),
        (0, 4, "0.0%"),
        (4, 4, "100.0%"),
        (13, 12, "108.3%"),
        (1999, 2000, "99.9%"),  # never rounded up to a 100.0% not reached
        (1, 0, "—"),
    ],
)
def test_rate_text_is_integer_percentage_with_one_decimal(achieved, target, text):
    assert rate_text(achieved, target) == text


def test_semester_of_follows_the_school_year():
    assert semester_of(date(2024, 1, 31), RULES).code == "112-1"
    assert semester_of(date(2024, 2, 1), RULES).code == "112-2"
    term = semester_of(date(2024, 8, 1), RULES)
    assert (term.code, term.start, term.end) == ("113-1", date(2024, 8, 1), date(2025, 1, 31))
    assert [t.code for t in plan_semesters(RULES)] == ["112-2", "113-1"]


# ------------------------------------------------------------------ progress
def _record(session: Session, kind: str, held_on: date, **kwargs) -> None:
    record_activity(
        session, _staff(session), kind, year=113, held_on=held_on,
        evidence_ref="紀錄", today=TODAY, **kwargs,
    )  # fmt: skip


def test_progress_is_computed_from_the_recorded_activities(demo):
    county_id = _staff(demo).county_id
    plan = _plan(demo)
    plan.targets = {**plan.targets, "parent_sessions": 3, "workshop_teachers": 120}
    a, b = _school(demo, county_id, "國小", 0), _school(demo, county_id, "國小", 1)
    junior, senior = _school(demo, county_id, "國中"), _school(demo, county_id, "高中")
    # Open lessons: two at A (one in 自主學習節), one at B (自主學習節).
    _record(demo, "open_lesson", date(2024, 3, 1), school_code=a.code)
    _record(demo, "open_lesson", date(2024, 4, 1), school_code=a.code, self_learning_festival=True)
    _record(demo, "open_lesson", date(2024, 5, 1), school_code=b.code, self_learning_festival=True)
    # Meetings in March (twice, once with the ministry's team) and April (with the team).
    _record(demo, "meeting.working", date(2024, 3, 5), moe_team=True)
    _record(demo, "meeting.working", date(2024, 3, 20))
    _record(demo, "meeting.working", date(2024, 4, 10), moe_team=True)
    # Workshops: 王 completes (一) and (二) at A, 李 only (一); 陳 (一)(二) in one day at B.
    _record(demo, "training.workshop", date(2024, 6, 1), parts=[1],
            attendees=f"{a.code} 王小明\n{a.code} 李大同")  # fmt: skip
    _record(demo, "training.workshop", date(2024, 7, 1), parts=[2], attendees=f"{a.code} 王小明")
    _record(demo, "training.workshop", date(2024, 7, 2), parts=[1, 2], attendees=f"{b.code} 陳一")
    _record(demo, "training.literacy", date(2024, 6, 2), teachers=10, hours=3)
    _record(demo, "training.literacy", date(2024, 6, 3), teachers=7, hours=2)  # too short
    _record(demo, "training.guideline", date(2024, 8, 1), participants=35)
    _record(demo, "parent_session", date(2024, 5, 4))
    _record(demo, "parent_session", date(2024, 9, 4))
    # Sampling: A twice (one school), a 國中, and a 高中 that the 國中小 target leaves out.
    _record(demo, "outcome_sampling", date(2024, 5, 6), school_code=a.code, classes=2)
    _record(demo, "outcome_sampling", date(2024, 5, 7), school_code=a.code, classes=1)
    _record(demo, "outcome_sampling", date(2024, 5, 8), school_code=junior.code, classes=1)
    _record(demo, "outcome_sampling", date(2024, 5, 9), school_code=senior.code, classes=1)
    _record(demo, "companion_visit", date(2024, 5, 10), school_code=b.code, days=3)

    got = progress(demo, county_id, 113)

    assert set(got) == set(targets(school_facts(demo, county_id, 113), RULES))
    assert plan.targets["open_lessons"] == 113  # one per school of the demo county
    assert got["open_lessons"] == Progress(113, 2, "1.8%")
    assert got["self_learning_open_lessons"].achieved == 2
    assert got["working_meetings"] == Progress(12, 2, "16.7%")
    assert got["moe_team_meetings"] == Progress(4, 2, "50.0%")
    assert got["workshop_teachers"] == Progress(120, 2, "1.7%")  # 2/120 = 1.67 %, half up
    assert got["literacy_teachers"].achieved == 10
    assert got["guideline_workshops"] == Progress(1, 1, "100.0%")
    assert got["parent_sessions"] == Progress(3, 2, "66.7%")
    assert got["sampled_schools"].achieved == 2
    assert got["key_schools"].achieved is None and got["key_schools"].rate_text == NOT_TRACKED
    # No devices imported: no school meets 貳、二 yet.
    assert got["remote_one_device_schools"].achieved == 0
    assert got["non_remote_class_set_schools"].achieved == 0


def test_progress_counts_nothing_of_another_county(demo):
    staff = _staff(demo)
    _record(demo, "parent_session", date(2024, 5, 4))
    other = demo.exec(select(County).where(County.name == "新竹市")).one()
    assert progress(demo, staff.county_id, 113)["parent_sessions"].achieved == 1
    assert progress(demo, other.id, 113)["parent_sessions"].achieved == 0


def test_progress_without_plan_targets_uses_the_years_minimums(demo):
    county_id = _staff(demo).county_id
    _plan(demo).targets = {}
    demo.flush()
    minimums = targets(school_facts(demo, county_id, 113), RULES)
    got = progress(demo, county_id, 113)
    assert {key: p.target for key, p in got.items()} == minimums
    assert all(p.achieved in (0, None) for p in got.values())


# ------------------------------------------------------------------ opening milestones
def _drop_plan_milestones(session: Session) -> None:
    session.exec(delete(Milestone).where(col(Milestone.subject_type) == "plan"))
    session.flush()


def test_open_plan_milestones_on_a_plan_without_any(demo):
    _drop_plan_milestones(demo)
    plan, staff = _plan(demo), _staff(demo)
    schools = demo.exec(select(School).where(School.county_id == plan.county_id)).all()
    new = open_plan_milestones(demo, plan, RULES, date(2024, 3, 15))
    by_kind: dict[str, list[Milestone]] = {}
    for m in new:
        by_kind.setdefault(m.kind, []).append(m)
    # Each school's open lesson; 113/3 … 114/1 meetings; 4 team meetings; 5 yearly; 2 semesters.
    assert len(new) == len(schools) + 11 + 4 + 5 + 2
    lessons = by_kind[MilestoneKind.open_lesson]
    assert {m.school_id for m in lessons} == {s.id for s in schools}
    assert {m.due_on for m in lessons} == {date(2024, 12, 31)}
    meetings = [m.due_on for m in by_kind[MilestoneKind.working_meeting]]
    assert meetings[0] == date(2024, 3, 31) and meetings[-1] == date(2025, 1, 31)
    assert [m.due_on for m in by_kind[MilestoneKind.moe_team_meeting]] == [
        date(2024, 5, 31),
        date(2024, 7, 31),
        date(2024, 10, 31),
        date(2024, 12, 31),
    ]
    assert [m.due_on for m in by_kind[MilestoneKind.companion_visit]] == [
        date(2024, 7, 31),
        date(2025, 1, 31),
    ]
    for kind in ("parent_session", "training.literacy", "training.workshop",
                 "training.guideline", "outcome_sampling"):  # fmt: skip
        assert [m.due_on for m in by_kind[kind]] == [date(2024, 12, 31)]
    assert {m.owner_id for m in new} == {staff.id}
    assert all(m.id is None and m not in demo for m in new)


def test_open_plan_milestones_approved_late_skips_what_has_passed(demo):
    _drop_plan_milestones(demo)
    new = open_plan_milestones(demo, _plan(demo), RULES, date(2024, 9, 15))
    kinds = [m.kind for m in new]
    assert kinds.count(MilestoneKind.working_meeting) == 5  # 113/9 … 114/1
    assert [m.due_on for m in new if m.kind == MilestoneKind.moe_team_meeting] == [
        date(2024, 9, 30),
        date(2024, 10, 31),
        date(2024, 11, 30),
        date(2024, 12, 31),
    ]
    assert [m.due_on for m in new if m.kind == MilestoneKind.companion_visit] == [date(2025, 1, 31)]


def test_open_plan_milestones_skips_those_the_demo_already_opened(demo):
    new = open_plan_milestones(demo, _plan(demo), RULES, date(2024, 3, 15))
    assert sorted((m.kind, m.due_on) for m in new) == [
        ("companion_visit", date(2024, 7, 31)),
        ("companion_visit", date(2025, 1, 31)),
        ("meeting.working", date(2025, 1, 31)),
        ("outcome_sampling", date(2024, 12, 31)),
        ("training.guideline", date(2024, 12, 31)),
    ]


def test_open_plan_milestones_twice_opens_nothing_new(demo):
    _drop_plan_milestones(demo)
    plan = _plan(demo)
    first = open_plan_milestones(demo, plan, RULES, date(2024, 3, 15))
    demo.add_all(first)
    demo.flush()
    assert open_plan_milestones(demo, plan, RULES, date(2024, 3, 15)) == []
    # Approved earlier instead: only the months before 3/15 are missing.
    earlier = open_plan_milestones(demo, plan, RULES, date(2024, 1, 2))
    assert [(m.kind, m.due_on) for m in earlier] == [
        ("meeting.working", date(2024, 1, 31)),
        ("meeting.working", date(2024, 2, 29)),
    ]


def test_open_plan_milestones_without_county_staff_leaves_owner_empty(demo):
    _drop_plan_milestones(demo)
    plan = _plan(demo)
    for user in demo.exec(select(User).where(User.role == Role.county_staff)):
        user.active = False
    demo.flush()
    new = open_plan_milestones(demo, plan, RULES, date(2024, 3, 15))
    assert new and {m.owner_id for m in new} == {None}
