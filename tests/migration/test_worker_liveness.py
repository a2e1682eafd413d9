"""Which workers of a shared run are alive: pure decisions over worker records."""

from __future__ import annotations

import os
import subprocess
import sys

from omnimemory_kit.migration.worker_liveness import (
    completer_in_place_of,
    dead_workers_on_host,
    other_live_workers,
    pid_alive,
)
from omnimemory_kit.store.base import WorkerRecord


def dead_pid() -> int:
    """Return the pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def worker(worker_id: str, host: str, pid: int, last_seen: float, leases: int = 0) -> WorkerRecord:
    """A worker record of run 'r'."""
    return WorkerRecord(worker_id, "r", host, pid, 0.0, last_seen, leases=leases)


class TestLiveness:
    """Alive: a live lease or seen recently, unless a dead process on this host."""

    def test_pid_alive(self) -> None:
        """This process is alive, an exited one is not, an unknown pid counts as alive."""
        assert pid_alive(os.getpid())
        assert not pid_alive(dead_pid())
        assert pid_alive(0)

    def test_other_live_workers_counts_recent_or_leasing_and_skips_dead_local_ones(self) -> None:
        """Recent and lease-holding workers count; stale, dead-local and the asker itself do not."""
        gone = dead_pid()
        workers = [
            worker("me", "here", os.getpid(), 100.0),
            worker("recent", "there", 1, 95.0),
            worker("stale-but-leasing", "there", 2, 10.0, leases=1),
            worker("stale", "there", 3, 10.0),
            worker("dead-local", "here", gone, 99.0, leases=1),
        ]
        assert other_live_workers(workers, "me", "here", lease_seconds=30.0) == 2
        assert other_live_workers(workers, "unknown", "here", lease_seconds=30.0) == 0

    def test_dead_workers_on_host_names_only_exited_local_processes(self) -> None:
        """Only other workers on this host whose process is gone are dead."""
        gone = dead_pid()
        workers = [
            worker("me", "here", os.getpid(), 1.0),
            worker("dead-local", "here", gone, 1.0),
            worker("remote", "there", gone, 1.0),
            worker("live-local", "here", os.getppid(), 1.0),
        ]
        assert dead_workers_on_host(workers, "me", "here") == ["dead-local"]


class TestCompleterInPlaceOfTheCloser:
    """The worker that closed the last batch journals the completion; if it died, one survivor does."""

    def test_a_live_closer_completes_itself(self) -> None:
        """While the closer is alive nobody completes in its place."""
        workers = [worker("a", "here", os.getpid(), 100.0), worker("b", "there", 1, 99.0)]
        assert not completer_in_place_of("b", workers, "a", "here", 60.0)
        assert not completer_in_place_of("a", workers, "a", "here", 60.0)

    def test_without_a_closer_only_the_smallest_live_worker_completes(self) -> None:
        """No batch closed since the last start (a late joiner): one worker, not every one, completes."""
        workers = [worker("a", "here", os.getpid(), 100.0), worker("b", "there", 1, 99.0)]
        assert completer_in_place_of(None, workers, "a", "here", 60.0)
        assert not completer_in_place_of(None, workers, "b", "there", 60.0)

    def test_the_smallest_live_survivor_completes_for_a_dead_closer(self) -> None:
        """A closer whose process is gone from this host is replaced by the live worker of smallest id."""
        gone = dead_pid()
        workers = [
            worker("a", "here", os.getpid(), 100.0),
            worker("b", "here", os.getpid(), 100.0),
            worker("closer", "here", gone, 100.0),
        ]
        assert completer_in_place_of("closer", workers, "a", "here", 60.0)
        assert not completer_in_place_of("closer", workers, "b", "here", 60.0)
