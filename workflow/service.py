"""Advancing an item through its lifecycle: the I/O around the pure machines and guards.

One call = one transition: access, evidence and every guard are checked first; only
then does the row move, the log get its row and the milestones open or close. A refusal
raises before anything is written; a concurrent change raises a conflict.
"""

from collections.abc import Callable
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, select
from statemachine import StateMachine

from config.clock import now
from config.clock import today as clock_today
from model import audit
from model.tables import Milestone, Plan, TransitionLog, User
from notifications.event_mail import on_transition
from rules import YearRules, load_rules
from states.errors import Refusal, TransitionConflict, TransitionRefused, UnknownEvent, UnknownItem
from states.steps import (
    Actor,
    Step,
    county_refusals,
    parse_evidence,
    reaches_county,
    role_refusals,
    run_guards,
)
from states.values import ItemType, Role


class Lifecycle(Protocol):
    """How one kind of item plugs into the service (workflow/lifecycles.py lists them).

    A lifecycle subclasses this protocol: it names its table, machine and steps and
    implements the three hooks below, and inherits the helpers that follow them.
    """

    item_type: ItemType
    label: str  # 軟體採購, 縣市實施計畫, …
    table: type[SQLModel]
    machine: type[StateMachine]
    steps: dict[str, Step]
    # In the hooks below, `row` is the item's column values as an `Item`, not an ORM row:
    # its attributes are read and set as a row's would be.

    def context(
        self,
        session: Session,
        row: Any,
        step: Step,
        evidence: BaseModel | None,
        rules: YearRules,
        today: date,
    ) -> Any:
        """The guards' context: what the step's guards read (Step.reads says which
        facts cost a query)."""
        ...

    def record(
        self,
        session: Session,
        row: Any,
        step: Step,
        evidence: BaseModel | None,
        rules: YearRules,
        today: date,
    ) -> None:
        """Writes the step's evidence onto the row."""
        ...

    def open_milestones(
        self, session: Session, row: Any, kind: str, rules: YearRules, today: date
    ) -> list[dict[str, Any]]:
        """The milestones a step opens (maybe none), as the column values of new
        `milestone` rows."""
        ...

    @property
    def targets(self) -> dict[tuple[str, str], str]:
        return moves(self.machine)

    def state_label(self, value: str) -> str:
        return self.machine.states_map[value].name

    def item_name(self, item_id: int) -> str:
        return f"{self.label} #{item_id}"

    def events_from(self, state: str) -> list[str]:
        return list(dict.fromkeys(t.event for t in self.machine.states_map[state].transitions))


@cache
def moves(machine: type[StateMachine]) -> dict[tuple[str, str], str]:
    """Where each event leads from each state, as the machine class defines it.

    The machine stays the one definition of the lifecycle; only firing it is replaced by
    this lookup, since building a machine around the row for each transition cost more
    than the rest of the step's Python. A lookup cannot evaluate a condition or a
    validator, so a machine that grows one is refused here rather than silently bypassed.
    """
    table = {}
    for state in machine.states:
        for transition in state.transitions:
            if list(transition.cond) or list(transition.validators):
                raise TypeError(f"{machine.__name__}: conditional transitions are not supported")
            for event in transition.events:
                table[(state.value, str(event))] = transition.target.value
    return table


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, role=Role(user.role), county_id=user.county_id, name=user.display_name)


def load_item(session: Session, lifecycle: Lifecycle, item_id: int):
    row = session.get(lifecycle.table, item_id)
    if row is None:
        raise UnknownItem(lifecycle.item_name(item_id))
    return row


def item_county(session: Session, row) -> int | None:
    """The county an item belongs to: its own, or else its plan's."""
    county = getattr(row, "county_id", None)
    if county is not None:
        return county
    plan_id = getattr(row, "plan_id", None)
    plan = session.get(Plan, plan_id) if plan_id else None
    return plan.county_id if plan else None


