"""`jingjin <item> advance`: the typed evidence options and the call to the workflow service."""

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, select

from cli.common import database, fail, parse_day, print_json, reports_errors
from cli.item_common import AS_HELP, JSON_HELP, find_user
from model.tables import Milestone
from states.steps import Step
from vocab.display import roc_date
from web.evidence_form import FieldSpec, field_specs
from workflow.service import Lifecycle, advance, load_item, load_visible


@dataclass(frozen=True)
class EvidenceOption:
    """A typed option that fills one evidence field, for people who'd rather not write JSON."""

    param: str
    field: str
    flag: str  # as messages name it: the shorter one where there are two
    annotation: Any
    make: Callable[[], Any]
    convert: Callable[[Any], Any] = lambda value: value


def _rows(flag: str, columns: list[FieldSpec]) -> Callable[[list[str]], list[dict]]:
    """Repeated「值:值」options, one a row, the values in the columns' order; a choice
    may be typed as its key or as its label."""
    shape = ":".join(c.label for c in columns)

    def convert(values: list[str]) -> list[dict]:
        out = []
        for value in values:
            parts = value.replace("：", ":").rsplit(":", len(columns) - 1)
            if len(parts) != len(columns) or not parts[0].strip():
                fail(f"{flag}「{value}」格式應為「{shape}」，各值以冒號分隔。")
            row = {}
            for column, part in zip(columns, parts, strict=True):
                keys = {label: key for key, label in column.options}
                row[column.name] = keys.get(part.strip(), part.strip())
            out.append(row)
        return out

    return convert


def _choice(spec: FieldSpec) -> Callable[[str], str]:
    keys = {label: key for key, label in spec.options}
    return lambda text: keys.get(text.strip(), text.strip())


def _choices(spec: FieldSpec) -> str:
    return "、".join(f"{key}（{label}）" for key, label in spec.options)


def _day_option(flag: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        day = parse_day(text, flag)
        return day.isoformat() if day else text

    return convert


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"無法讀取 {path}：{exc}")
        raise  # unreachable: fail exits


def _opt(flags: tuple[str, ...], text: str, **kw: Any) -> Callable[[], Any]:
    return lambda: typer.Option(None, *flags, help=text, rich_help_panel="證明資料", **kw)


# Shorter flags people already type for a few long field names (the field's own works too).
SHORT_FLAGS = {
    "product_serial": "--product",
    "attendees": "--attendee",
    "cumulative_users": "--users",
    "cumulative_hours": "--hours",
}
# Filled by an option every advance has (--letter-no), so not offered twice.
COMMON_FIELDS = frozenset({"letter_no"})


def _about(uses: list[tuple[Step, FieldSpec]]) -> str:
    """An option's help from its evidence field: the label and help the web form shows;
    where steps give one field name different labels, each step's label."""
    labels = {spec.label for _, spec in uses}
    if len(labels) == 1:
        spec = uses[0][1]
        return f"{spec.label}：{spec.help}"
    return "；".join(f"{step.title}：{spec.label}" for step, spec in uses)


def _minimum(uses: list[tuple[Step, FieldSpec]]) -> dict[str, Any]:
    """The field's own lower bound (Money is ge=0), so typer refuses what the model would."""
    step, spec = uses[0]
    info = step.evidence.model_fields[spec.name]  # type: ignore[union-attr]
    bounds = [m.ge for m in info.metadata if getattr(m, "ge", None) is not None]
    return {"min": bounds[0]} if bounds else {}


def _options_for(name: str, uses: list[tuple[Step, FieldSpec]]) -> list[EvidenceOption]:
    spec = uses[0][1]
    own = "--" + name.replace("_", "-")
    flags = (own, SHORT_FLAGS[name]) if name in SHORT_FLAGS else (own,)
    flag, about = flags[-1], _about(uses)

    def option(annotation: Any, text: str, convert=None, **kw: Any) -> EvidenceOption:
        make = _opt(flags, text, **kw)
        return EvidenceOption(name, name, flag, annotation, make, convert or (lambda v: v))

    if spec.kind == "date":
        return [option(str | None, about, _day_option(flag))]
    if spec.kind == "int":
        return [option(int | None, about, **_minimum(uses))]
    if spec.kind == "select":
        return [option(str | None, f"{about}可填：{_choices(spec)}", _choice(spec))]
    if spec.kind == "checkbox":
        text = about + ("；未指定時為「是」" if spec.default == "on" else "")
        make = _opt((f"{own}/--not-{own[2:]}",), text)
        return [EvidenceOption(name, name, flag, bool | None, make)]
    if spec.kind == "rows" and all(c.kind in ("text", "select") for c in spec.columns):
        shape = ":".join(c.label for c in spec.columns)
        text = f"{about}每項「{shape}」，可重複。" + "".join(
            f"{c.label}可填：{_choices(c)}。" for c in spec.columns if c.kind == "select"
        )
        return [option(list[str] | None, text, _rows(flag, spec.columns))]
    if spec.kind == "text":
        return [option(str | None, about)]
    if spec.kind == "textarea":
        from_file = f"{own}-file"
        make = _opt((from_file,), f"{spec.label}（UTF-8 純文字檔）", exists=True, dir_okay=False)
        return [
            option(str | None, about),
            EvidenceOption(f"{name}_file", name, from_file, Path | None, make, _read_text),
        ]
    return []  # a table of figures (收支結算表 …): given as JSON with --evidence


