"""Real processes ride out a real store outage: PostgreSQL stopped and started, SQLite locked, a full disk.

Each test starts ``omnimemory-kit migrate`` as a process and breaks its store while it runs: a throwaway
PostgreSQL cluster (never the shared server) stopped for longer than the pool timeout, a SQLite file whose
write lock another connection holds, a SQLite file on a tmpfs that fills up. The test waits for the events
that matter on the process's stderr (an item started, the outage noticed), never for a time. The run then
ends with every item accounted once and exit 0, or, past ``--outage-timeout``, with exit 3 and one line.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind
from omnimemory_kit.store import JournalStore, open_store
from tests.servers import ThrowawayPostgres, throwaway_postgres, tiny_tmpfs

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 24
RUN_ID = "outage"
_OUTCOMES = {EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED}

# Items say on stderr when they start, and wait while the hold file exists, so the test decides when the
# run's first outcomes are ready (after it broke the store).
FUNCTION = """
import os, sys, time
from pathlib import Path

HOLD = Path(os.environ["OUTAGE_HOLD"])

def migrate(item):
    print(f"started {item.key}", file=sys.stderr, flush=True)
    while HOLD.exists():
        time.sleep(0.01)
"""


def write_run_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Write the manifest, the function and the hold file; return them."""
    manifest = tmp_path / "items.jsonl"
    manifest.write_text("".join(json.dumps({"key": f"item-{i:03d}"}) + "\n" for i in range(ITEMS)))
    function = tmp_path / "outage_fn.py"
    function.write_text(FUNCTION, encoding="utf-8")
    hold = tmp_path / "hold"
    hold.touch()
    return manifest, function, hold


class Process:
    """One ``omnimemory-kit`` process, its stderr read line by line as events arrive."""

    def __init__(self, hold: Path, *args: str) -> None:
        self.hold = hold
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OUTAGE_HOLD": str(hold)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "omnimemory_kit", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []

    def wait_for(self, text: str) -> str:
        """Read stderr until a line containing ``text`` arrives; return it."""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if text in line:
                return line
        raise AssertionError(f"the process ended without saying {text!r}:\n" + "\n".join(self.lines))

    def release(self) -> None:
        """Let the held items finish."""
        self.hold.unlink(missing_ok=True)

    def finish(self) -> tuple[int, str, list[str]]:
        """Wait for the process to end; return its exit code, stdout and every stderr line."""
        stdout, stderr = self.proc.communicate(timeout=60)
        self.lines += stderr.splitlines()
        return self.proc.returncode, stdout, self.lines

    def kill(self) -> None:
        """End the process if a failed test left it running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


class Migration(Process):
    """``omnimemory-kit migrate`` over ITEMS held items in batches of 4, two at a time."""

    def __init__(self, tmp_path: Path, store_url: str, *extra: str) -> None:
        manifest, function, hold = write_run_files(tmp_path)
        super().__init__(
            hold, "migrate", str(manifest), "--function", f"{function}:migrate", "--store", store_url,
            "--run-id", RUN_ID, "--batch-size", "4", "--concurrency", "2", *extra,
        )  # fmt: skip


def assert_clean(lines: list[str]) -> None:
    """No traceback and no orphaned task exception anywhere on stderr."""
    text = "\n".join(lines)
    assert "Traceback" not in text, text
    assert "Task exception was never retrieved" not in text, text


def assert_accounted_once(store: JournalStore) -> None:
    """Every item has exactly one outcome in the journal, and the run completed exactly once."""
    events = list(store.read_events(RUN_ID))
    outcomes = Counter(e.path for e in events if e.kind in _OUTCOMES)
    assert sorted(outcomes) == [f"item-{i:03d}" for i in range(ITEMS)]
    assert set(outcomes.values()) == {1}
    assert [e.kind for e in events].count(EventKind.RUN_COMPLETED) == 1


def assert_gave_up(code: int, lines: list[str]) -> None:
    """Exit 3 with exactly one error line that says since when the store is unavailable."""
    assert code == 3, "\n".join(lines)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, "\n".join(lines)
    assert "unavailable since" in errors[0]
    assert "outage timeout" in errors[0]
    assert_clean(lines)


@pytest.fixture
def cluster() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster of this test's own, free to stop."""
    with throwaway_postgres() as server:
        yield server


