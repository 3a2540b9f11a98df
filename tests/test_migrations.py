"""The migrations build exactly the tables the code declares, on both databases."""

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from model.migrate import DatabaseNotMigrated, alembic_config, require_migrated
from model.tables import TransitionLog


def test_upgrade_matches_the_declared_tables(engine):
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)  # raises when autogenerate would find a difference


def test_require_migrated_refuses_a_database_behind_head(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(DatabaseNotMigrated, match="jingjin db upgrade"):
        require_migrated(sqlite_engine)


def test_transition_log_rows_cannot_be_changed_or_removed(session):
    session.add(TransitionLog(
        item_type="plan", item_id=1, event="submit", from_state="draft",
        to_state="submitted", actor_role="county_supervisor",
    ))
    session.commit()
    for statement in ("UPDATE transition_log SET reason = 'x'", "DELETE FROM transition_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert session.execute(text("SELECT count(*) FROM transition_log")).scalar_one() == 1
