"""Process isolation: outcomes cross the process boundary intact; a dead worker process fails one item."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store

FUNCTIONS = """
import os
import threading

from omnimemory_kit.migration.attempt import SkipItem


class Unpicklable(Exception):
    def __init__(self, lock):
        super().__init__("holds a lock")
        self.lock = lock

    def __reduce__(self):
        raise TypeError("cannot pickle")


def mixed(item):
    if item.key == "skip":
        raise SkipItem("nothing to do")
    if item.key == "odd-error":
        raise Unpicklable(threading.Lock())
    if item.key == "value-error":
        raise ValueError("bad value")
    if item.key == "die":
        os._exit(7)
    return item.key
"""


@pytest.fixture
def mixed(tmp_path: Path) -> object:
    """The migration function, loaded from a file by name (so worker processes can load it too)."""
    path = tmp_path / "iso_fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return load_function(f"{path}:mixed")


class TestOutcomesAcrossProcesses:
    """Each way the function ends in its process maps to the same outcome as in a thread."""

    async def test_skip_errors_death_and_success(self, tmp_path: Path, mixed: object) -> None:
        """Skip, a picklable and an unpicklable error, a dying process and a success each land as expected."""
        keys = ["ok-1", "skip", "odd-error", "value-error", "die", "ok-2"]
        with open_store(tmp_path / "j.db") as store:
            runner = MigrationRunner(
                store, "r", keys, mixed, concurrency=2, retry=RetryPolicy(max_attempts=1),  # type: ignore[arg-type]
                isolate="process",
            )  # fmt: skip
            summary = await runner.run()
            outcome_kinds = {EventKind.FILE_SUCCEEDED, EventKind.FILE_SKIPPED, EventKind.FILE_FAILED}
            events = {e.path: e for e in store.read_events("r") if e.kind in outcome_kinds}
        assert (summary.succeeded_files, summary.skipped_files, summary.failed_files) == (2, 1, 3)
        assert events["skip"].reason == "nothing to do"
        assert (events["value-error"].error_type, events["value-error"].error_message) == (
            "ValueError",
            "bad value",
        )
        assert events["odd-error"].error_type == "omnimemory_kit.migration.isolation.IsolatedCallError"
        assert "Unpicklable: holds a lock" in (events["odd-error"].error_message or "")
        assert "died (exit code 7)" in (events["die"].error_message or "")
        assert runner.tracker.get_file_info("ok-2").status is FileStatus.SUCCEEDED
