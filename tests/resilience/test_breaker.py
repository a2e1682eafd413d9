"""The circuit breaker's state machine, driven by a fake clock (no real sleeps)."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from omnimemory_kit import (
    AsyncCircuitBreaker,
    CircuitBreakerConfig,
    CircuitBreakerError,
    CircuitBreakerStats,
    CircuitState,
    ConfigError,
    FakeClock,
    configure_logging,
    correlation_context,
)


class Boom(Exception):
    """The dependency failed."""


class Ignorable(Exception):
    """An error the breaker is told to ignore."""


async def ok(value: int = 1) -> int:
    return value


async def boom() -> None:
    raise Boom("dependency down")


def make(clock: FakeClock, **settings: Any) -> AsyncCircuitBreaker:
    """Build a breaker named 'db' on the fake clock."""
    return AsyncCircuitBreaker("db", CircuitBreakerConfig(**settings), clock=clock)


async def fail_times(breaker: AsyncCircuitBreaker, times: int) -> None:
    """Make ``times`` failing calls through the breaker."""
    for _ in range(times):
        with pytest.raises(Boom):
            await breaker.call(boom)


async def settle() -> None:
    """Let every ready task run until it blocks."""
    for _ in range(5):
        await asyncio.sleep(0)


class Gate:
    """An async function that blocks until released, counting how many calls entered it."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = asyncio.Event()
        self.error: BaseException | None = None

    async def __call__(self) -> str:
        self.entered += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return "done"


async def open_then_half_open(clock: FakeClock, **settings: Any) -> AsyncCircuitBreaker:
    """Return a breaker that has just moved to HALF_OPEN."""
    settings.setdefault("failure_threshold", 1)
    settings.setdefault("recovery_timeout", 10.0)
    breaker = make(clock, **settings)
    await fail_times(breaker, settings["failure_threshold"])
    clock.advance(settings["recovery_timeout"])
    assert breaker.state is CircuitState.HALF_OPEN
    return breaker


class TestConfig:
    def test_defaults_are_documented_values(self) -> None:
        """The defaults are 5 failures, 30 s open, 1 success to close, 1 trial at a time, no timeout."""
        config = CircuitBreakerConfig()
        assert (config.failure_threshold, config.recovery_timeout, config.success_threshold) == (5, 30.0, 1)
        assert (config.half_open_max_calls, config.timeout) == (1, None)
        assert config.failure_exceptions == (Exception,)
        assert config.excluded_exceptions == ()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("failure_threshold", 0),
            ("recovery_timeout", -1.0),
            ("success_threshold", 0),
            ("half_open_max_calls", -2),
            ("timeout", 0),
            ("recovery_timeout", float("nan")),
            ("failure_exceptions", ()),
            ("excluded_exceptions", (int,)),
        ],
    )
    def test_bad_values_raise_one_config_error_naming_the_field(self, field: str, value: object) -> None:
        """Each bad setting raises ConfigError whose message names the offending field."""
        with pytest.raises(ConfigError, match=field):
            CircuitBreakerConfig(**{field: value})

    def test_unknown_setting_is_refused(self) -> None:
        """A misspelled setting is an error, not silently ignored."""
        with pytest.raises(ConfigError, match="failure_treshold"):
            CircuitBreakerConfig(failure_treshold=3)  # type: ignore[call-arg]

    def test_single_exception_class_is_accepted(self) -> None:
        """excluded_exceptions=KeyError means (KeyError,)."""
        config = CircuitBreakerConfig(excluded_exceptions=KeyError)  # type: ignore[arg-type]
        assert config.excluded_exceptions == (KeyError,)

    def test_config_is_frozen(self) -> None:
        """A config cannot be changed after it is built."""
        config = CircuitBreakerConfig()
        with pytest.raises(ValidationError):
            config.failure_threshold = 1  # type: ignore[misc]

    @pytest.mark.parametrize("name", ["", None])
    def test_breaker_needs_a_name(self, name: Any) -> None:
        """An empty or missing name is a ConfigError."""
        with pytest.raises(ConfigError, match="name"):
            AsyncCircuitBreaker(name)

    def test_breaker_refuses_a_config_of_the_wrong_type(self) -> None:
        """Passing a dict instead of a CircuitBreakerConfig is a ConfigError."""
        with pytest.raises(ConfigError, match="CircuitBreakerConfig"):
            AsyncCircuitBreaker("db", {"failure_threshold": 1})  # type: ignore[arg-type]


