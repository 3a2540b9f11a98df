"""Reading a day as people type it: ROC (民國) years as well as ISO.

The counterpart of vocab.display.roc_date; kept free of other imports so the CLI, the web
pages and the tests read dates with the very same rules.

>>> parse_day("113/11/30"), parse_day("1131130"), parse_day("113年11月30日")
(datetime.date(2024, 11, 30), datetime.date(2024, 11, 30), datetime.date(2024, 11, 30))
"""

import re
import unicodedata
from datetime import date

ROC_OFFSET = 1911
EXAMPLE = "113/11/30 或 2024-11-30"

_SEPARATED = re.compile(r"(\d{1,4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT = re.compile(r"(\d{2,4})(\d{2})(\d{2})")


class DayError(ValueError):
    """A typed day that is not one; its message is the zh-TW sentence to show."""


def parse_day(text: str) -> date:
    """A day typed as 113/11/30, 113-11-30, 113.11.30, 1131130, 113年11月30日, 民國113年…,
    2024-11-30, 2024/11/30 or 20241130.

    A year of up to three digits is a ROC year; four digits are the Western year. An
    eight-digit run is read as YYYYMMDD, fewer as a ROC year followed by MMDD.
    """
    # Full-width digits and separators (１１３／１１／３０) are what an IME often gives.
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    cleaned = raw.removeprefix("民國").strip()
    match = _SEPARATED.fullmatch(cleaned) or _COMPACT.fullmatch(cleaned)
    if match is None:
        raise DayError(f"「{raw}」不是日期，請依 {EXAMPLE} 的格式填寫。")
    year_text, month, day = match.group(1), int(match.group(2)), int(match.group(3))
    year = int(year_text)
    if len(year_text) < 4:
        if year < 1:
            raise DayError(f"「{raw}」的民國年須大於 0。")
        year += ROC_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        raise DayError(f"「{raw}」沒有這一天（{month} 月 {day} 日），請確認日期。") from None
