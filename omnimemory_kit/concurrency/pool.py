"""An asyncio connection pool for any kind of connection, modeled on psycopg_pool's ``AsyncConnectionPool``.

What it promises:

- ``min_size`` connections are made when the pool opens (pre-warmed) and kept; it grows up to ``max_size``.
- A connection given back while tasks wait goes to the longest waiter at once, so a full pool never stalls.
- ``validate`` (sync or async) runs on every checkout of an idle connection; an invalid one is closed once
  and replaced by a fresh connection. A connection whose user block raised one of ``discard_on`` is closed
  rather than given back.
- ``reset`` (sync or async) runs when a connection is given back (e.g. to roll back a transaction left
  open); if it raises, the connection is closed instead.
- Idle connections past ``max_idle`` (beyond ``min_size``) and connections past ``max_lifetime`` are closed by
  a background check (and lifetime again when a connection is given back); with ``health_check_interval`` the
  same check also validates idle connections.
- It can be built outside a running event loop: nothing starts until ``await pool.open()`` or the first
  checkout. From then on it belongs to that event loop: used from another loop that is still running (a
  thread with its own ``asyncio.run``) it raises ``PoolError`` at once, because a hand-over between loops
  would wake nobody (the waiter would sit until its timeout). Once the first loop is closed (a script's
  ``asyncio.run`` returned), the next loop that uses the pool takes it over.
- ``close()`` stops the background tasks, fails the waiters, waits (up to ``close_timeout``) for
  connections in use, and closes every connection exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    AcquireTimeoutError,
    ConfigError,
    PoolClosedError,
    PoolError,
    PoolExhaustedError,
)

__all__ = ["AsyncConnectionPool", "ConnectionPoolConfig", "ConnectionPoolStats"]

logger = logging.getLogger(__name__)

C = TypeVar("C")

# Backoff between background attempts to make a connection while the server refuses (seconds).
_RETRY_INITIAL = 0.5
_RETRY_MAX = 10.0


@dataclass(frozen=True, slots=True)
class ConnectionPoolConfig:
    """How an ``AsyncConnectionPool`` sizes, times and checks its connections.

    Attributes:
        min_size: connections made at open and kept even when idle.
        max_size: the most connections the pool will hold at once.
        timeout: default seconds a checkout may wait (``None``: forever).
        max_waiting: the most tasks allowed to queue; one more gets ``PoolExhaustedError`` (0: no limit).
        max_idle: seconds an idle connection beyond ``min_size`` is kept (``None``: forever).
        max_lifetime: seconds after which a connection is replaced (``None``: never).
        health_check_interval: seconds between background validations of idle connections (``None``: only
            on checkout).
        close_timeout: seconds ``close()`` waits for connections in use before closing them anyway.
        discard_on: exception types which, raised in a ``connection()`` block, mean the connection is broken.
    """

    min_size: int = 1
    max_size: int = 10
    timeout: float | None = 30.0
    max_waiting: int = 0
    max_idle: float | None = 600.0
    max_lifetime: float | None = 3600.0
    health_check_interval: float | None = None
    close_timeout: float = 5.0
    discard_on: tuple[type[BaseException], ...] = (ConnectionError,)

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.min_size, int) or self.min_size < 0:
            problems.append(f"min_size must be an integer >= 0, got {self.min_size!r}")
        if not isinstance(self.max_size, int) or self.max_size < 1:
            problems.append(f"max_size must be an integer >= 1, got {self.max_size!r}")
        elif isinstance(self.min_size, int) and self.min_size > self.max_size:
            problems.append(f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})")
        if not isinstance(self.max_waiting, int) or self.max_waiting < 0:
            problems.append(f"max_waiting must be an integer >= 0, got {self.max_waiting!r}")
        for field in ("timeout", "max_idle", "max_lifetime", "health_check_interval"):
            value = getattr(self, field)
            if value is not None and not value > 0:
                problems.append(f"{field} must be > 0 seconds or None, got {value!r}")
        if not self.close_timeout >= 0:
            problems.append(f"close_timeout must be >= 0 seconds, got {self.close_timeout!r}")
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in self.discard_on):
            problems.append(f"discard_on must be a tuple of exception types, got {self.discard_on!r}")
        if problems:
            raise ConfigError("invalid ConnectionPoolConfig: " + "; ".join(problems))


class ConnectionPoolStats(BaseModel):
    """A frozen snapshot of a pool (from ``stats()``), with psycopg_pool's names where they exist."""

    model_config = ConfigDict(frozen=True)

    name: str
    closed: bool
    pool_min: int
    pool_max: int
    pool_size: int = Field(description="connections open or being opened now")
    pool_available: int = Field(description="idle connections ready for checkout now")
    in_use: int = Field(description="connections checked out now")
    requests_waiting: int = Field(description="checkouts queued now")
    requests_num: int = Field(description="checkouts asked for")
    requests_queued: int = Field(description="checkouts that had to queue")
    requests_wait_ms: float = Field(description="total milliseconds queued checkouts waited")
    requests_timeouts: int = Field(description="checkouts that gave up at their timeout")
    requests_errors: int = Field(description="checkouts refused (pool closed, queue full) or failed")
    connections_num: int = Field(description="connections made")
    connections_ms: float = Field(description="total milliseconds spent making connections")
    connections_errors: int = Field(description="attempts to make a connection that failed")
    connections_lost: int = Field(description="connections discarded because their user block broke them")
    connections_closed: int = Field(description="connections closed")
    validations_failed: int = Field(description="connections found invalid on checkout or health check")


