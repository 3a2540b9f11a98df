"""user session epoch: sign-out, a new password and a lockout end every older cookie

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-08 00:30:00

Existing users start at 0, the value every cookie signed before this revision carries
implicitly (web.deps reads a missing epoch as 0), so nobody is signed out by the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