class TestClosed:
    async def test_call_returns_the_result_and_passes_arguments(self, clock: FakeClock) -> None:
        """call(fn, *args, **kwargs) forwards arguments and returns fn's result."""
        breaker = make(clock)

        async def add(a: int, b: int, *, scale: int = 1) -> int:
            return (a + b) * scale

        assert await breaker.call(add, 1, 2, scale=10) == 30
        assert await breaker.call(add, 1, b=5) == 6
        assert await breaker.call(ok) == 1

    async def test_sync_callable_result_is_not_mistaken_for_failure(self, clock: FakeClock) -> None:
        """A sync function's plain (even falsy) return value is a success, not an error."""
        breaker = make(clock, failure_threshold=1)
        assert await breaker.call(lambda: None) is None
        assert await breaker.call(lambda x: x * 2, 21) == 42
        stats = breaker.stats()
        assert (stats.success_count, stats.failure_count, stats.state) == (2, 0, CircuitState.CLOSED)

    async def test_sync_callable_failure_counts(self, clock: FakeClock) -> None:
        """A sync function that raises counts as a failure like an async one."""
        breaker = make(clock, failure_threshold=1)

        def broken() -> None:
            raise Boom("sync")

        with pytest.raises(Boom):
            await breaker.call(broken)
        assert breaker.state is CircuitState.OPEN

    async def test_callable_returning_an_awaitable_is_awaited(self, clock: FakeClock) -> None:
        """A plain function returning a future has the future awaited."""
        breaker = make(clock)
        loop = asyncio.get_running_loop()

        def start() -> asyncio.Future[str]:
            future: asyncio.Future[str] = loop.create_future()
            loop.call_soon(future.set_result, "from future")
            return future

        assert await breaker.call(start) == "from future"

    async def test_opens_after_threshold_consecutive_failures(self, clock: FakeClock) -> None:
        """It stays closed for threshold-1 failures and opens on the threshold-th."""
        breaker = make(clock, failure_threshold=3)
        await fail_times(breaker, 2)
        assert breaker.state is CircuitState.CLOSED
        await fail_times(breaker, 1)
        assert breaker.state is CircuitState.OPEN

    async def test_success_resets_consecutive_failures(self, clock: FakeClock) -> None:
        """Failures separated by a success never add up to the threshold."""
        breaker = make(clock, failure_threshold=3)
        for _ in range(5):
            await fail_times(breaker, 2)
            await breaker.call(ok)
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().failure_count == 10

    async def test_error_propagates_unchanged(self, clock: FakeClock) -> None:
        """The caller gets the very exception object the function raised."""
        breaker = make(clock)
        error = Boom("exact")

        async def raise_it() -> None:
            raise error

        with pytest.raises(Boom) as caught:
            await breaker.call(raise_it)
        assert caught.value is error

    async def test_only_failure_exceptions_count(self, clock: FakeClock) -> None:
        """With failure_exceptions=(Boom,), a ValueError passes through without counting."""
        breaker = make(clock, failure_threshold=1, failure_exceptions=(Boom,))

        async def bad_value() -> None:
            raise ValueError("caller's fault")

        for _ in range(3):
            with pytest.raises(ValueError, match="caller's fault"):
                await breaker.call(bad_value)
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().ignored_count == 3

    async def test_cancelled_call_does_not_count(self, clock: FakeClock) -> None:
        """Cancelling a call while closed never counts toward the threshold."""
        breaker = make(clock, failure_threshold=1)
        gate = Gate()
        task = asyncio.create_task(breaker.call(gate))
        await settle()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().failure_count == 0
        assert breaker.stats().ignored_count == 1


class TestOpen:
    async def test_open_breaker_fails_fast_without_calling(self, clock: FakeClock) -> None:
        """While open the function is not called and CircuitBreakerError carries name, state, retry_after."""
        breaker = make(clock, failure_threshold=2, recovery_timeout=30.0)
        await fail_times(breaker, 2)
        clock.advance(12.5)
        calls = 0

        async def counted() -> None:
            nonlocal calls
            calls += 1

        with pytest.raises(CircuitBreakerError) as caught:
            await breaker.call(counted)
        assert calls == 0
        assert caught.value.name == "db"
        assert caught.value.state == "open"
        assert caught.value.retry_after == pytest.approx(17.5)
        assert breaker.stats().rejected_calls == 1

    async def test_retry_after_counts_down_with_the_clock(self, clock: FakeClock) -> None:
        """retry_after is the time left until a trial is allowed, never negative."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=10.0)
        assert breaker.retry_after == 0.0
        await fail_times(breaker, 1)
        assert breaker.retry_after == pytest.approx(10.0)
        clock.advance(4.0)
        assert breaker.retry_after == pytest.approx(6.0)
        clock.advance(100.0)
        assert breaker.retry_after == 0.0

    async def test_stays_open_until_recovery_timeout(self, clock: FakeClock) -> None:
        """Just before recovery_timeout it is open; at recovery_timeout it is half-open."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=10.0)
        await fail_times(breaker, 1)
        clock.advance(9.999)
        assert breaker.state is CircuitState.OPEN
        clock.advance(0.001)
        assert breaker.state is CircuitState.HALF_OPEN

    async def test_open_rejects_sync_calls_too(self, clock: FakeClock) -> None:
        """call_sync is refused while open."""
        breaker = make(clock, failure_threshold=1)
        await fail_times(breaker, 1)
        with pytest.raises(CircuitBreakerError):
            breaker.call_sync(lambda: 1)


