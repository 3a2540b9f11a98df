"""Purchase transitions through the workflow service beside hand-written SQL.

The project's side is `workflow.service.advance(…, PURCHASES, id, "decide", …)` with a
meeting record as evidence: access, evidence parsing, every guard, the version check,
the moved row, one transition-log row and the disbursement milestone the step opens.
The reference does by hand what that step must do: read the purchase (status, version,
county, evidence), check the state, the role, the county and the two meeting rules in
plain Python, UPDATE … SET status, version = version + 1 WHERE id AND version, INSERT the
log row, and INSERT the milestone unless one exists. Both run one transaction per
transition, then batched 100 per transaction, each on its own fresh purchases.

    python -m bench.transitions --size 1 --db sqlite
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from bench.common import BenchDB, measurement, median, run_alone, timed
from bench.generate import YEAR
from model.tables import User
from rules import load_rules
from states.purchase import DISBURSEMENT_MILESTONE
from states.values import PurchaseState, Role
from workflow.purchases import PURCHASES
from workflow.service import advance

TODAY = date(2024, 5, 20)
BATCH = 100
MEETING = {
    "held_on": "2024-05-10",
    "minutes": "決議採購數位學習平臺授權。",
    "attendees": [
        {"name": "王老師", "role": "teacher"},
        {"name": "李組長", "role": "school_admin"},
        {"name": "陳專員", "role": "office_member"},
    ],
}


def _staff(db: BenchDB) -> dict[int, User]:
    with Session(db.engine, expire_on_commit=False) as session:
        users = session.exec(select(User).where(User.role == Role.county_staff).order_by(User.id))
        by_county: dict[int, User] = {}
        for user in users:
            by_county.setdefault(user.county_id, user)
        return by_county


def _waiting(db: BenchDB) -> list[tuple[int, int]]:
    conn = db.raw()
    try:
        cur = conn.cursor()
        cur.execute(db.sql("SELECT id, county_id FROM purchase WHERE status = ? ORDER BY id"),
                    (PurchaseState.needs_collected.value,))  # fmt: skip
        rows = [tuple(r) for r in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    return rows


def project(db: BenchDB, items: list[tuple[int, int]], staff: dict[int, User], per_tx: int):
    for start in range(0, len(items), per_tx):
        with Session(db.engine, expire_on_commit=False) as session:
            for purchase_id, county_id in items[start : start + per_tx]:
                advance(session, PURCHASES, purchase_id, "decide", staff[county_id],
                        evidence=MEETING, expected_version=1, today=TODAY)  # fmt: skip
            session.commit()


class HandWritten:
    """The same reads, checks and writes as the `decide` step, in bare SQL."""

    def __init__(self, db: BenchDB) -> None:
        rules = load_rules(YEAR)
        self.db, self.period = db, (rules.period.start, rules.period.end)
        self.needed = rules.software.meeting.min_attendees_by_role
        self.due = rules.software.disbursement_deadline.date
        q = db.sql
        self.read = q("SELECT status, version, county_id, year, title, owner_id, evidence "
                      "FROM purchase WHERE id = ?")  # fmt: skip
        self.move = q("UPDATE purchase SET status = ?, version = version + 1, evidence = ? "
                      "WHERE id = ? AND version = ?")  # fmt: skip
        self.log = q("INSERT INTO transition_log (item_type, item_id, event, from_state, "
                     "to_state, actor_id, actor_role, at, reason, evidence, letter_no) "
                     "VALUES ('purchase', ?, 'decide', ?, ?, ?, ?, ?, '', ?, NULL)")  # fmt: skip
        self.exists = q("SELECT 1 FROM milestone WHERE kind = ? AND subject_type = 'purchase' "
                        "AND subject_id = ?")  # fmt: skip
        self.open = q("INSERT INTO milestone (county_id, year, kind, title, subject_type, "
                      "subject_id, school_id, owner_id, due_on, done_on, evidence, synthetic) "
                      "VALUES (?, ?, ?, ?, 'purchase', ?, NULL, ?, ?, NULL, '{}', FALSE)")  # fmt: skip

    def refusals(self, row, user: User, evidence: dict) -> list[str]:
        status, version, county_id = row[0], row[1], row[2]
        out = []
        if status != PurchaseState.needs_collected:
            out.append("state.not_allowed")
        if version != 1:
            out.append("conflict")
        if user.role not in (Role.county_staff, Role.county_supervisor):
            out.append("access.role")
        if user.county_id != county_id:
            out.append("access.county")
        held = date.fromisoformat(evidence["held_on"])
        if not self.period[0] <= held <= self.period[1]:
            out.append("purchase.date_in_period")
        present = Counter(a["role"] for a in evidence["attendees"])
        if any(present[role] < n for role, n in self.needed.items()):
            out.append("purchase.meeting_representative")
        return out

    def decide(self, cur, purchase_id: int, user: User) -> None:
        db = self.db
        cur.execute(self.read, (purchase_id,))
        row = cur.fetchone()
        if self.refusals(row, user, MEETING):
            raise RuntimeError(f"refused: purchase {purchase_id}")
        stored = row[6] if isinstance(row[6], dict) else json.loads(row[6] or "{}")
        evidence = json.dumps({**stored, "decide": MEETING}, ensure_ascii=False)
        cur.execute(self.move, (PurchaseState.meeting_decided.value, evidence, purchase_id, 1))
        if cur.rowcount != 1:
            raise RuntimeError(f"conflict: purchase {purchase_id}")
        at = db.param(datetime.now(UTC))
        cur.execute(self.log, (purchase_id, row[0], PurchaseState.meeting_decided.value, user.id,
                               user.role.value if hasattr(user.role, "value") else user.role, at,
                               json.dumps(MEETING, ensure_ascii=False)))  # fmt: skip
        cur.execute(self.exists, (DISBURSEMENT_MILESTONE, purchase_id))
        if cur.fetchone() is None:
            cur.execute(self.open, (row[2], row[3], DISBURSEMENT_MILESTONE,
                                    f"軟體採購「{row[4]}」完成經費請撥", purchase_id, row[5],
                                    db.param(self.due)))  # fmt: skip

    def run(self, items: list[tuple[int, int]], staff: dict[int, User], per_tx: int) -> None:
        conn = self.db.raw()
        try:
            cur = conn.cursor()
            for start in range(0, len(items), per_tx):
                self.db.begin(cur)
                for purchase_id, county_id in items[start : start + per_tx]:
                    self.decide(cur, purchase_id, staff[county_id])
                self.db.commit(conn)
        finally:
            conn.close()


def moved(db: BenchDB, ids: list[int]) -> tuple[int, int, int]:
    """How many of `ids` are decided at version 2, have their log row, have a milestone."""
    if not ids:
        return (0, 0, 0)
    marks = ", ".join("?" * len(ids))
    conn = db.raw()
    try:
        cur = conn.cursor()
        out = []
        for sql in (
            f"SELECT count(*) FROM purchase WHERE status = 'meeting_decided' AND version = 2 "
            f"AND id IN ({marks})",
            f"SELECT count(*) FROM transition_log WHERE item_type = 'purchase' "
            f"AND event = 'decide' AND item_id IN ({marks}) AND from_state = 'needs_collected' "
            f"AND at > '2025-01-01'",
            f"SELECT count(*) FROM milestone WHERE kind = 'purchase.disbursement' "
            f"AND subject_type = 'purchase' AND subject_id IN ({marks})",
        ):
            cur.execute(db.sql(sql), ids)
            out.append(cur.fetchone()[0])
        conn.rollback()
    finally:
        conn.close()
    return tuple(out)


def run(db: BenchDB, repeat: int = 3) -> list[dict]:
    staff, items = _staff(db), _waiting(db)
    hand = HandWritten(db)
    per = max(1, min(500, len(items) // (4 * repeat + 2)))
    chunks = iter([items[k : k + per] for k in range(0, len(items), per)])
    # Warm-up: load the rules, the machines, the statement caches, the pages.
    project(db, next(chunks)[:20], staff, 1)
    hand.run(next(chunks)[:20], staff, 1)
    results = []
    done_project, done_reference = [], []
    for mode, per_tx in (("single", 1), ("batched", BATCH)):
        proj_times, ref_times = [], []
        for _ in range(max(1, repeat)):
            mine, theirs = next(chunks), next(chunks)
            proj_times.append(timed(lambda mine=mine, t=per_tx: project(db, mine, staff, t))[0])
            ref_times.append(timed(lambda theirs=theirs, t=per_tx: hand.run(theirs, staff, t))[0])
            done_project += [i for i, _ in mine]
            done_reference += [i for i, _ in theirs]
        project_s, reference_s = median(proj_times), median(ref_times)
        results.append((mode, per_tx, project_s, reference_s))
    same = (
        moved(db, done_project) == (len(done_project),) * 3
        and moved(db, done_reference) == (len(done_reference),) * 3
    )
    return [
        measurement(
            f"transitions.{mode}", db, project_s=project_s, reference_s=reference_s,
            target="≥ 1/4 of hand-written SQL's rate", met=project_s <= 4 * reference_s,
            transitions=per, per_transaction=per_tx, project_per_s=round(per / project_s),
            reference_per_s=round(per / reference_s), same_result=same,
        )
        for mode, per_tx, project_s, reference_s in results
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("Transitions through the workflow service beside hand-written SQL.", run)
