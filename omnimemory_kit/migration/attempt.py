"""Attempt execution: run one item's migration function to an outcome, with no store in sight.

``Attempts.outcome(item)`` calls the function (async on the loop, sync through the runner's ``calls``),
under the per-attempt timeout, the circuit breaker and the retry policy, and returns the outcome event:
FILE_SUCCEEDED, FILE_SKIPPED or FILE_FAILED. Each failed attempt that will be retried is handed to
``retried`` as a FILE_RETRIED event on the way. Nothing here touches the store: the runner journals what
it gets back, and tests drive this module with a fake clock alone.

Rules:
    - ``SkipItem(reason)`` skips the item. Any other exception, ``SystemExit`` included, fails the attempt:
      user code ending the interpreter ends one item, not the run.
    - A sync function that returns a coroutine or a generator has not run its body: the item fails at once
      (no retry) with a message saying so.
    - While the breaker is open, the item waits (on the clock) until it admits calls again: no attempt is
      used up. A skip passes through the breaker as a success.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import CircuitBreakerError
from omnimemory_kit.events import Event, EventKind, error_message, error_type_name, item_event
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitState, RetryPolicy

__all__ = ["Attempts", "NotRunError", "SkipItem", "SyncCalls", "check_returned", "is_async_function"]

SKIP_REASON_LIMIT = 500
_SUCCEEDED = EventKind.FILE_SUCCEEDED
_BREAKER_POLL = 0.05  # how long to wait when a half-open breaker has no free trial slot


class SkipItem(Exception):
    """Raise from a migration function to skip the item (journaled FILE_SKIPPED with ``reason``)."""

    def __init__(self, reason: str = "skipped") -> None:
        self.reason = reason
        super().__init__(reason)

    def __reduce__(self) -> tuple[type[SkipItem], tuple[str]]:
        return (SkipItem, (self.reason,))  # crosses a process boundary intact


class NotRunError(TypeError):
    """A sync migration function returned an unrun body (a coroutine, a generator): it never ran."""


class _Skipped:
    """A ``SkipItem`` turned into a return value, so the breaker does not count a skip as a failure."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class SyncCalls(Protocol):
    """Where a sync migration function runs: off the loop, each call timed from when it really starts."""

    async def call(self, item: MigrationItem, time_limit: float | None) -> Any:
        """Return the result for ``item``; raise ``TimeoutError`` once ``time_limit`` has passed."""
        ...

    @property
    def stuck(self) -> int:
        """Return how many slots are stuck in calls that timed out and still run."""
        ...

    def close(self) -> None:
        """Release what the calls hold, without waiting for any call still running."""
        ...


