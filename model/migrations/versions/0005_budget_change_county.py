"""budget change carries its plan's county and year and the lines before approval;
one reimbursement per plan

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 15:57:24
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('budget_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('previous', sa.JSON(), nullable=True))
    # Existing changes take their plan's county and year; nothing was kept of before.
    op.execute(
        "UPDATE budget_change SET "
        "county_id = (SELECT plan.county_id FROM plan WHERE plan.id = budget_change.plan_id), "
        "year = (SELECT plan.year FROM plan WHERE plan.id = budget_change.plan_id), "
        "previous = '{}'"
    )
    with op.batch_alter_table('budget_change', schema=None) as batch_op:
        batch_op.alter_column('county_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('year', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('previous', existing_type=sa.JSON(), nullable=False)
        batch_op.create_index('ix_budget_change_county_id', ['county_id'], unique=False)
        batch_op.create_foreign_key('fk_budget_change_county', 'county', ['county_id'], ['id'])
        batch_op.create_foreign_key(
            'fk_budget_change_year', 'programme_year', ['year'], ['year']
        )

    with op.batch_alter_table('reimbursement', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_reimbursement_plan', ['plan_id'])


def downgrade() -> None:
    with op.batch_alter_table('reimbursement', schema=None) as batch_op:
        batch_op.drop_constraint('uq_reimbursement_plan', type_='unique')

    with op.batch_alter_table('budget_change', schema=None) as batch_op:
        batch_op.drop_constraint('fk_budget_change_year', type_='foreignkey')
        batch_op.drop_constraint('fk_budget_change_county', type_='foreignkey')
        batch_op.drop_index('ix_budget_change_county_id')
        batch_op.drop_column('previous')
        batch_op.drop_column('year')
        batch_op.drop_column('county_id')
