"""Who is responsible for what: the only people a deadline or finding mail goes to.

Never "every user with a role": an owner is one person, a county's supervisors are that
county's, and reviewers are the ministry's (all of them, as reviewers are not yet
assigned to counties).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from model.tables import User
from states.values import Role

OWNER_WHY = "您是此項目的承辦人"


def supervisor_why(county: str) -> str:
    return f"您是{county}的縣市主管"


def reviewer_why(county: str) -> str:
    return f"您是負責{county}的教育部承辦"


def takes_digest(user: User) -> bool:
    """A reviewer on the daily digest gets no single mails (SPEC.md, Deadlines)."""
    return user.role == Role.ministry_reviewer and user.daily_digest


def supervisors(session: Session, county_ids: Iterable[int]) -> dict[int, list[User]]:
    ids = sorted(set(county_ids))
    found: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(User)
        .where(User.role == Role.county_supervisor, User.active, col(User.county_id).in_(ids))
        .order_by(User.id)
    )
    for user in rows:
        found[user.county_id].append(user)
    return found


def reviewers(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.role == Role.ministry_reviewer, User.active).order_by(User.id)
        )
    )


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted), User.active))
    }
