"""purchase: the 採購金額 kept apart from the award amount

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:20:00

The procurement band is judged on the 採購金額 fixed before tendering (政府採購法施行細則
§6), not on the award. Purchases contracted before this revision have no 採購金額 recorded:
the column stays empty for them rather than guessing one from the award.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.add_column(sa.Column("procurement_amount", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_column("procurement_amount")
