"""Which ministry reviewer answers for which county: the ministry's mails go to them.

Reviewers still read and act on every county (SPEC.md, roles); an assignment decides
only who is told when a county's work is late or a check finds something.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import ClassVar

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from model.tables import County, User
from rules.errors import InputError
from states.values import Role


class ReviewerAssignment(SQLModel, table=True):
    """One reviewer responsible for one county; a county may have several, or none yet."""

    __tablename__: ClassVar[str] = "reviewer_assignment"
    __table_args__ = (UniqueConstraint("user_id", "county_id", name="uq_reviewer_assignment"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    county_id: int = Field(foreign_key="county.id", index=True)


def _require_reviewer(user: User) -> None:
    # Enforced here, not in the database: the role lives on another table's row.
    if user.role != Role.ministry_reviewer:
        raise InputError(
            "reviewer.role",
            f"{user.display_name}（{user.username}）的角色是「{Role(user.role).label}」，"
            "只有教育部承辦可以指定負責的縣市",
        )
    if not user.active:
        raise InputError("reviewer.active", f"{user.username} 的帳號已停用，不能指定負責的縣市")


def assigned_ids(session: Session, user: User) -> set[int]:
    rows = select(ReviewerAssignment.county_id).where(ReviewerAssignment.user_id == user.id)
    return set(session.exec(rows))


def assign(session: Session, user: User, counties: Iterable[County]) -> list[County]:
    """Make `user` responsible for `counties`; return the ones that were not yet theirs."""
    _require_reviewer(user)
    have = assigned_ids(session, user)
    added = []
    for county in counties:
        if county.id not in have:
            session.add(ReviewerAssignment(user_id=user.id, county_id=county.id))
            have.add(county.id)
            added.append(county)
    session.flush()
    return added


def unassign(session: Session, user: User, county: County) -> bool:
    """Take `county` off `user`; False when it was not theirs."""
    row = session.exec(
        select(ReviewerAssignment).where(
            ReviewerAssignment.user_id == user.id, ReviewerAssignment.county_id == county.id
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def county_reviewers(session: Session, county_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active reviewers assigned to each county; a county without one is absent."""
    ids = sorted(set(county_ids))
    found: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(ReviewerAssignment.county_id, User)
        .join(User, User.id == ReviewerAssignment.user_id)
        .where(
            col(ReviewerAssignment.county_id).in_(ids),
            User.role == Role.ministry_reviewer,
            User.active,
        )
        .order_by(ReviewerAssignment.county_id, User.id)
    )
    for county_id, user in rows:
        found[county_id].append(user)
    return found


def all_assignments(session: Session) -> list[tuple[User, County]]:
    """Every assignment, by reviewer and then in the ministry's county order (the ids)."""
    rows = session.exec(
        select(User, County)
        .join(ReviewerAssignment, ReviewerAssignment.user_id == User.id)
        .join(County, County.id == ReviewerAssignment.county_id)
        .order_by(User.username, County.id)
    )
    return [(user, county) for user, county in rows]
