"""Hypothesis state machines: random acquire/release/cancel/timeout sequences keep the invariants.

Each example runs on its own fresh event loop. Rules start tasks and then let the loop settle, so every
invariant is checked at a quiet point; rules that need an exact interleaving (a hand-over followed by a
cancellation before the grantee resumes) do both steps in one coroutine with no yield between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from omnimemory_kit import AcquireTimeoutError, AsyncConnectionPool, ConnectionPoolConfig, FairSemaphore
from omnimemory_kit.clock import FakeClock
from tests.concurrency.helpers import FakeConnection, FakeDatabase, settle

T = TypeVar("T")

TIMEOUTS = st.sampled_from([None, 1.0, 2.5])
MACHINE_SETTINGS = settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class LoopMachine(RuleBasedStateMachine):
    """A state machine that owns a fresh event loop and a fake clock."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion on this example's loop, then let the loop settle."""

        async def and_settle() -> T:
            result = await coro
            await settle()
            return result

        return self.loop.run_until_complete(and_settle())

    def close_loop(self, tasks: list[asyncio.Task[Any]]) -> None:
        """Cancel what is left and close the loop."""

        async def finish() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.loop.run_until_complete(finish())
        self.loop.close()


class FairSemaphoreMachine(LoopMachine):
    """Random acquire / release / cancel / timeout / grant-then-cancel steps on a 3-permit semaphore."""

    PERMITS = 3

    def __init__(self) -> None:
        super().__init__()
        self.sem = FairSemaphore(self.PERMITS, clock=self.clock)
        self.held = 0
        self.pending: list[tuple[int, asyncio.Task[None]]] = []
        self.arrival = 0
        self.granted_order: list[int] = []
        self.timeouts_seen = 0

    def _collect(self) -> None:
        still = []
        for number, task in self.pending:
            if not task.done():
                still.append((number, task))
            elif task.cancelled():
                pass
            elif isinstance(task.exception(), AcquireTimeoutError):
                self.timeouts_seen += 1
            else:
                assert task.exception() is None
                self.held += 1
                self.granted_order.append(number)
        self.pending = still

    @rule(timeout=TIMEOUTS)
    def acquire(self, timeout: float | None) -> None:
        async def start() -> None:
            task = asyncio.get_running_loop().create_task(self.sem.acquire(timeout))
            self.pending.append((self.arrival, task))
            self.arrival += 1

        self.run(start())
        self._collect()

    @precondition(lambda self: self.held > 0)
    @rule()
    def release(self) -> None:
        async def give_back() -> None:
            self.sem.release()

        self.held -= 1
        self.run(give_back())
        self._collect()

    @precondition(lambda self: self.held > 0 and self.pending)
    @rule()
    def release_then_cancel_the_grantee(self) -> None:
        async def hand_over_and_cancel() -> None:
            self.sem.release()  # grants the first pending waiter...
            self.pending[0][1].cancel()  # ...which is cancelled before it resumes

        self.held -= 1
        self.run(hand_over_and_cancel())
        self._collect()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel_a_waiter(self, data: st.DataObject) -> None:
        _, task = data.draw(st.sampled_from(self.pending))

        async def cancel() -> None:
            task.cancel()

        self.run(cancel())
        self._collect()

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0]))
    def advance_time(self, seconds: float) -> None:
        async def advance() -> None:
            self.clock.advance(seconds)

        self.run(advance())
        self._collect()

    @invariant()
    def permits_are_conserved(self) -> None:
        assert self.sem.in_use == self.held
        assert self.sem.available == self.PERMITS - self.held
        assert 0 <= self.sem.available <= self.PERMITS

    @invariant()
    def waiting_matches_pending_tasks(self) -> None:
        assert self.sem.waiting == len(self.pending)
        if self.pending:
            assert self.sem.available == 0  # nobody waits while a permit is free

    @invariant()
    def grants_follow_arrival_order(self) -> None:
        assert self.granted_order == sorted(self.granted_order)

    @invariant()
    def counters_are_consistent(self) -> None:
        stats = self.sem.stats()
        assert stats.timeouts == self.timeouts_seen
        assert min(stats.acquisitions, stats.waited, stats.timeouts, stats.cancellations) >= 0
        assert stats.acquisitions == len(self.granted_order)

    def teardown(self) -> None:
        self.close_loop([task for _, task in self.pending])


