"""Every code snippet of the origin document works as written, imported from ``omnimemory_kit``.

The document (``shared/origin/advanced-architecture-summary.md``) is where the public call shapes come from;
these tests run each snippet against real parts (PostgreSQL for the database examples) and check that it did
what the document says, not only that it ran.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import omnimemory_kit
from omnimemory_kit import (
    AsyncCircuitBreaker,
    AsyncConnectionPool,
    BatchProcessingMetrics,
    CircuitBreakerConfig,
    CircuitBreakerError,
    DependencyType,
    HealthCheckConfig,
    HealthStatus,
    LockPriority,
    MigrationPriority,
    MigrationProgressTracker,
    MigrationStatus,
    OperationType,
    correlation_context,
    get_correlation_id,
    health_manager,
    register_connection_pool,
    resource_manager,
    trace_operation,
    with_circuit_breaker,
    with_connection_pool,
    with_fair_semaphore,
    with_priority_lock,
)
from omnimemory_kit.concurrency import reset_registry


@pytest.fixture(autouse=True)
def _fresh_registries() -> Iterator[None]:
    """Named locks, semaphores, pools, managed resources and health checks start empty in every test."""
    reset_registry()
    resource_manager.reset()
    health_manager.clear()
    yield
    reset_registry()
    resource_manager.reset()
    health_manager.clear()


class TestResourceManagement:
    async def test_circuit_breaker_call(self) -> None:
        """``AsyncCircuitBreaker("external_service", config).call(service_function)`` returns its result."""
        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=30.0)

        async def service_function() -> str:
            return "ok"

        circuit_breaker = AsyncCircuitBreaker("external_service", config)
        result = await circuit_breaker.call(service_function)
        assert result == "ok"

    async def test_circuit_breaker_prevents_cascades(self) -> None:
        """After ``failure_threshold`` failures the breaker fails fast instead of calling the service."""
        calls = 0

        async def flaky_service() -> None:
            nonlocal calls
            calls += 1
            raise ConnectionError("service down")

        circuit_breaker = AsyncCircuitBreaker("external_service", CircuitBreakerConfig(failure_threshold=2))
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await circuit_breaker.call(flaky_service)
        with pytest.raises(CircuitBreakerError) as refused:
            await circuit_breaker.call(flaky_service)
        assert calls == 2
        assert refused.value.name == "external_service"
        assert refused.value.retry_after > 0

    async def test_managed_resource_with_real_connections(self, pg_dsn: str) -> None:
        """``resource_manager.managed_resource(...)`` hands out a real connection and always closes it."""
        opened: list[psycopg.AsyncConnection[Any]] = []

        async def create_connection() -> psycopg.AsyncConnection[Any]:
            connection = await psycopg.AsyncConnection.connect(pg_dsn)
            opened.append(connection)
            return connection

        async def close_connection(connection: psycopg.AsyncConnection[Any]) -> None:
            await connection.close()

        async def use_once() -> int:
            async with resource_manager.managed_resource(
                "database_connection",
                acquire_func=create_connection,
                release_func=close_connection,
                semaphore_limit=10,
            ) as connection:
                row = await (await connection.execute("SELECT 41 + 1")).fetchone()
                assert row is not None
                return int(row[0])

        assert await asyncio.gather(*(use_once() for _ in range(3))) == [42, 42, 42]
        assert len(opened) == 3
        assert all(connection.closed for connection in opened)


class TestConcurrency:
    async def test_priority_lock(self) -> None:
        """``with_priority_lock("shared_resource", priority=LockPriority.HIGH)`` gives exclusive access."""
        inside = 0
        most_inside = 0

        async def critical_section(priority: LockPriority) -> None:
            nonlocal inside, most_inside
            async with with_priority_lock("shared_resource", priority=priority):
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(critical_section(p) for p in (LockPriority.HIGH, LockPriority.LOW) * 5))
        assert most_inside == 1

    async def test_fair_semaphore(self) -> None:
        """``with_fair_semaphore("api_calls", permits=10)`` never lets more than 10 in at once."""
        inside = 0
        most_inside = 0

        async def rate_limited_operation() -> None:
            nonlocal inside, most_inside
            async with with_fair_semaphore("api_calls", permits=10):
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(rate_limited_operation() for _ in range(50)))
        assert most_inside == 10

    async def test_connection_pool(self, pg_dsn: str) -> None:
        """``with_connection_pool("database")`` lends a managed, working database connection."""

        async def create() -> psycopg.AsyncConnection[Any]:
            return await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True)

        async def close(connection: psycopg.AsyncConnection[Any]) -> None:
            await connection.close()

        pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(create, close=close)
        register_connection_pool("database", pool)
        try:
            async with with_connection_pool("database") as connection:
                row = await (await connection.execute("SELECT 'pooled'")).fetchone()
            assert row == ("pooled",)
            assert pool.get_stats().requests_num == 1
        finally:
            await pool.close()


class TestMigrationTooling:
    def test_tracker_snippet(self) -> None:
        """The tracker snippet runs as written and its summary reports the finished file."""
        tracker = MigrationProgressTracker(name="Legacy Tool Migration", priority=MigrationPriority.HIGH)

        tracker.add_file("/path/to/tool.py", file_size=1024)
        tracker.start_file_processing("/path/to/tool.py", batch_id="batch_001")
        tracker.complete_file_processing("/path/to/tool.py", success=True)

        summary = tracker.get_progress_summary()
        assert summary.completion_percentage == 100.0
        assert summary.success_rate == 100.0
        assert summary.processing_rates.files_per_second_overall >= 0
        assert summary.priority is MigrationPriority.HIGH

    def test_foundation_models_import(self) -> None:
        """The foundation names the document imports are part of the kit's public API."""
        assert {"MigrationProgressTracker", "MigrationStatus", "BatchProcessingMetrics"} <= set(
            omnimemory_kit.__all__
        )
        assert MigrationStatus.RUNNING.value == "running"
        assert "success_rate" in BatchProcessingMetrics.model_fields


