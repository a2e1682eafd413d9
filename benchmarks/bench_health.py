"""Health aggregation: checks run at once (slowest, not sum), hung checks are cut at their timeout, and a
round with host metrics stays cheap.

Targets (issue 3):
- 50 checks each taking 100 ms aggregate in at most 130 ms (the slowest check, not the sum);
- a hung check with a 0.2 s timeout costs the aggregation at most 0.25 s;
- ``get_comprehensive_health()`` with 10 instant checks including resource metrics: under 2 ms per call.

``OMNIMEMORY_BENCH_QUICK=1`` runs fewer rounds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from benchmarks._util import median, table, time_async, verdict
from omnimemory_kit.health import HealthCheckConfig, HealthManager

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ROUNDS = 3 if QUICK else 10
CALLS = 200 if QUICK else 2000


def _manager(*, resources: bool, max_age: float = 1.0) -> HealthManager:
    return HealthManager(sample_resources=resources, resource_max_age=max_age)


async def _slow_round(checks: int, seconds: float, *, sync: bool) -> tuple[float, float]:
    """Return (wall seconds of one aggregation, sum of the checks' own latencies in seconds)."""
    manager = _manager(resources=False)

    async def slow_async() -> bool:
        await asyncio.sleep(seconds)
        return True

    def slow_sync() -> bool:
        time.sleep(seconds)
        return True

    for index in range(checks):
        manager.register_health_check(
            HealthCheckConfig(name=f"dep{index}", timeout=5.0), slow_sync if sync else slow_async
        )
    try:
        start = time.perf_counter()
        response = await manager.get_comprehensive_health()
        wall = time.perf_counter() - start
    finally:
        manager.close()
    summed = sum(dep.latency_ms or 0.0 for dep in response.dependencies.values()) / 1000.0
    return wall, summed


async def _hung_round() -> float:
    manager = _manager(resources=False)
    never = asyncio.Event()

    async def hangs() -> bool:
        await never.wait()
        return True

    async def instant() -> bool:
        return True

    manager.register_health_check(HealthCheckConfig(name="hung", timeout=0.2), hangs)
    for index in range(9):
        manager.register_health_check(HealthCheckConfig(name=f"ok{index}", timeout=5.0), instant)
    start = time.perf_counter()
    response = await manager.get_comprehensive_health()
    wall = time.perf_counter() - start
    manager.close()
    assert response.dependencies["hung"].error is not None
    return wall


def _instant_manager(*, resources: bool, max_age: float = 1.0) -> HealthManager:
    manager = _manager(resources=resources, max_age=max_age)

    async def instant() -> bool:
        return True

    for index in range(10):
        manager.register_health_check(HealthCheckConfig(name=f"dep{index}", timeout=1.0), instant)
    return manager


def _per_call(manager: HealthManager) -> float:
    try:
        return time_async(manager.get_comprehensive_health, CALLS, repeats=3)
    finally:
        manager.close()


def _bare_gather() -> float:
    async def instant() -> bool:
        return True

    async def gather() -> list[bool]:
        return await asyncio.gather(*(instant() for _ in range(10)))

    return time_async(gather, CALLS, repeats=3)


def run() -> str:
    """Measure and return the Markdown section."""
    logging.getLogger("omnimemory_kit.health").setLevel(logging.ERROR)  # status-change warnings are expected
    slow = [asyncio.run(_slow_round(50, 0.1, sync=False)) for _ in range(ROUNDS)]
    slow_wall, slow_sum = median([w for w, _ in slow]), median([s for _, s in slow])
    slow_sync = [asyncio.run(_slow_round(50, 0.1, sync=True)) for _ in range(max(1, ROUNDS // 3))]
    sync_wall = median([w for w, _ in slow_sync])
    hung = median([asyncio.run(_hung_round()) for _ in range(ROUNDS)])
    fresh_resources = _per_call(_instant_manager(resources=True, max_age=0.0))
    with_resources = _per_call(_instant_manager(resources=True))
    without_resources = _per_call(_instant_manager(resources=False))
    gather = _bare_gather()

    rows = [
        [
            "50 async checks x 100 ms, one aggregation",
            f"{slow_wall * 1000:.1f} ms",
            f"sum of the checks: {slow_sum * 1000:.0f} ms",
            "≤ 130 ms",
            verdict(slow_wall <= 0.130),
        ],
        [
            "50 sync checks x 100 ms (worker threads)",
            f"{sync_wall * 1000:.1f} ms",
            f"sum of the checks: {slow_sum * 1000:.0f} ms",
            "(informational)",
            "",
        ],
        [
            "1 check hung (timeout 0.2 s) + 9 instant",
            f"{hung * 1000:.1f} ms",
            "timeout: 200 ms",
            "≤ 250 ms",
            verdict(hung <= 0.250),
        ],
        [
            "10 instant checks + host metrics sampled fresh every call",
            f"{fresh_resources * 1e6:.0f} µs",
            f"bare gather of 10: {gather * 1e6:.1f} µs",
            "< 2 ms",
            verdict(fresh_resources < 0.002),
        ],
        [
            "10 instant checks + host metrics (default: sample reused for ≤ 1 s)",
            f"{with_resources * 1e6:.0f} µs",
            f"bare gather of 10: {gather * 1e6:.1f} µs",
            "< 2 ms",
            verdict(with_resources < 0.002),
        ],
        [
            "10 instant checks, no host metrics, per call",
            f"{without_resources * 1e6:.0f} µs",
            f"bare gather of 10: {gather * 1e6:.1f} µs",
            "(informational)",
            "",
        ],
    ]
    return (
        "## Health aggregation\n\n"
        "Checks run at once, each under its own timeout; the baseline column is what a sequential or bare "
        f"implementation would cost. Median of {ROUNDS} aggregations; per-call times are the best of 3 "
        f"runs of {CALLS} calls.\n\n" + table(["case", "measured", "baseline", "target", "result"], rows)
    )


if __name__ == "__main__":
    print(run())
