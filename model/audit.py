"""The transition log as a hash chain: each row carries SHA-256 of its content and of the
row before it, so a replaced, forged, edited or deleted row shows up in `audit verify`.

One chain for the whole table, not one per item: a per-item chain cannot tell that an
item's whole history, or its last rows, were removed; one chain with a head row (the last
row's id and hash) can, and the head row is also the lock that keeps two transitions
committing at once from both extending the same row. Appends are rare (a clerk's click),
so one chain serialised on one row costs nothing that matters.

Plain SHA-256 holds no secret: it shows tampering by anyone who does not rewrite every
later row and the head too, which the database roles (README) keep from the application.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

# The hashed columns, in order; `id` is not among them (the database numbers the row), the
# chain orders them instead.
FIELDS = (
    "item_type", "item_id", "event", "from_state", "to_state", "actor_id", "actor_role",
    "at", "reason", "evidence", "letter_no",
)  # fmt: skip
GENESIS = ""
HEAD_ID = 1


class TransitionLogHead(SQLModel, table=True):
    """The chain's last link, one row: the lock every append takes, and the anchor that
    shows rows removed from the end."""

    __tablename__ = "transition_log_head"

    id: int = Field(primary_key=True)
    last_id: int | None = None
    last_hash: str = Field(max_length=64)
    rows: int = 0


def _plain(name: str, value: Any) -> Any:
    if name == "at" and isinstance(value, datetime):
        moment = value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if name == "evidence":
        return value or {}
    if isinstance(value, str):
        return str(value)  # a StrEnum as its value
    return value


def canonical(values: Mapping[str, Any], prev_hash: str) -> bytes:
    body = {name: _plain(name, values.get(name)) for name in FIELDS}
    body["prev_hash"] = prev_hash
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def row_hash(values: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(values, prev_hash)).hexdigest()


def _log_table():
    from model.tables import TransitionLog

    return TransitionLog.__table__


def _head(conn: Connection):
    head = TransitionLogHead.__table__
    query = select(head).where(head.c.id == HEAD_ID).with_for_update()
    found = conn.execute(query).first()
    if found is not None:
        return found
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    start = {"id": HEAD_ID, "last_id": None, "last_hash": GENESIS, "rows": 0}
    conn.execute(make(head).values(start).on_conflict_do_nothing(index_elements=["id"]))
    return conn.execute(query).one()


def lock(conn: Connection) -> None:
    """Take the chain's lock now, before the transition writes anything else: a
    transaction waiting for it then holds no row another one needs (no deadlock)."""
    _head(conn)


def append(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """Insert one log row linked to the chain, in the caller's transaction; the values
    with id, prev_hash and row_hash."""
    head = _head(conn)
    linked = {**values, "prev_hash": head.last_hash}
    linked["row_hash"] = row_hash(values, head.last_hash)
    new_id = conn.execute(insert(_log_table()), linked).inserted_primary_key[0]
    conn.execute(
        update(TransitionLogHead.__table__)
        .where(TransitionLogHead.__table__.c.id == HEAD_ID)
        .values(last_id=new_id, last_hash=linked["row_hash"], rows=head.rows + 1)
    )
    return {**linked, "id": new_id}


@dataclass(frozen=True)
class Break:
    row_id: int | None  # None: the head row, or rows after the last one
    position: int  # 1-based position in the chain
    reason: str

    def sentence(self) -> str:
        where = f"第 {self.position} 筆（編號 {self.row_id}）" if self.row_id else "鏈尾"
        return f"異動紀錄的雜湊鏈於{where}不符：{self.reason}。紀錄可能遭竄改，請立即查明。"


def chain(rows: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None) -> Break | None:
    """The first link that does not hold, walking the rows in id order; pure."""
    prev, count, last_id = GENESIS, 0, None
    for count, row in enumerate(rows, start=1):
        if row["prev_hash"] != prev:
            why = (
                "前一筆紀錄遭刪除、替換或插入" if row["row_hash"] else "此筆不是系統寫入（無雜湊）"
            )
            return Break(row["id"], count, why)
        if row["row_hash"] != row_hash(row, prev):
            return Break(row["id"], count, "此筆內容與其雜湊不符（遭修改、替換或偽造）")
        prev, last_id = row["row_hash"], row["id"]
    if count == 0 and head is None:
        return None
    if head is None:
        return Break(None, count, "鏈尾紀錄遺失")
    if head["last_id"] != last_id or head["last_hash"] != prev or head["rows"] != count:
        return Break(
            None,
            count,
            f"鏈尾應為第 {head['rows']} 筆（編號 {head['last_id']}），最後幾筆紀錄遭刪除",
        )
    return None


def verify(conn: Connection) -> tuple[int, Break | None]:
    """Walk the whole chain; (rows read, first break or None). Reads in batches."""
    log = _log_table()
    columns = [log.c.id, *(log.c[name] for name in FIELDS), log.c.prev_hash, log.c.row_hash]
    # The head locked first: no transition commits between it and the rows read.
    head_table = TransitionLogHead.__table__
    query = select(head_table).where(head_table.c.id == HEAD_ID).with_for_update()
    head = conn.execute(query).mappings().first()
    result = conn.execute(select(*columns).order_by(log.c.id).execution_options(yield_per=2000))
    counted = 0

    def rows():
        nonlocal counted
        for row in result.mappings():
            counted += 1
            yield row

    found = chain(rows(), head)
    result.close()
    return counted, found
