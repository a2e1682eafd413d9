"""Overhead of ``trace_operation`` and ``correlation_context`` when no OpenTelemetry SDK is configured.

Baseline: an ``async with`` over a do-nothing async context manager, measured in the same run. Target: a
traced operation costs at most 5 µs more than the baseline.
"""

from __future__ import annotations

import os

from benchmarks._util import table, time_async, verdict
from omnimemory_kit.observability import OperationType, correlation_context, trace_operation

TARGET_US = 5.0


class _Nothing:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _baseline() -> None:
    async with _Nothing():
        pass


async def _traced() -> None:
    async with trace_operation("op", OperationType.INTERNAL):
        pass


async def _traced_performance() -> None:
    async with trace_operation("op", OperationType.INTERNAL, trace_performance=True):
        pass


async def _correlated() -> None:
    async with correlation_context("req-12345", user_id="user-456", operation="bench"):
        pass


async def _both() -> None:
    async with (
        correlation_context("req-12345", user_id="user-456", operation="bench"),
        trace_operation("op", OperationType.INTELLIGENCE_PROCESS, trace_performance=True),
    ):
        pass


def run() -> str:
    """Measure per-operation overhead over the bare ``async with`` baseline."""
    n = 2_000 if os.environ.get("OMNIMEMORY_BENCH_QUICK") else 100_000
    base = time_async(_baseline, n)
    rows = [("`async with` do-nothing (baseline)", f"{base * 1e6:.2f}", "—", "")]
    traced_overhead = 0.0
    for label, make in (
        ("`trace_operation` (no SDK)", _traced),
        ("`trace_operation(trace_performance=True)` (no SDK)", _traced_performance),
        ("`correlation_context` (3 fields)", _correlated),
        ("both, nested", _both),
    ):
        per_call = time_async(make, n)
        overhead = per_call - base
        target = ""
        if make is _traced or make is _traced_performance:
            target = f"≤ {TARGET_US:g} µs: {verdict(overhead * 1e6 <= TARGET_US)}"
            traced_overhead = max(traced_overhead, overhead)
        rows.append((label, f"{per_call * 1e6:.2f}", f"{overhead * 1e6:.2f}", target))
    return (
        "## Observability: tracing overhead without an SDK\n\n"
        f"{n:,} operations per measurement, best of 5; logging not enabled for `omnimemory_kit.trace`.\n\n"
        + table(["operation", "µs / op", "overhead µs", "target"], rows)
        + f"\n\nTarget: `trace_operation` overhead ≤ {TARGET_US:g} µs — "
        + verdict(traced_overhead * 1e6 <= TARGET_US)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
