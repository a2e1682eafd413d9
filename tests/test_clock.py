"""The fake clock: time moves only when told, sleeps and timeouts fire in deadline order."""

from __future__ import annotations

import asyncio

import pytest

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock, FakeClock


class TestFakeClock:
    def test_refuses_to_go_backwards(self, clock: FakeClock) -> None:
        """advance() with a negative step is an error and leaves time unchanged."""
        clock.advance(5)
        with pytest.raises(ValueError, match="backwards"):
            clock.advance(-1)
        assert clock.monotonic() == 5

    def test_wall_time_moves_with_monotonic(self) -> None:
        """time() and monotonic() advance together."""
        clock = FakeClock(start=10, wall_start=1000)
        clock.advance(2.5)
        assert (clock.monotonic(), clock.time()) == (12.5, 1002.5)

    async def test_sleep_waits_for_advance(self, clock: FakeClock) -> None:
        """A sleeper wakes only once fake time passes its deadline."""
        woke: list[float] = []

        async def sleeper(seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append(seconds)

        tasks = [asyncio.create_task(sleeper(s)) for s in (3, 1, 2)]
        await asyncio.sleep(0)
        clock.advance(1.5)
        await asyncio.sleep(0)
        assert woke == [1]
        clock.advance(10)
        await asyncio.gather(*tasks)
        assert woke == [1, 2, 3]
        assert clock.pending_timers == 0

    async def test_auto_advance_moves_time_on_sleep(self) -> None:
        """With auto_advance a sleep returns at once and moves the clock to its deadline."""
        clock = FakeClock(auto_advance=True)
        await clock.sleep(4)
        await clock.sleep(0.5)
        assert clock.monotonic() == 4.5
        assert clock.sleeps == [4, 0.5]

    async def test_timeout_fires_on_fake_time(self, clock: FakeClock) -> None:
        """timeout() raises TimeoutError when fake time passes the deadline, not before."""
        blocker = asyncio.Event()

        async def guarded() -> None:
            async with clock.timeout(2):
                await blocker.wait()

        task = asyncio.create_task(guarded())
        await asyncio.sleep(0)
        clock.advance(1.9)
        await asyncio.sleep(0)
        assert not task.done()
        clock.advance(0.2)
        with pytest.raises(TimeoutError):
            await task

    async def test_timeout_not_fired_when_block_finishes(self, clock: FakeClock) -> None:
        """A block that finishes in time is untouched and its timer is dropped."""
        async with clock.timeout(2):
            await asyncio.sleep(0)
        clock.advance(5)
        assert clock.pending_timers == 0

    def test_both_clocks_satisfy_the_protocol(self) -> None:
        """SystemClock and FakeClock are both Clocks."""
        assert isinstance(SYSTEM_CLOCK, Clock)
        assert isinstance(FakeClock(), Clock)
