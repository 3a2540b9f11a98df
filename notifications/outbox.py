"""The outbox: mails are stored once under a dedupe key, then delivered from the table.

INSERT … ON CONFLICT DO NOTHING on both databases makes enqueueing idempotent even when
two jobs race: the unique key decides, not a read-then-write check.

Each mail is also serialized here, once, into the exact bytes the deliverer sends
(`Notification.mime`): every retry and every re-send after a crash is then the same
message, and the deliverer does no MIME work per send.
"""

from __future__ import annotations

import secrets
from base64 import b64encode, encodebytes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, make_msgid

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from config.clock import now
from config.settings import Settings, get_settings
from model.tables import Notification
from notifications.render import Rendered

_CHUNK = 500  # rows per INSERT: far below both databases' bound-parameter limits


@dataclass(frozen=True)
class Outgoing:
    dedupe_key: str
    recipient_id: int | None
    to_address: str
    rendered: Rendered
    reason: str  # the sentence saying why this person gets it


def dialect_insert(session: Session, table: type[SQLModel]):
    """INSERT for the session's database, so callers can add ON CONFLICT DO NOTHING:
    the generic insert() has no conflict clause, and both dialects spell it the same."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def enqueue(
    session: Session, mails: Sequence[Outgoing], *, domain: str, settings: Settings | None = None
) -> list[Outgoing]:
    """Store the mails whose dedupe key is new; return exactly those.

    The Message-ID is fixed here, so a message sent twice after a crash is recognisably
    the same message to every mail client.
    """
    settings = settings or get_settings()
    added: set[str] = set()
    queued_at = now()
    # One statement with the rows as parameters (compiled once, sent in batches); a
    # multi-row VALUES clause was compiled anew for every chunk, which cost more than
    # rendering the mails.
    stmt = (
        dialect_insert(session, Notification)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.dedupe_key)
    )
    for start in range(0, len(mails), _CHUNK):
        rows = [_row(mail, domain, queued_at, settings) for mail in mails[start : start + _CHUNK]]
        added.update(session.execute(stmt, rows).scalars())
    return [mail for mail in mails if mail.dedupe_key in added]


def _row(mail: Outgoing, domain: str, queued_at: datetime, settings: Settings) -> dict:
    message_id = make_msgid(domain=domain)
    try:
        mime = compose(
            settings, to=mail.to_address, subject=mail.rendered.subject, text=mail.rendered.text,
            html=mail.rendered.html, message_id=message_id, date=queued_at,
        )  # fmt: skip
    except ValueError:
        mime = None  # the deliverer meets the same error and records it on the row
    return {
        "dedupe_key": mail.dedupe_key,
        "recipient_id": mail.recipient_id,
        "to_address": mail.to_address,
        "subject": mail.rendered.subject,
        "body_text": mail.rendered.text,
        "body_html": mail.rendered.html,
        "message_id": message_id,
        "mime": mime,
        "reason": mail.reason,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": queued_at,
        "last_error": "",
        "created_at": queued_at,
    }


def compose(
    settings: Settings, *, to: str, subject: str, text: str, html: str, message_id: str,
    date: datetime,
) -> bytes:  # fmt: skip
    """The mail as sent: a text part and an HTML alternative, 7-bit clean.

    Written out directly rather than through `email.message`, whose header folding cost
    more than the SMTP exchange itself; the tests read the result back with the stdlib
    parser. Every non-ASCII header is RFC 2047 base64, so no header value (a subject
    with a line break, say) can end its header early; the parts are base64 too, so no
    line is too long and no server needs 8BITMIME.
    """
    if not to.isascii() or "\r" in to or "\n" in to:
        raise ValueError(f"無法寄送到此電子郵件地址：{to!r}")
    # base64 never contains "_" or "-", so this boundary cannot occur inside a part.
    boundary = f"=_{secrets.token_hex(16)}"
    head = (
        f"From: {_encoded_words(settings.mail_from_name)}\r\n <{settings.mail_from}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {_encoded_words(subject)}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"Date: {format_datetime(date)}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
    )
    parts = [head.encode()]
    for subtype, content in (("plain", text), ("html", html)):
        parts.append(
            f"\r\n--{boundary}\r\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        )
        parts.append(encodebytes(content.encode()).replace(b"\n", b"\r\n"))
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts)


def _encoded_words(value: str) -> str:
    """RFC 2047 encoded words, one per folded line, each cut between whole characters."""
    data, words, start = value.encode(), [], 0
    while start < len(data):
        # 42 bytes make 56 base64 characters: with "Subject: " the line stays under 78.
        end = min(start + 42, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            end -= 1
        words.append(f"=?utf-8?b?{b64encode(data[start:end]).decode()}?=")
        start = end
    return "\r\n ".join(words)
