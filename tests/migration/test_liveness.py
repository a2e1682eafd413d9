"""Who works a run: the liveness rule, and the interrupted summary it leads to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from omnimemory_kit import EtaUnavailableReason, FakeClock, MigrationProgressTracker, MigrationStatus
from omnimemory_kit.migration.liveness import RunActivity, assess_activity, pid_alive, read_activity
from omnimemory_kit.store import Lease, WorkerRecord, open_store

HOST = "here"
NOW = 1_800_000_100.0


def worker(worker_id: str, host: str = HOST, pid: int = 100, last_seen: float = NOW - 1) -> WorkerRecord:
    """A worker record of run r1."""
    return WorkerRecord(worker_id, "r1", host, pid, started_at=NOW - 50, last_seen=last_seen)


def lease(worker_id: str, expires_at: float) -> Lease:
    """A lease of run r1 held by ``worker_id``."""
    return Lease(f"lease-{worker_id}", "r1", worker_id, f"batch-{worker_id}", (), expires_at)


def assess(workers: list[WorkerRecord], leases: list[Lease], alive: set[int]) -> RunActivity:
    """Apply the rule with the pids in ``alive`` being the live processes of this machine."""
    return assess_activity(workers, leases, NOW, host=HOST, is_alive=alive.__contains__, stale_after=60.0)


def dead_pid() -> int:
    """Return the pid of a real process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class TestTheRule:
    """Local workers live and die with their process; remote ones by leases and recent news."""

    def test_local_worker_with_a_live_process_works_the_run(self) -> None:
        """A worker on this machine whose process runs is working the run, however long ago it claimed."""
        activity = assess([worker("w1", last_seen=NOW - 3600)], [], alive={100})
        assert (activity.live_workers, activity.interrupted) == (1, False)

    def test_local_worker_whose_process_died_takes_its_leases_with_it(self) -> None:
        """A dead local process's unexpired lease does not count: nobody works the run."""
        activity = assess([worker("w1")], [lease("w1", NOW + 50)], alive=set())
        assert activity == RunActivity(workers=1, live_workers=0, live_leases=0)
        assert activity.interrupted

    def test_remote_worker_seen_recently_works_the_run(self) -> None:
        """A worker on another machine heard from within the window counts as alive (no pid to check)."""
        activity = assess([worker("w1", host="elsewhere", last_seen=NOW - 30)], [], alive=set())
        assert not activity.interrupted

    def test_remote_worker_holding_a_live_lease_works_the_run(self) -> None:
        """A remote worker silent past the window but holding an unexpired lease is still working."""
        activity = assess(
            [worker("w1", host="elsewhere", last_seen=NOW - 600)], [lease("w1", NOW + 5)], alive=set()
        )
        assert (activity.live_workers, activity.live_leases, activity.interrupted) == (1, 1, False)

    def test_remote_worker_silent_with_expired_leases_is_gone(self) -> None:
        """A remote worker silent past the window whose leases expired no longer works the run."""
        activity = assess(
            [worker("w1", host="elsewhere", last_seen=NOW - 600)], [lease("w1", NOW - 5)], alive=set()
        )
        assert activity.interrupted

    def test_one_live_worker_among_dead_ones_keeps_the_run_worked(self) -> None:
        """Two dead workers and one live one: the run is being worked."""
        workers = [worker("w1", pid=101), worker("w2", pid=102), worker("w3", pid=103)]
        activity = assess(workers, [], alive={103})
        assert (activity.workers, activity.live_workers, activity.interrupted) == (3, 1, False)

    def test_a_run_no_worker_ever_joined_is_not_called_interrupted(self) -> None:
        """Without any worker record (a tracker writing by itself) there is nothing to judge by."""
        assert not assess([], [], alive=set()).interrupted

    def test_a_real_exited_process_is_dead_and_this_one_alive(self) -> None:
        """``pid_alive`` asks the operating system: an exited, reaped process is dead, this one alive."""
        assert pid_alive(dead_pid()) is False
        assert pid_alive(os.getpid()) is True


