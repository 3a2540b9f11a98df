"""The compliance sweep over the whole nation, every rule, beside a bare two-rule query.

The first sweep (Friday 2024-11-22) files every finding and is reported on its own line;
the measured sweeps are the following working days, 11-25 … 11-29, as the scheduled job
runs them: each re-checks every rule, files the day's new findings, resolves the gone ones
and queues their mails. The reference is one set-based SQL query for the two rules that make
almost all findings (overdue milestones, purchases not yet disbursed), fetched into Python.

    python -m bench.sweep --size 1 --db sqlite
"""

from __future__ import annotations

from datetime import date

from bench.common import BenchDB, analyze, measurement, median, run_alone, timed
from bench.generate import YEAR
from flows.jobs.checks import PURCHASE_DONE
from flows.jobs.run import sweep

FIRST_DAY = date(2024, 11, 22)
DAYS = (date(2024, 11, 25), date(2024, 11, 26), date(2024, 11, 27), date(2024, 11, 28),
        date(2024, 11, 29))  # fmt: skip
COMPARED_RULES = (
    "milestone.overdue", "purchase.disbursement_due_soon", "purchase.disbursement_overdue",
)  # fmt: skip
_REFERENCE = """
SELECT 'milestone', m.id, c.name FROM milestone m JOIN county c ON c.id = m.county_id
 WHERE m.year = ? AND m.done_on IS NULL AND m.due_on < ?
UNION ALL
SELECT 'purchase', p.id, c.name FROM purchase p JOIN county c ON c.id = p.county_id
 WHERE p.year = ? AND p.status NOT IN (?, ?, ?)
"""


def reference(db: BenchDB, as_of: date) -> set[tuple[str, int]]:
    conn = db.raw()
    try:
        cur = conn.cursor()
        cur.execute(db.sql(_REFERENCE),
                    (YEAR, db.param(as_of), YEAR, *(str(s) for s in PURCHASE_DONE)))  # fmt: skip
        rows = cur.fetchall()
        conn.rollback()
    finally:
        conn.close()
    return {(kind, subject_id) for kind, subject_id, _county in rows}


def found(db: BenchDB) -> set[tuple[str, int]]:
    """What the project's sweep holds open after the day's sweep, for the compared rules."""
    conn = db.raw()
    try:
        cur = conn.cursor()
        marks = ", ".join("?" * len(COMPARED_RULES))
        cur.execute(
            db.sql(
                "SELECT rule_id, subject_id FROM finding "
                f"WHERE resolved_on IS NULL AND rule_id IN ({marks})"
            ),
            COMPARED_RULES,
        )
        rows = cur.fetchall()
        conn.rollback()
    finally:
        conn.close()
    return {(rule.split(".")[0], subject_id) for rule, subject_id in rows}


def run(db: BenchDB, repeat: int = len(DAYS)) -> list[dict]:
    first_s, _ = timed(lambda: sweep(db.engine, FIRST_DAY))
    analyze(db)
    reference(db, FIRST_DAY)  # warm the reference's pages as the first sweep warmed ours
    project, bare, same, hits = [], [], True, 0
    for day in DAYS[: max(1, repeat)]:
        ref_s, expected = timed(lambda day=day: reference(db, day))
        proj_s, report = timed(lambda day=day: sweep(db.engine, day))
        bare.append(ref_s)
        project.append(proj_s)
        same = same and found(db) == expected
        hits = len(expected)
    project_s, reference_s = median(project), median(bare)
    within = project_s <= 3 * reference_s
    fast = db.size != 1 or project_s < 1.0
    return [
        measurement("sweep.first_day", db, project_s=first_s, reference_s=reference_s,
                    target="(information: the first sweep files every finding)", met=True),
        measurement(
            "sweep", db, project_s=project_s, reference_s=reference_s,
            target="< 1 s at 1×; ≤ 3× the bare two-rule query", met=within and fast,
            days=len(project), hits_compared=hits, same_result=same,
            counts=report.counts, queued=len(report.queued),
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("The compliance sweep beside a bare two-rule SQL query.", run)
