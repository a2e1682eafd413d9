"""Riding out a store outage: what a 5 s outage mid-run costs, and what the outage handling costs without one.

1. **A 5 s outage in the middle of a run.** The same migration (items that each wait 2 ms, concurrency 8,
   SQLite journal) runs twice in one process: once undisturbed, once with every store call failing with
   ``StoreUnavailableError`` for 5 s from the moment half the items have started (failure injection on the
   real store: the calls fail as a lost server's would). The run rides it out; the extra time beyond the
   outage itself is what recovery costs (noticing the store is back, reporting what finished meanwhile).
   The same again against a real PostgreSQL server of the benchmark's own (a throwaway ``initdb``
   cluster), stopped at half way and started 5 s later. Target: outage + at most 2 s.
2. **No outage: the no-op path.** The runner benchmark's no-op migration (concurrency 64, default batch
   size), with the outage gate in place and with it bypassed (each store call awaited directly), in
   back-to-back pairs, in CPU time (the machine may be shared); the median of the pairs' costs. Target:
   the gate costs at most 2 %. Beside it, the same from its parts: store calls per run times the gate's
   cost per call.

``OMNIMEMORY_BENCH_QUICK=1`` uses fewer items.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import tempfile
import threading
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
NOOP_PAIRS = 10
T = TypeVar("T")

_CALLS = (
    "append", "read_events", "last_seq", "add_items", "item_counts", "register_worker", "workers", "leases",
    "claim", "heartbeat", "report", "release", "reclaim", "create_run", "create_run_with_blocks", "get_run",
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


def _slow_runner(store: JournalStore, work: Callable[[MigrationItem], Awaitable[None]]) -> MigrationRunner:
    return MigrationRunner(
        store,
        "bench",
        IterableSource([f"item-{i:07d}" for i in range(SLOW_ITEMS)], name="bench"),
        work,
        batch_size=100,
        concurrency=8,
        retry=RetryPolicy(max_attempts=1),
    )


def postgres_run(with_outage: bool) -> tuple[float, float, int]:
    """Return (seconds, outage seconds, succeeded) of the 2 ms run on a throwaway PostgreSQL cluster."""
    from tests.servers import throwaway_postgres  # the cluster helper the outage tests use

    with throwaway_postgres() as cluster:
        store = open_store(cluster.dsn)  # the default pool timeout (5 s)
        half = f"item-{SLOW_ITEMS // 2:07d}"
        outage: list[float] = []

        def stop_for_a_while() -> None:
            began = time.monotonic()
            cluster.stop()
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - began)))
            cluster.start()
            outage.append(time.monotonic() - began)

        async def work(item: MigrationItem) -> None:
            if with_outage and item.key == half:
                threading.Thread(target=stop_for_a_while, daemon=True).start()
            await asyncio.sleep(0.002)

        try:
            migration = _slow_runner(store, work)
            start = time.perf_counter()
            summary = asyncio.run(migration.run())
            elapsed = time.perf_counter() - start
        finally:
            store.close()
    return elapsed, (outage[0] if outage else 0.0), summary.succeeded_files


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
            migration = _slow_runner(store, work)
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


class _CountingGate:
    """Counts the store calls passing through a real gate."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate
        self.calls = 0

    @property
    def unavailable_since(self) -> float | None:
        return self.gate.unavailable_since  # type: ignore[no-any-return]

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        self.calls += 1
        return await self.gate.call(attempt)  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.gate.reset()


def gate_cost_per_call() -> float:
    """Return the seconds the gate adds to one store call that succeeds (best of 5, 100,000 calls)."""
    from benchmarks._util import time_async
    from omnimemory_kit.migration.outage import OutageGate

    gate = OutageGate("bench")

    async def answer() -> int:
        return 1

    gated = time_async(lambda: gate.call(answer), 100_000)
    direct = time_async(answer, 100_000)
    return max(0.0, gated - direct)


