"""Running the `jingjin` command in-process against a database of the test's own."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cli.main import app
from config.settings import get_settings
from model.db import get_engine


@contextmanager
def configured(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[CliRunner]:
    """Point the settings at `database_url`; the caches are cleared before and after."""
    monkeypatch.setenv("JINGJIN_DATABASE_URL", database_url)
    # `jingjin demo` pins the day in the environment (for the processes it starts): give
    # it back to the other tests as it was.
    monkeypatch.setenv("JINGJIN_TODAY", os.environ.get("JINGJIN_TODAY", ""))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        yield CliRunner()
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def run(runner: CliRunner, *args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@contextmanager
def configured_engine(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Iterator[CliRunner]:
    """The command pointed at a test engine: its SQLite file, or its PostgreSQL schema."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        monkeypatch.setenv("PGOPTIONS", f"-csearch_path={schema}")  # read by libpq
    with configured(monkeypatch, engine.url.render_as_string(False)) as runner:
        yield runner
