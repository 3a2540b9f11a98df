"""What every command shares: opening the database and turning errors into exit codes."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import Any

import typer
from sqlmodel import Session

from model.db import get_engine, session_scope
from model.migrate import require_migrated
from rules.errors import JingjinError
from vocab.dates import DayError
from vocab.dates import parse_day as read_day

# Exit statuses people and scripts can rely on.
EXIT_INPUT = 2  # bad input, unknown item or event
EXIT_REFUSED = 3  # a rule refused the transition
EXIT_CONFLICT = 4  # somebody else changed the item first


def fail(message: str, code: int = EXIT_INPUT) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def parse_day(text: str | None, option: str) -> date | None:
    """A day from an option (113/11/30, 1131130, 2024-11-30 …); a refusal naming the
    option otherwise."""
    if text is None:
        return None
    try:
        return read_day(text)
    except DayError as error:
        fail(f"{option}：{error}")
        raise  # unreachable: fail exits


YEAR_HELP = "計畫年度（民國）；省略時為有規則檔的最近一年"


def chosen_year(year: int | None) -> int:
    """The year asked for, else the latest year with a rules file (never a year in code)."""
    from rules import available_years

    if year is not None:
        return year
    years = available_years()
    if not years:
        fail(
            "找不到任何年度的規則檔（rules/<年度>.toml）；請先建立規則檔或設定 JINGJIN_RULES_DIR。"
        )
    return years[-1]


def exit_code_for(error: JingjinError) -> int:
    return getattr(error, "exit_code", EXIT_INPUT)


def reports_errors(func: Callable) -> Callable:
    """Show our own errors as their zh-TW message and exit status, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except JingjinError as error:
            fail(str(error), exit_code_for(error))

    return wrapper


@contextmanager
def database() -> Iterator[Session]:
    """A unit of work on the configured database, refused if it is not migrated."""
    require_migrated(get_engine())
    with session_scope() as session:
        yield session


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
