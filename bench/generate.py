"""The national data set: 22 counties, ~3,400 schools, and per size unit 100,000 purchases,
500,000 milestones and 1,000,000 transition-log rows.

The big tables are filled by INSERT … SELECT over a number series inside the database
(generate_series on PostgreSQL, a recursive CTE on SQLite), so 1× takes seconds, not the
minutes ORM objects would. "Random" columns come from a multiplicative hash of the row
number: the same size always gives the same data.

Every row belongs to programme year 113. Size 4 stands for four years piling up, but the
jobs sweep every loaded programme year and only 113 has a rules file (and the calendar of
its rules covers 2024–2025 only), so the extra years' rows are kept in 113: the jobs then
scan 4× the rows, which is the same work as scanning four years of 1× each.

Shape, chosen to look like a late-November day (the benchmarks run 2024-11-22 … 11-29):
- purchases: 6 % still collecting needs (the transitions benchmark decides those), 11 %
  between meeting and contract, 53 % disbursement requested, 27 % closed, 3 % cancelled;
- milestones: one disbursement milestone (due 11-30) per purchase past needs collection,
  three per-school kinds for every school, and yearly plan-level ones spread over 2024;
  3 % of those due before 11-15 are still open (overdue), 30 % of later ones are done;
- transition log: synthetic purchase histories, seven rows per purchase in turn.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from model.counties import COUNTIES, county_for_name
from model.seed import ensure_counties, ensure_year
from states.values import BudgetItem, Role
from vocab.milestone_kinds import MILESTONE_TITLES, MilestoneKind

YEAR = 113
SCHOOLS_CSV = Path(__file__).resolve().parent.parent / "data" / "schools-113-elementary.csv"
JUNIOR_HIGH_PER_COUNTY_SHARE = 0.28  # ~750 synthetic 國中 beside the 2,652 real 國小
PURCHASES, MILESTONES, LOG_ROWS = 100_000, 500_000, 1_000_000
REVIEWERS, STAFF_PER_COUNTY, SUPERVISORS_PER_COUNTY = 6, 5, 2
PRODUCTS = 200
YEAR_START = date(2024, 1, 2)
DAYS_IN_YEAR = 364
DONE_BEFORE = date(2024, 11, 15)  # milestones due before this are done but for 3 %
PER_SCHOOL_KINDS = (MilestoneKind.open_lesson, MilestoneKind.companion_visit,
                    MilestoneKind.workshop)  # fmt: skip
PLAN_KINDS = (
    MilestoneKind.working_meeting, MilestoneKind.moe_team_meeting, MilestoneKind.parent_session,
    MilestoneKind.literacy_training, MilestoneKind.guideline_workshop,
    MilestoneKind.outcome_sampling, MilestoneKind.companion_visit, MilestoneKind.workshop,
)  # fmt: skip
# (upper bound of hash % 100, status, steps taken so far)
PURCHASE_STATES = (
    (6, "needs_collected", 0), (8, "meeting_decided", 1), (10, "product_verified", 2),
    (12, "clause_verified", 3), (17, "contracted", 4), (70, "disbursement_requested", 5),
    (97, "closed", 6), (100, "cancelled", 1),
)  # fmt: skip
LOG_STEPS = (
    ("create", "", "needs_collected"), ("decide", "needs_collected", "meeting_decided"),
    ("verify_product", "meeting_decided", "product_verified"),
    ("verify_clause", "product_verified", "clause_verified"),
    ("contract", "clause_verified", "contracted"),
    ("request_disbursement", "contracted", "disbursement_requested"),
    ("record_usage", "disbursement_requested", "closed"),
)  # fmt: skip
_MULTIPLIERS = (2654435761, 2246822519, 3266489917, 668265263, 374761393, 1597334677,
                2869860233, 3432918353, 461845907, 2028178513)  # fmt: skip
_PRIME = 1_000_003


class Dialect:
    """The few SQL spellings that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str) -> None:
        self.pg = name == "postgresql"

    def numbers(self, n: int) -> str:
        if self.pg:
            return f"generate_series(1::bigint, {int(n)}) AS g(i)"
        return (
            "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
            f"WHERE i < {int(n)}) SELECT i FROM s) AS g"
        )

    def day(self, iso: str) -> str:
        return f"DATE '{iso}'" if self.pg else f"'{iso}'"

    def plus_days(self, start: date, days: str) -> str:
        if self.pg:
            return f"(DATE '{start.isoformat()}' + CAST({days} AS integer))"
        return f"date('{start.isoformat()}', '+' || ({days}) || ' days')"

    def null(self, sql_type: str) -> str:
        return f"CAST(NULL AS {sql_type})" if self.pg else "NULL"

    def json(self) -> str:
        return "CAST('{}' AS json)" if self.pg else "'{}'"

    def stamp(self) -> str:
        return "TIMESTAMPTZ '2024-06-01 00:00:00+00'" if self.pg else "'2024-06-01 00:00:00.000000'"


