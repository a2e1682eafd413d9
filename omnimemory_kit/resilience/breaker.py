"""An asyncio circuit breaker: stop calling a dependency that keeps failing, and probe it carefully.

States::

    CLOSED ──(failure_threshold consecutive failures)──▶ OPEN
    OPEN ──(recovery_timeout elapsed, seen on the next call or inspection)──▶ HALF_OPEN
    HALF_OPEN ──(success_threshold trial successes)──▶ CLOSED
    HALF_OPEN ──(any counted failure)──▶ OPEN

While OPEN every call fails fast with ``CircuitBreakerError`` (``retry_after`` says when a trial is
allowed). In HALF_OPEN at most ``half_open_max_calls`` trial calls run at once; the rest fail fast with
``retry_after == 0`` and ``state == "half_open"``.

What counts as a failure: an exception that is an instance of ``failure_exceptions`` (default
``Exception``) and not of ``excluded_exceptions``; a per-call timeout (raised to the caller as
``TimeoutError``). ``asyncio.CancelledError`` never counts, and frees the half-open slot it held.

Every transition bumps a generation number. An outcome is judged against the generation its call was
admitted in, so a slow call admitted before the breaker opened cannot close (or re-open) it later: it is
still counted in the totals, but it decides nothing.

The breaker belongs to one event loop thread; it is not thread-safe (like asyncio itself).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from enum import StrEnum
from types import CoroutineType, TracebackType
from typing import Annotated, Any, ParamSpec, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import CircuitBreakerError, ConfigError
from omnimemory_kit.resilience._frozen_config import FrozenConfig

__all__ = [
    "AsyncCircuitBreaker",
    "CircuitBreakerConfig",
    "CircuitBreakerStats",
    "CircuitState",
    "StateListener",
]

logger = logging.getLogger("omnimemory_kit.resilience")

P = ParamSpec("P")
R = TypeVar("R")

PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class CircuitState(StrEnum):
    """Where a breaker is in its cycle. The values are stable strings (used in stats and errors)."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_CLOSED = CircuitState.CLOSED
_OPEN = CircuitState.OPEN
_HALF_OPEN = CircuitState.HALF_OPEN

StateListener = Callable[[str, CircuitState, CircuitState], object]
"""A state-change listener: ``listener(breaker_name, old_state, new_state)``; its return value is ignored."""


def _exception_types(value: object) -> object:
    # Accept a single exception class where a tuple is expected: excluded_exceptions=KeyError.
    return (value,) if isinstance(value, type) else value


class CircuitBreakerConfig(FrozenConfig):
    """How a breaker decides to open and to close again.

    Attributes:
        failure_threshold: consecutive counted failures (in CLOSED) that open the breaker.
        recovery_timeout: seconds the breaker stays OPEN before it admits trial calls.
        success_threshold: trial successes in HALF_OPEN needed to close. Default 1: one good trial closes,
            which matches the default of one trial call at a time.
        half_open_max_calls: trial calls admitted at once in HALF_OPEN; the rest fail fast.
        timeout: per-call time limit in seconds, or ``None`` for none (the default, and the fast path:
            a timeout costs a few microseconds per call). A call that runs out of time is cancelled,
            counts as a failure and raises ``TimeoutError``. It cannot interrupt a sync function.
        excluded_exceptions: exception types that never count as failures (nor as successes); they pass
            through to the caller unchanged. They win over ``failure_exceptions``.
        failure_exceptions: exception types that count as failures (default ``Exception``). Anything else
            (e.g. ``KeyboardInterrupt``) passes through without counting.
        log_transitions: log each state change (default). Off for a breaker whose owner reports the
            state in its own words (the runner's store outage), so a long outage is not one line per probe.
    """

    failure_threshold: int = Field(default=5, gt=0)
    recovery_timeout: PositiveSeconds = 30.0
    success_threshold: int = Field(default=1, gt=0)
    half_open_max_calls: int = Field(default=1, gt=0)
    timeout: PositiveSeconds | None = None
    excluded_exceptions: tuple[type[BaseException], ...] = ()
    failure_exceptions: tuple[type[BaseException], ...] = Field(default=(Exception,), min_length=1)
    log_transitions: bool = True

    _normalize_types = field_validator("excluded_exceptions", "failure_exceptions", mode="before")(
        _exception_types
    )


