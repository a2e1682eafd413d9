"""Validation throughput: a no-op validation pass beside the no-op migration of the same run, same journal.

Each round migrates ``ITEMS`` items with a no-op async function (``MigrationRunner``, SQLite journal in a
temporary folder, concurrency 64, default batch size), then validates them with a no-op async check
(``validate_run``, concurrency 64): read the journal, check each succeeded item, append one verdict per
item in durable chunks; then migrates a fresh run with the no-op check pipelined (``validate=noop``: each
batch checked while the next ones run, the run completing once every item is checked), and another with a
no-op sync check. ``ROUNDS`` rounds, alternating which goes first; each run is compared with the
migration of its own round and the median of those ratios is reported, in wall time and in process CPU
time (every thread's; the steadier figure on a shared machine).

Target: no-op validation at least 0.8x the no-op migration's throughput, as a separate pass and pipelined
(the run's items migrated and checked per second). ``OMNIMEMORY_BENCH_QUICK=1``
uses 10,000 items instead of 50,000.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._util import table, verdict
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 10_000 if QUICK else 50_000
CONCURRENCY = 64
ROUNDS = 5
TARGET_RATIO = 0.8


async def noop(item: MigrationItem) -> None:
    """The migration and the check: nothing (None means valid)."""


def sync_noop(item: MigrationItem) -> None:
    """A sync check that does nothing (checked on the validation's threads)."""


Timing = tuple[float, float]
"""Items per second of wall time and of process CPU time."""


def _timed(n: int, work: Callable[[], object]) -> Timing:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def _round(n: int, piped_first: bool) -> list[Timing]:
    """Return the timings of the migration, the separate pass, and the pipelined runs (async, sync check),
    the pipelined runs measured first when ``piped_first`` (rounds alternate: neither order is favoured)."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            keys = [f"item-{i:07d}" for i in range(n)]

            def migrate(run_id: str, validate: Callable[[MigrationItem], object] | None) -> None:
                runner = MigrationRunner(store, run_id, IterableSource(keys, name=run_id), noop,
                                         concurrency=CONCURRENCY, retry=RetryPolicy(max_attempts=1),
                                         validate=validate)  # fmt: skip
                summary = asyncio.run(runner.run())
                assert summary.succeeded_files == n
                assert validate is None or (
                    summary.validation is not None and summary.validation.validated == n
                )

            def check() -> None:
                checked = asyncio.run(validate_run(store, "bench", noop, concurrency=CONCURRENCY))
                assert checked.validated == n

            if piped_first:
                piped = [
                    _timed(n, lambda: migrate("piped", noop)),
                    _timed(n, lambda: migrate("piped-sync", sync_noop)),
                ]
                return [_timed(n, lambda: migrate("bench", None)), _timed(n, check), *piped]
            first = [_timed(n, lambda: migrate("bench", None)), _timed(n, check)]
            return [
                *first,
                _timed(n, lambda: migrate("piped", noop)),
                _timed(n, lambda: migrate("piped-sync", sync_noop)),
            ]
        finally:
            store.close()


def run() -> str:
    """Measure and return the Markdown section."""
    results = [_round(ITEMS, piped_first=bool(i % 2)) for i in range(ROUNDS)]
    best = [(max(r[i][0] for r in results), max(r[i][1] for r in results)) for i in range(4)]
    # each variant against the migration of its own round (same conditions), the median over the rounds:
    # the best of each alone would set a lucky round of one against the other's
    ratios = [
        (
            statistics.median(r[i][0] / r[0][0] for r in results),
            statistics.median(r[i][1] / r[0][1] for r in results),
        )
        for i in range(4)
    ]
    names = [
        "no-op migration (`MigrationRunner`)",
        "no-op validation, separate pass (`validate_run`)",
        "no-op migration with pipelined no-op async check (`validate=`), every item checked",
        "the same with a no-op sync check (run on the validation's threads)",
    ]
    rows = [
        [name, f"{w:,.0f}", f"{rw:.2f}x", f"{c:,.0f}", f"{rc:.2f}x"]
        for name, (w, c), (rw, rc) in zip(names, best, ratios, strict=True)
    ]
    low = [min(r[2][0] / r[0][0] for r in results), max(r[2][0] / r[0][0] for r in results)]
    ratio, piped_ratio = ratios[1][0], ratios[2][0]
    return (
        f"## Validation: no-op check of {ITEMS:,} migrated items\n\n"
        f"Concurrency {CONCURRENCY}, SQLite journal in a temporary folder, {ROUNDS} rounds, each on a "
        "fresh store: migrating a fresh run and validating it in a separate pass, and migrating two more "
        "fresh runs with the check pipelined, async then sync (a run completes once every item is "
        "checked); every other round measures the pipelined runs first. Items/s: the best round, counted "
        "over wall time and over the process's CPU time (all threads: steadier on a shared machine). "
        "'vs migration': each run against the migration of its own round, the median over the rounds "
        f"(pipelined async: {low[0]:.2f}x to {low[1]:.2f}x). "
        "Reproduce with `python3 dev.py bench validation`.\n\n"
        + table(["pass", "items/s", "vs migration", "items per CPU-s", "vs migration (CPU)"], rows)
        + f"\n\nTarget: no-op validation ≥ {TARGET_RATIO}x no-op migration throughput. Separate pass — "
        + verdict(ratio >= TARGET_RATIO)
        + "; pipelined, counting items migrated and checked per second — "
        + verdict(piped_ratio >= TARGET_RATIO)
        + "\n"
    )
