"""THE crash test: SIGKILL a migrating process at random points, resume each time, and audit the journal."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store import open_store

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 2_000
RUN_ID = "crash"

FUNCTION = """
import asyncio

async def tiny(item):
    await asyncio.sleep(0.001)
"""


def succeeded_so_far(store_path: Path) -> int:
    """Read, through a separate connection, how many items the journal has as succeeded."""
    if not store_path.exists():
        return 0
    try:
        with open_store(store_path, create=False) as store:
            return store.item_counts(RUN_ID)[FileStatus.SUCCEEDED]
    except Exception:  # the run or the schema may not exist yet
        return 0


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    """Killed with SIGKILL at several random points and resumed, every item succeeds exactly once."""
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    manifest = tmp_path / "items.jsonl"
    manifest.write_text("".join(json.dumps({"key": f"item-{i:05d}", "size": i}) + "\n" for i in range(ITEMS)))
    (tmp_path / "crash_fn.py").write_text(FUNCTION, encoding="utf-8")
    store_path = tmp_path / "journal.db"
    cmd = [sys.executable, "-m", "omnimemory_kit", "migrate", str(manifest), "--function"]
    cmd += [f"{tmp_path / 'crash_fn.py'}:tiny", "--store", str(store_path), "--run-id", RUN_ID]
    cmd += ["--batch-size", "50", "--concurrency", "16"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    thresholds = sorted(rng.sample(range(100, ITEMS - 100), 4))
    kills = 0
    for threshold in thresholds:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(2_000):  # bounded wait: poll the journal, never sleep
                try:
                    proc.wait(timeout=0.01)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if succeeded_so_far(store_path) >= threshold:
                    break
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
        finally:
            proc.kill()
            assert proc.stderr is not None
            proc.stderr.close()
    assert kills >= 2, f"seed {seed}: the runs finished before they could be killed"
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, f"seed {seed}: {final.stderr}"

    with open_store(store_path, create=False) as store:
        events = list(store.read_events(RUN_ID))
        counts = store.item_counts(RUN_ID)
        record = store.get_run(RUN_ID)
    succeeded = Counter(e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED)
    assert len(succeeded) == ITEMS, f"seed {seed}"
    assert set(succeeded.values()) == {1}, f"seed {seed}: some item succeeded twice"
    assert counts[FileStatus.SUCCEEDED] == ITEMS
    assert counts[FileStatus.IN_PROGRESS] == counts[FileStatus.PENDING] == 0
    tracker = MigrationProgressTracker(record.name, record.priority, run_id=RUN_ID)
    tracker.apply_many(events)
    summary = tracker.get_progress_summary()
    assert (summary.total_files, summary.succeeded_files) == (
        sum(counts.values()),
        counts[FileStatus.SUCCEEDED],
    )
    assert (summary.in_progress_files, summary.pending_files, summary.failed_files) == (0, 0, 0)
    assert summary.interrupted_count > 0, f"seed {seed}: no item was ever caught in progress"
    assert len([e for e in events if e.kind is EventKind.FILE_ADDED]) == ITEMS
