"""activities that count toward the targets: meetings, lessons, trainings, visits, sampling

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('semester', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('teachers', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('classes', sa.Integer(), nullable=False),
    sa.Column('moe_team', sa.Boolean(), nullable=False),
    sa.Column('self_learning_festival', sa.Boolean(), nullable=False),
    sa.Column('office_accompanied', sa.Boolean(), nullable=False),
    sa.Column('evidence_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('evidence_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('meeting.working', 'open_lesson', 'training.workshop', 'training.literacy', 'training.guideline', 'parent_session', 'companion_visit', 'outcome_sampling')", name='ck_activity_kind'),
    sa.CheckConstraint("kind NOT IN ('open_lesson', 'companion_visit', 'outcome_sampling') OR school_id IS NOT NULL", name='ck_activity_school'),
    sa.CheckConstraint('teachers >= 0 AND hours >= 0 AND participants >= 0 AND days >= 0 AND classes >= 0', name='ck_activity_counts'),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['year'], ['programme_year.year'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_county_year_kind', ['county_id', 'year', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_school_id'))
        batch_op.drop_index('ix_activity_county_year_kind')

    op.drop_table('activity')
