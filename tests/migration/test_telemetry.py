"""A migration run's spans, through an SDK tracer with an in-memory exporter (never installed globally)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.telemetry import TRACE_CONTEXT_PARAM, item_ratio
from omnimemory_kit.migration.throttle import PROCEED, GateDecision, GateKind
from omnimemory_kit.observability import CorrelationFilter, JsonLinesFormatter, correlation_context
from omnimemory_kit.resilience import CircuitBreakerConfig, RetryPolicy
from omnimemory_kit.store import JournalStore, open_store
from tests.migration.test_runner import drive


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A real SQLite journal stamped by the fake clock."""
    journal = open_store(f"sqlite:///{tmp_path / 'journal.db'}", clock=clock)
    yield journal
    journal.close()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """An in-memory span exporter, fresh per test."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Iterator[Tracer]:
    """An SDK tracer exporting to ``exporter``."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test")
    provider.shutdown()


def keys(n: int) -> list[str]:
    """Return n item keys."""
    return [f"item-{i:02d}" for i in range(n)]


async def ok(item: MigrationItem) -> None:
    """Succeed at once."""


def make(store: JournalStore, clock: FakeClock, fn: Any, n: int, **kw: Any) -> MigrationRunner:
    """Build a runner over n keys, one item at a time, two per batch."""
    kw.setdefault("retry", RetryPolicy(max_attempts=1))
    kw.setdefault("batch_size", 2)
    kw.setdefault("concurrency", 1)
    return MigrationRunner(store, "run", IterableSource(keys(n)), fn, clock=clock, **kw)


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    """Return the finished spans called ``name``."""
    return [span for span in exporter.get_finished_spans() if span.name == name]


def events(span: ReadableSpan, name: str) -> list[dict[str, Any]]:
    """Return the attributes of the span's events called ``name``."""
    return [dict(event.attributes or {}) for event in span.events if event.name == name]


