"""Retry with exponential backoff and jitter: a frozen ``RetryPolicy`` and the ``@retry`` decorator.

    policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=30, retry_on=(ConnectionError,))
    result = await policy.call(fetch, url)          # async or sync fetch

    @retry(policy)
    async def fetch(url: str) -> bytes: ...

    async for attempt in policy.attempts():
        with attempt:
            await fetch(url)

Rules: only ``Exception`` subclasses matching ``retry_on`` are retried; anything else (including
``asyncio.CancelledError``, ``KeyboardInterrupt``) propagates at once, unchanged. When the attempts run
out (``max_attempts``, ``max_elapsed`` or a custom ``stop``), ``RetryError`` is raised ``from`` the last
exception and carries it as ``last_exception``. Sleeps go through the policy's clock and jitter draws
come from its random source, so a ``FakeClock`` and a seeded ``random.Random`` make tests exact.
"""

from __future__ import annotations

import functools
import inspect
import random
from collections.abc import Awaitable, Callable, Coroutine
from types import CoroutineType, TracebackType
from typing import Annotated, Any, Literal, ParamSpec, TypeVar, overload

from pydantic import Field, PrivateAttr, field_validator, model_validator

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError, RetryError
from omnimemory_kit.resilience._frozen_config import FrozenConfig
from omnimemory_kit.resilience.backoff import (
    AttemptState,
    StopFunction,
    WaitFunction,
    jitter_fraction,
    stop_after_delay,
    wait_exponential,
)

__all__ = ["Attempt", "RetryCallback", "RetryPolicy", "retry"]

P = ParamSpec("P")
R = TypeVar("R")

