"""The README's table from a run's JSON lines: `python -m bench > run.jsonl`, then
`python -m bench.table run.jsonl`."""

from __future__ import annotations

import json
import sys


def _rate(record: dict, key: str) -> str:
    return f"{record[key]:,}/s" if key in record else ""


def table(records: list[dict]) -> str:
    rows = [
        "| benchmark | db | size | project | reference | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if "project_s" in r:
            project = f"{r['project_s']:.3f} s {_rate(r, 'project_per_s')}".strip()
            reference = f"{r['reference_s']:.3f} s {_rate(r, 'reference_per_s')}".strip()
            met = "–" if r["target"].startswith("(") else "yes" if r["met"] else "**no**"
            rows.append(f"| {r['bench']} | {r['db']} | {r['size']:g}× | {project} | "
                        f"{reference} | {r['ratio']} | {r['target']} | {met} |")  # fmt: skip
        elif "project_growth" in r:
            met = "yes" if r["met"] else "**no**"
            rows.append(f"| {r['bench']} | {r['db']} | 4× / 1× | ×{r['project_growth']} | "
                        f"×{r['reference_growth']} | | {r['target']} | {met} |")  # fmt: skip
    return "\n".join(rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def pages_table(records: list[dict]) -> str:
    """One row per page, database and size: alone beside its SQL, then under load."""
    loaded = {(r["db"], r["size"], r["page"], r["workers"]): r
              for r in records if r.get("bench") == "pages.load"}  # fmt: skip
    rows = [
        "| page | who | db | size | bytes | alone median / p95 ms | its SQL alone ms | "
        "20 clients req/s | p50 / p95 / p99 ms | errors | 2 workers req/s, p95 ms | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if r.get("bench") != "pages.alone":
            continue
        one = loaded.get((r["db"], r["size"], r["page"], 1), {})
        two = loaded.get((r["db"], r["size"], r["page"], 2))
        alone = f"{_ms(r['median_s'])} / {_ms(r['p95_s'])}"
        if r.get("first_s", 0) > 2 * r["p95_s"] and r["first_s"] > 0.5:
            alone += f" (first {r['first_s']:.1f} s)"
        under = (f"{_ms(one['p50_s'])} / {_ms(one['p95_s'])} / {_ms(one['p99_s'])}"
                 if one else "")  # fmt: skip
        second = f"{two['per_s']}, {_ms(two['p95_s'])}" if two else ""
        met = r["met"] and one.get("met", True)
        status = "" if r["status"] == 200 else f" ({r['status']})"
        rows.append(
            f"| {r['page']}{status} | {r['who']} | {r['db']} | {r['size']:g}× | "
            f"{r['bytes']:,} | {alone} | {_ms(r['reference_s'])} | {one.get('per_s', '')} | "
            f"{under} | {one.get('errors', '')} | {second} | {'yes' if met else '**no**'} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    paths = (argv if argv is not None else sys.argv[1:]) or ["-"]
    records = []
    for path in paths:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        with handle:
            records += [json.loads(line) for line in handle if line.startswith("{")]
    if not any("project_growth" in r for r in records):
        from bench.__main__ import growth  # runs merged from several files

        records += growth(records)
    print(table(records))
    if any(r.get("bench") == "pages.alone" for r in records):
        print()
        print(pages_table(records))


if __name__ == "__main__":
    main()
