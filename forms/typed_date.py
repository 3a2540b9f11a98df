"""A date as people type it: ROC (113/11/30, 113年11月30日, 113-11-30) or ISO (2024-11-30)."""

import re
from datetime import date

from rules.errors import InputError
from vocab.display import ROC_OFFSET

_DAY = re.compile(r"(\d{2,4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_day(text: str, field: str = "日期") -> date:
    """A year of 2–3 digits is ROC, of 4 digits Gregorian; anything else is refused."""
    raw = (text or "").strip()
    match = _DAY.fullmatch(raw)
    if match is None:
        raise InputError(field, f"須為日期（例如 113/11/30 或 2024-11-30），收到「{raw}」")
    year, month, day = (int(part) for part in match.groups())
    if len(match.group(1)) < 4:
        year += ROC_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(field, f"沒有這一天：「{raw}」") from None
