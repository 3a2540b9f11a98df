"""Bounded numbers from addresses and forms: an id or amount out of the database's range is
a 422 with a zh-TW sentence, never a 500 from the driver (PostgreSQL's integer is 32-bit;
SQLite refuses more than 64 bits)."""

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from rules import available_years

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _ruled_year(year: int | None) -> int | None:
    if year is not None and year not in available_years():
        known = "、".join(str(y) for y in available_years()) or "無"
        raise ValueError(f"沒有 {year} 年度的規則（可選年度：{known}）")
    return year


# A year in an address: only the years that have a rules file (rules/<year>.toml).
QueryYear = Annotated[int | None, Query(ge=1, le=9999), AfterValidator(_ruled_year)]


def form_id(raw) -> int | None:
    """A typed id (digits only, 1 … 2^31−1), else None: the caller refuses it as unknown."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def form_version(raw) -> int | None:
    """A version number sent back by a form (0 … 2^31−1), else None."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
