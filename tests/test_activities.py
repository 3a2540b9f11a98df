"""Recording the activities that count toward the targets, and the milestones they close."""

from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from demo.generate import generate
from model.tables import Activity, County, Milestone, Plan, School, User
from rules import load_rules
from states.errors import TransitionRefused
from vocab.milestone_kinds import MilestoneKind
from workflow.activities import record_activity
from workflow.targets_progress import companion_schools_reached, open_plan_milestones

TODAY = date(2024, 10, 1)
EVIDENCE = "簽到表 https://example.org/sign-in.pdf"


@pytest.fixture
def demo(session) -> Session:
    """The demo county with every plan milestone open again, so closing is deterministic."""
    generate(session, story=False)
    for milestone in session.exec(select(Milestone)):
        milestone.done_on = None
    session.flush()
    return session


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _staff(session: Session) -> User:
    return _user(session, "hsq.staff1")


def _schools(session: Session, county_id: int, level: str | None = None) -> list[School]:
    query = select(School).where(School.county_id == county_id).order_by(School.seq)
    if level:
        query = query.where(School.level == level)
    return list(session.exec(query))


def _record(session: Session, kind: str, user: User | None = None, **kwargs):
    kwargs.setdefault("held_on", date(2024, 9, 10))
    kwargs.setdefault("evidence_ref", EVIDENCE)
    kwargs.setdefault("today", TODAY)
    return record_activity(session, user or _staff(session), kind, year=113, **kwargs)


def _activities(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Activity)).one()


def _open(session: Session, kind: str) -> list[Milestone]:
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.kind == kind, col(Milestone.done_on).is_(None))
            .order_by(Milestone.due_on, Milestone.id)
        )
    )


def _refused(session: Session, kind: str, rule_id: str, **kwargs) -> TransitionRefused:
    before = _activities(session)
    with pytest.raises(TransitionRefused) as caught:
        _record(session, kind, **kwargs)
    assert rule_id in caught.value.rule_ids
    assert all(r.message for r in caught.value.refusals)
    assert _activities(session) == before
    return caught.value


# ------------------------------------------------------------------ recording each kind
KINDS = {
    "meeting.working": dict(participants=12, moe_team=True),
    "open_lesson": dict(self_learning_festival=True, participants=30),
    "training.workshop": dict(parts=[1]),  # and its attendees: see the loop
    "training.literacy": dict(teachers=18, hours=3),
    "training.guideline": dict(participants=40),
    "parent_session": dict(participants=60),
    "companion_visit": dict(days=3, office_accompanied=True, semester="113-1"),
    "outcome_sampling": dict(classes=2),
}
PER_SCHOOL = {"open_lesson", "companion_visit", "outcome_sampling"}


def test_record_activity_stores_each_kind(demo):
    staff = _staff(demo)
    school = _schools(demo, staff.county_id, "國小")[0]
    for kind, fields in KINDS.items():
        extra = dict(fields, school_code=school.code) if kind in PER_SCHOOL else fields
        if kind == "training.workshop":
            extra = dict(fields, attendees=f"{school.code} 王小明")
        row = demo.get(Activity, _record(demo, kind, **extra).activity.id)
        assert (row.kind, row.county_id, row.year, row.held_on) == (
            kind,
            staff.county_id,
            113,
            date(2024, 9, 10),
        )
        assert row.school_id == (school.id if kind in PER_SCHOOL else None)
        assert row.evidence_ref == EVIDENCE and row.recorded_by == staff.id
        stored = {name: getattr(row, name) for name in fields if name != "parts"}
        assert stored == {name: v for name, v in fields.items() if name != "parts"}
    assert _activities(demo) == len(KINDS)


def test_record_companion_visit_derives_the_semester_from_the_date(demo):
    staff = _staff(demo)
    school = _schools(demo, staff.county_id)[0]
    row = _record(
        demo, "companion_visit", held_on=date(2024, 3, 12), school_code=school.code, days=4
    ).activity
    assert row.semester == "112-2" and row.office_accompanied is False


