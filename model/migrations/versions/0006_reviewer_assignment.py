"""reviewer assignment: the ministry reviewers responsible for each county

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00

No rows are added: until the ministry admin assigns reviewers, the ministry's mails for
a county go to the admin with a request to assign one (notifications/recipients.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviewer_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'county_id', name='uq_reviewer_assignment')
    )
    with op.batch_alter_table('reviewer_assignment', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_reviewer_assignment_county_id'), ['county_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('reviewer_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_assignment_county_id'))
    op.drop_table('reviewer_assignment')
