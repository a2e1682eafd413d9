"""Attempt execution without a store: skip, retry, timeout, breaker, SystemExit and unrun bodies."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.attempt import Attempts, SkipItem
from omnimemory_kit.migration.calls import StuckCallsError, ThreadCalls
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig, RetryPolicy

ITEM = MigrationItem("item-1")


def attempts(
    fn: Callable[[MigrationItem], Any],
    clock: FakeClock,
    *,
    calls: ThreadCalls | None = None,
    max_attempts: int = 1,
    timeout: float | None = None,
    breaker: AsyncCircuitBreaker | None = None,
) -> Attempts:
    """Build Attempts with a fixed retry delay of 1 s."""
    return Attempts(
        fn,
        calls,
        retry=RetryPolicy(max_attempts=max_attempts, base_delay=1.0, max_delay=1.0, jitter=False),
        breaker=breaker,
        timeout=timeout,
        clock=clock,
        worker_id="w",
    )


async def run_with_clock(clock: FakeClock, work: Awaitable[Event], step: float = 0.5) -> Event:
    """Await ``work``, advancing the fake clock whenever it waits on a timer."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.sleep(0)
        if clock.pending_timers and not task.done():
            clock.advance(step)
    return task.result()


@pytest.fixture
def threads(clock: FakeClock) -> Iterator[Callable[[Callable[[MigrationItem], Any]], ThreadCalls]]:
    """Make ThreadCalls of two threads on the fake clock; close them after the test."""
    made: list[ThreadCalls] = []

    def make(fn: Callable[[MigrationItem], Any]) -> ThreadCalls:
        made.append(ThreadCalls(fn, 2, clock))
        return made[-1]

    yield make
    for calls in made:
        calls.close()


class TestOutcomes:
    """Each way a function ends maps to one outcome event."""

    async def test_success_skip_and_failure(self, clock: FakeClock) -> None:
        """Returning succeeds, SkipItem skips with its reason, an exception fails with type and message."""

        async def succeed(item: MigrationItem) -> None:
            return None

        async def skip(item: MigrationItem) -> None:
            raise SkipItem("already there")

        async def fail(item: MigrationItem) -> None:
            raise KeyError("no such tool")

        done = [await attempts(fn, clock).outcome(ITEM, print) for fn in (succeed, skip, fail)]
        assert [e.kind for e in done] == [
            EventKind.FILE_SUCCEEDED,
            EventKind.FILE_SKIPPED,
            EventKind.FILE_FAILED,
        ]
        assert done[1].reason == "already there"
        assert (done[2].error_type, done[2].error_message) == ("KeyError", "'no such tool'")

    async def test_system_exit_fails_the_item(self, clock: FakeClock) -> None:
        """SystemExit raised by user code is the item's failure, not the end of the caller."""

        async def leave(item: MigrationItem) -> None:
            raise SystemExit(3)

        event = await attempts(leave, clock).outcome(ITEM, print)
        assert (event.kind, event.error_type) == (EventKind.FILE_FAILED, "SystemExit")

    async def test_sync_system_exit_fails_the_item(
        self, clock: FakeClock, threads: Callable[[Callable[[MigrationItem], Any]], ThreadCalls]
    ) -> None:
        """SystemExit raised by a sync function on its thread fails the item too."""

        def leave(item: MigrationItem) -> None:
            raise SystemExit("bye")

        event = await attempts(leave, clock, calls=threads(leave)).outcome(ITEM, print)
        assert (event.kind, event.error_type, event.error_message) == (
            EventKind.FILE_FAILED,
            "SystemExit",
            "bye",
        )

    @pytest.mark.parametrize(
        ("returned", "words"),
        [
            ("coroutine", "returned a coroutine: define it with async def"),
            ("generator", "returned a generator"),
        ],
    )
    async def test_sync_function_returning_an_unrun_body_fails_without_retry(
        self,
        clock: FakeClock,
        threads: Callable[[Callable[[MigrationItem], Any]], ThreadCalls],
        returned: str,
        words: str,
    ) -> None:
        """A sync function handing back a coroutine or a generator fails at once, saying what went wrong."""
        ran: list[str] = []

        async def body() -> None:
            ran.append("coroutine")

        def gen() -> Iterator[None]:
            ran.append("generator")
            yield None

        def wrong(item: MigrationItem) -> object:
            return body() if returned == "coroutine" else gen()

        retried: list[Event] = []
        event = await attempts(wrong, clock, calls=threads(wrong), max_attempts=3).outcome(
            ITEM, retried.append
        )
        assert event.kind is EventKind.FILE_FAILED
        assert words in (event.error_message or "")
        assert (retried, ran) == ([], [])


