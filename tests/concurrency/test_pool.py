"""AsyncConnectionPool logic with fake connections: hand-off, validation, discard, expiry, close, stats."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from omnimemory_kit import (
    AcquireTimeoutError,
    AsyncConnectionPool,
    ConfigError,
    ConnectionPoolConfig,
    PoolClosedError,
    PoolError,
    PoolExhaustedError,
)
from omnimemory_kit.clock import FakeClock
from tests.concurrency.helpers import FakeConnection, FakeDatabase, settle


def make_pool(
    clock: FakeClock, db: FakeDatabase, *, validate: bool = True, **config: object
) -> AsyncConnectionPool[FakeConnection]:
    """Build a pool over ``db`` with small defaults."""
    settings: dict[str, object] = {"min_size": 0, "max_size": 2, "timeout": 5.0}
    settings.update(config)
    return AsyncConnectionPool(
        db.create,
        config=ConnectionPoolConfig(**settings),  # type: ignore[arg-type]
        validate=db.validate if validate else None,
        close=db.close,
        name="db",
        clock=clock,
    )


@pytest.fixture
def db() -> FakeDatabase:
    """A fresh fake database."""
    return FakeDatabase()


class TestConfig:
    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            ({"min_size": -1}, "min_size"),
            ({"max_size": 0}, "max_size"),
            ({"min_size": 3, "max_size": 2}, "must not exceed"),
            ({"timeout": 0}, "timeout"),
            ({"max_idle": -5}, "max_idle"),
            ({"max_waiting": -1}, "max_waiting"),
            ({"discard_on": (ValueError, "nope")}, "discard_on"),
        ],
    )
    def test_bad_settings_are_one_config_error(self, settings: dict[str, object], message: str) -> None:
        """Each bad setting is reported as a ConfigError naming the field."""
        with pytest.raises(ConfigError, match=message):
            ConnectionPoolConfig(**settings)  # type: ignore[arg-type]


class TestLifecycle:
    def test_constructible_outside_a_running_loop(self, db: FakeDatabase) -> None:
        """Building a pool starts nothing, so it works at import time with no loop running."""
        pool = make_pool(FakeClock(), db, min_size=1)
        assert repr(pool) == "<AsyncConnectionPool 'db' not opened size=0/2 idle=0 in_use=0 waiting=0>"
        assert db.made == []

    async def test_open_prewarms_min_size(self, clock: FakeClock, db: FakeDatabase) -> None:
        """``open()`` makes ``min_size`` connections before returning."""
        pool = make_pool(clock, db, min_size=2, max_size=3)
        await pool.open()
        stats = pool.stats()
        assert (stats.pool_size, stats.pool_available, stats.connections_num) == (2, 2, 2)
        await pool.close()

    async def test_first_checkout_opens_the_pool_lazily(self, clock: FakeClock, db: FakeDatabase) -> None:
        """A checkout on an unopened pool opens it and still gets a connection."""
        pool = make_pool(clock, db, min_size=1, max_size=1)
        async with pool.connection() as conn:
            assert conn is db.made[0]
        assert pool.stats().pool_size == 1
        await pool.close()

    async def test_prewarm_failure_is_reported_and_pool_stays_usable(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A failed pre-warm raises PoolError naming the cause, and later checkouts still work."""
        pool = make_pool(clock, db, min_size=2)
        db.fail_next_creates = 1
        with pytest.raises(PoolError, match="1 of 2 pre-warm connections failed: ConnectionRefusedError"):
            await pool.open()
        async with pool.connection():
            pass
        assert pool.stats().connections_errors == 1
        await pool.close()


