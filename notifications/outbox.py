"""The outbox: mails are stored once under a dedupe key, then delivered from the table.

INSERT … ON CONFLICT DO NOTHING on both databases makes enqueueing idempotent even when
two jobs race: the unique key decides, not a read-then-write check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from model.clock import now
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


def enqueue(session: Session, mails: Sequence[Outgoing], *, domain: str) -> list[Outgoing]:
    """Store the mails whose dedupe key is new; return exactly those.

    The Message-ID is fixed here, so a message sent twice after a crash is recognisably
    the same message to every mail client.
    """
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
        rows = [_row(mail, domain, queued_at) for mail in mails[start : start + _CHUNK]]
        added.update(session.execute(stmt, rows).scalars())
    return [mail for mail in mails if mail.dedupe_key in added]


def _row(mail: Outgoing, domain: str, queued_at) -> dict:
    return {
        "dedupe_key": mail.dedupe_key,
        "recipient_id": mail.recipient_id,
        "to_address": mail.to_address,
        "subject": mail.rendered.subject,
        "body_text": mail.rendered.text,
        "body_html": mail.rendered.html,
        "message_id": make_msgid(domain=domain),
        "reason": mail.reason,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": queued_at,
        "last_error": "",
        "created_at": queued_at,
    }
