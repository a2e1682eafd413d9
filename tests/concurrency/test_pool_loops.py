"""AsyncConnectionPool and event loops: another live loop is refused at once; a closed loop is taken over."""

from __future__ import annotations

import asyncio

from omnimemory_kit import AsyncConnectionPool, ConnectionPoolConfig, PoolError
from omnimemory_kit.clock import SYSTEM_CLOCK, FakeClock
from tests.concurrency.helpers import FakeConnection, FakeDatabase, settle


class TestAnotherRunningLoop:
    """A pool shared with a thread that runs its own event loop."""

    async def test_checkout_from_another_live_loop_raises_at_once(self) -> None:
        """With the only connection in use here, a checkout from a second loop raises PoolError, no stall.

        The pool runs on the system clock with a 5 s timeout: the broken behaviour (a waiter on the other
        loop that no hand-over wakes) would end in AcquireTimeoutError instead.
        """
        db = FakeDatabase()
        pool: AsyncConnectionPool[FakeConnection] = AsyncConnectionPool(
            db.create, config=ConnectionPoolConfig(min_size=0, max_size=1, timeout=5.0), clock=SYSTEM_CLOCK
        )
        held = await pool.getconn()

        def other_loop() -> BaseException | None:
            try:
                asyncio.run(pool.getconn())
            except BaseException as exc:
                return exc
            return None

        error = await asyncio.to_thread(other_loop)
        assert isinstance(error, PoolError)
        assert "another event loop" in str(error)
        await pool.putconn(held)
        await pool.close()


class TestClosedLoop:
    """Scripts that call asyncio.run() more than once with one pool."""

    def test_next_loop_takes_over_with_its_background_check(self) -> None:
        """After the first loop closed, a second one checks out and its background check closes idle ones."""
        clock = FakeClock()
        db = FakeDatabase()
        pool: AsyncConnectionPool[FakeConnection] = AsyncConnectionPool(
            db.create,
            config=ConnectionPoolConfig(min_size=0, max_size=2, max_idle=10.0, max_lifetime=None),
            close=db.close,
            clock=clock,
        )

        async def use() -> None:
            async with pool.connection():
                await settle()

        asyncio.run(use())

        async def second() -> None:
            await use()
            clock.advance(11.0)  # past max_idle: only a live background check closes the idle one
            await settle()

        asyncio.run(second())
        assert db.made
        assert db.open_connections == []