def load_visible(session: Session, lifecycle: Lifecycle, item_id: int, user: User):
    """`load_item` for one person: another county's item is answered exactly as a missing
    one, so that trying ids tells an outsider nothing about which exist."""
    row = load_item(session, lifecycle, item_id)
    if not reaches_county(actor_of(user), item_county(session, row)):
        raise UnknownItem(lifecycle.item_name(item_id))
    return row


class Item(SimpleNamespace):
    """One item's column values, read for one transition. The guards read them, the
    lifecycle's `record` sets them, and the move writes those that changed."""


def _load(session: Session, lifecycle: Lifecycle, item_id: int):
    """The item's values, the values the move compares them with, and the session's own
    row if it holds one.

    A row the session holds is the one its caller read and acts on, so its values, with
    any change not yet flushed, are the move's. Any other row is read in Core: the ORM's
    load cost some 140 µs a row on SQLite, for a read that takes 3.
    """
    held = session.identity_map.get(session.identity_key(lifecycle.table, item_id))
    table = lifecycle.table.__table__
    if held is not None:
        attrs = inspect(held).attrs
        values = {c.key: getattr(held, c.key) for c in table.columns}
        unchanged = {k: v for k, v in values.items() if not attrs[k].history.has_changes()}
        return Item(**values), unchanged, held
    found = session.connection().execute(_by_id(table), {"_id": item_id}).mappings().first()
    if found is None:
        raise UnknownItem(lifecycle.item_name(item_id))
    return Item(**found), dict(found), None


@cache
def _by_id(table: Table):
    return select(table).where(table.c.id == bindparam("_id"))


def check_event(lifecycle: Lifecycle, state: str, event: str) -> Step:
    step = lifecycle.steps.get(event)
    if step is not None and (state, event) in lifecycle.targets:
        return step
    allowed = [f"{e}（{lifecycle.steps[e].title}）" for e in lifecycle.events_from(state)]
    if step is None:
        raise UnknownEvent(event, allowed)
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
) -> SimpleNamespace:
    """Move the item by `event`; the values of the transition-log row written for it.

    The item is read and written in Core. A row of it the session holds is read again
    afterwards, so it shows the new state and version; any other ORM row of it, in
    another session, shows them once reloaded.
    """
    today = today or clock_today()
    row, read, held = _load(session, lifecycle, item_id)
    actor = actor_of(user)
    # Access first, and alone: a refusal to an outsider says nothing about the item's
    # state, its figures or what its guards would have found.
    _refuse_now(county_refusals(actor, item_county(session, row)))
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
    moved = (row, read, held)
    return _apply(session, lifecycle, moved, step, parsed, actor, reason, letter_no, rules, today)


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


def _apply(session, lifecycle, moved, step, parsed, actor, reason, letter_no, rules, today):
    # The move itself is one UPDATE that checks the version (see `_move`); a flush of
    # other objects below could still meet a competing commit, and that is a conflict too.
    try:
        return _write(
            session, lifecycle, moved, step, parsed, actor, reason, letter_no, rules, today
        )
    except StaleDataError:
        _lost(session, lifecycle, moved[0].id)


def _lost(session, lifecycle, item_id) -> None:
    session.rollback()
    raise_conflict(lifecycle, session.get(lifecycle.table, item_id, populate_existing=True))


def _write(session, lifecycle, moved, step, parsed, actor, reason, letter_no, rules, today):
    row, read, held = moved
    source = str(row.status)
    audit.lock(session.connection())
    # Queries in `record` read other rows; an autoflush there would write a change the
    # caller left on the held row before the move, giving one transition two versions.
    with session.no_autoflush:
        lifecycle.record(session, row, step, parsed, rules, today)
    if letter_no:
        row.letter_no = letter_no
    row.status = lifecycle.targets[(source, step.event)]
    # A held row flushed by a query since it was read has moved its version already.
    version = held.version if held is not None else row.version
    if not _move(session, lifecycle.table.__table__, row, read, version):
        _lost(session, lifecycle, row.id)
    if held is not None:
        # Read again (its unflushed changes are written and dropped), so that it shows the
        # new state and version and leaves nothing for a flush to write twice.
        session.refresh(held)
    entry = _log(
        session,
        item_type=lifecycle.item_type,
        item_id=row.id,
        event=step.event,
        from_state=source,
        to_state=str(row.status),
        actor_id=actor.id,
        actor_role=actor.role,
        at=now(),
        reason=reason.strip(),
        evidence=parsed.model_dump(mode="json") if parsed is not None else {},
        letter_no=letter_no,
    )
    _close_milestones(session, lifecycle, row, step, parsed, today)
    # What `record` added or changed besides the row, and the closed milestones; written
    # before the milestone lookups below, which read in Core and so never autoflush.
    if session.new or session.dirty or session.deleted:
        session.flush()
    opened = [
        m for k in step.opens for m in lifecycle.open_milestones(session, row, k, rules, today)
    ]
    if opened:
        session.connection().execute(insert(Milestone.__table__), opened)
    for listener in after_record():
        listener(session, lifecycle, row, entry)
    return entry


