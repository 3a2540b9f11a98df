"""`jingjin plan|purchase|reimbursement …`: one command group per registered lifecycle.

The groups are built from model.lifecycles.LIFECYCLES, so a lifecycle registered there
gets new/show/advance/history/list without a change here. Every refusal, conflict and
unknown item or event comes from the workflow service and leaves with its exit status.
"""

import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, select

from cli.common import database, fail, print_json, reports_errors
from forms.display import ljust, ntd, roc_date, roc_datetime
from model.lifecycles import LIFECYCLES
from model.tables import County, Milestone, Plan, Product, User
from model.workflow import Lifecycle, actor_of, advance, history, load_item
from states.errors import Refusal, TransitionRefused, UnknownItem
from states.evidence import ATTENDEE_ROLES
from states.steps import access_refusals
from states.values import ItemType, Role

AS_HELP = "以哪位使用者的身分操作（帳號）"
JSON_HELP = "輸出 JSON"

FIELD_LABELS = {
    "id": "編號",
    "title": "名稱",
    "status": "狀態",
    "county_id": "縣市",
    "year": "年度",
    "plan_id": "縣市實施計畫",
    "product_id": "產品",
    "owner_id": "承辦人",
    "amount": "金額",
    "approved_amount": "核定計畫金額",
    "subsidy": "核定補助金額",
    "disbursed": "已撥付金額",
    "spent": "實支金額",
    "award_date": "決標日期",
    "disbursement_requested_on": "請撥日期",
    "submitted_on": "送出日期",
    "approved_on": "核定日期",
    "letter_no": "文號",
    "reason": "理由",
    "created_at": "建立時間",
    "version": "版本",
}
MONEY_FIELDS = frozenset({"amount", "approved_amount", "subsidy", "disbursed", "spent"})
NOT_SHOWN = frozenset({"synthetic"})


def command_name(item_type: ItemType) -> str:
    return item_type.value.replace("_", "-")


def register(app: typer.Typer) -> None:
    """One sub-command group per lifecycle the workflow service knows."""
    for lifecycle in LIFECYCLES.values():
        app.add_typer(lifecycle_app(lifecycle), name=command_name(lifecycle.item_type))


def lifecycle_app(lifecycle: Lifecycle) -> typer.Typer:
    app = typer.Typer(help=f"{lifecycle.label}：建立、查看、推進、歷程與清單", no_args_is_help=True)
    app.command("new")(NEW_COMMANDS.get(lifecycle.item_type, _no_new)(lifecycle))
    app.command("show")(_show_command(lifecycle))
    app.command("advance")(_advance_command(lifecycle))
    app.command("history")(_history_command(lifecycle))
    app.command("list")(_list_command(lifecycle))
    return app


# ------------------------------------------------------------------ people and access
def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise UnknownItem(f"使用者「{username}」（或帳號已停用）")
    return user


def _reader(session: Session, username: str | None) -> User | None:
    return find_user(session, username) if username else None


def _check_read(user: User | None, county_id: int | None) -> None:
    # County people see their own county only; the ministry and auditors see every county.
    if user is None:
        return
    actor = actor_of(user)
    if actor.role.is_county and actor.county_id != county_id:
        raise TransitionRefused([Refusal("access.county", "您只能查看自己縣市的項目。")])


def item_county_id(session: Session, row: Any) -> int | None:
    if hasattr(row, "county_id"):
        return row.county_id
    plan = session.get(Plan, row.plan_id) if getattr(row, "plan_id", None) else None
    return plan.county_id if plan else None


def find_county(session: Session, text: str) -> County:
    key = text.strip().replace("台", "臺")
    county = session.exec(
        select(County).where((County.code == key.upper()) | (County.name == key))
    ).first()
    if county is None:
        names = "、".join(c.name for c in session.exec(select(County).order_by(County.id)))
        fail(f"找不到縣市「{text}」。可用的縣市：{names}")
    return county