def is_async_function(fn: Callable[..., Any]) -> bool:
    """Return whether calling ``fn`` gives a coroutine to await (an async function or async callable)."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
    )


def check_returned(result: object) -> object:
    """Return ``result``, or raise ``NotRunError`` when a sync function handed back an unrun body.

    A coroutine is closed first, so it is not reported as never awaited.
    """
    if inspect.iscoroutine(result):
        result.close()
        raise NotRunError("migration function returned a coroutine: define it with async def or await it")
    if inspect.isgenerator(result) or inspect.isasyncgen(result):
        raise NotRunError(
            "migration function returned a generator: its body never ran; return a value instead of yielding"
        )
    if inspect.isawaitable(result):
        raise NotRunError("migration function returned an awaitable: define it with async def or await it")
    return result


class Attempts:
    """Run items' migration function to outcomes under timeout, breaker and retry.

    Args:
        fn: the migration function, sync or async.
        sync_calls: where a sync ``fn`` runs (unused for an async one).
        retry: when to retry a failed attempt.
        breaker: the breaker around every call, or None.
        timeout: seconds per attempt, or None; for a sync function it counts from the call's real start.
        clock: for timeouts, backoff, breaker waits and event timestamps.
        worker_id: stamped on every event.
        observe: called with each attempt's duration in seconds (for metrics), or None.
    """

    def __init__(
        self,
        fn: Callable[[MigrationItem], Any],
        sync_calls: SyncCalls | None,
        *,
        retry: RetryPolicy,
        breaker: AsyncCircuitBreaker | None,
        timeout: float | None,
        clock: Clock,
        worker_id: str,
        observe: Callable[[float], object] | None = None,
    ) -> None:
        self.fn = fn
        self.is_async = is_async_function(fn)
        if not self.is_async and sync_calls is None:
            raise ValueError("a sync migration function needs sync_calls")
        self.sync_calls = sync_calls
        self.retry = retry
        self.breaker = breaker
        self.timeout = timeout
        self.clock = clock
        self.worker_id = worker_id
        self.observe = observe
        self._invoke = self._choose_invoke()
        # An async function with nothing around its calls (no breaker, timeout or timing): the caller
        # may await it itself and hand any exception to ``outcome(..., failed=)``, one coroutine less.
        self.direct: Callable[[MigrationItem], Awaitable[Any]] | None = (
            fn if self.is_async and breaker is None and timeout is None and observe is None else None
        )

    async def outcome(
        self, item: MigrationItem, retried: Callable[[Event], object], failed: BaseException | None = None
    ) -> Event:
        """Run ``item`` to its outcome: success, skip, or final failure (each retry handed to ``retried``).

        ``failed``: the exception of a first attempt the caller made itself (through ``direct``); the
        outcome goes on from there as if this call had made it.
        """
        attempt = 0 if failed is None else 1
        breaker = self.breaker
        observe = self.observe
        monotonic = self.clock.monotonic
        while True:
            if failed is None:
                if breaker is not None and breaker.state is CircuitState.OPEN:
                    await self.clock.sleep(max(breaker.retry_after, _BREAKER_POLL))
                    continue
                attempt += 1
                try:
                    if observe is None:
                        result = await self._invoke(item)
                    else:  # timed inline, not by a wrapper: one frame less per attempt on the hot path
                        started = monotonic()
                        try:
                            result = await self._invoke(item)
                        except CircuitBreakerError:
                            raise  # refused before the call: not an attempt, not observed
                        except BaseException:
                            observe(monotonic() - started)
                            raise
                        observe(monotonic() - started)
                except BaseException as exc:  # what is not an item's failure, _settle raises again
                    failed = exc
                else:
                    if type(result) is _Skipped:
                        return self._skipped(item, result.reason)
                    return self.succeeded(item)
            error, failed = failed, None
            settled = self._settle(item, error, attempt, retried)
            if isinstance(settled, Event):
                return settled
            if isinstance(error, CircuitBreakerError):
                attempt -= 1  # refused before the call: not an attempt
            await self.clock.sleep(settled)

    def _settle(
        self, item: MigrationItem, exc: BaseException, attempt: int, retried: Callable[[Event], object]
    ) -> Event | float:
        """Return the outcome after attempt ``attempt`` raised ``exc``, or the seconds to wait before the
        next attempt; raise ``exc`` again when it is not the item's (a cancellation, an interrupt)."""
        if isinstance(exc, SkipItem):
            return self._skipped(item, exc.reason)
        if isinstance(exc, CircuitBreakerError):
            return max(exc.retry_after, _BREAKER_POLL)
        if isinstance(exc, NotRunError):  # retrying cannot help: the function is written wrong
            return self._failed(item, "TypeError", error_message(exc))
        if not isinstance(exc, Exception | SystemExit):
            raise exc
        if isinstance(exc, TimeoutError) and self.timeout is not None:
            message = f"timed out after {self.timeout:g}s"
        else:
            message = error_message(exc)
        if self.retry.should_retry(exc, attempt):
            retried(
                Event(
                    EventKind.FILE_RETRIED,
                    at=self.clock.time(),
                    path=item.key,
                    error_type=error_type_name(exc),
                    error_message=message,
                    worker_id=self.worker_id,
                )
            )
            return self.retry.delay_for(attempt)
        return self._failed(item, error_type_name(exc), message)

    def succeeded(self, item: MigrationItem) -> Event:
        """Return the FILE_SUCCEEDED event of ``item``, stamped now."""
        return item_event(_SUCCEEDED, self.clock.time(), item.key, self.worker_id)

    def _failed(self, item: MigrationItem, error_type: str, message: str) -> Event:
        return Event(
            EventKind.FILE_FAILED,
            at=self.clock.time(),
            path=item.key,
            error_type=error_type,
            error_message=message,
            worker_id=self.worker_id,
        )

    def _skipped(self, item: MigrationItem, reason: str) -> Event:
        return Event(
            EventKind.FILE_SKIPPED,
            at=self.clock.time(),
            path=item.key,
            reason=str(reason)[:SKIP_REASON_LIMIT],
            worker_id=self.worker_id,
        )

    def _choose_invoke(self) -> Callable[[MigrationItem], Awaitable[Any]]:
        """Decide once how an attempt is made, so the per-item path has no branches or extra frames."""
        call = self._call_fn if self.timeout is None or not self.is_async else self._call_fn_timed
        if self.breaker is not None:
            breaker = self.breaker

            async def through_breaker(item: MigrationItem) -> Any:
                try:
                    return await call(item)
                except SkipItem as skip:
                    return _Skipped(skip.reason)

            return lambda item: breaker.call(through_breaker, item)
        if self.is_async and self.timeout is None:
            return self.fn  # an async function: awaited directly
        return call

    async def _call_fn_timed(self, item: MigrationItem) -> Any:
        async with self.clock.timeout(self.timeout):
            return await self.fn(item)

    async def _call_fn(self, item: MigrationItem) -> Any:
        if self.is_async:
            return await self.fn(item)
        assert self.sync_calls is not None
        return await self.sync_calls.call(item, self.timeout)
