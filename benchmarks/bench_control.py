"""Control channel: command-to-effect latency, and what following the channel costs the no-op runner.

Latency: a ``RunControl`` in one thread gives alternating ``pause``/``resume`` commands; followers
(``ControlLink``, exactly what each runner runs, each on its own store connection) record when their
state changes. Latency = change seen - command journaled. One follower on SQLite (the change counter,
polled) and four on PostgreSQL (LISTEN/NOTIFY, polling as fallback).

Cost: the same no-op run (``bench_runner``'s shape) with and without ``follow_control``, side by side.
``OMNIMEMORY_BENCH_QUICK=1`` gives fewer commands and items.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

from benchmarks._util import table, verdict
from omnimemory_kit.clock import SYSTEM_CLOCK
from omnimemory_kit.migration.control import ControlState
from omnimemory_kit.migration.control_link import ControlLink
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import RunRecord, open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
COMMANDS = 20 if QUICK else 60
ITEMS = 5_000 if QUICK else 30_000
PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(url: str, followers: int) -> list[float]:
    """Give COMMANDS commands; return each follower's delay for each, in seconds."""
    with open_store(url) as setup:
        setup.create_run(RunRecord(run_id="r1", name="r1"))
    seen: list[list[tuple[int, float]]] = [[] for _ in range(followers)]
    given: list[tuple[int, float]] = []
    ready = threading.Event()
    done = threading.Event()

    async def follow() -> None:
        stores = [open_store(url) for _ in range(followers)]
        links = [
            ControlLink(store, "r1", worker_id=f"w{n}", host="bench", clock=SYSTEM_CLOCK)
            for n, store in enumerate(stores)
        ]
        for n, link in enumerate(links):

            def record(state: ControlState, n: int = n) -> None:
                seen[n].append((len(state.history), time.time()))

            link.add_listener(record)
            link.start()
        ready.set()
        while not done.is_set():
            await asyncio.sleep(0.05)
        for link in links:
            await link.stop()
        for store in stores:
            store.close()

    thread = threading.Thread(target=lambda: asyncio.run(follow()))
    thread.start()
    ready.wait()
    time.sleep(0.5)  # the followers are waiting on the channel
    with open_store(url) as store:
        control = RunControl(store, "r1", who="bench@bench")
        for number in range(1, COMMANDS + 1):
            command = control.pause() if number % 2 else control.resume()
            given.append((number, command.at))
            time.sleep(0.1)  # commands come from people: far apart compared with their delivery
        control.close()
        time.sleep(1.5)
    done.set()
    thread.join()
    delays: list[float] = []
    for follower in seen:
        first_seen: dict[int, float] = {}
        for count, at in follower:
            first_seen.setdefault(count, at)
        for number, at in given:
            # a follower folding two commands at once sees the earlier one when it sees the later
            when = min((t for c, t in first_seen.items() if c >= number), default=None)
            assert when is not None, f"command {number} never reached a follower"
            delays.append(when - at)
    return delays


def postgres_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}", schema


async def noop(item: MigrationItem) -> None:
    """The migration function that does nothing."""


def runner_rate(follow: bool) -> float:
    """Return items/s of a no-op SQLite run, following the control channel or not."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            keys = [f"item-{i:07d}" for i in range(ITEMS)]
            runner = MigrationRunner(
                store, "bench", IterableSource(keys, name="bench"), noop, concurrency=64,
                retry=RetryPolicy(max_attempts=1), follow_control=follow,
            )  # fmt: skip
            gc.collect()
            start = time.perf_counter()
            asyncio.run(runner.run())
            return ITEMS / (time.perf_counter() - start)
        finally:
            store.close()


def run() -> str:
    """Measure and return the Markdown section."""
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite = latencies(f"sqlite:///{Path(folder) / 'control.db'}", 1)
    url, schema = postgres_url()
    try:
        pg = latencies(url, 4)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    for name, delays, p50_target in (
        ("SQLite, 1 runner (change counter, polled)", sqlite, None),
        ("PostgreSQL, 4 runners (LISTEN/NOTIFY)", pg, 0.1),
    ):
        p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
        ok = p99 <= 1.0 and (p50_target is None or p50 <= p50_target)
        rows.append([name, len(delays), f"{p50 * 1000:.0f}", f"{p99 * 1000:.0f}", verdict(ok)])
    # Alternate the two variants so load on the machine falls on both alike; best of three each.
    plain: list[float] = []
    followed: list[float] = []
    for _ in range(3):
        plain.append(runner_rate(False))
        followed.append(runner_rate(True))
    best_plain, best_followed = max(plain), max(followed)
    cost = (best_plain - best_followed) / best_plain * 100
    cost_rows = [
        ["no-op run, control not followed", f"{best_plain:,.0f}", "-", "-"],
        ["no-op run, control followed", f"{best_followed:,.0f}", f"{cost:+.1f} %", verdict(cost <= 3.0)],
    ]
    return (
        "## Control channel: command-to-effect latency and its cost\n\n"
        f"{COMMANDS} alternating pause/resume commands, 100 ms apart; a follower is the `ControlLink` each "
        "runner runs (its own store connection). Latency = the follower's state changed - the command "
        "journaled (wall clock, one machine). Targets: p99 ≤ 1 s everywhere; with NOTIFY p50 ≤ 100 ms.\n\n"
        + table(["channel", "deliveries", "p50 ms", "p99 ms", "target"], rows)
        + f"\n\nCost of following the channel: the same no-op run of {ITEMS:,} items at concurrency 64 "
        "(SQLite), with and without `follow_control`, alternated, best of 3 each. Target: ≤ 3 % slower.\n\n"
        + table(["variant", "items/s", "cost", "target ≤ 3 %"], cost_rows)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