def h(column: str, salt: int) -> str:
    """A deterministic pseudo-random number in [0, 1,000,003) from a row number."""
    return f"(({column} * {_MULTIPLIERS[salt]}) % {_PRIME})"


def counts_for(size: float) -> dict[str, int]:
    return {
        "purchases": max(50, round(PURCHASES * size)),
        "milestones": max(200, round(MILESTONES * size)),
        "log_rows": max(200, round(LOG_ROWS * size)),
    }


def generate(engine: Engine, size: float) -> dict[str, int]:
    want = counts_for(size)
    with Session(engine, expire_on_commit=False) as session:
        counties = ensure_counties(session)
        ensure_year(session, YEAR)
        session.commit()
    county_ids = sorted(c.id for c in counties.values())
    if county_ids != list(range(1, len(COUNTIES) + 1)):
        raise RuntimeError("the generator expects an empty database (county ids 1..22)")
    d = Dialect(engine.dialect.name)
    with engine.begin() as conn:

        def run(sql: str) -> None:
            # psycopg reads % as a placeholder even without parameters.
            conn.exec_driver_sql(sql.replace("%", "%%") if d.pg else sql)

        _users(conn)
        _schools(conn)
        _plans(conn, d)
        _products(conn)
        run(_purchases_sql(d, want["purchases"]))
        run(_purchase_milestones_sql(d))
        _per_school_milestones(conn, d, want["milestones"])
        run(_plan_milestones_sql(d, want["milestones"] - _count(conn, "milestone")))
        run(_log_sql(d, want["log_rows"], want["purchases"]))
        if d.pg:
            for table in ("user", "school", "plan", "budget_line", "product", "purchase",
                          "reimbursement"):  # fmt: skip
                run(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT max(id) FROM \"{table}\"))")  # fmt: skip
    # Statistics as a running database would have them (PostgreSQL's autovacuum).
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:
        return {table: _count(conn, table) for table in
                ("school", "purchase", "milestone", "transition_log", "user")}  # fmt: skip


def _count(conn, table: str) -> int:
    return conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar()


def staff_id(county_id: int, slot: int) -> int:
    """User ids are fixed: reviewers 1–6, an admin 7, then 7 people per county."""
    return REVIEWERS + 1 + (county_id - 1) * 7 + SUPERVISORS_PER_COUNTY + 1 + slot


