"""Running the `jingjin` command in-process against a database of the test's own."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from cli.main import app
from model.db import get_engine
from model.settings import get_settings


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
