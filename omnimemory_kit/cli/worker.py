"""``omnimemory-kit worker``: join an existing run and work it until nothing is left; the workers view.

Many workers (on many machines against one PostgreSQL database, or processes on one machine sharing a SQLite
file) work the same run: each claims batches under leases, heartbeats them, and takes back the leases of
workers that died. Exit codes follow ``omnimemory_kit.cli``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console

from omnimemory_kit.cli import EXIT_INTERRUPTED
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.options import isolation
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT
from omnimemory_kit.migration.worker import join_run
from omnimemory_kit.store import JournalStore, Lease, WorkerRecord

__all__ = ["format_leases", "format_workers", "lease_rows", "worker_command", "worker_rows"]


# --- the workers view (also used by ``status``) ---------------------------------------------------------


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


# --- worker ----------------------------------------------------------------------------------------------


@click.command("worker")
@click.option("--store", "store_url", required=True, help="The run's store URL (postgresql://... or a file).")
@click.option("--run-id", "run_id", required=True, help="The run to join (created by migrate --create-only).")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Items in flight at once.")
@click.option("--batch-size", type=int, default=None, help="Items per claimed batch (default: the run's).")
@click.option(
    "--function",
    "function_spec",
    default=None,
    help="The migration function, module:function or file.py:function (default: the one the run records).",
)
@click.option(
    "--lease-seconds",
    type=float,
    default=60.0,
    show_default=True,
    help="How long a claimed batch is held between heartbeats; a dead worker's items return after it.",
)
@click.option(
    "--outage-timeout",
    type=float,
    default=DEFAULT_OUTAGE_TIMEOUT,
    show_default=True,
    help="Seconds to ride out a store outage (no new claims, outcomes kept) before giving up with exit 3.",
)
@click.option(
    "--isolate",
    default="thread",
    show_default=True,
    help="Where a sync function runs: thread, or process (a hung call is killed with its process).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final summary as JSON.")
def worker_command(
    store_url: str,
    run_id: str,
    concurrency: int,
    batch_size: int | None,
    function_spec: str | None,
    lease_seconds: float,
    outage_timeout: float,
    isolate: str,
    as_json: bool,
) -> None:
    """Join an existing run and work it until no item is left (other workers may share it).

    The run's items are not listed again: they are in the store. The migration function is the one
    recorded with the run unless --function names another place to load it from.
    """
    from omnimemory_kit.cli.migrate import (
        _errors_to_exit,
        _open,
        _outcome_code,
        _ProgressBar,
        _run_interruptibly,
        check_outage_timeout,
        format_summary,
    )

    with _errors_to_exit():
        if concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, not {concurrency}")
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, not {batch_size}")
        if not lease_seconds > 0:
            raise ConfigError(f"--lease-seconds must be a positive number of seconds, not {lease_seconds}")
        check_outage_timeout(outage_timeout)
        isolation(isolate, "--isolate")
        fn = load_function(function_spec) if function_spec is not None else None
        store = _open(store_url, create=False)
    console = Console(stderr=True)
    try:
        with _errors_to_exit():
            runner = join_run(
                store,
                run_id,
                fn,
                concurrency=concurrency,
                batch_size=batch_size,
                lease_seconds=lease_seconds,
                outage_timeout=outage_timeout,
                isolate=isolation(isolate),
            )
            bar = _ProgressBar(console, f"{run_id} ({runner.worker_id})")
            runner.on_progress = bar.update
            with bar.progress:
                summary = _run_interruptibly(runner.run, runner.cancel)
                bar.update(summary)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("interrupted: stopped; this worker's unfinished items go back to the others", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        store.close()
    click.echo(summary.model_dump_json(indent=2) if as_json else format_summary(summary))
    sys.exit(_outcome_code(summary, runner))