class ConnectionPoolMachine(LoopMachine):
    """Random checkout / return / discard / cancel / timeout / failure steps on a pool of at most 3."""

    MAX = 3

    def __init__(self) -> None:
        super().__init__()
        self.db = FakeDatabase()
        self.pool: AsyncConnectionPool[FakeConnection] = AsyncConnectionPool(
            self.db.create,
            config=ConnectionPoolConfig(min_size=1, max_size=self.MAX, timeout=None, max_idle=None),
            validate=self.db.validate,
            close=self.db.close,
            name="machine",
            clock=self.clock,
        )
        self.held: list[FakeConnection] = []
        self.pending: list[asyncio.Task[FakeConnection]] = []

    def _collect(self) -> None:
        still = []
        for task in self.pending:
            if not task.done():
                still.append(task)
            elif not task.cancelled() and task.exception() is None:
                connection = task.result()
                assert connection.close_calls == 0, "a closed connection was handed out"
                assert connection not in self.held, "a connection was handed out twice"
                self.held.append(connection)
        self.pending = still

    @rule(timeout=TIMEOUTS)
    def checkout(self, timeout: float | None) -> None:
        async def start() -> None:
            self.pending.append(asyncio.get_running_loop().create_task(self.pool.getconn(timeout)))

        self.run(start())
        self._collect()

    @precondition(lambda self: self.held)
    @rule(data=st.data(), discard=st.booleans())
    def give_back(self, data: st.DataObject, discard: bool) -> None:
        connection = data.draw(st.sampled_from(self.held))
        self.held.remove(connection)
        self.run(self.pool.putconn(connection, discard=discard))
        self._collect()

    @precondition(lambda self: self.held and self.pending)
    @rule()
    def give_back_then_cancel_the_grantee(self) -> None:
        connection = self.held.pop(0)
        first = self.pending[0]

        async def hand_over_and_cancel() -> None:
            await self.pool.putconn(connection)  # hands it to the first waiter without yielding...
            first.cancel()  # ...which is cancelled before it resumes

        self.run(hand_over_and_cancel())
        self._collect()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel_a_waiter(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self.pending))

        async def cancel() -> None:
            task.cancel()

        self.run(cancel())
        self._collect()

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0]))
    def advance_time(self, seconds: float) -> None:
        async def advance() -> None:
            self.clock.advance(seconds)

        self.run(advance())
        self._collect()

    @rule()
    def break_an_idle_connection(self) -> None:
        idle = [c for c in self.db.open_connections if c not in self.held]
        if idle:
            idle[0].healthy = False

    @rule()
    def refuse_the_next_connection(self) -> None:
        self.db.fail_next_creates += 1

    @invariant()
    def sizes_stay_within_bounds(self) -> None:
        stats = self.pool.stats()
        assert stats.in_use == len(self.held)
        assert stats.pool_available + stats.in_use <= stats.pool_size <= self.MAX
        assert stats.requests_waiting == len(self.pending)

    @invariant()
    def connections_are_accounted_for(self) -> None:
        assert all(c.close_calls <= 1 for c in self.db.made), "a connection was closed twice"
        assert all(c.close_calls == 0 for c in self.held)
        assert len(self.db.open_connections) <= self.MAX

    @invariant()
    def counters_never_go_negative(self) -> None:
        stats = self.pool.stats()
        assert min(v for v in stats.model_dump().values() if isinstance(v, int | float)) >= 0

    def teardown(self) -> None:
        async def drain() -> None:
            for task in self.pending:
                task.cancel()
            await asyncio.gather(*self.pending, return_exceptions=True)
            for connection in self.held:
                await self.pool.putconn(connection)
            await self.pool.close()

        self.loop.run_until_complete(drain())
        self.loop.close()
        assert all(c.close_calls == 1 for c in self.db.made), "close() must close every connection once"


TestFairSemaphoreMachine = FairSemaphoreMachine.TestCase
TestFairSemaphoreMachine.settings = MACHINE_SETTINGS
TestConnectionPoolMachine = ConnectionPoolMachine.TestCase
TestConnectionPoolMachine.settings = MACHINE_SETTINGS