def _users(conn) -> None:
    rows = []
    for n in range(1, REVIEWERS + 1):
        rows.append((n, f"moe.reviewer{n}", f"教育部承辦{n}", Role.ministry_reviewer, None,
                     n <= 2))  # fmt: skip
    rows.append((REVIEWERS + 1, "moe.admin", "教育部管理者", Role.ministry_admin, None, False))
    for county_id, ref in enumerate(COUNTIES, start=1):
        base = REVIEWERS + 1 + (county_id - 1) * 7
        for n in range(SUPERVISORS_PER_COUNTY):
            rows.append((base + 1 + n, f"{ref.code.lower()}.supervisor{n + 1}",
                         f"{ref.name}主管{n + 1}", Role.county_supervisor, county_id, False))  # fmt: skip
        for n in range(STAFF_PER_COUNTY):
            rows.append((staff_id(county_id, n), f"{ref.code.lower()}.staff{n + 1}",
                         f"{ref.name}承辦{n + 1}", Role.county_staff, county_id, False))  # fmt: skip
    conn.exec_driver_sql(
        'INSERT INTO "user" (id, username, display_name, email, role, county_id, daily_digest, '
        f"active, synthetic) VALUES ({_marks(conn, 9)})",
        [(i, u, name, f"{u}@example.org", str(role), c, digest, True, True)
         for i, u, name, role, c, digest in rows],
    )  # fmt: skip


def _marks(conn, n: int) -> str:
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    return ", ".join([mark] * n)


def _schools(conn) -> None:
    rows, per_county = [], {}
    with SCHOOLS_CSV.open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            county = county_for_name(rec["縣市別"])
            county_id = [c.name for c in COUNTIES].index(county.name) + 1
            per_county[county_id] = per_county.get(county_id, 0) + 1
            rows.append((county_id, per_county[county_id], "國小", rec["學校代碼"],
                         rec["鄉鎮市區"], rec["設立別"], rec["附屬"], rec["地區屬性"],
                         rec["原住民學校"] == "是", rec["學校全銜"], int(rec["112年班級數"]),
                         int(rec["112年編制教師數"]), int(rec["112年學生數"]), False))  # fmt: skip
    codes = {r[3] for r in rows}
    for county_id, elementary in sorted(per_county.items()):
        prefix = COUNTIES[county_id - 1].prefixes[0]
        made = 0
        for n in range(1000):
            if made >= max(1, round(elementary * JUNIOR_HIGH_PER_COUNTY_SHARE)):
                break
            code = f"{prefix}{5000 + n:04d}"[-6:]
            if code in codes:
                continue
            codes.add(code)
            made += 1
            per_county[county_id] += 1
            rows.append((county_id, per_county[county_id], "國中", code, "", "縣立", "國中小",
                         "一般", False, f"合成國中{made:03d}", 18, 40, 500, True))  # fmt: skip
    conn.exec_driver_sql(
        "INSERT INTO school (year, county_id, seq, level, code, district, establishment, "
        "affiliation, area, indigenous, name, classes, teachers, students, synthetic) "
        f"VALUES ({YEAR}, %s)" % _marks(conn, 14),
        rows,
    )


def _plans(conn, d: Dialect) -> None:
    json_, stamp = d.json(), d.stamp()
    for county_id in range(1, len(COUNTIES) + 1):
        conn.exec_driver_sql(
            "INSERT INTO plan (id, county_id, year, status, sections, inputs, targets, synthetic, "
            f"created_at, version) VALUES ({county_id}, {county_id}, {YEAR}, 'in_execution', "
            f"{json_}, {json_}, {json_}, TRUE, {stamp}, 6)"
        )
        lines = []
        for n, item in enumerate(BudgetItem):
            estimate = 1_000_000 + n * 100_000
            if item == BudgetItem.digital_content:
                estimate = 500_000_000  # every synthetic contract fits the approved line
            # One county in four leaves one line's difference unexplained: a sweep finding.
            recurrent = estimate + (50_000 if county_id % 4 == 0 and n == 0 else 0)
            lines.append((county_id, str(item), estimate, recurrent))
        conn.exec_driver_sql(
            "INSERT INTO budget_line (plan_id, item, estimate, recurrent, capital, explanation, "
            f"person_months, monthly_rate) VALUES ({_marks(conn, 4)}, 0, '', 0, 0)",
            lines,
        )
        conn.exec_driver_sql(
            "INSERT INTO reimbursement (county_id, year, plan_id, status, approved_amount, "
            "subsidy, disbursed, spent, evidence, synthetic, created_at, version) VALUES "
            f"({county_id}, {YEAR}, {county_id}, 'disbursed', 600000000, 600000000, "
            f"180000000, 0, {json_}, TRUE, {stamp}, 3)"
        )