# ------------------------------------------------------------------ how values look
def _named(session: Session, field: str, value: Any) -> str | None:
    """Ids people cannot read, shown as the thing they name."""
    if field == "county_id":
        county = session.get(County, value)
        return county.name if county else None
    if field == "owner_id":
        user = session.get(User, value)
        return f"{user.display_name}（{user.username}）" if user else None
    if field == "product_id":
        product = session.get(Product, value)
        return f"{product.serial} {product.name}" if product else None
    if field == "plan_id":
        return f"#{value}"
    return None


def show_value(session: Session, lifecycle: Lifecycle, field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "status":
        return f"{lifecycle.state_label(value)}（{value}）"
    if field.endswith("_id"):
        return _named(session, field, value) or str(value)
    if field in MONEY_FIELDS and isinstance(value, int):
        return ntd(value)
    if isinstance(value, datetime):
        return roc_datetime(value)
    if isinstance(value, date):
        return roc_date(value)
    return str(value)


def row_data(row: Any) -> dict[str, Any]:
    """The stored columns as JSON-ready values (dates in ISO, as stored)."""
    data = {}
    for column in row.__table__.columns:
        value = getattr(row, column.name)
        data[column.name] = value.isoformat() if isinstance(value, date) else value
    return data


def _scalar_fields(row: Any) -> list[str]:
    # Labelled fields in the label table's order, then whatever a new table adds.
    names = [
        column.name
        for column in row.__table__.columns
        if column.name not in NOT_SHOWN and not isinstance(getattr(row, column.name), dict | list)
    ]
    order = list(FIELD_LABELS)
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))


def _events(lifecycle: Lifecycle, state: str, user: User | None, county_id: int | None):
    """The events of the current state, and whether this person may take each."""
    actor = actor_of(user) if user else None
    out = []
    for event in lifecycle.events_from(state):
        step = lifecycle.steps.get(event)
        if step is None:
            continue
        allowed = actor is not None and not access_refusals(step, actor, county_id)
        roles = [r.value for r in sorted(step.roles)]
        out.append({"event": event, "title": step.title, "roles": roles, "allowed": allowed})
    return out


def _role_labels(values: list[str]) -> str:
    return "、".join(Role(v).label for v in values)


