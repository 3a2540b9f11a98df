"""The transition log's hash chain: whatever changes a row behind the application's back
is found by `jingjin audit verify`, which names the row, or refused by the database.

On SQLite and PostgreSQL. The tampering is done as the tables' owner (triggers lifted,
as an attacker with the owner's password could), the refusals as the application's role.
"""

import threading
import uuid
from datetime import date

import pytest
from cli_env import configured, configured_engine, run
from deadline_fixtures import seed_demo
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from config.clock import now
from demo.generate import generate
from flows.jobs import run as jobs
from flows.jobs.checks import AUDIT_RULE
from model import audit
from model.db import make_engine, session_scope
from model.migrate import grant_app_role
from model.tables import Finding, Notification, TransitionLog, User
from states.values import Role

COLUMNS = (
    "item_type, item_id, event, from_state, to_state, actor_role, at, reason, evidence"
)  # fmt: skip


def _entry(n: int) -> dict:
    return {
        "item_type": "plan", "item_id": 1, "event": "submit", "from_state": "draft",
        "to_state": "submitted", "actor_id": None, "actor_role": "county_staff", "at": now(),
        "reason": f"第 {n} 次", "evidence": {"n": n}, "letter_no": None,
    }  # fmt: skip


def _logged(engine: Engine, extra: int = 6, story: bool = False) -> list[int]:
    """The demo (its story told through the real lifecycles if `story`), plus `extra`
    rows appended as the workflow appends them; the log's ids in order."""
    with session_scope(engine) as session:
        generate(session, story=story)
    with session_scope(engine) as session:
        for n in range(extra):
            audit.append(session.connection(), _entry(n))
    with Session(engine) as session:
        return list(session.exec(select(TransitionLog.id).order_by(TransitionLog.id)))


def _verify(engine: Engine):
    with engine.begin() as conn:
        return audit.verify(conn)


