"""Two people advance the same purchase at the same moment: exactly one of them wins.

Real concurrency: two threads, each with its own Session (and so its own connection) on
one engine, released together by a Barrier once both have read the item.
"""

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from demo.generate import generate
from model.db import session_scope
from model.tables import Purchase, TransitionLog, User
from states.errors import TransitionConflict
from states.values import ItemType, PurchaseState
from workflow.purchases import PURCHASES, create_purchase
from workflow.service import advance

MEETING = {
    "held_on": "2024-03-01",
    "minutes": "決議採購",
    "attendees": [
        {"name": "王老師", "role": "teacher"},
        {"name": "李主任", "role": "school_admin"},
        {"name": "陳專員", "role": "office_member"},
    ],
}
PEOPLE = ("hsq.staff1", "hsq.supervisor")
WAIT = 30  # seconds: a hung race fails the test instead of hanging the run


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _fresh_purchase(engine: Engine) -> int:
    with session_scope(engine) as session:
        generate(session)
        row = create_purchase(
            session, _user(session, "hsq.staff1"), title="同時操作測試", year=113, amount=90_000
        )
        return row.id


def _log_count(engine: Engine, item_id: int) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).where(
                TransitionLog.item_type == ItemType.purchase, TransitionLog.item_id == item_id
            )
        ).one()


def _race(worker: Callable[[str, threading.Barrier], object]) -> list[object]:
    """Run the worker for both people at once; return what each returned or raised."""
    barrier = threading.Barrier(len(PEOPLE), timeout=WAIT)
    results: list[object] = [None] * len(PEOPLE)

    def run(i: int, username: str) -> None:
        try:
            results[i] = worker(username, barrier)
        except Exception as exc:  # the loser's conflict is the result under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def _decide(session: Session, item_id: int, username: str, expected_version: int | None):
    entry = advance(
        session,
        PURCHASES,
        item_id,
        "decide",
        _user(session, username),
        evidence=MEETING,
        expected_version=expected_version,
        today=date(2024, 5, 1),
    )
    return entry.id


def _assert_one_winner(engine: Engine, item_id: int, results: list[object]) -> None:
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, TransitionConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    # The loser is told where the item is now, so they can look again.
    assert losers[0].current_state == PurchaseState.meeting_decided
    assert "已經公開會議決議" in str(losers[0])
    with Session(engine) as session:
        row = session.get(Purchase, item_id)
        assert (row.status, row.version) == (PurchaseState.meeting_decided, 2)
    assert _log_count(engine, item_id) == 2  # creation + exactly one decide


def test_advance_same_item_concurrently_with_expected_version_one_wins(engine):
    item_id = _fresh_purchase(engine)

    def worker(username: str, barrier: threading.Barrier) -> object:
        # Read as a page would, then act on what was read. On SQLite every transaction
        # takes the write lock (BEGIN IMMEDIATE), so the read is a transaction of its own.
        with Session(engine) as session:
            seen = session.get(Purchase, item_id).version
        barrier.wait()
        with session_scope(engine) as session:
            return _decide(session, item_id, username, expected_version=seen)

    results = _race(worker)
    _assert_one_winner(engine, item_id, results)


@pytest.mark.postgres
def test_advance_same_item_concurrently_without_expected_version_one_wins(postgres_engine):
    # Both transactions hold the row as read before the barrier; the loser's UPDATE
    # ... WHERE version = 1 waits for the winner's commit, then matches no row: a
    # TransitionConflict.
    engine = postgres_engine
    item_id = _fresh_purchase(engine)

    def worker(username: str, barrier: threading.Barrier) -> object:
        with session_scope(engine) as session:
            # Held in a variable: the identity map is weak, and a row let go here would be
            # read anew inside advance, possibly after the winner's commit.
            held = session.get(Purchase, item_id)
            assert held.version == 1
            barrier.wait()
            return _decide(session, item_id, username, expected_version=None)

    results = _race(worker)
    _assert_one_winner(engine, item_id, results)


@pytest.mark.parametrize("stale_version", [0, 2])
def test_advance_with_stale_expected_version_conflicts_without_writing(engine, stale_version):
    item_id = _fresh_purchase(engine)
    with pytest.raises(TransitionConflict) as caught, session_scope(engine) as session:
        _decide(session, item_id, "hsq.staff1", expected_version=stale_version)
    assert caught.value.current_state == PurchaseState.needs_collected
    assert _log_count(engine, item_id) == 1


def test_advance_on_a_stale_row_in_the_session_conflicts_at_the_update(engine):
    # The session still holds the row as read before another person's transition: no
    # expected_version is given and no fresh read is made, so only the UPDATE's version
    # check can notice. It must match no row, and the loser must write nothing.
    item_id = _fresh_purchase(engine)
    with Session(engine, expire_on_commit=False) as stale:
        row = stale.get(Purchase, item_id)
        stale.commit()
        with session_scope(engine) as other:
            _decide(other, item_id, "hsq.supervisor", expected_version=None)
        with pytest.raises(TransitionConflict) as caught:
            _decide(stale, item_id, "hsq.staff1", expected_version=None)
        assert caught.value.current_state == PurchaseState.meeting_decided
        assert (row.status, row.version) == (PurchaseState.meeting_decided, 2)
    assert _log_count(engine, item_id) == 2
