"""Advancing an item through its lifecycle: the I/O around the pure machines and guards.

One call = one transition: access, evidence and every guard are checked first; only
then does the row move, the log get its row and the milestones open or close. A refusal
raises before anything is written; a concurrent change raises a conflict.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, select
from statemachine import StateMachine

from model.clock import today as clock_today
from model.tables import Milestone, TransitionLog, User
from rules import load_rules
from states.errors import Refusal, TransitionConflict, TransitionRefused, UnknownEvent, UnknownItem
from states.steps import (
    Actor,
    Step,
    county_refusals,
    parse_evidence,
    role_refusals,
    run_guards,
)
from states.values import ItemType, Role


@dataclass(frozen=True)
class Lifecycle:
    """How one kind of item plugs into the service."""

    item_type: ItemType
    label: str  # 軟體採購, 縣市實施計畫, …
    table: type[SQLModel]
    machine: type[StateMachine]
    steps: dict[str, Step]
    # (session, row, step, evidence, rules, today) -> the guards' context
    context: Callable[..., Any]
    # (session, row, step, evidence, rules, today) -> writes the evidence onto the row
    record: Callable[..., None]
    # (session, row, kind, rules, today) -> the milestones a step opens (maybe none)
    open_milestones: Callable[..., list[Milestone]]

    def state_label(self, value: str) -> str:
        return self.machine.states_map[value].name

    def item_name(self, item_id: int) -> str:
        return f"{self.label} #{item_id}"

    def events_from(self, state: str) -> list[str]:
        return list(dict.fromkeys(t.event for t in self.machine.states_map[state].transitions))


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, role=Role(user.role), county_id=user.county_id, name=user.display_name)


def load_item(session: Session, lifecycle: Lifecycle, item_id: int):
    row = session.get(lifecycle.table, item_id)
    if row is None:
        raise UnknownItem(lifecycle.item_name(item_id))
    return row


def check_event(lifecycle: Lifecycle, state: str, event: str) -> Step:
    allowed = [f"{e}（{lifecycle.steps[e].title}）" for e in lifecycle.events_from(state)]
    step = lifecycle.steps.get(event)
    if step is None:
        raise UnknownEvent(event, allowed)
    if event not in lifecycle.events_from(state):
        label = lifecycle.state_label(state)
        choices = "、".join(allowed) or "（無：此項目已結案）"
        raise TransitionRefused(
            [
                Refusal(
                    "state.not_allowed",
                    f"目前狀態「{label}」不能執行「{step.title}」。可用的動作：{choices}",
                )
            ]
        )
    return step


def advance(
    session: Session,
    lifecycle: Lifecycle,
    item_id: int,
    event: str,
    user: User,
    *,
    evidence: dict[str, Any] | None = None,
    reason: str = "",
    letter_no: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> TransitionLog:
    today = today or clock_today()
    row = load_item(session, lifecycle, item_id)
    actor = actor_of(user)
    # Access first, and alone: a refusal to an outsider says nothing about the item's
    # state, its figures or what its guards would have found.
    _refuse_now(county_refusals(actor, row.county_id))
    if expected_version is not None and row.version != expected_version:
        raise_conflict(lifecycle, row)
    step = check_event(lifecycle, row.status, event)
    _refuse_now(role_refusals(step, actor))
    rules = load_rules(row.year)
    evidence, letter_no = _letter_in_evidence(step, evidence, letter_no)
    parsed, refusals = parse_evidence(step, evidence)
    if step.reason_required and not reason.strip():
        refusals.append(Refusal("transition.reason", f"「{step.title}」須填寫理由。"))
    if parsed is not None or step.evidence is None:
        ctx = lifecycle.context(session, row, step, parsed, rules, today)
        refusals += run_guards(step.guards, ctx)
    _refuse_now(refusals)
    return _apply(session, lifecycle, row, step, parsed, actor, reason, letter_no, rules, today)


def _refuse_now(refusals: list[Refusal]) -> None:
    if refusals:
        raise TransitionRefused(refusals)


def _letter_in_evidence(step: Step, evidence, letter_no):
    """A decision's 文號 may come as an option or inside the evidence; keep both in step."""
    raw = dict(evidence or {})
    if step.evidence is None or "letter_no" not in step.evidence.model_fields:
        return raw, letter_no
    if letter_no and not raw.get("letter_no"):
        raw["letter_no"] = letter_no
    return raw, letter_no or (raw.get("letter_no") or "").strip() or None


def _apply(session, lifecycle, row, step, parsed, actor, reason, letter_no, rules, today):
    # Any query below autoflushes the moved row, so a competing commit can surface as
    # StaleDataError at any of them, not only at the final flush.
    try:
        return _write(session, lifecycle, row, step, parsed, actor, reason, letter_no, rules, today)
    except StaleDataError:
        session.rollback()
        raise_conflict(lifecycle, session.get(lifecycle.table, row.id, populate_existing=True))


def _write(session, lifecycle, row, step, parsed, actor, reason, letter_no, rules, today):
    source = str(row.status)
    lifecycle.record(session, row, step, parsed, rules, today)
    if letter_no:
        row.letter_no = letter_no
    lifecycle.machine(model=row, state_field="status").send(step.event)
    entry = TransitionLog(
        item_type=lifecycle.item_type,
        item_id=row.id,
        event=step.event,
        from_state=source,
        to_state=str(row.status),
        actor_id=actor.id,
        actor_role=actor.role,
        reason=reason.strip(),
        evidence=parsed.model_dump(mode="json") if parsed is not None else {},
        letter_no=letter_no,
    )
    session.add(entry)
    _close_milestones(session, lifecycle, row, step, today)
    for kind in step.opens:
        session.add_all(lifecycle.open_milestones(session, row, kind, rules, today))
    session.flush()
    return entry


def _close_milestones(session, lifecycle, row, step, today) -> None:
    if not step.closes:
        return
    open_ones = session.exec(
        select(Milestone).where(
            Milestone.subject_type == lifecycle.item_type,
            Milestone.subject_id == row.id,
            Milestone.kind.in_(step.closes),
            Milestone.done_on.is_(None),
        )
    )
    for milestone in open_ones:
        milestone.done_on = today
        milestone.evidence = {**milestone.evidence, "closed_by": step.event}


def raise_conflict(lifecycle: Lifecycle, row) -> None:
    raise TransitionConflict(
        lifecycle.item_name(row.id), str(row.status), lifecycle.state_label(row.status)
    )


def log_creation(session: Session, lifecycle: Lifecycle, row, user: User, reason: str = "") -> None:
    """Creation is logged too, so an item's history starts at its first state."""
    session.add(
        TransitionLog(
            item_type=lifecycle.item_type,
            item_id=row.id,
            event="create",
            from_state="",
            to_state=str(row.status),
            actor_id=user.id,
            actor_role=user.role,
            reason=reason,
        )
    )


def history(session: Session, lifecycle: Lifecycle, item_id: int) -> list[TransitionLog]:
    load_item(session, lifecycle, item_id)
    return list(
        session.exec(
            select(TransitionLog)
            .where(TransitionLog.item_type == lifecycle.item_type, TransitionLog.item_id == item_id)
            .order_by(TransitionLog.id)
        )
    )
