"""The wheel a worker host installs: every flow of prefect.yaml loads from it alone."""

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from config.settings import PROJECT_ROOT

NOT_SHIPPED = {"tests", "bench", "dev", "node_modules", "var", "build", "data"}

# Run with -S: no site-packages .pth files, so no editable install of this checkout.
# Only the unpacked wheel (the working directory, as JINGJIN_HOME) and the
# dependencies are importable, never the repository.
CHILD = """
import json, sys
sys.path.append({purelib!r})
from pathlib import Path
here = str(Path.cwd())
import importlib
flows = {{}}
for entrypoint in {entrypoints!r}:
    file, _, name = entrypoint.partition(":")  # imported for real: no placeholder flow
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    flows[entrypoint] = getattr(module, name).name
from model.db import make_engine
from model.migrate import head_revision
from rules import load_rules
from notifications.render import render_reminder
mine = sorted(
    m.__file__ for name, m in list(sys.modules.items())
    if name.split(".")[0] in {packages!r} and getattr(m, "__file__", None)
)
print(json.dumps({{
    "flows": flows,
    "head": head_revision(make_engine("sqlite://")),
    "rules_year": load_rules(113).year,
    "outside": [f for f in mine if not f.startswith(here)],
    "jobs": sys.modules["flows.jobs.run"].__file__,
    "heavy": [m for m in ("weasyprint", "playwright") if m in sys.modules],
}}))
"""


def _packages(root: Path) -> set[str]:
    return {
        p.parent.name
        for p in root.glob("*/__init__.py")
        if p.parent.name not in NOT_SHIPPED and not p.parent.name.startswith(".")
    }


def _sources(root: Path, packages: set[str]) -> set[str]:
    return {
        str(p.relative_to(root))
        for top in packages
        for p in (root / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".md")
    }


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(
        PROJECT_ROOT, source,
        ignore=shutil.ignore_patterns(".git", "node_modules", "var", "build", "*.egg-info",
                                      "__pycache__", ".venv", "test-artifacts", "tests"),
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(source), "-w", str(work / "dist")],
        check=True, capture_output=True,
    )  # fmt: skip
    [wheel] = (work / "dist").glob("jingjin-*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_wheel_holds_every_package_and_file_of_the_checkout(unpacked):
    packages = _packages(PROJECT_ROOT)
    assert {"flows", "model", "notifications", "rules", "cli", "web", "forms"} <= packages
    missing = _sources(PROJECT_ROOT, packages) - _sources(unpacked, packages)
    assert not missing, f"not in the wheel: {sorted(missing)}"


def test_the_wheel_holds_the_package_data(unpacked):
    assert (unpacked / "rules" / "113.toml").is_file()
    assert (unpacked / "model" / "migrations" / "env.py").is_file()
    assert (unpacked / "model" / "migrations" / "script.py.mako").is_file()
    assert list((unpacked / "model" / "migrations" / "versions").glob("0001_*.py"))
    for templates in ("notifications/templates", "forms/templates", "web/templates"):
        assert list((unpacked / templates).iterdir()), templates
    assert list((unpacked / "web" / "static").iterdir())


def test_every_deployment_loads_from_the_wheel_alone(unpacked):
    spec = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    entrypoints = [d["entrypoint"] for d in spec["deployments"]]
    script = CHILD.format(
        purelib=sysconfig.get_paths()["purelib"], entrypoints=entrypoints,
        packages=sorted(_packages(PROJECT_ROOT)),
    )  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HOME": str(unpacked.parent), "PREFECT_HOME":
           str(unpacked.parent / "prefect"), "JINGJIN_DATA_DIR": str(unpacked.parent / "var")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=unpacked, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["flows"] == {d["entrypoint"]: d["name"] for d in spec["deployments"]}
    assert got["outside"] == []
    # A worker host has no Pango or Chromium: the flows must not need them.
    assert got["heavy"] == []
    assert got["jobs"].startswith(str(unpacked))
    from model.db import make_engine
    from model.migrate import head_revision

    assert got["head"] == head_revision(make_engine("sqlite://"))
    assert got["rules_year"] == 113