def _as_owner(engine: Engine, *statements: str) -> None:
    """Run statements with the log's guard lifted, as its owner could, then put it back."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if sqlite:
            for name in ("no_update", "no_delete", "no_replace"):
                conn.execute(text(f"DROP TRIGGER transition_log_{name}"))
        else:
            conn.execute(text("ALTER TABLE transition_log DISABLE TRIGGER ALL"))
        try:
            for statement in statements:
                conn.execute(text(statement))
        finally:
            if not sqlite:
                conn.execute(text("ALTER TABLE transition_log ENABLE TRIGGER ALL"))


def _cli_names(monkeypatch, engine: Engine, row_id: int | None) -> None:
    with configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "audit", "verify")
    assert result.exit_code == 1
    assert "雜湊鏈" in result.stderr and "竄改" in result.stderr
    if row_id is not None:
        assert f"編號 {row_id}）" in result.stderr


def test_a_real_log_verifies_and_the_command_says_so(engine, monkeypatch):
    ids = _logged(engine, story=True)
    count, broken = _verify(engine)
    assert broken is None and count == len(ids) > 6
    with configured_engine(monkeypatch, engine) as runner:
        result = run(runner, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"共 {len(ids):,} 筆" in result.stdout


def test_an_edited_row_is_named(engine, monkeypatch):
    ids = _logged(engine)
    target = ids[2]
    _as_owner(engine, f"UPDATE transition_log SET reason = '改過' WHERE id = {target}")
    _count, broken = _verify(engine)
    assert broken.row_id == target and broken.position == 3
    _cli_names(monkeypatch, engine, target)


def test_a_deleted_row_is_named_by_the_row_after_it(engine, monkeypatch):
    ids = _logged(engine)
    _as_owner(engine, f"DELETE FROM transition_log WHERE id = {ids[1]}")
    _count, broken = _verify(engine)
    assert broken.row_id == ids[2]
    _cli_names(monkeypatch, engine, ids[2])


def test_a_deleted_last_row_is_found_at_the_chain_s_end(engine, monkeypatch):
    ids = _logged(engine)
    _as_owner(engine, f"DELETE FROM transition_log WHERE id = {ids[-1]}")
    _count, broken = _verify(engine)
    assert broken.row_id is None and "最後幾筆紀錄遭刪除" in broken.reason
    _cli_names(monkeypatch, engine, None)


def test_a_forged_insert_is_named(engine, monkeypatch):
    ids = _logged(engine)
    forged = ids[-1] + 1
    with engine.begin() as conn:  # the application's own rights: INSERT is allowed
        conn.execute(
            text(
                f"INSERT INTO transition_log (id, {COLUMNS}) VALUES "
                f"({forged}, 'plan', 1, 'approve', 'submitted', 'approved', 'ministry_admin', "
                ":at, '', '{}')"
            ),
            {"at": now()},
        )
    _count, broken = _verify(engine)
    assert broken.row_id == forged and "不是系統寫入" in broken.reason
    _cli_names(monkeypatch, engine, forged)


def test_a_forged_insert_with_a_made_up_hash_is_named(engine):
    ids = _logged(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO transition_log ({COLUMNS}, prev_hash, row_hash) VALUES "
                "('plan', 1, 'approve', 'submitted', 'approved', 'ministry_admin', :at, '', "
                "'{}', :prev, :fake)"
            ),
            {"at": now(), "prev": "0" * 64, "fake": "f" * 64},
        )
    _count, broken = _verify(engine)
    assert broken.row_id == ids[-1] + 1


@pytest.mark.parametrize("verb", ["REPLACE", "INSERT OR REPLACE"])
def test_sqlite_refuses_replace_of_an_existing_row(sqlite_engine, verb):
    ids = _logged(sqlite_engine)
    with pytest.raises(DBAPIError, match="append-only"), sqlite_engine.begin() as conn:
        conn.execute(
            text(
                f"{verb} INTO transition_log (id, {COLUMNS}) VALUES ({ids[1]}, 'plan', 1, "
                "'approve', 'submitted', 'approved', 'ministry_admin', :at, '', '{}')"
            ),
            {"at": now()},
        )
    assert _verify(sqlite_engine)[1] is None


@pytest.mark.parametrize("verb", ["REPLACE", "INSERT OR REPLACE"])
def test_sqlite_replace_with_the_guard_dropped_is_named(sqlite_engine, monkeypatch, verb):
    ids = _logged(sqlite_engine)
    _as_owner(
        sqlite_engine,
        f"{verb} INTO transition_log (id, {COLUMNS}, prev_hash, row_hash) "
        f"SELECT id, {COLUMNS.replace('reason', quote_reason())}, prev_hash, row_hash "
        f"FROM transition_log WHERE id = {ids[1]}",
    )
    _count, broken = _verify(sqlite_engine)
    assert broken.row_id == ids[1]
    _cli_names(monkeypatch, sqlite_engine, ids[1])


def quote_reason() -> str:
    return "'替換' AS reason"


def test_the_daily_sweep_alerts_the_ministry_admins_once(engine):
    ids = _logged(engine)
    assert jobs.sweep(engine, date(2024, 11, 26)).counts.get("稽核警示") is None
    _as_owner(engine, f"UPDATE transition_log SET reason = '改過' WHERE id = {ids[0]}")
    report = jobs.sweep(engine, date(2024, 11, 26))
    assert report.counts["稽核警示"] == 1
    with Session(engine) as session:
        finding = session.exec(select(Finding).where(Finding.rule_id == AUDIT_RULE)).one()
        assert finding.subject_id == ids[0] and finding.resolved_on is None
        admins = session.exec(select(User).where(User.role == Role.ministry_admin)).all()
        mailed = session.exec(
            select(Notification).where(Notification.dedupe_key.like(f"finding:{finding.id}:%"))
        ).all()
        assert admins and {m.recipient_id for m in mailed} == {a.id for a in admins}
        assert all("雜湊鏈" in m.subject + m.body_text for m in mailed)
    again = jobs.sweep(engine, date(2024, 11, 26))  # the same break is not mailed twice
    assert again.counts["稽核警示"] == 1 and not again.queued


def test_concurrent_appends_keep_one_chain(engine):
    seed_demo(engine)
    barrier = threading.Barrier(4, timeout=30)
    errors: list[Exception] = []

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for n in range(10):
                with session_scope(engine) as session:
                    audit.append(session.connection(), _entry(100 * k + n))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    count, broken = _verify(engine)
    assert broken is None
    with Session(engine) as session:
        hashes = session.exec(select(TransitionLog.prev_hash)).all()
    assert len(set(hashes)) == len(hashes) == count  # no two rows follow the same row


@pytest.mark.postgres
def test_the_application_role_cannot_lift_the_guard(postgres_engine):
    _logged(postgres_engine, extra=1)
    role = f"jj_app_{uuid.uuid4().hex[:8]}"
    with postgres_engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        grant_app_role(conn, role)
    url = postgres_engine.url.set(username=role).render_as_string(False)
    app = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        for statement in (
            "ALTER TABLE transition_log DISABLE TRIGGER ALL",
            "ALTER TABLE transition_log DISABLE TRIGGER transition_log_append_only",
            "UPDATE transition_log SET reason = 'x'",
            "DELETE FROM transition_log",
            "TRUNCATE transition_log",
            "DROP TABLE transition_log_head",
        ):
            refused = pytest.raises(DBAPIError, match=r"must be owner|permission denied")
            with refused, app.begin() as conn:
                conn.execute(text(statement))
        with app.begin() as conn:  # the application still writes its log
            audit.append(conn, _entry(99))
        assert _verify(app)[1] is None
    finally:
        app.dispose()
        with postgres_engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


@pytest.mark.postgres
def test_db_upgrade_as_the_owner_leaves_the_application_owning_nothing(
    fresh_postgres_engine, monkeypatch
):
    """`jingjin db upgrade` with the owner's URL grants the application's role its rows;
    the application then works, but cannot lift the log's guard."""
    owner = fresh_postgres_engine
    role = f"jj_app_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    app = make_engine(
        owner.url.set(username=role).render_as_string(False),
        connect_args={"options": f"-csearch_path={schema}"},
    )
    try:
        monkeypatch.setenv("JINGJIN_MIGRATION_DATABASE_URL", owner.url.render_as_string(False))
        monkeypatch.setenv("PGOPTIONS", f"-csearch_path={schema}")  # both roles, read by libpq
        with configured(monkeypatch, app.url.render_as_string(False)) as runner:
            upgraded = run(runner, "db", "upgrade")
            verified = run(runner, "audit", "verify")
        assert upgraded.exit_code == 0, upgraded.output
        assert verified.exit_code == 0, verified.output
        with app.begin() as conn:
            audit.append(conn, _entry(1))
        refused = pytest.raises(DBAPIError, match=r"must be owner")
        with refused, app.begin() as conn:
            conn.execute(text("ALTER TABLE transition_log DISABLE TRIGGER ALL"))
    finally:
        app.dispose()
        with owner.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
