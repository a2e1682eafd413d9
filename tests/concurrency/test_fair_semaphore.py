"""FairSemaphore: strict FIFO, timeouts on the injected clock, cancellation safety, statistics."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from omnimemory_kit import AcquireTimeoutError, ConfigError, FairSemaphore
from omnimemory_kit.clock import FakeClock
from tests.concurrency.helpers import settle


class TestConstruction:
    @pytest.mark.parametrize("permits", [0, -1, 1.5, True])
    def test_rejects_bad_permits(self, permits: object) -> None:
        """A permit count that is not a positive integer is a ConfigError naming the value."""
        with pytest.raises(ConfigError, match="permits"):
            FairSemaphore(permits)  # type: ignore[arg-type]

    def test_rejects_negative_timeout(self) -> None:
        """A negative default timeout is a ConfigError."""
        with pytest.raises(ConfigError, match="timeout"):
            FairSemaphore(1, timeout=-1)


class TestUncontended:
    async def test_acquire_within_permits_does_not_wait(self) -> None:
        """Up to ``permits`` acquisitions succeed at once and are counted."""
        sem = FairSemaphore(2, name="s")
        await sem.acquire()
        await sem.acquire()
        assert (sem.in_use, sem.available, sem.locked()) == (2, 0, True)
        sem.release()
        assert (sem.in_use, sem.available) == (1, 1)
        assert sem.stats().acquisitions == 2

    async def test_release_more_than_acquired_is_an_error(self) -> None:
        """Releasing a permit nobody holds raises instead of inflating the count."""
        sem = FairSemaphore(1)
        with pytest.raises(RuntimeError, match="released more times"):
            sem.release()
        assert sem.available == 1

    async def test_context_manager_releases_on_error(self) -> None:
        """``async with`` gives the permit back when the block raises."""
        sem = FairSemaphore(1)
        with pytest.raises(ValueError, match="boom"):
            async with sem:
                raise ValueError("boom")
        assert sem.available == 1


class TestFifo:
    async def test_waiters_are_granted_in_arrival_order(self) -> None:
        """Queued tasks get permits in the order they asked."""
        sem = FairSemaphore(1)
        await sem.acquire()
        order: list[int] = []

        async def worker(i: int) -> None:
            async with sem:
                order.append(i)

        tasks = [asyncio.create_task(worker(i)) for i in range(5)]
        await settle()
        sem.release()
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2, 3, 4]

    async def test_release_and_reacquire_does_not_overtake_a_waiter(self) -> None:
        """A holder that releases and asks again at once queues behind the task already waiting."""
        sem = FairSemaphore(1)
        order: list[str] = []
        await sem.acquire()

        async def waiter() -> None:
            async with sem:
                order.append("waiter")

        task = asyncio.create_task(waiter())
        await settle()
        sem.release()
        await sem.acquire()  # must wait: the permit was handed to the waiter
        order.append("re-acquirer")
        sem.release()
        await task
        assert order == ["waiter", "re-acquirer"]

    async def test_a_thousand_contending_tasks_never_overtake(self) -> None:
        """With 1,000 tasks contending for 10 permits, grants follow arrival order exactly."""
        sem = FairSemaphore(10)
        arrivals: list[int] = []
        grants: list[int] = []

        async def worker(i: int) -> None:
            for round_ in range(3):
                arrivals.append(i * 10 + round_)
                async with sem:
                    grants.append(i * 10 + round_)
                    await asyncio.sleep(0)

        await asyncio.gather(*(worker(i) for i in range(1000)))
        assert len(grants) == 3000
        assert grants == arrivals
        assert sem.stats().waited > 0
        assert (sem.in_use, sem.waiting) == (0, 0)


class TestTimeout:
    async def test_waiter_times_out_on_the_fake_clock(self, clock: FakeClock) -> None:
        """A waiter gives up with AcquireTimeoutError when fake time passes its timeout."""
        sem = FairSemaphore(1, name="api", clock=clock)
        await sem.acquire()
        task = asyncio.create_task(sem.acquire(timeout=2.0))
        await settle()
        clock.advance(1.9)
        await settle()
        assert not task.done()
        clock.advance(0.2)
        with pytest.raises(AcquireTimeoutError) as info:
            await task
        assert (info.value.what, info.value.timeout) == ("semaphore 'api'", 2.0)
        assert isinstance(info.value, TimeoutError)
        stats = sem.stats()
        assert (stats.timeouts, stats.waiting, stats.in_use, stats.available) == (1, 0, 1, 0)
        sem.release()
        assert sem.available == 1

    async def test_default_timeout_applies_to_async_with(self, clock: FakeClock) -> None:
        """The semaphore's default timeout bounds a plain ``async with``."""
        sem = FairSemaphore(1, timeout=1.0, clock=clock)
        await sem.acquire()

        async def enter() -> None:
            async with sem:
                pass

        task = asyncio.create_task(enter())
        await settle()
        clock.advance(1.0)
        with pytest.raises(AcquireTimeoutError):
            await task

    async def test_callers_own_timeout_error_is_not_a_semaphore_timeout(self, clock: FakeClock) -> None:
        """A TimeoutError raised inside the block reaches the caller as is and is not counted."""
        sem = FairSemaphore(1, clock=clock)
        with pytest.raises(TimeoutError) as info:
            async with sem.hold(timeout=5.0):
                raise TimeoutError("the caller's own")
        assert not isinstance(info.value, AcquireTimeoutError)
        assert sem.stats().timeouts == 0
        assert sem.available == 1

    async def test_callers_deadline_around_the_block_is_not_a_semaphore_timeout(
        self, clock: FakeClock
    ) -> None:
        """The caller's own deadline expiring while it holds a permit is not a semaphore timeout."""
        sem = FairSemaphore(1, clock=clock)

        async def work() -> None:
            async with clock.timeout(1.0), sem.hold(timeout=5.0):
                await clock.sleep(10.0)

        task = asyncio.create_task(work())
        await settle()
        clock.advance(1.0)
        with pytest.raises(TimeoutError) as info:
            await task
        assert not isinstance(info.value, AcquireTimeoutError)
        assert (sem.stats().timeouts, sem.available) == (0, 1)


