"""reporting dates the ministry announces, and who entered a closure (停班)

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-07 23:30:00

Closures entered before this revision keep null in entered_by / entered_at: nobody
recorded who entered them.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporting_date_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("previous", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["year"], ["programme_year.year"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reporting_date_change", schema=None) as batch_op:
        batch_op.create_index("ix_reporting_date_change_year_kind", ["year", "kind"], unique=False)
    with op.batch_alter_table("closure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_foreign_key("fk_closure_entered_by_user", "user", ["entered_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("closure", schema=None) as batch_op:
        batch_op.drop_constraint("fk_closure_entered_by_user", type_="foreignkey")
        batch_op.drop_column("entered_at")
        batch_op.drop_column("entered_by")
    with op.batch_alter_table("reporting_date_change", schema=None) as batch_op:
        batch_op.drop_index("ix_reporting_date_change_year_kind")
    op.drop_table("reporting_date_change")
