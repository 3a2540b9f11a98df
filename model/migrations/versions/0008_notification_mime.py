"""the outbox keeps each mail serialized once, when it is queued

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00

Null for rows queued before this revision: the deliverer builds those at send time, as it
always did (notifications/smtp.py), so they need no backfill here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mime", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("mime")
