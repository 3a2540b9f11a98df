"""Typed text from the simple creation and entry forms, with one zh-TW message per field.

A field's problem is kept by its form name so the page can show it beside the field, and
as a Refusal so the box at the top names the rule like every other refusal.
"""

from datetime import date

from forms.fields import MAX_AMOUNT
from states.errors import Refusal
from vocab.dates import DayError, parse_day
from web.evidence_form import WHOLE

FORMAT_RULE = "evidence.format"


class FieldProblems(dict):
    """{form field name: message}; `refusals` lists them for the box at the top."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, message)

    @property
    def refusals(self) -> list[Refusal]:
        return [Refusal(FORMAT_RULE, message, name) for name, message in self.items()]


def text(form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def whole(form, name: str, label: str, problems: FieldProblems) -> int | None:
    """A whole number ≥ 0 (12,000 allowed); None when blank."""
    raw = text(form, name)
    if not raw:
        return None
    if not WHOLE.fullmatch(raw):
        problems.add(name, f"「{label}」須為不小於 0、不含小數的整數，收到「{raw}」。")
        return None
    value = int(raw.replace(",", ""))
    if value > MAX_AMOUNT:
        problems.add(name, f"「{label}」超出上限 {MAX_AMOUNT:,}，收到「{raw}」。")
        return None
    return value


def day(form, name: str, label: str, problems: FieldProblems) -> date | None:
    raw = text(form, name)
    if not raw:
        problems.add(name, f"請填寫「{label}」。")
        return None
    try:
        return parse_day(raw)
    except DayError as error:
        problems.add(name, f"「{label}」：{error}")
        return None


def typed_values(form) -> dict[str, str]:
    """What was typed, to put back into the form after a refusal."""
    return {k: v for k, v in form.items() if isinstance(v, str)}
