"""Runner throughput: a no-op migration journaled in SQLite, beside a bare ``asyncio.gather`` + ``Semaphore``.

The runner's number is end to end: create the run, add every item (FILE_ADDED), claim leased batches
(BATCH_OPENED + FILE_STARTED), run the function under the concurrency limit, report outcomes durably
(FILE_SUCCEEDED), release (BATCH_CLOSED), and fold every journal event into the live tracker. The
baseline does only the calls. ``OMNIMEMORY_BENCH_QUICK=1`` uses 10,000 items instead of 100,000.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path

from benchmarks._util import table, verdict
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 10_000 if QUICK else 100_000
CONCURRENCY = 64
TARGET = 20_000.0


async def noop(item: MigrationItem) -> None:
    """The migration: nothing."""


def baseline(n: int) -> float:
    """Return items/s of ``asyncio.gather`` over n no-op calls under a Semaphore(CONCURRENCY)."""

    async def main() -> float:
        semaphore = asyncio.Semaphore(CONCURRENCY)
        items = [MigrationItem(f"item-{i:07d}") for i in range(n)]

        async def one(item: MigrationItem) -> None:
            async with semaphore:
                await noop(item)

        start = time.perf_counter()
        await asyncio.gather(*(one(item) for item in items))
        return n / (time.perf_counter() - start)

    gc.collect()
    return asyncio.run(main())


def runner(n: int, batch_size: int) -> tuple[float, int]:
    """Return (items/s, succeeded) of a full MigrationRunner run over n items with the SQLite journal."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            keys = [f"item-{i:07d}" for i in range(n)]
            migration = MigrationRunner(
                store,
                "bench",
                IterableSource(keys, name="bench"),
                noop,
                batch_size=batch_size,
                concurrency=CONCURRENCY,
                retry=RetryPolicy(max_attempts=1),
            )
            gc.collect()
            start = time.perf_counter()
            summary = asyncio.run(migration.run())
            elapsed = time.perf_counter() - start
        finally:
            store.close()
    return n / elapsed, summary.succeeded_files


def run() -> str:
    """Measure and return the Markdown section."""
    bare = max(baseline(ITEMS) for _ in range(3))
    rows: list[list[object]] = [["bare `asyncio.gather` + `Semaphore(64)`", "-", f"{bare:,.0f}", "-", "-"]]
    results = {}
    for batch_size in (100, 1000):
        rate, succeeded = max(runner(ITEMS, batch_size) for _ in range(2))
        assert succeeded == ITEMS, f"runner finished {succeeded} of {ITEMS} items"
        results[batch_size] = rate
        rows.append(
            [
                "`MigrationRunner` + SQLite journal",
                batch_size,
                f"{rate:,.0f}",
                f"{bare / rate:,.1f}x",
                verdict(rate >= TARGET) if batch_size == 1000 else "-",
            ]
        )
    return (
        f"## Runner: no-op migration of {ITEMS:,} items at concurrency {CONCURRENCY}\n\n"
        "End to end through the durable SQLite journal (items added, claimed under leases, outcomes "
        "reported in durable batches, every event folded into the live tracker) beside the bare asyncio "
        "calls with no journal at all. Target: at least 20,000 items/s (checked at batch size 1,000).\n\n"
        + table(["variant", "batch size", "items/s", "slower than bare", "target ≥ 20,000/s"], rows)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