class TestHalfOpen:
    async def test_successful_trial_closes(self, clock: FakeClock) -> None:
        """With success_threshold=1 one good trial closes the breaker."""
        breaker = await open_then_half_open(clock)
        assert await breaker.call(ok, 7) == 7
        assert breaker.state is CircuitState.CLOSED

    async def test_sync_trial_closes(self, clock: FakeClock) -> None:
        """A sync function is a valid trial call: its plain value closes the breaker."""
        breaker = await open_then_half_open(clock)
        assert await breaker.call(lambda: "sync") == "sync"
        assert breaker.state is CircuitState.CLOSED

    async def test_success_threshold_needs_that_many_trials(self, clock: FakeClock) -> None:
        """With success_threshold=3 it closes only after the third good trial."""
        breaker = await open_then_half_open(clock, success_threshold=3)
        await breaker.call(ok)
        await breaker.call(ok)
        assert breaker.state is CircuitState.HALF_OPEN
        assert breaker.stats().half_open_successes == 2
        await breaker.call(ok)
        assert breaker.state is CircuitState.CLOSED

    async def test_failed_trial_reopens_at_once(self, clock: FakeClock) -> None:
        """One failed trial re-opens the breaker, with a fresh recovery_timeout."""
        breaker = await open_then_half_open(clock, failure_threshold=3, success_threshold=2)
        await breaker.call(ok)
        await fail_times(breaker, 1)
        assert breaker.state is CircuitState.OPEN
        assert breaker.retry_after == pytest.approx(10.0)

    async def test_admits_only_half_open_max_calls_of_twenty_concurrent(self, clock: FakeClock) -> None:
        """Of 20 concurrent calls only half_open_max_calls run; the rest fail fast with retry_after 0."""
        breaker = await open_then_half_open(clock, half_open_max_calls=3, success_threshold=3)
        gate = Gate()
        tasks = [asyncio.create_task(breaker.call(gate)) for _ in range(20)]
        await settle()
        assert gate.entered == 3
        rejected = [task for task in tasks if task.done()]
        assert len(rejected) == 17
        for task in rejected:
            error = task.exception()
            assert isinstance(error, CircuitBreakerError)
            assert (error.state, error.retry_after) == ("half_open", 0.0)
        assert breaker.stats().half_open_in_flight == 3
        gate.release.set()
        results = await asyncio.gather(*[task for task in tasks if task not in rejected])
        assert results == ["done"] * 3
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().rejected_calls == 17

    async def test_cancelled_trial_frees_its_slot_without_counting(self, clock: FakeClock) -> None:
        """Cancelling the only trial keeps the breaker half-open and lets the next call in."""
        breaker = await open_then_half_open(clock)
        gate = Gate()
        trial = asyncio.create_task(breaker.call(gate))
        await settle()
        with pytest.raises(CircuitBreakerError):
            await breaker.call(ok)
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        assert breaker.state is CircuitState.HALF_OPEN
        assert breaker.stats().half_open_in_flight == 0
        assert breaker.stats().failure_count == 1  # only the failure that opened it
        assert await breaker.call(ok, 3) == 3
        assert breaker.state is CircuitState.CLOSED

    async def test_excluded_error_in_trial_frees_the_slot_and_decides_nothing(self, clock: FakeClock) -> None:
        """An excluded exception during a trial neither closes nor re-opens, and frees the slot."""
        breaker = await open_then_half_open(clock, excluded_exceptions=(Ignorable,))

        async def ignorable() -> None:
            raise Ignorable

        with pytest.raises(Ignorable):
            await breaker.call(ignorable)
        assert breaker.state is CircuitState.HALF_OPEN
        assert breaker.stats().half_open_in_flight == 0
        await breaker.call(ok)
        assert breaker.state is CircuitState.CLOSED

    async def test_stale_failure_from_before_opening_does_not_reopen(self, clock: FakeClock) -> None:
        """A slow call admitted while closed that fails during half-open is counted but decides nothing."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=5.0)
        slow = Gate()
        slow.error = Boom("late")
        straggler = asyncio.create_task(breaker.call(slow))
        await settle()
        await fail_times(breaker, 1)
        clock.advance(5.0)
        assert breaker.state is CircuitState.HALF_OPEN
        slow.release.set()
        with pytest.raises(Boom):
            await straggler
        assert breaker.state is CircuitState.HALF_OPEN
        assert breaker.stats().failure_count == 2

    async def test_stale_success_does_not_close(self, clock: FakeClock) -> None:
        """A call admitted while closed that succeeds during half-open does not close the breaker."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=5.0)
        slow = Gate()
        straggler = asyncio.create_task(breaker.call(slow))
        await settle()
        await fail_times(breaker, 1)
        clock.advance(5.0)
        assert breaker.state is CircuitState.HALF_OPEN
        slow.release.set()
        assert await straggler == "done"
        assert breaker.state is CircuitState.HALF_OPEN

    async def test_stale_success_does_not_reset_a_new_failure_streak(self, clock: FakeClock) -> None:
        """A straggler from before the breaker opened cannot wipe a later closed period's failure streak."""
        breaker = make(clock, failure_threshold=2, recovery_timeout=5.0)
        slow = Gate()
        straggler = asyncio.create_task(breaker.call(slow))
        await settle()
        await fail_times(breaker, 2)
        clock.advance(5.0)
        await breaker.call(ok)  # the trial closes it again
        await fail_times(breaker, 1)
        slow.release.set()
        assert await straggler == "done"
        assert breaker.stats().consecutive_failures == 1
        await fail_times(breaker, 1)
        assert breaker.state is CircuitState.OPEN


