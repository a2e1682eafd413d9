"""A mutual-exclusion lock whose waiters are served by priority, FIFO within a priority.

Aging is **off by default**: a plain priority lock does exactly what its name says, and most users want a
HIGH request to go first every time. Pass ``aging_interval=s`` to let a waiter gain one priority level for
every ``s`` seconds it has waited, so a LOW waiter cannot starve forever under a stream of HIGH ones (after
``2 * s`` seconds it ranks with a fresh HIGH, and it was there first). Because the boost grows at the same
rate for every waiter, the order between two waiters never changes while they wait, so the queue stays a
plain heap keyed by ``arrival_time / aging_interval - priority``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from enum import IntEnum
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.concurrency.grant import await_grant
from omnimemory_kit.errors import AcquireTimeoutError, ConfigError

__all__ = ["LockPriority", "PriorityLock", "PriorityLockStats"]


class LockPriority(IntEnum):
    """How urgently a waiter wants the lock; higher goes first."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


class PriorityLockStats(BaseModel):
    """A frozen snapshot of a ``PriorityLock``."""

    model_config = ConfigDict(frozen=True)

    name: str
    held: bool = Field(description="whether the lock is held (or granted to a waiter) now")
    waiting: int = Field(description="tasks queued now")
    waiting_by_priority: dict[str, int] = Field(description="tasks queued now, per priority name")
    acquisitions: int = Field(description="successful acquisitions")
    waited: int = Field(description="successful acquisitions that had to queue")
    timeouts: int = Field(description="acquisitions that gave up at their timeout")
    cancellations: int = Field(description="acquisitions cancelled while queued")
    wait_total_s: float = Field(description="total time spent queued by successful acquisitions")
    wait_max_s: float = Field(description="longest wait ever")
    aging_interval: float | None = Field(description="seconds per priority level gained while waiting")


# A queue entry: (sort key, arrival number, future, base priority).
_Entry = tuple[float, int, "asyncio.Future[None]", LockPriority]


