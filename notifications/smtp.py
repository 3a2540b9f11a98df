"""Delivery: claim a batch from the outbox and send it over one reused SMTP connection.

Claiming moves each row's `next_attempt_at` one lease ahead in its own short
transaction (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the BEGIN IMMEDIATE lock), so
two deliverers never hold the same row. That lease time is also the holder's token.
Before each message the deliverer looks at its own clock: while more than half of the
lease is left it sends (nobody can take the row before the lease runs out); with less
left it first renews the lease on the rows of the batch that still carry its token. It
records every outcome under the same condition, so a deliverer slowed past its lease
neither sends a row another one has taken over nor overwrites what the other recorded.
(Deliverers on different machines therefore need clocks that agree within half a
lease, which NTP gives by far.) Each message is marked sent in its own commit after
the server accepts it and before the next message's DATA (on PostgreSQL the mark is
written while the next envelope goes out): a kill loses at most the one in flight,
which is then sent again under the same Message-ID once its lease runs out.

What is sent is the message serialized when it was queued (`Notification.mime`), as
is; rows queued before that column existed are composed here the same way.

An unreachable server costs a message nothing but time: only the server's own 4xx
replies count as attempts, and a transient failure gives up when the message is older
than `give_up_after` (default three days), not after a number of tries. A 5xx reply
fails the message at once, keeping the server's reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosmtplib
from aiosmtplib import (
    SMTPConnectError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from sqlalchemy import Connection, Engine, bindparam, func, update
from sqlmodel import col, select

from config.clock import now as clock_now
from config.settings import Settings, get_settings
from model.db import session_scope
from model.tables import Notification
from notifications.outbox import compose

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# While the server is unreachable every run tries again (the flow runs every 5 minutes),
# so the queue drains as soon as the server is back.
UNREACHABLE_RETRY = timedelta(minutes=1)
_CONNECTION_ERRORS = (SMTPServerDisconnected, SMTPTimeoutError, SMTPConnectError, OSError)


@dataclass(repr=False)
class Delivery:
    sent: list[Notification] = field(default_factory=list)
    retrying: list[Notification] = field(default_factory=list)
    failed: list[Notification] = field(default_factory=list)
    taken_over: list[Notification] = field(default_factory=list)  # lease lost to another

    def __repr__(self) -> str:
        # Counts only: asyncio.run (3.11) formats the finished task, result included,
        # when it puts back the Ctrl-C handler, and every row in full cost 0.1 s a batch.
        counts = ", ".join(f"{name}={len(rows)}" for name, rows in vars(self).items())
        return f"Delivery({counts})"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def message_bytes(row: Notification, settings: Settings) -> bytes:
    """What goes over the wire: the bytes stored when the row was queued.

    Rows queued by a version that stored none are composed now, from their columns;
    revision 0008 leaves them so rather than composing them itself, because the sender
    comes from the deployment's settings, which a migration should not read.
    """
    if row.mime is not None:
        return row.mime
    return compose(
        settings, to=row.to_address, subject=row.subject, text=row.body_text,
        html=row.body_html, message_id=row.message_id, date=clock_now(),
    )  # fmt: skip


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


# The SET clause comes from the parameters given at execution (the outcome's values).
_WRITE_IF_HELD = update(Notification).where(
    col(Notification.id) == bindparam("row_id"),
    col(Notification.status) == "queued",
    col(Notification.next_attempt_at) == bindparam("token"),
)
_RENEW_IF_HELD = (
    update(Notification)
    .where(
        col(Notification.id).in_(bindparam("ids", expanding=True)),
        col(Notification.status) == "queued",
        col(Notification.next_attempt_at) == bindparam("token"),
    )
    .returning(col(Notification.id))
)
_IDS_PER_STATEMENT = 1000  # far below both databases' bound-parameter limits


class _Ledger:
    """Writes each outcome in its own commit, so a kill never undoes an accepted send.

    Every row this deliverer holds and has not recorded (`held`) carries one token,
    `token`, the `next_attempt_at` it last wrote on them: every write is conditional on
    it, so a row taken over by another deliverer is left alone.
    """

    def __init__(
        self, conn: Connection, at: datetime, lease: timedelta, give_up_after: timedelta
    ) -> None:
        self.conn, self.at, self.lease, self.give_up_after = conn, at, lease, give_up_after
        self.postgres = conn.dialect.name == "postgresql"
        self.started = time.monotonic()
        self.token = at + lease  # what `claim` wrote
        self.held: set[int] = set()
        self.writing: asyncio.Future | None = None  # the "sent" mark on a worker thread
        self.outcome = Delivery()

    def _now(self) -> datetime:
        # `at` may be a simulated time (tests, replays): move it on by the real time spent.
        return self.at + timedelta(seconds=time.monotonic() - self.started)

    def _record(self, row: Notification, **values) -> bool:
        """Write `values` if this deliverer still holds the row; False when it does not."""
        # This runs once per message: one bare connection for the whole batch
        # (_ledger_connection) and one statement built once, as each of an ORM session, a
        # pool checkout and building the statement anew cost about as much as the send.
        self.held.discard(row.id)
        params = {"row_id": row.id, "token": self.token, **values}
        with self.conn.begin():
            held = self.conn.execute(_WRITE_IF_HELD, params).rowcount == 1
        if not held:
            self._taken_over(row)
            return False
        for key, value in values.items():
            setattr(row, key, value)
        return True

    def _taken_over(self, row: Notification) -> None:
        log.warning("通知 %s 已由另一個寄送程序接手，不再寫入本次結果", row.id)
        self.outcome.taken_over.append(row)

    def take(self, row: Notification) -> bool:
        """Before sending `row`: False when another deliverer has taken it over.

        Once less than half of the lease is left, the lease is renewed on every row still
        held, in one statement, so no row of a long batch runs out while it waits.
        """
        if self.token - self._now() <= self.lease / 2:
            self._renew()
        if row.id in self.held:
            return True
        self._taken_over(row)
        return False

    def _renew(self) -> None:
        token, ids, kept = self._now() + self.lease, sorted(self.held), set()
        with self.conn.begin():
            for start in range(0, len(ids), _IDS_PER_STATEMENT):
                params = {"ids": ids[start : start + _IDS_PER_STATEMENT], "token": self.token,
                          "next_attempt_at": token}  # fmt: skip
                kept.update(self.conn.execute(_RENEW_IF_HELD, params).scalars())
        self.token, self.held = token, kept

    def sent_soon(self, row: Notification) -> None:
        """Mark `row` sent; on PostgreSQL on a worker thread, while the next message's
        envelope goes out. SQLite's write is Python and C under the GIL, with nothing to
        wait for: there a thread only added switching (6-18 % slower), so it is written
        at once."""
        if not self.postgres:
            self.sent(row)
            return
        self.writing = asyncio.get_running_loop().run_in_executor(None, self.sent, row)

    async def settle(self) -> None:
        """Wait for the mark being written; until then the connection is the thread's."""
        if self.writing is not None:
            writing, self.writing = self.writing, None
            await writing

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