class CircuitBreakerStats(BaseModel):
    """A frozen snapshot of a breaker's counters and state (from ``AsyncCircuitBreaker.stats()``).

    Times people read (``last_failure_time``, ``opened_at``) are wall-clock seconds since the epoch, from
    the breaker's clock. ``total_calls`` counts finished and refused calls, not calls still running.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    state: CircuitState
    total_calls: int
    success_count: int
    failure_count: int
    ignored_count: int
    """Calls that ended in an excluded or non-counted exception, or were cancelled."""
    rejected_calls: int
    timeouts: int
    consecutive_failures: int
    last_failure_time: float | None
    last_failure_type: str | None
    opened_at: float | None
    """When the breaker last opened (wall clock), or ``None`` if it never has."""
    retry_after: float
    half_open_in_flight: int
    half_open_successes: int


_Ticket = tuple[int, bool, Any]  # (generation admitted in, holds a half-open slot, entered timeout or None)


class AsyncCircuitBreaker:
    """Guard calls to one dependency: fail fast while it is down, probe it before trusting it again.

    Use it as ``await breaker.call(fn, *args, **kwargs)`` (async or sync ``fn``, or any callable that
    returns an awaitable), as a decorator (``@breaker``: an async function stays async, a sync one stays
    sync), or as ``async with breaker:`` (an exception escaping the block counts like a failed call).

    Args:
        name: what the breaker protects; shown in errors, stats, logs and listener calls.
        config: thresholds and timeouts; defaults to ``CircuitBreakerConfig()``.
        clock: the time source (inject ``FakeClock`` in tests).
    """

    __slots__ = (
        "_clock",
        "_config",
        "_consecutive_failures",
        "_entries",
        "_excluded",
        "_failure_threshold",
        "_failure_types",
        "_failures",
        "_fast",
        "_generation",
        "_half_open_in_flight",
        "_half_open_max_calls",
        "_half_open_successes",
        "_ignored",
        "_last_failure_time",
        "_last_failure_type",
        "_listeners",
        "_name",
        "_opened_at",
        "_opened_at_wall",
        "_recovery_timeout",
        "_rejected",
        "_state",
        "_success_threshold",
        "_successes",
        "_timeout",
        "_timeouts",
    )

    def __init__(
        self, name: str, config: CircuitBreakerConfig | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a circuit breaker needs a non-empty name, got {name!r}")
        if config is None:
            config = CircuitBreakerConfig()
        elif not isinstance(config, CircuitBreakerConfig):
            raise ConfigError(f"config must be a CircuitBreakerConfig, got {type(config).__name__}")
        self._name = name
        self._config = config
        self._clock = clock
        # Config values copied into slots: the hot path reads them without a second attribute hop.
        self._failure_threshold = config.failure_threshold
        self._recovery_timeout = config.recovery_timeout
        self._success_threshold = config.success_threshold
        self._half_open_max_calls = config.half_open_max_calls
        self._timeout = config.timeout
        # CancelledError never counts, whatever the config says.
        self._excluded: tuple[type[BaseException], ...] = (
            asyncio.CancelledError,
            *config.excluded_exceptions,
        )
        self._failure_types = config.failure_exceptions
        self._state = _CLOSED
        self._fast = self._timeout is None  # closed and untimed: call() takes the fast path
        self._generation = 0
        self._consecutive_failures = 0
        self._successes = 0
        self._failures = 0
        self._ignored = 0
        self._rejected = 0
        self._timeouts = 0
        self._half_open_in_flight = 0
        self._half_open_successes = 0
        self._opened_at = 0.0
        self._opened_at_wall: float | None = None
        self._last_failure_time: float | None = None
        self._last_failure_type: str | None = None
        self._listeners: list[StateListener] = []
        self._entries: dict[asyncio.Task[Any] | None, list[_Ticket]] = {}

    # -- calling through the breaker ---------------------------------------------------------------

    @overload
    async def call(self, fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    async def call(self, fn: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Call ``fn(*args, **kwargs)`` through the breaker and return its result.

        ``fn`` may be async, sync, or return any awaitable (which is awaited). A sync ``fn`` runs on the
        event loop thread, so keep it short (or pass ``asyncio.to_thread`` work as an async function).

        A timeout placed *around* this call (``asyncio.timeout``) cancels it, and cancellation never
        counts: to make slow calls trip the breaker, set ``CircuitBreakerConfig.timeout`` instead.

        Raises:
            CircuitBreakerError: the breaker is open, or half-open with every trial slot taken.
            TimeoutError: the per-call ``timeout`` ran out (counted as a failure).
            Exception: whatever ``fn`` raised, unchanged.
        """
        if self._fast:
            # Closed and untimed: no clock read, no allocation beyond the call itself.
            generation = self._generation
            try:
                # Skipping empty */** unpacking saves a few percent of the whole overhead.
                if kwargs:
                    result = fn(*args, **kwargs)
                elif args:
                    result = fn(*args)  # type: ignore[call-arg]
                else:
                    result = fn()  # type: ignore[call-arg]
                # Checking the result's type is cheaper than inspect.iscoroutinefunction(fn) and also
                # right for sync callables and for callables returning other awaitables.
                if type(result) is CoroutineType or inspect.isawaitable(result):
                    result = await result
            except BaseException as exc:
                self._record_error(exc, generation, False, False)
                raise
            if generation == self._generation:  # a straggler from before a transition decides nothing
                self._consecutive_failures = 0
            self._successes += 1
            return result
        return await self._call_guarded(fn, args, kwargs)

    async def _call_guarded(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        generation, holds_slot = self._admit()
        timeout = self._timeout
        if timeout is None:
            try:
                result = fn(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except BaseException as exc:
                self._record_error(exc, generation, holds_slot, False)
                raise
        else:
            limit = self._clock.timeout(timeout)
            try:
                async with limit:
                    result = fn(*args, **kwargs)
                    if inspect.isawaitable(result):
                        result = await result
            except BaseException as exc:
                self._record_error(exc, generation, holds_slot, limit.expired())
                raise
        self._record_success(generation, holds_slot)
        return result

    def call_sync(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call a sync ``fn(*args, **kwargs)`` through the breaker without awaiting.

        The per-call ``timeout`` does not apply: sync code cannot be interrupted.

        Raises:
            CircuitBreakerError: the breaker is open, or half-open with every trial slot taken.
        """
        generation, holds_slot = self._admit()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._record_error(exc, generation, holds_slot, False)
            raise
        self._record_success(generation, holds_slot)
        return result

    @overload
    def protect(self, func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]: ...

    @overload
    def protect(self, func: Callable[P, R]) -> Callable[P, R]: ...

    def protect(self, func: Callable[P, Any]) -> Callable[P, Any]:
        """Return ``func`` wrapped so every call goes through this breaker (same signature).

        An ``async def`` stays async (``call``); a sync function stays sync (``call_sync``). Which one is
        decided here, once, not on every call. For a plain function that *returns* an awaitable, use
        ``await breaker.call(fn)`` instead: a sync wrapper cannot await it.
        """
        if inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            getattr(func, "__call__", None)  # noqa: B004 - an object with an async __call__
        ):
            breaker = self

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                # call()'s fast path inlined: func is known to be async, and one coroutine is saved.
                if breaker._fast:
                    generation = breaker._generation
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException as exc:
                        breaker._record_error(exc, generation, False, False)
                        raise
                    if generation == breaker._generation:
                        breaker._consecutive_failures = 0
                    breaker._successes += 1
                    return result
                return await breaker._call_guarded(func, args, kwargs)

            return async_wrapper

        @functools.wraps(func)
        def sync_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            return self.call_sync(func, *args, **kwargs)

        return sync_wrapper

    __call__ = protect

    async def __aenter__(self) -> AsyncCircuitBreaker:
        """Admit the block as one call (or raise ``CircuitBreakerError``); start its timeout if any."""
        generation, holds_slot = self._admit()
        limit: Any = None
        if self._timeout is not None:
            limit = self._clock.timeout(self._timeout)
            try:
                await limit.__aenter__()
            except BaseException:
                self._release(generation, holds_slot)
                raise
        # Keyed by task so concurrent (and nested) blocks in different tasks keep their own tickets.
        self._entries.setdefault(asyncio.current_task(), []).append((generation, holds_slot, limit))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Record the block's outcome; never suppress its exception."""
        task = asyncio.current_task()
        stack = self._entries[task]
        generation, holds_slot, limit = stack.pop()
        if not stack:
            del self._entries[task]
        if limit is not None:
            try:
                await limit.__aexit__(exc_type, exc, tb)
            except BaseException as limit_exc:  # the timeout turned the block's cancellation into this
                self._record_error(limit_exc, generation, holds_slot, limit.expired())
                raise
        if exc is None:
            self._record_success(generation, holds_slot)
        else:
            self._record_error(exc, generation, holds_slot, False)

    # -- the state machine -------------------------------------------------------------------------

    def _admit(self) -> tuple[int, bool]:
        """Admit one call or raise ``CircuitBreakerError``; return (generation, holds a half-open slot)."""
        state = self._state
        if state is _OPEN:
            if self._clock.monotonic() - self._opened_at < self._recovery_timeout:
                self._rejected += 1
                raise CircuitBreakerError(self._name, self.retry_after, _OPEN.value)
            self._transition(_HALF_OPEN)
            state = self._state  # a listener may have changed it (e.g. force_open)
            if state is _OPEN:
                self._rejected += 1
                raise CircuitBreakerError(self._name, self.retry_after, _OPEN.value)
        if state is _HALF_OPEN:
            if self._half_open_in_flight >= self._half_open_max_calls:
                self._rejected += 1
                raise CircuitBreakerError(self._name, 0.0, _HALF_OPEN.value)
            self._half_open_in_flight += 1
            return self._generation, True
        return self._generation, False

    def _release(self, generation: int, holds_slot: bool) -> None:
        if holds_slot and generation == self._generation:
            self._half_open_in_flight -= 1

    def _record_success(self, generation: int, holds_slot: bool) -> None:
        self._successes += 1
        if generation != self._generation:
            return  # admitted before the last transition: counted, decides nothing
        if self._state is _CLOSED:
            self._consecutive_failures = 0
        elif holds_slot:
            self._half_open_in_flight -= 1
            self._half_open_successes += 1
            if self._half_open_successes >= self._success_threshold:
                self._transition(_CLOSED)

    def _record_error(self, exc: BaseException, generation: int, holds_slot: bool, timed_out: bool) -> None:
        if isinstance(exc, self._excluded) or not isinstance(exc, self._failure_types):
            self._ignored += 1
            self._release(generation, holds_slot)
            return
        self._failures += 1
        if timed_out:
            self._timeouts += 1
        self._last_failure_time = self._clock.time()
        self._last_failure_type = type(exc).__qualname__
        if generation != self._generation:
            return  # admitted before the last transition: counted, decides nothing
        self._consecutive_failures += 1
        if self._state is _CLOSED:
            if self._consecutive_failures >= self._failure_threshold:
                self._transition(_OPEN)
        elif holds_slot:  # a failed trial re-opens at once
            self._transition(_OPEN)

    def _transition(self, new: CircuitState) -> None:
        old = self._state
        failures = self._consecutive_failures
        self._state = new
        self._generation += 1
        self._half_open_in_flight = 0
        self._half_open_successes = 0
        if new is _OPEN:
            self._opened_at = self._clock.monotonic()
            self._opened_at_wall = self._clock.time()
        else:
            self._consecutive_failures = 0
        self._fast = new is _CLOSED and self._timeout is None
        if old is not new and self._config.log_transitions:
            self._log_transition(old, new, failures)
        for listener in tuple(self._listeners):
            try:
                listener(self._name, old, new)
            except Exception:
                logger.exception(
                    "circuit breaker %r: state listener %r raised; ignored", self._name, listener
                )

    def _log_transition(self, old: CircuitState, new: CircuitState, failures: int) -> None:
        """Log a state change on ``omnimemory_kit.resilience`` with its facts as structured fields.

        Opening is a WARNING, half-opening and closing INFO. The fields (``breaker``, ``old_state``,
        ``new_state``, ``consecutive_failures``, ``last_failure_type``, and when opening ``retry_after_s``
        and ``retry_at``, RFC 3339 UTC from the breaker's clock) land next to the caller's correlation
        fields in JSON lines (``configure_logging``). Only transitions log: the call path never does.
        """
        level = logging.WARNING if new is _OPEN else logging.INFO
        if not logger.isEnabledFor(level):
            return
        fields: dict[str, Any] = {
            "breaker": self._name,
            "old_state": old.value,
            "new_state": new.value,
            "consecutive_failures": failures,
            "last_failure_type": self._last_failure_type,
        }
        if new is _OPEN:
            fields["retry_after_s"] = self._recovery_timeout
            retry_at = self._clock.time() + self._recovery_timeout
            fields["retry_at"] = (
                datetime.fromtimestamp(retry_at, UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
            logger.warning(
                "circuit breaker %r: %s -> open after %d consecutive failures (last %s); retry in %gs",
                self._name,
                old.value,
                failures,
                self._last_failure_type,
                self._recovery_timeout,
                extra=fields,
            )
        else:
            logger.info("circuit breaker %r: %s -> %s", self._name, old.value, new.value, extra=fields)

    # -- control and inspection --------------------------------------------------------------------

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener(name, old_state, new_state)`` on every state change.

        A listener that raises is logged on ``omnimemory_kit.resilience`` and never breaks the call that
        caused the change. Listeners run synchronously, in the order added.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener``.

        Raises:
            ValueError: if it was not added.
        """
        try:
            self._listeners.remove(listener)
        except ValueError:
            raise ValueError(f"{listener!r} is not a listener of circuit breaker {self._name!r}") from None

    def reset(self) -> None:
        """Close the breaker now and forget consecutive failures (lifetime totals are kept)."""
        if self._state is _CLOSED:
            self._consecutive_failures = 0
            return
        self._transition(_CLOSED)

    def force_open(self) -> None:
        """Open the breaker now, as if the threshold was reached; it recovers after recovery_timeout."""
        self._transition(_OPEN)

    @property
    def name(self) -> str:
        """Return the breaker's name."""
        return self._name

    @property
    def config(self) -> CircuitBreakerConfig:
        """Return the breaker's configuration."""
        return self._config

    @property
    def clock(self) -> Clock:
        """Return the breaker's clock."""
        return self._clock

    @property
    def state(self) -> CircuitState:
        """Return the current state, moving OPEN to HALF_OPEN if ``recovery_timeout`` has passed."""
        if self._state is _OPEN and self._clock.monotonic() - self._opened_at >= self._recovery_timeout:
            self._transition(_HALF_OPEN)
        return self._state

    @property
    def retry_after(self) -> float:
        """Return seconds until the breaker admits a trial call (0 unless it is OPEN)."""
        if self._state is not _OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._recovery_timeout - self._clock.monotonic())

    def stats(self) -> CircuitBreakerStats:
        """Return a frozen snapshot of the counters and state."""
        state = self.state
        return CircuitBreakerStats(
            name=self._name,
            state=state,
            total_calls=self._successes + self._failures + self._ignored + self._rejected,
            success_count=self._successes,
            failure_count=self._failures,
            ignored_count=self._ignored,
            rejected_calls=self._rejected,
            timeouts=self._timeouts,
            consecutive_failures=self._consecutive_failures,
            last_failure_time=self._last_failure_time,
            last_failure_type=self._last_failure_type,
            opened_at=self._opened_at_wall,
            retry_after=self.retry_after,
            half_open_in_flight=self._half_open_in_flight,
            half_open_successes=self._half_open_successes,
        )

    def __repr__(self) -> str:
        state = self.state
        text = f"<AsyncCircuitBreaker {self._name!r} {state.name} failures={self._consecutive_failures}"
        if state is _OPEN:
            text += f" retry_in={self.retry_after:.1f}s"
        elif state is _HALF_OPEN:
            text += f" trials={self._half_open_in_flight}/{self._half_open_max_calls}"
        return text + ">"
