"""Another county's item, asked for by id on the command line, is answered exactly as an id
that does not exist: the same sentence and exit status, so trying ids tells nothing."""

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, func, select

from demo.generate import generate
from model.tables import County, Plan, Purchase, User
from states.values import Role
from tests.cli_env import configured_engine, run

OUTSIDER = "tpe.supervisor"


@pytest.fixture
def cli(engine, monkeypatch) -> Iterator:
    with Session(engine) as session:
        generate(session, story=False)
        taipei = session.exec(select(County).where(County.name == "臺北市")).one()
        session.add(User(username=OUTSIDER, display_name="他縣市主管", email="tpe@demo.example",
                         role=Role.county_supervisor, county_id=taipei.id))  # fmt: skip
        session.commit()
    with configured_engine(monkeypatch, engine) as runner:
        yield lambda *args: run(runner, *args)


def _ids(cli, engine) -> dict[str, tuple[int, int]]:
    """Per kind: an item of the demo county, and an id no item has."""
    created = cli("purchase", "new", "--as", "hsq.staff1", "--title", "測試採購", "--json")
    assert created.exit_code == 0, created.output
    purchase = json.loads(created.stdout)["id"]
    with Session(engine) as session:
        plan = session.exec(select(Plan.id)).one()
        top = max(session.exec(select(func.max(Purchase.id))).one(), plan)
    return {"plan": (plan, top + 1000), "purchase": (purchase, top + 1000)}


COMMANDS = {
    "plan show": ("plan", "show", "{id}"),
    "plan history": ("plan", "history", "{id}", "--json"),
    "plan advance": ("plan", "advance", "{id}", "submit"),
    "plan edit": ("plan", "edit", "{id}", "--section", "goals=改"),
    "purchase show": ("purchase", "show", "{id}", "--json"),
    "purchase history": ("purchase", "history", "{id}"),
    "purchase advance": ("purchase", "advance", "{id}", "cancel", "--reason", "不需要"),
    "reimbursement new": ("reimbursement", "new", "--plan", "{id}"),
    "budget-change new": ("budget-change", "new", "--plan", "{id}", "--lines", "{}",
                          "--reason", "調整"),
}  # fmt: skip


def _kind(command: str) -> str:
    return "purchase" if command.startswith("purchase") else "plan"


@pytest.mark.parametrize("command", COMMANDS)
def test_outsiders_id_is_answered_as_a_missing_one(cli, engine, command):
    existing, missing = _ids(cli, engine)[_kind(command)]

    def ask(item_id: int, user: str):
        args = [str(item_id) if a == "{id}" else a for a in COMMANDS[command]]
        return cli(*args, "--as", user)

    outsider, nothing = ask(existing, OUTSIDER), ask(missing, OUTSIDER)
    assert outsider.exit_code == nothing.exit_code == 2, outsider.output
    assert outsider.output.replace(f"#{existing}", "#N") == nothing.output.replace(
        f"#{missing}", "#N"
    )
    assert "找不到" in outsider.output and "access.county" not in outsider.output
    # The county's own supervisor gets past the lookup: the id itself is a real one.
    own = ask(existing, "hsq.supervisor")
    assert "找不到" not in own.output, own.output
