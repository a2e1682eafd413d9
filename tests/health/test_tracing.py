"""A health round is traced: one aggregation span, one child span per check, logs with correlation fields."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import HealthCheckConfig, HealthManager
from omnimemory_kit.observability import CorrelationFilter, correlation_context


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


class TestCorrelation:
    async def test_logs_carry_the_callers_correlation_id(
        self, manager: HealthManager, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A status change logged during a round inside a correlation context carries its id."""
        manager.register_health_check(HealthCheckConfig(name="db"), lambda: False)
        caplog.handler.addFilter(CorrelationFilter())
        with caplog.at_level(logging.INFO, logger="omnimemory_kit.health"):
            async with correlation_context(correlation_id="req-12345"):
                await manager.get_comprehensive_health()
        records = [r for r in caplog.records if r.name == "omnimemory_kit.health"]
        assert records
        assert {getattr(r, "correlation_id", None) for r in records} == {"req-12345"}
