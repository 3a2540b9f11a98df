"""JINGJIN_HOME: where every worker host has the jingjin code, checked before deploying.

prefect.yaml's pull step changes into `{{ $JINGJIN_HOME }}`, filled in when
`prefect deploy` runs: deployed without it, every run would fail on the worker. So
the deploy's build step runs `python -m flows.home`, which stops the deploy with one
zh-TW line, and `jingjin doctor` reports the same check.
"""

import os
import sys
from pathlib import Path

import yaml

from config.settings import PROJECT_ROOT

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


def entrypoint_files(prefect_yaml: Path = PREFECT_YAML) -> list[str]:
    """The flow files prefect.yaml's deployments name (relative to JINGJIN_HOME)."""
    if not prefect_yaml.exists():  # an installed package: the flows package itself
        return ["flows/__init__.py"]
    spec = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8"))
    return sorted({d["entrypoint"].split(":")[0] for d in spec["deployments"]})


def home_problem(home: str | None, files: list[str]) -> str | None:
    """Why JINGJIN_HOME cannot serve the deployments; None when it can."""
    if not home or not home.strip():
        return (
            "JINGJIN_HOME 未設定：請設為各工作主機上 jingjin 程式所在的目錄"
            "（原始碼目錄，或安裝套件的 site-packages），例如 JINGJIN_HOME=/srv/jingjin"
        )
    root = Path(home)
    if not root.is_dir():
        return f"JINGJIN_HOME「{home}」不是目錄"
    missing = [name for name in files if not (root / name).is_file()]
    if missing:
        return f"JINGJIN_HOME「{home}」下找不到 {', '.join(missing)}：請設為 jingjin 程式所在的目錄"
    return None


def main() -> None:
    problem = home_problem(os.environ.get("JINGJIN_HOME"), entrypoint_files())
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
