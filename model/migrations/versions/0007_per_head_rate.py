"""the ministry's per-head amount for 6 數位內容, per programme year

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 10:00:00

Null means the rules file's budget.digital_content.per_head applies. A county's own
plan.inputs["per_head"] is no longer read (model/plan_estimate.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programme_year", schema=None) as batch_op:
        batch_op.add_column(sa.Column("per_head_rate", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programme_year", schema=None) as batch_op:
        batch_op.drop_column("per_head_rate")
