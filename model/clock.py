"""Asia/Taipei time: stored aware, shown local.

Replays and the demo story run "as of" another day; `using()` lets them supply the
clock for the current thread (a context variable), so rows they write carry that time.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")

_source: ContextVar[Callable[[], datetime] | None] = ContextVar("clock_source", default=None)


def now() -> datetime:
    source = _source.get()
    return source() if source is not None else datetime.now(TAIPEI)


def today() -> date:
    return now().date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(TAIPEI)


@contextmanager
def using(source: Callable[[], datetime]) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)
