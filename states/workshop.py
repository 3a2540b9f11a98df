"""Who attended a 數位學習工作坊(一)/(二) session, as the clerk copies it from the sign-in
sheet: one teacher a line, 學校代碼 then 姓名.

A teacher is known by school code + name. That is what every sign-in sheet carries, it
needs no national ID (個人資料保護法: collect no more than the purpose needs), and the
office can check it against the school. Two teachers of one school with the same name
are told apart by the clerk adding a mark after the name (王小明2); the page says so.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from states.plain_text import text_problem

CODE = re.compile(r"[0-9]{6}")
NAME_MAX = 32
# Tab (pasted from Excel), comma, ideographic comma or spaces between code and name.
SEPARATOR = re.compile(r"[\t,，、\s]+")


class Attendee(NamedTuple):
    line: int  # as numbered in the text box, from 1
    school_code: str
    teacher: str  # normalised name: the key counted


def teacher_key(name: str) -> str:
    """NFKC folds full-width letters and digits; spaces inside a name are typing noise."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def parse_attendees(text: str) -> tuple[list[Attendee], list[str]]:
    """The attendees of every non-empty line, and a zh-TW problem for every bad line."""
    attendees: list[Attendee] = []
    problems: list[str] = []
    first: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        code, rest = _split(line)
        name = teacher_key(rest)
        if not CODE.fullmatch(code):
            problems.append(f"第 {number} 行「{line}」：開頭須為 6 位數字的學校代碼")
            continue
        if not name:
            problems.append(f"第 {number} 行「{line}」：學校代碼後須填教師姓名")
            continue
        if problem := text_problem("教師姓名", rest):
            problems.append(f"第 {number} 行：{problem}")
            continue
        if len(name) > NAME_MAX:
            problems.append(f"第 {number} 行「{line}」：姓名超過 {NAME_MAX} 個字")
            continue
        key = (code, name)
        if key in first:
            problems.append(f"第 {number} 行「{line}」：與第 {first[key]} 行重複")
            continue
        first[key] = number
        attendees.append(Attendee(number, code, name))
    return attendees, problems


def _split(line: str) -> tuple[str, str]:
    parts = SEPARATOR.split(line, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""
