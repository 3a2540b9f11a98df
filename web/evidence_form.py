"""An action's evidence form, drawn from the step's pydantic model and read back from it.

The model stays the one judge of the evidence: this module only turns typed text into
numbers and dates and names blank required fields in words; `advance` validates the rest.
"""

import json
import re
import types
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from states.errors import Refusal
from states.evidence import ATTENDEE_ROLES, PROCUREMENT_METHODS

PREFIX = "ev."
LIST_ROWS = 6
WHOLE = re.compile(r"\d{1,3}(,\d{3})+|\d+")

FIELD_LABELS = {
    "held_on": "會議日期",
    "minutes": "會議紀錄摘要",
    "attendees": "與會人員",
    "public": "本次會議為公開會議",
    "name": "姓名",
    "role": "身分",
    "product_serial": "產品序號（選購名單）",
    "amount": "金額（元）",
    "hardware_amount": "其中硬體或教具金額（元）",
    "document": "文件種類",
    "text": "文件內容（含條款文字）",
    "method": "採購方式",
    "awarded_on": "決標日期",
    "procurement_amount": "採購金額（元）",
    "vendor": "得標廠商",
    "justification": "理由",
    "requested_on": "請撥日期",
    "cumulative_users": "累計使用人數",
    "cumulative_hours": "累計使用時數",
    "notes": "質性說明",
}
CHOICE_LABELS = {
    **ATTENDEE_ROLES,
    **PROCUREMENT_METHODS,
    "requirement": "需求文件",
    "contract": "契約書",
}
LONG_TEXT = {"minutes", "text", "notes", "justification", "reason", "explanation"}


@dataclass
class FieldSpec:
    name: str
    label: str
    kind: str  # date | int | text | textarea | select | rows | checkbox | json
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    columns: list["FieldSpec"] = field(default_factory=list)
    rows: int = 0


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _label(name: str, info) -> str:
    # A model's own title names the field for its step (決標金額, not any 金額).
    return info.title or FIELD_LABELS.get(name) or info.description or name


def field_specs(model: type[BaseModel] | None) -> list[FieldSpec]:
    if model is None:
        return []
    return [_spec(name, info) for name, info in model.model_fields.items()]


def _spec(name: str, info) -> FieldSpec:
    annotation, optional = _unwrap_optional(info.annotation)
    required = info.is_required() and not optional
    spec = FieldSpec(name, _label(name, info), "text", required)
    origin = get_origin(annotation)
    if origin is Literal:
        spec.kind = "select"
        spec.options = [(str(v), CHOICE_LABELS.get(str(v), str(v))) for v in get_args(annotation)]
    elif origin is list and _is_model(get_args(annotation)[0]):
        spec.kind, spec.rows = "rows", LIST_ROWS
        spec.columns = field_specs(get_args(annotation)[0])
    elif annotation is bool:
        spec.kind = "checkbox"
    elif annotation is int:
        spec.kind = "int"
    elif annotation is date:
        spec.kind = "date"
    elif annotation is str:
        spec.kind = "textarea" if name in LONG_TEXT else "text"
    else:
        spec.kind = "json"  # anything richer: typed as JSON by the person (rare)
    return spec


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def read_evidence(
    model: type[BaseModel] | None, form
) -> tuple[dict[str, Any] | None, list[Refusal]]:
    """The evidence dict for `advance`, and the typing problems found on the way."""
    if model is None:
        return None, []
    data: dict[str, Any] = {}
    problems: list[Refusal] = []
    for spec in field_specs(model):
        _read_field(spec, form, PREFIX + spec.name, data, problems)
    return data, problems


def _read_field(spec: FieldSpec, form, key: str, out: dict, problems: list[Refusal]) -> None:
    if spec.kind == "rows":
        rows = []
        for i in range(spec.rows):
            row: dict[str, Any] = {}
            texts = [str(form.get(f"{key}.{i}.{c.name}", "")).strip() for c in spec.columns]
            if not any(texts):
                continue
            for column in spec.columns:
                _read_field(column, form, f"{key}.{i}.{column.name}", row, problems)
            rows.append(row)
        if rows or spec.required:
            out[spec.name] = rows
        return
    if spec.kind == "checkbox":
        out[spec.name] = form.get(key) in ("on", "true", "1")
        return
    text = str(form.get(key, "")).strip()
    if not text:
        if spec.required:
            problems.append(Refusal("evidence.format", f"請填寫「{spec.label}」。"))
        return
    value, problem = _convert(spec, text)
    if problem:
        problems.append(Refusal("evidence.format", problem))
    else:
        out[spec.name] = value


def _convert(spec: FieldSpec, text: str) -> tuple[Any, str | None]:
    if spec.kind == "int":
        if WHOLE.fullmatch(text):
            return int(text.replace(",", "")), None
        return None, f"「{spec.label}」須為不含小數的整數，收到「{text}」。"
    if spec.kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, f"「{spec.label}」須為日期（例如 2024-05-20），收到「{text}」。"
    if spec.kind == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, f"「{spec.label}」格式不正確。"
    return text, None
