"""Passwords (argon2), sign-in lockout and CSRF tokens."""

import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from model.accounts import LoginThrottle
from model.clock import now
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
    return users


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives back naive UTC; PostgreSQL aware. Compare in one way.
    if moment is None or moment.tzinfo is not None:
        return moment
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def locked_until(session: Session, username: str) -> datetime | None:
    row = session.get(LoginThrottle, username)
    until = _aware(row.locked_until) if row else None
    return until if until and until > now() else None


def record_failure(session: Session, username: str, max_failures: int, minutes: int) -> None:
    row = session.get(LoginThrottle, username) or LoginThrottle(username=username)
    row.failures += 1
    row.last_failure_at = now()
    if row.failures >= max_failures:
        row.locked_until = now() + timedelta(minutes=minutes)
        row.failures = 0
    session.add(row)
    session.flush()


def clear_failures(session: Session, username: str) -> None:
    row = session.get(LoginThrottle, username)
    if row is not None:
        session.delete(row)
        session.flush()


def authenticate(
    session: Session, username: str, password: str, max_failures: int, minutes: int
) -> tuple[User | None, str | None]:
    """(user, None) on success, else (None, a zh-TW reason that does not reveal which part)."""
    username = username.strip()[:64]
    if locked_until(session, username):
        return None, f"登入失敗次數過多，帳號已暫時鎖定 {minutes} 分鐘，請稍後再試。"
    user = session.exec(select(User).where(User.username == username)).first()
    ok = password_matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        record_failure(session, username, max_failures, minutes)
        return None, "帳號或密碼錯誤。"
    clear_failures(session, username)
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