def test_record_activity_by_supervisor_of_the_county_is_allowed(demo):
    row = _record(demo, "parent_session", user=_user(demo, "hsq.supervisor")).activity
    assert row.id is not None


# ------------------------------------------------------------------ refusals
def test_record_activity_by_ministry_is_refused_with_access_role(demo):
    reviewer = _user(demo, "moe.reviewer1")
    county = demo.exec(select(County).where(County.name == "新竹縣")).one()
    _refused(demo, "parent_session", "access.role", user=reviewer, county_id=county.id)


def test_record_activity_for_another_county_is_refused_with_access_county(demo):
    other = demo.exec(select(County).where(County.name == "新竹市")).one()
    _refused(demo, "parent_session", "access.county", county_id=other.id)


def test_record_activity_outside_the_plan_period_is_refused(demo):
    for held_on in (date(2023, 12, 31), date(2025, 2, 1)):
        _refused(demo, "parent_session", "activity.date_in_period", held_on=held_on, today=held_on)


def test_record_activity_dated_in_the_future_is_refused(demo):
    _refused(demo, "parent_session", "activity.date_not_future", held_on=date(2024, 10, 2))


def test_record_per_school_activity_without_school_is_refused(demo):
    _refused(demo, "open_lesson", "activity.school_required")


def test_record_activity_at_a_school_of_another_county_is_refused(demo):
    other = demo.exec(select(County).where(County.name == "新竹市")).one()
    stranger = School(
        year=113, county_id=other.id, seq=1, level="國小", code="189001", district="東區",
        establishment="市立", affiliation="國中小", area="一般", name="別縣國小(示範)",
        classes=12, teachers=20, students=300, synthetic=True,
    )  # fmt: skip
    demo.add(stranger)
    demo.flush()
    error = _refused(demo, "open_lesson", "activity.school_in_county", school_code="189001")
    assert "189001" in str(error)


def test_record_activity_at_an_unknown_school_code_is_refused(demo):
    _refused(demo, "outcome_sampling", "activity.school_in_county", school_code="049999", classes=1)


BAD_COUNTS = [
    # A workshop's teachers are its attendees, never a typed count.
    ("training.workshop", dict(teachers=25, parts=[1], attendees="049001 王小明")),
    ("training.literacy", dict(teachers=10, hours=-3)),
    ("training.literacy", dict(teachers=10, hours=2.5)),
    ("parent_session", dict(teachers=5)),  # not a count a parent session has
    ("outcome_sampling", dict(classes=0)),
    ("companion_visit", dict(days=0)),
]


def test_record_activity_with_bad_counts_is_refused(demo):
    school = _schools(demo, _staff(demo).county_id)[0]
    for kind, counts in BAD_COUNTS:
        extra = dict(counts, school_code=school.code) if kind in PER_SCHOOL else counts
        _refused(demo, kind, "activity.counts", **extra)


def test_record_activity_with_bad_flags_is_refused(demo):
    _refused(demo, "parent_session", "activity.flags", moe_team=True)
    _refused(demo, "meeting.working", "activity.flags", moe_team=1)


def test_record_companion_visit_in_the_wrong_semester_is_refused(demo):
    school = _schools(demo, _staff(demo).county_id)[0]
    for semester in ("112-2", "113", "上學期"):
        _refused(
            demo, "companion_visit", "activity.semester",
            school_code=school.code, days=3, semester=semester,
        )  # fmt: skip
    _refused(demo, "parent_session", "activity.semester", semester="113-1")


def test_record_activity_without_proper_evidence_is_refused(demo):
    _refused(demo, "parent_session", "activity.evidence", evidence_ref="  ")
    _refused(demo, "parent_session", "activity.evidence", evidence_sha256="ABC")
    _refused(demo, "parent_session", "activity.evidence", evidence_ref="x" * 501)