def crashed_run(tmp_path: Path, pid: int) -> tuple[str, FakeClock]:
    """Journal a run in a real SQLite store: two files done by t+20, one in progress, worked by ``pid``."""
    clock = FakeClock(wall_start=NOW)
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    store = open_store(url, clock=clock)
    try:
        writer = MigrationProgressTracker("crash", clock=clock, store=store, run_id="r1")
        writer.add_files(["/a", "/b", "/c"])
        writer.start()
        for path in ("/a", "/b"):
            writer.start_file_processing(path)
            clock.advance(10)
            writer.complete_file_processing(path)
        writer.start_file_processing("/c")
        store.register_worker("r1", f"{socket.gethostname()}:{pid}:t", host=socket.gethostname(), pid=pid)
    finally:
        store.close()
    return url, clock


class TestInterruptedSummary:
    """A run nobody works says so, and its clocks stop at the last event."""

    def test_follower_tracker_sees_the_crash_and_its_clock_stops(self, tmp_path: Path) -> None:
        """A tracker following a run whose only worker died reports it interrupted, active time frozen."""
        url, clock = crashed_run(tmp_path, dead_pid())
        store = open_store(url, clock=clock)
        try:
            follower = MigrationProgressTracker.from_store(store, "r1", clock=clock)
            clock.advance(100)
            first = follower.get_progress_summary()
            clock.advance(3600)
            second = follower.get_progress_summary()
        finally:
            store.close()
        assert first.status is MigrationStatus.RUNNING
        assert (first.interrupted, second.interrupted) == (True, True)
        assert first.elapsed_seconds == second.elapsed_seconds == 20.0
        assert first.processing_rates == second.processing_rates
        assert first.processing_rates.files_per_second_overall == pytest.approx(0.1)
        assert second.last_activity_at is not None
        assert second.last_activity_at.timestamp() == NOW + 20
        assert second.eta_unavailable_reason is EtaUnavailableReason.INTERRUPTED
        assert second.as_of.timestamp() == NOW + 20 + 3700

    def test_follower_of_a_live_slow_worker_keeps_running(self, tmp_path: Path) -> None:
        """The same journal with the worker's process alive (this one) is running, its clock going on."""
        url, clock = crashed_run(tmp_path, os.getpid())
        store = open_store(url, clock=clock)
        try:
            follower = MigrationProgressTracker.from_store(store, "r1", clock=clock)
            clock.advance(100)
            summary = follower.get_progress_summary()
        finally:
            store.close()
        assert summary.interrupted is False
        assert summary.elapsed_seconds == 120.0

    def test_given_activity_is_used_and_read_activity_agrees(self, tmp_path: Path) -> None:
        """An in-memory replay given the store's activity says interrupted; without it, it cannot know."""
        url, clock = crashed_run(tmp_path, dead_pid())
        store = open_store(url, clock=clock)
        try:
            replay = MigrationProgressTracker("crash", clock=clock, run_id="r1")
            replay.apply_many(store.read_events("r1"))
            activity = read_activity(store, "r1", clock.time())
        finally:
            store.close()
        clock.advance(50)
        assert activity.interrupted
        assert replay.get_progress_summary(activity).elapsed_seconds == 20.0
        assert replay.get_progress_summary().elapsed_seconds == 70.0
        assert replay.get_progress_summary().interrupted is False

    def test_only_a_running_run_can_be_interrupted(self, clock: FakeClock) -> None:
        """A paused or finished run is not called interrupted, whoever works it."""
        tracker = MigrationProgressTracker("t", clock=clock)
        tracker.add_file("/a")
        tracker.start()
        tracker.pause()
        nobody = RunActivity(workers=1, live_workers=0, live_leases=0)
        assert tracker.get_progress_summary(nobody).interrupted is False
        tracker.resume()
        assert tracker.get_progress_summary(nobody).interrupted is True
        tracker.cancel()
        assert tracker.get_progress_summary(nobody).interrupted is False

    def test_a_tracker_that_writes_the_run_never_asks(self, tmp_path: Path) -> None:
        """The tracker driving a run is its own evidence of life: it never reports itself interrupted."""
        url, clock = crashed_run(tmp_path, dead_pid())
        store = open_store(url, clock=clock)
        try:
            driver = MigrationProgressTracker.from_store(store, "r1", clock=clock)
            driver.resume()  # restarts the run it found running: it now writes the run itself
            clock.advance(30)
            summary = driver.get_progress_summary()
        finally:
            store.close()
        assert summary.interrupted is False
        assert summary.elapsed_seconds == 50.0
