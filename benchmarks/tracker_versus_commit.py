"""Compare this tree's tracker with ``migration/tracker.py`` of an earlier commit, side by side in one run.

    python -m benchmarks.tracker_versus_commit 0cd2cec      # the last commit before the tracker's split

The earlier ``tracker.py`` is read from git and loaded as a module of its own beside this tree's package (it
must import cleanly against this tree, as one from before the split does). Both drive the same run through
the public calls (add, start, complete) and fold the same journal with ``apply_many``; contenders alternate
and each keeps its best CPU time, so a shared machine's noise falls on both alike.
"""

from __future__ import annotations

import gc
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_tracker import public_call_events, public_calls, run_events
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.migration.tracker import MigrationProgressTracker

ROOT = Path(__file__).resolve().parent.parent
FILES = 100_000
REPEATS = 5


def tracker_class_at(commit: str) -> Any:
    """Return ``MigrationProgressTracker`` as ``migration/tracker.py`` of ``commit`` defined it."""
    source = subprocess.run(
        ["git", "show", f"{commit}:omnimemory_kit/migration/tracker.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracker_at_commit.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("tracker_at_commit", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module.MigrationProgressTracker


def fold(cls: Any) -> Callable[[], None]:
    """Return a fold of the benchmark journal of FILES files with ``apply_many`` of tracker class ``cls``."""
    events = run_events(FILES)
    return lambda: cls("bench", clock=FakeClock(wall_start=events[-1].at)).apply_many(events)


def main(commit: str) -> None:
    before = tracker_class_at(commit)
    contenders = {
        f"public calls, {commit}": public_calls(before, FILES),
        "public calls, this tree": public_calls(MigrationProgressTracker, FILES),
        f"apply_many, {commit}": fold(before),
        "apply_many, this tree": fold(MigrationProgressTracker),
    }
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(REPEATS):
        for name, run in contenders.items():
            gc.collect()
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    n_events = {"public calls": public_call_events(FILES), "apply_many": len(run_events(FILES))}
    for name, seconds in best.items():
        events = n_events[name.split(",")[0]]
        print(f"{name:<32} {seconds:.3f} s  {events / seconds:>12,.0f} events/s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "0cd2cec")