class TestSpanTree:
    """A run is one span per execution, parenting one span per batch, with the facts as attributes."""

    async def test_run_and_batch_spans_carry_ids_counts_and_parents(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """Five items in batches of two: one run span, three batch spans under it, outcome counts on each."""

        async def fn(item: MigrationItem) -> None:
            if item.key == "item-03":
                raise ValueError("bad row")

        runner = make(store, clock, fn, 5, tracer=tracer)
        with correlation_context(correlation_id="op-42"):
            await drive(runner, clock, runner.run())
        (run,) = named(exporter, "migration.run")
        batches = named(exporter, "migration.batch")
        assert len(batches) == 3
        assert run.parent is None
        assert {b.parent.span_id for b in batches if b.parent} == {run.context.span_id}
        assert {b.context.trace_id for b in batches} == {run.context.trace_id}
        for span in (run, *batches):
            assert span.attributes is not None
            assert span.attributes["omnimemory.run_id"] == "run"
            assert span.attributes["omnimemory.worker_id"] == runner.worker_id
            assert span.attributes["omnimemory.correlation_id"] == "op-42"
        by_items = sorted(
            (
                b.attributes["omnimemory.batch.items"],
                b.attributes["omnimemory.batch.succeeded"],
                b.attributes["omnimemory.batch.failed"],
            )
            for b in batches
            if b.attributes
        )
        assert by_items == [(1, 1, 0), (2, 1, 1), (2, 2, 0)]
        assert all(b.attributes and str(b.attributes["omnimemory.batch_id"]).strip() for b in batches)
        assert all(b.attributes and b.attributes["omnimemory.lease_id"] for b in batches)
        assert named(exporter, "migration.item") == []  # off unless asked

    async def test_retry_and_timeout_are_events_on_the_batch_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """An attempt that times out and is retried shows as a timeout and a retry event on its batch."""
        calls: list[str] = []

        async def fn(item: MigrationItem) -> None:
            calls.append(item.key)
            if len(calls) == 1:
                await clock.sleep(60)

        policy = RetryPolicy(max_attempts=2, base_delay=0.1, jitter="none")
        runner = make(store, clock, fn, 2, tracer=tracer, retry=policy, item_timeout=5.0)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 2
        (batch,) = named(exporter, "migration.batch")
        (retry,) = events(batch, "retry")
        assert retry["omnimemory.item.key"] == "item-00"
        assert retry["error.type"] == "TimeoutError"
        assert len(events(batch, "timeout")) == 1

    async def test_breaker_changes_are_events_on_the_run_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A breaker that opens and closes again leaves its transitions on the run span."""
        calls: list[str] = []

        async def fn(item: MigrationItem) -> None:
            calls.append(item.key)
            if len(calls) <= 2:
                raise ConnectionError("down")

        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=10.0)
        policy = RetryPolicy(max_attempts=2, base_delay=0.1, jitter="none")
        runner = make(store, clock, fn, 3, tracer=tracer, retry=policy, breaker=config)
        await drive(runner, clock, runner.run())
        (run,) = named(exporter, "migration.run")
        changes = [(e["from"], e["to"]) for e in events(run, "breaker.state_change")]
        assert changes[0] == ("closed", "open")
        assert changes[-1][1] == "closed"

    async def test_control_decisions_are_events_on_the_run_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """Pausing and resuming a running run leaves control.pause and control.resume on its span."""
        started, release = asyncio.Event(), asyncio.Event()

        async def fn(item: MigrationItem) -> None:
            started.set()
            await release.wait()

        runner = make(store, clock, fn, 1, tracer=tracer)
        task = asyncio.ensure_future(runner.run())
        await started.wait()
        runner.pause()
        runner.resume()
        release.set()
        await drive(runner, clock, task)
        (run,) = named(exporter, "migration.run")
        names = [event.name for event in run.events]
        assert names == ["control.pause", "control.resume"]

    async def test_a_lost_lease_ends_its_batch_span_with_an_error(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A batch whose lease is taken back mid-way ends with a lease.lost event and an error status."""
        runner: MigrationRunner
        stolen = False

        async def work(item: MigrationItem) -> None:
            nonlocal stolen
            if not stolen:
                stolen = True
                store.reclaim("run", worker_id=runner.worker_id)
            await clock.sleep(0.1)

        runner = make(store, clock, work, 4, tracer=tracer, batch_size=4)
        await drive(runner, clock, runner.run())
        first, *rest = sorted(named(exporter, "migration.batch"), key=lambda span: span.start_time or 0)
        assert first.status.status_code is StatusCode.ERROR
        assert [event.name for event in first.events] == ["lease.lost"]
        assert rest
        assert all(span.status.status_code is not StatusCode.ERROR for span in rest)

    async def test_a_failed_run_ends_its_span_with_an_error(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A run refused by the store (another function under the same id) ends its span as an error."""
        await drive(make(store, clock, ok, 1), clock, make(store, clock, ok, 1).run())
        runner = make(store, clock, fn_other, 1, tracer=tracer)
        with pytest.raises(Exception, match="function"):
            await drive(runner, clock, runner.run())
        (run,) = named(exporter, "migration.run")
        assert run.status.status_code is StatusCode.ERROR


async def fn_other(item: MigrationItem) -> None:
    """Another function, for a run id mismatch."""


class TestItemSpans:
    """Item spans only when asked, for all items or a stable share of them."""

    async def test_trace_items_gives_one_span_per_item_under_its_batch(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """With ``trace_items=True`` every item has a span, parented on its batch, with its outcome."""

        async def fn(item: MigrationItem) -> None:
            if item.key == "item-01":
                raise ValueError("nope")

        runner = make(store, clock, fn, 4, tracer=tracer, trace_items=True)
        await drive(runner, clock, runner.run())
        items = named(exporter, "migration.item")
        batch_ids = {b.context.span_id for b in named(exporter, "migration.batch")}
        assert sorted(str(s.attributes and s.attributes["omnimemory.item.key"]) for s in items) == keys(4)
        assert all(s.parent is not None and s.parent.span_id in batch_ids for s in items)
        outcomes = {
            s.attributes["omnimemory.item.key"]: s.attributes["omnimemory.item.outcome"]
            for s in items
            if s.attributes
        }
        assert outcomes["item-01"] == "failed"
        assert outcomes["item-00"] == "succeeded"
        failed = next(s for s in items if s.attributes and s.attributes["omnimemory.item.key"] == "item-01")
        assert failed.status.status_code is StatusCode.ERROR

    async def test_a_ratio_traces_the_same_share_of_items_every_time(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A ratio of 0.5 traces exactly the items whose key hash falls under it."""
        runner = make(store, clock, ok, 40, tracer=tracer, trace_items=0.5, batch_size=10, concurrency=4)
        await drive(runner, clock, runner.run())
        traced = sorted(
            str(s.attributes and s.attributes["omnimemory.item.key"])
            for s in exporter.get_finished_spans()
            if s.name == "migration.item"
        )
        expected = [key for key in keys(40) if zlib.crc32(key.encode()) < 2**31]
        assert traced == expected
        assert 0 < len(traced) < 40

    @pytest.mark.parametrize("ratio", [-0.1, 1.5, "half", float("nan")])
    def test_an_invalid_ratio_is_a_config_error(
        self, store: JournalStore, clock: FakeClock, ratio: object
    ) -> None:
        """A ratio outside 0..1 (or not a number) is refused with a message naming trace_items."""
        with pytest.raises(ConfigError, match="trace_items must be a sampling ratio"):
            make(store, clock, ok, 1, trace_items=ratio)

    def test_flags_mean_all_or_none(self) -> None:
        """True traces every item, False none."""
        assert (item_ratio(True), item_ratio(False), item_ratio(0.25)) == (1.0, 0.0, 0.25)

    def test_asking_for_item_spans_without_an_sdk_warns(
        self, store: JournalStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With no SDK configured globally, asking for item spans logs a warning and builds the runner."""
        with caplog.at_level(logging.WARNING, logger="omnimemory_kit.migration"):
            make(store, clock, ok, 1, trace_items=True)
        assert "no OpenTelemetry SDK is configured" in caplog.text


class TestCorrelatedLogs:
    """Log lines written during a run carry the trace id and the id of the span they were written in."""

    async def test_a_log_line_from_the_function_carries_its_batch_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """The migration function's log line names the run's trace and the batch span it ran in."""
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(CorrelationFilter())
        handler.setFormatter(JsonLinesFormatter())
        log = logging.getLogger("tests.telemetry.fn")
        log.addHandler(handler)
        log.setLevel(logging.INFO)

        async def fn(item: MigrationItem) -> None:
            log.info("migrating %s", item.key)

        try:
            runner = make(store, clock, fn, 1, tracer=tracer)
            await drive(runner, clock, runner.run())
        finally:
            log.removeHandler(handler)
        (line,) = [json.loads(raw) for raw in stream.getvalue().splitlines()]
        (batch,) = named(exporter, "migration.batch")
        assert line["trace_id"] == f"{batch.context.trace_id:032x}"
        assert line["span_id"] == f"{batch.context.span_id:016x}"
        assert line["run_id"] == "run"


class TestRecordedTraceContext:
    """A run created inside a span records that span's context; a runner given it links its run span."""

    async def test_creation_records_the_trace_context_and_a_later_runner_links_to_it(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """The creating run span's traceparent lands in the run's params; a worker given it links to it."""
        first = make(store, clock, ok, 2, tracer=tracer, batch_size=1)
        await drive(first, clock, first.step())  # creates the run, works one batch
        recorded = store.get_run("run").params[TRACE_CONTEXT_PARAM]
        creator = named(exporter, "migration.run")[0]
        assert recorded["traceparent"].split("-")[1] == f"{creator.context.trace_id:032x}"
        joined = make(store, clock, ok, 2, tracer=tracer, trace_context=recorded)
        await drive(joined, clock, joined.run())
        worker = named(exporter, "migration.run")[-1]
        assert [link.context.span_id for link in worker.links] == [creator.context.span_id]
        assert worker.context.trace_id == creator.context.trace_id  # nothing else current: its child


class TestThrottleAndControlEvents:
    """Health throttles and operators' commands show on the run span, beside breaker changes."""

    async def test_a_throttle_and_its_release_are_events_on_the_run_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A gate that holds, then lets go, leaves throttle.begin (with its reason) and throttle.end."""

        class HoldThenGo:
            async def watch(self, changed: Any) -> None:
                changed(GateDecision(kind=GateKind.HOLD, reason="redis unhealthy: ConnectionError"))
                await clock.sleep(5.0)
                changed(PROCEED)
                await asyncio.Event().wait()

        runner = make(store, clock, ok, 4, tracer=tracer, throttle=HoldThenGo())
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 4
        (run,) = named(exporter, "migration.run")
        assert events(run, "throttle.begin") == [{"reason": "redis unhealthy: ConnectionError"}]
        assert events(run, "throttle.end") == [{"decision": "proceed"}]

    async def test_control_commands_are_events_on_the_run_span(
        self, store: JournalStore, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A command given to the run is put on the next run span once, with what, who and why."""
        from omnimemory_kit.migration.run_control import RunControl

        runner = make(store, clock, ok, 6, tracer=tracer)
        await drive(runner, clock, runner.step())
        RunControl(store, "run").set(concurrency=1, reason="the target struggles")
        await drive(runner, clock, runner.run())
        last = named(exporter, "migration.run")[-1]
        commands = events(last, "control.command")
        assert [(c["command"], c["reason"]) for c in commands] == [("control_set", "the target struggles")]
        assert "@" in commands[0]["by"]  # user@host