def noop_run(gate: bool | _CountingGate) -> float:
    """Return items per CPU second of the no-op run, with the gate in place or bypassed (or counting)."""
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
            if isinstance(gate, _CountingGate):
                gate.gate = migration._link.outage
                migration._link.outage = gate  # type: ignore[assignment]
            elif not gate:
                migration._link.outage = _NoGate()  # type: ignore[assignment]
            gc.collect()
            # CPU time of the process (all its threads): on a machine shared with other jobs, wall time
            # also counts the time they hold the cores, which swamps a difference this small.
            start = time.process_time()
            summary = asyncio.run(migration.run())
            elapsed = time.process_time() - start
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
    pg_calm, _, pg_calm_done = postgres_run(False)
    pg_stormy, pg_outage, pg_stormy_done = postgres_run(True)
    assert pg_calm_done == pg_stormy_done == SLOW_ITEMS, "every item must succeed on PostgreSQL too"
    pg_extra = pg_stormy - pg_calm - pg_outage
    rates: dict[bool, list[float]] = {True: [], False: []}
    costs: list[float] = []
    for pair in range(NOOP_PAIRS):  # a pair runs both back to back, each first in turn
        run_pair = {gate: noop_run(gate) for gate in ((False, True) if pair % 2 else (True, False))}
        for gate, rate in run_pair.items():
            rates[gate].append(rate)
        costs.append((run_pair[False] / run_pair[True] - 1) * 100)
    bypassed, gated = statistics.median(rates[False]), statistics.median(rates[True])
    overhead = statistics.median(costs)
    counting = _CountingGate(None)
    noop_run(counting)
    per_call = gate_cost_per_call()
    share = counting.calls * per_call * gated / NOOP_ITEMS * 100  # of the run's CPU time
    outage_rows: list[list[object]] = [
        ["no outage", f"{calm:.2f}", "-", "-"],
        [f"{OUTAGE:g} s outage at half way ({failed:,} store calls refused)", f"{stormy:.2f}",
         f"{extra:+.2f}", verdict(extra <= 2.0)],
        ["PostgreSQL (throwaway cluster), no outage", f"{pg_calm:.2f}", "-", "-"],
        [f"PostgreSQL stopped at half way, started {pg_outage:.1f} s later", f"{pg_stormy:.2f}",
         f"{pg_extra:+.2f}", verdict(pg_extra <= 2.0)],
    ]  # fmt: skip
    noop_rows: list[list[object]] = [
        ["outage gate bypassed", f"{bypassed:,.0f}", "-", "-"],
        ["outage gate in place (default)", f"{gated:,.0f}",
         f"{overhead:+.1f} % (pairs {min(costs):+.1f} to {max(costs):+.1f} %)", verdict(overhead <= 2.0)],
    ]  # fmt: skip
    return (
        "## Store outage: riding it out\n\n"
        f"{SLOW_ITEMS:,} items that each wait 2 ms, concurrency 8, batches of 100, SQLite journal; the "
        f"outage makes every store call fail with `StoreUnavailableError` for {OUTAGE:g} s from the moment "
        "half the items have started (best of 2 runs each); then the same run against a real PostgreSQL "
        "server (a throwaway cluster, default pool timeout) stopped at half way and started 5 s later "
        "(one run each). Recovery is the time beyond the outage itself. Target: at most 2 s.\n\n"
        + table(["run", "seconds", "recovery beyond the outage", "target ≤ 2 s"], outage_rows)
        + f"\n\nNo outage: the no-op migration of {NOOP_ITEMS:,} items at concurrency 64 (default batch "
        f"size) with the outage gate in place and bypassed, run in {NOOP_PAIRS} back-to-back pairs (each "
        "first in turn), in items per CPU second of the process (its threads included; the machine's other "
        "jobs excluded): the medians, and the median of the pairs' costs. Target: the gate costs at most "
        "2 %.\n\n"
        + table(["variant", "items per CPU second", "cost", "target ≤ 2 %"], noop_rows)
        + f"\n\nThe same from its parts, free of the machine's noise: the run makes {counting.calls:,} store "
        f"calls; the gate adds {per_call * 1e6:.2f} µs to each (an `await` inside a `try`, timed alone over "
        f"100,000 calls), {share:.3f} % of the gated run's time.\n"
    )


if __name__ == "__main__":
    print(run())
