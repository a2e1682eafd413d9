"""The resource manager: limit, breaker and timeout around acquire, and a release that always runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from omnimemory_kit import (
    AcquireTimeoutError,
    CircuitBreakerConfig,
    CircuitBreakerError,
    ConfigError,
    RegistryError,
    ResourceManager,
    resource_manager,
    with_circuit_breaker,
)
from omnimemory_kit.clock import FakeClock


@pytest.fixture(autouse=True)
def _clean_resource_manager() -> Iterator[None]:
    """Start and end every test with the process-wide manager empty."""
    resource_manager.reset()
    yield
    resource_manager.reset()


async def settle() -> None:
    """Let every ready task run (no real time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


class Connections:
    """Acquire and release callbacks that record what happened."""

    def __init__(self, *, clock: FakeClock | None = None, release_takes: float = 0.0) -> None:
        self.opened = 0
        self.closed: list[int] = []
        self.clock = clock
        self.release_takes = release_takes
        self.fail_acquire: BaseException | None = None
        self.fail_release: BaseException | None = None

    async def create_connection(self) -> int:
        """Open a numbered connection (or raise the injected failure)."""
        await asyncio.sleep(0)
        if self.fail_acquire is not None:
            raise self.fail_acquire
        self.opened += 1
        return self.opened

    async def close_connection(self, connection: int) -> None:
        """Close a connection, optionally taking fake time, optionally failing."""
        if self.release_takes and self.clock is not None:
            await self.clock.sleep(self.release_takes)
        if self.fail_release is not None:
            raise self.fail_release
        self.closed.append(connection)


class TestOriginCallShape:
    async def test_managed_resource_as_written(self) -> None:
        """The origin document's managed_resource call acquires, lends, and releases the resource."""
        db = Connections()
        create_connection, close_connection = db.create_connection, db.close_connection
        async with resource_manager.managed_resource(
            "database_connection",
            acquire_func=create_connection,
            release_func=close_connection,
            semaphore_limit=10,
        ) as connection:
            assert connection == 1
            assert resource_manager.stats().resources["database_connection"].in_use == 1
        assert db.closed == [1]
        stats = resource_manager.stats()
        resource = stats.resources["database_connection"]
        assert (resource.acquired, resource.released, resource.in_use) == (1, 1, 0)
        assert stats.semaphores["database_connection"].permits == 10
        assert stats.semaphores["database_connection"].in_use == 0

    async def test_sync_callbacks_work(self) -> None:
        """Plain functions serve as acquire and release."""
        released: list[str] = []
        async with resource_manager.managed_resource("file", lambda: "handle", released.append) as handle:
            assert handle == "handle"
        assert released == ["handle"]


class TestReleaseAlwaysRuns:
    async def test_release_runs_when_the_block_raises(self) -> None:
        """The block's exception propagates and the resource is still released."""
        db = Connections()
        with pytest.raises(ValueError, match="bad row"):
            async with resource_manager.managed_resource("r", db.create_connection, db.close_connection):
                raise ValueError("bad row")
        assert db.closed == [1]

    async def test_failing_release_never_hides_the_blocks_exception(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """When block and release both fail, the caller sees the block's error; the release is logged."""
        db = Connections()
        db.fail_release = OSError("socket already gone")
        with caplog.at_level(logging.WARNING), pytest.raises(ValueError, match="bad row"):
            async with resource_manager.managed_resource("r", db.create_connection, db.close_connection):
                raise ValueError("bad row")
        assert "releasing resource 'r' failed: OSError: socket already gone" in caplog.text
        assert resource_manager.stats().resources["r"].release_failures == 1

    async def test_failing_release_after_a_clean_block_is_counted_not_raised(self) -> None:
        """A release failure after a successful block is logged and counted, and the block's result stands."""
        db = Connections()
        db.fail_release = OSError("gone")
        async with resource_manager.managed_resource("r", db.create_connection, db.close_connection):
            pass
        resource = resource_manager.stats().resources["r"]
        assert (resource.release_failures, resource.released, resource.in_use) == (1, 0, 0)

    async def test_release_runs_when_the_block_is_cancelled(self) -> None:
        """Cancelling the task inside the block still releases the resource and the permit."""
        db = Connections()
        entered = asyncio.Event()

        async def user() -> None:
            async with resource_manager.managed_resource(
                "r", db.create_connection, db.close_connection, semaphore_limit=1
            ):
                entered.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(user())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert db.closed == [1]
        assert resource_manager.stats().semaphores["r"].available == 1

    async def test_a_second_cancellation_cannot_cut_the_release_short(self, clock: FakeClock) -> None:
        """A slow release interrupted by another cancel finishes in the background, then frees the permit."""
        manager = ResourceManager(clock=clock)
        db = Connections(clock=clock, release_takes=1.0)
        entered = asyncio.Event()

        async def user() -> None:
            async with manager.managed_resource(
                "r", db.create_connection, db.close_connection, semaphore_limit=1
            ):
                entered.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(user())
        await entered.wait()
        task.cancel()
        await settle()  # now inside the (slow) release
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert db.closed == []
        assert manager.stats().semaphores["r"].available == 0  # not free until really released
        clock.advance(1.0)
        await manager.wait_for_releases()
        assert db.closed == [1]
        assert manager.stats().semaphores["r"].available == 1
        assert manager.stats().resources["r"].in_use == 0


class TestLimitAndTimeout:
    async def test_semaphore_limit_caps_concurrent_holders_in_arrival_order(self) -> None:
        """With semaphore_limit=2 at most two hold the resource, granted in arrival order."""
        db = Connections()
        inside = 0
        peak = 0
        order: list[int] = []

        async def user(i: int) -> None:
            nonlocal inside, peak
            async with resource_manager.managed_resource(
                "r", db.create_connection, db.close_connection, semaphore_limit=2
            ):
                order.append(i)
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(user(i) for i in range(8)))
        assert peak == 2
        assert order == list(range(8))

    async def test_timeout_covers_waiting_for_the_semaphore(self, clock: FakeClock) -> None:
        """A caller that cannot get a permit in time gets AcquireTimeoutError and acquires nothing."""
        manager = ResourceManager(clock=clock)
        db = Connections()
        async with manager.managed_resource(
            "r", db.create_connection, db.close_connection, semaphore_limit=1
        ):

            async def late() -> None:
                async with manager.managed_resource(
                    "r", db.create_connection, db.close_connection, semaphore_limit=1, timeout=2.0
                ):
                    pass

            task = asyncio.create_task(late())
            await settle()
            clock.advance(2.0)
            with pytest.raises(AcquireTimeoutError, match="resource 'r' within 2s"):
                await task
        assert db.opened == 1
        resource = manager.stats().resources["r"]
        assert (resource.acquire_timeouts, resource.acquired, resource.in_use) == (1, 1, 0)
        assert manager.stats().semaphores["r"].available == 1

    async def test_acquire_funcs_own_timeout_error_is_not_an_acquire_timeout(self, clock: FakeClock) -> None:
        """A TimeoutError raised by acquire_func itself reaches the caller unchanged, counted as a failure."""
        manager = ResourceManager(clock=clock)
        db = Connections()
        db.fail_acquire = TimeoutError("connect timed out")
        with pytest.raises(TimeoutError, match="connect timed out") as info:
            async with manager.managed_resource("r", db.create_connection, semaphore_limit=1, timeout=5.0):
                pass
        assert not isinstance(info.value, AcquireTimeoutError)
        resource = manager.stats().resources["r"]
        assert (resource.acquire_failures, resource.acquire_timeouts) == (1, 0)
        assert manager.stats().semaphores["r"].available == 1

    def test_non_positive_timeout_is_a_config_error(self) -> None:
        """A zero or negative timeout is rejected when the context manager is built."""
        with pytest.raises(ConfigError, match="timeout"):
            resource_manager.managed_resource("r", lambda: 1, timeout=0)


class TestCircuitBreaker:
    async def test_breaker_opens_after_failing_acquires_and_refuses_fast(self, clock: FakeClock) -> None:
        """Repeated acquire failures open the breaker; further calls are refused without calling acquire."""
        manager = ResourceManager(clock=clock)
        db = Connections()
        db.fail_acquire = ConnectionRefusedError("down")
        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=10.0)

        def use() -> object:
            return manager.managed_resource(
                "api", db.create_connection, db.close_connection, semaphore_limit=1, circuit_breaker=config
            )

        for _ in range(2):
            with pytest.raises(ConnectionRefusedError):
                async with use():  # type: ignore[attr-defined]
                    pass
        with pytest.raises(CircuitBreakerError):
            async with use():  # type: ignore[attr-defined]
                pass
        stats = manager.stats()
        assert (stats.resources["api"].acquire_failures, stats.resources["api"].rejected) == (2, 1)
        assert stats.breakers["api"].state == "open"
        assert stats.semaphores["api"].available == 1
        db.fail_acquire = None
        clock.advance(10.0)
        async with use() as connection:  # type: ignore[attr-defined]
            assert connection == 1
        assert manager.stats().breakers["api"].state == "closed"


