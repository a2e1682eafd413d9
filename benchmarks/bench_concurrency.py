"""Concurrency primitives side by side with asyncio's own and with psycopg_pool.

- FairSemaphore vs ``asyncio.Semaphore``, uncontended ``async with`` (target: at most 1.5x).
- PriorityLock vs ``asyncio.Lock``, uncontended ``async with`` (target: at most 2x).
- AsyncConnectionPool vs psycopg_pool's ``AsyncConnectionPool``: checkout + return of an idle real psycopg
  connection to the real PostgreSQL, same number of operations (target: no slower than psycopg_pool).
- 1,000 tasks contending for 10 permits: overtakes (a grant out of arrival order) and throughput
  (target: zero overtakes).

``OMNIMEMORY_BENCH_QUICK=1`` runs small sizes.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool as PsycopgPool

from benchmarks._util import table, verdict
from omnimemory_kit import AsyncConnectionPool, ConnectionPoolConfig, FairSemaphore, PriorityLock

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")

UNCONTENDED_OPS = 20_000 if QUICK else 200_000
POOL_OPS = 2_000 if QUICK else 20_000
REPEATS = 3 if QUICK else 7
TASKS = 1_000
ROUNDS = 3 if QUICK else 10


async def _per_op(cm: AbstractAsyncContextManager[Any], n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        async with cm:
            pass
    return (time.perf_counter() - start) / n


async def _interleaved(
    makers: dict[str, Callable[[], AbstractAsyncContextManager[Any]]], n: int
) -> dict[str, float]:
    """Best per-op time of each contender, alternating them so machine noise hits all alike."""
    best = dict.fromkeys(makers, float("inf"))
    for _ in range(REPEATS):
        for name, make in makers.items():
            best[name] = min(best[name], await _per_op(make(), n))
    return best


async def _pool_per_op(pool: Any, n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        async with pool.connection():
            pass
    return (time.perf_counter() - start) / n


async def _pools() -> tuple[float, float]:
    async def connect() -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(PG_DSN, autocommit=True)

    ours: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
        connect, config=ConnectionPoolConfig(min_size=1, max_size=1), name="bench"
    )
    theirs = PsycopgPool(PG_DSN, min_size=1, max_size=1, open=False, kwargs={"autocommit": True})
    await ours.open()
    await theirs.open(wait=True)
    best_ours = best_theirs = float("inf")
    try:
        for _ in range(REPEATS):
            best_ours = min(best_ours, await _pool_per_op(ours, POOL_OPS))
            best_theirs = min(best_theirs, await _pool_per_op(theirs, POOL_OPS))
    finally:
        await ours.close()
        await theirs.close()
    return best_ours, best_theirs


async def _contention(semaphore: Any) -> tuple[int, float]:
    """Run TASKS tasks x ROUNDS acquisitions each; return (overtakes, acquisitions per second)."""
    arrivals: list[int] = []
    grants: list[int] = []

    async def worker(i: int) -> None:
        for r in range(ROUNDS):
            ticket = i * ROUNDS + r
            arrivals.append(ticket)
            async with semaphore:
                grants.append(ticket)
                await asyncio.sleep(0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(TASKS)))
    elapsed = time.perf_counter() - start
    position = {ticket: k for k, ticket in enumerate(arrivals)}
    # An overtake: a grant to a ticket that arrived after one still waiting to be granted.
    overtakes = 0
    highest = -1
    for ticket in grants:
        if position[ticket] < highest:
            overtakes += 1
        highest = max(highest, position[ticket])
    return overtakes, len(grants) / elapsed


def run() -> str:
    """Measure and return the Markdown section."""

    async def measure() -> dict[str, Any]:
        semaphores = await _interleaved(
            {"asyncio.Semaphore": lambda: asyncio.Semaphore(10), "FairSemaphore": lambda: FairSemaphore(10)},
            UNCONTENDED_OPS,
        )
        locks = await _interleaved(
            {"asyncio.Lock": asyncio.Lock, "PriorityLock": PriorityLock}, UNCONTENDED_OPS
        )
        pools = await _pools()
        fair = (0, 0.0)
        plain = (0, 0.0)
        for _ in range(2 if QUICK else 3):  # interleaved; keep the worst overtakes and the best rate
            f, p = await _contention(FairSemaphore(10)), await _contention(asyncio.Semaphore(10))
            fair = (max(fair[0], f[0]), max(fair[1], f[1]))
            plain = (max(plain[0], p[0]), max(plain[1], p[1]))
        return {"semaphores": semaphores, "locks": locks, "pools": pools, "fair": fair, "plain": plain}

    r = asyncio.run(measure())
    sem, lock = r["semaphores"], r["locks"]
    sem_ratio = sem["FairSemaphore"] / sem["asyncio.Semaphore"]
    lock_ratio = lock["PriorityLock"] / lock["asyncio.Lock"]
    ours, theirs = r["pools"]
    pool_ratio = ours / theirs
    (fair_overtakes, fair_rate), (plain_overtakes, plain_rate) = r["fair"], r["plain"]

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:.2f} µs"

    rows = [
        [
            f"uncontended acquire+release ({UNCONTENDED_OPS:,} ops)",
            f"FairSemaphore {us(sem['FairSemaphore'])}",
            f"asyncio.Semaphore {us(sem['asyncio.Semaphore'])}",
            f"{sem_ratio:.2f}x",
            "<= 1.5x",
            verdict(sem_ratio <= 1.5),
        ],
        [
            f"uncontended acquire+release ({UNCONTENDED_OPS:,} ops)",
            f"PriorityLock {us(lock['PriorityLock'])}",
            f"asyncio.Lock {us(lock['asyncio.Lock'])}",
            f"{lock_ratio:.2f}x",
            "<= 2x",
            verdict(lock_ratio <= 2.0),
        ],
        [
            f"checkout+return of an idle psycopg connection ({POOL_OPS:,} ops)",
            f"AsyncConnectionPool {us(ours)}",
            f"psycopg_pool {us(theirs)}",
            f"{pool_ratio:.2f}x",
            "<= 1x",
            verdict(pool_ratio <= 1.0),
        ],
        [
            f"{TASKS:,} tasks x {ROUNDS} acquisitions, 10 permits",
            f"FairSemaphore {fair_overtakes} overtakes, {fair_rate:,.0f} acq/s",
            f"asyncio.Semaphore {plain_overtakes} overtakes, {plain_rate:,.0f} acq/s",
            f"{fair_rate / plain_rate:.2f}x throughput",
            "0 overtakes",
            verdict(fair_overtakes == 0),
        ],
    ]
    return (
        "## Concurrency primitives\n\n"
        "Best of several interleaved runs per contender; ratios are ours / baseline (lower is better for "
        "times).\n\n" + table(["measurement", "ours", "baseline", "ratio", "target", "result"], rows) + "\n"
    )


if __name__ == "__main__":
    print(run())
