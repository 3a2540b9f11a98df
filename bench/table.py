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


if __name__ == "__main__":
    main()
