"""Text a person typed as a title or a name: no invisible control characters. An escape
(ESC) or bell rewrites a terminal that prints it (the CLI, a log); a bidi override (U+202E)
shows the text reversed, so a title could read otherwise than it is stored."""

import unicodedata

# Explicit direction marks, embeddings, overrides and isolates.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
MULTILINE_ALLOWED = frozenset("\n\r\t")


def hidden_characters(text: str, multiline: bool = False) -> list[str]:
    """The code points (as U+XXXX) that may not stand in the text, each once, in order."""
    found: dict[str, None] = {}
    for ch in text:
        if multiline and ch in MULTILINE_ALLOWED:
            continue
        # Cc: C0, DEL and C1; Zl/Zp: line and paragraph separators inside a one-line text.
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in BIDI_CONTROLS:
            found[f"U+{ord(ch):04X}"] = None
    return list(found)


def text_problem(label: str, text: str, multiline: bool = False) -> str | None:
    """A zh-TW sentence naming the field and the characters, or None when the text is clean."""
    hidden = hidden_characters(text, multiline)
    if not hidden:
        return None
    return (
        f"「{label}」含有不可見的控制字元（{'、'.join(hidden)}），"
        "可能使文字顯示得與實際內容不同，請刪除後重新輸入。"
    )