@contextmanager
def _ledger_connection(engine: Engine) -> Iterator[Connection]:
    """The connection the ledger writes through; on PostgreSQL tuned for one write a message.

    Each write is a single conditional UPDATE, so on PostgreSQL it runs as its own
    transaction (autocommit: one round trip instead of BEGIN, UPDATE, COMMIT), and the
    commit does not wait for the WAL flush (synchronous_commit off). Only a crash of the
    database server, not of this process, can lose such a write, and every loss is one
    the design already tolerates: a lost "sent" mark leaves the row queued, a lost lease
    renewal leaves it under the older lease, and either way it is sent again under the
    same Message-ID once that lease runs out, as after a kill between the send and the
    mark; a lost retry or failure mark costs one more try.
    """
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            yield conn
            return
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.commit()  # ends SQLAlchemy's autobegun transaction; nothing is sent
        try:
            yield conn
        finally:
            # The pool restores the isolation level itself, but not this setting.
            conn.exec_driver_sql("RESET synchronous_commit")


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
    with _ledger_connection(engine) as conn:
        ledger = _Ledger(conn, at, lease, give_up_after)
        rows = claim(engine, batch_size, at, lease)
        ledger.held = {row.id for row in rows}
        await _send_all(rows, settings, ledger)
    return ledger.outcome


async def _send_all(rows: list[Notification], settings: Settings, ledger: _Ledger) -> None:
    smtp = _smtp(settings)
    try:
        for index, row in enumerate(rows):
            if not smtp.is_connected:
                try:
                    await smtp.connect()
                except (SMTPResponseException, *_CONNECTION_ERRORS) as exc:
                    # Nothing of these messages reached the server: retrying them is safe.
                    await ledger.settle()
                    for rest in rows[index:]:
                        ledger.unreachable(rest, _describe(exc))
                    break
            await _send_one(smtp, row, settings, ledger)
    finally:
        await ledger.settle()
    if smtp.is_connected:
        try:
            await smtp.quit()
        except (SMTPResponseException, *_CONNECTION_ERRORS):
            smtp.close()  # every message is already recorded; a failed goodbye changes nothing


async def _send_one(
    smtp: aiosmtplib.SMTP, row: Notification, settings: Settings, ledger: _Ledger
) -> None:
    """MAIL and RCPT go out while the previous message's mark is still being written;
    DATA, the step that lets the server accept this one, waits until that mark is
    committed. So at most one accepted message is ever unmarked, as when each send
    waited for the mark before it."""
    try:
        message = message_bytes(row, settings)
        await smtp.mail(settings.mail_from)
        await smtp.rcpt(row.to_address)
        await ledger.settle()
        if not ledger.take(row):
            await _reset(smtp)
            return
        await smtp.data(message)
    except ValueError as exc:
        # An address no header or SMTP command can carry: no retry would deliver it.
        await ledger.settle()
        await _reset(smtp)
        ledger.refused(row, _describe(exc), transient=False)
    except SMTPResponseException as exc:  # refused at MAIL, RCPT or DATA
        await ledger.settle()
        await _reset(smtp)
        ledger.refused(row, _describe(exc), transient=_is_transient(exc.code))
    except _CONNECTION_ERRORS as exc:
        # Disconnected or timed out before the server accepted: the server refused
        # nothing, so no attempt is spent (the message is resent under its Message-ID).
        await ledger.settle()
        smtp.close()
        ledger.unreachable(row, _describe(exc))
    else:
        ledger.sent_soon(row)


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """Clear the envelope for the next message, as aiosmtplib's sendmail does."""
    if smtp.is_connected:
        try:
            await smtp.rset()
        except (SMTPResponseException, *_CONNECTION_ERRORS):
            pass  # a dropped connection is opened again before the next message


def waiting(engine: Engine, at: datetime | None = None) -> tuple[int, int]:
    """Queued mail not yet due: (under another deliverer's lease, waiting to be retried).

    A row never tried has no last_error, so only a claim can have moved it into the
    future; one with an error is waiting out its back-off (or was claimed again).
    """
    at = at or clock_now()
    fresh = col(Notification.last_error) == ""
    with session_scope(engine) as session:
        leased, retrying = session.exec(
            select(func.count().filter(fresh), func.count().filter(~fresh)).where(
                Notification.status == "queued", Notification.next_attempt_at > at
            )
        ).one()
    return leased, retrying


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
