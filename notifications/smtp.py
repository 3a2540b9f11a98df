"""Delivery: claim a batch from the outbox and send it over one reused SMTP connection.

Claiming moves each row's `next_attempt_at` one lease ahead in its own short
transaction (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the BEGIN IMMEDIATE lock), so
two deliverers never hold the same row. Each message is marked sent in its own commit
right after the server accepts it: a kill loses at most the one in flight, which is
then sent again under the same Message-ID once its lease runs out.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from aiosmtplib import (
    SMTPConnectError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from sqlalchemy import Engine, update
from sqlmodel import col, select

from model.clock import now as clock_now
from model.db import session_scope
from model.settings import Settings, get_settings
from model.tables import Notification

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
_CONNECTION_ERRORS = (SMTPServerDisconnected, SMTPTimeoutError, SMTPConnectError, OSError)


@dataclass
class Delivery:
    sent: list[Notification] = field(default_factory=list)
    retrying: list[Notification] = field(default_factory=list)
    failed: list[Notification] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def build_message(row: Notification, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = Address(settings.mail_from_name, addr_spec=settings.mail_from)
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg["Message-ID"] = row.message_id
    msg["Date"] = formatdate(localtime=True)
    msg.set_content(row.body_text)
    msg.add_alternative(row.body_html, subtype="html")
    return msg


def claim(engine: Engine, batch_size: int, at: datetime, lease: timedelta) -> list[Notification]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Notification)
            .where(Notification.status == "queued", Notification.next_attempt_at <= at)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            session.execute(
                update(Notification)
                .where(col(Notification.id).in_([r.id for r in rows]))
                .values(next_attempt_at=at + lease)
                .execution_options(synchronize_session=False)
            )
        return list(rows)


class _Ledger:
    """Writes each outcome in its own commit, so a kill never undoes an accepted send."""

    def __init__(self, engine: Engine, at: datetime, max_attempts: int) -> None:
        self.engine, self.at, self.max_attempts = engine, at, max_attempts
        self.outcome = Delivery()

    def _record(self, row: Notification, **values) -> None:
        # A bare connection, not an ORM session: this runs once per message, and the
        # session's set-up cost about as much as the send itself.
        with self.engine.begin() as conn:
            conn.execute(update(Notification).where(Notification.id == row.id).values(**values))
        for key, value in values.items():
            setattr(row, key, value)

    def sent(self, row: Notification) -> None:
        self._record(row, status="sent", sent_at=clock_now(), attempts=row.attempts + 1,
                     last_error="")  # fmt: skip
        self.outcome.sent.append(row)

    def not_sent(self, row: Notification, error: str, *, transient: bool) -> None:
        attempts = row.attempts + 1
        give_up = not transient or attempts >= self.max_attempts
        self._record(
            row, attempts=attempts, last_error=error[:2000],
            status="failed" if give_up else "queued", next_attempt_at=self.at + backoff(attempts),
        )  # fmt: skip
        (self.outcome.failed if give_up else self.outcome.retrying).append(row)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


def _smtp(settings: Settings) -> aiosmtplib.SMTP:
    password = settings.smtp_password.get_secret_value()
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username or None,
        password=password or None,
        timeout=30,
    )


async def deliver_async(
    engine: Engine,
    *,
    batch_size: int = 200,
    settings: Settings | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    lease: timedelta = LEASE,
    now: datetime | None = None,
) -> Delivery:
    """Send one claimed batch; what is not accepted goes back to the queue or fails."""
    settings = settings or get_settings()
    at = now or clock_now()
    ledger = _Ledger(engine, at, max_attempts)
    rows = claim(engine, batch_size, at, lease)
    smtp = _smtp(settings)
    for index, row in enumerate(rows):
        if not smtp.is_connected:
            try:
                await smtp.connect()
            except (SMTPResponseException, *_CONNECTION_ERRORS) as exc:
                # Nothing of these messages reached the server: retrying them is safe.
                for rest in rows[index:]:
                    ledger.not_sent(rest, _describe(exc), transient=True)
                break
        await _send_one(smtp, row, settings, ledger)
    if smtp.is_connected:
        try:
            await smtp.quit()
        except (SMTPResponseException, *_CONNECTION_ERRORS):
            smtp.close()  # every message is already recorded; a failed goodbye changes nothing
    return ledger.outcome


async def _send_one(
    smtp: aiosmtplib.SMTP, row: Notification, settings: Settings, ledger: _Ledger
) -> None:
    try:
        errors, _reply = await smtp.send_message(build_message(row, settings))
    except SMTPRecipientsRefused as exc:
        transient = all(_is_transient(r.code) for r in exc.recipients)
        ledger.not_sent(row, _describe(exc), transient=transient)
    except SMTPResponseException as exc:
        ledger.not_sent(row, _describe(exc), transient=_is_transient(exc.code))
    except _CONNECTION_ERRORS as exc:
        smtp.close()
        ledger.not_sent(row, _describe(exc), transient=True)
    else:
        # When only some recipients are refused nothing is raised: they are in `errors`.
        if errors:
            text = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in errors.items())
            transient = all(_is_transient(r.code) for r in errors.values())
            ledger.not_sent(row, text, transient=transient)
        else:
            ledger.sent(row)


def deliver(engine: Engine, **options) -> Delivery:
    """The synchronous entry point for the CLI, the flow's task and tests."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(deliver_async(engine, **options))
    # This thread already runs an event loop (an async caller, or a library such as
    # Playwright's sync API): asyncio.run would refuse, so use a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(deliver_async(engine, **options))).result()
