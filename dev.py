#!/usr/bin/env python3
"""Project tasks that need nothing but Python 3.11+: they create and refresh ``.venv`` themselves.

python3 dev.py demo    run the demo migration and write its HTML reports
python3 dev.py test    lint, type-check, check import layers, run the whole test suite
python3 dev.py bench   run the benchmark suite and rewrite BENCHMARKS.md
python3 dev.py lab     open the notebooks in JupyterLab (relative paths in them mean the project root)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
EXTRAS = {"demo": "dev", "test": "dev", "bench": "dev,bench", "lab": "dev,lab"}


def ensure_env(extras: str) -> None:
    """Create .venv and (re)install the project when pyproject.toml or the extras changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit(f"omnimemory-kit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".omnimemory-kit-installed"
    if stamp.exists() and digest in stamp.read_text().split():
        return
    print(f"installing omnimemory-kit[{extras}] into {VENV}", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-e", f".[{extras}]"], check=True, cwd=ROOT)
    known = stamp.read_text().split() if stamp.exists() else []
    stamp.write_text("\n".join([*known, digest]) + "\n")


def run(*args: str, extra_env: dict[str, str] | None = None) -> None:
    """Run a command from the project root inside .venv; exit with its status if it fails."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(extra_env or {})}
    code = subprocess.run(list(args), cwd=ROOT, env=env).returncode
    if code != 0:
        sys.exit(code)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in EXTRAS:
        sys.exit(__doc__)
    task, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[task])
    py = str(PYTHON)
    if task == "demo":
        run(py, "-m", "omnimemory_kit", "demo", *rest)
    elif task == "test":
        run(py, "-m", "ruff", "check", ".")
        run(py, "-m", "ruff", "format", "--check", ".")
        run(py, "-m", "mypy")
        run(str(BIN / "lint-imports"))
        run(py, "-m", "pytest", *rest)
    elif task == "bench":
        run(py, "-m", "benchmarks", *rest)
    elif task == "lab":
        # Lab starts kernels in notebooks/; the notebooks' relative defaults (demo-output/...) mean the
        # project root, where `dev.py demo` writes them (omnimemory_kit.notebook.params.notebook_base_dir)
        run(py, "-m", "jupyter", "lab", "notebooks", *rest, extra_env={"OMNIMEMORY_KIT_BASE": str(ROOT)})


if __name__ == "__main__":
    main(sys.argv[1:])
