"""What each transition needs: who may take it, the evidence it records, its guards.

Guards are pure: they read a plain context and return a zh-TW sentence when their rule
is broken, or None. The workflow service runs every guard and refuses with all of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from states.errors import Refusal
from states.values import Role

Guard = Callable[[Any], str | None]

COUNTY_ROLES = frozenset({Role.county_staff, Role.county_supervisor})
SUPERVISOR = frozenset({Role.county_supervisor})
MINISTRY = frozenset({Role.ministry_reviewer})


def rule(rule_id: str) -> Callable[[Guard], Guard]:
    """Give a guard its stable rule id."""

    def mark(func: Guard) -> Guard:
        func.rule_id = rule_id  # type: ignore[attr-defined]
        return func

    return mark


@dataclass(frozen=True)
class Step:
    event: str
    title: str  # the button people see
    roles: frozenset[Role]
    evidence: type[BaseModel] | None = None
    guards: tuple[Guard, ...] = ()
    reason_required: bool = False
    opens: tuple[str, ...] = field(default=())  # milestone kinds this step opens
    closes: tuple[str, ...] = field(default=())  # milestone kinds this step completes


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: Role
    county_id: int | None
    name: str = ""


def county_refusals(actor: Actor, item_county_id: int) -> list[Refusal]:
    """County people stay in their county; the ministry and the auditor reach every county."""
    if actor.role.is_county and actor.county_id != item_county_id:
        return [Refusal("access.county", "您只能處理自己縣市的項目。")]
    return []


def role_refusals(step: Step, actor: Actor) -> list[Refusal]:
    """Deny by default: the step names the roles that may take it."""
    if actor.role in step.roles:
        return []
    allowed = "、".join(r.label for r in sorted(step.roles))
    return [
        Refusal(
            "access.role",
            f"「{step.title}」只能由{allowed}執行，您的角色是{actor.role.label}。",
        )
    ]


def access_refusals(step: Step, actor: Actor, item_county_id: int) -> list[Refusal]:
    return role_refusals(step, actor) + county_refusals(actor, item_county_id)


def parse_evidence(
    step: Step, raw: dict[str, Any] | None
) -> tuple[BaseModel | None, list[Refusal]]:
    if step.evidence is None:
        return None, []
    try:
        return step.evidence.model_validate(raw or {}), []
    except ValidationError as exc:
        return None, [Refusal("evidence.format", _field_message(e)) for e in exc.errors()]


def _field_message(error: dict) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(證明資料)"
    problem = error["msg"].removeprefix("Value error, ")
    return f"證明資料「{where}」：{problem}"


def run_guards(guards: Iterable[Guard], context: Any) -> list[Refusal]:
    refusals = []
    for guard in guards:
        message = guard(context)
        if message:
            refusals.append(Refusal(guard.rule_id, message))  # type: ignore[attr-defined]
    return refusals
