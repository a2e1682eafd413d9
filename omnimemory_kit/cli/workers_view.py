"""The workers view of a run: who works it, how fast, and which batches they hold (``status`` shows it).

Rows are JSON-ready dicts (``status --json``); the ``format_*`` functions render them as aligned plain text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from omnimemory_kit.store import JournalStore, Lease, WorkerRecord

__all__ = ["format_leases", "format_workers", "lease_rows", "worker_rows", "workers_and_leases"]


def worker_rows(workers: Sequence[WorkerRecord]) -> list[dict[str, Any]]:
    """Return one JSON-ready dict per worker, with its throughput over its active time.

    A worker's active time runs from when it joined to when the store last heard from it (a claim or a
    heartbeat); its throughput is the items it finished over that time (None before it has any).
    """
    rows = []
    for worker in workers:
        active = max(0.0, worker.last_seen - worker.started_at)
        rate = worker.items_done / active if active > 0 else None
        rows.append(
            {
                "worker_id": worker.worker_id,
                "host": worker.host,
                "pid": worker.pid,
                "started_at": worker.started_at,
                "last_seen": worker.last_seen,
                "items_done": worker.items_done,
                "leases": worker.leases,
                "active_seconds": active,
                "items_per_second": rate,
            }
        )
    return rows


def lease_rows(leases: Sequence[Lease], now: float) -> list[dict[str, Any]]:
    """Return one JSON-ready dict per lease; ``expires_in_seconds`` is negative once it expired.

    ``now`` is this machine's clock; lease expiry is decided by the store's clock (the database server's
    for PostgreSQL), so the remaining time shown is off by any skew between the two.
    """
    return [
        {
            "lease_id": lease.lease_id,
            "batch_id": lease.batch_id,
            "worker_id": lease.worker_id,
            "items": len(lease.items),
            "expires_at": lease.expires_at,
            "expires_in_seconds": lease.expires_at - now,
        }
        for lease in leases
    ]


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _ago(seconds: float) -> str:
    return f"{max(0.0, seconds):.0f}s ago" if seconds < 120 else f"{seconds / 60:.0f}m ago"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def format_workers(workers: Sequence[WorkerRecord], now: float) -> str:
    """Return the workers as an aligned plain-text table (one line per worker, under a header)."""
    if not workers:
        return "workers: none has joined yet"
    rows = []
    for row in worker_rows(workers):
        rate = row["items_per_second"]
        rows.append(
            [
                row["host"],
                str(row["pid"]),
                _stamp(row["started_at"]),
                _ago(now - row["last_seen"]),
                str(row["items_done"]),
                str(row["leases"]),
                "-" if rate is None else f"{rate:.1f}/s",
                row["worker_id"],
            ]
        )
    header = ["host", "pid", "started", "last seen", "done", "leases", "throughput", "worker"]
    return "\n".join([f"workers: {len(workers)}", *("  " + line for line in _table(header, rows))])


def format_leases(leases: Sequence[Lease], now: float) -> str:
    """Return the current leases as an aligned plain-text table (expired ones say so)."""
    if not leases:
        return "leases: none"
    rows = []
    for row in lease_rows(leases, now):
        left = row["expires_in_seconds"]
        expires = f"{left:.1f}s" if left >= 0 else f"expired {-left:.1f}s ago"
        rows.append([row["batch_id"], row["worker_id"], str(row["items"]), expires])
    header = ["batch", "worker", "items", "expires in"]
    return "\n".join([f"leases: {len(leases)}", *("  " + line for line in _table(header, rows))])


def workers_and_leases(store: JournalStore, run_id: str) -> tuple[list[WorkerRecord], list[Lease], float]:
    """Read a run's workers and leases, and the local time they were read at."""
    return store.workers(run_id), store.leases(run_id), time.time()
