"""Asia/Taipei time: stored aware, shown local."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def now() -> datetime:
    return datetime.now(TAIPEI)


def today() -> date:
    return now().date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(TAIPEI)