class TestExcludedExceptions:
    async def test_excluded_errors_pass_through_without_counting(self, clock: FakeClock) -> None:
        """An excluded exception reaches the caller unchanged and never opens the breaker."""
        breaker = make(clock, failure_threshold=1, excluded_exceptions=(Ignorable,))
        error = Ignorable("not the dependency's fault")

        async def raise_it() -> None:
            raise error

        for _ in range(3):
            with pytest.raises(Ignorable) as caught:
                await breaker.call(raise_it)
            assert caught.value is error
        stats = breaker.stats()
        assert (stats.state, stats.failure_count, stats.ignored_count) == (CircuitState.CLOSED, 0, 3)

    async def test_excluded_wins_over_failure_exceptions(self, clock: FakeClock) -> None:
        """A subclass listed as excluded is ignored even though its base counts as a failure."""

        class Special(Boom):
            pass

        breaker = make(clock, failure_threshold=1, failure_exceptions=(Boom,), excluded_exceptions=(Special,))

        async def special() -> None:
            raise Special

        with pytest.raises(Special):
            await breaker.call(special)
        assert breaker.state is CircuitState.CLOSED

    async def test_excluded_does_not_reset_consecutive_failures(self, clock: FakeClock) -> None:
        """An ignored error is neither a success nor a failure: the failure streak survives it."""
        breaker = make(clock, failure_threshold=2, excluded_exceptions=(Ignorable,))

        async def ignorable() -> None:
            raise Ignorable

        await fail_times(breaker, 1)
        with pytest.raises(Ignorable):
            await breaker.call(ignorable)
        await fail_times(breaker, 1)
        assert breaker.state is CircuitState.OPEN


