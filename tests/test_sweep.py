"""The compliance sweep on demo data, on SQLite and PostgreSQL."""

from datetime import date

from deadline_fixtures import blank_explanation, seed_demo
from sqlmodel import Session, select

from flows.jobs import run
from flows.jobs.context import JobContext
from flows.jobs.sweep import compliance_sweep, current_context
from model.db import session_scope
from model.tables import BudgetLine, Finding, Milestone, Notification, Plan, Reimbursement, User
from rules import WorkCalendar, load_rules
from states.errors import Refusal
from states.plan import STEPS as PLAN_STEPS
from states.plan import UNEXPLAINED_DIFFERENCE, differences_explained
from states.steps import run_guards
from states.values import Role
from vocab.display import ntd
from workflow.plans import plan_context


def _findings(engine) -> dict[tuple[str, str, int], tuple]:
    with Session(engine) as session:
        return {
            (f.rule_id, f.subject_type, f.subject_id): (f.first_seen, f.resolved_on)
            for f in session.exec(select(Finding))
        }


def _open(engine, rule_id: str) -> list[tuple]:
    return [v for k, v in _findings(engine).items() if k[0] == rule_id and v[1] is None]


def _break_rules(engine) -> None:
    """A plan past its submission milestone, an unexplained line, an unsettled plan."""
    with session_scope(engine) as session:
        plan = session.exec(select(Plan)).one()
        owner = session.exec(select(User).where(User.role == Role.county_staff)).first()
        session.add(Milestone(
            county_id=plan.county_id, year=113, kind="plan.submit", title="提報實施計畫",
            subject_type="plan", subject_id=plan.id, owner_id=owner.id, due_on=date(2024, 3, 1),
        ))  # fmt: skip
        session.add(Reimbursement(county_id=plan.county_id, year=113, plan_id=plan.id,
                                  subsidy=1_000_000))  # fmt: skip
    blank_explanation(engine)


def test_sweep_records_each_rule_once_and_alerts_the_responsible(engine):
    seed_demo(engine)
    _break_rules(engine)
    report = run.sweep(engine, date(2024, 11, 15))
    assert len(_open(engine, "purchase.disbursement_due_soon")) == 6
    assert len(_open(engine, "plan.not_submitted")) == 1
    assert len(_open(engine, "plan.unexplained_difference")) == 1
    assert _open(engine, "milestone.overdue")
    assert not _open(engine, "reimbursement.settlement_overdue")
    with Session(engine) as session:
        users = {u.id: u for u in session.exec(select(User))}
    readers = {(users[m.recipient_id].role, users[m.recipient_id].daily_digest)
               for m in report.queued}  # fmt: skip
    # The supervisor for the owner-less plan and budget line, and the reviewer who takes
    # single mails; never the reviewer on the digest, the admin or the auditor.
    assert readers == {(Role.county_supervisor, False), (Role.ministry_reviewer, False)}
    assert not any("逾期未完成" in m.rendered.subject for m in report.queued)


def test_sweep_records_disbursement_findings_without_mailing_them(engine):
    # The disbursement milestone's reminders and escalation already tell its owner, and
    # the ministry only at step 3: the sweep's findings would duplicate them.
    seed_demo(engine)
    soon = run.sweep(engine, date(2024, 11, 15))
    late = run.sweep(engine, date(2024, 12, 2))
    assert len([k for k in _findings(engine) if k[0].startswith("purchase.disbursement")]) == 12
    assert len(_open(engine, "purchase.disbursement_overdue")) == 6
    assert soon.counts["新發現"] > 0 and late.counts["新發現"] > 0
    assert not [m for m in soon.queued + late.queued if "經費請撥" in m.rendered.subject]


def test_sweep_twice_on_one_day_changes_nothing(engine):
    seed_demo(engine)
    _break_rules(engine)
    run.sweep(engine, date(2024, 11, 15))
    before, mails = _findings(engine), _count(engine)
    again = run.sweep(engine, date(2024, 11, 15))
    assert again.counts["新發現"] == 0 and again.queued == []
    assert _findings(engine) == before and _count(engine) == mails


