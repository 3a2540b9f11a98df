"""What the deadline jobs have already done, so that each reminder and step fires once.

A row is written in the same transaction as the mails it causes; its unique key is what
keeps a second run (or a second worker) from firing the same alert again.
"""

from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

REMINDER = "reminder"
ESCALATION = "escalation"


class MilestoneAlert(SQLModel, table=True):
    """One reminder (level = working-day offset) or escalation step (level = 1, 2, …)."""

    __tablename__: ClassVar[str] = "milestone_alert"
    __table_args__ = (
        UniqueConstraint("milestone_id", "kind", "level", name="uq_milestone_alert"),
        CheckConstraint("kind IN ('reminder', 'escalation')", name="ck_milestone_alert_kind"),
        Index("ix_milestone_alert_fired", "fired_on", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id")
    kind: str = Field(max_length=16)
    level: int
    fired_on: date