def evidence_options(lifecycle: Lifecycle) -> list[EvidenceOption]:
    """A typed option for each evidence field some step of this lifecycle records, in the
    order the steps ask for them: what the web form draws, as options."""
    uses: dict[str, list[tuple[Step, FieldSpec]]] = {}
    for step in lifecycle.steps.values():
        for spec in field_specs(step.evidence):
            uses.setdefault(spec.name, []).append((step, spec))
    return [
        option
        for name, found in uses.items()
        if name not in COMMON_FIELDS
        for option in _options_for(name, found)
    ]


def _parameter(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def advance_command_for(lifecycle: Lifecycle) -> Callable:
    extras = evidence_options(lifecycle)

    @reports_errors
    def advance_command(**kwargs: Any) -> None:
        typed = {o: kwargs.pop(o.param) for o in extras}
        run_advance(lifecycle, typed=typed, **kwargs)

    common = [
        _parameter("item_id", int, typer.Argument(..., help="項目編號")),
        _parameter("event", str, typer.Argument(..., help="動作（例如 decide）")),
        _parameter("as_user", str, typer.Option(..., "--as", help=AS_HELP)),
        _parameter(
            "evidence",
            str | None,
            typer.Option(None, "--evidence", help="證明資料 JSON，或 @檔名.json"),
        ),
        _parameter("reason", str, typer.Option("", "--reason", help="理由")),
        _parameter("letter_no", str | None, typer.Option(None, "--letter-no", help="公文文號")),
        _parameter(
            "expect_version",
            int | None,
            typer.Option(None, "--expect-version", help="您看到的版本；已被他人更動時不執行"),
        ),
        _parameter(
            "today",
            str | None,
            typer.Option(None, "--today", help="作業日期，例如 113/06/03 或 2024-06-03"),
        ),
        _parameter("as_json", bool, typer.Option(False, "--json", help=JSON_HELP)),
    ]
    typed_params = [_parameter(o.param, o.annotation, o.make()) for o in extras]
    advance_command.__signature__ = inspect.Signature(common + typed_params)  # type: ignore[attr-defined]
    advance_command.__doc__ = f"推進一筆{lifecycle.label}：ID 動作 --as 帳號 [證明資料]。"
    return advance_command


def run_advance(
    lifecycle: Lifecycle,
    *,
    item_id: int,
    event: str,
    as_user: str,
    evidence: str | None,
    reason: str,
    letter_no: str | None,
    expect_version: int | None,
    today: str | None,
    as_json: bool,
    typed: dict[EvidenceOption, Any],
) -> None:
    day = parse_day(today, "--today")
    data = _evidence(lifecycle, event, evidence, typed)
    with database() as session:
        user = find_user(session, as_user)
        load_visible(session, lifecycle, item_id, user)  # another county's id: as a missing one
        entry = advance(
            session,
            lifecycle,
            item_id,
            event,
            user,
            evidence=data,
            reason=reason,
            letter_no=letter_no,
            expected_version=expect_version,
            today=day,
        )
        row = load_item(session, lifecycle, item_id)
        late = _late_milestones(session, lifecycle, row.id, event)
        result = {
            "item_type": lifecycle.item_type.value,
            "id": row.id,
            "event": event,
            "from_state": entry.from_state,
            "to_state": entry.to_state,
            "to_label": lifecycle.state_label(entry.to_state),
            "version": row.version,
            "log_id": entry.id,
            "late_milestones": late,
        }
    if as_json:
        print_json(result)
        return
    title = lifecycle.steps[event].title
    typer.echo(
        f"{lifecycle.item_name(item_id)}：{lifecycle.state_label(entry.from_state)} → "
        f"{result['to_label']}（{title}），版本 {result['version']}。"
    )
    for m in late:
        typer.echo(
            f"注意：「{m['title']}」期限 {roc_date(date.fromisoformat(m['due_on']))}，"
            f"於 {roc_date(date.fromisoformat(m['done_on']))} 完成，已逾期；此事將列入查核紀錄。"
        )


def _evidence(
    lifecycle: Lifecycle, event: str, raw: str | None, typed: dict[EvidenceOption, Any]
) -> dict[str, Any]:
    data = json_object(raw, "--evidence") if raw else {}
    step = lifecycle.steps.get(event)
    for option, value in typed.items():
        if value is None or value == []:
            continue
        # An unknown event is the service's to report, with the events allowed now.
        if step is not None and (
            step.evidence is None or option.field not in step.evidence.model_fields
        ):
            fail(f"{option.flag} 不適用於「{step.title}」（{event}）。")
        data[option.field] = option.convert(value)
    return data


def json_object(raw: str, flag: str) -> dict[str, Any]:
    """JSON given inline, or @path to a file holding it."""
    text = _read_text(Path(raw[1:])) if raw.startswith("@") else raw
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{flag} 不是有效的 JSON：{exc}")
    if not isinstance(data, dict):
        fail(f"{flag} 須為 JSON 物件（以 {{ }} 包住的欄位與值）。")
    return data


def _late_milestones(session: Session, lifecycle: Lifecycle, item_id: int, event: str) -> list:
    """Deadlines this step completed after their due date: late is said, never silent."""
    rows = session.exec(
        select(Milestone).where(
            Milestone.subject_type == lifecycle.item_type.value, Milestone.subject_id == item_id
        )
    )
    return [
        {"kind": m.kind, "title": m.title, "due_on": str(m.due_on), "done_on": str(m.done_on)}
        for m in rows
        if m.done_on and m.done_on > m.due_on and m.evidence.get("closed_by") == event
    ]
