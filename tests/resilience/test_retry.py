"""RetryPolicy: what is retried, how long it waits (on a fake clock), and how it gives up."""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import Any

import pytest
from pydantic import ValidationError

from omnimemory_kit import ConfigError, FakeClock, RetryError, RetryPolicy, retry
from omnimemory_kit.resilience import AttemptState, stop_after_delay, wait_fixed


class Flaky(Exception):
    """A transient failure worth retrying."""


class Fatal(Exception):
    """A failure no retry will fix."""


class FailTimes:
    """An async function that fails ``times`` times with fresh Flaky errors, then returns ``value``."""

    def __init__(self, times: int, value: str = "ok", error: type[Exception] = Flaky) -> None:
        self.times = times
        self.value = value
        self.error = error
        self.calls = 0
        self.raised: list[Exception] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        self.last_args = (args, kwargs)
        if self.calls <= self.times:
            error = self.error(f"failure {self.calls}")
            self.raised.append(error)
            raise error
        return self.value


def policy(clock: FakeClock, **settings: Any) -> RetryPolicy:
    """Build a policy on the fake clock with a seeded random source."""
    settings.setdefault("rng", random.Random(42))
    return RetryPolicy(clock=clock, **settings)


async def run_block(retry_policy: RetryPolicy, fn: FailTimes) -> None:
    """Run ``await fn()`` in the loop form of ``retry_policy``."""
    async for attempt in retry_policy.attempts():
        with attempt:
            await fn()


@pytest.fixture
def auto_clock() -> FakeClock:
    """A fake clock whose sleeps advance it (a single task drives time)."""
    return FakeClock(auto_advance=True)


class TestPolicySettings:
    def test_defaults(self) -> None:
        """Defaults: 3 attempts, 0.1 s base, 30 s cap, doubling, full jitter, retry any Exception."""
        p = RetryPolicy()
        assert (p.max_attempts, p.base_delay, p.max_delay, p.multiplier, p.jitter) == (
            3,
            0.1,
            30.0,
            2.0,
            "full",
        )
        assert p.retry_on == (Exception,)

    @pytest.mark.parametrize(
        ("settings", "field"),
        [
            ({"max_attempts": 0}, "max_attempts"),
            ({"base_delay": -0.1}, "base_delay"),
            ({"max_delay": float("nan")}, "max_delay"),
            ({"multiplier": 0.9}, "multiplier"),
            ({"jitter": "sometimes"}, "jitter"),
            ({"jitter": 2.0}, "jitter"),
            ({"base_delay": 10.0, "max_delay": 1.0}, "max_delay"),
            ({"max_elapsed": 0}, "max_elapsed"),
            ({"retry_on": "ValueError"}, "retry_on"),
            ({"clock": object()}, "clock"),
            ({"max_atempts": 3}, "max_atempts"),
        ],
    )
    def test_bad_settings_raise_one_config_error(self, settings: dict[str, Any], field: str) -> None:
        """Each bad setting raises ConfigError naming the field."""
        with pytest.raises(ConfigError, match=field):
            RetryPolicy(**settings)

    def test_policy_is_frozen(self) -> None:
        """A policy cannot be changed in place; with_options returns a validated copy."""
        p = RetryPolicy(max_attempts=2)
        with pytest.raises(ValidationError):
            p.max_attempts = 5  # type: ignore[misc]
        changed = p.with_options(max_attempts=5)
        assert (p.max_attempts, changed.max_attempts) == (2, 5)
        with pytest.raises(ConfigError, match="max_attempts"):
            p.with_options(max_attempts=0)

    def test_single_exception_class_means_a_tuple(self) -> None:
        """retry_on=Flaky is read as (Flaky,), not as a predicate."""
        p = RetryPolicy(retry_on=Flaky)  # type: ignore[arg-type]
        assert p.retry_on == (Flaky,)
        assert p.is_retryable(Flaky())
        assert not p.is_retryable(Fatal())


class TestShouldRetry:
    def test_retries_until_max_attempts(self) -> None:
        """With 3 attempts, failures 1 and 2 are retried and failure 3 is final."""
        p = RetryPolicy(max_attempts=3)
        assert [p.should_retry(Flaky(), n) for n in (1, 2, 3, 4)] == [True, True, False, False]

    def test_only_retry_on_types_are_retried(self) -> None:
        """An error outside retry_on is never retried."""
        p = RetryPolicy(retry_on=(Flaky,))
        assert p.should_retry(Flaky(), 1)
        assert not p.should_retry(Fatal(), 1)

    def test_predicate_decides(self) -> None:
        """A predicate retry_on is consulted with the exception."""
        p = RetryPolicy(retry_on=lambda exc: "transient" in str(exc))
        assert p.should_retry(Fatal("transient glitch"), 1)
        assert not p.should_retry(Fatal("bad input"), 1)

    @pytest.mark.parametrize("error", [asyncio.CancelledError(), KeyboardInterrupt(), SystemExit(1)])
    def test_non_exceptions_are_never_retried(self, error: BaseException) -> None:
        """Cancellation and interpreter exits are never retried, even by an accept-all predicate."""
        assert not RetryPolicy(retry_on=lambda exc: True).should_retry(error, 1)
        assert not RetryPolicy(retry_on=(BaseException,)).should_retry(error, 1)


