"""milestone alerts: reminders and escalation steps already fired

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('milestone_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('fired_on', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('reminder', 'escalation')", name='ck_milestone_alert_kind'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('milestone_id', 'kind', 'level', name='uq_milestone_alert')
    )
    with op.batch_alter_table('milestone_alert', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_alert_fired', ['fired_on', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('milestone_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_alert_fired')
    op.drop_table('milestone_alert')