class TestTimeouts:
    async def test_slow_call_times_out_counts_and_raises_timeout_error(self, clock: FakeClock) -> None:
        """A call still running when the fake clock passes the timeout raises TimeoutError and counts."""
        breaker = make(clock, failure_threshold=1, timeout=1.0)

        async def slow() -> str:
            await clock.sleep(10.0)
            return "too late"

        task = asyncio.create_task(breaker.call(slow))
        await settle()
        clock.advance(0.999)
        await settle()
        assert not task.done()
        clock.advance(0.001)
        with pytest.raises(TimeoutError):
            await task
        stats = breaker.stats()
        assert (stats.state, stats.timeouts, stats.failure_count) == (CircuitState.OPEN, 1, 1)
        assert stats.last_failure_type == "TimeoutError"

    async def test_call_within_the_timeout_succeeds(self, clock: FakeClock) -> None:
        """A call that finishes before its deadline returns normally and leaves no timer behind."""
        breaker = make(clock, timeout=5.0)

        async def quick() -> str:
            await clock.sleep(1.0)
            return "in time"

        task = asyncio.create_task(breaker.call(quick))
        await settle()
        clock.advance(1.0)
        assert await task == "in time"
        assert clock.pending_timers == 0
        assert breaker.stats().timeouts == 0

    async def test_own_timeout_error_counts_but_is_not_a_timeout(self, clock: FakeClock) -> None:
        """A TimeoutError raised by the function itself is a failure, not one of the breaker's timeouts."""
        breaker = make(clock, timeout=5.0)

        async def raises_timeout() -> None:
            raise TimeoutError("upstream said so")

        with pytest.raises(TimeoutError, match="upstream"):
            await breaker.call(raises_timeout)
        assert (breaker.stats().failure_count, breaker.stats().timeouts) == (1, 0)

    async def test_timeout_applies_to_async_with_blocks(self, clock: FakeClock) -> None:
        """An ``async with breaker:`` block is held to the per-call timeout too."""
        breaker = make(clock, failure_threshold=1, timeout=2.0)

        async def block() -> None:
            async with breaker:
                await clock.sleep(10.0)

        task = asyncio.create_task(block())
        await settle()
        clock.advance(2.0)
        with pytest.raises(TimeoutError):
            await task
        assert breaker.stats().timeouts == 1
        assert breaker.state is CircuitState.OPEN

    async def test_sync_callable_under_a_timeout_and_in_half_open(self, clock: FakeClock) -> None:
        """A sync function runs on the guarded (timed, half-open) path and its value is a success."""
        breaker = await open_then_half_open(clock, timeout=1.0)
        assert await breaker.call(lambda: "sync trial") == "sync trial"
        assert breaker.state is CircuitState.CLOSED
        assert await breaker.call(lambda: 0) == 0
        assert breaker.stats().failure_count == 1

    async def test_timed_trial_in_half_open(self, clock: FakeClock) -> None:
        """A half-open trial that times out re-opens the breaker."""
        breaker = await open_then_half_open(clock, timeout=1.0)

        async def hang() -> None:
            await clock.sleep(60.0)

        task = asyncio.create_task(breaker.call(hang))
        await settle()
        clock.advance(1.0)
        with pytest.raises(TimeoutError):
            await task
        assert breaker.state is CircuitState.OPEN


class TestListeners:
    async def test_listener_sees_every_transition(self, clock: FakeClock) -> None:
        """Listeners get (name, old, new) for open, half-open and close, in order."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=1.0)
        seen: list[tuple[str, CircuitState, CircuitState]] = []
        breaker.add_listener(lambda name, old, new: seen.append((name, old, new)))
        await fail_times(breaker, 1)
        clock.advance(1.0)
        await breaker.call(ok)
        assert seen == [
            ("db", CircuitState.CLOSED, CircuitState.OPEN),
            ("db", CircuitState.OPEN, CircuitState.HALF_OPEN),
            ("db", CircuitState.HALF_OPEN, CircuitState.CLOSED),
        ]

    async def test_raising_listener_is_logged_and_breaks_nothing(
        self, clock: FakeClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A listener that raises is logged; the call keeps its own outcome and later listeners still run."""
        breaker = make(clock, failure_threshold=1)
        later: list[CircuitState] = []

        def broken(name: str, old: CircuitState, new: CircuitState) -> None:
            raise RuntimeError("listener bug")

        breaker.add_listener(broken)
        breaker.add_listener(lambda name, old, new: later.append(new))
        with caplog.at_level(logging.ERROR, logger="omnimemory_kit.resilience"), pytest.raises(Boom):
            await breaker.call(boom)
        assert later == [CircuitState.OPEN]
        assert breaker.state is CircuitState.OPEN
        records = [r for r in caplog.records if r.name == "omnimemory_kit.resilience"]
        assert len(records) == 1
        assert "listener" in records[0].getMessage()
        assert records[0].exc_info is not None
        assert (records[0].exc_info[0], str(records[0].exc_info[1])) == (RuntimeError, "listener bug")

    async def test_removed_listener_is_not_called(self, clock: FakeClock) -> None:
        """remove_listener stops notifications; removing an unknown listener raises ValueError."""
        breaker = make(clock, failure_threshold=1)
        seen: list[CircuitState] = []

        def listener(name: str, old: CircuitState, new: CircuitState) -> None:
            seen.append(new)

        breaker.add_listener(listener)
        breaker.remove_listener(listener)
        await fail_times(breaker, 1)
        assert seen == []
        with pytest.raises(ValueError, match="listener"):
            breaker.remove_listener(listener)


