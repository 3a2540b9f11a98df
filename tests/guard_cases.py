"""Pure guard tests by rule id: a context of plain values on each side of a rule's boundary.

No database: each case runs in microseconds. tests/test_guards_registry.py fails when a
guard of states/ has no case here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from states.errors import Refusal
from states.steps import run_guards

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Boundary:
    """A guard (a @rule function of a context, or a function of a context returning
    refusals), the context at the last value its rule allows and the one just past it,
    and the figures the refusal's sentence must name."""

    rule_id: str
    guard: Callable[[Any], Any]
    passing: Any
    failing: Any
    names: tuple[str, ...]
    label: str = ""

    @property
    def id(self) -> str:
        name = getattr(self.guard, "__name__", "guard")
        return f"{self.rule_id}:{name}" + (f":{self.label}" if self.label else "")


def refusals(guard: Callable[[Any], Any], ctx: Any) -> list[Refusal]:
    if hasattr(guard, "rule_id"):
        return run_guards((guard,), ctx)
    return list(guard(ctx))


def check(case: Boundary) -> None:
    assert refusals(case.guard, case.passing) == [], case.id
    refused = refusals(case.guard, case.failing)
    assert [r.rule_id for r in refused] == [case.rule_id]
    message = refused[0].message
    assert message.strip() and CJK.search(message), message
    for name in case.names:
        assert name in message, (name, message)
