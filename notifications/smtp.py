"""Delivery: claim a batch from the outbox and send it over one reused SMTP connection.

Claiming moves each row's `next_attempt_at` one lease ahead in its own short
transaction (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the BEGIN IMMEDIATE lock), so
two deliverers never hold the same row. That lease time is also the holder's token:
right before each message the deliverer renews its lease on that row only if the row
still carries its token, and it records the outcome under the same condition, so a
deliverer slowed past its lease neither sends a row another one has taken over nor
overwrites what the other recorded. Each message is marked sent in its own commit
right after the server accepts it: a kill loses at most the one in flight, which is
then sent again under the same Message-ID once its lease runs out.

An unreachable server costs a message nothing but time: only the server's own 4xx
replies count as attempts, and a transient failure gives up when the message is older
than `give_up_after` (default three days), not after a number of tries. A 5xx reply
fails the message at once, keeping the server's reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
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

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# While the server is unreachable every run tries again (the flow runs every 5 minutes),
# so the queue drains as soon as the server is back.
UNREACHABLE_RETRY = timedelta(minutes=1)
_CONNECTION_ERRORS = (SMTPServerDisconnected, SMTPTimeoutError, SMTPConnectError, OSError)


@dataclass
class Delivery:
    sent: list[Notification] = field(default_factory=list)
    retrying: list[Notification] = field(default_factory=list)
    failed: list[Notification] = field(default_factory=list)
    taken_over: list[Notification] = field(default_factory=list)  # lease lost to another


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
    """Writes each outcome in its own commit, so a kill never undoes an accepted send.

    `tokens` holds, by row id, the `next_attempt_at` this deliverer last wrote: every
    write is conditional on it, so a row taken over by another deliverer is left alone.
    """

    def __init__(
        self, engine: Engine, at: datetime, lease: timedelta, give_up_after: timedelta
    ) -> None:
        self.engine, self.at, self.lease, self.give_up_after = engine, at, lease, give_up_after
        self.started = time.monotonic()
        self.tokens: dict[int, datetime] = {}
        self.outcome = Delivery()

    def _now(self) -> datetime:
        # `at` may be a simulated time (tests, replays): move it on by the real time spent.
        return self.at + timedelta(seconds=time.monotonic() - self.started)

    def _record(self, row: Notification, **values) -> bool:
        """Write `values` if this deliverer still holds the row; False when it does not."""
        # A bare connection, not an ORM session: this runs once per message, and the
        # session's set-up cost about as much as the send itself.
        stmt = (
            update(Notification)
            .where(Notification.id == row.id, Notification.status == "queued")
            .where(Notification.next_attempt_at == self.tokens[row.id])
            .values(**values)
        )
        with self.engine.begin() as conn:
            held = conn.execute(stmt).rowcount == 1
        if not held:
            log.warning("通知 %s 已由另一個寄送程序接手，不再寫入本次結果", row.id)
            self.outcome.taken_over.append(row)
            return False
        for key, value in values.items():
            setattr(row, key, value)
        return True

    def take(self, row: Notification) -> bool:
        """Renew the lease on `row` right before sending it; False when it was lost."""
        token = self._now() + self.lease
        if not self._record(row, next_attempt_at=token):
            return False
        self.tokens[row.id] = token
        return True

    def sent(self, row: Notification) -> None:
        if self._record(row, status="sent", sent_at=clock_now(), attempts=row.attempts + 1,
                        last_error=""):  # fmt: skip
            self.outcome.sent.append(row)

    def refused(self, row: Notification, error: str, *, transient: bool) -> None:
        """The server answered no: a 4xx counts as an attempt, a 5xx fails for good."""
        attempts = row.attempts + 1
        self._not_sent(row, error, attempts, backoff(attempts), permanent=not transient)

    def unreachable(self, row: Notification, error: str) -> None:
        """No answer from the server: retry soon; the message lost no attempt."""
        self._not_sent(row, error, row.attempts, UNREACHABLE_RETRY, permanent=False)

    def _not_sent(
        self, row: Notification, error: str, attempts: int, wait: timedelta, *, permanent: bool
    ) -> None:
        give_up = permanent or self.at - row.created_at >= self.give_up_after
        error = error[:1900]
        if give_up and not permanent:
            error += f"（超過 {_hours(self.give_up_after)} 小時仍未寄出，放棄）"
        if self._record(
            row, attempts=attempts, last_error=error,
            status="failed" if give_up else "queued", next_attempt_at=self.at + wait,
        ):  # fmt: skip
            (self.outcome.failed if give_up else self.outcome.retrying).append(row)


def _hours(span: timedelta) -> int:
    return int(span.total_seconds()) // 3600


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
    give_up_after: timedelta = GIVE_UP_AFTER,
    lease: timedelta = LEASE,
    now: datetime | None = None,
) -> Delivery:
    """Send one claimed batch; what is not accepted goes back to the queue or fails."""
    settings = settings or get_settings()
    at = now or clock_now()
    ledger = _Ledger(engine, at, lease, give_up_after)
    rows = claim(engine, batch_size, at, lease)
    ledger.tokens = {row.id: at + lease for row in rows}
    smtp = _smtp(settings)
    for index, row in enumerate(rows):
        if not smtp.is_connected:
            try:
                await smtp.connect()
            except (SMTPResponseException, *_CONNECTION_ERRORS) as exc:
                # Nothing of these messages reached the server: retrying them is safe.
                for rest in rows[index:]:
                    ledger.unreachable(rest, _describe(exc))
                break
        if ledger.take(row):
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
        ledger.refused(row, _describe(exc), transient=transient)
    except SMTPResponseException as exc:
        ledger.refused(row, _describe(exc), transient=_is_transient(exc.code))
    except _CONNECTION_ERRORS as exc:
        # Disconnected or timed out before the server accepted: the server refused
        # nothing, so no attempt is spent (the message is resent under its Message-ID).
        smtp.close()
        ledger.unreachable(row, _describe(exc))
    else:
        # When only some recipients are refused nothing is raised: they are in `errors`.
        if errors:
            text = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in errors.items())
            transient = all(_is_transient(r.code) for r in errors.values())
            ledger.refused(row, text, transient=transient)
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
