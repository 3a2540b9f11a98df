"""`jingjin plan|purchase|reimbursement …`: one command group per registered lifecycle.

The groups are built from workflow.lifecycles.LIFECYCLES, so a lifecycle registered there
gets new/show/advance/history/list without a change here. Every refusal, conflict and
unknown item or event comes from the workflow service and leaves with its exit status.
"""

import importlib
from collections.abc import Callable
from typing import Any

import typer
from sqlmodel import Session, select

from cli.common import (
    YEAR_HELP,
    chosen_year,
    database,
    fail,
    parse_day,
    print_json,
    reports_errors,
)
from cli.item_advance import advance_command_for, json_object
from cli.item_common import (
    AS_HELP,
    FIELD_LABELS,
    JSON_HELP,
    allowed_events,
    check_read,
    command_name,
    find_county,
    find_user,
    readable_item,
    reader,
    role_labels,
    row_data,
    scalar_fields,
    show_value,
)
from model.tables import County, Plan, User
from rules import load_rules
from states.values import ItemType
from vocab.display import ljust, ntd, roc_datetime
from web.facts import item_sheet, sheet_lines
from workflow.lifecycles import LIFECYCLES
from workflow.service import Lifecycle, actor_of, history, item_county, load_visible


def register(app: typer.Typer) -> None:
    """One sub-command group per lifecycle the workflow service knows."""
    for lifecycle in LIFECYCLES.values():
        app.add_typer(lifecycle_app(lifecycle), name=command_name(lifecycle.item_type))


def lifecycle_app(lifecycle: Lifecycle) -> typer.Typer:
    app = typer.Typer(help=f"{lifecycle.label}：建立、查看、推進、歷程與清單", no_args_is_help=True)
    app.command("new")(NEW_COMMANDS.get(lifecycle.item_type, _no_new)(lifecycle))
    app.command("show")(_show_command(lifecycle))
    app.command("advance")(advance_command_for(lifecycle))
    app.command("history")(_history_command(lifecycle))
    app.command("list")(_list_command(lifecycle))
    if lifecycle.item_type == ItemType.plan:
        from cli.plan_edit import plan_edit_command

        app.command("edit")(plan_edit_command)
    return app


# ------------------------------------------------------------------ new
def _new_purchase(lifecycle: Lifecycle) -> Callable:
    @reports_errors
    def new(
        as_user: str = typer.Option(..., "--as", help=AS_HELP),
        title: str = typer.Option(..., "--title", help="採購名稱"),
        amount: int = typer.Option(0, "--amount", min=0, max=2**31 - 1, help="預估金額（元）"),
        year: int | None = typer.Option(None, "--year", help=YEAR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """建立一筆軟體採購（需求彙整中）。"""
        from workflow.purchases import create_purchase

        year = chosen_year(year)
        load_rules(year)  # the year first: nothing is looked up for a year without rules
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
        year: int | None = typer.Option(None, "--year", help=YEAR_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """建立縣市實施計畫（草稿）。"""
        create = _creator(lifecycle, "workflow.plans", "create_plan")
        year = chosen_year(year)
        load_rules(year)
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
        create = _creator(lifecycle, "workflow.reimbursements", "create_reimbursement")
        with database() as session:
            user = find_user(session, as_user)
            load_visible(session, LIFECYCLES[ItemType.plan], plan, user)
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
        today: str | None = typer.Option(None, "--today", help="作業日期，例如 113/06/03"),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """向教育部申請經費流用/變更。"""
        create = _creator(lifecycle, "workflow.plans", "request_budget_change")
        proposed = json_object(lines, "--lines")
        with database() as session:
            user = find_user(session, as_user)
            load_visible(session, LIFECYCLES[ItemType.plan], plan, user)
            row = create(session, user, plan, proposed, reason, today=parse_day(today, "--today"))
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
            user = reader(session, as_user)
            row = readable_item(session, lifecycle, item_id, user)
            county_id = item_county(session, row)
            events = allowed_events(lifecycle, row.status, user, county_id)
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
    # The same facts the item's page shows, computed once for both (web/facts.py).
    sheet = item_sheet(session, lifecycle.item_type, row)
    covered = sheet.covers if sheet else frozenset()
    for field in scalar_fields(row):
        if field in covered:
            continue
        label = FIELD_LABELS.get(field, field)
        value = show_value(session, lifecycle, field, getattr(row, field))
        typer.echo(f"  {ljust(label, 14)}{value}")
    recorded = [k for k, v in (getattr(row, "evidence", None) or {}).items() if v is not None]
    if recorded:
        typer.echo(f"  {ljust('已登錄資料', 14)}{'、'.join(recorded)}")
    for line in sheet_lines(sheet) if sheet else []:
        typer.echo(line)
    _print_events(events, user)


def _print_events(events: list[dict], user: User | None) -> None:
    if not events:
        typer.echo("此項目已結案，沒有可執行的動作。")
        return
    if user is None:
        typer.echo("目前狀態的動作：")
        for e in events:
            typer.echo(f"  {ljust(e['event'], 22)}{e['title']}（{role_labels(e['roles'])}）")
        return
    mine = [e for e in events if e["allowed"]]
    others = [e for e in events if not e["allowed"]]
    typer.echo(f"{user.display_name}（{user.username}）現在可執行的動作：")
    for e in mine or [{"event": "（無）", "title": ""}]:
        typer.echo(f"  {ljust(e['event'], 22)}{e['title']}")
    for e in others:
        typer.echo(f"  （{e['event']} {e['title']}：限{role_labels(e['roles'])}）")


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
            user = reader(session, as_user)
            readable_item(session, lifecycle, item_id, user)
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
        if year is not None:
            load_rules(year)  # a year without rules is refused in words, not listed empty
        with database() as session:
            user = reader(session, as_user)
            county_id = find_county(session, county).id if county else None
            if user is not None and actor_of(user).role.is_county:
                check_read(user, county_id if county else user.county_id)
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
    county_id = item_county(session, row)
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
