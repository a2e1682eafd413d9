"""Small helpers shared by the benchmarks: timing loops and Markdown tables."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence


def best_of(repeats: int, fn: Callable[[], float]) -> float:
    """Run ``fn`` (which returns a duration) ``repeats`` times and return the fastest (least noisy)."""
    return min(fn() for _ in range(repeats))


def time_sync(fn: Callable[[], object], n: int, repeats: int = 5) -> float:
    """Return the best per-call time in seconds of ``fn`` over ``n`` calls."""

    def once() -> float:
        gc.collect()
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n

    return best_of(repeats, once)


def time_async(make: Callable[[], Awaitable[object]], n: int, repeats: int = 5) -> float:
    """Return the best per-call time in seconds of awaiting ``make()`` over ``n`` calls in one loop."""

    async def once() -> float:
        start = time.perf_counter()
        for _ in range(n):
            await make()
        return (time.perf_counter() - start) / n

    def run_once() -> float:
        gc.collect()
        return asyncio.run(once())

    return best_of(repeats, run_once)


def median(values: Sequence[float]) -> float:
    """Return the median."""
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    """Render whether a target was met."""
    return "met" if ok else "**missed**"
