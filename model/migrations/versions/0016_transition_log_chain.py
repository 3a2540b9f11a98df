"""transition log hash chain: each row's hash and the row before's, the chain's head row,
and on SQLite a trigger refusing REPLACE of an existing row

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:10:00

Existing rows are chained in id order, as `model/audit.py` chains new ones; the append-only
guard is lifted for that back-fill alone, inside this migration's transaction.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from model.audit import FIELDS, GENESIS, HEAD_ID, row_hash

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SQLITE_NO_UPDATE = """CREATE TRIGGER transition_log_no_update BEFORE UPDATE ON transition_log
       BEGIN SELECT RAISE(ABORT, 'transition_log is append-only'); END"""
# REPLACE and INSERT OR REPLACE delete the old row without the DELETE trigger; a BEFORE
# INSERT trigger sees the id first.
SQLITE_NO_REPLACE = """CREATE TRIGGER transition_log_no_replace BEFORE INSERT ON transition_log
       WHEN EXISTS (SELECT 1 FROM transition_log WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'transition_log is append-only'); END"""

_log = sa.table(
    "transition_log",
    sa.column("id", sa.Integer()),
    sa.column("item_type", sa.String()),
    sa.column("item_id", sa.Integer()),
    sa.column("event", sa.String()),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_role", sa.String()),
    sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("reason", sa.String()),
    sa.column("evidence", sa.JSON()),
    sa.column("letter_no", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def upgrade() -> None:
    op.add_column("transition_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("transition_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    head = op.create_table(
        "transition_log_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER transition_log_no_update")
    else:
        op.execute("ALTER TABLE transition_log DISABLE TRIGGER transition_log_append_only")
    last_id, prev, count = _backfill()
    if sqlite:
        op.execute(SQLITE_NO_UPDATE)
        op.execute(SQLITE_NO_REPLACE)
    else:
        op.execute("ALTER TABLE transition_log ENABLE TRIGGER transition_log_append_only")
    op.bulk_insert(head, [{"id": HEAD_ID, "last_id": last_id, "last_hash": prev, "rows": count}])


def _backfill() -> tuple[int | None, str, int]:
    conn = op.get_bind()
    columns = [_log.c.id, *(_log.c[name] for name in FIELDS)]
    rows = conn.execute(sa.select(*columns).order_by(_log.c.id)).mappings().all()
    prev, links = GENESIS, []
    for row in rows:
        digest = row_hash(row, prev)
        links.append({"_id": row["id"], "prev": prev, "hash": digest})
        prev = digest
    if links:
        conn.execute(
            _log.update()
            .where(_log.c.id == sa.bindparam("_id"))
            .values(prev_hash=sa.bindparam("prev"), row_hash=sa.bindparam("hash")),
            links,
        )
    return (rows[-1]["id"] if rows else None), prev, len(rows)


def downgrade() -> None:
    op.drop_table("transition_log_head")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite drops a column by copying the table, which loses its triggers.
        op.execute("DROP TRIGGER transition_log_no_replace")
        op.execute("DROP TRIGGER transition_log_no_update")
        op.execute("DROP TRIGGER transition_log_no_delete")
    with op.batch_alter_table("transition_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
    if sqlite:
        op.execute(SQLITE_NO_UPDATE)
        op.execute(
            """CREATE TRIGGER transition_log_no_delete BEFORE DELETE ON transition_log
       BEGIN SELECT RAISE(ABORT, 'transition_log is append-only'); END"""
        )