class TestCancellation:
    async def test_cancelled_waiter_leaves_the_queue(self) -> None:
        """A waiter cancelled while queued is gone and takes no permit with it."""
        sem = FairSemaphore(1)
        await sem.acquire()
        task = asyncio.create_task(sem.acquire())
        await settle()
        assert sem.waiting == 1
        task.cancel()
        await settle()
        assert task.cancelled()
        assert (sem.waiting, sem.stats().cancellations) == (0, 1)
        sem.release()
        assert sem.available == 1

    async def test_waiter_cancelled_just_after_being_granted_passes_the_permit_on(self) -> None:
        """A waiter cancelled between its grant and its resumption hands the permit to the next waiter."""
        sem = FairSemaphore(1)
        await sem.acquire()
        first = asyncio.create_task(sem.acquire())
        second = asyncio.create_task(sem.acquire())
        await settle()
        sem.release()  # grants ``first``, which has not run yet
        first.cancel()
        await settle()
        assert first.cancelled()
        assert second.done()
        assert second.exception() is None
        assert (sem.in_use, sem.available, sem.waiting) == (1, 0, 0)
        sem.release()
        assert (sem.in_use, sem.available) == (0, 1)

    async def test_granted_then_cancelled_with_nobody_waiting_returns_the_permit(self) -> None:
        """With no one else queued, the cancelled grantee's permit goes back to the pool."""
        sem = FairSemaphore(1)
        await sem.acquire()
        task = asyncio.create_task(sem.acquire())
        await settle()
        sem.release()
        task.cancel()
        await settle()
        assert (sem.in_use, sem.available) == (0, 1)


class TestStatistics:
    async def test_wait_percentiles_come_from_the_clock(self, clock: FakeClock) -> None:
        """Wait times are measured on the injected clock, for the acquisitions that queued."""
        sem = FairSemaphore(1, name="w", clock=clock)
        await sem.acquire()
        tasks = [asyncio.create_task(sem.acquire()) for _ in range(4)]
        await settle()
        for _ in range(4):
            clock.advance(1.0)
            sem.release()
            await settle()
        await asyncio.gather(*tasks)
        stats = sem.stats()
        assert (stats.acquisitions, stats.waited, stats.peak_waiting) == (5, 4, 4)
        assert (stats.wait_p50_s, stats.wait_p95_s, stats.wait_max_s) == (2.0, 4.0, 4.0)

    async def test_snapshot_is_frozen_and_repr_shows_live_state(self) -> None:
        """Stats cannot be mutated; the repr tells permits, holders and waiters."""
        sem = FairSemaphore(3, name="api")
        await sem.acquire()
        with pytest.raises(ValidationError):
            sem.stats().in_use = 0  # type: ignore[misc]
        assert repr(sem) == "<FairSemaphore 'api' permits=3 in_use=1 waiting=0>"