class TestDelayFor:
    def test_without_jitter_it_is_a_pure_schedule(self) -> None:
        """jitter='none' gives base * multiplier**(attempt-1), capped, every time."""
        p = RetryPolicy(base_delay=0.5, multiplier=3.0, max_delay=10.0, jitter="none")
        assert [p.delay_for(n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10.0, 10.0]

    def test_seeded_rng_makes_jitter_reproducible(self) -> None:
        """Two policies with the same seed produce the same jittered delays, within their caps."""
        first = RetryPolicy(base_delay=1.0, max_delay=8.0, rng=random.Random(7))
        second = RetryPolicy(base_delay=1.0, max_delay=8.0, rng=random.Random(7))
        schedule = [first.delay_for(n) for n in range(1, 8)]
        assert schedule == [second.delay_for(n) for n in range(1, 8)]
        caps = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
        assert all(0.0 <= delay <= cap for delay, cap in zip(schedule, caps, strict=True))
        assert len(set(schedule)) == len(schedule)  # jitter actually applied

    def test_explicit_random_value(self) -> None:
        """random_value replaces the draw: 0 gives the cap, 0.5 half of it under full jitter."""
        p = RetryPolicy(base_delay=2.0, max_delay=60.0)
        assert p.delay_for(3, random_value=0.0) == 8.0
        assert p.delay_for(3, random_value=0.5) == 4.0

    def test_attempt_numbers_start_at_one(self) -> None:
        """delay_for(0) is a ConfigError."""
        with pytest.raises(ConfigError, match="attempt"):
            RetryPolicy().delay_for(0)

    def test_custom_wait_policy_is_used(self) -> None:
        """A custom ``wait`` replaces the exponential schedule."""
        p = RetryPolicy(wait=wait_fixed(2.5))
        assert [p.delay_for(n) for n in (1, 5)] == [2.5, 2.5]


class TestCall:
    async def test_first_success_returns_without_sleeping(self, auto_clock: FakeClock) -> None:
        """A call that succeeds at once returns its value, passes its arguments and never sleeps."""
        fn = FailTimes(0, "value")
        assert await policy(auto_clock).call(fn, 1, key="k") == "value"
        assert fn.last_args == ((1,), {"key": "k"})
        assert auto_clock.sleeps == []

    async def test_backoff_schedule_is_slept_on_the_clock(self, auto_clock: FakeClock) -> None:
        """Two failures then success sleep exactly the seeded jittered delays 1*(1-u1), 2*(1-u2)."""
        fn = FailTimes(2)
        p = policy(auto_clock, max_attempts=5, base_delay=1.0, max_delay=10.0, rng=random.Random(3))
        assert await p.call(fn) == "ok"
        draws = random.Random(3)
        expected = [1.0 * (1 - draws.random()), 2.0 * (1 - draws.random())]
        assert auto_clock.sleeps == pytest.approx(expected)
        assert auto_clock.monotonic() == pytest.approx(sum(expected))
        assert fn.calls == 3

    async def test_equal_jitter_schedule(self, auto_clock: FakeClock) -> None:
        """Equal jitter sleeps cap/2 + the drawn half: each sleep in [cap/2, cap]."""
        fn = FailTimes(3)
        p = policy(auto_clock, max_attempts=4, base_delay=2.0, max_delay=5.0, jitter="equal")
        await p.call(fn)
        draws = random.Random(42)
        caps = [2.0, 4.0, 5.0]
        assert auto_clock.sleeps == pytest.approx([cap * (1 - 0.5 * draws.random()) for cap in caps])

    async def test_exhausted_raises_retry_error_from_the_last_exception(self, auto_clock: FakeClock) -> None:
        """After max_attempts failures RetryError carries the count and the last error, chained from it."""
        fn = FailTimes(10)
        with pytest.raises(RetryError) as caught:
            await policy(auto_clock, max_attempts=3, jitter="none").call(fn)
        assert caught.value.attempts == 3
        assert caught.value.last_exception is fn.raised[-1]
        assert caught.value.__cause__ is fn.raised[-1]
        assert fn.calls == 3
        assert auto_clock.sleeps == [0.1, 0.2]

    async def test_single_attempt_policy_wraps_the_error(self, auto_clock: FakeClock) -> None:
        """max_attempts=1 means no retry: one call, no sleep, RetryError after it."""
        fn = FailTimes(1)
        with pytest.raises(RetryError) as caught:
            await policy(auto_clock, max_attempts=1).call(fn)
        assert (caught.value.attempts, fn.calls, auto_clock.sleeps) == (1, 1, [])

    async def test_non_retryable_error_propagates_at_once_unchanged(self, auto_clock: FakeClock) -> None:
        """An error outside retry_on escapes on the first attempt, as the same object, without sleeping."""
        fn = FailTimes(5, error=Fatal)
        with pytest.raises(Fatal) as caught:
            await policy(auto_clock, retry_on=(Flaky,)).call(fn)
        assert caught.value is fn.raised[0]
        assert (fn.calls, auto_clock.sleeps) == (1, [])

    async def test_cancelled_error_is_never_retried(self, auto_clock: FakeClock) -> None:
        """A function raising CancelledError is not called again."""
        calls = 0

        async def cancelled() -> None:
            nonlocal calls
            calls += 1
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await policy(auto_clock, retry_on=lambda exc: True).call(cancelled)
        assert calls == 1

    async def test_cancellation_during_backoff_stops_retrying(self, clock: FakeClock) -> None:
        """Cancelling the task while it sleeps between attempts ends it; no further attempt runs."""
        fn = FailTimes(5)
        task = asyncio.create_task(policy(clock, max_attempts=5).call(fn))
        for _ in range(5):
            await asyncio.sleep(0)
        assert fn.calls == 1
        assert clock.pending_timers == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        clock.advance(100.0)
        assert fn.calls == 1

    async def test_sync_callable_is_retried(self, auto_clock: FakeClock) -> None:
        """A sync function is called, retried and its plain return value returned."""
        attempts = []

        def parse() -> int:
            attempts.append(1)
            if len(attempts) < 2:
                raise Flaky
            return 7

        assert await policy(auto_clock).call(parse) == 7
        assert len(attempts) == 2

    async def test_on_retry_is_told_attempt_error_and_delay(self, auto_clock: FakeClock) -> None:
        """on_retry(attempt, exception, delay) runs before each sleep with what was slept."""
        fn = FailTimes(2)
        seen: list[tuple[int, BaseException, float]] = []
        p = policy(auto_clock, max_attempts=3, on_retry=lambda n, exc, delay: seen.append((n, exc, delay)))
        await p.call(fn)
        assert [(n, exc) for n, exc, _ in seen] == [(1, fn.raised[0]), (2, fn.raised[1])]
        assert [delay for _, _, delay in seen] == auto_clock.sleeps

    async def test_async_on_retry_is_awaited(self, auto_clock: FakeClock) -> None:
        """An async on_retry callback is awaited before the sleep."""
        journal: list[int] = []

        async def record(attempt: int, exc: BaseException, delay: float) -> None:
            await asyncio.sleep(0)
            journal.append(attempt)

        await policy(auto_clock, max_attempts=4, on_retry=record).call(FailTimes(3))
        assert journal == [1, 2, 3]

    async def test_max_elapsed_gives_up_before_sleeping_past_the_deadline(
        self, auto_clock: FakeClock
    ) -> None:
        """With 1 s fixed waits and max_elapsed 2.5, attempts run at t=0, 1, 2, then RetryError."""
        fn = FailTimes(100)
        p = policy(auto_clock, max_attempts=100, wait=wait_fixed(1.0), max_elapsed=2.5)
        with pytest.raises(RetryError) as caught:
            await p.call(fn)
        assert caught.value.attempts == 3
        assert auto_clock.sleeps == [1.0, 1.0]

    async def test_custom_stop_policy_adds_to_max_attempts(self, auto_clock: FakeClock) -> None:
        """A custom stop is combined with max_attempts (either one stops)."""
        states: list[AttemptState] = []

        def stop_on_second(state: AttemptState) -> bool:
            states.append(state)
            return state.attempt >= 2

        fn = FailTimes(100)
        with pytest.raises(RetryError):
            await policy(auto_clock, max_attempts=10, stop=stop_on_second, jitter="none").call(fn)
        assert fn.calls == 2
        assert states[0].exception is fn.raised[0]
        assert states[0].upcoming_delay == 0.1

    async def test_custom_stop_and_max_elapsed_both_apply(self, auto_clock: FakeClock) -> None:
        """max_elapsed still applies when a custom stop is given."""
        fn = FailTimes(100)
        p = policy(
            auto_clock, max_attempts=50, wait=wait_fixed(1.0), max_elapsed=1.5, stop=stop_after_delay(100.0)
        )
        with pytest.raises(RetryError):
            await p.call(fn)
        assert fn.calls == 2

    async def test_coroutine_object_instead_of_function_is_refused(self, auto_clock: FakeClock) -> None:
        """Passing fn() instead of fn is a ConfigError at once, not a retried TypeError."""
        fn = FailTimes(0)
        with pytest.raises(ConfigError, match="not a coroutine object"):
            await policy(auto_clock).call(fn())  # type: ignore[call-overload]
        with pytest.raises(ConfigError, match="callable"):
            await policy(auto_clock).call(42)  # type: ignore[call-overload]
        assert auto_clock.sleeps == []


class TestDecorator:
    async def test_decorated_function_keeps_signature_and_retries(self, auto_clock: FakeClock) -> None:
        """@retry(policy) keeps name and signature and retries the wrapped coroutine function."""
        failures = FailTimes(2)

        @retry(policy(auto_clock))
        async def fetch(url: str, *, timeout: float = 1.0) -> str:
            """Fetch a URL."""
            return await failures(url, timeout=timeout)

        assert inspect.iscoroutinefunction(fetch)
        assert (fetch.__name__, fetch.__doc__) == ("fetch", "Fetch a URL.")
        assert str(inspect.signature(fetch)) == "(url: 'str', *, timeout: 'float' = 1.0) -> 'str'"
        assert await fetch("u") == "ok"
        assert failures.calls == 3

    async def test_bare_decorator_and_policy_as_decorator(self, auto_clock: FakeClock) -> None:
        """``@retry`` without arguments uses the defaults; ``@policy`` works like ``@retry(policy)``."""
        calls = 0

        @retry
        async def plain() -> int:
            return 1

        @policy(auto_clock, max_attempts=2)
        async def flaky() -> int:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise Flaky
            return 2

        assert (await plain(), await flaky(), calls) == (1, 2, 2)

    def test_sync_function_is_refused(self) -> None:
        """Decorating a sync function raises ConfigError pointing at policy.call."""
        with pytest.raises(ConfigError, match=r"policy\.call"):

            @retry(RetryPolicy())
            def sync() -> None:  # pragma: no cover - never called
                pass

    def test_wrong_argument_is_refused(self) -> None:
        """retry(3) is a ConfigError."""
        with pytest.raises(ConfigError, match="RetryPolicy"):
            retry(3)  # type: ignore[call-overload]


class TestAttempts:
    async def test_block_is_retried_until_it_succeeds(self, auto_clock: FakeClock) -> None:
        """The ``async for attempt ...: with attempt:`` form reruns the block after retryable errors."""
        fn = FailTimes(2)
        numbers = []
        result = None
        async for attempt in policy(auto_clock, max_attempts=5, jitter="none").attempts():
            with attempt:
                numbers.append(attempt.number)
                result = await fn()
        assert (result, numbers) == ("ok", [1, 2, 3])
        assert auto_clock.sleeps == [0.1, 0.2]

    async def test_exhausted_block_raises_retry_error(self, auto_clock: FakeClock) -> None:
        """When the block keeps failing, the loop raises RetryError from the last error."""
        fn = FailTimes(10)
        with pytest.raises(RetryError) as caught:
            await run_block(policy(auto_clock, max_attempts=2), fn)
        assert caught.value.last_exception is fn.raised[-1]
        assert fn.calls == 2

    async def test_non_retryable_error_escapes_the_block(self, auto_clock: FakeClock) -> None:
        """A non-retryable error leaves the loop unchanged on the first attempt."""
        fn = FailTimes(10, error=Fatal)
        with pytest.raises(Fatal):
            await run_block(policy(auto_clock, retry_on=(Flaky,)), fn)
        assert fn.calls == 1

    async def test_on_retry_runs_in_the_loop_form(self, auto_clock: FakeClock) -> None:
        """on_retry is called between attempts of the loop form too."""
        seen: list[int] = []
        fn = FailTimes(1)
        async for attempt in policy(auto_clock, on_retry=lambda n, exc, d: seen.append(n)).attempts():
            with attempt:
                await fn()
        assert seen == [1]
        assert repr(attempt) == "<Attempt 2 done>"

    async def test_attempt_repr_tells_its_outcome(self, auto_clock: FakeClock) -> None:
        """An attempt's repr says running, failed with the error type, or done."""
        reprs = []
        fn = FailTimes(1)
        async for attempt in policy(auto_clock).attempts():
            reprs.append(repr(attempt))
            with attempt:
                await fn()
            reprs.append(repr(attempt))
        assert reprs == [
            "<Attempt 1 running>",
            "<Attempt 1 failed with Flaky>",
            "<Attempt 2 running>",
            "<Attempt 2 done>",
        ]
