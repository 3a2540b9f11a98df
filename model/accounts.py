"""Sign-in throttling, deputies and hand-overs: what the web pages keep about people."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from config.clock import now


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per user name; kept by name so unknown names are throttled alike."""

    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None


class Deputy(SQLModel, table=True):
    """While `user_id` is away (starts_on … ends_on), `deputy_id` sees and handles their work."""

    __table_args__ = (
        CheckConstraint("user_id <> deputy_id", name="ck_deputy_not_self"),
        CheckConstraint("starts_on <= ends_on", name="ck_deputy_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    deputy_id: int = Field(foreign_key="user.id", index=True)
    starts_on: date
    ends_on: date
    created_at: datetime = Field(default_factory=now)


class Handover(SQLModel, table=True):
    """An item handed to another person of its county; the latest row names the holder."""

    __table_args__ = (Index("ix_handover_item", "item_type", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_type: str = Field(max_length=16)
    item_id: int
    from_user_id: int | None = Field(default=None, foreign_key="user.id")
    to_user_id: int = Field(foreign_key="user.id", index=True)
    by_user_id: int = Field(foreign_key="user.id")
    note: str = ""
    at: datetime = Field(default_factory=now)