@pytest.mark.postgres
class TestPostgresOutage:
    def test_outage_longer_than_the_pool_timeout_is_ridden_out(
        self, tmp_path: Path, cluster: ThrowawayPostgres
    ) -> None:
        """Stopped past the pool timeout and started again, the server gets every outcome once; exit 0."""
        url = f"{cluster.dsn}?pool_timeout=0.5"
        run = Migration(tmp_path, url)
        try:
            run.wait_for("started item-")
            cluster.stop()
            run.release()
            first = run.wait_for("store unavailable since")
            if "no connection within 0.5s" not in first:  # the first reason may be it already (logged once)
                run.wait_for("no connection within 0.5s")  # the outage outlasted the pool timeout
            status = subprocess.run(
                [sys.executable, "-m", "omnimemory_kit", "status", RUN_ID, "--store", url],
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                check=False,
            )
            assert status.returncode == 3
            assert status.stderr.strip().startswith("error: cannot reach store")
            assert len(status.stderr.strip().splitlines()) == 1
            cluster.start()
            code, stdout, lines = run.finish()
        finally:
            run.kill()
        assert code == 0, "\n".join(lines)
        assert "store available again" in "\n".join(lines)
        assert_clean(lines)
        assert "completed" in stdout
        with open_store(url) as store:
            assert_accounted_once(store)

    def test_outage_longer_than_the_outage_timeout_exits_3_in_one_line(
        self, tmp_path: Path, cluster: ThrowawayPostgres
    ) -> None:
        """A server that stays down past --outage-timeout ends the run with exit 3 and one error line."""
        run = Migration(tmp_path, f"{cluster.dsn}?pool_timeout=0.5", "--outage-timeout", "1.5")
        try:
            run.wait_for("started item-")
            cluster.stop()
            run.release()
            code, _, lines = run.finish()
        finally:
            run.kill()
        assert_gave_up(code, lines)

    def test_two_workers_ride_out_a_quick_restart(self, tmp_path: Path, cluster: ThrowawayPostgres) -> None:
        """Two worker processes across a server restart: both exit 0, every item once, one completion."""
        url = f"{cluster.dsn}?pool_timeout=0.5"
        manifest, function, hold = write_run_files(tmp_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OUTAGE_HOLD": str(hold)}
        created = subprocess.run(
            [sys.executable, "-m", "omnimemory_kit", "migrate", str(manifest), "--function",
             f"{function}:migrate", "--store", url, "--run-id", RUN_ID, "--batch-size", "4", "--create-only"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        workers = [
            Process(hold, "worker", "--store", url, "--run-id", RUN_ID, "--concurrency", "2")
            for _ in range(2)
        ]
        try:
            for worker in workers:
                worker.wait_for("started item-")
            cluster.stop()
            cluster.start()  # a restart: every pooled connection is broken, the server answers again
            workers[0].release()
            results = [worker.finish() for worker in workers]
        finally:
            for worker in workers:
                worker.kill()
        for code, _, lines in results:
            assert code == 0, "\n".join(lines)
            assert_clean(lines)
        # The workers felt the restart: whichever of their threads met a broken pooled connection first (the
        # store thread rides an outage out; the control channel's poller reconnects), depending on how many
        # connections a pool held when the server went away.
        felt = ("store unavailable since", "control channel: listener lost")
        assert any(sign in "\n".join(lines) for sign in felt for _, _, lines in results)
        with open_store(url) as store:
            assert_accounted_once(store)


class TestSQLiteLocked:
    def test_lock_held_by_another_writer_is_ridden_out(self, tmp_path: Path) -> None:
        """Another connection holding the write lock: the run waits for it, then finishes; exit 0."""
        path = tmp_path / "journal.db"
        run = Migration(tmp_path, f"sqlite:///{path}?timeout=0.05")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            run.wait_for("started item-")
            other.execute("BEGIN IMMEDIATE")
            run.release()
            line = run.wait_for("store unavailable since")
            assert "database is locked" in line
            other.execute("ROLLBACK")
            code, _, lines = run.finish()
        finally:
            other.close()
            run.kill()
        assert code == 0, "\n".join(lines)
        assert_clean(lines)
        with open_store(path) as store:
            assert_accounted_once(store)

    def test_lock_held_past_the_outage_timeout_exits_3_in_one_line(self, tmp_path: Path) -> None:
        """A write lock held past --outage-timeout ends the run with exit 3 and one error line."""
        path = tmp_path / "journal.db"
        run = Migration(tmp_path, f"sqlite:///{path}?timeout=0.05", "--outage-timeout", "1")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            run.wait_for("started item-")
            other.execute("BEGIN IMMEDIATE")
            run.release()
            code, _, lines = run.finish()
        finally:
            other.close()
            run.kill()
        assert_gave_up(code, lines)


class TestDiskFull:
    def fill(self, folder: Path) -> Path:
        """Fill the disk but a few pages; return the filler file (delete it to free the space)."""
        filler = folder / "filler"
        # Written until the disk says it is full, then cut back by two pages: the run may be writing
        # meanwhile (a batch claimed ahead), so a size measured first could be gone by the time it is written.
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            page = b"\0" * 4096
            while True:
                try:
                    os.write(fd, page)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - 8 * 1024))
        finally:
            os.close(fd)
        return filler

    def test_full_disk_is_ridden_out_until_space_is_freed(self, tmp_path: Path) -> None:
        """A disk that fills mid-run: the run waits, then finishes once space is freed; exit 0."""
        with tiny_tmpfs("2m") as folder:
            url = f"sqlite:///{folder / 'journal.db'}"
            run = Migration(tmp_path, url)
            try:
                run.wait_for("started item-")
                filler = self.fill(folder)
                run.release()
                line = run.wait_for("store unavailable since")
                assert "full" in line
                filler.unlink()
                code, _, lines = run.finish()
            finally:
                run.kill()
            assert code == 0, "\n".join(lines)
            assert_clean(lines)
            with open_store(url) as store:
                assert_accounted_once(store)

    def test_disk_full_past_the_outage_timeout_exits_3_in_one_line(self, tmp_path: Path) -> None:
        """A disk that stays full past --outage-timeout: exit 3, one line, no traceback."""
        with tiny_tmpfs("2m") as folder:
            run = Migration(tmp_path, f"sqlite:///{folder / 'journal.db'}", "--outage-timeout", "1")
            try:
                run.wait_for("started item-")
                self.fill(folder)
                run.release()
                code, _, lines = run.finish()
            finally:
                run.kill()
            assert_gave_up(code, lines)
            assert "full" in next(line for line in lines if line.startswith("error:"))


class TestOption:
    @pytest.mark.parametrize("command", ["migrate", "worker"])
    @pytest.mark.parametrize("value", ["-1", "nan", "inf"])
    def test_bad_outage_timeout_is_one_line_and_exit_2(
        self, tmp_path: Path, command: str, value: str
    ) -> None:
        """A negative or non-finite --outage-timeout is refused with one line naming it, exit 2."""
        from click.testing import CliRunner

        from omnimemory_kit.cli import cli

        store = f"sqlite:///{tmp_path / 'j.db'}"
        args = {
            "migrate": ["migrate", str(tmp_path), "--function", "os:getcwd", "--store", store],
            "worker": ["worker", "--store", store, "--run-id", "r"],
        }[command]
        result = CliRunner().invoke(cli, [*args, "--outage-timeout", value], catch_exceptions=False)
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "--outage-timeout" in lines[0]

    def test_summary_shows_since_when_the_store_is_unavailable(self) -> None:
        """The plain summary has a store line while a runner rides out an outage, and none otherwise."""
        from datetime import UTC, datetime

        from omnimemory_kit.cli.summary_view import format_summary
        from omnimemory_kit.migration.tracker import MigrationProgressTracker

        summary = MigrationProgressTracker("r", run_id="r").get_progress_summary()
        assert "store" not in format_summary(summary)
        since = datetime(2026, 12, 4, 15, 0, 5, tzinfo=UTC)
        down = summary.model_copy(update={"store_unavailable_since": since})
        assert "  store    unavailable since 2026-12-04 15:00:05Z" in format_summary(down)