@cache
def after_record() -> tuple[Callable[..., Any], ...]:
    """What runs after every recorded transition, in its transaction: (session, lifecycle,
    row, log entry). A refused transition never gets here, and a rolled-back one takes
    what these wrote with it."""
    return (on_transition,)


# The ORM's unit of work (change tracking, dependency sorting, a flush per query through
# autoflush) cost more than the statements themselves, so the transition is written in
# Core. The version check is the mapping's `version_id_col` rule, written out: the ORM's
# own flushes of these rows (edits outside a transition) still go through it.
def _move(session, table: Table, row: Item, read: dict[str, Any], version: int) -> bool:
    """The row's changed values, its new state and the next version, in one UPDATE that
    matches only the version that was read: after a competing commit it matches no row."""
    missing = object()
    values = {k: v for k, v in vars(row).items() if read.get(k, missing) != v}
    values["version"] = version + 1
    params = {**values, "_id": row.id, "_version": version}
    if session.connection().execute(_update(table), params).rowcount != 1:
        return False
    row.version = version + 1
    return True


@cache
def _update(table: Table):
    return update(table).where(
        table.c.id == bindparam("_id"), table.c.version == bindparam("_version")
    )


def _log(session, **values) -> SimpleNamespace:
    """The log row, linked to the hash chain and inserted at once; handed back as its
    values. An ORM row built for it (the model's __init__: pydantic defaults and change
    tracking for each field) cost as much as the INSERT; `session.get(TransitionLog,
    entry.id)` gives one."""
    return SimpleNamespace(**audit.append(session.connection(), values))


def column_values(row: SQLModel) -> dict[str, Any]:
    """An unsaved row's columns, to insert in Core."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if not c.primary_key}


def step_day(step: Step, evidence, today: date) -> date:
    """The day the step happened: the date its evidence gives, else the day it is entered."""
    day = getattr(evidence, step.dated_by, None) if step.dated_by else None
    return day if isinstance(day, date) else today


def _close_milestones(session, lifecycle, row, step, parsed, today) -> None:
    if not step.closes:
        return
    done_on = step_day(step, parsed, today)
    open_ones = session.exec(
        select(Milestone).where(
            Milestone.subject_type == lifecycle.item_type,
            Milestone.subject_id == row.id,
            Milestone.kind.in_(step.closes),
            Milestone.done_on.is_(None),
        )
    )
    for milestone in open_ones:
        milestone.done_on = done_on
        milestone.evidence = {**milestone.evidence, "closed_by": step.event}


def raise_conflict(lifecycle: Lifecycle, row) -> None:
    raise TransitionConflict(
        lifecycle.item_name(row.id), str(row.status), lifecycle.state_label(row.status)
    )


def log_creation(session: Session, lifecycle: Lifecycle, row, user: User, reason: str = "") -> None:
    """Creation is logged too, so an item's history starts at its first state."""
    if row.id is None:
        session.flush()
    _log(
        session,
        item_type=lifecycle.item_type,
        item_id=row.id,
        event="create",
        from_state="",
        to_state=str(row.status),
        actor_id=user.id,
        actor_role=user.role,
        at=now(),
        reason=reason,
        evidence={},
        letter_no=None,
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
