"""`jingjin <item> advance`: the typed evidence options and the call to the workflow service."""

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from sqlmodel import Session, select

from cli.common import database, fail, parse_day, print_json, reports_errors
from cli.item_common import AS_HELP, JSON_HELP, find_user
from forms.display import roc_date
from model.tables import Milestone
from model.workflow import Lifecycle, advance, load_item, load_visible
from states.evidence import (
    ATTENDEE_ROLES,
    PROCUREMENT_METHODS,
    DisbursementRequest,
    MeetingRecord,
    ProcurementRecord,
    ProductChoice,
    UsageRecord,
)


@dataclass(frozen=True)
class EvidenceOption:
    """A typed option that fills one evidence field, for people who'd rather not write JSON."""

    param: str
    field: str
    annotation: Any
    make: Callable[[], Any]
    convert: Callable[[Any], Any] = lambda value: value

    @property
    def flag(self) -> str:
        return "--" + self.param.replace("_", "-")


def _attendees(values: list[str]) -> list[dict]:
    by_label = {label: key for key, label in ATTENDEE_ROLES.items()}
    out = []
    for value in values:
        name, sep, role = value.replace("：", ":").rpartition(":")
        if not sep or not name.strip():
            fail(f"--attendee「{value}」格式應為「姓名:角色」，例如「王小明:teacher」。")
        role = role.strip()
        out.append({"name": name.strip(), "role": by_label.get(role, role)})
    return out


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


def _about(model: type[BaseModel], name: str) -> str:
    """An option's help from its evidence field: the label and help the web form shows."""
    info = model.model_fields[name]
    return f"{info.title}：{info.description}"


def _opt(flag: str, text: str, **kw: Any) -> Callable[[], Any]:
    return lambda: typer.Option(None, flag, help=text, rich_help_panel="證明資料", **kw)


ROLE_CHOICES = "、".join(f"{k}（{v}）" for k, v in ATTENDEE_ROLES.items())
EVIDENCE_OPTIONS = (
    EvidenceOption(
        "held_on",
        "held_on",
        str | None,
        _opt("--held-on", _about(MeetingRecord, "held_on")),
        _day_option("--held-on"),
    ),
    EvidenceOption(
        "minutes", "minutes", str | None, _opt("--minutes", _about(MeetingRecord, "minutes"))
    ),
    EvidenceOption(
        "attendee",
        "attendees",
        list[str] | None,
        _opt("--attendee", f"與會人員「姓名:角色」，可重複；角色：{ROLE_CHOICES}"),
        _attendees,
    ),
    EvidenceOption(
        "public",
        "public",
        bool | None,
        _opt("--public/--not-public", "會議是否公開（公開會議）；未指定時視為公開"),
    ),
    EvidenceOption(
        "product",
        "product_serial",
        str | None,
        _opt("--product", _about(ProductChoice, "product_serial")),
    ),
    EvidenceOption("amount", "amount", int | None, _opt("--amount", "金額（元）", min=0)),
    EvidenceOption(
        "hardware_amount",
        "hardware_amount",
        int | None,
        _opt("--hardware-amount", _about(ProductChoice, "hardware_amount"), min=0),
    ),
    EvidenceOption(
        "document",
        "document",
        str | None,
        _opt("--document", "requirement（需求文件）或 contract（契約書）"),
    ),
    EvidenceOption("text", "text", str | None, _opt("--text", "文件內容")),
    EvidenceOption(
        "text_file",
        "text",
        Path | None,
        _opt("--text-file", "文件內容檔（UTF-8 純文字）", exists=True, dir_okay=False),
        _read_text,
    ),
    EvidenceOption(
        "method",
        "method",
        str | None,
        _opt(
            "--method",
            "採購方式：" + "、".join(f"{k}（{v}）" for k, v in PROCUREMENT_METHODS.items()),
        ),
    ),
    EvidenceOption(
        "procurement_amount",
        "procurement_amount",
        int | None,
        _opt("--procurement-amount", _about(ProcurementRecord, "procurement_amount"), min=0),
    ),
    EvidenceOption(
        "awarded_on",
        "awarded_on",
        str | None,
        _opt("--awarded-on", _about(ProcurementRecord, "awarded_on")),
        _day_option("--awarded-on"),
    ),
    EvidenceOption(
        "vendor", "vendor", str | None, _opt("--vendor", _about(ProcurementRecord, "vendor"))
    ),
    EvidenceOption(
        "justification",
        "justification",
        str | None,
        _opt("--justification", _about(ProcurementRecord, "justification")),
    ),
    EvidenceOption(
        "requested_on",
        "requested_on",
        str | None,
        _opt("--requested-on", _about(DisbursementRequest, "requested_on")),
        _day_option("--requested-on"),
    ),
    EvidenceOption(
        "users",
        "cumulative_users",
        int | None,
        _opt("--users", _about(UsageRecord, "cumulative_users"), min=0),
    ),
    EvidenceOption(
        "hours",
        "cumulative_hours",
        int | None,
        _opt("--hours", _about(UsageRecord, "cumulative_hours"), min=0),
    ),
    EvidenceOption("notes", "notes", str | None, _opt("--notes", _about(UsageRecord, "notes"))),
)


def _evidence_fields(lifecycle: Lifecycle) -> set[str]:
    return {
        name
        for step in lifecycle.steps.values()
        if step.evidence is not None
        for name in step.evidence.model_fields
    }


def _parameter(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def advance_command_for(lifecycle: Lifecycle) -> Callable:
    # Only the typed options whose field some step of this lifecycle records.
    fields = _evidence_fields(lifecycle)
    extras = [o for o in EVIDENCE_OPTIONS if o.field in fields]

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