def _products(conn) -> None:
    rows = [
        (n, f"{10000 + n:05d}-{n % 1000:03d}", f"合成教學軟體{n:03d}", f"廠商{n % 40:02d}",
         "學習平臺", 1000 + n * 10, n % 10 == 0)
        for n in range(1, PRODUCTS + 1)
    ]  # fmt: skip
    conn.exec_driver_sql(
        'INSERT INTO product (id, year, serial, name, vendor, "group", reference_price, '
        f"needs_data_clause, synthetic) VALUES (%s, {YEAR}, %s, %s, %s, %s, %s, %s, TRUE)"
        % tuple(["?" if conn.dialect.name == "sqlite" else "%s"] * 7),
        rows,
    )


def _case(expr: str, pairs, default: str) -> str:
    whens = " ".join(f"WHEN {expr} < {bound} THEN {value}" for bound, value in pairs)
    return f"CASE {whens} ELSE {default} END"


def _purchases_sql(d: Dialect, n: int) -> str:
    pct = f"({h('i', 0)} % 100)"
    status = _case(pct, [(b, f"'{s}'") for b, s, _ in PURCHASE_STATES[:-1]],
                   f"'{PURCHASE_STATES[-1][1]}'")  # fmt: skip
    version = _case(pct, [(b, str(1 + k)) for b, _, k in PURCHASE_STATES[:-1]], "2")
    county = f"(1 + {h('i', 1)} % {len(COUNTIES)})"
    owner = f"({REVIEWERS + 1 + SUPERVISORS_PER_COUNTY + 1} + ({county} - 1) * 7 + {h('i', 2)} % {STAFF_PER_COUNTY})"
    product = f"CASE WHEN {pct} >= 8 AND {pct} < 97 THEN 1 + {h('i', 3)} % {PRODUCTS} ELSE NULL END"
    requested = d.plus_days(date(2024, 3, 1), f"{h('i', 4)} % 260")
    award = d.plus_days(date(2024, 2, 1), f"{h('i', 4)} % 250")
    return (
        "INSERT INTO purchase (id, county_id, year, plan_id, title, status, product_id, amount, "
        "owner_id, evidence, award_date, disbursement_requested_on, synthetic, created_at, "
        "version) "
        f"SELECT i, {county}, {YEAR}, {county}, '合成軟體採購 #' || i, {status}, {product}, "
        f"10000 + ({h('i', 5)} % 200) * 1000, {owner}, {d.json()}, "
        f"CASE WHEN {pct} >= 12 AND {pct} < 97 THEN {award} ELSE {d.null('date')} END, "
        f"CASE WHEN {pct} >= 17 AND {pct} < 97 THEN {requested} ELSE {d.null('date')} END, "
        f"TRUE, {d.stamp()}, {version} FROM {d.numbers(n)}"
    )


def _purchase_milestones_sql(d: Dialect) -> str:
    done = (
        "CASE WHEN p.status IN ('disbursement_requested', 'closed') "
        f"THEN p.disbursement_requested_on WHEN p.status = 'cancelled' THEN {d.day('2024-05-01')} "
        f"ELSE {d.null('date')} END"
    )
    return (
        "INSERT INTO milestone (county_id, year, kind, title, subject_type, subject_id, "
        "school_id, owner_id, due_on, done_on, evidence, synthetic) "
        f"SELECT p.county_id, {YEAR}, 'purchase.disbursement', "
        "'軟體採購「' || p.title || '」完成經費請撥', 'purchase', p.id, "
        f"{d.null('integer')}, p.owner_id, {d.day('2024-11-30')}, {done}, {d.json()}, TRUE "
        "FROM purchase p WHERE p.status <> 'needs_collected'"
    )


