"""Reminders and escalations for one whole day at national scale, beside bare SQL.

The jobs first catch up on Thursday 2024-11-28 (every reminder and escalation step due so
far fires once; reported on its own line). The measured day is Friday 11-29, the last
working day before the 11-30 disbursement deadline, when the one-day reminder goes to
every purchase not yet disbursed. Between runs the day's alerts and mails are deleted, so
every run does the same work. The reference selects, with one bare query per window,
the milestones that are due for an alert and their owners: what the jobs must find.

    python -m bench.deadlines --size 1 --db sqlite
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from bench.common import BenchDB, analyze, measurement, median, run_alone, timed
from bench.generate import YEAR
from flows.jobs.context import contexts
from flows.jobs.run import escalate, remind
from flows.jobs.windows import Window, escalation_windows, reminder_windows
from model.alerts import ESCALATION, REMINDER

CATCH_UP = date(2024, 11, 28)
DAY = date(2024, 11, 29)
_DUE = """
SELECT m.id, m.owner_id, u.email, c.name, m.title, m.due_on
  FROM milestone m JOIN county c ON c.id = m.county_id LEFT JOIN "user" u ON u.id = m.owner_id
 WHERE m.year = ? AND m.done_on IS NULL
   AND NOT EXISTS (SELECT 1 FROM milestone_alert a
                    WHERE a.milestone_id = m.id AND a.kind = ? AND a.level = ?)
"""


def windows(db: BenchDB, day: date) -> list[tuple[str, Window]]:
    with Session(db.engine) as session:
        ctx = contexts(session, day)[0]
    steps = tuple(s.after_working_days for s in ctx.rules.reminders.escalation)
    offsets = ctx.rules.reminders.offsets_working_days
    return [(REMINDER, w) for w in reminder_windows(day, ctx.calendar, offsets)] + [
        (ESCALATION, w) for w in escalation_windows(day, ctx.calendar, steps)
    ]


def reference(db: BenchDB, day_windows: list[tuple[str, Window]]) -> set[tuple[str, int, int]]:
    conn = db.raw()
    due = set()
    try:
        cur = conn.cursor()
        for kind, window in day_windows:
            sql, params = _DUE, [YEAR, kind, window.level]
            if kind == ESCALATION and window.level > 1:
                # Step by step: step k only after step k-1 fired on an earlier day.
                sql += (" AND EXISTS (SELECT 1 FROM milestone_alert p WHERE p.milestone_id = "
                        "m.id AND p.kind = ? AND p.level = ? AND p.fired_on < ?)")  # fmt: skip
                params += [kind, window.level - 1, db.param(DAY)]
            if window.after is not None:
                sql, params = sql + " AND m.due_on > ?", [*params, db.param(window.after)]
            if window.upto is not None:
                sql, params = sql + " AND m.due_on <= ?", [*params, db.param(window.upto)]
            cur.execute(db.sql(sql), params)
            due.update((kind, window.level, row[0]) for row in cur.fetchall())
        conn.rollback()
    finally:
        conn.close()
    return due


def _query(db: BenchDB, sql: str, params=()) -> list[tuple]:
    conn = db.raw()
    try:
        cur = conn.cursor()
        cur.execute(db.sql(sql), [db.param(p) for p in params])
        rows = cur.fetchall() if cur.description else []
        conn.commit()
    finally:
        conn.close()
    return rows


def fired(db: BenchDB, day: date) -> set[tuple[str, int, int]]:
    rows = _query(db, "SELECT kind, level, milestone_id FROM milestone_alert WHERE fired_on = ?",
                  (day,))  # fmt: skip
    return {tuple(r) for r in rows}


def reset(db: BenchDB, day: date, last_mail_id: int) -> None:
    """Undo the day's run: its alert rows and the mails it queued."""
    _query(db, "DELETE FROM milestone_alert WHERE fired_on = ?", (day,))
    _query(db, "DELETE FROM notification WHERE id > ?", (last_mail_id,))


def whole_day(db: BenchDB, day: date) -> tuple[int, int]:
    reminded, escalated = remind(db.engine, day), escalate(db.engine, day)
    return len(reminded.queued), len(escalated.queued)


def run(db: BenchDB, repeat: int = 3) -> list[dict]:
    catch_up_s, _ = timed(lambda: whole_day(db, CATCH_UP))
    analyze(db)
    last_mail_id = _query(db, "SELECT coalesce(max(id), 0) FROM notification")[0][0]
    day_windows = windows(db, DAY)
    project, bare, same, mails, due = [], [], True, (0, 0), set()
    for _ in range(max(1, repeat)):
        ref_s, due = timed(lambda: reference(db, day_windows))
        proj_s, mails = timed(lambda: whole_day(db, DAY))
        same = same and fired(db, DAY) == due
        reset(db, DAY, last_mail_id)
        bare.append(ref_s)
        project.append(proj_s)
    project_s = median(project)
    return [
        measurement("deadlines.catch_up", db, project_s=catch_up_s, reference_s=median(bare),
                    target="(information: the first run fires everything due so far)",
                    met=True),
        measurement(
            "deadlines", db, project_s=project_s, reference_s=median(bare),
            target="< 1 s per size unit (remind + escalate, a whole day)",
            met=project_s < max(1.0, db.size), day=DAY, alerts=len(due), same_result=same,
            reminder_mails=mails[0], escalation_mails=mails[1],
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("Reminders and escalations for a whole day beside bare SQL.", run)
