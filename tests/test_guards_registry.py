"""Every rule states/ can refuse with has a pure boundary test in tests/test_guards_*.py.

A new guard (a @rule function) or a new literal Refusal id in states/ fails this test until
a Boundary case for it is added.
"""

import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import states
from states.steps import Step

GUARD_TESTS = (
    "test_guards_plan",
    "test_guards_purchase",
    "test_guards_reimbursement",
    "test_guards_budget_change",
    "test_guards_activity",
    "test_guards_steps",
)
LITERAL_ID = re.compile(r'Refusal\(\s*"([\w.]+)"')


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"states.{info.name}")
        for info in pkgutil.iter_modules(states.__path__)
    ]


def _guards() -> set:
    """Every @rule function defined in states/."""
    return {
        obj
        for module in _modules()
        for obj in vars(module).values()
        if callable(obj) and hasattr(obj, "rule_id") and obj.__module__ == module.__name__
    }


def _step_guards() -> set:
    """The guards the lifecycles' steps run, and the tuples the services run by hand."""
    found = set()
    for module in _modules():
        for value in vars(module).values():
            steps = value.values() if isinstance(value, dict) else [value]
            for step in steps:
                if isinstance(step, Step):
                    found.update(step.guards)
            if isinstance(value, tuple) and value and all(hasattr(g, "rule_id") for g in value):
                found.update(value)
    return found


def _literal_ids() -> set[str]:
    root = Path(states.__file__).parent
    return {i for path in root.glob("*.py") for i in LITERAL_ID.findall(path.read_text("utf-8"))}


def _cases() -> list:
    return [case for name in GUARD_TESTS for case in importlib.import_module(name).CASES]


def test_the_registry_finds_the_guards() -> None:
    guards = _guards()
    # Not vacuous: the lifecycles' own steps are found, and every one is a @rule guard.
    assert len(guards) >= 50
    assert _step_guards() <= guards
    assert {"access.role", "access.county", "evidence.format"} <= _literal_ids()


def test_every_guard_in_states_has_a_pure_boundary_test() -> None:
    tested = {case.guard for case in _cases()}
    missing = sorted(f"{g.__module__}.{g.__name__} ({g.rule_id})" for g in _guards() - tested)
    assert missing == [], "guards without a pure test in tests/test_guards_*.py"


def test_every_rule_id_states_can_refuse_with_is_tested() -> None:
    emitted = {g.rule_id for g in _guards()} | _literal_ids()
    tested = {case.rule_id for case in _cases()}
    assert sorted(emitted - tested) == []
    assert sorted(tested - emitted) == []  # a case for a rule that no longer exists
