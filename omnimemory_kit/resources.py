"""The resource manager: acquire a resource under a limit, a breaker and a timeout, and always release it.

``resource_manager.managed_resource(name, acquire_func=..., release_func=...)`` is an async context manager:

1. it takes a permit of the named ``FairSemaphore`` when ``semaphore_limit`` is given;
2. it calls ``acquire_func()`` (sync or async) through the named ``AsyncCircuitBreaker`` when
   ``circuit_breaker`` is given, so a dependency that keeps failing is not hammered;
3. ``timeout`` bounds steps 1 and 2 together (``AcquireTimeoutError``); the block itself is not timed;
4. on the way out ``release_func(resource)`` always runs, also when the block raised or was cancelled (a
   second cancellation cannot interrupt it: it finishes in the background). A release that fails is
   logged and counted in the statistics and never raised, so it can never hide the block's own exception.

Named semaphores and breakers are created once. Asking for a name again with a different configuration is
a ``RegistryError``, never a silent reuse of the first configuration.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.concurrency.fair_semaphore import FairSemaphore, FairSemaphoreStats
from omnimemory_kit.errors import AcquireTimeoutError, CircuitBreakerError, ConfigError, RegistryError
from omnimemory_kit.resilience.breaker import AsyncCircuitBreaker, CircuitBreakerConfig, CircuitBreakerStats

__all__ = [
    "ManagedResourceStats",
    "ResourceManager",
    "ResourceManagerStats",
    "resource_manager",
    "with_circuit_breaker",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class ManagedResourceStats(BaseModel):
    """Counters for one resource name."""

    model_config = ConfigDict(frozen=True)

    name: str
    in_use: int = Field(description="resources acquired and not yet released")
    acquired: int = Field(description="successful acquisitions")
    released: int = Field(description="releases that completed without error")
    acquire_failures: int = Field(description="acquisitions whose acquire_func raised")
    acquire_timeouts: int = Field(description="acquisitions that ran out of time")
    rejected: int = Field(description="acquisitions refused by an open circuit breaker")
    release_failures: int = Field(description="releases whose release_func raised (logged, never raised)")


class ResourceManagerStats(BaseModel):
    """A frozen snapshot of everything a ``ResourceManager`` manages."""

    model_config = ConfigDict(frozen=True)

    resources: dict[str, ManagedResourceStats]
    semaphores: dict[str, FairSemaphoreStats]
    breakers: dict[str, CircuitBreakerStats]


class _Counters:
    __slots__ = (
        "acquire_failures",
        "acquire_timeouts",
        "acquired",
        "in_use",
        "rejected",
        "release_failures",
        "released",
    )

    def __init__(self) -> None:
        self.in_use = 0
        self.acquired = 0
        self.released = 0
        self.acquire_failures = 0
        self.acquire_timeouts = 0
        self.rejected = 0
        self.release_failures = 0

    def snapshot(self, name: str) -> ManagedResourceStats:
        return ManagedResourceStats(
            name=name,
            in_use=self.in_use,
            acquired=self.acquired,
            released=self.released,
            acquire_failures=self.acquire_failures,
            acquire_timeouts=self.acquire_timeouts,
            rejected=self.rejected,
            release_failures=self.release_failures,
        )


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync-or-async callback and return its (awaited) result."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class ResourceManager:
    """Own named semaphores and circuit breakers, and lend resources through them.

    Args:
        clock: the clock for timeouts, semaphore wait times and breaker recovery.
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._semaphores: dict[str, FairSemaphore] = {}
        self._breakers: dict[str, AsyncCircuitBreaker] = {}
        self._counters: dict[str, _Counters] = {}
        self._releases: set[asyncio.Task[None]] = set()

    @property
    def clock(self) -> Clock:
        """Return the manager's clock."""
        return self._clock

    def semaphore(self, name: str, limit: int) -> FairSemaphore:
        """Return the semaphore called ``name``, creating it with ``limit`` permits on first use.

        Raises:
            RegistryError: if ``name`` exists with a different limit.
            ConfigError: if ``limit`` is not an integer >= 1.
        """
        semaphore = self._semaphores.get(name)
        if semaphore is None:
            semaphore = self._semaphores[name] = FairSemaphore(limit, name=name, clock=self._clock)
        elif semaphore.permits != limit:
            raise RegistryError(
                f"semaphore {name!r} exists with limit {semaphore.permits}, not {limit!r}; "
                f"use another name or the same limit"
            )
        return semaphore

    def circuit_breaker(self, name: str, config: CircuitBreakerConfig | None = None) -> AsyncCircuitBreaker:
        """Return the breaker called ``name``, creating it with ``config`` on first use.

        ``config=None`` means "whatever the breaker has" (the default configuration when it is new).

        Raises:
            RegistryError: if ``name`` exists with a different configuration.
        """
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = self._breakers[name] = AsyncCircuitBreaker(name, config, clock=self._clock)
        elif config is not None and breaker.config != config:
            raise RegistryError(
                f"circuit breaker {name!r} exists with {breaker.config!r}, not {config!r}; "
                f"use another name or the same configuration"
            )
        return breaker

    @overload
    def managed_resource(
        self,
        name: str,
        acquire_func: Callable[[], Awaitable[T]],
        release_func: Callable[[T], object] | None = None,
        *,
        semaphore_limit: int | None = None,
        timeout: float | None = None,
        circuit_breaker: CircuitBreakerConfig | None = None,
    ) -> _ManagedResource[T]: ...

    @overload
    def managed_resource(
        self,
        name: str,
        acquire_func: Callable[[], T],
        release_func: Callable[[T], object] | None = None,
        *,
        semaphore_limit: int | None = None,
        timeout: float | None = None,
        circuit_breaker: CircuitBreakerConfig | None = None,
    ) -> _ManagedResource[T]: ...

    def managed_resource(
        self,
        name: str,
        acquire_func: Callable[[], Any],
        release_func: Callable[[Any], object] | None = None,
        *,
        semaphore_limit: int | None = None,
        timeout: float | None = None,
        circuit_breaker: CircuitBreakerConfig | None = None,
    ) -> _ManagedResource[Any]:
        """Return an async context manager that acquires a resource and always releases it.

        Args:
            name: the resource's name (also names its semaphore and breaker).
            acquire_func: make or fetch the resource (sync or async).
            release_func: give it back (sync or async), called with the resource.
            semaphore_limit: at most this many held at once, granted in FIFO order.
            timeout: seconds for the semaphore wait and ``acquire_func`` together.
            circuit_breaker: call ``acquire_func`` through the breaker named ``name`` with this config.

        Raises:
            ConfigError: if ``timeout`` is not positive.
            RegistryError: if ``name`` has a semaphore or breaker with a different configuration.
        """
        if timeout is not None and not timeout > 0:
            raise ConfigError(
                f"managed_resource {name!r}: timeout must be > 0 seconds or None, got {timeout!r}"
            )
        semaphore = None if semaphore_limit is None else self.semaphore(name, semaphore_limit)
        breaker = None if circuit_breaker is None else self.circuit_breaker(name, circuit_breaker)
        counters = self._counters.get(name)
        if counters is None:
            counters = self._counters[name] = _Counters()
        return _ManagedResource(self, name, acquire_func, release_func, semaphore, breaker, timeout, counters)

    def stats(self) -> ResourceManagerStats:
        """Return a frozen snapshot of every resource, semaphore and breaker the manager holds."""
        return ResourceManagerStats(
            resources={name: c.snapshot(name) for name, c in sorted(self._counters.items())},
            semaphores={name: s.stats() for name, s in sorted(self._semaphores.items())},
            breakers={name: b.stats() for name, b in sorted(self._breakers.items())},
        )

    def reset(self) -> None:
        """Forget every named semaphore, breaker and counter (for tests and notebook restarts)."""
        self._semaphores.clear()
        self._breakers.clear()
        self._counters.clear()

    async def wait_for_releases(self) -> None:
        """Wait for releases that were moved to the background by a cancellation."""
        if self._releases:
            await asyncio.gather(*list(self._releases), return_exceptions=True)

    def __repr__(self) -> str:
        in_use = sum(c.in_use for c in self._counters.values())
        return (
            f"<ResourceManager resources={len(self._counters)} in_use={in_use} "
            f"semaphores={len(self._semaphores)} breakers={len(self._breakers)}>"
        )

    def _release_in_background(self, task: asyncio.Task[None]) -> None:
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)


