"""A health round: a span under the caller's, a child span per check, log lines with the caller's fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import HealthCheckConfig, HealthManager
from omnimemory_kit.observability import configure_logging, correlation_context, get_correlation_id
from omnimemory_kit.resilience import CircuitBreakerConfig


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """An in-memory span exporter, fresh per test."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Iterator[Tracer]:
    """An SDK tracer exporting to ``exporter`` (never installed globally)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test")
    provider.shutdown()


class TestSpans:
    async def test_each_check_is_a_child_span_of_the_round(
        self, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """The round's span parents one span per check, carrying name, criticality and status."""
        manager = HealthManager(clock=clock, sample_resources=False, tracer=tracer)

        async def down() -> bool:
            raise ConnectionError("refused by postgresql://u:pw@db/x")

        manager.register_health_check(HealthCheckConfig(name="db", critical=True), down)
        manager.register_health_check(HealthCheckConfig(name="cache", critical=False), lambda: True)
        await manager.get_comprehensive_health()
        spans = {span.name: span for span in exporter.get_finished_spans()}
        assert set(spans) == {"health", "health check db", "health check cache"}
        root = spans["health"]
        for name in ("health check db", "health check cache"):
            parent = spans[name].parent
            assert parent is not None
            assert parent.span_id == root.context.span_id
        db = spans["health check db"]
        assert db.attributes is not None
        assert db.attributes["omnimemory.health.check"] == "db"
        assert db.attributes["omnimemory.health.critical"] is True
        assert db.attributes["omnimemory.health.status"] == "unhealthy"
        assert db.status.status_code == StatusCode.ERROR
        assert db.status.description == "ConnectionError: refused by postgresql://u:***@db/x"
        assert spans["health check cache"].status.status_code != StatusCode.ERROR
        assert root.attributes is not None
        assert root.attributes["omnimemory.health.status"] == "unhealthy"


class TestCallerSpan:
    async def test_the_round_is_parented_under_the_callers_span(
        self, clock: FakeClock, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """A round inside the caller's span is its child, in the caller's trace."""
        manager = HealthManager(clock=clock, sample_resources=False, tracer=tracer)
        manager.register_health_check(HealthCheckConfig(name="db"), lambda: True)
        with tracer.start_as_current_span("request") as request:
            await manager.get_comprehensive_health()
        spans = {span.name: span for span in exporter.get_finished_spans()}
        round_span = spans["health"]
        assert round_span.parent is not None
        assert round_span.parent.span_id == request.get_span_context().span_id
        assert round_span.context.trace_id == request.get_span_context().trace_id
        assert spans["health check db"].context.trace_id == request.get_span_context().trace_id


class TestCorrelation:
    @pytest.fixture
    def log_stream(self) -> Iterator[io.StringIO]:
        """JSON log lines of every ``omnimemory_kit`` logger at DEBUG, captured in a buffer."""
        stream = io.StringIO()
        logger = logging.getLogger("omnimemory_kit")
        old_level = logger.level
        handler = configure_logging(logging.DEBUG, stream=stream, logger="omnimemory_kit")
        yield stream
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    async def test_every_line_of_a_round_carries_the_callers_correlation_id(
        self, manager: HealthManager, log_stream: io.StringIO
    ) -> None:
        """Manager, span, breaker and sync-check (worker thread) lines all carry the caller's fields."""
        healthy = True

        def sync_check() -> bool:
            logging.getLogger("omnimemory_kit.test.check").info("probing from a worker thread")
            return healthy

        manager.register_health_check(
            HealthCheckConfig(name="db", breaker=CircuitBreakerConfig(failure_threshold=1)), sync_check
        )
        registered = len(log_stream.getvalue().splitlines())
        async with correlation_context(correlation_id="req-12345", user_id="ops"):
            await manager.get_comprehensive_health()
            healthy = False
            await manager.get_comprehensive_health()
        records = [json.loads(line) for line in log_stream.getvalue().splitlines()[registered:]]
        assert {r["logger"] for r in records} >= {
            "omnimemory_kit.health",
            "omnimemory_kit.trace",
            "omnimemory_kit.resilience",
            "omnimemory_kit.test.check",
        }
        assert {(r["correlation_id"], r["user_id"]) for r in records} == {("req-12345", "ops")}
        (changed,) = [r for r in records if r["message"].startswith("health of 'db' changed")]
        assert (changed["check"], changed["old_status"], changed["new_status"]) == (
            "db",
            "healthy",
            "unhealthy",
        )
        (opened,) = [r for r in records if r["logger"] == "omnimemory_kit.resilience"]
        assert (opened["breaker"], opened["new_state"]) == ("health:db", "open")
        assert opened["last_failure_type"] == "CheckReportedUnhealthy"

    async def test_a_round_without_a_caller_id_gets_its_own(
        self, manager: HealthManager, log_stream: io.StringIO
    ) -> None:
        """Outside any correlation context, each round's lines share one fresh id, different per round."""
        manager.register_health_check(HealthCheckConfig(name="db"), lambda: True)
        ids = []
        for _ in range(2):
            start = len(log_stream.getvalue().splitlines())
            await manager.get_comprehensive_health()
            lines = log_stream.getvalue().splitlines()[start:]
            assert lines
            round_ids = {json.loads(line).get("correlation_id") for line in lines}
            assert len(round_ids) == 1
            ids.append(round_ids.pop())
        assert None not in ids
        assert ids[0] != ids[1]
        assert get_correlation_id() is None