class TestObservability:
    async def test_correlation_and_trace_snippet(self) -> None:
        """Nested operations inherit the correlation context and get a trace id."""
        async with correlation_context(  # noqa: SIM117 - nested exactly as the document writes it
            correlation_id="req-12345", user_id="user-456", operation="data_processing"
        ) as ctx:
            async with trace_operation(
                "validation", OperationType.INTELLIGENCE_PROCESS, trace_performance=True
            ) as trace_id:
                inner = await asyncio.create_task(_correlation_id_in_task())
        assert ctx.correlation_id == "req-12345"
        assert ctx.user_id == "user-456"
        assert inner == "req-12345"
        assert re.fullmatch(r"[0-9a-f]{32}", trace_id)  # an OpenTelemetry-shaped trace id
        assert get_correlation_id() != "req-12345"


async def _correlation_id_in_task() -> str | None:
    return get_correlation_id()


class TestHealthChecks:
    async def test_register_and_aggregate_with_real_postgres(self, pg_dsn: str) -> None:
        """The registration snippet works with a real PostgreSQL check and the response rolls it up."""
        connection = await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True)

        async def postgresql_check_function() -> bool:
            row = await (await connection.execute("SELECT 1")).fetchone()
            return row == (1,)

        try:
            health_manager.register_health_check(
                HealthCheckConfig(
                    name="postgresql",
                    dependency_type=DependencyType.DATABASE,
                    critical=True,
                    timeout=5.0,
                ),
                postgresql_check_function,
            )
            health_response = await health_manager.get_comprehensive_health()
        finally:
            await connection.close()
        assert health_response.status is HealthStatus.HEALTHY
        assert health_response.dependencies["postgresql"].status is HealthStatus.HEALTHY
        resources = health_response.resources
        assert resources is not None
        assert (resources.disk_path, resources.problems) == (os.getcwd(), ())  # this volume, read in full

    async def test_critical_failure_makes_the_whole_response_unhealthy(self) -> None:
        """A failing critical dependency is isolated yet turns the overall status unhealthy."""

        async def down() -> bool:
            raise ConnectionRefusedError("connection refused")

        async def up() -> bool:
            return True

        health_manager.register_health_check(
            HealthCheckConfig(name="postgresql", dependency_type=DependencyType.DATABASE, critical=True), down
        )
        health_manager.register_health_check(
            HealthCheckConfig(name="cache", dependency_type=DependencyType.CACHE, critical=False), up
        )
        health_response = await health_manager.get_comprehensive_health()
        assert health_response.status is HealthStatus.UNHEALTHY
        assert health_response.dependencies["cache"].status is HealthStatus.HEALTHY
        error = health_response.dependencies["postgresql"].error
        assert error is not None
        assert error.type == "ConnectionRefusedError"


class TestUnifiedExports:
    async def test_with_circuit_breaker(self) -> None:
        """``with_circuit_breaker(name, func, ...)`` (unified exports) calls through a named breaker."""

        async def fetch(value: int) -> int:
            return value * 2

        assert await with_circuit_breaker("external_service", fetch, 21) == 42

    def test_unified_import_names(self) -> None:
        """Everything the document's unified import lists is exported by the kit."""
        names = {
            "resource_manager",
            "with_circuit_breaker",
            "correlation_context",
            "trace_operation",
            "with_priority_lock",
            "with_fair_semaphore",
            "health_manager",
        }
        assert names <= set(omnimemory_kit.__all__)
