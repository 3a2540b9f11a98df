"""The ladder of packages: each imports only the rungs below it (README.md, Layout).

Read from the source with `ast`, so an import inside a function counts as much as one at
the top.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# From the ground up; the README's layout table gives the reason for each rung. Packages
# on one rung are peers: neither imports the other.
LADDER: tuple[tuple[str, ...], ...] = (
    ("config",),
    ("rules", "vocab"),
    ("states",),
    ("model",),
    ("notifications", "imports"),
    ("workflow",),
    ("forms", "flows", "demo"),
    ("web",),
    ("cli", "bench"),
)
RUNG = {package: level for level, rung in enumerate(LADDER) for package in rung}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def upward_imports(root: Path = ROOT) -> list[str]:
    found = []
    for package in RUNG:
        for path in sorted((root / package).rglob("*.py")):
            here = RUNG[package]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                for name in _imported(node):
                    top = name.split(".")[0]
                    if top != package and top in RUNG and RUNG[top] >= here:
                        rel = path.relative_to(root)
                        found.append(
                            f"{rel}:{node.lineno}: imports {name} ({top} is not below {package})"
                        )
    return found


def test_every_package_is_on_the_ladder():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(RUNG)


def test_no_package_imports_one_above_it():
    assert upward_imports() == []


def test_the_ladder_sees_a_lazy_upward_import(tmp_path):
    # The check itself: an import inside a function of a low package is found.
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "words.py").write_text(
        "import config.clock\n\ndef f():\n    from workflow.service import advance\n",
        encoding="utf-8",
    )
    assert upward_imports(tmp_path) == [
        "vocab/words.py:4: imports workflow.service (workflow is not below vocab)"
    ]


def test_a_lifecycle_loads_no_settings():
    code = (
        "import sys, states.purchase, states.plan, states.reimbursement, vocab.display\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic_settings', 'config.settings'))))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"
