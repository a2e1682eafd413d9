"""Where a no-op run's CPU goes: the event loop's thread against the rest of the process, per item.

The runner benchmark's migration (``bench_runner``: SQLite journal, 100,000 no-op items, concurrency 64, the
default batch size) measured as CPU time, which holds still when other work shares the machine where wall
time does not: ``time.thread_time()`` around ``asyncio.run`` is the loop's thread (item workers, outcome
events, the tracker's fold, claims and reports handed to the store thread), ``time.process_time()`` all
threads (the store thread's SQLite work besides). The bare ``asyncio.gather`` + ``Semaphore(64)`` over the
same calls runs on the loop alone. Best of 3 alternated rounds. ``OMNIMEMORY_BENCH_QUICK=1``: 10,000 items.

    PYTHONPATH=. python -m benchmarks loop_cost
"""

from __future__ import annotations

import time

from benchmarks._util import table
from benchmarks.bench_runner import CONCURRENCY, ITEMS, bare_spent, runner_spent

ROUNDS = 3


def cpu() -> tuple[float, ...]:
    """The loop's thread and the whole process, CPU seconds."""
    return time.thread_time(), time.process_time()


def bare(n: int) -> tuple[float, ...]:
    """Return (loop thread, process) CPU seconds of the bare calls over n items."""
    return bare_spent(n, cpu)


def runner(n: int) -> tuple[float, ...]:
    """Return (loop thread, process) CPU seconds of a full run over n items with the SQLite journal."""
    spent, succeeded = runner_spent(n, None, cpu)
    assert succeeded == n, f"runner finished {succeeded} of {n} items"
    return spent


def run() -> str:
    """Measure and return the Markdown section."""
    best_bare: tuple[float, ...] = (float("inf"), float("inf"))
    best_runner = best_bare
    for _ in range(ROUNDS):
        best_bare = min(best_bare, bare(ITEMS), key=lambda cpu: cpu[1])
        best_runner = min(best_runner, runner(ITEMS), key=lambda cpu: cpu[1])

    def per_item(seconds: float) -> str:
        return f"{seconds / ITEMS * 1e6:.1f}"

    rows = [
        ["bare `asyncio.gather` + `Semaphore(64)`", per_item(best_bare[0]), per_item(best_bare[1]), "-"],
        [
            "`MigrationRunner` + SQLite journal, default batch",
            per_item(best_runner[0]),
            per_item(best_runner[1]),
            per_item(best_runner[1] - best_runner[0]),
        ],
    ]
    return (
        f"## Runner: CPU per item on the event loop ({ITEMS:,} no-op items, concurrency {CONCURRENCY})\n\n"
        "The runner benchmark's migration measured as CPU time (steady when the machine is shared): "
        "the loop's thread (`time.thread_time()` around `asyncio.run`) against the whole process; the "
        f"rest is the store thread's. Best of {ROUNDS} alternated rounds. Command: `PYTHONPATH=. python "
        "-m benchmarks loop_cost`.\n\n"
        + table(["variant", "loop thread µs/item", "process µs/item", "other threads µs/item"], rows)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
