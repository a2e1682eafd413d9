"""Health gating: what a gate costs a no-op run, and how soon claiming stops after a dependency goes down.

Overhead: the same no-op run (SQLite journal, concurrency 64, default batch size) with and without a
``HealthThrottle`` evaluating one check and the host metrics every 5 s, interleaved, best of 3 each.

Reaction: a run of 1 ms items (concurrency 8, batch size 8) gated every ``INTERVAL`` seconds on a check
that the benchmark turns unhealthy at a random moment; the time from then to the last BATCH_OPENED (the
last new claim; 0 when none came after) is read from the journal, over repeated trials.
``OMNIMEMORY_BENCH_QUICK=1`` uses fewer items and trials.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks._util import table, verdict
from omnimemory_kit.events import EventKind
from omnimemory_kit.health import HealthManager
from omnimemory_kit.health.models import CheckResult, HealthCheckConfig
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.throttle import HealthThrottle, ThrottlePolicy, ThrottleRule
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 10_000 if QUICK else 50_000
TRIALS = 8 if QUICK else 20
INTERVAL = 1.0
OVERHEAD_TARGET = 1.02


async def noop(item: MigrationItem) -> None:
    """The migration: nothing."""


def _policy(interval: float) -> ThrottlePolicy:
    rule = ThrottleRule(name="dep down", check="dep", status="degraded", action="throttle")
    return ThrottlePolicy(rules=(rule,), check_interval=interval)


def _manager(state: dict[str, bool], *, resources: bool) -> HealthManager:
    manager = HealthManager(sample_resources=resources)

    async def check() -> CheckResult:
        return CheckResult.unhealthy("down") if state["down"] else CheckResult.healthy()

    manager.register_health_check(HealthCheckConfig(name="dep"), check)
    return manager


def noop_run(gated: bool) -> float:
    """Return items/s of a no-op run over ITEMS items, gated every 5 s or not."""

    async def main(folder: str) -> float:
        store = open_store(Path(folder) / "bench.db")
        manager = _manager({"down": False}, resources=True)
        gate = HealthThrottle(_policy(5.0), manager) if gated else None
        runner = MigrationRunner(
            store, "bench", [f"item-{i:07d}" for i in range(ITEMS)], noop, concurrency=64, throttle=gate
        )
        try:
            start = time.perf_counter()
            summary = await runner.run()
            elapsed = time.perf_counter() - start
        finally:
            manager.close()
            store.close()
        assert summary.succeeded_files == ITEMS
        return ITEMS / elapsed

    with tempfile.TemporaryDirectory() as folder:
        gc.collect()
        return asyncio.run(main(folder))


def reaction_trial(seed: int) -> float:
    """Return seconds from the check going down to the last new claim in one gated run."""

    async def main(folder: str) -> float:
        store = open_store(Path(folder) / "bench.db")
        state = {"down": False}
        manager = _manager(state, resources=False)
        gate = HealthThrottle(_policy(INTERVAL), manager)

        async def work(item: MigrationItem) -> None:
            await asyncio.sleep(0.001)

        runner = MigrationRunner(
            store,
            "react",
            [f"item-{i:06d}" for i in range(20_000)],
            work,
            batch_size=8,
            concurrency=8,
            throttle=gate,
        )
        task = asyncio.ensure_future(runner.run())
        await asyncio.sleep(0.2 + random.Random(seed).random() * INTERVAL)
        state["down"] = True
        down_at = time.time()
        while not gate.decision.holds:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # let the in-flight batch close
        runner.cancel()
        await task
        events = list(store.read_events("react"))
        manager.close()
        store.close()
        opened = [e.at for e in events if e.kind is EventKind.BATCH_OPENED and e.at >= down_at]
        return max(opened, default=down_at) - down_at

    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(main(folder))


def run() -> str:
    """Return the Markdown section."""
    plain: list[float] = []
    gated: list[float] = []
    for _ in range(3):
        plain.append(noop_run(False))
        gated.append(noop_run(True))
    best_plain, best_gated = max(plain), max(gated)
    cost = best_plain / best_gated
    reactions = sorted(reaction_trial(seed) for seed in range(TRIALS))
    p99 = reactions[min(len(reactions) - 1, int(0.99 * len(reactions)))]
    rows = [
        [
            f"no-op run, {ITEMS:,} items, gate every 5 s",
            f"{best_gated:,.0f} items/s",
            f"ungated {best_plain:,.0f} items/s",
            f"{cost:.3f}x time",
            f"≤ {OVERHEAD_TARGET}x",
            verdict(cost <= OVERHEAD_TARGET),
        ],
        [
            f"dependency down → last new claim, {TRIALS} trials, interval {INTERVAL:g} s",
            f"p99 {p99:.2f} s (median {reactions[len(reactions) // 2]:.2f} s)",
            f"interval + 1 s: {INTERVAL + 1:.2f} s",
            "",
            f"≤ {INTERVAL + 1:g} s",
            verdict(p99 <= INTERVAL + 1),
        ],
    ]
    return (
        "## Health gating\n\n"
        "Reproduce with `.venv/bin/python -m benchmarks throttle`. The gated and ungated runs are "
        "interleaved (best of 3 each); reaction times are read from the journal's timestamps.\n\n"
        + table(["case", "measured", "baseline", "ratio", "target", "result"], rows)
    )
