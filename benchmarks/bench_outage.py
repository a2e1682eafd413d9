"""Riding out a store outage: what a 5 s outage mid-run costs, and what the outage handling costs without one.

1. **A 5 s outage in the middle of a run.** The same migration (items that each wait 2 ms, concurrency 8,
   SQLite journal) runs twice in one process: once undisturbed, once with every store call failing with
   ``StoreUnavailableError`` for 5 s from the moment half the items have started (failure injection on the
   real store: the calls fail as a lost server's would). The run rides it out; the extra time beyond the
   outage itself is what recovery costs (noticing the store is back, reporting what finished meanwhile).
   Target: outage + at most 2 s.
2. **No outage: the no-op path.** The runner benchmark's no-op migration (concurrency 64, default batch
   size), with the outage gate in place and with it bypassed (each store call awaited directly), runs
   interleaved, best of each. Target: the gate costs at most 2 %.

``OMNIMEMORY_BENCH_QUICK=1`` uses fewer items.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks._util import table, verdict
from omnimemory_kit.errors import StoreUnavailableError
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
OUTAGE = 5.0
SLOW_ITEMS = 1_000 if QUICK else 2_000
NOOP_ITEMS = 10_000 if QUICK else 50_000
T = TypeVar("T")

_CALLS = (
    "append", "read_events", "last_seq", "add_items", "item_counts", "register_worker", "workers", "leases",
    "claim", "heartbeat", "report", "release", "reclaim", "create_run", "get_run",
)  # fmt: skip


class Outage:
    """Make every store call of one store fail for ``seconds`` once ``start()`` is called."""

    def __init__(self, store: JournalStore, seconds: float) -> None:
        self.seconds = seconds
        self.until = 0.0
        self.failed = 0
        for name in _CALLS:
            setattr(store, name, self._wrap(getattr(store, name)))

    def start(self) -> None:
        if not self.until:
            self.until = time.monotonic() + self.seconds

    def _wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < self.until:
                self.failed += 1
                raise StoreUnavailableError("store unavailable: injected outage")
            return call(*args, **kwargs)

        return wrapped


def slow_run(with_outage: bool) -> tuple[float, int, int]:
    """Return (seconds, succeeded, failed calls) of a run whose items wait 2 ms, optionally with an outage."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        outage = Outage(store, OUTAGE)
        half = f"item-{SLOW_ITEMS // 2:07d}"

        async def work(item: MigrationItem) -> None:
            if with_outage and item.key == half:
                outage.start()
            await asyncio.sleep(0.002)

        try:
            migration = MigrationRunner(
                store,
                "bench",
                IterableSource([f"item-{i:07d}" for i in range(SLOW_ITEMS)], name="bench"),
                work,
                batch_size=100,
                concurrency=8,
                retry=RetryPolicy(max_attempts=1),
            )
            start = time.perf_counter()
            summary = asyncio.run(migration.run())
            elapsed = time.perf_counter() - start
        finally:
            store.close()
    return elapsed, summary.succeeded_files, outage.failed


async def _noop(item: MigrationItem) -> None:
    """The migration: nothing."""


class _NoGate:
    """Stands in for the outage gate: each store call awaited directly, as before outages were handled."""

    unavailable_since = None

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        return await attempt()

    def reset(self) -> None:
        pass


def noop_run(gate: bool) -> float:
    """Return items/s of the no-op run, with the outage gate in place or bypassed."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            migration = MigrationRunner(
                store,
                "bench",
                IterableSource([f"item-{i:07d}" for i in range(NOOP_ITEMS)], name="bench"),
                _noop,
                concurrency=64,
                retry=RetryPolicy(max_attempts=1),
            )
            if not gate:
                migration._link.outage = _NoGate()  # type: ignore[assignment]
            gc.collect()
            start = time.perf_counter()
            summary = asyncio.run(migration.run())
            elapsed = time.perf_counter() - start
        finally:
            store.close()
    assert summary.succeeded_files == NOOP_ITEMS
    return NOOP_ITEMS / elapsed


def run() -> str:
    """Measure and return the Markdown section."""
    calm, calm_done, _ = min(slow_run(False) for _ in range(2))
    stormy, stormy_done, failed = min(slow_run(True) for _ in range(2))
    assert calm_done == stormy_done == SLOW_ITEMS, "every item must succeed, outage or not"
    extra = stormy - calm - OUTAGE
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(4):  # interleaved, so drift on a shared machine hits both alike
        for gate in (False, True):
            rates[gate].append(noop_run(gate))
    bypassed, gated = max(rates[False]), max(rates[True])
    overhead = (bypassed / gated - 1) * 100
    outage_rows: list[list[object]] = [
        ["no outage", f"{calm:.2f}", "-", "-"],
        [f"{OUTAGE:g} s outage at half way ({failed:,} store calls refused)", f"{stormy:.2f}",
         f"{extra:+.2f}", verdict(extra <= 2.0)],
    ]  # fmt: skip
    noop_rows: list[list[object]] = [
        ["outage gate bypassed", f"{bypassed:,.0f}", "-", "-"],
        ["outage gate in place (default)", f"{gated:,.0f}", f"{overhead:+.1f} %", verdict(overhead <= 2.0)],
    ]  # fmt: skip
    return (
        "## Store outage: riding it out\n\n"
        f"{SLOW_ITEMS:,} items that each wait 2 ms, concurrency 8, batches of 100, SQLite journal; the "
        f"outage makes every store call fail with `StoreUnavailableError` for {OUTAGE:g} s from the moment "
        "half the items have started (best of 2 runs each). Recovery is the time beyond the outage itself. "
        "Target: at most 2 s.\n\n"
        + table(["run", "seconds", "recovery beyond the outage", "target ≤ 2 s"], outage_rows)
        + f"\n\nNo outage: the no-op migration of {NOOP_ITEMS:,} items at concurrency 64 (default batch "
        "size) with the outage gate in place and bypassed, 4 interleaved runs each, best of each. "
        "Target: the gate costs at most 2 %.\n\n"
        + table(["variant", "items/s", "cost", "target ≤ 2 %"], noop_rows)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
