"""A strictly FIFO semaphore with timeouts and statistics.

Why not ``asyncio.Semaphore`` alone: it is FIFO and cancellation-safe since 3.11, but it has no timeout
driven by an injected clock and no statistics. This one keeps ``asyncio.Semaphore``'s shape (a counter and
a deque of futures) and hands a released permit *directly* to the longest waiter, so a task that arrives
late, or one that releases and re-acquires at once, can never overtake a task already waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.concurrency.grant import await_grant
from omnimemory_kit.errors import AcquireTimeoutError, ConfigError

__all__ = ["FairSemaphore", "FairSemaphoreStats"]

# How many recent waits feed the wait-time percentiles (bounded so statistics cost O(1) memory).
_WAIT_WINDOW = 1024


class FairSemaphoreStats(BaseModel):
    """A frozen snapshot of a ``FairSemaphore``."""

    model_config = ConfigDict(frozen=True)

    name: str
    permits: int = Field(description="total permits")
    in_use: int = Field(description="permits held now (granted, including granted-but-not-yet-resumed)")
    available: int = Field(description="permits free now")
    waiting: int = Field(description="tasks queued now")
    peak_waiting: int = Field(description="the longest the queue has been")
    acquisitions: int = Field(description="successful acquisitions")
    waited: int = Field(description="successful acquisitions that had to queue")
    timeouts: int = Field(description="acquisitions that gave up at their timeout")
    cancellations: int = Field(description="acquisitions cancelled while queued")
    wait_p50_s: float = Field(description="median wait among the last 1024 acquisitions that queued")
    wait_p95_s: float = Field(description="95th percentile wait among the last 1024 that queued")
    wait_max_s: float = Field(description="longest wait ever")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


class FairSemaphore:
    """Limit concurrency to ``permits`` holders, granting waiters strictly in arrival order.

    Use as ``async with sem:`` (no timeout beyond the default) or ``async with sem.hold(timeout=2):``.

    Args:
        permits: how many holders at once (at least 1).
        name: a name for errors, statistics and ``repr``.
        timeout: default seconds to wait for a permit (``None`` waits forever).
        clock: the clock for timeouts and wait times.

    Raises:
        ConfigError: if ``permits`` is below 1 or ``timeout`` is negative.
    """

    __slots__ = (
        "_acquisitions",
        "_available",
        "_cancellations",
        "_clock",
        "_max_wait",
        "_name",
        "_peak_waiting",
        "_permits",
        "_timeout",
        "_timeouts",
        "_waited",
        "_waiters",
        "_waits",
    )

    def __init__(
        self,
        permits: int,
        *,
        name: str = "semaphore",
        timeout: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if isinstance(permits, bool) or not isinstance(permits, int) or permits < 1:
            raise ConfigError(f"FairSemaphore {name!r}: permits must be an integer >= 1, got {permits!r}")
        if timeout is not None and timeout < 0:
            raise ConfigError(f"FairSemaphore {name!r}: timeout must be >= 0 or None, got {timeout!r}")
        self._name = name
        self._permits = permits
        self._available = permits
        self._timeout = timeout
        self._clock = clock
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._acquisitions = 0
        self._waited = 0
        self._timeouts = 0
        self._cancellations = 0
        self._peak_waiting = 0
        self._waits: deque[float] = deque(maxlen=_WAIT_WINDOW)
        self._max_wait = 0.0

    @property
    def name(self) -> str:
        """Return the semaphore's name."""
        return self._name

    @property
    def permits(self) -> int:
        """Return the total number of permits."""
        return self._permits

    @property
    def available(self) -> int:
        """Return how many permits are free now."""
        return self._available

    @property
    def in_use(self) -> int:
        """Return how many permits are held now."""
        return self._permits - self._available

    @property
    def waiting(self) -> int:
        """Return how many tasks are queued now."""
        return sum(1 for fut in self._waiters if not fut.done())

    def locked(self) -> bool:
        """Return whether an acquire now would have to wait."""
        return self._available == 0 or bool(self._waiters)

    async def acquire(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (injected clock)
        """Take a permit, waiting in FIFO order behind earlier callers.

        Args:
            timeout: seconds to wait; ``None`` uses the semaphore's default.

        Raises:
            AcquireTimeoutError: if no permit was granted within the timeout.
        """
        if self._available and not self._waiters:  # fast path: no clock read, no allocation
            self._available -= 1
            self._acquisitions += 1
            return
        await self._wait_for_permit(self._timeout if timeout is None else timeout)

    def release(self) -> None:
        """Give a permit back: straight to the longest waiter if any, otherwise to the pool.

        Raises:
            RuntimeError: if more permits are released than were acquired.
        """
        waiters = self._waiters
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(None)  # hand-off: the permit stays "in use", now by the waiter
                return
        if self._available >= self._permits:
            raise RuntimeError(f"FairSemaphore {self._name!r} released more times than acquired")
        self._available += 1

    def hold(self, timeout: float | None = None) -> _Permit:
        """Return an async context manager that acquires (with ``timeout``) and always releases."""
        return _Permit(self, timeout)

    async def __aenter__(self) -> None:
        if self._available and not self._waiters:
            self._available -= 1
            self._acquisitions += 1
            return
        await self._wait_for_permit(self._timeout)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    async def _wait_for_permit(self, limit: float | None) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        if len(self._waiters) > self._peak_waiting:
            self._peak_waiting = len(self._waiters)
        started = self._clock.monotonic()
        try:
            await await_grant(
                fut,
                limit,
                self._clock,
                what=f"semaphore {self._name!r}",
                leave_queue=lambda: self._forget(fut),
                pass_on=self.release,
            )
        except AcquireTimeoutError:
            self._timeouts += 1
            raise
        except BaseException:
            self._cancellations += 1
            raise
        waited = self._clock.monotonic() - started
        self._acquisitions += 1
        self._waited += 1
        self._waits.append(waited)
        if waited > self._max_wait:
            self._max_wait = waited

    def _forget(self, fut: asyncio.Future[None]) -> None:
        # A release may already have popped (and skipped) it, as it was cancelled.
        with contextlib.suppress(ValueError):
            self._waiters.remove(fut)

    def stats(self) -> FairSemaphoreStats:
        """Return a frozen snapshot of the semaphore's state and counters."""
        waits = sorted(self._waits)
        return FairSemaphoreStats(
            name=self._name,
            permits=self._permits,
            in_use=self.in_use,
            available=self._available,
            waiting=self.waiting,
            peak_waiting=self._peak_waiting,
            acquisitions=self._acquisitions,
            waited=self._waited,
            timeouts=self._timeouts,
            cancellations=self._cancellations,
            wait_p50_s=percentile(waits, 0.50),
            wait_p95_s=percentile(waits, 0.95),
            wait_max_s=self._max_wait,
        )

    def __repr__(self) -> str:
        return (
            f"<FairSemaphore {self._name!r} permits={self._permits} in_use={self.in_use} "
            f"waiting={self.waiting}>"
        )


class _Permit:
    """``async with sem.hold(timeout):``: acquire with a timeout, release on the way out."""

    __slots__ = ("_semaphore", "_timeout")

    def __init__(self, semaphore: FairSemaphore, timeout: float | None) -> None:
        self._semaphore = semaphore
        self._timeout = timeout

    async def __aenter__(self) -> None:
        await self._semaphore.acquire(self._timeout)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._semaphore.release()