def test_record_activity_of_unknown_kind_is_refused(demo):
    _refused(demo, "meeting.moe_team", "activity.kind")


def test_record_activity_reports_every_broken_rule_at_once(demo):
    error = _refused(
        demo, "outcome_sampling", "activity.school_required",
        user=_user(demo, "moe.reviewer1"), county_id=_staff(demo).county_id,
        held_on=date(2025, 3, 1), evidence_ref="", classes=0,
    )  # fmt: skip
    assert set(error.rule_ids) == {
        "access.role",
        "activity.date_in_period",
        "activity.date_not_future",
        "activity.school_required",
        "activity.counts",
        "activity.evidence",
    }


# ------------------------------------------------------------------ closing milestones
def test_record_open_lesson_closes_only_that_schools_milestone(demo):
    staff = _staff(demo)
    first, second = _schools(demo, staff.county_id)[:2]
    before = len(_open(demo, "open_lesson"))
    recorded = _record(demo, "open_lesson", school_code=second.code)
    assert [(m.kind, m.school_id) for m in recorded.closed] == [("open_lesson", second.id)]
    assert recorded.closed[0].done_on == date(2024, 9, 10)
    assert recorded.closed[0].evidence["closed_by_activity"] == recorded.activity.id
    assert len(_open(demo, "open_lesson")) == before - 1
    assert first.id in {m.school_id for m in _open(demo, "open_lesson")}
    assert _record(demo, "open_lesson", school_code=second.code).closed == []


def test_record_working_meeting_closes_its_own_month_only(demo):
    closed = _record(demo, "meeting.working", held_on=date(2024, 9, 3)).closed
    assert [(m.kind, m.due_on) for m in closed] == [("meeting.working", date(2024, 9, 30))]
    assert _record(demo, "meeting.working", held_on=date(2024, 9, 20)).closed == []
    assert date(2024, 10, 31) in {m.due_on for m in _open(demo, "meeting.working")}


def test_record_working_meeting_with_ministry_team_closes_the_next_team_meeting(demo):
    closed = _record(demo, "meeting.working", held_on=date(2024, 5, 8), moe_team=True).closed
    assert [(m.kind, m.due_on) for m in closed] == [
        ("meeting.working", date(2024, 5, 31)),
        (MilestoneKind.moe_team_meeting.value, date(2024, 3, 31)),
    ]
    again = _record(demo, "meeting.working", held_on=date(2024, 5, 9), moe_team=True).closed
    assert [(m.kind, m.due_on) for m in again] == [
        (MilestoneKind.moe_team_meeting.value, date(2024, 6, 30))
    ]


def test_record_workshop_closes_its_milestones_when_the_plan_target_is_reached(demo):
    plan = demo.exec(select(Plan)).one()
    school = _schools(demo, _staff(demo).county_id)[0]
    plan.targets = {**plan.targets, "workshop_teachers": 2}
    sheet = f"{school.code} 王小明\n{school.code} 李大同"
    assert _record(demo, "training.workshop", parts=[1], attendees=sheet).closed == []
    one = f"{school.code} 王小明"
    assert _record(demo, "training.workshop", parts=[2], attendees=one).closed == []
    assert _open(demo, "training.workshop")
    closed = _record(demo, "training.workshop", parts=[2], attendees=f"{school.code} 李大同",
                     held_on=date(2024, 9, 20)).closed  # fmt: skip
    assert closed and {m.kind for m in closed} == {"training.workshop"}
    assert {m.done_on for m in closed} == {date(2024, 9, 20)}
    assert _open(demo, "training.workshop") == []


def test_record_literacy_training_under_three_hours_does_not_count(demo):
    plan = demo.exec(select(Plan)).one()
    target = plan.targets["literacy_teachers"]
    assert _record(demo, "training.literacy", teachers=target, hours=2).closed == []
    closed = _record(demo, "training.literacy", teachers=target, hours=3).closed
    assert closed and _open(demo, "training.literacy") == []


