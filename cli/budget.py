"""`jingjin budget estimate`: the ministry's estimate and the minimum targets of a county."""

from pathlib import Path

import typer

from cli.common import YEAR_HELP, chosen_year, fail, print_json, reports_errors
from forms.estimate_text import ADMINISTRATION_NOTE, render
from imports.school_list import read_school_file
from rules import SchoolFacts, estimate, load_rules, targets

app = typer.Typer(help="經費估算", no_args_is_help=True)


def _facts(rows) -> list[SchoolFacts]:
    return [SchoolFacts(r.level, r.area == "偏遠", r.classes, r.teachers, r.students) for r in rows]


def _one_county(rows, county: str | None) -> tuple[str, list]:
    names = sorted({r.county for r in rows})
    if county is not None:
        chosen = county.replace("台", "臺")
        picked = [r for r in rows if r.county == chosen]
        if not picked:
            fail(f"學校名單中沒有「{county}」的學校（名單含：{'、'.join(names)}）")
        return chosen, picked
    if len(names) > 1:
        fail(f"學校名單含 {len(names)} 個縣市，請以 --county 指定其中之一：{'、'.join(names)}")
    return (names[0] if names else "（空白名單）"), rows


@app.command("estimate")
@reports_errors
def estimate_command(
    schools: Path = typer.Option(..., exists=True, dir_okay=False, help="附錄學校名單 (CSV/XLSX)"),
    year: int | None = typer.Option(None, help=YEAR_HELP),
    county: str | None = typer.Option(None, help="名單含多個縣市時指定其一"),
    workshops: int = typer.Option(0, min=0, help="教師增能研習場次"),
    companion_schools: int = typer.Option(0, min=0, help="入校入班陪伴參與校數"),
    devices: int = typer.Option(0, min=0, help="既有學習載具臺數"),
    mdm_fee: int = typer.Option(
        0, min=0, help="每臺 MDM 使用授權費 (元；授權年數見年度規則 budget.mdm.licence_years)"
    ),
    periods_per_school: int = typer.Option(0, min=0, help="每校代理代課節數"),
    per_head: int | None = typer.Option(None, min=0, help="數位內容每位師生補助額 (元)"),
    as_json: bool = typer.Option(False, "--json", help="輸出 JSON"),
) -> None:
    """依學校名單計算教育部預估補助數與預期績效指標。"""
    rules = load_rules(chosen_year(year))
    name, rows = _one_county(read_school_file(schools), county)
    facts = _facts(rows)
    est = estimate(
        facts,
        rules,
        workshops=workshops,
        companion_schools=companion_schools,
        devices=devices,
        mdm_fee=mdm_fee,
        periods_per_school=periods_per_school,
        per_head=per_head,
    )
    goals = targets(facts, rules)
    if as_json:
        notes = {"administration": ADMINISTRATION_NOTE}
        print_json({**est.to_dict(), "county": name, "targets": goals, "notes": notes})
    else:
        typer.echo(render(name, est, goals, rules))
