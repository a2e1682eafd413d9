"""Success-path overhead of the circuit breaker and of retry, beside peer libraries in the same run.

Breaker: ours (``call`` and the decorator) vs aiobreaker (``call_async``), purgatory (``async with`` on a
breaker fetched once and reused, as in FIELD-NOTES) and circuitbreaker (the ``@circuit``-style decorator
on an ``async def``). Retry: ours (``call`` and ``@retry``) vs tenacity (``@retry`` on an ``async def``
and the ``AsyncRetrying`` loop) and backoff (``@backoff.on_exception`` on an ``async def``).

Every candidate awaits the same no-op coroutine function; overhead = its time per call minus a bare
``await f()``. Candidates are measured round-robin and the best round is kept, so drift on a shared
machine hits all of them alike. ``OMNIMEMORY_BENCH_QUICK=1`` shrinks the sizes.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable

from benchmarks._util import table, verdict

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
# Many short rounds, best kept: on a shared machine the minimum of short samples filters interference best.
CALLS = 10_000 if QUICK else 50_000
ROUNDS = 5 if QUICK else 20

BREAKER_TARGET_US = 0.3
RETRY_TARGET_US = 2.0


async def _noop() -> int:
    return 1


Loop = Callable[[int], Awaitable[None]]


def _measure(loops: dict[str, Loop], calls: int, rounds: int) -> dict[str, float]:
    """Return the best seconds per call of each loop, measured round-robin in one event loop."""

    async def main() -> dict[str, float]:
        best = dict.fromkeys(loops, float("inf"))
        for loop in loops.values():  # warm up caches and lazy imports
            await loop(min(calls, 1000))
        for _ in range(rounds):
            for name, loop in loops.items():
                gc.collect()
                gc.disable()
                try:
                    start = time.perf_counter()
                    await loop(calls)
                    elapsed = time.perf_counter() - start
                finally:
                    gc.enable()
                best[name] = min(best[name], elapsed / calls)
        return best

    return asyncio.run(main())


def _breaker_loops() -> dict[str, Loop]:
    import aiobreaker
    import circuitbreaker
    from purgatory import AsyncCircuitBreakerFactory

    from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig

    f = _noop
    ours = AsyncCircuitBreaker("bench")
    ours_protected = AsyncCircuitBreaker("bench-decorator")(f)
    ours_timed = AsyncCircuitBreaker("bench-timed", CircuitBreakerConfig(timeout=60.0))
    aio = aiobreaker.CircuitBreaker(fail_max=5)
    fabfuel = circuitbreaker.CircuitBreaker(failure_threshold=5, recovery_timeout=30)(f)
    factory = AsyncCircuitBreakerFactory(default_threshold=5, default_ttl=30)
    purgatory_breaker = asyncio.run(factory.get_breaker("bench"))

    async def bare(n: int) -> None:
        for _ in range(n):
            await f()

    async def ours_call(n: int) -> None:
        for _ in range(n):
            await ours.call(f)

    async def ours_decorator(n: int) -> None:
        for _ in range(n):
            await ours_protected()

    async def ours_with_timeout(n: int) -> None:
        for _ in range(n):
            await ours_timed.call(f)

    async def aiobreaker_call(n: int) -> None:
        for _ in range(n):
            await aio.call_async(f)

    async def purgatory_reused(n: int) -> None:
        for _ in range(n):
            async with purgatory_breaker:
                await f()

    async def circuitbreaker_decorator(n: int) -> None:
        for _ in range(n):
            await fabfuel()

    return {
        "bare `await f()`": bare,
        "omnimemory-kit `breaker.call(f)`": ours_call,
        "omnimemory-kit `@breaker`": ours_decorator,
        "omnimemory-kit `call` with timeout=60 (info)": ours_with_timeout,
        "aiobreaker `call_async(f)`": aiobreaker_call,
        "purgatory `async with` (breaker reused)": purgatory_reused,
        "circuitbreaker `@circuit`": circuitbreaker_decorator,
    }


def _retry_loops() -> dict[str, Loop]:
    import backoff
    import tenacity

    from omnimemory_kit.resilience import RetryPolicy, retry

    f = _noop
    policy = RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0)
    ours_decorated = retry(policy)(f)
    tenacity_decorated = tenacity.retry(stop=tenacity.stop_after_attempt(3))(f)
    backoff_decorated = backoff.on_exception(backoff.expo, Exception, max_tries=3)(f)

    async def bare(n: int) -> None:
        for _ in range(n):
            await f()

    async def ours_call(n: int) -> None:
        for _ in range(n):
            await policy.call(f)

    async def ours_decorator(n: int) -> None:
        for _ in range(n):
            await ours_decorated()

    async def tenacity_decorator(n: int) -> None:
        for _ in range(n):
            await tenacity_decorated()

    async def tenacity_async_retrying(n: int) -> None:
        for _ in range(n):
            async for attempt in tenacity.AsyncRetrying(stop=tenacity.stop_after_attempt(3)):
                with attempt:
                    await f()

    async def backoff_decorator(n: int) -> None:
        for _ in range(n):
            await backoff_decorated()

    return {
        "bare `await f()`": bare,
        "omnimemory-kit `policy.call(f)`": ours_call,
        "omnimemory-kit `@retry(policy)`": ours_decorator,
        "tenacity `@retry`": tenacity_decorator,
        "tenacity `AsyncRetrying`": tenacity_async_retrying,
        "backoff `@on_exception`": backoff_decorator,
    }


def _rows(results: dict[str, float]) -> tuple[float, list[list[str]]]:
    bare = results["bare `await f()`"]
    rows = []
    for name, seconds in results.items():
        overhead = (seconds - bare) * 1e6
        ratio = f"{seconds / bare:.1f}x"
        rows.append([name, f"{seconds * 1e6:.3f}", "—" if seconds == bare else f"{overhead:.3f}", ratio])
    return bare, rows


def run() -> str:
    """Measure both success paths and return the Markdown section."""
    breaker = _measure(_breaker_loops(), CALLS, ROUNDS)
    retry_calls = max(CALLS // 4, 2_500)  # tenacity is ~20 µs a call: keep the run short
    retrying = _measure(_retry_loops(), retry_calls, ROUNDS)

    bare_b, breaker_rows = _rows(breaker)
    ours_b = (breaker["omnimemory-kit `breaker.call(f)`"] - bare_b) * 1e6
    peers_b = {
        name: (seconds - bare_b) * 1e6
        for name, seconds in breaker.items()
        if name.startswith(("aiobreaker", "purgatory", "circuitbreaker"))
    }
    bare_r, retry_rows = _rows(retrying)
    ours_r = (retrying["omnimemory-kit `policy.call(f)`"] - bare_r) * 1e6
    ours_r_decorated = (retrying["omnimemory-kit `@retry(policy)`"] - bare_r) * 1e6

    headers = ["candidate", "µs per call", "overhead µs", "vs bare"]
    targets = [
        [
            f"breaker overhead ≤ {BREAKER_TARGET_US} µs (no per-call timeout)",
            f"{ours_b:.3f} µs",
            verdict(ours_b <= BREAKER_TARGET_US),
        ],
        [
            "breaker overhead below aiobreaker, purgatory and circuitbreaker",
            f"{ours_b:.3f} vs best peer {min(peers_b.values()):.3f} µs",
            verdict(all(ours_b < peer for peer in peers_b.values())),
        ],
        [
            f"retry overhead ≤ {RETRY_TARGET_US} µs (`call` / `@retry`)",
            f"{ours_r:.3f} / {ours_r_decorated:.3f} µs",
            verdict(max(ours_r, ours_r_decorated) <= RETRY_TARGET_US),
        ],
    ]
    size = f"{CALLS:,} breaker calls and {retry_calls:,} retry calls per round, best of {ROUNDS} rounds"
    return "\n\n".join(
        [
            "## Resilience: circuit breaker and retry success paths",
            f"Successful calls of a no-op coroutine function ({size}{', quick mode' if QUICK else ''}).",
            "### Circuit breaker\n\n" + table(headers, breaker_rows),
            "### Retry\n\n" + table(headers, retry_rows),
            "### Targets\n\n" + table(["target", "measured", "result"], targets),
        ]
    )


if __name__ == "__main__":
    print(run())