def test_sweep_resolves_gone_findings_and_keeps_first_seen(engine):
    seed_demo(engine)
    _break_rules(engine)
    run.sweep(engine, date(2024, 11, 15))
    run.sweep(engine, date(2024, 12, 2))
    soon = _open(engine, "purchase.disbursement_due_soon")
    assert soon == []
    resolved = [v for k, v in _findings(engine).items()
                if k[0] == "purchase.disbursement_due_soon"]  # fmt: skip
    assert {v for v in resolved} == {(date(2024, 11, 15), date(2024, 12, 2))}
    assert {v for v in _open(engine, "purchase.disbursement_overdue")} == {
        (date(2024, 12, 2), None)
    }
    assert {v for v in _open(engine, "plan.not_submitted")} == {(date(2024, 11, 15), None)}


def _line(engine) -> BudgetLine:
    with Session(engine) as session:
        return session.exec(select(BudgetLine).where(BudgetLine.explanation == "  ")).one()


def _set_line(engine, line_id: int, **values) -> None:
    with session_scope(engine) as session:
        line = session.get(BudgetLine, line_id)
        for name, value in values.items():
            setattr(line, name, value)


def _finding(engine, rule_id: str) -> Finding:
    with Session(engine) as session:
        return session.exec(select(Finding).where(Finding.rule_id == rule_id)).one()


def test_a_finding_that_goes_and_comes_back_is_reopened_not_filed_again(engine):
    seed_demo(engine)
    blank_explanation(engine)
    line = _line(engine)
    first = run.sweep(engine, date(2024, 11, 15))
    assert [m for m in first.queued if "未說明" in m.rendered.subject]
    _set_line(engine, line.id, explanation="已說明")
    gone = run.sweep(engine, date(2024, 11, 18))
    assert gone.counts["已改善"] == 1
    assert _finding(engine, "plan.unexplained_difference").resolved_on == date(2024, 11, 18)
    # Back, with another amount: the finding reopens with today's message and keeps the
    # day it was first seen, so nobody is mailed about it again.
    _set_line(engine, line.id, explanation="", recurrent=line.recurrent + 1_000)
    back = run.sweep(engine, date(2024, 11, 19))
    finding = _finding(engine, "plan.unexplained_difference")
    assert (finding.first_seen, finding.resolved_on) == (date(2024, 11, 15), None)
    assert ntd(line.recurrent + line.capital + 1_000) in finding.message
    assert back.counts["新發現"] == 0 and back.counts["已改善"] == 0
    assert back.counts["仍存在"] == gone.counts["仍存在"] + 1
    assert not [m for m in back.queued if "未說明" in m.rendered.subject]


def test_two_sweeps_on_one_day_follow_a_change_in_between(engine):
    seed_demo(engine)
    blank_explanation(engine)
    line = _line(engine)
    run.sweep(engine, date(2024, 11, 15))
    _set_line(engine, line.id, explanation="已說明")
    morning = run.sweep(engine, date(2024, 11, 18))
    _set_line(engine, line.id, explanation="")
    afternoon = run.sweep(engine, date(2024, 11, 18))
    assert morning.counts["已改善"] == 1 and afternoon.counts["已改善"] == 0
    assert afternoon.counts["仍存在"] == morning.counts["仍存在"] + 1
    assert _finding(engine, "plan.unexplained_difference").resolved_on is None


def test_a_subject_whose_rule_stops_applying_is_resolved_alone(engine):
    seed_demo(engine)
    run.sweep(engine, date(2024, 11, 15))
    overdue = _open(engine, "milestone.overdue")
    with session_scope(engine) as session:
        milestone = session.exec(
            select(Milestone).join(Finding, Finding.subject_id == Milestone.id)
            .where(Finding.rule_id == "milestone.overdue").order_by(Milestone.id)
        ).first()  # fmt: skip
        milestone.done_on = date(2024, 11, 15)
        done = milestone.id
    report = run.sweep(engine, date(2024, 11, 18))
    assert report.counts["已改善"] == 1
    assert len(_open(engine, "milestone.overdue")) == len(overdue) - 1
    resolved = _findings(engine)[("milestone.overdue", "milestone", done)]
    assert resolved == (date(2024, 11, 15), date(2024, 11, 18))


def test_counts_add_up_to_the_open_findings(engine):
    seed_demo(engine)
    _break_rules(engine)
    for day in (date(2024, 11, 15), date(2024, 12, 2), date(2025, 4, 1)):
        report = run.sweep(engine, day)
        still_open = [v for v in _findings(engine).values() if v[1] is None]
        assert report.counts["新發現"] + report.counts["仍存在"] == len(still_open), day


