"""Run every ``benchmarks/bench_*.py`` and write the results to BENCHMARKS.md.

Each benchmark module defines ``run() -> str`` returning a Markdown section (a ``##`` heading, a table of
measurements side by side with their baseline or peers in the same run, and each target with met / missed).

    python -m benchmarks                 all benchmarks, rewrite BENCHMARKS.md
    python -m benchmarks tracker journal only those (BENCHMARKS.md is rewritten only for a full run)
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "BENCHMARKS.md"


def machine() -> str:
    """Describe the machine the numbers come from."""
    import psutil

    return (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    )


def main(argv: list[str]) -> None:
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    chosen = argv or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(names)}")
    sections = []
    for name in chosen:
        started = time.perf_counter()
        print(f"benchmark {name} ...", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        section = module.run()
        print(section, flush=True)
        print(f"({name}: {time.perf_counter() - started:.1f}s)", flush=True)
        sections.append(section.strip())
    if argv:
        return
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        "# Benchmarks\n\n"
        "Reproduce with `python3 dev.py bench` (or `.venv/bin/python -m benchmarks`).\n"
        "Every comparison below "
        "was measured side by side in the same run, so ratios hold even where absolute numbers drift.\n\n"
        f"Measured {now} on {machine()}.\n"
    )
    OUTPUT.write_text(header + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
