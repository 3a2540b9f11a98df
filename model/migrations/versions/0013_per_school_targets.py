"""per-school targets: workshop attendance, baseline, devices

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 23:02:26

Workshop (一)(二) attendance per teacher, each school's 111–112 baseline of trained
teachers and its learning devices on hand. New tables only; nothing existing changes.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("class_sets", sa.Integer(), nullable=False),
        sa.CheckConstraint("devices >= 0 AND class_sets >= 0", name="ck_school_devices_counts"),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )
    op.create_table(
        "workshop_baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        sa.CheckConstraint("teachers >= 0", name="ck_workshop_baseline_teachers"),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )
    op.create_table(
        "workshop_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("school_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("teacher", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.CheckConstraint("part IN (1, 2)", name="ck_workshop_attendance_part"),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["programme_year.year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "activity_id", "part", "school_code", "teacher", name="uq_workshop_attendance"
        ),
    )
    with op.batch_alter_table("workshop_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_attendance_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(
            "ix_workshop_attendance_year_school", ["year", "school_id", "teacher"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_workshop_attendance_year_school")
        batch_op.drop_index(batch_op.f("ix_workshop_attendance_activity_id"))

    op.drop_table("workshop_attendance")
    op.drop_table("workshop_baseline")
    op.drop_table("school_devices")