def test_another_year_s_checks_leave_this_year_s_findings_open(engine):
    # Each year's checks see only their own year's subjects: a finding stays open while
    # the check of any year still finds it.
    seed_demo(engine)
    _break_rules(engine)
    rules = load_rules(113)
    later = rules.model_copy(update={"year": 114})
    day = date(2024, 11, 15)
    with session_scope(engine) as session:
        alone = compliance_sweep(session, [_context(rules, day)])
    before = _findings(engine)
    with session_scope(engine) as session:
        both = compliance_sweep(session, [_context(rules, day), _context(later, day)])
    assert _findings(engine) == before
    assert both.counts == {"新發現": 0, "仍存在": sum(alone.counts.values()), "已改善": 0}


def _context(rules, day: date) -> JobContext:
    return JobContext(day, rules, WorkCalendar.from_rules(rules), "http://jj.example", "x", "x")


def _rules_with_settlement_on(due: date):
    """The 113 rules with the settlement due on another day (the real one is a Monday)."""
    rules = load_rules(113)
    return rules.model_copy(
        update={"settlement": rules.settlement.model_copy(update={"date": due})}
    )


def _sweep_with(session, rules, day: date):
    return compliance_sweep(session, [_context(rules, day)])


def test_sweep_flags_settlement_after_the_rolled_due_date(engine):
    seed_demo(engine)
    _break_rules(engine)
    rules = _rules_with_settlement_on(date(2025, 3, 29))  # a Saturday
    assert rules.settlement.roll_to_working_day
    for day in (date(2025, 3, 30), date(2025, 3, 31)):  # Sunday, then the rolled Monday
        with session_scope(engine) as session:
            _sweep_with(session, rules, day)
        assert _open(engine, "reimbursement.settlement_overdue") == [], day
    with session_scope(engine) as session:
        _sweep_with(session, rules, date(2025, 4, 1))
    assert len(_open(engine, "reimbursement.settlement_overdue")) == 1


def test_sweep_on_a_weekend_records_and_mails_on_monday(engine):
    seed_demo(engine)
    run.sweep(engine, date(2024, 11, 29))
    blank_explanation(engine)
    sunday = run.sweep(engine, date(2024, 12, 1))
    assert len(_open(engine, "plan.unexplained_difference")) == 1 and sunday.queued == []
    monday = run.sweep(engine, date(2024, 12, 2))
    assert monday.counts["新發現"] == 0
    # The county's supervisor (nobody owns a budget line) and the reviewer on single mails.
    assert len([m for m in monday.queued if "未說明" in m.rendered.subject]) == 2


def test_current_context_takes_the_year_whose_calendar_covers_the_day():
    old, new = load_rules(113), load_rules(113).model_copy(update={"year": 114})
    new = new.model_copy(update={"calendar": new.calendar.model_copy(
        update={"first_year": 2025, "last_year": 2026})})  # fmt: skip
    old = old.model_copy(update={"calendar": old.calendar.model_copy(
        update={"first_year": 2024, "last_year": 2024})})  # fmt: skip

    def ctxs(day: date) -> list[JobContext]:
        return [JobContext(day, r, WorkCalendar.from_rules(r), "", "", "") for r in (old, new)]

    assert current_context(ctxs(date(2024, 11, 29))).year == 113
    assert current_context(ctxs(date(2025, 6, 2))).year == 114
    assert current_context(ctxs(date(2030, 1, 2))).year == 114  # none covers it: the latest


def _count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Notification.id)).all())


def test_sweep_finding_and_submit_refusal_are_one_rule_in_one_sentence(engine):
    # The SQL check sweeps every plan at once; the guard judges one plan on submission.
    # Both are plan.unexplained_difference, and a clerk reads the same sentence from each.
    seed_demo(engine)
    blank_explanation(engine)
    line = _line(engine)
    run.sweep(engine, date(2024, 11, 15))
    finding = _finding(engine, UNEXPLAINED_DIFFERENCE)
    with Session(engine) as session:
        plan = session.get(Plan, line.plan_id)
        step = PLAN_STEPS["submit"]
        ctx = plan_context(session, plan, step, None, load_rules(plan.year), date(2024, 11, 15))
        refusals = run_guards([differences_explained], ctx)
    assert refusals == [Refusal(UNEXPLAINED_DIFFERENCE, finding.message)]
    assert "「3 教師增能研習費」（申請 新臺幣" in finding.message