class PriorityLock:
    """Grant the lock to the highest-priority waiter, first come first served within a priority.

    Use as ``async with lock:`` (NORMAL priority) or ``async with lock.hold(LockPriority.HIGH, timeout=1):``.

    Args:
        name: a name for errors, statistics and ``repr``.
        aging_interval: seconds of waiting that raise a waiter by one priority level (``None``: no aging).
        timeout: default seconds to wait for the lock (``None`` waits forever).
        clock: the clock for timeouts, aging and wait times.

    Raises:
        ConfigError: if ``aging_interval`` is not positive or ``timeout`` is negative.
    """

    __slots__ = (
        "_acquisitions",
        "_aging_interval",
        "_cancellations",
        "_clock",
        "_heap",
        "_locked",
        "_name",
        "_sequence",
        "_timeout",
        "_timeouts",
        "_wait_max",
        "_wait_total",
        "_waited",
        "_waiting",
        "_waiting_by_priority",
    )

    def __init__(
        self,
        *,
        name: str = "lock",
        aging_interval: float | None = None,
        timeout: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if aging_interval is not None and not aging_interval > 0:
            raise ConfigError(
                f"PriorityLock {name!r}: aging_interval must be > 0 seconds or None, got {aging_interval!r}"
            )
        if timeout is not None and timeout < 0:
            raise ConfigError(f"PriorityLock {name!r}: timeout must be >= 0 or None, got {timeout!r}")
        self._name = name
        self._aging_interval = aging_interval
        self._timeout = timeout
        self._clock = clock
        self._locked = False
        self._heap: list[_Entry] = []
        self._sequence = itertools.count()
        self._waiting = 0  # live waiters (the heap may also hold cancelled ones, skipped lazily)
        self._waiting_by_priority = [0] * len(LockPriority)
        self._acquisitions = 0
        self._waited = 0
        self._timeouts = 0
        self._cancellations = 0
        self._wait_total = 0.0
        self._wait_max = 0.0

    @property
    def name(self) -> str:
        """Return the lock's name."""
        return self._name

    @property
    def aging_interval(self) -> float | None:
        """Return the seconds per priority level gained while waiting (``None``: no aging)."""
        return self._aging_interval

    @property
    def waiting(self) -> int:
        """Return how many tasks are queued now."""
        return self._waiting

    def locked(self) -> bool:
        """Return whether the lock is held."""
        return self._locked

    async def acquire(
        self,
        priority: LockPriority = LockPriority.NORMAL,
        timeout: float | None = None,  # noqa: ASYNC109 (runs on the injected clock)
    ) -> bool:
        """Take the lock, queueing by ``priority`` if it is held.

        Args:
            priority: the waiter's priority.
            timeout: seconds to wait; ``None`` uses the lock's default.

        Returns:
            True (like ``asyncio.Lock.acquire``).

        Raises:
            AcquireTimeoutError: if the lock was not granted within the timeout.
        """
        if not self._locked and not self._waiting:  # fast path: no clock read, no allocation
            self._locked = True
            self._acquisitions += 1
            return True
        await self._wait_for_lock(priority, self._timeout if timeout is None else timeout)
        return True

    def release(self) -> None:
        """Release the lock, handing it straight to the best waiter if there is one.

        Raises:
            RuntimeError: if the lock is not held.
        """
        if not self._locked:
            raise RuntimeError(f"PriorityLock {self._name!r} released while not held")
        heap = self._heap
        while heap:
            _, _, fut, priority = heapq.heappop(heap)
            if not fut.done():
                self._waiting -= 1
                self._waiting_by_priority[priority] -= 1
                fut.set_result(None)  # hand-off: the lock stays held, now by the waiter
                return
        self._locked = False

    def hold(self, priority: LockPriority = LockPriority.NORMAL, timeout: float | None = None) -> _Holding:
        """Return an async context manager that acquires at ``priority`` and always releases."""
        return _Holding(self, priority, timeout)

    async def __aenter__(self) -> None:
        if not self._locked and not self._waiting:
            self._locked = True
            self._acquisitions += 1
            return
        await self._wait_for_lock(LockPriority.NORMAL, self._timeout)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    async def _wait_for_lock(self, priority: LockPriority, limit: float | None) -> None:
        try:
            priority = LockPriority(priority)
        except ValueError:
            names = ", ".join(p.name for p in LockPriority)
            raise ConfigError(f"priority must be a LockPriority ({names}), got {priority!r}") from None
        started = self._clock.monotonic()
        key = -float(priority)
        if self._aging_interval is not None:
            key += started / self._aging_interval
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (key, next(self._sequence), fut, priority))
        self._waiting += 1
        self._waiting_by_priority[priority] += 1
        try:
            await await_grant(
                fut,
                limit,
                self._clock,
                what=f"priority lock {self._name!r}",
                leave_queue=lambda: self._leave_queue(priority),
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
        self._wait_total += waited
        if waited > self._wait_max:
            self._wait_max = waited

    def _leave_queue(self, priority: LockPriority) -> None:
        self._waiting -= 1
        self._waiting_by_priority[priority] -= 1
        heap = self._heap
        # Cancelled entries stay in the heap until popped; compact when they dominate it.
        if len(heap) > 64 and len(heap) > 2 * self._waiting:
            self._heap = [entry for entry in heap if not entry[2].done()]
            heapq.heapify(self._heap)

    def stats(self) -> PriorityLockStats:
        """Return a frozen snapshot of the lock's state and counters."""
        return PriorityLockStats(
            name=self._name,
            held=self._locked,
            waiting=self._waiting,
            waiting_by_priority={p.name: self._waiting_by_priority[p] for p in LockPriority},
            acquisitions=self._acquisitions,
            waited=self._waited,
            timeouts=self._timeouts,
            cancellations=self._cancellations,
            wait_total_s=self._wait_total,
            wait_max_s=self._wait_max,
            aging_interval=self._aging_interval,
        )

    def __repr__(self) -> str:
        state = "locked" if self._locked else "unlocked"
        return f"<PriorityLock {self._name!r} {state} waiting={self._waiting}>"


class _Holding:
    """``async with lock.hold(priority, timeout):``: acquire, then release on the way out."""

    __slots__ = ("_lock", "_priority", "_timeout")

    def __init__(self, lock: PriorityLock, priority: LockPriority, timeout: float | None) -> None:
        self._lock = lock
        self._priority = priority
        self._timeout = timeout

    async def __aenter__(self) -> None:
        await self._lock.acquire(self._priority, self._timeout)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.release()
