"""How values are shown to people: ROC dates and 新臺幣 with thousands separators."""

import unicodedata
from datetime import date, datetime

from config.clock import local

ROC_OFFSET = 1911


def roc_year(year: int) -> int:
    return year - ROC_OFFSET


def roc_date(value: date | datetime | None, long: bool = False) -> str:
    """113/11/30, or 113年11月30日 with long=True; times are shown in Asia/Taipei."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    y = roc_year(value.year)
    if long:
        return f"{y}年{value.month}月{value.day}日"
    return f"{y}/{value.month:02d}/{value.day:02d}"


def roc_datetime(value: datetime) -> str:
    moment = local(value)
    return f"{roc_date(moment)} {moment:%H:%M}"


def amount(value: int) -> str:
    """12,345 — whole 元 only; money is never fractional here."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"money must be int NT$, got {value!r}")
    return f"{value:,}"


def ntd(value: int) -> str:
    return f"新臺幣 {amount(value)} 元"


def width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def ljust(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    return " " * max(0, columns - width(text)) + text


def percent(part: int, whole: int) -> str:
    """part / whole as "83.3%", half-up to one decimal in integer arithmetic; "—" if whole is 0."""
    if whole <= 0:
        return "—"
    tenths = (part * 1000 * 2 + whole) // (2 * whole)
    return f"{tenths // 10}.{tenths % 10}%"