class TestLogging:
    @pytest.fixture
    def log_stream(self) -> Iterator[io.StringIO]:
        """JSON log lines of every ``omnimemory_kit`` logger at DEBUG, captured in a buffer."""
        stream = io.StringIO()
        logger = logging.getLogger("omnimemory_kit")
        old_level = logger.level
        handler = configure_logging(logging.DEBUG, stream=stream, logger="omnimemory_kit")
        yield stream
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    async def test_transitions_are_json_lines_with_the_callers_context(
        self, clock: FakeClock, log_stream: io.StringIO
    ) -> None:
        """Each state change is one line: breaker, states and retry time next to the correlation fields."""
        breaker = make(clock, failure_threshold=2, recovery_timeout=5.0)
        async with correlation_context("run-42", operation="migration"):
            await fail_times(breaker, 2)
            opened_wall = clock.time()
            clock.advance(5.0)
            assert await breaker.call(ok) == 1
        opened, half_open, closed = (json.loads(line) for line in log_stream.getvalue().splitlines())
        for line in (opened, half_open, closed):
            assert line["logger"] == "omnimemory_kit.resilience"
            assert (line["breaker"], line["correlation_id"], line["operation"]) == (
                "db",
                "run-42",
                "migration",
            )
        assert (opened["level"], opened["old_state"], opened["new_state"]) == ("WARNING", "closed", "open")
        assert opened["retry_after_s"] == 5.0
        expected_retry = dt.datetime.fromtimestamp(opened_wall + 5.0, dt.UTC)
        assert dt.datetime.fromisoformat(opened["retry_at"]) == expected_retry
        assert (opened["consecutive_failures"], opened["last_failure_type"]) == (2, "Boom")
        assert "open after 2 consecutive failures" in opened["message"]
        assert (half_open["level"], half_open["old_state"], half_open["new_state"]) == (
            "INFO",
            "open",
            "half_open",
        )
        assert "retry_at" not in half_open
        assert (closed["old_state"], closed["new_state"]) == ("half_open", "closed")

    async def test_calls_without_a_transition_log_nothing(
        self, clock: FakeClock, log_stream: io.StringIO
    ) -> None:
        """Successes and failures below the threshold write no log line, even at DEBUG."""
        breaker = make(clock, failure_threshold=3)
        for _ in range(10):
            await breaker.call(ok)
        await fail_times(breaker, 2)
        await breaker.call(ok)
        assert log_stream.getvalue() == ""

    async def test_forced_changes_are_logged_too(self, clock: FakeClock, log_stream: io.StringIO) -> None:
        """force_open and reset log their transitions; reset of a closed breaker logs nothing."""
        breaker = make(clock)
        breaker.reset()
        breaker.force_open()
        breaker.reset()
        states = [
            (line["old_state"], line["new_state"])
            for line in map(json.loads, log_stream.getvalue().splitlines())
        ]
        assert states == [("closed", "open"), ("open", "closed")]

    async def test_transitions_unlogged_when_told_but_listeners_still_hear(
        self, clock: FakeClock, log_stream: io.StringIO
    ) -> None:
        """log_transitions=False writes no line for any change; listeners still get every one."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=1.0, log_transitions=False)
        seen: list[CircuitState] = []
        breaker.add_listener(lambda name, old, new: seen.append(new))
        await fail_times(breaker, 1)
        clock.advance(1.0)
        await fail_times(breaker, 1)  # the trial fails: half-open, then open again
        clock.advance(1.0)
        await breaker.call(ok)
        assert seen == [CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.OPEN,
                        CircuitState.HALF_OPEN, CircuitState.CLOSED]  # fmt: skip
        assert log_stream.getvalue() == ""


class TestDecorator:
    async def test_async_function_stays_async_and_keeps_its_signature(self, clock: FakeClock) -> None:
        """@breaker on async def gives an async function with the same name and signature."""
        breaker = make(clock, failure_threshold=2)

        @breaker
        async def fetch(key: str, *, default: int = 0) -> int:
            """Fetch a value."""
            if key == "bad":
                raise Boom(key)
            return len(key) + default

        assert inspect.iscoroutinefunction(fetch)
        assert fetch.__name__ == "fetch"
        assert fetch.__doc__ == "Fetch a value."
        assert str(inspect.signature(fetch)) == "(key: 'str', *, default: 'int' = 0) -> 'int'"
        assert await fetch("abc", default=1) == 4
        for _ in range(2):
            with pytest.raises(Boom):
                await fetch("bad")
        with pytest.raises(CircuitBreakerError):
            await fetch("abc")

    async def test_decorated_async_function_uses_the_guarded_path_when_not_closed(
        self, clock: FakeClock
    ) -> None:
        """A decorated function admits a half-open trial and closes the breaker on success."""
        breaker = await open_then_half_open(clock)
        protected = breaker.protect(ok)
        assert await protected(5) == 5
        assert breaker.state is CircuitState.CLOSED

    async def test_sync_function_stays_sync(self, clock: FakeClock) -> None:
        """@breaker on a sync def gives a sync function whose failures count and that is refused if open."""
        breaker = make(clock, failure_threshold=1)

        @breaker
        def parse(text: str) -> int:
            return int(text)

        assert not inspect.iscoroutinefunction(parse)
        assert parse("12") == 12
        with pytest.raises(ValueError, match="invalid literal"):
            parse("x")
        assert breaker.state is CircuitState.OPEN
        with pytest.raises(CircuitBreakerError):
            parse("12")

    async def test_object_with_async_call_is_treated_as_async(self, clock: FakeClock) -> None:
        """A callable object whose __call__ is async is wrapped as async."""
        breaker = make(clock)
        gate = Gate()
        gate.release.set()
        protected = breaker.protect(gate)
        assert inspect.iscoroutinefunction(protected)
        assert await protected() == "done"


class TestContextManager:
    async def test_block_success_and_failure_are_counted(self, clock: FakeClock) -> None:
        """A block that exits normally is a success; one that raises is a failure and re-raises."""
        breaker = make(clock, failure_threshold=2)
        async with breaker:
            pass
        with pytest.raises(Boom):
            async with breaker:
                raise Boom("in block")
        stats = breaker.stats()
        assert (stats.success_count, stats.failure_count, stats.consecutive_failures) == (1, 1, 1)

    async def test_open_breaker_refuses_to_enter_the_block(self, clock: FakeClock) -> None:
        """When open, ``async with`` raises CircuitBreakerError before the block runs."""
        breaker = make(clock, failure_threshold=1)
        await fail_times(breaker, 1)
        ran = False
        with pytest.raises(CircuitBreakerError):
            async with breaker:
                ran = True
        assert not ran

    async def test_concurrent_blocks_keep_their_own_admission(self, clock: FakeClock) -> None:
        """Two tasks in half-open blocks each hold a trial slot, and both successes count."""
        breaker = await open_then_half_open(clock, half_open_max_calls=2, success_threshold=2)
        release = asyncio.Event()

        async def block() -> None:
            async with breaker:
                await release.wait()

        first, second = asyncio.create_task(block()), asyncio.create_task(block())
        await settle()
        assert breaker.stats().half_open_in_flight == 2
        with pytest.raises(CircuitBreakerError):
            async with breaker:
                pass
        release.set()
        await asyncio.gather(first, second)
        assert breaker.state is CircuitState.CLOSED

    async def test_cancelled_block_does_not_count(self, clock: FakeClock) -> None:
        """A block cancelled from outside is not a failure."""
        breaker = make(clock, failure_threshold=1)

        async def block() -> None:
            async with breaker:
                await asyncio.Event().wait()

        task = asyncio.create_task(block())
        await settle()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().ignored_count == 1


class TestControl:
    async def test_force_open_and_reset(self, clock: FakeClock) -> None:
        """force_open opens now for recovery_timeout; reset closes and forgets the failure streak."""
        breaker = make(clock, failure_threshold=3, recovery_timeout=8.0)
        breaker.force_open()
        assert breaker.state is CircuitState.OPEN
        assert breaker.retry_after == pytest.approx(8.0)
        breaker.reset()
        assert breaker.state is CircuitState.CLOSED
        await fail_times(breaker, 2)
        breaker.reset()
        await fail_times(breaker, 2)
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().failure_count == 4

    async def test_force_open_while_open_restarts_the_wait(self, clock: FakeClock) -> None:
        """force_open on an open breaker restarts recovery_timeout from now, without a listener call."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=10.0)
        changes: list[CircuitState] = []
        await fail_times(breaker, 1)
        breaker.add_listener(lambda name, old, new: changes.append(new))
        clock.advance(6.0)
        breaker.force_open()
        assert breaker.retry_after == pytest.approx(10.0)
        assert changes == [CircuitState.OPEN]

    async def test_listener_may_reopen_during_the_half_open_transition(self, clock: FakeClock) -> None:
        """A listener that force-opens the breaker as it turns half-open makes the pending call fail fast."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=1.0)

        def keep_closed_off(name: str, old: CircuitState, new: CircuitState) -> None:
            if new is CircuitState.HALF_OPEN:
                breaker.force_open()

        await fail_times(breaker, 1)
        breaker.add_listener(keep_closed_off)
        clock.advance(1.0)
        with pytest.raises(CircuitBreakerError) as caught:
            await breaker.call(ok)
        assert caught.value.state == "open"
        assert breaker.retry_after == pytest.approx(1.0)

    async def test_reset_during_a_trial_discards_the_trial_outcome(self, clock: FakeClock) -> None:
        """A trial still running when reset() closes the breaker cannot re-open it when it fails."""
        breaker = await open_then_half_open(clock)
        gate = Gate()
        gate.error = Boom("late trial")
        trial = asyncio.create_task(breaker.call(gate))
        await settle()
        breaker.reset()
        gate.release.set()
        with pytest.raises(Boom):
            await trial
        assert breaker.state is CircuitState.CLOSED
        assert breaker.stats().half_open_in_flight == 0


class TestIntrospection:
    async def test_repr_shows_live_state(self, clock: FakeClock) -> None:
        """repr names the breaker, its state, the failure streak and, when open, the time left."""
        breaker = make(clock, failure_threshold=5, recovery_timeout=10.0, half_open_max_calls=2)
        assert repr(breaker) == "<AsyncCircuitBreaker 'db' CLOSED failures=0>"
        await fail_times(breaker, 5)
        clock.advance(7.5)
        assert repr(breaker) == "<AsyncCircuitBreaker 'db' OPEN failures=5 retry_in=2.5s>"
        clock.advance(2.5)
        assert repr(breaker) == "<AsyncCircuitBreaker 'db' HALF_OPEN failures=0 trials=0/2>"

    async def test_stats_is_a_frozen_snapshot(self, clock: FakeClock) -> None:
        """stats() returns a frozen value that does not change when the breaker does."""
        breaker = make(clock, failure_threshold=1, recovery_timeout=30.0)
        await breaker.call(ok)
        clock.advance(5.0)
        await fail_times(breaker, 1)
        snapshot = breaker.stats()
        assert isinstance(snapshot, CircuitBreakerStats)
        with pytest.raises(ValidationError):
            snapshot.failure_count = 0  # type: ignore[misc]
        with pytest.raises(CircuitBreakerError):
            await breaker.call(ok)
        assert snapshot.rejected_calls == 0
        assert breaker.stats().rejected_calls == 1
        dumped = snapshot.model_dump()
        assert dumped["state"] == "open"
        assert dumped["total_calls"] == 2
        assert dumped["last_failure_type"] == "Boom"
        assert dumped["last_failure_time"] == clock.time()
        assert dumped["opened_at"] == clock.time()
        assert dumped["retry_after"] == pytest.approx(30.0)

    async def test_total_calls_is_the_sum_of_outcomes(self, clock: FakeClock) -> None:
        """total_calls = successes + failures + ignored + rejected."""
        breaker = make(clock, failure_threshold=2, excluded_exceptions=(Ignorable,))

        async def ignorable() -> None:
            raise Ignorable

        await breaker.call(ok)
        with pytest.raises(Ignorable):
            await breaker.call(ignorable)
        await fail_times(breaker, 2)
        with pytest.raises(CircuitBreakerError):
            await breaker.call(ok)
        stats = breaker.stats()
        assert (stats.success_count, stats.ignored_count, stats.failure_count, stats.rejected_calls) == (
            1,
            1,
            2,
            1,
        )
        assert stats.total_calls == 5

    def test_default_config_is_used_when_none_is_given(self) -> None:
        """AsyncCircuitBreaker(name) runs with CircuitBreakerConfig() on the system clock."""
        breaker = AsyncCircuitBreaker("external_service")
        assert breaker.config == CircuitBreakerConfig()
        assert breaker.state is CircuitState.CLOSED

    def test_properties_expose_name_config_and_clock(self, clock: FakeClock) -> None:
        """name, config and clock are readable."""
        config = CircuitBreakerConfig(failure_threshold=2)
        breaker = AsyncCircuitBreaker("svc", config, clock=clock)
        assert (breaker.name, breaker.config, breaker.clock) == ("svc", config, clock)
