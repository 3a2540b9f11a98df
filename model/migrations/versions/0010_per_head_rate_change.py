"""per-head rate changes: who set a year's per-head amount, when, and from what

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 19:15:00

No rows are added for a rate set before this revision: nobody recorded who set it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "per_head_rate_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["year"], ["programme_year.year"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("per_head_rate_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_per_head_rate_change_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("per_head_rate_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_per_head_rate_change_year"))
    op.drop_table("per_head_rate_change")