# ------------------------------------------------------------------ new
def _new_purchase(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def new(
        as_user: str = typer.Option(..., "--as", help=AS_HELP),
        title: str = typer.Option(..., "--title", help="採購名稱"),
        amount: int = typer.Option(0, "--amount", min=0, help="預估金額（元）"),
        year: int = typer.Option(113, "--year", help="計畫年度（民國）"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """建立一筆軟體採購（需求彙整中）。"""
        from model.purchases import create_purchase

        with database() as session:
            user = find_user(session, as_user)
            row = create_purchase(session, user, title=title, year=year, amount=amount)
            _created(lifecycle, row, as_json)

    return new


def _new_plan(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def new(
        as_user: str = typer.Option(..., "--as", help=AS_HELP),
        county: str | None = typer.Option(None, "--county", help="縣市代碼或名稱（預設本人縣市）"),
        year: int = typer.Option(113, "--year", help="計畫年度（民國）"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """建立縣市實施計畫（草稿）。"""
        create = _creator(lifecycle, "model.plans", "create_plan")
        with database() as session:
            user = find_user(session, as_user)
            county_id = find_county(session, county).id if county else user.county_id
            _created(lifecycle, create(session, user, county_id, year), as_json)

    return new


def _new_reimbursement(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def new(
        as_user: str = typer.Option(..., "--as", help=AS_HELP),
        plan: int = typer.Option(..., "--plan", help="縣市實施計畫編號"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """為一份已核定的縣市實施計畫申請經費請撥。"""
        create = _creator(lifecycle, "model.reimbursements", "create_reimbursement")
        with database() as session:
            user = find_user(session, as_user)
            _created(lifecycle, create(session, user, plan), as_json)

    return new


def _new_budget_change(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def new(
        as_user: str = typer.Option(..., "--as", help=AS_HELP),
        plan: int = typer.Option(..., "--plan", help="縣市實施計畫編號"),
        lines: str = typer.Option(
            ...,
            "--lines",
            help='新金額 JSON 或 @檔名.json，例如 {"teacher_training": {"recurrent": 0, "capital": 0}}',
        ),
        reason: str = typer.Option(..., "--reason", help="流用/變更理由"),
        today: str | None = typer.Option(None, "--today", help="作業日期 YYYY-MM-DD"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """向教育部申請經費流用/變更。"""
        create = _creator(lifecycle, "model.plans", "request_budget_change")
        proposed = _json_object(lines, "--lines")
        with database() as session:
            user = find_user(session, as_user)
            row = create(session, user, plan, proposed, reason, today=_day(today))
            _created(lifecycle, row, as_json)

    return new


def _no_new(lifecycle: Lifecycle) -> Callable:
    def new() -> None:
        """（尚未提供）"""
        fail(f"「{lifecycle.label}」尚未提供命令列建立功能。")

    return new


NEW_COMMANDS: dict[ItemType, Callable[[Lifecycle], Callable]] = {
    ItemType.purchase: _new_purchase,
    ItemType.plan: _new_plan,
    ItemType.reimbursement: _new_reimbursement,
    ItemType.budget_change: _new_budget_change,
}


def _creator(lifecycle: Lifecycle, module: str, name: str) -> Callable:
    """The creator lives with its lifecycle; say plainly when it is not there yet."""
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        found = None
    if found is None:
        fail(f"「{lifecycle.label}」尚未提供建立功能（找不到 {module}.{name}）。")
    return found


def _created(lifecycle: Lifecycle, row: Any, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "item_type": lifecycle.item_type.value,
                "id": row.id,
                "state": str(row.status),
                "version": row.version,
            }
        )
        return
    label = lifecycle.state_label(row.status)
    typer.echo(f"已建立 {lifecycle.item_name(row.id)}（{label}），版本 {row.version}。")


# ------------------------------------------------------------------ show
def _show_command(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def show(
        item_id: int = typer.Argument(..., help="項目編號"),
        as_user: str | None = typer.Option(None, "--as", help=AS_HELP + "；列出您可執行的動作"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """顯示項目內容（民國日期、新臺幣金額）與目前可執行的動作。"""
        with database() as session:
            user = _reader(session, as_user)
            row = load_item(session, lifecycle, item_id)
            county_id = item_county_id(session, row)
            _check_read(user, county_id)
            events = _events(lifecycle, row.status, user, county_id)
            if as_json:
                print_json(_show_data(lifecycle, row, events))
            else:
                _print_item(session, lifecycle, row, events, user)

    return show


def _show_data(lifecycle: Lifecycle, row: Any, events: list[dict]) -> dict:
    return {
        "item_type": lifecycle.item_type.value,
        "id": row.id,
        "state": str(row.status),
        "state_label": lifecycle.state_label(row.status),
        "item": row_data(row),
        "events": events,
    }


def _print_item(
    session: Session, lifecycle: Lifecycle, row: Any, events: list[dict], user: User | None
) -> None:
    typer.echo(lifecycle.item_name(row.id))
    for field in _scalar_fields(row):
        label = FIELD_LABELS.get(field, field)
        value = show_value(session, lifecycle, field, getattr(row, field))
        typer.echo(f"  {ljust(label, 14)}{value}")
    recorded = [k for k, v in (getattr(row, "evidence", None) or {}).items() if v is not None]
    if recorded:
        typer.echo(f"  {ljust('已登錄資料', 14)}{'、'.join(recorded)}")
    _print_events(events, user)


def _print_events(events: list[dict], user: User | None) -> None:
    if not events:
        typer.echo("此項目已結案，沒有可執行的動作。")
        return
    if user is None:
        typer.echo("目前狀態的動作：")
        for e in events:
            typer.echo(f"  {ljust(e['event'], 22)}{e['title']}（{_role_labels(e['roles'])}）")
        return
    mine = [e for e in events if e["allowed"]]
    others = [e for e in events if not e["allowed"]]
    typer.echo(f"{user.display_name}（{user.username}）現在可執行的動作：")
    for e in mine or [{"event": "（無）", "title": ""}]:
        typer.echo(f"  {ljust(e['event'], 22)}{e['title']}")
    for e in others:
        typer.echo(f"  （{e['event']} {e['title']}：限{_role_labels(e['roles'])}）")


# ------------------------------------------------------------------ advance
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


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"無法讀取 {path}：{exc}")
        raise  # unreachable: fail exits


def _opt(flag: str, text: str, **kw: Any) -> Callable[[], Any]:
    return lambda: typer.Option(None, flag, help=text, rich_help_panel="證明資料", **kw)


ROLE_CHOICES = "、".join(f"{k}（{v}）" for k, v in ATTENDEE_ROLES.items())
EVIDENCE_OPTIONS = (
    EvidenceOption("held_on", "held_on", str | None, _opt("--held-on", "會議日期 YYYY-MM-DD")),
    EvidenceOption("minutes", "minutes", str | None, _opt("--minutes", "會議紀錄")),
    EvidenceOption(
        "attendee",
        "attendees",
        list[str] | None,
        _opt("--attendee", f"與會人員「姓名:角色」，可重複；角色：{ROLE_CHOICES}"),
        _attendees,
    ),
    EvidenceOption(
        "product", "product_serial", str | None, _opt("--product", "產品序號 12345-678")
    ),
    EvidenceOption("amount", "amount", int | None, _opt("--amount", "金額（元）", min=0)),
    EvidenceOption(
        "hardware_amount",
        "hardware_amount",
        int | None,
        _opt("--hardware-amount", "其中硬體或教具金額（元）", min=0),
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
            "採購方式：small_purchase、three_quotes、restricted_justified、open、selective、restricted",
        ),
    ),
    EvidenceOption(
        "awarded_on", "awarded_on", str | None, _opt("--awarded-on", "決標日期 YYYY-MM-DD")
    ),
    EvidenceOption("vendor", "vendor", str | None, _opt("--vendor", "得標廠商")),
    EvidenceOption(
        "justification", "justification", str | None, _opt("--justification", "限制性招標理由")
    ),
    EvidenceOption(
        "requested_on", "requested_on", str | None, _opt("--requested-on", "請撥日期 YYYY-MM-DD")
    ),
    EvidenceOption("users", "cumulative_users", int | None, _opt("--users", "累計使用人數", min=0)),
    EvidenceOption("hours", "cumulative_hours", int | None, _opt("--hours", "累計使用時數", min=0)),
    EvidenceOption("notes", "notes", str | None, _opt("--notes", "質性說明")),
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


def _advance_command(lifecycle: Lifecycle) -> Callable:
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
        _parameter("today", str | None, typer.Option(None, "--today", help="作業日期 YYYY-MM-DD")),
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
    day = _day(today)
    data = _evidence(lifecycle, event, evidence, typed)
    with database() as session:
        user = find_user(session, as_user)
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


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--today「{text}」不是 YYYY-MM-DD 格式的日期。")
        raise  # unreachable: fail exits


def _evidence(
    lifecycle: Lifecycle, event: str, raw: str | None, typed: dict[EvidenceOption, Any]
) -> dict[str, Any]:
    data = _json_object(raw, "--evidence") if raw else {}
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


def _json_object(raw: str, flag: str) -> dict[str, Any]:
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


# ------------------------------------------------------------------ history
def _history_command(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def history_command(
        item_id: int = typer.Argument(..., help="項目編號"),
        as_user: str | None = typer.Option(None, "--as", help=AS_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """列出項目的每一筆狀態紀錄：時間、執行者、狀態變化、理由與文號。"""
        with database() as session:
            user = _reader(session, as_user)
            _check_read(user, item_county_id(session, load_item(session, lifecycle, item_id)))
            rows = [_log_data(session, lifecycle, e) for e in history(session, lifecycle, item_id)]
        if as_json:
            print_json(rows)
            return
        typer.echo(f"{lifecycle.item_name(item_id)} 歷程（共 {len(rows)} 筆）")
        for r in rows:
            typer.echo(_log_line(r))

    return history_command


def _log_data(session: Session, lifecycle: Lifecycle, entry: Any) -> dict:
    actor = session.get(User, entry.actor_id) if entry.actor_id else None
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "at_roc": roc_datetime(entry.at),
        "event": entry.event,
        "actor": actor.username if actor else None,
        "actor_name": actor.display_name if actor else None,
        "actor_role": entry.actor_role,
        "from_state": entry.from_state,
        "from_label": lifecycle.state_label(entry.from_state) if entry.from_state else "",
        "to_state": entry.to_state,
        "to_label": lifecycle.state_label(entry.to_state),
        "reason": entry.reason,
        "letter_no": entry.letter_no,
        "evidence": entry.evidence,
    }


def _log_line(r: dict) -> str:
    who = f"{r['actor_name']}（{r['actor']}）" if r["actor"] else "（系統）"
    moved = f"{r['from_label'] or '（建立）'} → {r['to_label']}"
    line = f"  {r['at_roc']}  {who}  {moved}  [{r['event']}]"
    if r["reason"]:
        line += f"  理由：{r['reason']}"
    if r["letter_no"]:
        line += f"  文號：{r['letter_no']}"
    return line


# ------------------------------------------------------------------ list
def _list_command(lifecycle: Lifecycle) -> Callable:
    states = [s.value for s in lifecycle.machine.states]

    @reports_errors
    def list_command(
        county: str | None = typer.Option(None, "--county", help="縣市代碼或名稱"),
        state: str | None = typer.Option(None, "--state", help="狀態：" + "、".join(states)),
        year: int | None = typer.Option(None, "--year", help="計畫年度（民國）"),
        as_user: str | None = typer.Option(None, "--as", help=AS_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """列出項目，可依縣市、狀態、年度篩選。"""
        if state is not None and state not in states:
            fail(f"沒有「{state}」這個狀態。可用的狀態：{'、'.join(states)}")
        with database() as session:
            user = _reader(session, as_user)
            county_id = find_county(session, county).id if county else None
            if user is not None and actor_of(user).role.is_county:
                _check_read(user, county_id if county else user.county_id)
                county_id = user.county_id
            rows = _listed(session, lifecycle, county_id, state, year)
            data = [_list_row(session, lifecycle, row) for row in rows]
        if as_json:
            print_json(data)
            return
        _print_list(lifecycle, data)

    return list_command


def _listed(session: Session, lifecycle: Lifecycle, county_id, state, year) -> list:
    table = lifecycle.table
    query = select(table).order_by(table.id)
    if county_id is not None:
        if hasattr(table, "county_id"):
            query = query.where(table.county_id == county_id)
        else:  # an item that belongs to a county through its plan
            query = query.join(Plan, Plan.id == table.plan_id).where(Plan.county_id == county_id)
    if state is not None:
        query = query.where(table.status == state)
    if year is not None and hasattr(table, "year"):
        query = query.where(table.year == year)
    return list(session.exec(query))


def _list_row(session: Session, lifecycle: Lifecycle, row: Any) -> dict:
    county_id = item_county_id(session, row)
    county = session.get(County, county_id) if county_id else None
    return {
        "id": row.id,
        "county": county.name if county else None,
        "state": str(row.status),
        "state_label": lifecycle.state_label(row.status),
        "title": getattr(row, "title", None),
        "amount": getattr(row, "amount", None),
        "version": row.version,
    }


def _print_list(lifecycle: Lifecycle, data: list[dict]) -> None:
    typer.echo(f"{lifecycle.label}：共 {len(data)} 筆")
    for r in data:
        line = f"  #{r['id']:<5} {ljust(r['county'] or '—', 8)}{ljust(r['state_label'], 20)}"
        if r["amount"] is not None:
            line += f"{ntd(r['amount']):>20}  "
        if r["title"]:
            line += r["title"]
        typer.echo(line.rstrip())