def _due_and_done(d: Dialect, offset: str, pct: str) -> tuple[str, str]:
    due = d.plus_days(YEAR_START, offset)
    cutoff = (DONE_BEFORE - YEAR_START).days
    done = (
        f"CASE WHEN ({offset} < {cutoff} AND {pct} >= 3) OR ({offset} >= {cutoff} AND {pct} < 30) "
        f"THEN {due} ELSE {d.null('date')} END"
    )
    return due, done


def _title_case(kind_sql: str) -> str:
    whens = " ".join(f"WHEN '{k.value}' THEN '{MILESTONE_TITLES[k]}'" for k in MilestoneKind)
    return f"CASE {kind_sql} {whens} ELSE '事項' END"


def _per_school_milestones(conn, d: Dialect, budget: int) -> None:
    """Three kinds per school, as far as the size's milestone budget allows."""
    room = budget - _count(conn, "milestone")
    made = 0
    for k, kind in enumerate(PER_SCHOOL_KINDS):
        limit = min(room - made, 10_000)
        if limit <= 0:
            break
        offset = f"((s.id * 37 + {k * 101}) % {DAYS_IN_YEAR})"
        due, done = _due_and_done(d, offset, f"((s.id * 13 + {k * 7}) % 100)")
        owner = f"({staff_id(1, 0)} + (s.county_id - 1) * 7 + s.id % {STAFF_PER_COUNTY})"
        sql = (
            "INSERT INTO milestone (county_id, year, kind, title, subject_type, subject_id, "
            "school_id, owner_id, due_on, done_on, evidence, synthetic) "
            f"SELECT s.county_id, {YEAR}, '{kind.value}', s.name || '{MILESTONE_TITLES[kind]}', "
            f"'plan', s.county_id, s.id, {owner}, {due}, {done}, {d.json()}, TRUE "
            f"FROM school s ORDER BY s.id LIMIT {int(limit)}"
        )
        conn.exec_driver_sql(sql.replace("%", "%%") if d.pg else sql)
        made += min(limit, _count(conn, "school"))


def _plan_milestones_sql(d: Dialect, n: int) -> str:
    kind = _case(f"({h('i', 6)} % {len(PLAN_KINDS)})",
                 [(k + 1, f"'{kind.value}'") for k, kind in enumerate(PLAN_KINDS[:-1])],
                 f"'{PLAN_KINDS[-1].value}'")  # fmt: skip
    county = f"(1 + {h('i', 7)} % {len(COUNTIES)})"
    owner = f"({staff_id(1, 0)} + ({county} - 1) * 7 + {h('i', 8)} % {STAFF_PER_COUNTY})"
    due, done = _due_and_done(d, f"({h('i', 9)} % {DAYS_IN_YEAR})", f"({h('i', 3)} % 100)")
    return (
        "INSERT INTO milestone (county_id, year, kind, title, subject_type, subject_id, "
        "school_id, owner_id, due_on, done_on, evidence, synthetic) "
        f"SELECT {county}, {YEAR}, k, {_title_case('k')} || ' #' || i, 'plan', {county}, "
        f"{d.null('integer')}, {owner}, {due}, {done}, {d.json()}, TRUE "
        f"FROM (SELECT i, {kind} AS k FROM {d.numbers(max(0, n))}) AS g2 WHERE i <= {int(n)}"
    )


def _log_sql(d: Dialect, n: int, purchases: int) -> str:
    step = f"(((i - 1) / {purchases}) % {len(LOG_STEPS)})"

    def pick(column: int) -> str:
        whens = " ".join(f"WHEN {k} THEN '{s[column]}'" for k, s in enumerate(LOG_STEPS))
        return f"CASE {step} {whens} END"

    return (
        "INSERT INTO transition_log (item_type, item_id, event, from_state, to_state, "
        "actor_id, actor_role, at, reason, evidence, letter_no) "
        f"SELECT 'purchase', 1 + (i - 1) % {purchases}, {pick(0)}, {pick(1)}, {pick(2)}, "
        f"{staff_id(1, 0)}, 'county_staff', {d.stamp()}, '', {d.json()}, {d.null('varchar')} "
        f"FROM {d.numbers(n)}"
    )
