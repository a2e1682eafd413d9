"""Validation throughput: a no-op validation pass beside the no-op migration of the same run, same journal.

Each round migrates ``ITEMS`` items with a no-op async function (``MigrationRunner``, SQLite journal in a
temporary folder, concurrency 64, default batch size), then validates them with a no-op async check
(``validate_run``, concurrency 64): read the journal, check each succeeded item, append one verdict per
item in durable chunks; then migrates a fresh run with the no-op check pipelined (``validate=noop``: each
batch checked while the next ones run, the run completing once every item is checked). Best of ``ROUNDS``
rounds each, measured in the same rounds.

Target: no-op validation at least 0.8x the no-op migration's throughput, as a separate pass and pipelined
(the run's items migrated and checked per second). ``OMNIMEMORY_BENCH_QUICK=1``
uses 10,000 items instead of 50,000.
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
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 10_000 if QUICK else 50_000
CONCURRENCY = 64
ROUNDS = 2
TARGET_RATIO = 0.8


async def noop(item: MigrationItem) -> None:
    """The migration and the check: nothing (None means valid)."""


def _round(n: int) -> tuple[float, float, float]:
    """Return (migration, validation pass, pipelined migration + validation) items/s over fresh runs."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            keys = [f"item-{i:07d}" for i in range(n)]
            runner = MigrationRunner(store, "bench", IterableSource(keys, name="bench"), noop,
                                     concurrency=CONCURRENCY, retry=RetryPolicy(max_attempts=1))  # fmt: skip
            gc.collect()
            start = time.perf_counter()
            summary = asyncio.run(runner.run())
            migrated = time.perf_counter() - start
            assert summary.succeeded_files == n
            gc.collect()
            start = time.perf_counter()
            checked = asyncio.run(validate_run(store, "bench", noop, concurrency=CONCURRENCY))
            validated = time.perf_counter() - start
            assert checked.validated == n
            runner = MigrationRunner(store, "piped", IterableSource(keys, name="piped"), noop,
                                     concurrency=CONCURRENCY, retry=RetryPolicy(max_attempts=1),
                                     validate=noop)  # fmt: skip
            gc.collect()
            start = time.perf_counter()
            summary = asyncio.run(runner.run())
            piped = time.perf_counter() - start
            assert summary.validation is not None
            assert summary.validation.validated == n
        finally:
            store.close()
    return n / migrated, n / validated, n / piped


def run() -> str:
    """Measure and return the Markdown section."""
    results = [_round(ITEMS) for _ in range(ROUNDS)]
    migration = max(r[0] for r in results)
    validation = max(r[1] for r in results)
    piped = max(r[2] for r in results)
    ratio = validation / migration
    piped_ratio = piped / migration
    rows = [
        ["no-op migration (`MigrationRunner`)", f"{migration:,.0f}", "1.00x"],
        ["no-op validation, separate pass (`validate_run`)", f"{validation:,.0f}", f"{ratio:.2f}x"],
        ["no-op migration with pipelined no-op validation (`validate=`), every item checked",
         f"{piped:,.0f}", f"{piped_ratio:.2f}x"],
    ]  # fmt: skip
    return (
        f"## Validation: no-op check of {ITEMS:,} migrated items\n\n"
        f"Concurrency {CONCURRENCY}, SQLite journal in a temporary folder, best of {ROUNDS} rounds, each "
        "migrating a fresh run, validating it in a separate pass, then migrating another fresh run with the "
        "check pipelined (the run completes once every item is checked). "
        "Reproduce with `python3 dev.py bench validation`.\n\n"
        + table(["pass", "items/s", "vs migration"], rows)
        + f"\n\nTarget: no-op validation ≥ {TARGET_RATIO}x no-op migration throughput. Separate pass — "
        + verdict(ratio >= TARGET_RATIO)
        + "; pipelined, counting items migrated and checked per second — "
        + verdict(piped_ratio >= TARGET_RATIO)
        + "\n"
    )