class TestCheckout:
    async def test_idle_connection_is_reused(self, clock: FakeClock, db: FakeDatabase) -> None:
        """A returned connection is handed out again instead of making a new one."""
        pool = make_pool(clock, db)
        async with pool.connection() as first:
            pass
        async with pool.connection() as second:
            pass
        assert first is second
        assert pool.stats().connections_num == 1
        await pool.close()

    async def test_grows_to_max_size_then_queues(self, clock: FakeClock, db: FakeDatabase) -> None:
        """The pool makes connections up to max_size, then a third checkout waits."""
        pool = make_pool(clock, db, max_size=2)
        a = await pool.getconn()
        b = await pool.getconn()
        third = asyncio.create_task(pool.getconn())
        await settle()
        assert not third.done()
        assert pool.stats().requests_waiting == 1
        await pool.putconn(a)
        assert await third is a
        await pool.putconn(a)
        await pool.putconn(b)
        await pool.close()

    async def test_full_pool_hands_a_returned_connection_to_the_longest_waiter(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """With the pool full, a returned connection goes straight to the first waiter, before later ones."""
        pool = make_pool(clock, db, max_size=1)
        held = await pool.getconn()
        order: list[str] = []

        async def user(label: str) -> None:
            async with pool.connection() as conn:
                order.append(label)
                assert conn is held

        waiters = [asyncio.create_task(user(f"w{i}")) for i in range(3)]
        await settle()
        clock.advance(0.5)
        await pool.putconn(held)
        await asyncio.gather(*waiters)
        assert order == ["w0", "w1", "w2"]
        stats = pool.stats()
        assert (stats.requests_queued, stats.connections_num, stats.in_use) == (3, 1, 0)
        assert stats.requests_wait_ms == pytest.approx(1500.0)
        await pool.close()

    async def test_checkout_times_out(self, clock: FakeClock, db: FakeDatabase) -> None:
        """A checkout that waits past its timeout raises AcquireTimeoutError and leaves the queue."""
        pool = make_pool(clock, db, max_size=1)
        held = await pool.getconn()
        task = asyncio.create_task(pool.getconn(timeout=1.0))
        await settle()
        clock.advance(1.0)
        with pytest.raises(AcquireTimeoutError, match="a connection from pool 'db' within 1s"):
            await task
        stats = pool.stats()
        assert (stats.requests_timeouts, stats.requests_waiting) == (1, 0)
        await pool.putconn(held)
        assert pool.stats().pool_available == 1
        await pool.close()

    async def test_max_waiting_refuses_one_more(self, clock: FakeClock, db: FakeDatabase) -> None:
        """With ``max_waiting`` tasks queued, one more checkout fails fast with PoolExhaustedError."""
        pool = make_pool(clock, db, max_size=1, max_waiting=1)
        held = await pool.getconn()
        waiter = asyncio.create_task(pool.getconn())
        await settle()
        with pytest.raises(PoolExhaustedError, match="1 tasks already waiting"):
            await pool.getconn()
        await pool.putconn(held)
        await pool.putconn(await waiter)
        await pool.close()

    async def test_waiter_cancelled_just_after_being_granted_does_not_leak(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A waiter cancelled between the hand-over and resuming passes the connection on."""
        pool = make_pool(clock, db, max_size=1)
        held = await pool.getconn()
        first = asyncio.create_task(pool.getconn())
        second = asyncio.create_task(pool.getconn())
        await settle()
        await pool.putconn(held)  # hands the connection to ``first``, which has not run yet
        first.cancel()
        await settle()
        assert first.cancelled()
        assert await second is held
        await pool.putconn(held)
        stats = pool.stats()
        assert (stats.in_use, stats.pool_available, stats.pool_size) == (0, 1, 1)
        await pool.close()

    async def test_returning_a_foreign_connection_is_an_error(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """``putconn`` of a connection the pool did not lend raises PoolError."""
        pool = make_pool(clock, db)
        with pytest.raises(PoolError, match="not checked out from pool 'db'"):
            await pool.putconn(FakeConnection(99))

    async def test_create_failure_is_counted_and_frees_the_slot(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A failing create raises to the caller, is counted, and does not use up a slot."""
        pool = make_pool(clock, db, max_size=1)
        db.fail_next_creates = 1
        with pytest.raises(ConnectionRefusedError):
            await pool.getconn()
        stats = pool.stats()
        assert (stats.connections_errors, stats.pool_size) == (1, 0)
        async with pool.connection():
            pass
        await pool.close()

    async def test_sync_callbacks_work(self, clock: FakeClock) -> None:
        """Plain functions serve as create, validate and close."""
        closed: list[object] = []
        pool: AsyncConnectionPool[list[int]] = AsyncConnectionPool(
            lambda: [1], validate=lambda conn: bool(conn), close=closed.append, clock=clock
        )
        async with pool.connection() as conn:
            assert conn == [1]
        async with pool.connection():
            pass
        await pool.close()
        assert closed == [[1]]


class TestValidationAndDiscard:
    async def test_invalid_connection_is_closed_once_and_replaced(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """An idle connection that fails validation is closed once and a fresh one is handed out."""
        pool = make_pool(clock, db)
        async with pool.connection() as first:
            pass
        first.healthy = False
        async with pool.connection() as second:
            assert second is not first
        assert first.close_calls == 1
        stats = pool.stats()
        assert (stats.validations_failed, stats.connections_num, stats.pool_size) == (1, 2, 1)
        await pool.close()

    async def test_validator_that_raises_means_invalid(self, clock: FakeClock, db: FakeDatabase) -> None:
        """A validator raising is treated as an invalid connection, not as a failed checkout."""

        def explode(conn: FakeConnection) -> bool:
            raise OSError("socket gone")

        pool = AsyncConnectionPool(db.create, validate=explode, close=db.close, clock=clock)
        async with pool.connection():
            pass
        async with pool.connection() as conn:
            assert conn is db.made[1]
        assert db.made[0].close_calls == 1
        await pool.close()

    async def test_connection_error_in_block_discards_the_connection(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A ``discard_on`` exception in the block closes the connection instead of returning it."""
        pool = make_pool(clock, db)
        with pytest.raises(ConnectionResetError):
            async with pool.connection() as conn:
                raise ConnectionResetError("server closed the connection")
        assert conn.close_calls == 1
        stats = pool.stats()
        assert (stats.connections_lost, stats.pool_size, stats.pool_available) == (1, 0, 0)
        await pool.close()

    async def test_other_errors_in_block_return_the_connection(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """An application error in the block does not cost the connection."""
        pool = make_pool(clock, db)
        with pytest.raises(KeyError):
            async with pool.connection() as conn:
                raise KeyError("row")
        assert conn.close_calls == 0
        assert pool.stats().pool_available == 1
        await pool.close()

    async def test_reset_runs_on_return_and_a_failing_reset_discards(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """``reset`` runs for every returned connection; when it raises, the connection is closed."""
        resets: list[int] = []

        async def reset(conn: FakeConnection) -> None:
            resets.append(conn.number)
            if not conn.healthy:
                raise OSError("cannot roll back")

        pool = AsyncConnectionPool(db.create, reset=reset, close=db.close, clock=clock)
        async with pool.connection() as conn:
            pass
        assert (resets, conn.close_calls) == ([0], 0)
        async with pool.connection() as conn:
            conn.healthy = False
        assert (resets, conn.close_calls) == ([0, 0], 1)
        assert pool.stats().connections_lost == 1
        await pool.close()

    async def test_return_cancelled_during_reset_never_reuses_the_connection(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A return cancelled mid-reset closes the half-reset connection rather than lending it again."""

        async def slow_reset(conn: FakeConnection) -> None:
            if conn.number == 0:
                await clock.sleep(10.0)

        pool = AsyncConnectionPool(db.create, reset=slow_reset, close=db.close, clock=clock)
        conn = await pool.getconn()
        returning = asyncio.create_task(pool.putconn(conn))
        await settle()
        returning.cancel()
        await settle()
        assert returning.cancelled()
        assert conn.close_calls == 1
        async with pool.connection() as fresh:
            assert fresh is not conn
        await pool.close()

    async def test_discard_while_full_makes_a_replacement_for_the_waiter(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """Discarding the only connection while a task waits makes a new one for it: no stall."""
        pool = make_pool(clock, db, max_size=1)
        held = await pool.getconn()
        waiter = asyncio.create_task(pool.getconn())
        await settle()
        await pool.putconn(held, discard=True)
        fresh = await waiter
        assert fresh is not held
        assert held.close_calls == 1
        await pool.putconn(fresh)
        await pool.close()

    async def test_background_creation_retries_with_backoff_for_a_waiter(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A failed replacement for a waiter is retried after a backoff, so the waiter does not stall."""
        pool = make_pool(clock, db, max_size=1, timeout=None)
        held = await pool.getconn()
        waiter = asyncio.create_task(pool.getconn())
        await settle()
        db.fail_next_creates = 2
        await pool.putconn(held, discard=True)
        await settle()
        assert not waiter.done()
        clock.advance(0.5)  # first retry: refused again
        await settle()
        assert not waiter.done()
        clock.advance(1.0)  # second retry, after a doubled delay: succeeds
        fresh = await waiter
        assert fresh is db.made[1]
        assert pool.stats().connections_errors == 2
        await pool.putconn(fresh)
        await pool.close()

    async def test_no_retry_when_nobody_needs_the_connection(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A failed background creation that no waiter or min_size needs is not retried."""
        pool = make_pool(clock, db, max_size=1, timeout=0.4)
        held = await pool.getconn()
        waiter = asyncio.create_task(pool.getconn())
        await settle()
        db.fail_next_creates = 1
        await pool.putconn(held, discard=True)
        await settle()
        clock.advance(0.4)  # the waiter gives up, and with it the reason to retry
        with pytest.raises(AcquireTimeoutError):
            await waiter
        clock.advance(0.1)  # the retry wakes up, finds nobody waiting, and stops
        await settle()
        assert db.made == [held]  # no replacement was made
        assert clock.pending_timers == 1  # only the pool's maintenance tick, no retry left sleeping
        assert pool.stats().pool_size == 0
        await pool.close()


class TestExpiry:
    async def test_connection_past_max_lifetime_is_replaced_on_return(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """A connection returned after its max lifetime is closed instead of kept."""
        pool = make_pool(clock, db, min_size=1, max_lifetime=60.0, max_idle=None)
        await pool.open()
        conn = await pool.getconn()
        clock.advance(61.0)
        await pool.putconn(conn)
        await settle()
        assert conn.close_calls == 1
        assert db.open_connections == [db.made[1]]  # min_size topped up again
        await pool.close()

    async def test_check_closes_idle_connections_beyond_min_size(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """``check()`` closes connections idle longer than max_idle, keeping min_size."""
        pool = make_pool(clock, db, min_size=1, max_size=3, max_idle=10.0)
        conns = [await pool.getconn() for _ in range(3)]
        for conn in conns:
            await pool.putconn(conn)
        clock.advance(11.0)
        await pool.check()
        stats = pool.stats()
        assert (stats.pool_size, stats.pool_available, stats.connections_closed) == (1, 1, 2)
        await pool.close()

    async def test_background_health_check_drops_broken_idle_connections(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """With a health-check interval, the background task validates idle connections and refills."""
        pool = make_pool(clock, db, min_size=1, health_check_interval=30.0, max_idle=None, max_lifetime=None)
        await pool.open()
        db.made[0].healthy = False
        clock.advance(30.0)
        await settle()
        assert db.made[0].close_calls == 1
        assert pool.stats().validations_failed == 1
        assert [c.number for c in db.open_connections] == [1]
        await pool.close()


class TestClose:
    async def test_close_while_in_use_waits_and_closes_each_connection_once(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """Close fails waiters, closes idle ones now, waits for the one in use, and closes it once."""
        pool = make_pool(clock, db, max_size=2)
        idle = await pool.getconn()
        busy = await pool.getconn()
        await pool.putconn(idle)
        idle_again = await pool.getconn()
        waiter = asyncio.create_task(pool.getconn())
        await settle()
        await pool.putconn(idle_again)  # goes to the waiter
        still_waiting = asyncio.create_task(pool.getconn())
        await settle()
        closing = asyncio.create_task(pool.close())
        await settle()
        with pytest.raises(PoolClosedError):
            await still_waiting
        assert not closing.done()
        await pool.putconn(busy)
        await pool.putconn(await waiter)
        await closing
        assert [c.close_calls for c in db.made] == [1, 1]
        with pytest.raises(PoolClosedError):
            await pool.getconn()
        assert pool.stats().requests_errors == 2

    async def test_close_timeout_closes_connections_still_in_use_once(
        self, clock: FakeClock, db: FakeDatabase, caplog: pytest.LogCaptureFixture
    ) -> None:
        """After its timeout close() closes connections still in use; returning them later closes nothing."""
        pool = make_pool(clock, db)
        busy = await pool.getconn()
        closing = asyncio.create_task(pool.close(timeout=2.0))
        await settle()
        with caplog.at_level(logging.WARNING):
            clock.advance(2.0)
            await closing
        assert "closing 1 connection(s) still in use after 2s" in caplog.text
        assert busy.close_calls == 1
        await pool.putconn(busy)
        assert busy.close_calls == 1
        assert pool.stats().pool_size == 0

    async def test_close_stops_background_tasks_and_is_idempotent(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """Close cancels the maintenance task; a second close does nothing."""
        pool = make_pool(clock, db, min_size=1, health_check_interval=5.0)
        await pool.open()
        assert clock.pending_timers == 1
        await pool.close()
        await pool.close()
        assert clock.pending_timers == 0
        assert db.made[0].close_calls == 1

    async def test_close_during_a_slow_health_check_still_closes_every_connection(
        self, clock: FakeClock
    ) -> None:
        """Close cancelling a health check mid-validation loses no connection: each is closed once."""
        db = FakeDatabase()
        stuck = False

        async def slow_validate(conn: FakeConnection) -> bool:
            if stuck:
                await clock.sleep(100.0)
            return True

        pool = AsyncConnectionPool(
            db.create,
            config=ConnectionPoolConfig(min_size=2, health_check_interval=5.0),
            validate=slow_validate,
            close=db.close,
            clock=clock,
        )
        await pool.open()
        stuck = True
        clock.advance(5.0)
        await settle()
        assert pool.stats().pool_available == 0  # both taken out by the running check
        await pool.close()
        assert [c.close_calls for c in db.made] == [1, 1]
        assert pool.stats().pool_size == 0


class TestStatistics:
    async def test_stats_are_frozen_and_repr_shows_live_state(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """Stats cannot be mutated, and the repr tells size, idle, in use and waiting."""
        pool = make_pool(clock, db)
        conn = await pool.getconn()
        with pytest.raises(ValidationError):
            pool.stats().in_use = 5  # type: ignore[misc]
        assert repr(pool) == "<AsyncConnectionPool 'db' open size=1/2 idle=0 in_use=1 waiting=0>"
        await pool.putconn(conn)
        await pool.close()
        assert repr(pool) == "<AsyncConnectionPool 'db' closed size=0/2 idle=0 in_use=0 waiting=0>"

    async def test_get_stats_is_stats_under_psycopg_pools_name(
        self, clock: FakeClock, db: FakeDatabase
    ) -> None:
        """``get_stats()`` (psycopg_pool's name) returns the same snapshot as ``stats()``."""
        pool = make_pool(clock, db)
        conn = await pool.getconn()
        assert pool.get_stats() == pool.stats()
        assert (pool.get_stats().in_use, pool.get_stats().requests_num) == (1, 1)
        await pool.putconn(conn)
        await pool.close()