def test_record_parent_session_closes_when_the_plan_number_is_held(demo):
    plan = demo.exec(select(Plan)).one()
    plan.targets = {**plan.targets, "parent_sessions": 2}
    demo.flush()
    assert _record(demo, "parent_session").closed == []
    assert len(_record(demo, "parent_session").closed) == 1


def test_record_companion_visit_closes_its_semester_once_the_office_went_along(demo):
    plan = demo.exec(select(Plan)).one()
    demo.add_all(open_plan_milestones(demo, plan, load_rules(113), date(2024, 1, 15)))
    demo.flush()
    school = _schools(demo, plan.county_id)[0]
    # Two visits of 2 days: together within the semester's 5-day maximum.
    visit = dict(school_code=school.code, days=2, held_on=date(2024, 9, 8))
    assert _record(demo, "companion_visit", **visit).closed == []
    closed = _record(demo, "companion_visit", office_accompanied=True, **visit).closed
    assert [(m.kind, m.due_on) for m in closed] == [("companion_visit", date(2025, 1, 31))]
    assert [m.due_on for m in _open(demo, "companion_visit")] == [date(2024, 7, 31)]


# ------------------------------------------------------------------ 入校入班 days a semester
def test_record_companion_visit_refused_over_semester_maximum(demo):
    plan = demo.exec(select(Plan)).one()
    code = _schools(demo, plan.county_id)[0].code
    _record(demo, "companion_visit", school_code=code, days=3, held_on=date(2024, 9, 2))
    error = _refused(
        demo, "companion_visit", "activity.companion_days",
        school_code=code, days=3, held_on=date(2024, 9, 9),
    )  # fmt: skip
    assert error.rule_ids == ["activity.companion_days"]
    assert "6 日" in error.refusals[0].message and "5 日" in error.refusals[0].message
    # Exactly the maximum is allowed; so is the same school in the next semester.
    _record(demo, "companion_visit", school_code=code, days=2, held_on=date(2024, 9, 9))
    _record(demo, "companion_visit", school_code=code, days=5, held_on=date(2024, 3, 4))


def test_record_companion_visit_over_maximum_counts_only_its_own_school(demo):
    plan = demo.exec(select(Plan)).one()
    first, second = (s.code for s in _schools(demo, plan.county_id)[:2])
    _record(demo, "companion_visit", school_code=first, days=5, held_on=date(2024, 9, 2))
    _record(demo, "companion_visit", school_code=second, days=5, held_on=date(2024, 9, 2))
    assert _activities(demo) == 2


def test_companion_schools_reached_counts_schools_at_semester_minimum(demo):
    plan = demo.exec(select(Plan)).one()
    first, second = (s.code for s in _schools(demo, plan.county_id)[:2])
    for code, days in ((first, 2), (second, 2), (first, 1)):
        _record(demo, "companion_visit", school_code=code, days=days, held_on=date(2024, 9, 2))
    # first: 2 + 1 = 3 days reaches the minimum of 3; second: 2 days does not.
    assert companion_schools_reached(demo, plan.county_id, 113, "113-1", load_rules(113)) == 1
    assert companion_schools_reached(demo, plan.county_id, 113, "112-2", load_rules(113)) == 0


def test_record_companion_visit_keeps_semester_open_until_a_school_reaches_minimum_days(demo):
    plan = demo.exec(select(Plan)).one()
    demo.add_all(open_plan_milestones(demo, plan, load_rules(113), date(2024, 1, 15)))
    demo.flush()
    school = _schools(demo, plan.county_id)[0]
    # The office went along, but the school has had 2 of the 3 days a semester needs.
    first = dict(school_code=school.code, office_accompanied=True, held_on=date(2024, 9, 8))
    assert _record(demo, "companion_visit", days=2, **first).closed == []
    again = dict(school_code=school.code, held_on=date(2024, 9, 15))
    closed = _record(demo, "companion_visit", days=1, **again).closed
    assert [m.due_on for m in closed] == [date(2025, 1, 31)]
