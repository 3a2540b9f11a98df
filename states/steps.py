"""What each transition needs: who may take it, the evidence it records, its guards.

Guards are pure: they read a plain context and return a zh-TW sentence when their rule
is broken, or None. The workflow service runs every guard and refuses with all of them.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from states.errors import Refusal
from states.evidence import CHOICE_LABELS
from states.values import Role
from vocab.labels import ITEM_LABELS

Guard = Callable[[Any], str | None]

COUNTY_ROLES = frozenset({Role.county_staff, Role.county_supervisor})
SUPERVISOR = frozenset({Role.county_supervisor})
MINISTRY = frozenset({Role.ministry_reviewer})


def rule(rule_id: str, reads: Iterable[str] = ()) -> Callable[[Guard], Guard]:
    """Give a guard its stable rule id, and name the facts of its context that the
    workflow service must look up for it (a query each): a step loads only those."""

    def mark(func: Guard) -> Guard:
        func.rule_id = rule_id  # type: ignore[attr-defined]
        func.reads = frozenset(reads)  # type: ignore[attr-defined]
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
    # The evidence field holding the day the step happened (請撥日期, 撥款日期 …): what the
    # milestones it closes record as done, rather than the day it was typed in.
    dated_by: str = ""

    @property
    def reads(self) -> frozenset[str]:
        """The looked-up facts its guards read, by their names in the guards' context."""
        return frozenset().union(*(getattr(guard, "reads", ()) for guard in self.guards))


@dataclass(frozen=True)
class Actor:
    id: int | None
    role: Role
    county_id: int | None
    name: str = ""


def reaches_county(actor: Actor, county_id: int | None) -> bool:
    """County people stay in their county; the ministry and the auditor reach every county."""
    return not actor.role.is_county or (county_id is not None and actor.county_id == county_id)


def county_refusals(actor: Actor, item_county_id: int | None) -> list[Refusal]:
    if reaches_county(actor, item_county_id):
        return []
    return [Refusal("access.county", "您只能處理自己縣市的項目。")]


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


def access_refusals(step: Step, actor: Actor, item_county_id: int | None) -> list[Refusal]:
    return role_refusals(step, actor) + county_refusals(actor, item_county_id)


def parse_evidence(
    step: Step, raw: dict[str, Any] | None
) -> tuple[BaseModel | None, list[Refusal]]:
    if step.evidence is None:
        return None, []
    try:
        return step.evidence.model_validate(raw or {}), []
    except ValidationError as exc:
        return None, evidence_refusals(step.evidence, exc.errors())


def evidence_refusals(model: type[BaseModel], errors: Iterable[Mapping[str, Any]]) -> list[Refusal]:
    """Pydantic's errors as sentences naming each field by its zh-TW label, one a field."""
    out: dict[str, Refusal] = {}
    for error in errors:
        path, labels, info = _walk(model, tuple(error["loc"]))
        where = "".join(labels) or "證明資料"
        out.setdefault(path, Refusal("evidence.format", _problem(where, error, info), path))
    return list(out.values())


def field_label(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """「與會人員」第 2 列「身分」: the labels along a path, rows counted from 1."""
    return "".join(_walk(model, loc)[1])


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, list[str], Any]:
    """The path as far as it names fields, rows or budget items (a union's member tags,
    "int" or "float", are pydantic's, not the person's), its labels, and the last field."""
    path: list[str] = []
    labels: list[str] = []
    current: Any = model
    info = None
    for part in loc:
        if current is None:
            break
        path.append(str(part))
        if isinstance(part, int):
            labels.append(f"第 {part + 1} 列")
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            labels.append(f"「{ITEM_LABELS.get(str(part), str(part))}」")
            continue
        labels.append(f"「{info.title or part}」")
        current = _inner_model(info.annotation)
    return ".".join(path), labels, info


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _inner_model(annotation: Any) -> Any:
    """The model a field holds, itself or in a list, tuple or dict; None otherwise."""
    if _is_model(annotation):
        return annotation
    for arg in get_args(annotation):
        if (found := _inner_model(arg)) is not None:
            return found
    return None


_TYPE_MESSAGES = {
    "missing": "請填寫{where}。",
    "string_too_short": "請填寫{where}，不可空白。",
    "too_short": "{where}至少須填 {min_length} 筆。",
    "string_too_long": "{where}最多 {max_length} 字。",
    "extra_forbidden": "{where}不是此動作的證明資料欄位。",
    "bool_type": "{where}須為「是」或「否」。",
    "bool_parsing": "{where}須為「是」或「否」。",
    "string_pattern_mismatch": "{where}的格式不正確。",
    "literal_error": "{where}須為下列之一：{expected}。",
    "greater_than_equal": "{where}不可小於 {ge}。",
    "date_type": "{where}須為日期，例如 113/11/30。",
    "date_parsing": "{where}須為日期，例如 113/11/30。",
    "date_from_datetime_parsing": "{where}須為日期，例如 113/11/30。",
    "date_from_datetime_inexact": "{where}須為日期，不含時間。",
    "int_type": "{where}須為不含小數的整數。",
    "int_parsing": "{where}須為不含小數的整數。",
    "int_from_float": "{where}須為不含小數的整數。",
    "float_type": "{where}須為數字。",
    "string_type": "{where}須為文字。",
}


def _problem(where: str, error: Mapping[str, Any], info: Any) -> str:
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    if kind == "string_pattern_mismatch" and info is not None and info.description:
        return f"{where}的格式不正確：{info.description}"
    if kind == "value_error":
        # Our own validators (the typed day) already speak zh-TW.
        return f"{where}：{ctx.get('error', error['msg'])!s}"
    if kind == "literal_error":
        ctx["expected"] = "、".join(
            CHOICE_LABELS.get(v, v) for v in re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        )
    template = _TYPE_MESSAGES.get(kind, "{where}的格式不正確。")
    try:
        return template.format(where=where, **ctx)
    except (KeyError, IndexError):
        return f"{where}的格式不正確。"


def run_guards(guards: Iterable[Guard], context: Any) -> list[Refusal]:
    refusals = []
    for guard in guards:
        message = guard(context)
        if message:
            refusals.append(Refusal(guard.rule_id, message))  # type: ignore[attr-defined]
    return refusals
