"""milestones looked up by their subject: an item's page reads only its own

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-08 00:30:00

The unique constraint leads with the kind, so an item's milestones were a scan of the
whole table (500,000 rows nationally) on every item page.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index("ix_milestone_subject", ["subject_type", "subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_subject")
