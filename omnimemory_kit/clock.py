"""Time, injected: a ``Clock`` protocol, the system clock, and a ``FakeClock`` for tests.

Everything in the kit that measures or waits (breaker, retry, tracker rates and ETA, runner, health
history) takes a clock instead of calling ``time.monotonic()`` or ``asyncio.sleep()`` itself, so tests
advance a fake clock instead of sleeping and stay deterministic.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM_CLOCK", "Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the kit needs to know about time."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes backwards (for durations and deadlines)."""
        ...

    def time(self) -> float:
        """Return wall-clock seconds since the epoch (for timestamps people read)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...

    def timeout(self, seconds: float | None) -> asyncio.Timeout | _FakeTimeout:
        """Return an async context manager that raises ``TimeoutError`` after ``seconds``."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.time``, ``asyncio.sleep`` and ``asyncio.timeout``."""

    __slots__ = ()

    # The functions themselves, not methods calling them: a run reads the clock for every item, and a
    # Python frame around the call costs twice the call.
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        """Sleep with ``asyncio.sleep``."""
        await asyncio.sleep(seconds)

    def timeout(self, seconds: float | None) -> asyncio.Timeout:
        """Return ``asyncio.timeout(seconds)``."""
        return asyncio.timeout(seconds)

    def __repr__(self) -> str:
        return "<SystemClock>"


SYSTEM_CLOCK = SystemClock()


class _FakeTimeout:
    """``asyncio.timeout`` driven by a ``FakeClock``: expires when the fake time passes its deadline."""

    def __init__(self, clock: FakeClock, seconds: float | None) -> None:
        self._clock = clock
        self._seconds = seconds
        self._inner: asyncio.Timeout | None = None
        self._entry: list[object] | None = None

    async def __aenter__(self) -> _FakeTimeout:
        # asyncio.Timeout does the hard part (cancel the task, turn CancelledError into TimeoutError,
        # uncancel); we only decide *when* it fires, by rescheduling it to "now" on the loop.
        self._inner = asyncio.timeout(None)
        await self._inner.__aenter__()
        if self._seconds is not None:
            inner = self._inner
            loop = asyncio.get_running_loop()

            def fire() -> None:
                if not inner.expired():
                    inner.reschedule(loop.time())

            if self._seconds <= 0:
                fire()
            else:
                self._entry = self._clock._schedule(self._clock.monotonic() + self._seconds, fire)
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> bool | None:
        if self._entry is not None:
            self._clock._unschedule(self._entry)
        assert self._inner is not None
        await self._inner.__aexit__(exc_type, exc, tb)  # type: ignore[arg-type]
        return None

    def expired(self) -> bool:
        """Return whether the timeout fired."""
        return self._inner is not None and self._inner.expired()


class FakeClock:
    """A clock that moves only when told to, for deterministic tests.

    ``advance(seconds)`` moves time forward and wakes every ``sleep()`` and ``timeout()`` whose deadline
    has passed, in deadline order. It refuses to go backwards. With ``auto_advance=True`` a ``sleep()``
    moves the clock to its own deadline at once (handy when a single task drives the clock).

    Args:
        start: the initial ``monotonic()`` value.
        wall_start: the initial ``time()`` value (wall clock moves together with monotonic).
        auto_advance: let ``sleep()`` advance the clock itself instead of waiting for ``advance()``.
    """

    def __init__(
        self, start: float = 0.0, wall_start: float = 1_800_000_000.0, *, auto_advance: bool = False
    ) -> None:
        self._now = float(start)
        self._wall_offset = float(wall_start) - float(start)
        self.auto_advance = auto_advance
        self._timers: list[list[object]] = []
        self._counter = itertools.count()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """Return the fake monotonic time."""
        return self._now

    def time(self) -> float:
        """Return the fake wall-clock time, which moves with the monotonic time."""
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and fire every timer that became due.

        Raises:
            ValueError: if ``seconds`` is negative (time never goes backwards).
        """
        if seconds < 0:
            raise ValueError(f"FakeClock cannot go backwards (advance({seconds}))")
        target = self._now + seconds
        while self._timers and float(self._timers[0][0]) <= target:  # type: ignore[arg-type]
            entry = heapq.heappop(self._timers)
            self._now = max(self._now, float(entry[0]))  # type: ignore[arg-type]
            callback = entry[2]
            if callback is not None:
                callback()  # type: ignore[operator]
        self._now = target

    def set(self, monotonic: float) -> None:
        """Jump to an absolute monotonic time (forward only)."""
        self.advance(monotonic - self._now)

    async def sleep(self, seconds: float) -> None:
        """Wait until the fake time has advanced by ``seconds`` (or advance it, with auto_advance)."""
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        if self.auto_advance:
            self.advance(seconds)
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        entry = self._schedule(self._now + seconds, wake)
        try:
            await future
        finally:
            self._unschedule(entry)

    def timeout(self, seconds: float | None) -> _FakeTimeout:
        """Return a timeout context manager that fires when fake time passes ``seconds`` from now."""
        return _FakeTimeout(self, seconds)

    @property
    def pending_timers(self) -> int:
        """Return how many sleeps and timeouts are waiting for time to advance."""
        return sum(1 for entry in self._timers if entry[2] is not None)

    def _schedule(self, deadline: float, callback: object) -> list[object]:
        entry: list[object] = [deadline, next(self._counter), callback]
        heapq.heappush(self._timers, entry)
        return entry

    @staticmethod
    def _unschedule(entry: list[object]) -> None:
        entry[2] = None  # lazy deletion: advance() skips cancelled entries

    def __repr__(self) -> str:
        return f"<FakeClock t={self._now:.3f} timers={self.pending_timers}>"
