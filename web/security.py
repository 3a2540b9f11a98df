"""Passwords (argon2), sign-in lockout and CSRF tokens."""

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from config.clock import now
from model.accounts import LoginThrottle
from model.tables import User

HASHER = PasswordHasher()
# A hash to verify against when the name is unknown, so both cases take the same time.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def set_demo_passwords(session: Session, password: str) -> list[User]:
    """Give every synthetic (demo) user this password; returns them for printing."""
    users = list(session.exec(select(User).where(User.synthetic).order_by(User.id)))
    digest = hash_password(password)  # one hash is enough: all demo users share it
    for user in users:
        user.password_hash = digest
    session.flush()
    for user in users:
        end_sessions(session, user.id)
    return users


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session signed in with the old one."""
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    end_sessions(session, user.id)


def end_sessions(session: Session, user_id: int) -> None:
    """Every cookie signed for this person so far stops working (web.deps.current_user)."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(session_epoch=col(User.session_epoch) + 1)
        .execution_options(synchronize_session="fetch")  # a loaded User sees the new value
    )


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert


def _reserve(session: Session, key: str, max_failures: int, minutes: int) -> int | None:
    """Count this attempt before its password is checked, in one conditional UPDATE, so
    parallel attempts cannot all read the same count: the attempt number, or None while
    the name is locked (or its last free attempts are still being checked)."""
    moment = now()
    # Names tried and not locked for a lockout period are forgotten, so made-up names
    # cannot grow the table without bound; their failures are that old anyway.
    session.execute(
        delete(LoginThrottle).where(
            or_(
                col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < moment
            ),
            col(LoginThrottle.last_failure_at) < moment - timedelta(minutes=minutes),
        )
    )
    insert = _insert(session)(LoginThrottle).values(username=key, failures=0)
    session.execute(insert.on_conflict_do_nothing(index_elements=["username"]))
    attempt = session.execute(
        update(LoginThrottle)
        .where(
            col(LoginThrottle.username) == key,
            or_(
                col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) <= moment
            ),
            col(LoginThrottle.failures) < max_failures,
        )
        .values(failures=col(LoginThrottle.failures) + 1, last_failure_at=moment)
        .returning(col(LoginThrottle.failures))
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.commit()  # seen by every other attempt before this one's password is checked
    return attempt


def _lock(session: Session, key: str, minutes: int, user: User | None) -> None:
    session.execute(
        update(LoginThrottle)
        .where(col(LoginThrottle.username) == key)
        .values(failures=0, locked_until=now() + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    )
    if user is not None:
        end_sessions(session, user.id)  # a lockout also signs out whoever is signed in


def _release(session: Session, key: str) -> None:
    session.execute(
        delete(LoginThrottle)
        .where(col(LoginThrottle.username) == key)
        .execution_options(synchronize_session=False)
    )


def authenticate(
    session: Session, username: str, password: str, max_failures: int, minutes: int
) -> tuple[User | None, str | None]:
    """(user, None) on success, else (None, a zh-TW reason that does not reveal which part).
    At most `max_failures` passwords are checked per name and lockout period, however many
    attempts arrive at once."""
    username = username.strip()[:64]
    user = session.exec(select(User).where(User.username == username)).first()
    attempt = _reserve(session, username, max_failures, minutes)
    if attempt is None:
        return None, f"登入失敗次數過多，帳號已暫時鎖定 {minutes} 分鐘，請稍後再試。"
    # No transaction is open while argon2 works (on SQLite one would hold the write lock).
    ok = password_matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        if attempt >= max_failures:
            _lock(session, username, minutes, user)
        return None, "帳號或密碼錯誤。"
    _release(session, username)
    return user, None


def csrf_token(session_data: dict) -> str:
    token = session_data.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session_data[CSRF_FIELD] = token
    return token


def csrf_ok(session_data: dict, sent: str | None) -> bool:
    expected = session_data.get(CSRF_FIELD)
    return bool(expected and sent) and secrets.compare_digest(str(expected), str(sent))
