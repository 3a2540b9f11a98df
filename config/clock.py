"""Local time in the configured zone (JINGJIN_TIMEZONE, default Asia/Taipei): stored aware,
shown local.

Replays and the demo story run "as of" another day; `using()` lets them supply the
clock for the current thread (a context variable), so rows they write carry that time.
A deployment may pin the day itself (JINGJIN_TODAY, set by `jingjin demo`): the clock
then runs on that day at the real time of day, in every process that has the setting.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from config.settings import Settings


def _settings() -> "Settings":
    # Read when the time is asked, never at import: the vocabulary and the lifecycles show
    # dates through this module and load no settings (tests/test_layers.py).
    from config.settings import get_settings

    return get_settings()


@cache
def zone() -> ZoneInfo:
    """The zone every schedule runs in; a deployment setting, not a yearly rule."""
    return ZoneInfo(_settings().timezone)


_source: ContextVar[Callable[[], datetime] | None] = ContextVar("clock_source", default=None)


def now() -> datetime:
    source = _source.get()
    if source is not None:
        return source()
    moment = datetime.now(zone())
    pinned = _settings().today
    return moment if pinned is None else datetime.combine(pinned, moment.timetz())


def today() -> date:
    return now().date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


@contextmanager
def using(source: Callable[[], datetime]) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)
