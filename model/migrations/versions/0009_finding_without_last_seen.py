"""findings lose last_seen: the sweep no longer rewrites every open finding daily

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00

An open finding is one the latest sweep saw; a resolved one was last seen before its
resolved_on. The downgrade fills the column with first_seen, the one day known to be true.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_column("last_seen")


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen", sa.Date(), nullable=True))
    op.execute("UPDATE finding SET last_seen = first_seen")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.alter_column("last_seen", existing_type=sa.Date(), nullable=False)
