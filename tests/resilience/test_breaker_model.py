"""The breaker's transitions checked against a tiny reference model with Hypothesis (stateful testing)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from omnimemory_kit import AsyncCircuitBreaker, CircuitBreakerConfig, CircuitBreakerError, CircuitState
from omnimemory_kit.clock import FakeClock


class Boom(Exception):
    """A counted failure."""


class Ignorable(Exception):
    """An excluded exception."""


class BreakerModel:
    """The specification, in the fewest lines: sequential calls only."""

    def __init__(self, threshold: int, recovery: float, successes_needed: int) -> None:
        self.threshold = threshold
        self.recovery = recovery
        self.successes_needed = successes_needed
        self.state = CircuitState.CLOSED
        self.streak = 0
        self.trial_successes = 0
        self.opened_at = 0.0
        self.counts = {"success": 0, "failure": 0, "ignored": 0, "rejected": 0}

    def observe(self, now: float) -> CircuitState:
        if self.state is CircuitState.OPEN and now - self.opened_at >= self.recovery:
            self.state = CircuitState.HALF_OPEN
            self.trial_successes = 0
        return self.state

    def admit(self, now: float) -> bool:
        if self.observe(now) is CircuitState.OPEN:
            self.counts["rejected"] += 1
            return False
        return True

    def succeed(self) -> None:
        self.counts["success"] += 1
        if self.state is CircuitState.CLOSED:
            self.streak = 0
        else:
            self.trial_successes += 1
            if self.trial_successes >= self.successes_needed:
                self.state = CircuitState.CLOSED
                self.streak = 0

    def fail(self, now: float) -> None:
        self.counts["failure"] += 1
        self.streak += 1
        if self.state is CircuitState.HALF_OPEN or self.streak >= self.threshold:
            self.state = CircuitState.OPEN
            self.opened_at = now


class BreakerMachine(RuleBasedStateMachine):
    """Random sequences of successes, failures, ignored errors, time steps and resets."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.model: BreakerModel
        self.breaker: AsyncCircuitBreaker

    @initialize(
        threshold=st.integers(1, 4),
        recovery=st.sampled_from([0.5, 1.0, 5.0]),
        successes_needed=st.integers(1, 3),
    )
    def build(self, threshold: int, recovery: float, successes_needed: int) -> None:
        """Build a breaker and its model with a random threshold, recovery time and success count."""
        config = CircuitBreakerConfig(
            failure_threshold=threshold,
            recovery_timeout=recovery,
            success_threshold=successes_needed,
            excluded_exceptions=(Ignorable,),
        )
        self.breaker = AsyncCircuitBreaker("model", config, clock=self.clock)
        self.model = BreakerModel(threshold, recovery, successes_needed)

    def _call(self, outcome: str, use_sync: bool) -> None:
        def work() -> str:
            if outcome == "failure":
                raise Boom
            if outcome == "ignored":
                raise Ignorable
            return "ok"

        async def async_work() -> str:
            return work()

        admitted = self.model.admit(self.clock.monotonic())
        refusal: CircuitBreakerError | None = None
        raised: Exception | None = None
        result = None
        try:
            if use_sync:
                result = self.breaker.call_sync(work)
            else:
                result = self.loop.run_until_complete(self.breaker.call(async_work))
        except CircuitBreakerError as error:
            refusal = error
        except (Boom, Ignorable) as error:
            raised = error
        if refusal is not None:
            assert not admitted, "the breaker refused a call the model admits"
            assert refusal.state == "open"
            expected_wait = self.model.opened_at + self.model.recovery - self.clock.monotonic()
            assert refusal.retry_after == pytest.approx(expected_wait)
            return
        assert admitted, "the breaker admitted a call the model refuses"
        if outcome == "failure":
            assert isinstance(raised, Boom)
            self.model.fail(self.clock.monotonic())
        elif outcome == "ignored":
            assert isinstance(raised, Ignorable)
            self.model.counts["ignored"] += 1
        else:
            assert result == "ok"
            self.model.succeed()

    @rule(use_sync=st.booleans())
    def succeed(self, use_sync: bool) -> None:
        """A call succeeds (sync or async), unless the breaker refuses it as the model does."""
        self._call("success", use_sync)

    @rule(use_sync=st.booleans())
    def fail(self, use_sync: bool) -> None:
        """A call fails (sync or async), unless the breaker refuses it as the model does."""
        self._call("failure", use_sync)

    @rule()
    def ignored_error(self) -> None:
        """A call raises an excluded exception, which passes through without counting as a failure."""
        self._call("ignored", use_sync=False)

    @rule(seconds=st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.5, 5.0]))
    def advance(self, seconds: float) -> None:
        """The fake clock moves on, possibly past the recovery time."""
        self.clock.advance(seconds)

    @precondition(lambda self: self.model.state is not CircuitState.CLOSED)
    @rule()
    def reset(self) -> None:
        """The breaker is reset by hand to closed with clean counters."""
        self.breaker.reset()
        self.model.state = CircuitState.CLOSED
        self.model.streak = 0

    @invariant()
    def state_matches_the_model(self) -> None:
        """The breaker is in the state the model says."""
        assert self.breaker.state is self.model.observe(self.clock.monotonic())

    @invariant()
    def counters_match_the_model(self) -> None:
        """Success, failure, ignored and rejected counts equal the model."""
        stats = self.breaker.stats()
        counts = self.model.counts
        assert (stats.success_count, stats.failure_count) == (counts["success"], counts["failure"])
        assert (stats.ignored_count, stats.rejected_calls) == (counts["ignored"], counts["rejected"])
        assert stats.total_calls == sum(counts.values())
        assert stats.half_open_in_flight == 0

    @invariant()
    def closed_streak_stays_below_threshold(self) -> None:
        """A closed breaker has fewer consecutive failures than its threshold."""
        stats = self.breaker.stats()
        if stats.state is CircuitState.CLOSED:
            assert stats.consecutive_failures == self.model.streak < self.model.threshold
        if stats.state is not CircuitState.OPEN:
            assert stats.retry_after == 0.0

    def teardown(self) -> None:
        self.loop.close()


BreakerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestBreakerMatchesModel = BreakerMachine.TestCase
TestBreakerMatchesModel.__doc__ = "Random call sequences keep the breaker and the reference model in step."


class ConcurrentBreakerMachine(RuleBasedStateMachine):
    """Overlapping calls that start, finish, fail or are cancelled in any order, with time passing.

    No reference model here: the invariants are the ones concurrency must never break, above all that a
    half-open slot is never leaked (no calls running means no slots taken).
    """

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.pending: list[tuple[asyncio.Task[str], asyncio.Event, list[str]]] = []
        self.finished = 0
        self.breaker: AsyncCircuitBreaker
        self.max_trials = 1
        self.threshold = 1

    @initialize(threshold=st.integers(1, 3), max_trials=st.integers(1, 3), successes=st.integers(1, 3))
    def build(self, threshold: int, max_trials: int, successes: int) -> None:
        """Build a breaker with a random threshold, half-open trial limit and success count."""
        config = CircuitBreakerConfig(
            failure_threshold=threshold,
            recovery_timeout=1.0,
            success_threshold=successes,
            half_open_max_calls=max_trials,
            excluded_exceptions=(Ignorable,),
        )
        self.breaker = AsyncCircuitBreaker("concurrent", config, clock=self.clock)
        self.max_trials = max_trials
        self.threshold = threshold

    def _settle(self) -> None:
        async def settle() -> None:
            for _ in range(3):
                await asyncio.sleep(0)

        self.loop.run_until_complete(settle())
        still_pending = []
        for entry in self.pending:
            task = entry[0]
            if task.done():
                self.finished += 1
                if not task.cancelled():
                    task.exception()  # retrieve it, so no "never retrieved" warning
            else:
                still_pending.append(entry)
        self.pending = still_pending

    @rule(use_context_manager=st.booleans())
    def start_call(self, use_context_manager: bool) -> None:
        """A call starts (through call() or async with) and waits for its outcome."""
        release = asyncio.Event()
        verdict: list[str] = []

        async def work() -> str:
            await release.wait()
            if verdict == ["failure"]:
                raise Boom
            if verdict == ["ignored"]:
                raise Ignorable
            return "ok"

        async def through_block() -> str:
            async with self.breaker:
                return await work()

        call = through_block() if use_context_manager else self.breaker.call(work)
        self.pending.append((self.loop.create_task(call), release, verdict))
        self._settle()

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data(), outcome=st.sampled_from(["success", "failure", "ignored", "cancel"]))
    def finish_call(self, data: st.DataObject, outcome: str) -> None:
        """A running call succeeds, fails, raises an excluded error, or is cancelled."""
        index = data.draw(st.integers(0, len(self.pending) - 1))
        task, release, verdict = self.pending[index]
        if outcome == "cancel":
            task.cancel()
        else:
            verdict.append(outcome)
            release.set()
        self._settle()

    @rule(seconds=st.sampled_from([0.5, 1.0]))
    def advance(self, seconds: float) -> None:
        """The fake clock moves on, possibly past the recovery time."""
        self.clock.advance(seconds)
        self._settle()

    @invariant()
    def trial_slots_are_bounded_and_never_leak(self) -> None:
        """Half-open trial slots stay within the limit and are all free when no call runs."""
        stats = self.breaker.stats()
        assert 0 <= stats.half_open_in_flight <= self.max_trials
        if stats.state is not CircuitState.HALF_OPEN or not self.pending:
            assert stats.half_open_in_flight == 0

    @invariant()
    def every_finished_call_is_counted_once(self) -> None:
        """Every finished call is counted once in the total."""
        assert self.breaker.stats().total_calls == self.finished

    @invariant()
    def closed_means_below_threshold(self) -> None:
        """A closed breaker has fewer consecutive failures than its threshold."""
        stats = self.breaker.stats()
        if stats.state is CircuitState.CLOSED:
            assert stats.consecutive_failures < self.threshold

    def teardown(self) -> None:
        for task, _, _ in self.pending:
            task.cancel()
        self._settle()
        self.loop.close()


ConcurrentBreakerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
TestConcurrentBreakerInvariants = ConcurrentBreakerMachine.TestCase
TestConcurrentBreakerInvariants.__doc__ = "Overlapping calls never leak half-open slots or miscount."
