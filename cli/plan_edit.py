"""`jingjin plan edit`: a draft's sections, targets, budget lines and estimate inputs.

The same checks as the web pages: each budget line through forms.budget_form's
BudgetLineInput, the merged sections through forms.plan_form's PlanSectionsForm, and the
draft edit itself through workflow.plans.update_plan_draft. Half-written drafts are stored;
what would still stop submission is printed with each rule id.
"""

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from sqlmodel import Session, select

from cli.common import database, fail, parse_day, print_json, reports_errors
from cli.item_common import AS_HELP, JSON_HELP, find_user
from config.clock import today as clock_today
from forms.budget_form import BudgetLineInput
from forms.budget_form import _label as line_label
from forms.errors import FormInvalid
from forms.fields import invalid
from model.tables import BudgetLine, Plan
from rules import load_rules
from states import plan as plan_states
from states.errors import TransitionRefused
from states.plan import LINE_FIELDS, STEPS
from states.steps import access_refusals, run_guards
from vocab.labels import ITEM_LABELS, TARGET_LABELS
from vocab.outline import PLAN_SECTIONS
from workflow.plan_estimate import ESTIMATE_INPUTS
from workflow.plans import PLANS, plan_context, update_plan_draft
from workflow.service import actor_of, load_visible

SECTION_KEYS = "、".join(PLAN_SECTIONS)
TARGET_KEYS = "、".join(TARGET_LABELS)
ITEM_KEYS = "、".join(ITEM_LABELS)
ATTR_KEYS = "、".join(LINE_FIELDS)
INPUT_KEYS = "、".join(ESTIMATE_INPUTS)

FILE_HELP = (
    "TOML 或 JSON 檔，含 sections（章節）、targets（量化指標）、budget.經費項目（經費）、"
    "inputs（估算參數）各表格（見 README）"
)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"無法讀取 {path}：{exc}")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        fail(f"{path} 格式不正確（{'JSON' if path.suffix.lower() == '.json' else 'TOML'}）：{exc}")
    if not isinstance(data, dict):
        fail(f"{path} 須為一個物件（章節、量化指標、經費、估算參數）。")
    unknown = set(data) - {"sections", "targets", "budget", "inputs"}
    if unknown:
        fail(
            f"{path} 有不認得的區塊：{'、'.join(sorted(unknown))}；"
            "可用的區塊：sections、targets、budget、inputs。"
        )
    for part in ("sections", "targets", "budget", "inputs"):
        if not isinstance(data.get(part, {}), dict):
            fail(f"{path} 的「{part}」須為表格（鍵 = 值）。")
    return data