RetryCallback = Callable[[int, BaseException, float], object]
"""``on_retry(attempt, exception, delay)``: called before sleeping ``delay`` after attempt ``attempt``
failed; if it returns an awaitable, that is awaited. An exception it raises propagates."""

Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class RetryPolicy(FrozenConfig):
    """When and how long to wait before trying again.

    Attributes:
        max_attempts: attempts in total, the first included (1 = no retry).
        base_delay: seconds before the first retry (before jitter).
        max_delay: the cap on any single delay.
        multiplier: growth per attempt: delay = base_delay * multiplier**(attempt-1), capped.
        jitter: ``"full"`` (default), ``"equal"``, ``"none"`` or a fraction in [0, 1] of each delay that is
            randomized downwards (see ``omnimemory_kit.resilience.backoff``).
        retry_on: exception types to retry, or a predicate ``exc -> bool``. Only ``Exception``
            subclasses are ever retried.
        max_elapsed: give up rather than start an attempt later than this many seconds after the first.
        wait: a custom wait policy (replaces base_delay/max_delay/multiplier/jitter).
        stop: a custom stop policy, applied in addition to ``max_attempts`` and ``max_elapsed``.
        on_retry: called as ``on_retry(attempt, exception, delay)`` before each sleep.
        clock: where sleeps and elapsed time come from.
        rng: the random source for jitter (a seeded ``random.Random`` makes delays reproducible);
            ``None`` uses the ``random`` module's shared generator.
    """

    max_attempts: int = Field(default=3, ge=1)
    base_delay: Seconds = 0.1
    max_delay: Seconds = 30.0
    multiplier: float = Field(default=2.0, ge=1, allow_inf_nan=False)
    jitter: Literal["full", "equal", "none"] | Annotated[float, Field(ge=0, le=1)] = "full"
    retry_on: tuple[type[BaseException], ...] | Callable[[BaseException], bool] = (Exception,)
    max_elapsed: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    wait: WaitFunction | None = None
    stop: StopFunction | None = None
    on_retry: RetryCallback | None = None
    clock: Clock = SYSTEM_CLOCK
    rng: random.Random | None = None

    _wait: WaitFunction = PrivateAttr()
    _stop: StopFunction | None = PrivateAttr(default=None)
    _retry_types: tuple[type[BaseException], ...] | None = PrivateAttr(default=None)
    _draw: Callable[[], float] = PrivateAttr()

    @field_validator("retry_on", mode="before")
    @classmethod
    def _single_type_to_tuple(cls, value: object) -> object:
        # A bare class is callable too; without this, retry_on=ValueError would be taken for a predicate.
        return (value,) if isinstance(value, type) else value

    @model_validator(mode="after")
    def _check_delays(self) -> RetryPolicy:
        if self.max_delay < self.base_delay:
            raise ValueError(f"max_delay ({self.max_delay}) must be at least base_delay ({self.base_delay})")
        return self

    def model_post_init(self, context: Any, /) -> None:
        """Build the wait and stop policies once, so calls only run them."""
        self._wait = (
            self.wait
            if self.wait is not None
            else wait_exponential(
                self.base_delay, self.multiplier, self.max_delay, jitter_fraction(self.jitter)
            )
        )
        stops: list[StopFunction] = []
        if self.max_elapsed is not None:
            stops.append(stop_after_delay(self.max_elapsed))
        if self.stop is not None:
            stops.append(self.stop)
        if len(stops) == 1:
            self._stop = stops[0]
        elif stops:
            first, second = stops
            self._stop = lambda state: first(state) or second(state)
        self._retry_types = self.retry_on if isinstance(self.retry_on, tuple) else None
        self._draw = self.rng.random if self.rng is not None else random.random

    # -- the pure parts (the runner schedules with these) -----------------------------------------

    def is_retryable(self, exc: BaseException) -> bool:
        """Return whether ``exc`` is the kind of error this policy retries (ignoring attempt counts)."""
        if not isinstance(exc, Exception):  # CancelledError, KeyboardInterrupt, SystemExit, ...
            return False
        if self._retry_types is not None:
            return isinstance(exc, self._retry_types)
        predicate: Callable[[BaseException], bool] = self.retry_on  # type: ignore[assignment]
        return bool(predicate(exc))

    def should_retry(self, exc: BaseException, attempt: int) -> bool:
        """Return whether to try again after attempt number ``attempt`` (1-based) failed with ``exc``.

        Pure: looks at the exception type and ``max_attempts`` only (``call`` also applies
        ``max_elapsed`` and ``stop``, which need the elapsed time).
        """
        return attempt < self.max_attempts and self.is_retryable(exc)

    def delay_for(self, attempt: int, *, random_value: float | None = None) -> float:
        """Return the seconds to wait after attempt number ``attempt`` (1-based) failed.

        Without jitter this is a pure function of ``attempt``; with jitter the draw comes from ``rng``
        unless ``random_value`` (in [0, 1)) is given. A custom ``wait`` sees ``elapsed == 0``.
        """
        if attempt < 1:
            raise ConfigError(f"attempt numbers start at 1, got {attempt!r}")
        draw = self._draw() if random_value is None else random_value
        return self._wait(AttemptState(attempt=attempt, random=draw))

    def with_options(self, **changes: Any) -> RetryPolicy:
        """Return a copy with some fields changed (validated like the constructor)."""
        return RetryPolicy(**{**{name: getattr(self, name) for name in type(self).model_fields}, **changes})

    # -- running -----------------------------------------------------------------------------------

    def _delay_after(self, exc: BaseException, attempt: int, started: float) -> float | None:
        """Return the sleep before the next attempt, ``None`` to re-raise ``exc`` unchanged.

        Raises:
            RetryError: ``exc`` is retryable but the attempts are used up.
        """
        if not self.is_retryable(exc):
            return None
        if attempt >= self.max_attempts:
            raise RetryError(attempt, exc) from exc
        state = AttemptState(
            attempt=attempt, elapsed=self.clock.monotonic() - started, exception=exc, random=self._draw()
        )
        delay = self._wait(state)
        if self._stop is not None and self._stop(
            AttemptState(state.attempt, state.elapsed, exc, state.random, delay)
        ):
            raise RetryError(attempt, exc) from exc
        return delay

    async def _announce(self, attempt: int, exc: BaseException, delay: float) -> None:
        assert self.on_retry is not None
        outcome = self.on_retry(attempt, exc, delay)
        if inspect.isawaitable(outcome):
            await outcome

    @overload
    async def call(self, fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @overload
    async def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    async def call(self, fn: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Call ``fn(*args, **kwargs)`` until it succeeds or the policy gives up; return its result.

        ``fn`` may be async, sync (it then runs on the loop thread, so keep it short) or return any
        awaitable.

        Raises:
            RetryError: every allowed attempt failed with a retryable error (``from`` the last one).
            ConfigError: ``fn`` is not callable (e.g. a coroutine object instead of the function).
            BaseException: a non-retryable error, at once and unchanged.
        """
        if not callable(fn):  # else the TypeError would be retried like a transient failure
            raise _not_callable(fn)
        clock = self.clock
        started = clock.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                result = fn(*args, **kwargs)
                # The result's type tells async from sync more cheaply than inspecting fn each call.
                if type(result) is CoroutineType or inspect.isawaitable(result):
                    result = await result
                return result
            except BaseException as exc:
                delay = self._delay_after(exc, attempt, started)
                if delay is None:
                    raise
                if self.on_retry is not None:
                    await self._announce(attempt, exc, delay)
            await clock.sleep(delay)

    def attempts(self) -> AttemptIterator:
        """Iterate over attempts at a block: ``async for attempt in policy.attempts(): with attempt: ...``.

        Each ``with attempt:`` swallows a retryable error; the loop then sleeps and tries again, raises
        ``RetryError`` when the attempts are used up, and ends after a block that succeeded.
        """
        return AttemptIterator(self)

    def __call__(self, func: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        """Decorate an async function so each call is retried by this policy (same as ``@retry(self)``)."""
        return retry(self)(func)


def _not_callable(fn: object) -> ConfigError:
    if inspect.iscoroutine(fn):
        fn.close()  # it will never run; closing it avoids a "never awaited" warning
        return ConfigError(
            "RetryPolicy.call needs the function, not a coroutine object: write "
            "policy.call(fn, *args), not policy.call(fn(*args)) (a coroutine can only run once)"
        )
    return ConfigError(f"RetryPolicy.call needs a callable, got {type(fn).__name__}")


class Attempt:
    """One attempt in ``policy.attempts()``: a context manager that records how the block ended."""

    __slots__ = ("_finished", "_policy", "exception", "number")

    def __init__(self, policy: RetryPolicy, number: int) -> None:
        self._policy = policy
        self._finished = False
        self.number = number
        self.exception: BaseException | None = None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self._finished = True
        if exc is None or not self._policy.is_retryable(exc):
            return False
        self.exception = exc
        return True  # swallowed: the iterator decides between sleeping and RetryError

    def __repr__(self) -> str:
        if not self._finished:
            outcome = "running"
        elif self.exception is None:
            outcome = "done"
        else:
            outcome = f"failed with {type(self.exception).__name__}"
        return f"<Attempt {self.number} {outcome}>"


class AttemptIterator:
    """The async iterator behind ``RetryPolicy.attempts()``."""

    __slots__ = ("_current", "_policy", "_started")

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._current: Attempt | None = None
        self._started: float | None = None

    def __aiter__(self) -> AttemptIterator:
        return self

    async def __anext__(self) -> Attempt:
        policy = self._policy
        current = self._current
        if current is None:
            self._started = policy.clock.monotonic()
            self._current = Attempt(policy, 1)
            return self._current
        exc = current.exception
        if exc is None:
            raise StopAsyncIteration  # the last block succeeded (or never used ``with attempt``)
        assert self._started is not None
        delay = policy._delay_after(exc, current.number, self._started)
        assert delay is not None  # only retryable errors are swallowed
        if policy.on_retry is not None:
            await policy._announce(current.number, exc, delay)
        await policy.clock.sleep(delay)
        self._current = Attempt(policy, current.number + 1)
        return self._current


@overload
def retry(
    policy: RetryPolicy | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Coroutine[Any, Any, R]]]: ...


@overload
def retry(policy: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]: ...


def retry(policy: Any = None) -> Any:
    """Decorate an async function so every call is retried by ``policy`` (default ``RetryPolicy()``).

    Works as ``@retry(policy)``, ``@retry()`` and bare ``@retry``. The wrapped function keeps its
    signature. Sync functions are refused: sleeping between their attempts would block the event loop;
    use ``await policy.call(sync_fn)`` instead.

    Raises:
        ConfigError: when decorating something that is not an async function.
    """
    if policy is not None and not isinstance(policy, RetryPolicy):
        if callable(policy):
            return retry(None)(policy)
        raise ConfigError(f"retry() takes a RetryPolicy, got {type(policy).__name__}")
    chosen: RetryPolicy = policy if policy is not None else RetryPolicy()

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        if not (
            inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__call__", None))  # noqa: B004
        ):
            raise ConfigError(
                f"@retry wraps async functions; {getattr(func, '__qualname__', func)!r} is not one "
                f"(use `await policy.call(fn)` for sync code)"
            )

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return await chosen.call(func, *args, **kwargs)

        return wrapper

    return decorate
