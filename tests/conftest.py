"""Shared fixtures: every database test runs on SQLite and on the PostgreSQL server.

Each run migrates one SQLite template file and one PostgreSQL schema; a test gets a copy
of the file, or the schema emptied of every row.
Under CI=true a missing PostgreSQL server fails the run; elsewhere those tests skip.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from model.db import make_engine
from model.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "JINGJIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@cache
def _postgres_problem() -> str | None:
    try:
        probe = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # any failure to connect means "no server here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def _require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem})"
    if IN_CI:
        pytest.fail(f"CI=true needs PostgreSQL: {message}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {message}")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """Migrate once per run; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("sqlite-template") / "jingjin.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_engine(tmp_path, _sqlite_template) -> Iterator[Engine]:
    path = tmp_path / "jingjin.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@contextmanager
def _migrated_schema() -> Iterator[tuple[Engine, str]]:
    """A new schema in the test database, migrated to head, dropped on the way out."""
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine, schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[tuple[Engine, str]]:
    """One migrated schema per run; tests empty it after use instead of migrating again."""
    with _migrated_schema() as made:
        yield made


def _empty_schema(engine: Engine, schema: str) -> None:
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"
                ),
                {"s": schema},
            )
            .scalars()
            .all()
        )
        # Replica mode skips triggers: the append-only guard on transition_log protects real
        # data, not test leftovers, and foreign keys need no particular order. DELETE is
        # several times faster than TRUNCATE on tables this small.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def postgres_engine(_postgres_schema) -> Iterator[Engine]:
    engine, schema = _postgres_schema
    _empty_schema(engine, schema)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_postgres_engine() -> Iterator[Engine]:
    """A schema of the test's own, for tests that change the schema itself."""
    with _migrated_schema() as (engine, _schema):
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    """One Debian Chromium per browser test module: Playwright's sync API keeps an event loop
    running in this thread, which would turn later asyncio.run() and Prefect calls async."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-sync"],
        )
        yield chromium
        chromium.close()