class TestNamedConfiguration:
    def test_semaphore_limit_conflict_is_an_error(self) -> None:
        """Using a resource name with another semaphore_limit is refused, not silently reused."""
        resource_manager.managed_resource("db", lambda: 1, semaphore_limit=10)
        with pytest.raises(RegistryError, match="semaphore 'db' exists with limit 10, not 5"):
            resource_manager.managed_resource("db", lambda: 1, semaphore_limit=5)

    def test_breaker_config_conflict_is_an_error(self) -> None:
        """A breaker name reused with another configuration is refused; no configuration reuses it."""
        first = resource_manager.circuit_breaker("svc", CircuitBreakerConfig(failure_threshold=3))
        assert resource_manager.circuit_breaker("svc") is first
        assert resource_manager.circuit_breaker("svc", CircuitBreakerConfig(failure_threshold=3)) is first
        with pytest.raises(RegistryError, match="circuit breaker 'svc' exists with"):
            resource_manager.circuit_breaker("svc", CircuitBreakerConfig(failure_threshold=4))


class TestWithCircuitBreaker:
    async def test_returns_the_result_of_async_and_sync_functions(self) -> None:
        """``await with_circuit_breaker(name, func, *args, **kwargs)`` returns func's result."""

        async def fetch(key: str, *, suffix: str) -> str:
            return key + suffix

        assert await with_circuit_breaker("external_service", fetch, "a", suffix="!") == "a!"
        assert await with_circuit_breaker("external_service", len, "abc") == 3
        assert resource_manager.stats().breakers["external_service"].success_count == 2

    async def test_opens_after_failures(self) -> None:
        """The named breaker opens after its threshold and then refuses calls."""
        config = CircuitBreakerConfig(failure_threshold=1, recovery_timeout=60.0)

        async def broken() -> None:
            raise ConnectionError("down")

        with pytest.raises(ConnectionError):
            await with_circuit_breaker("svc", broken, config=config)
        with pytest.raises(CircuitBreakerError):
            await with_circuit_breaker("svc", broken, config=config)

    async def test_conflicting_config_is_an_error(self) -> None:
        """Calling with a configuration different from the breaker's is refused."""
        await with_circuit_breaker("svc", len, "x", config=CircuitBreakerConfig(failure_threshold=2))
        with pytest.raises(RegistryError):
            await with_circuit_breaker("svc", len, "x", config=CircuitBreakerConfig(failure_threshold=9))


class TestStatistics:
    async def test_snapshot_is_frozen_and_repr_shows_live_state(self) -> None:
        """The stats snapshot cannot be mutated, and the repr counts what is in use."""
        db = Connections()
        async with resource_manager.managed_resource("r", db.create_connection, semaphore_limit=2):
            assert repr(resource_manager) == "<ResourceManager resources=1 in_use=1 semaphores=1 breakers=0>"
        with pytest.raises(ValidationError):
            resource_manager.stats().resources["r"].in_use = 3  # type: ignore[misc]
