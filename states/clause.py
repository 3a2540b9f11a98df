"""Comparing the data-integration clause the way the ministry reads it.

Whitespace, line breaks and the width of punctuation do not matter; every other
character, including letters and digits, must be exactly as written.
"""

import unicodedata

# Half-width forms of CJK punctuation outside the FF01–FF5E block.
_HALFWIDTH_CJK = {"\uff61": "。", "\uff62": "「", "\uff63": "」", "\uff64": "、"}


def _fold(ch: str) -> str:
    if ch in _HALFWIDTH_CJK:
        return _HALFWIDTH_CJK[ch]
    code = ord(ch)
    is_punct = unicodedata.category(ch)[0] in "PS"
    if 0xFF01 <= code <= 0xFF5E and is_punct:
        return chr(code - 0xFEE0)
    return ch


def normalise(text: str) -> str:
    return "".join(_fold(ch) for ch in text if not ch.isspace())


def contains_clause(document: str, clause: str) -> bool:
    return normalise(clause) in normalise(document)
