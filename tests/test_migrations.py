"""The migrations build exactly the tables the code declares, on both databases."""

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from model.db import make_engine
from model.migrate import DatabaseNotMigrated, alembic_config, require_migrated, upgrade
from model.tables import TransitionLog


def test_upgrade_matches_the_declared_tables(engine):
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)  # raises when autogenerate would find a difference


def test_upgrade_takes_a_url_with_percent_signs(tmp_path):
    # A percent-escaped password or search_path option has "%" in the URL too.
    engine = make_engine(f"sqlite:///{tmp_path / '100%_used.db'}")
    try:
        upgrade(engine)
        require_migrated(engine)
    finally:
        engine.dispose()


def test_require_migrated_refuses_a_database_behind_head(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(DatabaseNotMigrated, match="jingjin db upgrade"):
        require_migrated(sqlite_engine)


def test_transition_log_rows_cannot_be_changed_or_removed(session):
    session.add(
        TransitionLog(
            item_type="plan",
            item_id=1,
            event="submit",
            from_state="draft",
            to_state="submitted",
            actor_role="county_supervisor",
        )
    )
    session.commit()
    for statement in ("UPDATE transition_log SET reason = 'x'", "DELETE FROM transition_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert session.execute(text("SELECT count(*) FROM transition_log")).scalar_one() == 1


def test_upgrade_to_0005_fills_budget_change_county_from_its_plan(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO county (id, code, name) VALUES (7, 'HSQ', '新竹縣')"))
        conn.execute(
            text(
                "INSERT INTO programme_year (year, rules_toml, rules_sha256, loaded_at) "
                "VALUES (113, '', '', '2024-01-01T00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO plan (id, version, county_id, year, status, sections, inputs, targets, "
                "synthetic, created_at) VALUES (3, 1, 7, 113, 'approved', '{}', '{}', '{}', 0, "
                "'2024-01-01T00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO budget_change (id, version, plan_id, status, lines, reason, created_at) "
                "VALUES (1, 1, 3, 'requested', '{}', 'x', '2024-01-01T00:00:00+00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT county_id, year, previous FROM budget_change")).one()
    assert tuple(row) == (7, 113, "{}")
    engine.dispose()


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("fresh_postgres", marks=pytest.mark.postgres)]
)
def test_downgrade_to_base_and_back_succeeds(kind, request):
    engine = request.getfixturevalue(f"{kind}_engine")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
    require_migrated(engine)
