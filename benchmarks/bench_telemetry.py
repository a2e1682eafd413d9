"""What watching a migration costs: spans (OpenTelemetry SDK) and the Prometheus endpoint, beside neither.

The same no-op migration as the runner benchmark (SQLite journal, concurrency 64, default batch size),
run in four variants, interleaved round by round so machine noise hits them alike; each variant's best
round counts:

- without: no SDK configured (the API's no-op spans), no metrics;
- SDK + batch spans: an SDK tracer provider (``SimpleSpanProcessor`` into an in-memory exporter) gets the
  run span and a span per batch;
- SDK + item spans at 0.01: the same, plus a span for 1 % of the items (``trace_items=0.01``);
- metrics endpoint: ``RunMetrics`` fed by the run and served by ``MetricsServer``, scraped every 0.5 s
  from another thread while the run goes on.

Targets (issue 19): SDK + batch spans ≥ 0.95x of without; item spans at 0.01 cost ≤ 5 %; the metrics
endpoint ≤ 2 %. On a shared machine wall-clock runs of a few seconds swing by more than these margins, so
each feature's per-item work is also measured alone (CPU time, best of many batches) and set against the
plain run's CPU time per item. ``OMNIMEMORY_BENCH_QUICK=1`` uses 10,000 items instead of 40,000.
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from benchmarks._util import table, verdict
from omnimemory_kit.clock import SYSTEM_CLOCK
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.metrics import RunMetrics
from omnimemory_kit.migration.metrics_server import MetricsServer
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.telemetry import RunTelemetry
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import Lease, WorkItem

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 10_000 if QUICK else 40_000
ROUNDS = 5
CONCURRENCY = 64

Setup = tuple[dict[str, Any], Callable[[], Callable[[], None]] | None]
"""Runner options, and a side job to start beside the run (returning how to stop it), or None."""


async def noop(item: MigrationItem) -> None:
    """The migration: nothing."""


def timed_run(
    options: dict[str, Any], during: Callable[[], Callable[[], None]] | None = None
) -> tuple[float, float]:
    """Return (items/s, process CPU µs per item) of one full run with extra runner ``options``.

    ``during`` starts a side job (a scraper) and returns how to stop it.
    """
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        try:
            keys = [f"item-{i:07d}" for i in range(ITEMS)]
            migration = MigrationRunner(
                store,
                "bench",
                IterableSource(keys, name="bench"),
                noop,
                concurrency=CONCURRENCY,
                retry=RetryPolicy(max_attempts=1),
                **options,
            )
            gc.collect()
            stop = during() if during is not None else None
            start, cpu_start = time.perf_counter(), time.process_time()
            summary = asyncio.run(migration.run())
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            if stop is not None:
                stop()
        finally:
            store.close()
    assert summary.succeeded_files == ITEMS, f"finished {summary.succeeded_files} of {ITEMS} items"
    return ITEMS / elapsed, cpu / ITEMS * 1e6


def sdk_options(ratio: float) -> Callable[[], Setup]:
    """Return a factory of runner options with an SDK tracer (and item spans at ``ratio``)."""

    def make() -> Setup:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        options: dict[str, Any] = {"tracer": provider.get_tracer("bench"), "trace_items": ratio}
        return options, None

    return make


def metrics_options() -> Setup:
    """Return runner options feeding served metrics, and the scraper to run beside the run."""
    metrics = RunMetrics()
    server = MetricsServer(metrics.registry, 0)

    def scrape_while_running() -> Callable[[], None]:
        done = threading.Event()

        def scrape() -> None:
            # A bare HTTP client: the scraper stands for Prometheus, another process; only the
            # server's side of a scrape belongs to the worker's cost.
            while not done.wait(0.5):
                connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
                connection.request("GET", "/metrics")
                connection.getresponse().read()
                connection.close()

        thread = threading.Thread(target=scrape, daemon=True)
        thread.start()

        def stop() -> None:
            done.set()
            thread.join()
            server.close()

        return stop

    return {"metrics": metrics}, scrape_while_running


def metrics_feed_us() -> float:
    """Return the best CPU µs per item of what the runner feeds ``RunMetrics`` for one plain item.

    That is: the attempt timed on the clock and observed, and the item's three folded events (added,
    started, succeeded) counted. Isolated from the run, so the number is stable on a busy machine.
    """
    metrics = RunMetrics()
    metrics.attach("bench", "w", lambda: 0)
    events = [
        Event(EventKind.FILE_ADDED, 1.0, path="k"),
        Event(EventKind.FILE_STARTED, 1.0, path="k", worker_id="w"),
        Event(EventKind.FILE_SUCCEEDED, 1.0, path="k", worker_id="w"),
    ] * 1000
    monotonic = SYSTEM_CLOCK.monotonic

    def per_item() -> float:
        start = time.process_time()
        metrics.count(events)
        for _ in range(1000):
            started = monotonic()
            metrics.attempt(monotonic() - started)
        return (time.process_time() - start) / 1000

    return min(per_item() for _ in range(50)) * 1e6


def spans_feed_us(ratio: float) -> float:
    """Return the best CPU µs per item of the span work for a batch of 1,000 plain items, isolated.

    That is: the batch span opened and closed, each item's outcome counted on it, the sampling decision,
    and the sampled items' spans, with an SDK exporting to memory (what the runner does per batch).
    """
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    telemetry = RunTelemetry("bench", "w", tracer=provider.get_tracer("bench"), trace_items=ratio)
    lease = Lease(
        "lease", "bench", "w", "batch-1", tuple(WorkItem(f"item-{i:07d}") for i in range(1000)), 0.0
    )
    items = [MigrationItem(work.key) for work in lease.items]
    done = [Event(EventKind.FILE_SUCCEEDED, 1.0, path=item.key, worker_id="w") for item in items]

    async def attempt(item: MigrationItem, retried: object) -> Event:
        return done[0]

    async def one_batch() -> None:
        traced = telemetry.batch_opened(lease)
        assert traced is not None
        on_retry = telemetry.retry_recorder(traced, lambda event: None)
        sampled = telemetry.traces_item if telemetry.item_ratio else None
        for item, event in zip(items, done, strict=True):
            if sampled is not None and sampled(item.key):
                await telemetry.traced_outcome(traced, item, attempt, on_retry)
            else:
                telemetry.outcome(traced, event)
        telemetry.batch_closed(traced, lost=False)

    async def measure() -> float:
        best = float("inf")
        with telemetry.run_span():
            for _ in range(30):
                start = time.process_time()
                await one_batch()
                best = min(best, (time.process_time() - start) / len(items))
        return best

    try:
        return asyncio.run(measure()) * 1e6
    finally:
        provider.shutdown()


def run() -> str:
    """Measure and return the Markdown section."""
    variants: dict[str, Callable[[], Setup]] = {
        "without (no SDK, no metrics)": lambda: ({}, None),
        "SDK + batch spans": sdk_options(0.0),
        "SDK + item spans at 0.01": sdk_options(0.01),
        "metrics endpoint (scraped every 0.5 s)": metrics_options,
    }
    best = dict.fromkeys(variants, 0.0)
    cpu = dict.fromkeys(variants, float("inf"))
    for _ in range(ROUNDS):
        for name, make in variants.items():
            options, during = make()
            rate, cpu_per_item = timed_run(options, during)
            best[name] = max(best[name], rate)
            cpu[name] = min(cpu[name], cpu_per_item)
    base = best["without (no SDK, no metrics)"]
    batch = best["SDK + batch spans"] / base
    items = best["SDK + item spans at 0.01"] / base
    served = best["metrics endpoint (scraped every 0.5 s)"] / base
    base_cpu = cpu["without (no SDK, no metrics)"]
    targets = {
        "SDK + batch spans": ("≥ 0.95x", verdict(batch >= 0.95)),
        "SDK + item spans at 0.01": ("cost ≤ 5 %", verdict(items >= 0.95)),
        "metrics endpoint (scraped every 0.5 s)": ("cost ≤ 2 %", verdict(served >= 0.98)),
    }
    feed = metrics_feed_us()
    batch_feed, item_feed = spans_feed_us(0.0), spans_feed_us(0.01)
    rows = [
        [
            name,
            f"{rate:,.0f}",
            f"{rate / base:.3f}x",
            f"{cpu[name]:.1f}",
            f"{cpu[name] / base_cpu:.3f}x",
            *targets.get(name, ("-", "-")),
        ]
        for name, rate in best.items()
    ]
    for name, cost, target, limit in (
        ("batch spans alone, per item (isolated)", batch_feed, "≥ 0.95x", 0.05),
        ("item spans at 0.01 alone, per item (isolated)", item_feed, "cost ≤ 5 %", 0.05),
    ):
        rows.append(
            [name, "-", "-", f"{cost:.2f}", f"+{cost / base_cpu:.1%} of without", target,
             verdict(cost / base_cpu <= limit)]
        )  # fmt: skip
    rows.append(
        [
            "metrics feed alone, per item (isolated)",
            "-",
            "-",
            f"{feed:.2f}",
            f"+{feed / base_cpu:.1%} of without",
            "cost ≤ 2 %",
            verdict(feed / base_cpu <= 0.02),
        ]
    )
    return (
        f"## Telemetry: spans and metrics on a no-op migration of {ITEMS:,} items\n\n"
        f"The runner benchmark's migration (SQLite journal, concurrency {CONCURRENCY}, default batch size) "
        "with and without an OpenTelemetry SDK, item spans and the Prometheus endpoint; the variants are "
        f"interleaved round by round, best of {ROUNDS} each. Targets are judged on wall-clock throughput; "
        "the process CPU time per item (best round) is shown beside it, and the rows marked isolated "
        "measure each feature's per-item work alone (CPU time, best of many batches of 1,000) against the "
        "plain run's CPU per item: those hold still when other work shares the machine, the end-to-end "
        "rows do not.\n\n"
        + table(["variant", "items/s", "of without", "CPU µs/item", "CPU of without", "target", "met"], rows)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