class TestRetryAndTimeout:
    """Failed attempts are retried with their delay; a timeout is named as such."""

    async def test_retries_then_succeeds(self, clock: FakeClock) -> None:
        """Two failures then a success: two FILE_RETRIED handed out, the clock waited 1 s each time."""
        failures = 2

        async def flaky(item: MigrationItem) -> None:
            nonlocal failures
            if failures:
                failures -= 1
                raise ConnectionError("reset")

        retried: list[Event] = []
        event = await run_with_clock(
            clock, attempts(flaky, clock, max_attempts=3).outcome(ITEM, retried.append)
        )
        assert event.kind is EventKind.FILE_SUCCEEDED
        assert [e.error_type for e in retried] == ["ConnectionError", "ConnectionError"]
        assert clock.sleeps == [1.0, 1.0]

    async def test_async_timeout_is_named(self, clock: FakeClock) -> None:
        """An async call outliving the timeout fails with 'timed out after Ns'."""

        async def hang(item: MigrationItem) -> None:
            await asyncio.Event().wait()

        event = await run_with_clock(clock, attempts(hang, clock, timeout=2).outcome(ITEM, print))
        assert (event.error_type, event.error_message) == ("TimeoutError", "timed out after 2s")


class TestBreaker:
    """While the breaker is open, items wait without using attempts."""

    async def test_open_breaker_waits_instead_of_failing(self, clock: FakeClock) -> None:
        """An item arriving at an open breaker waits for it to half-open, then succeeds on attempt one."""
        breaker = AsyncCircuitBreaker(
            "t", CircuitBreakerConfig(failure_threshold=1, recovery_timeout=5), clock=clock
        )

        async def fail(item: MigrationItem) -> None:
            raise OSError("down")

        with pytest.raises(OSError):
            await breaker.call(fail, ITEM)
        calls = 0

        async def succeed(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1

        event = await run_with_clock(clock, attempts(succeed, clock, breaker=breaker).outcome(ITEM, print))
        assert (event.kind, calls) == (EventKind.FILE_SUCCEEDED, 1)
        assert clock.monotonic() >= 5


class TestThreadCalls:
    """Sync calls on owned threads: timed from their real start, stuck slots counted and replaced."""

    async def test_queued_call_is_not_timed_out_by_a_hung_one(self, clock: FakeClock) -> None:
        """With one thread hung, a call queued behind it still runs on a replacement thread and succeeds."""
        release = threading.Event()
        started = threading.Event()

        def fn(item: MigrationItem) -> str:
            if item.key == "hang":
                started.set()
                release.wait()
            return item.key

        calls = ThreadCalls(fn, 1, clock, spare=1)
        try:
            hung = asyncio.ensure_future(calls.call(MigrationItem("hang"), 1.0))
            await asyncio.to_thread(started.wait)
            clock.advance(1.0)
            with pytest.raises(TimeoutError):
                await hung
            assert calls.stuck == 1
            assert await calls.call(MigrationItem("ok"), 1.0) == "ok"
            started.clear()  # a second hang uses up the one spare thread
            second = asyncio.ensure_future(calls.call(MigrationItem("hang"), 1.0))
            await asyncio.to_thread(started.wait)
            clock.advance(1.0)
            with pytest.raises(TimeoutError):
                await second
            assert calls.stuck == 2
            with pytest.raises(StuckCallsError, match="2 call"):
                await calls.call(MigrationItem("ok"), 1.0)
        finally:
            release.set()
            calls.close()

    async def test_stuck_call_that_returns_frees_its_slot(self, clock: FakeClock) -> None:
        """When a stuck call finally returns, on_freed hears of it and the stuck count drops."""
        release = threading.Event()
        started = threading.Event()
        freed = asyncio.Event()

        def fn(item: MigrationItem) -> None:
            started.set()
            release.wait()

        calls = ThreadCalls(fn, 1, clock, on_freed=lambda item: freed.set())
        try:
            hung = asyncio.ensure_future(calls.call(ITEM, 0.5))
            await asyncio.to_thread(started.wait)
            clock.advance(0.5)
            with pytest.raises(TimeoutError):
                await hung
            assert calls.stuck == 1
            release.set()
            await freed.wait()
            assert calls.stuck == 0
        finally:
            release.set()
            calls.close()

    async def test_function_sees_the_callers_context(self, clock: FakeClock) -> None:
        """The caller's contextvars reach the function's thread."""
        import contextvars

        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
        var.set("caller")
        calls = ThreadCalls(lambda item: var.get(), 1, clock)
        try:
            assert await calls.call(ITEM, None) == "caller"
        finally:
            calls.close()
