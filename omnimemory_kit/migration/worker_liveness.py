"""Which of a run's workers are alive: pure decisions over the store's worker records.

A worker is alive while it holds a live lease or the store saw it within one lease period of the asking
worker (both times on the store's clock), unless it is a process on this host that has died. Work held by
a dead process on this host can be taken back at once instead of waiting for its leases to expire.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from omnimemory_kit.store.base import WorkerRecord

__all__ = ["completer_in_place_of", "dead_workers_on_host", "other_live_workers", "pid_alive"]


def pid_alive(pid: int) -> bool:
    """Return whether process ``pid`` exists on this host (an unknown pid counts as alive)."""
    if pid <= 0:
        return True  # unknown: assume alive, let the lease expire
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _other_live(
    workers: Sequence[WorkerRecord], worker_id: str, host: str, lease_seconds: float
) -> list[str]:
    mine = next((w for w in workers if w.worker_id == worker_id), None)
    if mine is None:
        return []
    horizon = mine.last_seen - lease_seconds
    return [
        w.worker_id
        for w in workers
        if w.worker_id != worker_id
        and (w.leases > 0 or w.last_seen >= horizon)
        and not (w.host == host and not pid_alive(w.pid))
    ]


def other_live_workers(
    workers: Sequence[WorkerRecord], worker_id: str, host: str, lease_seconds: float
) -> int:
    """Return how many workers other than ``worker_id`` look alive (0 when ``worker_id`` is unknown)."""
    return len(_other_live(workers, worker_id, host, lease_seconds))


def completer_in_place_of(
    closer: str | None, workers: Sequence[WorkerRecord], worker_id: str, host: str, lease_seconds: float
) -> bool:
    """Tell whether ``worker_id`` journals the run's completion in place of ``closer``, the worker that
    closed its last batch: because ``closer`` is no longer alive (it died before journaling it), or
    because no batch was closed since the run's last start (None: a worker joined a run already done).

    Of the live workers, the one with the smallest id does, so two survivors never both do.
    """
    if closer == worker_id:
        return False  # the closer itself decides
    live = _other_live(workers, worker_id, host, lease_seconds)
    if closer is not None and closer in live:
        return False
    return all(worker_id < other for other in live)


def dead_workers_on_host(workers: Sequence[WorkerRecord], worker_id: str, host: str) -> list[str]:
    """Return the ids of other workers that ran on this host in processes that no longer exist."""
    return [
        w.worker_id
        for w in workers
        if w.worker_id != worker_id and w.host == host and w.pid != os.getpid() and not pid_alive(w.pid)
    ]