class _Slot(Generic[C]):
    """One pooled connection and its timestamps."""

    __slots__ = ("closed", "connection", "created_at", "returned_at")

    def __init__(self, connection: C, created_at: float) -> None:
        self.connection = connection
        self.created_at = created_at
        self.returned_at = created_at
        self.closed = False


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync-or-async callback and return its (awaited) result."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _default_close(connection: object) -> None:
    """Close a connection by its own ``close()`` method, sync or async, if it has one."""
    close = getattr(connection, "close", None)
    if close is not None:
        await _call(close)


class AsyncConnectionPool(Generic[C]):
    """Hand out connections made by ``create``, at most ``config.max_size`` at once.

    Use ``async with pool.connection() as conn:``, or ``conn = await pool.getconn()`` and
    ``await pool.putconn(conn)``.

    Args:
        create: make a new connection (sync or async).
        config: sizes, timeouts and checks.
        validate: return whether a connection is usable (sync or async); raising counts as invalid.
        reset: make a returned connection fit for the next user (sync or async), e.g. roll back an open
            transaction; raising discards the connection.
        close: close a connection (sync or async); defaults to the connection's own ``close()``.
        name: a name for errors, statistics, logs and ``repr``.
        clock: the clock for timeouts, ages and wait times.
    """

    def __init__(
        self,
        create: Callable[[], Awaitable[C] | C],
        *,
        config: ConnectionPoolConfig | None = None,
        validate: Callable[[C], Awaitable[bool] | bool] | None = None,
        reset: Callable[[C], Awaitable[None] | None] | None = None,
        close: Callable[[C], Awaitable[None] | None] | None = None,
        name: str = "pool",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._create = create
        self._config = config or ConnectionPoolConfig()
        self._validate = validate
        self._reset = reset
        self._close_fn: Callable[[C], Awaitable[None] | None] = close or _default_close
        self._name = name
        self._clock = clock
        self._opened = False
        self._closed = False
        self._idle: deque[_Slot[C]] = deque()
        self._in_use: dict[int, _Slot[C]] = {}
        self._waiters: deque[asyncio.Future[_Slot[C]]] = deque()
        self._size = 0  # connections open or being opened: never above max_size
        self._growing = 0  # background creations in flight
        self._background: set[asyncio.Task[None]] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._drained: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_health_check = 0.0
        self._requests_num = 0
        self._requests_queued = 0
        self._requests_wait = 0.0
        self._requests_timeouts = 0
        self._requests_errors = 0
        self._connections_num = 0
        self._connections_time = 0.0
        self._connections_errors = 0
        self._connections_lost = 0
        self._connections_closed = 0
        self._validations_failed = 0

    @property
    def name(self) -> str:
        """Return the pool's name."""
        return self._name

    @property
    def config(self) -> ConnectionPoolConfig:
        """Return the pool's configuration."""
        return self._config

    @property
    def closed(self) -> bool:
        """Return whether ``close()`` has been called."""
        return self._closed

    # -- lifecycle ---------------------------------------------------------------------------------

    async def open(self, wait: bool = True) -> None:
        """Start the pool: make ``min_size`` connections and start the background check.

        Args:
            wait: wait until the ``min_size`` connections exist (otherwise they are made in the background).

        Raises:
            PoolClosedError: if the pool was closed.
            PoolError: if ``wait`` and some pre-warm connections could not be made (the pool stays open).
        """
        self._bind_loop()
        if self._closed:
            raise PoolClosedError(f"connection pool {self._name!r} is closed")
        if self._opened:
            return
        self._opened = True
        self._last_health_check = self._clock.monotonic()
        tick = self._tick()
        if tick is not None:
            self._spawn(self._maintain(tick))
        missing = self._config.min_size - self._size
        if missing <= 0:
            return
        if not wait:
            self._refill()
            return
        self._size += missing
        results = await asyncio.gather(*(self._make_slot() for _ in range(missing)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for result in results:
            if isinstance(result, _Slot):
                self._give_back(result)
        if failures:
            raise PoolError(
                f"connection pool {self._name!r}: {len(failures)} of {missing} pre-warm connections failed: "
                f"{type(failures[0]).__name__}: {failures[0]}"
            ) from failures[0]

    async def close(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (injected clock)
        """Stop the pool and close every connection exactly once.

        Background tasks stop, queued checkouts fail with ``PoolClosedError``, idle connections close now,
        connections in use close when given back, or after ``timeout`` (default ``close_timeout``) anyway.
        Calling it again does nothing.
        """
        if self._closed:
            return
        self._bind_loop()
        self._closed = True
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(PoolClosedError(f"connection pool {self._name!r} closed while waiting"))
        while self._idle:
            await self._close_slot(self._idle.popleft())
        if any(not slot.closed for slot in self._in_use.values()):
            wait_for = self._config.close_timeout if timeout is None else timeout
            self._drained = asyncio.get_running_loop().create_future()
            try:
                async with self._clock.timeout(wait_for):
                    await self._drained
            except TimeoutError:
                still = [slot for slot in self._in_use.values() if not slot.closed]
                logger.warning(
                    "connection pool %r: closing %d connection(s) still in use after %gs",
                    self._name,
                    len(still),
                    wait_for,
                )
                for slot in still:
                    await self._close_slot(slot)
        if self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

    async def __aenter__(self) -> AsyncConnectionPool[C]:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- checkout and return -----------------------------------------------------------------------

    def connection(self, timeout: float | None = None) -> _Checkout[C]:
        """Return an async context manager lending a connection for the block.

        A ``discard_on`` exception raised in the block closes the connection instead of returning it.
        """
        return _Checkout(self, timeout)

    async def getconn(self, timeout: float | None = None) -> C:  # noqa: ASYNC109 (injected clock)
        """Check out a connection, waiting (FIFO) up to ``timeout`` (default ``config.timeout``) seconds.

        Raises:
            PoolClosedError: if the pool is closed.
            PoolExhaustedError: if ``max_waiting`` tasks are already queued.
            AcquireTimeoutError: if no connection came within the timeout.
        """
        self._bind_loop()
        if not self._opened:
            await self.open(wait=False)
        if self._closed:
            self._requests_errors += 1
            raise PoolClosedError(f"connection pool {self._name!r} is closed")
        self._requests_num += 1
        if self._idle:
            slot = self._idle.pop()  # LIFO: hot connections stay hot, cold ones age out
            if self._validate is not None:
                slot = await self._checked(slot)
        elif self._size < self._config.max_size and not self._waiters and not self._growing:
            # Room and nobody ahead: make it here, so a failure reaches this caller directly.
            self._size += 1
            try:
                slot = await self._make_slot()
            except BaseException:
                self._requests_errors += 1
                raise
        else:
            slot = await self._wait_for_slot(self._config.timeout if timeout is None else timeout)
        connection = slot.connection
        self._in_use[id(connection)] = slot
        return connection

    async def putconn(self, connection: C, *, discard: bool = False) -> None:
        """Give a checked-out connection back (or close it, with ``discard=True``).

        Raises:
            PoolError: if the connection is not checked out from this pool.
        """
        self._bind_loop()
        slot = self._in_use.pop(id(connection), None)
        if slot is None:
            raise PoolError(f"connection {connection!r} is not checked out from pool {self._name!r}")
        if slot.closed:  # closed by close() after its timeout: nothing left to do
            self._notify_drained()
            return
        if discard:
            self._connections_lost += 1
            await self._retire(slot)
        elif self._closed:
            await self._close_slot(slot)
        elif self._reset is not None and not await self._reset_ok(slot):
            self._connections_lost += 1
            await self._retire(slot)
        else:
            lifetime = self._config.max_lifetime
            if lifetime is not None and self._clock.monotonic() - slot.created_at >= lifetime:
                await self._retire(slot)
            else:
                self._give_back(slot)
        self._notify_drained()

    async def check(self) -> None:
        """Close expired and invalid idle connections now, then top the pool up to ``min_size``."""
        await self._check(validate=True)

    # -- statistics --------------------------------------------------------------------------------

    def stats(self) -> ConnectionPoolStats:
        """Return a frozen snapshot of the pool's state and counters (``stats()``, as on every primitive)."""
        return ConnectionPoolStats(
            name=self._name,
            closed=self._closed,
            pool_min=self._config.min_size,
            pool_max=self._config.max_size,
            pool_size=self._size,
            pool_available=len(self._idle),
            in_use=sum(1 for slot in self._in_use.values() if not slot.closed),
            requests_waiting=sum(1 for fut in self._waiters if not fut.done()),
            requests_num=self._requests_num,
            requests_queued=self._requests_queued,
            requests_wait_ms=self._requests_wait * 1000.0,
            requests_timeouts=self._requests_timeouts,
            requests_errors=self._requests_errors,
            connections_num=self._connections_num,
            connections_ms=self._connections_time * 1000.0,
            connections_errors=self._connections_errors,
            connections_lost=self._connections_lost,
            connections_closed=self._connections_closed,
            validations_failed=self._validations_failed,
        )

    get_stats = stats
    """The same snapshot under psycopg_pool's name, kept for code written against that pool."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._opened else "not opened")
        in_use = sum(1 for slot in self._in_use.values() if not slot.closed)
        return (
            f"<AsyncConnectionPool {self._name!r} {state} size={self._size}/{self._config.max_size} "
            f"idle={len(self._idle)} in_use={in_use} waiting={len(self._waiters)}>"
        )

    # -- internals ---------------------------------------------------------------------------------

    def _bind_loop(self) -> None:
        """Tie the pool to the running loop; refuse another loop while the first one is alive."""
        loop = asyncio.get_running_loop()
        bound = self._loop
        if bound is loop:
            return
        if bound is not None and not bound.is_closed():
            raise PoolError(
                f"connection pool {self._name!r} belongs to another event loop that is still running "
                f"(was it shared with a thread that runs its own loop?); open one pool per event loop"
            )
        self._loop = loop
        if bound is not None and self._opened and not self._closed:
            # The closed loop took its background tasks with it: carry on in this one.
            self._background.clear()
            self._closing.clear()
            tick = self._tick()
            if tick is not None:
                self._spawn(self._maintain(tick))

    async def _wait_for_slot(self, limit: float | None) -> _Slot[C]:
        max_waiting = self._config.max_waiting
        if max_waiting and len(self._waiters) >= max_waiting:
            self._requests_errors += 1
            raise PoolExhaustedError(
                f"connection pool {self._name!r}: {len(self._waiters)} tasks already waiting (max_waiting)"
            )
        fut: asyncio.Future[_Slot[C]] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self._requests_queued += 1
        self._refill()
        started = self._clock.monotonic()
        try:
            if limit is None:
                slot = await fut
            else:
                async with self._clock.timeout(limit):
                    slot = await fut
        except TimeoutError:
            # Only ``await fut`` runs inside the timeout, so this is our deadline, never the caller's.
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                slot = fut.result()  # handed over in the same instant the deadline fired: keep it
            else:
                assert limit is not None
                self._forget(fut)
                self._requests_timeouts += 1
                raise AcquireTimeoutError(f"a connection from pool {self._name!r}", limit) from None
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._give_back(fut.result())  # handed over, then cancelled before resuming: pass it on
            else:
                self._forget(fut)
                if fut.done() and not fut.cancelled():
                    self._requests_errors += 1
            raise
        self._requests_wait += self._clock.monotonic() - started
        return slot

    def _forget(self, fut: asyncio.Future[_Slot[C]]) -> None:
        # A hand-over may already have popped (and skipped) it, as it was cancelled.
        with contextlib.suppress(ValueError):
            self._waiters.remove(fut)

    async def _reset_ok(self, slot: _Slot[C]) -> bool:
        """Run the reset callback; return whether the connection may be reused."""
        assert self._reset is not None
        try:
            await _call(self._reset, slot.connection)
        except asyncio.CancelledError:
            self._spawn_closing(slot)  # half-reset: never hand it to anyone
            raise
        except Exception as exc:
            logger.info("connection pool %r: reset raised %s: %s", self._name, type(exc).__name__, exc)
            return False
        return True

    async def _checked(self, slot: _Slot[C]) -> _Slot[C]:
        """Validate an idle connection; replace it once by a fresh one if it is invalid."""
        assert self._validate is not None
        try:
            valid = bool(await _call(self._validate, slot.connection))
        except asyncio.CancelledError:
            self._give_back(slot)
            raise
        except Exception as exc:
            logger.info("connection pool %r: validation raised %s: %s", self._name, type(exc).__name__, exc)
            valid = False
        if valid:
            return slot
        self._validations_failed += 1
        await self._close_slot(slot)
        self._size += 1
        try:
            return await self._make_slot()
        except BaseException:
            self._requests_errors += 1
            self._refill()
            raise

    async def _make_slot(self) -> _Slot[C]:
        """Make a connection for a slot already counted in ``_size``; un-count it on failure."""
        started = self._clock.monotonic()
        try:
            connection = await _call(self._create)
        except BaseException as exc:
            self._size -= 1
            if not isinstance(exc, asyncio.CancelledError):
                self._connections_errors += 1
                logger.warning(
                    "connection pool %r: making a connection failed: %s: %s",
                    self._name,
                    type(exc).__name__,
                    exc,
                )
            raise
        now = self._clock.monotonic()
        self._connections_num += 1
        self._connections_time += now - started
        return _Slot(connection, now)

    def _give_back(self, slot: _Slot[C]) -> None:
        """Hand a healthy connection to the longest waiter, or make it idle."""
        if self._closed:
            self._spawn_closing(slot)
            return
        waiters = self._waiters
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(slot)
                return
        slot.returned_at = self._clock.monotonic()
        self._idle.append(slot)

    def _requeue(self, slot: _Slot[C]) -> None:
        """Put a checked idle connection back without touching its idle timestamp."""
        if self._closed:
            self._spawn_closing(slot)
            return
        waiters = self._waiters
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(slot)
                return
        self._idle.append(slot)

    async def _retire(self, slot: _Slot[C]) -> None:
        """Close a connection and let the pool make a replacement if someone needs one."""
        await self._close_slot(slot)
        self._refill()

    async def _close_slot(self, slot: _Slot[C]) -> None:
        if slot.closed:
            return
        slot.closed = True
        self._size -= 1
        self._connections_closed += 1
        try:
            await _call(self._close_fn, slot.connection)
        except Exception as exc:
            logger.warning(
                "connection pool %r: closing a connection failed: %s: %s", self._name, type(exc).__name__, exc
            )

    def _refill(self) -> None:
        """Start background creations for queued checkouts and up to ``min_size``."""
        if self._closed or not self._opened:
            return
        room = self._config.max_size - self._size
        wanted = max(self._config.min_size - self._size, len(self._waiters) - self._growing)
        for _ in range(min(room, wanted)):
            self._size += 1
            self._growing += 1
            self._spawn(self._grow())

    async def _grow(self) -> None:
        """Make one connection for a slot already reserved; retry with backoff while someone needs it."""
        delay = _RETRY_INITIAL
        try:
            while True:
                try:
                    slot = await self._make_slot()
                except Exception:
                    # Counted and logged by _make_slot. Retry (like psycopg_pool's reconnect) only while
                    # a queued checkout or min_size still needs it, so a dead server is not hammered.
                    if not self._needs_growth():
                        return
                    await self._clock.sleep(delay)
                    delay = min(delay * 2, _RETRY_MAX)
                    if not self._needs_growth() or self._size >= self._config.max_size:
                        return
                    self._size += 1
                    continue
                self._give_back(slot)
                return
        finally:
            self._growing -= 1

    def _needs_growth(self) -> bool:
        if self._closed:
            return False
        waiting = sum(1 for fut in self._waiters if not fut.done())
        return waiting > 0 or self._size < self._config.min_size

    def _tick(self) -> float | None:
        intervals = [
            value
            for value in (
                self._config.health_check_interval,
                self._config.max_idle,
                self._config.max_lifetime,
            )
            if value is not None
        ]
        return min(intervals) if intervals else None

    async def _maintain(self, tick: float) -> None:
        while True:
            await self._clock.sleep(tick)
            interval = self._config.health_check_interval
            due = interval is not None and self._clock.monotonic() - self._last_health_check >= interval
            try:
                await self._check(validate=due)
            except Exception:  # never let one bad check stop the loop
                logger.exception("connection pool %r: background check failed", self._name)

    async def _check(self, *, validate: bool) -> None:
        if self._closed:
            return
        now = self._clock.monotonic()
        if validate:
            self._last_health_check = now
        candidates = deque(self._idle)
        self._idle.clear()
        try:
            while candidates:
                slot = candidates[0]
                if not slot.closed and await self._still_good(slot, now, validate):
                    self._requeue(slot)
                candidates.popleft()
        except BaseException:
            # Cancelled mid-check (e.g. by close()): nothing taken out may go missing.
            for slot in candidates:
                if not slot.closed:
                    self._requeue(slot)
            raise
        self._refill()

    async def _still_good(self, slot: _Slot[C], now: float, validate: bool) -> bool:
        """Close ``slot`` and return False if it expired or fails validation."""
        lifetime, idle_limit = self._config.max_lifetime, self._config.max_idle
        if (lifetime is not None and now - slot.created_at >= lifetime) or (
            idle_limit is not None
            and now - slot.returned_at >= idle_limit
            and self._size > self._config.min_size
        ):
            await self._close_slot(slot)
            return False
        if validate and self._validate is not None:
            try:
                valid = bool(await _call(self._validate, slot.connection))
            except Exception:
                valid = False
            if not valid:
                self._validations_failed += 1
                await self._close_slot(slot)
                return False
        return True

    def _notify_drained(self) -> None:
        drained = self._drained
        if (
            drained is not None
            and not drained.done()
            and not any(not s.closed for s in self._in_use.values())
        ):
            drained.set_result(None)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _spawn_closing(self, slot: _Slot[C]) -> None:
        task = asyncio.get_running_loop().create_task(self._retire(slot))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


class _Checkout(Generic[C]):
    """``async with pool.connection() as conn:``: check out, then give back (or discard) on the way out."""

    __slots__ = ("_connection", "_pool", "_timeout")

    def __init__(self, pool: AsyncConnectionPool[C], timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout

    async def __aenter__(self) -> C:
        self._connection = await self._pool.getconn(self._timeout)
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        broken = exc is not None and isinstance(exc, self._pool.config.discard_on)
        await self._pool.putconn(self._connection, discard=broken)
