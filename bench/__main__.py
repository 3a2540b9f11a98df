"""`./dev bench` = `python -m bench`: every benchmark, at 1× and 4×, on SQLite and PostgreSQL.

One data set per database and size serves all four benchmarks, in an order where each
one's writes do not change what the next measures. After the runs a `growth` line per
benchmark compares 4× with 1×: linear growth is a factor of 4 or less.

    python -m bench                              # everything (about 20 minutes)
    python -m bench --sizes 1 --dbs sqlite       # a part
    python -m bench --only sweep deadlines
    python -m bench --only pages --sizes 1 --dbs postgres
"""

from __future__ import annotations

import argparse

from bench import deadlines, delivery, pages, sweep, transitions
from bench.common import DATABASES, bench_database, emit, machine

BENCHES = {
    "sweep": sweep.run,
    "deadlines": deadlines.run,
    "transitions": transitions.run,
    "delivery": delivery.run,
    "pages": pages.run,
}
GROWN = ("sweep", "deadlines", "transitions.single", "transitions.batched", "delivery")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description="Run the benchmarks; one JSON line each.")
    parser.add_argument("--sizes", type=float, nargs="+", default=[1.0, 4.0])
    parser.add_argument("--dbs", choices=DATABASES, nargs="+", default=list(DATABASES))
    parser.add_argument("--only", choices=list(BENCHES), nargs="+", default=list(BENCHES))
    args = parser.parse_args(argv)
    records = [emit(machine())]
    for kind in args.dbs:
        for size in args.sizes:
            with bench_database(kind, size) as db:
                for name in args.only:
                    records += BENCHES[name](db)
    records += [emit(line) for line in growth(records)]
    return records


def growth(records: list[dict]) -> list[dict]:
    """4× against 1× for each benchmark and database, the project beside the reference."""
    by_key = {(r["bench"], r.get("db"), r.get("size")): r for r in records if "project_s" in r}
    out = []
    for bench in GROWN:
        for kind in DATABASES:
            small, large = by_key.get((bench, kind, 1.0)), by_key.get((bench, kind, 4.0))
            if not small or not large:
                continue
            # Throughput benchmarks time a fixed number of operations per size unit.
            per_unit = bench == "delivery"
            project = large["project_s"] / small["project_s"] / (4 if per_unit else 1)
            reference = large["reference_s"] / small["reference_s"] / (4 if per_unit else 1)
            if bench.startswith("transitions"):
                project = (large["project_s"] / large["transitions"]) / (
                    small["project_s"] / small["transitions"]
                )
                reference = (large["reference_s"] / large["transitions"]) / (
                    small["reference_s"] / small["transitions"]
                )
                limit, target = 1.5, "time per transition at 4× ≤ 1.5× that at 1×"
            elif per_unit:
                limit, target = 1.5, "time per message at 4× ≤ 1.5× that at 1×"
            else:
                limit, target = 4.0 * 1.25, "4× the data takes ≤ 4× the time (+25 % noise)"
            out.append({"bench": f"{bench}.growth", "db": kind, "project_growth":
                        round(project, 2), "reference_growth": round(reference, 2),
                        "target": target, "met": project <= limit})  # fmt: skip
    return out


if __name__ == "__main__":
    main()
