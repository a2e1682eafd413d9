"""PriorityLock: priority order, FIFO within a priority, optional aging, timeouts, cancellation, stats."""

from __future__ import annotations

import asyncio

import pytest

from omnimemory_kit import AcquireTimeoutError, ConfigError, LockPriority, PriorityLock
from omnimemory_kit.clock import FakeClock
from tests.concurrency.helpers import settle

LOW, NORMAL, HIGH, CRITICAL = LockPriority.LOW, LockPriority.NORMAL, LockPriority.HIGH, LockPriority.CRITICAL


async def queue_up(
    lock: PriorityLock, priorities: list[LockPriority], order: list[str]
) -> list[asyncio.Task[None]]:
    """Start one waiter per priority (in list order) and let them all queue."""

    async def waiter(label: str, priority: LockPriority) -> None:
        async with lock.hold(priority):
            order.append(label)

    tasks = [asyncio.create_task(waiter(f"{p.name}{i}", p)) for i, p in enumerate(priorities)]
    await settle()
    return tasks


class TestConstruction:
    @pytest.mark.parametrize("aging", [0, -1.0])
    def test_rejects_non_positive_aging_interval(self, aging: float) -> None:
        """An aging interval that is not positive is a ConfigError."""
        with pytest.raises(ConfigError, match="aging_interval"):
            PriorityLock(aging_interval=aging)

    async def test_rejects_an_unknown_priority_when_it_must_queue(self) -> None:
        """A priority outside LockPriority is a ConfigError listing the valid names."""
        lock = PriorityLock()
        await lock.acquire()
        with pytest.raises(ConfigError, match="LOW, NORMAL, HIGH, CRITICAL"):
            await lock.acquire(7)  # type: ignore[arg-type]
        assert lock.waiting == 0


class TestMutualExclusion:
    async def test_uncontended_acquire_and_release(self) -> None:
        """The lock is held after acquire and free after release."""
        lock = PriorityLock(name="l")
        assert await lock.acquire() is True
        assert lock.locked()
        lock.release()
        assert not lock.locked()

    async def test_release_while_not_held_is_an_error(self) -> None:
        """Releasing a free lock raises instead of corrupting the state."""
        with pytest.raises(RuntimeError, match="not held"):
            PriorityLock().release()

    async def test_only_one_holder_at_a_time(self) -> None:
        """Concurrent holders never overlap."""
        lock = PriorityLock()
        inside = 0
        peak = 0

        async def worker(priority: LockPriority) -> None:
            nonlocal inside, peak
            async with lock.hold(priority):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0)
                inside -= 1

        await asyncio.gather(*(worker(LockPriority(i % 4)) for i in range(50)))
        assert peak == 1
        assert not lock.locked()


class TestPriorityOrder:
    async def test_mixed_queue_is_served_by_priority_then_arrival(self) -> None:
        """Under a queue of mixed priorities the highest goes first, FIFO within a priority."""
        lock = PriorityLock()
        await lock.acquire()
        order: list[str] = []
        tasks = await queue_up(lock, [LOW, NORMAL, HIGH, CRITICAL, HIGH, LOW, NORMAL], order)
        assert lock.stats().waiting_by_priority == {"LOW": 2, "NORMAL": 2, "HIGH": 2, "CRITICAL": 1}
        lock.release()
        await asyncio.gather(*tasks)
        assert order == ["CRITICAL3", "HIGH2", "HIGH4", "NORMAL1", "NORMAL6", "LOW0", "LOW5"]

    async def test_a_late_high_waiter_goes_before_earlier_low_ones(self) -> None:
        """A HIGH waiter that arrives after LOW ones still goes first (no aging by default)."""
        lock = PriorityLock()
        await lock.acquire()
        order: list[str] = []
        low = await queue_up(lock, [LOW, LOW], order)
        high = await queue_up(lock, [HIGH], order)
        lock.release()
        await asyncio.gather(*low, *high)
        assert order == ["HIGH0", "LOW0", "LOW1"]


class TestAging:
    async def test_a_long_waiting_low_overtakes_a_fresh_high(self, clock: FakeClock) -> None:
        """With aging, a LOW waiter that waited three intervals ranks above a fresh HIGH."""
        lock = PriorityLock(aging_interval=1.0, clock=clock)
        await lock.acquire()
        order: list[str] = []
        low = await queue_up(lock, [LOW], order)
        clock.advance(3.0)
        high = await queue_up(lock, [HIGH], order)
        lock.release()
        await asyncio.gather(*low, *high)
        assert order == ["LOW0", "HIGH0"]

    async def test_aging_does_not_reorder_before_its_time(self, clock: FakeClock) -> None:
        """With aging, a LOW waiter that waited one interval still yields to a fresh HIGH."""
        lock = PriorityLock(aging_interval=1.0, clock=clock)
        await lock.acquire()
        order: list[str] = []
        low = await queue_up(lock, [LOW], order)
        clock.advance(1.0)
        high = await queue_up(lock, [HIGH], order)
        lock.release()
        await asyncio.gather(*low, *high)
        assert order == ["HIGH0", "LOW0"]


class TestTimeoutAndCancellation:
    async def test_timed_out_waiter_leaves_the_queue(self, clock: FakeClock) -> None:
        """A waiter that times out raises AcquireTimeoutError and never ends up holding the lock."""
        lock = PriorityLock(name="res", clock=clock)
        await lock.acquire()
        task = asyncio.create_task(lock.acquire(HIGH, timeout=1.0))
        await settle()
        clock.advance(1.0)
        with pytest.raises(AcquireTimeoutError, match="priority lock 'res'"):
            await task
        stats = lock.stats()
        assert (stats.timeouts, stats.waiting, stats.waiting_by_priority["HIGH"]) == (1, 0, 0)
        lock.release()
        assert not lock.locked()

    async def test_waiter_cancelled_after_grant_passes_the_lock_on(self) -> None:
        """A waiter cancelled between its grant and resuming hands the lock to the next waiter."""
        lock = PriorityLock()
        await lock.acquire()
        first = asyncio.create_task(lock.acquire(CRITICAL))
        second = asyncio.create_task(lock.acquire(LOW))
        await settle()
        lock.release()  # grants ``first``
        first.cancel()
        await settle()
        assert first.cancelled()
        assert second.done()
        assert second.exception() is None
        assert lock.locked()
        assert lock.waiting == 0
        lock.release()
        assert not lock.locked()

    async def test_many_cancelled_waiters_are_compacted_away(self) -> None:
        """Hundreds of cancelled waiters do not pile up, and the live one still gets the lock."""
        lock = PriorityLock()
        await lock.acquire()
        doomed = [asyncio.create_task(lock.acquire(HIGH)) for _ in range(300)]
        survivor = asyncio.create_task(lock.acquire(LOW))
        await settle()
        for task in doomed:
            task.cancel()
        await settle()
        assert lock.waiting == 1
        assert len(lock._heap) < 150
        lock.release()
        await survivor
        assert lock.locked()


class TestStatistics:
    async def test_stats_count_acquisitions_and_waits(self, clock: FakeClock) -> None:
        """Stats count acquisitions, queued waits and wait time from the injected clock."""
        lock = PriorityLock(name="s", clock=clock)
        await lock.acquire()
        task = asyncio.create_task(lock.acquire())
        await settle()
        clock.advance(2.5)
        lock.release()
        await task
        stats = lock.stats()
        assert (stats.held, stats.acquisitions, stats.waited) == (True, 2, 1)
        assert (stats.wait_total_s, stats.wait_max_s) == (2.5, 2.5)
        assert repr(lock) == "<PriorityLock 's' locked waiting=0>"