class _ManagedResource(Generic[T]):
    """One use of ``managed_resource``: acquire on entry, release on exit, whatever happened."""

    __slots__ = (
        "_acquire",
        "_breaker",
        "_counters",
        "_manager",
        "_name",
        "_release",
        "_resource",
        "_semaphore",
        "_timeout",
    )

    def __init__(
        self,
        manager: ResourceManager,
        name: str,
        acquire: Callable[[], Any],
        release: Callable[[Any], object] | None,
        semaphore: FairSemaphore | None,
        breaker: AsyncCircuitBreaker | None,
        timeout: float | None,
        counters: _Counters,
    ) -> None:
        self._manager = manager
        self._name = name
        self._acquire = acquire
        self._release = release
        self._semaphore = semaphore
        self._breaker = breaker
        self._timeout = timeout
        self._counters = counters

    async def __aenter__(self) -> T:
        counters = self._counters
        if self._timeout is None:
            resource = await self._acquire_unbounded()
        else:
            deadline = self._manager.clock.timeout(self._timeout)
            try:
                async with deadline:
                    resource = await self._acquire_unbounded()
            except TimeoutError:
                if not deadline.expired():
                    raise  # acquire_func's own TimeoutError: already counted as a failure
                counters.acquire_timeouts += 1
                raise AcquireTimeoutError(f"resource {self._name!r}", self._timeout) from None
        counters.acquired += 1
        counters.in_use += 1
        self._resource: T = resource
        return resource

    async def _acquire_unbounded(self) -> T:
        semaphore = self._semaphore
        if semaphore is not None:
            await semaphore.acquire()
        try:
            if self._breaker is not None:
                resource: T = await self._breaker.call(self._acquire)
            else:
                resource = await _call(self._acquire)
        except CircuitBreakerError:
            self._counters.rejected += 1
            if semaphore is not None:
                semaphore.release()
            raise
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self._counters.acquire_failures += 1
            if semaphore is not None:
                semaphore.release()
            raise
        return resource

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._release is None:
            self._counters.released += 1
            self._finish()
            return
        release = asyncio.ensure_future(self._run_release(self._resource))
        try:
            # Shielded: a cancellation arriving now must not cut the release short.
            await asyncio.shield(release)
        except asyncio.CancelledError:
            if not release.done():
                self._manager._release_in_background(release)
            raise

    async def _run_release(self, resource: T) -> None:
        assert self._release is not None
        try:
            await _call(self._release, resource)
        except Exception as exc:
            self._counters.release_failures += 1
            logger.warning(
                "releasing resource %r failed: %s: %s", self._name, type(exc).__name__, exc, exc_info=exc
            )
        else:
            self._counters.released += 1
        finally:
            # The permit goes back only once the resource really is released.
            self._finish()

    def _finish(self) -> None:
        self._counters.in_use -= 1
        if self._semaphore is not None:
            self._semaphore.release()


resource_manager = ResourceManager()
"""The process-wide resource manager the origin document's call shapes use."""


@overload
async def with_circuit_breaker(
    name: str,
    func: Callable[..., Awaitable[R]],
    /,
    *args: Any,
    config: CircuitBreakerConfig | None = None,
    **kwargs: Any,
) -> R: ...


@overload
async def with_circuit_breaker(
    name: str,
    func: Callable[..., R],
    /,
    *args: Any,
    config: CircuitBreakerConfig | None = None,
    **kwargs: Any,
) -> R: ...


async def with_circuit_breaker(
    name: str,
    func: Callable[..., Any],
    /,
    *args: Any,
    config: CircuitBreakerConfig | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``func(*args, **kwargs)`` (sync or async) through the process-wide breaker called ``name``.

    Raises:
        CircuitBreakerError: the breaker is open.
        RegistryError: if ``name`` exists with a different ``config``.
    """
    return await resource_manager.circuit_breaker(name, config).call(func, *args, **kwargs)
