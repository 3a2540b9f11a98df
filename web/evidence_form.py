"""An action's evidence form, drawn from the step's pydantic model and read back from it.

Labels and help come from the model's fields (states: title and description), so the page,
the command line and the refusals name a field alike. The model stays the one judge of the
evidence: this module only turns typed text into numbers and dates and names blank required
fields in words; `advance` validates the rest.
"""

import json
import re
import types
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from forms.fields import MAX_AMOUNT
from states.errors import Refusal
from states.evidence import CHOICE_LABELS
from states.steps import evidence_refusals
from states.values import BudgetItem
from vocab.dates import DayError, parse_day
from vocab.display import roc_date
from vocab.labels import ITEM_LABELS
from workflow.lifecycles import LIFECYCLES

PREFIX = "ev."
LIST_ROWS = 6
WHOLE = re.compile(r"\d{1,3}(,\d{3})+|\d+")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
LONG_TEXT = {"minutes", "text", "notes", "justification", "reason", "explanation"}
DAY_EXAMPLE = "例如 113/11/30"


@dataclass
class FieldSpec:
    name: str
    label: str
    kind: str  # date | int | text | textarea | select | rows | checkbox | spending | json
    required: bool
    help: str = ""
    default: str = ""  # what the form shows before anything is typed
    options: list[tuple[str, str]] = field(default_factory=list)
    columns: list["FieldSpec"] = field(default_factory=list)
    rows: int = 0


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """The type inside `X | None`, without its validators (`Day | None` is a date)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            inner = args[0]
            return (get_args(inner)[0] if get_origin(inner) is Annotated else inner), True
    return annotation, False


def field_specs(model: type[BaseModel] | None) -> list[FieldSpec]:
    if model is None:
        return []
    return [_spec(name, info) for name, info in model.model_fields.items()]


def _spec(name: str, info) -> FieldSpec:
    annotation, optional = _unwrap_optional(info.annotation)
    required = info.is_required() and not optional
    spec = FieldSpec(name, info.title or name, "text", required, info.description or "")
    if info.default is True:
        spec.default = "on"
    elif type(info.default) is int:
        spec.default = str(info.default)
    origin = get_origin(annotation)
    if origin is Literal:
        spec.kind = "select"
        spec.options = [(str(v), CHOICE_LABELS.get(str(v), str(v))) for v in get_args(annotation)]
    elif origin in (list, tuple) and _is_model(get_args(annotation)[0]):
        spec.kind, spec.rows = "rows", LIST_ROWS
        spec.columns = field_specs(get_args(annotation)[0])
    elif origin is dict and _is_model(get_args(annotation)[1]):
        # The 收支結算表: one row a budget item, one column a field of the line.
        spec.kind = "spending"
        spec.columns = field_specs(get_args(annotation)[1])
        spec.options = [(i.value, ITEM_LABELS[i.value]) for i in BudgetItem]
    elif annotation is bool:
        spec.kind = "checkbox"
    elif _is_number(annotation):
        spec.kind = "int"
    elif annotation is date:
        spec.kind = "date"
    elif annotation is str:
        spec.kind = "textarea" if name in LONG_TEXT else "text"
    else:
        spec.kind = "json"  # anything richer: typed as JSON by the person (rare)
    return spec


def _is_number(annotation: Any) -> bool:
    """int, or the loose StrictInt | StrictFloat amount some evidence takes (whole 元 are
    still what the form reads; the guard names a fraction in words)."""
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(get_args(a)[:1] == (int,) for a in get_args(annotation))
    return False


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _all_labels() -> dict[str, str]:
    """Every evidence field's label by name (first definition wins), for the history."""
    labels: dict[str, str] = dict(ITEM_LABELS)
    for lifecycle in LIFECYCLES.values():
        for step in lifecycle.steps.values():
            for spec in field_specs(step.evidence):
                labels.setdefault(spec.name, spec.label)
                for column in spec.columns:
                    labels.setdefault(column.name, column.label)
    return labels


FIELD_LABELS = _all_labels()


def read_evidence(
    model: type[BaseModel] | None, form
) -> tuple[dict[str, Any] | None, list[Refusal]]:
    """The evidence dict for `advance`, and the typing problems found on the way."""
    if model is None:
        return None, []
    data: dict[str, Any] = {}
    problems: list[Refusal] = []
    for spec in field_specs(model):
        _read_field(spec, form, spec.name, data, problems)
    if problems:
        # Said all at once: what the model finds in the rest, beside what typing found.
        try:
            model.model_validate(data)
        except ValidationError as exc:
            seen = {p.field.split(".")[0] for p in problems}
            refusals = evidence_refusals(model, exc.errors())
            problems += [r for r in refusals if r.field.split(".")[0] not in seen]
    return data, problems


def _read_field(spec: FieldSpec, form, path: str, out: dict, problems: list[Refusal]) -> None:
    key = PREFIX + path
    if spec.kind == "rows":
        rows = []
        for i in range(spec.rows):
            row: dict[str, Any] = {}
            texts = [str(form.get(f"{key}.{i}.{c.name}", "")).strip() for c in spec.columns]
            if not any(t for t, c in zip(texts, spec.columns, strict=True) if c.kind != "checkbox"):
                continue
            for column in spec.columns:
                _read_field(column, form, f"{path}.{i}.{column.name}", row, problems)
            rows.append(row)
        if rows or spec.required:
            out[spec.name] = rows
        return
    if spec.kind == "spending":
        lines = {}
        for item, _ in spec.options:
            line: dict[str, Any] = {}
            for column in spec.columns:
                _read_field(column, form, f"{path}.{item}.{column.name}", line, problems)
            if line:
                lines[item] = line
        if lines or spec.required:
            out[spec.name] = lines
        return
    if spec.kind == "checkbox":
        out[spec.name] = form.get(key) in ("on", "true", "1")
        return
    text = str(form.get(key, "")).strip()
    if not text:
        if spec.required:
            problems.append(Refusal("evidence.format", f"請填寫「{spec.label}」。", path))
        return
    value, problem = _convert(spec, text)
    if problem:
        problems.append(Refusal("evidence.format", problem, path))
    else:
        out[spec.name] = value


def _convert(spec: FieldSpec, text: str) -> tuple[Any, str | None]:
    if spec.kind == "int":
        if WHOLE.fullmatch(text):
            value = int(text.replace(",", ""))
            if value > MAX_AMOUNT:
                return None, f"「{spec.label}」超出上限 {MAX_AMOUNT:,}，收到「{text}」。"
            return value, None
        return None, f"「{spec.label}」須為不含小數的整數，收到「{text}」。"
    if spec.kind == "date":
        try:
            return parse_day(text).isoformat(), None
        except DayError as error:
            return None, f"「{spec.label}」：{error}"
    if spec.kind == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, f"「{spec.label}」格式不正確。"
    return text, None


def shown_day(text: str) -> str:
    """A typed day shown back in ROC when it reads as one; as typed otherwise."""
    try:
        return roc_date(parse_day(text))
    except DayError:
        return text
