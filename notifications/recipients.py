"""Who is responsible for what: the only people a deadline or finding mail goes to.

Never "every user with a role": an owner is one person, a county's supervisors are that
county's, and the ministry's part goes to the reviewers assigned to the county
(model/assignments.py). A county nobody is assigned to goes to the ministry admins, asking
them to assign someone, rather than to every reviewer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from model.assignments import all_assignments, county_reviewers
from model.tables import User
from states.values import Role

OWNER_WHY = "您是此項目的承辦人"


def supervisor_why(county: str) -> str:
    return f"您是{county}的縣市主管"


def reviewer_why(county: str) -> str:
    return f"您是負責{county}的教育部承辦"


def unassigned_why(county: str) -> str:
    return f"{county}尚未指定負責的教育部承辦，請指派"


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


def ministry(
    session: Session, counties: Iterable[tuple[int, str]]
) -> dict[int, list[tuple[User, str]]]:
    """Each county's ministry readers with the reason: its reviewers, else the admins."""
    names = dict(counties)
    assigned = county_reviewers(session, names)
    missing = [cid for cid in names if cid not in assigned]
    admins = _admins(session) if missing else []
    found: dict[int, list[tuple[User, str]]] = {}
    for cid, county in names.items():
        if cid in assigned:
            found[cid] = [(u, reviewer_why(county)) for u in assigned[cid]]
        else:
            found[cid] = [(u, unassigned_why(county)) for u in admins]
    return found


def digest_readers(session: Session) -> list[tuple[User, dict[int, str]]]:
    """Reviewers on the daily digest, each with their counties' names by id."""
    found: dict[int, tuple[User, dict[int, str]]] = {}
    for user, county in all_assignments(session):
        if user.active and takes_digest(user):
            found.setdefault(user.id, (user, {}))[1][county.id] = county.name
    return sorted(found.values(), key=lambda pair: pair[0].id)


def admins(session: Session) -> list[User]:
    """The active ministry admins: they read what concerns the whole programme."""
    return _admins(session)


def _admins(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.role == Role.ministry_admin, User.active).order_by(User.id)
        )
    )


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted), User.active))
    }
