"""Named access: the origin document's call shapes, reuse by name, and conflicts as RegistryError."""

from __future__ import annotations

import asyncio

import pytest

from omnimemory_kit import (
    AsyncConnectionPool,
    LockPriority,
    RegistryError,
    get_connection_pool,
    get_fair_semaphore,
    get_priority_lock,
    register_connection_pool,
    unregister_connection_pool,
    with_connection_pool,
    with_fair_semaphore,
    with_priority_lock,
)
from tests.concurrency.helpers import FakeConnection, FakeDatabase


class TestOriginCallShapes:
    async def test_with_priority_lock_as_written(self) -> None:
        """``async with with_priority_lock("shared_resource", priority=LockPriority.HIGH)`` holds the lock."""
        async with with_priority_lock("shared_resource", priority=LockPriority.HIGH):
            assert get_priority_lock("shared_resource").locked()
        assert not get_priority_lock("shared_resource").locked()

    async def test_with_fair_semaphore_as_written(self) -> None:
        """``async with with_fair_semaphore("api_calls", permits=10)`` limits to ten holders."""
        inside = 0
        peak = 0

        async def call() -> None:
            nonlocal inside, peak
            async with with_fair_semaphore("api_calls", permits=10):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(call() for _ in range(40)))
        assert peak == 10
        assert get_fair_semaphore("api_calls", 10).stats().acquisitions == 40

    async def test_with_connection_pool_as_written(self) -> None:
        """``async with with_connection_pool("database") as connection`` lends a pooled connection."""
        db = FakeDatabase()
        pool = register_connection_pool("database", AsyncConnectionPool(db.create, close=db.close))
        async with with_connection_pool("database") as connection:
            assert isinstance(connection, FakeConnection)
            assert pool.stats().in_use == 1
        await pool.close()


class TestNames:
    async def test_same_name_is_the_same_primitive(self) -> None:
        """Asking twice for a name with the same configuration returns the same object."""
        assert get_fair_semaphore("s", 3) is get_fair_semaphore("s", 3)
        assert get_priority_lock("l") is get_priority_lock("l")

    def test_semaphore_with_different_permits_is_an_error(self) -> None:
        """A name reused with other permits is refused, naming both values."""
        get_fair_semaphore("api_calls", 10)
        with pytest.raises(RegistryError, match=r"'api_calls' exists with permits=10, not 5"):
            with_fair_semaphore("api_calls", permits=5)

    def test_lock_with_different_aging_is_an_error(self) -> None:
        """A lock name reused with another aging interval is refused."""
        get_priority_lock("l", aging_interval=1.0)
        with pytest.raises(RegistryError, match="aging_interval"):
            with_priority_lock("l")

    def test_unknown_pool_is_a_clear_error(self) -> None:
        """An unknown pool name says which names exist and how to register one."""
        register_connection_pool("cache", AsyncConnectionPool(FakeDatabase().create))
        with pytest.raises(
            RegistryError, match=r"no connection pool registered as 'database' \(registered: 'cache'\)"
        ):
            with_connection_pool("database")

    def test_registering_another_pool_under_a_taken_name_is_an_error(self) -> None:
        """A second, different pool under the same name is refused; the same pool again is fine."""
        first = AsyncConnectionPool(FakeDatabase().create)
        register_connection_pool("db", first)
        assert register_connection_pool("db", first) is first
        with pytest.raises(RegistryError, match="already registered"):
            register_connection_pool("db", AsyncConnectionPool(FakeDatabase().create))

    def test_unregister_frees_the_name(self) -> None:
        """After unregistering, the name is unknown again."""
        pool = register_connection_pool("db", AsyncConnectionPool(FakeDatabase().create))
        assert unregister_connection_pool("db") is pool
        with pytest.raises(RegistryError):
            get_connection_pool("db")

    def test_registry_error_is_a_key_error(self) -> None:
        """RegistryError can be caught as KeyError, like a missing mapping key."""
        with pytest.raises(KeyError):
            get_connection_pool("nothing")
