"""Whether anyone is working a run: decided from its workers, their processes and its leases.

The journal says a run is *running* from RUN_STARTED until it ends; a run whose only process was killed
stays running in the journal forever. Whether somebody is actually working it is a question about the
world, not the journal: a worker process on this machine is alive or not (its pid), and a worker on
another machine shows it is alive by holding an unexpired lease or having been seen recently.

``assess_activity`` is the pure rule; ``read_activity`` gathers its inputs from a store and this machine.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import psutil

from omnimemory_kit.store.base import JournalStore, Lease, WorkerRecord

__all__ = ["DEFAULT_STALE_AFTER", "RunActivity", "assess_activity", "pid_alive", "read_activity"]

DEFAULT_STALE_AFTER: Final = 60.0
"""Seconds after its last claim or heartbeat that a worker on another machine counts as gone (the default
lease period: a live worker renews its lease well within it)."""


@dataclass(frozen=True, slots=True)
class RunActivity:
    """Who works a run now, as far as its store and this machine can tell.

    Attributes:
        workers: worker records the run has (live or not).
        live_workers: how many of them look alive.
        live_leases: unexpired leases not held by a worker known to be dead.
    """

    workers: int
    live_workers: int
    live_leases: int

    @property
    def interrupted(self) -> bool:
        """Whether the run was worked and nobody works it now (a run never worked by a worker is unknown)."""
        return self.workers > 0 and self.live_workers == 0 and self.live_leases == 0


def pid_alive(pid: int) -> bool:
    """Return whether a process with this pid runs on this machine (a zombie does not count).

    A pid that cannot be known (0 or negative) or a process this user may not inspect counts as alive:
    claiming a run is abandoned when it is not is the worse mistake.
    """
    if pid <= 0:
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def assess_activity(
    workers: Sequence[WorkerRecord],
    leases: Sequence[Lease],
    now: float,
    *,
    host: str,
    is_alive: Callable[[int], bool] = pid_alive,
    stale_after: float = DEFAULT_STALE_AFTER,
) -> RunActivity:
    """Decide who works a run.

    A worker on ``host`` (this machine) is alive exactly when its process is: its leases die with it,
    however long they still run. A worker elsewhere is alive while it holds an unexpired lease or was seen
    within ``stale_after`` seconds. A lease of a worker not known to be dead counts until it expires.

    Args:
        workers: the run's worker records.
        leases: the run's current leases.
        now: the time to judge at, on the store's clock (lease expiry and ``last_seen`` are on it).
        host: this machine's host name.
        is_alive: whether a pid on this machine is alive.
        stale_after: seconds without news after which a worker on another machine counts as gone.
    """
    dead: set[str] = set()
    live = 0
    for worker in workers:
        if worker.host == host:
            alive = is_alive(worker.pid)
        else:
            holds = any(lease.worker_id == worker.worker_id and lease.expires_at > now for lease in leases)
            alive = holds or now - worker.last_seen <= stale_after
        if alive:
            live += 1
        else:
            dead.add(worker.worker_id)
    live_leases = sum(1 for lease in leases if lease.expires_at > now and lease.worker_id not in dead)
    return RunActivity(workers=len(workers), live_workers=live, live_leases=live_leases)


def read_activity(store: JournalStore, run_id: str, now: float | None = None) -> RunActivity:
    """Read a run's workers and leases from ``store`` and decide who works it at ``now`` (default: now)."""
    workers, leases = store.workers(run_id), store.leases(run_id)
    return assess_activity(workers, leases, time.time() if now is None else now, host=socket.gethostname())
