"""The 22 county-level authorities and the school-code prefixes that name them.

A school code has six digits; its first two name the authority (SPEC.md, 附錄). This
does not change from year to year, so it is a table here rather than yearly rules.
"""

from typing import NamedTuple


class CountyRef(NamedTuple):
    code: str  # stable ASCII key used in URLs and on the command line
    name: str
    prefixes: tuple[str, ...]


def _span(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{n:02d}" for n in range(first, last + 1))


# In the order the ministry lists them (SPEC.md, county-run 國小 per county).
COUNTIES: tuple[CountyRef, ...] = (
    CountyRef("NWT", "新北市", ("01",)),
    CountyRef("TPE", "臺北市", _span(31, 42)),
    CountyRef("TYN", "桃園市", ("03",)),
    CountyRef("TXG", "臺中市", ("06", "19")),
    CountyRef("TNN", "臺南市", ("11", "21")),
    CountyRef("KHH", "高雄市", ("12", *_span(51, 61))),
    CountyRef("ILA", "宜蘭縣", ("02",)),
    CountyRef("HSQ", "新竹縣", ("04",)),
    CountyRef("MIA", "苗栗縣", ("05",)),
    CountyRef("CHA", "彰化縣", ("07",)),
    CountyRef("NAN", "南投縣", ("08",)),
    CountyRef("YUN", "雲林縣", ("09",)),
    CountyRef("CYQ", "嘉義縣", ("10",)),
    CountyRef("PIF", "屏東縣", ("13",)),
    CountyRef("TTT", "臺東縣", ("14",)),
    CountyRef("HUA", "花蓮縣", ("15",)),
    CountyRef("PEN", "澎湖縣", ("16",)),
    CountyRef("KEE", "基隆市", ("17",)),
    CountyRef("HSZ", "新竹市", ("18",)),
    CountyRef("CYI", "嘉義市", ("20",)),
    CountyRef("KIN", "金門縣", ("71",)),
    CountyRef("LIE", "連江縣", ("72",)),
)

BY_NAME = {c.name: c for c in COUNTIES}
BY_CODE = {c.code: c for c in COUNTIES}
BY_PREFIX = {p: c for c in COUNTIES for p in c.prefixes}


def county_for_name(name: str) -> CountyRef | None:
    """Accept 台 for 臺, as people type it, but store the official 臺."""
    return BY_NAME.get(name.strip().replace("台", "臺"))


def county_for_school_code(code: str) -> CountyRef | None:
    return BY_PREFIX.get(code[:2])