def _pair(text: str, flag: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        fail(f"{flag}「{text}」格式應為「{example}」。")
    return key.strip(), value


def _number(text: str) -> int | str:
    # Kept as typed when not a whole number: the validators name the field and the value.
    cleaned = text.strip().replace(",", "")
    return int(cleaned) if cleaned.isdigit() else text


def _gather(
    file: Path | None,
    section: list[str],
    section_file: list[str],
    target: list[str],
    line: list[str],
    estimate_input: list[str],
) -> dict[str, dict]:
    data = _read_file(file) if file else {}
    sections = dict(data.get("sections", {}))
    targets = dict(data.get("targets", {}))
    budget = {k: v for k, v in data.get("budget", {}).items()}
    inputs = dict(data.get("inputs", {}))
    for text in section:
        key, value = _pair(text, "--section", "章節=內容，例如 goals=提升學生數位學習")
        sections[key] = value
    for text in section_file:
        key, value = _pair(text, "--section-file", "章節=檔名，例如 goals=goals.txt")
        try:
            sections[key] = Path(value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--section-file「{text}」無法讀取：{exc}")
    for text in target:
        key, value = _pair(text, "--target", "指標=數字，例如 key_schools=5")
        targets[key] = _number(value)
    for text in estimate_input:
        key, value = _pair(text, "--input", "參數=數字，例如 workshops=10")
        inputs[key] = _number(value)
    for text in line:
        key, value = _pair(
            text, "--line", "經費項目.欄位=值，例如 teacher_training.recurrent=300000"
        )
        item, dot, attr = key.partition(".")
        if not dot:
            fail(f"--line「{text}」須寫成「經費項目.欄位=值」；欄位：{ATTR_KEYS}。")
        fields = budget.setdefault(item, {})
        if not isinstance(fields, dict):
            fail(f"經費項目「{item}」須為表格。")
        fields[attr] = value if attr == "explanation" else _number(value)
    sections = {k: v.replace("\r\n", "\n").strip() if isinstance(v, str) else v
                for k, v in sections.items()}  # fmt: skip
    return {"sections": sections, "targets": targets, "lines": budget, "inputs": inputs}


def _checked_lines(session: Session, plan: Plan, given: dict[str, Any]) -> dict[str, dict]:
    """Each given line, merged with what is stored, through the web's BudgetLineInput."""
    stored = {
        str(r.item): r
        for r in session.exec(select(BudgetLine).where(BudgetLine.plan_id == plan.id))
    }
    problems: list[tuple[str, str]] = []
    out = {}
    for item, fields in given.items():
        if item not in ITEM_LABELS:
            problems.append((item, f"沒有「{item}」這個經費項目；可用的項目：{ITEM_KEYS}。"))
            continue
        if not isinstance(fields, dict):
            problems.append((item, f"{ITEM_LABELS[item]}：須為表格（欄位 = 值）。"))
            continue
        unknown = [a for a in fields if a not in LINE_FIELDS]
        if unknown:
            problems.append(
                (
                    f"{item}.{unknown[0]}",
                    f"{ITEM_LABELS[item]}沒有「{unknown[0]}」這個欄位；可用的欄位：{ATTR_KEYS}。",
                )
            )
            continue
        row = stored.get(item)
        before = {a: getattr(row, a) for a in LINE_FIELDS} if row else {}
        try:
            checked = BudgetLineInput.model_validate({**before, **fields})
        except ValidationError as exc:
            problems.extend(invalid(exc, lambda loc, i=item: line_label((i, *loc))).errors)
            continue
        out[item] = {a: getattr(checked, a) for a in fields}
    if problems:
        raise FormInvalid(problems)
    return out


def _remaining(session: Session, plan: Plan, today: date) -> list:
    """What submission would refuse now: the submit guards themselves, run on the draft."""
    step = STEPS["submit"]
    rules = load_rules(plan.year)
    return run_guards(step.guards, plan_context(session, plan, step, None, rules, today))


@reports_errors
def plan_edit_command(
    plan_id: int = typer.Argument(..., help="縣市實施計畫編號"),
    as_user: str = typer.Option(..., "--as", help=AS_HELP),
    file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False, help=FILE_HELP),
    section: list[str] = typer.Option(
        [], "--section", help=f"章節=內容，可重複；章節：{SECTION_KEYS}"
    ),
    section_file: list[str] = typer.Option(
        [], "--section-file", help="章節=檔名（UTF-8 純文字），可重複"
    ),
    target: list[str] = typer.Option(
        [], "--target", help=f"量化指標=數字，可重複；指標：{TARGET_KEYS}"
    ),
    line: list[str] = typer.Option(
        [],
        "--line",
        help=f"經費項目.欄位=值，可重複；項目：{ITEM_KEYS}；欄位：{ATTR_KEYS}",
    ),
    estimate_input: list[str] = typer.Option(
        [], "--input", help=f"估算參數=數字，可重複；參數：{INPUT_KEYS}"
    ),
    expect_version: int | None = typer.Option(
        None, "--expect-version", help="您看到的版本；已被他人更動時不儲存"
    ),
    today: str | None = typer.Option(None, "--today", help="作業日期 YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """編修計畫草稿（或退回修正中的計畫）：章節、量化指標、經費與估算參數。"""
    day = parse_day(today, "--today") or clock_today()
    edit = _gather(file, section, section_file, target, line, estimate_input)
    if not any(edit.values()):
        fail("沒有要儲存的內容：請以 --file、--section、--target、--line 或 --input 指定。")
    with database() as session:
        user = find_user(session, as_user)
        # Access first: an outsider learns nothing from the checks of the lines below, nor
        # that the plan exists.
        plan = load_visible(session, PLANS, plan_id, user)
        denied = access_refusals(plan_states.EDIT, actor_of(user), plan.county_id)
        if denied:
            raise TransitionRefused(denied)
        lines = _checked_lines(session, plan, edit["lines"])
        row = update_plan_draft(
            session,
            user,
            plan_id,
            sections=edit["sections"],
            targets=edit["targets"],
            lines=lines,
            inputs=edit["inputs"],
            expected_version=expect_version,
        )
        left = _remaining(session, row, day)
        result = {
            "id": row.id,
            "version": row.version,
            "remaining": [{"rule": r.rule_id, "message": r.message} for r in left],
        }
    if as_json:
        print_json(result)
        return
    typer.echo(f"{PLANS.item_name(plan_id)}已儲存，版本 {result['version']}。")
    if left:
        typer.echo(f"送出審查前仍須補正 {len(left)} 處：")
        for r in left:
            typer.echo(f"  {r}")
    else:
        typer.echo("已符合送出審查的各項規定。")
