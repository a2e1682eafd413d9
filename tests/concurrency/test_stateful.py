"""Hypothesis state machines: random acquire/release/cancel/timeout sequences keep the invariants.

Each example runs on its own fresh event loop. Rules start tasks and then let the loop settle, so every
invariant is checked at a quiet point; rules that need an exact interleaving (a hand-over followed by a
cancellation before the grantee resumes) do both steps in one coroutine with no yield between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from omnimemory_kit import (
    AcquireTimeoutError,
    AsyncConnectionPool,
    ConnectionPoolConfig,
    FairSemaphore,
    LockPriority,
    PriorityLock,
)
from omnimemory_kit.clock import FakeClock
from tests.concurrency.helpers import FakeConnection, FakeDatabase, settle

T = TypeVar("T")

TIMEOUTS = st.sampled_from([None, 1.0, 2.5])
Rank = tuple[float, int]  # a priority lock waiter's place in line: (key, arrival number), lower first
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
    """Random acquire / release / cancel / timeout / grant-then-cancel steps on a 3-permit semaphore.

    Each waiter notes its arrival number the moment its ``acquire`` returns, so ``granted_order`` is the
    order the grants really happened in, even when one step grants several waiters at once.
    """

    PERMITS = 3
    semaphore_type: type[FairSemaphore] = FairSemaphore

    def __init__(self) -> None:
        super().__init__()
        self.sem = self.semaphore_type(self.PERMITS, clock=self.clock)
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
        self.pending = still

    async def _acquire_and_note(self, number: int, timeout: float | None) -> None:
        await self.sem.acquire(timeout)
        self.granted_order.append(number)  # runs as the grant resumes this waiter, in grant order

    @rule(timeout=TIMEOUTS)
    def acquire(self, timeout: float | None) -> None:
        """A new task asks for a permit (with no, a short or a longer timeout); it may have to queue."""

        async def start() -> None:
            task = asyncio.get_running_loop().create_task(self._acquire_and_note(self.arrival, timeout))
            self.pending.append((self.arrival, task))
            self.arrival += 1

        self.run(start())
        self._collect()

    @precondition(lambda self: self.held > 0)
    @rule()
    def release(self) -> None:
        """One holder gives its permit back: to the longest waiter if any, else to the pool."""

        async def give_back() -> None:
            self.sem.release()

        self.held -= 1
        self.run(give_back())
        self._collect()

    @precondition(lambda self: self.held > 1)
    @rule(count=st.integers(2, PERMITS))
    def release_several_at_once(self, count: int) -> None:
        """Several holders give permits back without yielding, so one step grants several waiters."""
        count = min(count, self.held)

        async def give_back() -> None:
            for _ in range(count):
                self.sem.release()

        self.held -= count
        self.run(give_back())
        self._collect()

    @precondition(lambda self: self.held > 0 and self.pending)
    @rule()
    def release_then_cancel_the_grantee(self) -> None:
        """A permit is handed to the first waiter, which is cancelled before it resumes (it passes it on)."""

        async def hand_over_and_cancel() -> None:
            self.sem.release()  # grants the first pending waiter...
            self.pending[0][1].cancel()  # ...which is cancelled before it resumes

        self.held -= 1
        self.run(hand_over_and_cancel())
        self._collect()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel_a_waiter(self, data: st.DataObject) -> None:
        """Any queued task is cancelled while it waits."""
        _, task = data.draw(st.sampled_from(self.pending))

        async def cancel() -> None:
            task.cancel()

        self.run(cancel())
        self._collect()

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0]))
    def advance_time(self, seconds: float) -> None:
        """The fake clock moves on, so waiters whose timeout passed give up."""

        async def advance() -> None:
            self.clock.advance(seconds)

        self.run(advance())
        self._collect()

    @invariant()
    def permits_are_conserved(self) -> None:
        """Permits held by tasks plus permits free always make the total."""
        assert self.sem.in_use == self.held
        assert self.sem.available == self.PERMITS - self.held
        assert 0 <= self.sem.available <= self.PERMITS

    @invariant()
    def waiting_matches_pending_tasks(self) -> None:
        """The queue holds exactly the tasks still waiting, and nobody waits while a permit is free."""
        assert self.sem.waiting == len(self.pending)
        if self.pending:
            assert self.sem.available == 0

    @invariant()
    def grants_follow_arrival_order(self) -> None:
        """Waiters were granted in the order they arrived, within a step as across steps."""
        assert self.granted_order == sorted(self.granted_order)

    @invariant()
    def counters_are_consistent(self) -> None:
        """The statistics count every grant and every timeout once, and never go negative."""
        stats = self.sem.stats()
        assert stats.timeouts == self.timeouts_seen
        assert min(stats.acquisitions, stats.waited, stats.timeouts, stats.cancellations) >= 0
        assert stats.acquisitions == len(self.granted_order)

    def teardown(self) -> None:
        self.close_loop([task for _, task in self.pending])


class PriorityLockMachine(LoopMachine):
    """Random acquire / release / cancel / timeout / grant-then-cancel steps on a priority lock.

    The model ranks waiters as the lock promises: by priority, then arrival; with aging, by
    ``arrival_time / aging_interval - priority``, then arrival. Each waiter notes, the moment its acquire
    returns, its rank and the ranks of the waiters still queued; every grant must have gone to the best.
    """

    lock_type: type[PriorityLock] = PriorityLock

    def __init__(self) -> None:
        super().__init__()
        self.lock = self.lock_type(name="machine", clock=self.clock)
        self.held = False
        self.pending: list[tuple[Rank, asyncio.Task[None]]] = []
        self.cancelled: set[Rank] = set()
        self.arrival = 0
        self.grants: list[tuple[Rank, list[Rank]]] = []
        self.timeouts_seen = 0

    @initialize(aging=st.sampled_from([None, 0.5, 4.0]))
    def build(self, aging: float | None) -> None:
        """Build the lock without aging, or with a short or a long aging interval."""
        self.lock = self.lock_type(name="machine", aging_interval=aging, clock=self.clock)

    def _rank(self, priority: LockPriority) -> Rank:
        key = -float(priority)  # the lock's own formula, so equal floats compare equal
        if self.lock.aging_interval is not None:
            key += self.clock.monotonic() / self.lock.aging_interval
        return (key, self.arrival)

    def _queued_ranks(self, granted: Rank) -> list[Rank]:
        return [
            rank
            for rank, task in self.pending
            if rank != granted and rank not in self.cancelled and not task.done()
        ]

    async def _acquire_and_note(self, rank: Rank, priority: LockPriority, timeout: float | None) -> None:
        await self.lock.acquire(priority, timeout)
        self.grants.append((rank, self._queued_ranks(rank)))  # who else was still waiting at the grant

    def _collect(self) -> None:
        still = []
        for rank, task in self.pending:
            if not task.done():
                still.append((rank, task))
            elif task.cancelled():
                pass
            elif isinstance(task.exception(), AcquireTimeoutError):
                self.timeouts_seen += 1
            else:
                assert task.exception() is None
                assert not self.held, "two tasks hold the lock"
                self.held = True
        self.pending = still

    @rule(priority=st.sampled_from(list(LockPriority)), timeout=TIMEOUTS)
    def acquire(self, priority: LockPriority, timeout: float | None) -> None:
        """A new task asks for the lock at some priority (with or without a timeout); it may queue."""

        async def start() -> None:
            rank = self._rank(priority)
            task = asyncio.get_running_loop().create_task(self._acquire_and_note(rank, priority, timeout))
            self.pending.append((rank, task))
            self.arrival += 1

        self.run(start())
        self._collect()

    @precondition(lambda self: self.held)
    @rule()
    def release(self) -> None:
        """The holder releases: the lock goes to the best-ranked waiter if any, else it is free."""

        async def give_back() -> None:
            self.lock.release()

        self.held = False
        self.run(give_back())
        self._collect()

    @precondition(lambda self: self.held and self.pending)
    @rule()
    def release_then_cancel_the_grantee(self) -> None:
        """The lock is handed to the best waiter, which is cancelled before it resumes (it passes it on)."""
        best = min(self.pending, key=lambda entry: entry[0])

        async def hand_over_and_cancel() -> None:
            self.lock.release()  # grants the best-ranked waiter...
            best[1].cancel()  # ...which is cancelled before it resumes
            self.cancelled.add(best[0])

        self.held = False
        self.run(hand_over_and_cancel())
        self._collect()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel_a_waiter(self, data: st.DataObject) -> None:
        """Any queued task is cancelled while it waits."""
        rank, task = data.draw(st.sampled_from(self.pending))

        async def cancel() -> None:
            task.cancel()
            self.cancelled.add(rank)

        self.run(cancel())
        self._collect()

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0]))
    def advance_time(self, seconds: float) -> None:
        """The fake clock moves on: waiters past their timeout give up, later arrivals rank lower."""

        async def advance() -> None:
            self.clock.advance(seconds)

        self.run(advance())
        self._collect()

    @invariant()
    def one_holder_at_most(self) -> None:
        """The lock is held exactly when one task holds it."""
        assert self.lock.locked() == self.held

    @invariant()
    def waiting_matches_pending_tasks(self) -> None:
        """The queue holds exactly the tasks still waiting, and nobody waits for a free lock."""
        assert self.lock.waiting == len(self.pending)
        if self.pending:
            assert self.lock.locked()

    @invariant()
    def grants_go_to_the_best_ranked_waiter(self) -> None:
        """Every grant went to a waiter ranked above all those still queued, within a step as across."""
        assert [(rank, queued) for rank, queued in self.grants if any(r < rank for r in queued)] == []

    @invariant()
    def counters_are_consistent(self) -> None:
        """The statistics count every grant and every timeout once."""
        stats = self.lock.stats()
        assert stats.timeouts == self.timeouts_seen
        assert stats.acquisitions == len(self.grants)

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
        """A new task asks for a connection (with no, a short or a longer timeout); it may have to queue."""

        async def start() -> None:
            self.pending.append(asyncio.get_running_loop().create_task(self.pool.getconn(timeout)))

        self.run(start())
        self._collect()

    @precondition(lambda self: self.held)
    @rule(data=st.data(), discard=st.booleans())
    def give_back(self, data: st.DataObject, discard: bool) -> None:
        """A held connection is returned, or discarded so the pool replaces it."""
        connection = data.draw(st.sampled_from(self.held))
        self.held.remove(connection)
        self.run(self.pool.putconn(connection, discard=discard))
        self._collect()

    @precondition(lambda self: self.held and self.pending)
    @rule()
    def give_back_then_cancel_the_grantee(self) -> None:
        """A returned connection is handed to the first waiter, cancelled before it resumes."""
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
        """Any queued checkout is cancelled while it waits."""
        task = data.draw(st.sampled_from(self.pending))

        async def cancel() -> None:
            task.cancel()

        self.run(cancel())
        self._collect()

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0]))
    def advance_time(self, seconds: float) -> None:
        """The fake clock moves on, so checkouts whose timeout passed give up."""

        async def advance() -> None:
            self.clock.advance(seconds)

        self.run(advance())
        self._collect()

    @rule()
    def break_an_idle_connection(self) -> None:
        """An idle connection stops working, so the next validation must catch it."""
        idle = [c for c in self.db.open_connections if c not in self.held]
        if idle:
            idle[0].healthy = False

    @rule()
    def refuse_the_next_connection(self) -> None:
        """The database refuses the next connection the pool tries to open."""
        self.db.fail_next_creates += 1

    @invariant()
    def sizes_stay_within_bounds(self) -> None:
        """In-use, idle and waiting counts match the tasks, and the pool never exceeds its size."""
        stats = self.pool.stats()
        assert stats.in_use == len(self.held)
        assert stats.pool_available + stats.in_use <= stats.pool_size <= self.MAX
        assert stats.requests_waiting == len(self.pending)

    @invariant()
    def connections_are_accounted_for(self) -> None:
        """No connection is closed twice, none held is closed, no more are open than the maximum."""
        assert all(c.close_calls <= 1 for c in self.db.made), "a connection was closed twice"
        assert all(c.close_calls == 0 for c in self.held)
        assert len(self.db.open_connections) <= self.MAX

    @invariant()
    def counters_never_go_negative(self) -> None:
        """No statistic is ever negative."""
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


class NewestFirstSemaphore(FairSemaphore):
    """Injected fault: a released permit goes to the newest waiter instead of the longest-waiting one."""

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            fut = waiters.pop()
            if not fut.done():
                fut.set_result(None)
                return
        self._available += 1


class NewestFirstMachine(FairSemaphoreMachine):
    """The fair semaphore machine driving the faulty semaphore."""

    semaphore_type = NewestFirstSemaphore


def _two_waiters_granted_in_one_step(machine: FairSemaphoreMachine) -> list[int]:
    """Fill the three permits, queue two waiters, release two permits in one step; return the grants."""
    try:
        for _ in range(5):
            machine.acquire(timeout=None)
        machine.release_several_at_once(count=2)
        return machine.granted_order
    finally:
        machine.teardown()


class TestTheArrivalOrderCheck:
    def test_it_catches_two_grants_out_of_order_in_one_step(self) -> None:
        """Two waiters granted newest-first within one step break the arrival-order invariant."""
        machine = NewestFirstMachine()
        assert _two_waiters_granted_in_one_step(machine) == [0, 1, 2, 4, 3]
        with pytest.raises(AssertionError):
            machine.grants_follow_arrival_order()

    def test_the_fair_semaphore_passes_the_same_steps(self) -> None:
        """The real semaphore grants the same two waiters oldest-first, and the invariant holds."""
        machine = FairSemaphoreMachine()
        assert _two_waiters_granted_in_one_step(machine) == [0, 1, 2, 3, 4]
        machine.grants_follow_arrival_order()


TestFairSemaphoreMachine = FairSemaphoreMachine.TestCase
TestFairSemaphoreMachine.settings = MACHINE_SETTINGS
TestPriorityLockMachine = PriorityLockMachine.TestCase
# more examples: an aging bug needs a hold, a low waiter, time passing, a higher waiter and a release
TestPriorityLockMachine.settings = settings(MACHINE_SETTINGS, max_examples=150)
TestConnectionPoolMachine = ConnectionPoolMachine.TestCase
TestConnectionPoolMachine.settings = MACHINE_SETTINGS
