"""What every benchmark shares: the throw-away databases, timing, the JSON lines.

Each benchmark measures the project's code and a bare reference in the same run, on the
same data, and prints one JSON object per measurement. The machines are shared and
noisy, so the ratio within one run is the figure that counts, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from bench.generate import generate
from model.db import make_engine
from model.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "JINGJIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASES = ("sqlite", "postgres")


@dataclass
class BenchDB:
    """A migrated database holding the national data set of one size."""

    kind: str  # sqlite | postgres
    size: float
    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def raw(self):
        """A bare DB-API connection (sqlite3 or psycopg) from the engine's pool."""
        return self.engine.raw_connection()

    def sql(self, statement: str) -> str:
        """Write bare SQL with `?` placeholders; psycopg wants `%s`."""
        return statement if self.is_sqlite else statement.replace("?", "%s")

    def param(self, value):
        """sqlite3's date adapter is deprecated: hand it ISO strings."""
        if self.is_sqlite and hasattr(value, "isoformat"):
            return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return value

    def begin(self, cur) -> None:
        # The project's SQLite engine opens every transaction with BEGIN IMMEDIATE; the
        # bare reference does the same so that both pay for the same lock.
        if self.is_sqlite:
            cur.execute("BEGIN IMMEDIATE")

    def commit(self, conn) -> None:
        conn.commit()


@contextmanager
def bench_database(kind: str, size: float, *, quiet: bool = False) -> Iterator[BenchDB]:
    """Create, migrate and fill a database; drop it afterwards."""
    with _empty_database(kind) as engine:
        started = time.perf_counter()
        counts = generate(engine, size)
        if not quiet:
            emit({"bench": "generate", "db": kind, "size": size,
                  "seconds": round(time.perf_counter() - started, 2), **counts})  # fmt: skip
        yield BenchDB(kind, size, engine)


@contextmanager
def _empty_database(kind: str) -> Iterator[Engine]:
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="jingjin-bench-"))
        engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            shutil.rmtree(directory, ignore_errors=True)
        return
    if kind != "postgres":
        raise ValueError(f"unknown database {kind!r}")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def analyze(db: BenchDB) -> None:
    """Fresh planner statistics, as PostgreSQL's autovacuum would have them by the next
    daily run. Without this, a warm-up that fills a table (100,000 alert rows) leaves
    the planner believing it empty: PostgreSQL then chose a nested-loop anti-join that
    took 18 s for one escalation window instead of milliseconds."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed(func: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def emit(record: dict) -> dict:
    print(json.dumps(record, ensure_ascii=False, default=str), flush=True)
    return record


def measurement(
    bench: str,
    db: BenchDB,
    *,
    project_s: float,
    reference_s: float,
    target: str,
    met: bool,
    **extra,
) -> dict:
    """One JSON line: the project's median beside the reference's, from the same run."""
    return emit(
        {
            "bench": bench,
            "db": db.kind,
            "size": db.size,
            "project_s": round(project_s, 4),
            "reference_s": round(reference_s, 4),
            "ratio": round(project_s / reference_s, 2) if reference_s else None,
            "target": target,
            "met": bool(met),
            **extra,
        }
    )


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=float, default=1.0, help="1 = the national data set")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--repeat", type=int, default=None, help="measured runs (median)")
    return parser.parse_args(argv)


def run_alone(description: str, run: Callable[..., list[dict]], argv=None) -> None:
    """`python -m bench.<name> --size 1 --db sqlite`: one benchmark on a fresh database."""
    args = parse_args(description, argv)
    with bench_database(args.db, args.size) as db:
        options = {} if args.repeat is None else {"repeat": args.repeat}
        run(db, **options)


def machine() -> dict:
    """The facts the README table quotes beside the figures."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import sqlite3

    return {
        "bench": "machine",
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": _postgres_version(),
    }


def _postgres_version() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return version
    except Exception:  # no server: the table says so
        return None
