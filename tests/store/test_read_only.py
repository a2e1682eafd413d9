"""A SQLite store on read-only media is read (status, reports, followers) and never written.

The folder is made read-only for real: a read-only bind mount when the tests run as root (root ignores
permission bits), a folder without write permission otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.errors import StoreUnavailableError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store import RunRecord, WorkItem, open_store


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A kit store with one run of three items (one succeeded), in a folder nobody can write to."""
    folder = tmp_path / "media"
    folder.mkdir()
    path = folder / "journal.db"
    with open_store(path) as store:
        store.create_run(RunRecord(run_id="r", name="archived", source="src", function="m:f"))
        store.add_items("r", [WorkItem("a.py", 1), WorkItem("b.py", 2), WorkItem("c.py", 3)], at=1.0)
        store.append("r", [Event(EventKind.FILE_STARTED, at=2.0, path="a.py")])
        store.append("r", [Event(EventKind.FILE_SUCCEEDED, at=3.0, path="a.py")])
    assert sorted(p.name for p in folder.iterdir()) == ["journal.db"]  # closed cleanly: no -wal left
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        try:
            yield path
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield path
        finally:
            folder.chmod(0o755)


def _assert_unwritable(folder: Path) -> None:
    with pytest.raises(OSError):  # EROFS or EACCES: either proves the point
        (folder / "probe").touch()


class TestReadOnlyMedia:
    """Reading works where nothing can be written; writing fails cleanly."""

    def test_open_read_only_reads_the_run(self, read_only_store: Path) -> None:
        """open_store(read_only=True) reads the run, its counts and its journal."""
        _assert_unwritable(read_only_store.parent)
        with open_store(read_only_store, read_only=True) as store:
            assert store.get_run("r").name == "archived"
            assert sum(store.item_counts("r").values()) == 3
            assert [e.path for e in store.read_events("r") if e.kind is EventKind.FILE_SUCCEEDED] == ["a.py"]
        assert sorted(p.name for p in read_only_store.parent.iterdir()) == ["journal.db"]

    def test_follower_tracker_replays(self, read_only_store: Path) -> None:
        """A follower tracker on a read-only store replays the run and refreshes without writing."""
        with open_store(read_only_store, read_only=True) as store:
            follower = MigrationProgressTracker.from_store(store, "r")
            follower.refresh()
            summary = follower.get_progress_summary()
        assert (summary.total_files, summary.succeeded_files) == (3, 1)

    def test_writing_is_refused_with_a_store_error(self, read_only_store: Path) -> None:
        """A write through a read-only store raises StoreUnavailableError and changes nothing."""
        with open_store(read_only_store, read_only=True) as store:
            with pytest.raises(StoreUnavailableError, match=r"readonly|read-only"):
                store.append("r", [Event(EventKind.RUN_PAUSED, at=9.0)])
            assert store.last_seq("r") == 6

    def test_status_command_reads_it(self, read_only_store: Path) -> None:
        """``omnimemory-kit status`` (its own process) prints the run from the read-only folder, exit 0."""
        result = subprocess.run(
            [sys.executable, "-m", "omnimemory_kit", "status", "r", "--store", str(read_only_store)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "3 total: 1 succeeded" in result.stdout

    def test_missing_file_is_not_created(self, tmp_path: Path) -> None:
        """Read-only never creates a store: a missing file is StoreUnavailableError and stays missing."""
        with pytest.raises(StoreUnavailableError, match="does not exist"):
            open_store(tmp_path / "none.db", read_only=True)
        assert not (tmp_path / "none.db").exists()
