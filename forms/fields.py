"""Field types shared by the entry forms, and pydantic's errors turned into zh-TW messages."""

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from forms.errors import FormInvalid

# Digits, optionally grouped by thousands the way people type 12,000.
_WHOLE = re.compile(r"\d+|\d{1,3}(,\d{3})+")


# Amounts and counts are stored in 32-bit integer columns; none of the programme's nears it.
MAX_AMOUNT = 2**31 - 1


def _whole_amount(value: Any) -> int:
    """Whole 元 only: a float, a decimal or an exponent is a typing mistake, not a rounding."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "whole_amount", "須為整數金額（元），收到「{value}」", {"value": value}
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise PydanticCustomError("blank", "必須填寫金額（元），沒有請填 0")
        if not _WHOLE.fullmatch(text):
            raise PydanticCustomError(
                "whole_amount", "須為不含小數的整數金額（元），收到「{value}」", {"value": text}
            )
        number = int(text.replace(",", ""))
    else:
        raise PydanticCustomError(
            "whole_amount", "須為不含小數的整數金額（元），收到「{value}」", {"value": value}
        )
    if number < 0:
        raise PydanticCustomError("negative", "不可為負數，收到「{value}」", {"value": number})
    if number > MAX_AMOUNT:
        raise PydanticCustomError(
            "too_large",
            "超出上限 {limit}，收到「{value}」",
            {"limit": f"{MAX_AMOUNT:,}", "value": number},
        )
    return number


def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "不可空白")
    return text.strip()


Money = Annotated[int, BeforeValidator(_whole_amount)]
Count = Money  # person-months and the like follow the same whole, non-negative rule
Text = Annotated[str, AfterValidator(_not_blank)]

_PROBLEMS = {
    "missing": "必須填寫",
    "string_type": "須為文字",
    "model_type": "格式不正確",
    "model_attributes_type": "格式不正確",
    "dict_type": "格式不正確",
}


def invalid(exc: ValidationError, label: Callable[[tuple], str]) -> FormInvalid:
    """One FormInvalid from pydantic's errors; `label` names a location for people."""
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        problem = _PROBLEMS.get(error["type"], error["msg"])
        problems.append((".".join(loc), f"{label(loc)}：{problem}"))
    return FormInvalid(problems)
