"""The compliance sweep on demo data, on SQLite and PostgreSQL."""

from datetime import date

from deadline_fixtures import seed_demo
from sqlmodel import Session, select

from flows.jobs import run
from model.db import session_scope
from model.tables import BudgetLine, Finding, Milestone, Notification, Plan, Reimbursement, User
from states.values import BudgetItem, Role


def _findings(engine) -> dict[tuple[str, str, int], tuple]:
    with Session(engine) as session:
        return {
            (f.rule_id, f.subject_type, f.subject_id): (f.first_seen, f.last_seen, f.resolved_on)
            for f in session.exec(select(Finding))
        }


def _open(engine, rule_id: str) -> list[tuple]:
    return [v for k, v in _findings(engine).items() if k[0] == rule_id and v[2] is None]


def _break_rules(engine) -> None:
    """A plan past its submission milestone, an unexplained line, an unsettled plan."""
    with session_scope(engine) as session:
        plan = session.exec(select(Plan)).one()
        owner = session.exec(select(User).where(User.role == Role.county_staff)).first()
        session.add(Milestone(
            county_id=plan.county_id, year=113, kind="plan.submit", title="提報實施計畫",
            subject_type="plan", subject_id=plan.id, owner_id=owner.id, due_on=date(2024, 3, 1),
        ))  # fmt: skip
        line = session.exec(
            select(BudgetLine).where(BudgetLine.item == BudgetItem.teacher_training)
        ).one()
        line.explanation = "  "
        session.add(Reimbursement(county_id=plan.county_id, year=113, plan_id=plan.id,
                                  subsidy=1_000_000))  # fmt: skip


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
    # Owners, the supervisor for the owner-less budget line, and the reviewer who takes
    # single mails; never the reviewer on the digest, the admin or the auditor.
    assert readers == {(Role.county_staff, False), (Role.county_supervisor, False),
                       (Role.ministry_reviewer, False)}  # fmt: skip
    assert not any(m.dedupe_key.startswith("finding:") and "逾期未完成" in m.rendered.subject
                   for m in report.queued)  # fmt: skip


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
    assert {v for v in resolved} == {(date(2024, 11, 15), date(2024, 11, 15), date(2024, 12, 2))}
    assert {v[:2] for v in _open(engine, "purchase.disbursement_overdue")} == {
        (date(2024, 12, 2), date(2024, 12, 2))
    }
    assert {v[:2] for v in _open(engine, "plan.not_submitted")} == {
        (date(2024, 11, 15), date(2024, 12, 2))
    }


def test_sweep_flags_settlement_after_the_rolled_due_date(engine):
    seed_demo(engine)
    _break_rules(engine)
    run.sweep(engine, date(2025, 3, 31))  # the due date itself (a Monday): not yet late
    assert _open(engine, "reimbursement.settlement_overdue") == []
    run.sweep(engine, date(2025, 4, 1))
    assert len(_open(engine, "reimbursement.settlement_overdue")) == 1


def test_sweep_on_a_weekend_records_and_mails_on_monday(engine):
    seed_demo(engine)
    run.sweep(engine, date(2024, 11, 29))
    sunday = run.sweep(engine, date(2024, 12, 1))
    assert len(_open(engine, "purchase.disbursement_overdue")) == 6 and sunday.queued == []
    monday = run.sweep(engine, date(2024, 12, 2))
    assert monday.counts["新發現"] == 0
    assert len([m for m in monday.queued if "逾期未完成經費請撥" in m.rendered.subject]) == 12


def _count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Notification.id)).all())
