"""Wait and stop policies as pure functions of an AttemptState."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit import ConfigError
from omnimemory_kit.resilience import (
    AttemptState,
    stop_after_attempt,
    stop_after_delay,
    stop_never,
    wait_exponential,
    wait_fixed,
)
from omnimemory_kit.resilience.backoff import jitter_fraction

delays = st.floats(min_value=0.0, max_value=3600.0, allow_nan=False)
multipliers = st.floats(min_value=1.0, max_value=10.0, allow_nan=False)
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
jitters = st.one_of(st.sampled_from(["full", "equal", "none"]), st.floats(min_value=0.0, max_value=1.0))


class TestWaitExponential:
    def test_schedule_without_jitter_doubles_up_to_the_cap(self) -> None:
        """base 1, multiplier 2, cap 10 gives 1, 2, 4, 8, 10, 10."""
        wait = wait_exponential(base_delay=1.0, multiplier=2.0, max_delay=10.0, jitter="none")
        assert [wait(AttemptState(attempt=n, random=0.7)) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]

    def test_full_jitter_scales_the_whole_delay(self) -> None:
        """Full jitter spans [0, cap]: a draw of 0 keeps the cap, 0.75 leaves a quarter of it."""
        wait = wait_exponential(base_delay=2.0, multiplier=3.0, max_delay=100.0, jitter="full")
        assert wait(AttemptState(attempt=2, random=0.0)) == pytest.approx(6.0)
        assert wait(AttemptState(attempt=2, random=0.75)) == pytest.approx(1.5)

    def test_equal_jitter_keeps_at_least_half(self) -> None:
        """Equal jitter spans [cap/2, cap]."""
        wait = wait_exponential(base_delay=4.0, max_delay=4.0, jitter="equal")
        assert wait(AttemptState(attempt=1, random=0.999999)) == pytest.approx(2.0, abs=1e-5)
        assert wait(AttemptState(attempt=1, random=0.5)) == pytest.approx(3.0)

    def test_huge_attempt_number_gives_the_cap_without_overflow(self) -> None:
        """An attempt number far past the cap returns max_delay instead of raising OverflowError."""
        wait = wait_exponential(base_delay=0.5, multiplier=10.0, max_delay=60.0, jitter="none")
        assert wait(AttemptState(attempt=10**6)) == 60.0

    @given(
        base=delays,
        extra=delays,
        multiplier=multipliers,
        attempt=st.integers(1, 10_000),
        draw=draws,
        jitter=jitters,
    )
    def test_delay_stays_within_zero_and_max_delay(
        self, base: float, extra: float, multiplier: float, attempt: int, draw: float, jitter: str | float
    ) -> None:
        """Whatever the settings and the draw, 0 <= delay <= max_delay, and jitter only shortens."""
        max_delay = base + extra
        wait = wait_exponential(base, multiplier, max_delay, jitter)  # type: ignore[arg-type]
        delay = wait(AttemptState(attempt=attempt, random=draw))
        unjittered = wait(AttemptState(attempt=attempt, random=0.0))
        assert 0.0 <= delay <= unjittered <= max_delay
        assert delay >= unjittered * (1 - jitter_fraction(jitter)) - 1e-9  # type: ignore[arg-type]

    @given(base=delays, extra=delays, multiplier=multipliers, attempt=st.integers(1, 2_000))
    def test_cap_never_decreases_with_attempts(
        self, base: float, extra: float, multiplier: float, attempt: int
    ) -> None:
        """The un-jittered delay after attempt n+1 is never shorter than after attempt n."""
        wait = wait_exponential(base, multiplier, base + extra, "none")
        assert wait(AttemptState(attempt=attempt + 1)) >= wait(AttemptState(attempt=attempt))

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            ({"base_delay": -1.0}, "base_delay"),
            ({"max_delay": float("inf")}, "max_delay"),
            ({"base_delay": 5.0, "max_delay": 1.0}, "at least base_delay"),
            ({"multiplier": 0.5}, "multiplier"),
            ({"jitter": "random"}, "jitter"),
            ({"jitter": 1.5}, "jitter"),
            ({"jitter": True}, "jitter"),
        ],
    )
    def test_bad_settings_raise_config_error(self, settings: dict[str, object], message: str) -> None:
        """Each bad argument raises ConfigError naming it."""
        with pytest.raises(ConfigError, match=message):
            wait_exponential(**settings)  # type: ignore[arg-type]


class TestWaitFixedAndSum:
    def test_fixed_wait_ignores_the_attempt(self) -> None:
        """wait_fixed returns the same delay for every attempt."""
        wait = wait_fixed(1.5)
        assert {wait(AttemptState(attempt=n, random=0.9)) for n in range(1, 10)} == {1.5}

    def test_sum_adds_policies(self) -> None:
        """wait_a + wait_b sleeps for the sum of both."""
        wait = wait_exponential(1.0, 2.0, 100.0, "none") + wait_fixed(0.25)
        assert wait(AttemptState(attempt=3)) == pytest.approx(4.25)

    def test_negative_fixed_wait_is_refused(self) -> None:
        """wait_fixed(-1) raises ConfigError."""
        with pytest.raises(ConfigError, match="wait_fixed"):
            wait_fixed(-1)


class TestStopPolicies:
    def test_stop_after_attempt(self) -> None:
        """stop_after_attempt(3) stops once three attempts were made, not before."""
        stop = stop_after_attempt(3)
        assert [stop(AttemptState(attempt=n)) for n in (1, 2, 3, 4)] == [False, False, True, True]

    def test_stop_after_delay_counts_the_upcoming_sleep(self) -> None:
        """stop_after_delay(10) stops when elapsed plus the next sleep would pass 10 s."""
        stop = stop_after_delay(10.0)
        assert not stop(AttemptState(attempt=1, elapsed=6.0, upcoming_delay=4.0))
        assert stop(AttemptState(attempt=1, elapsed=6.0, upcoming_delay=4.5))
        assert stop(AttemptState(attempt=1, elapsed=10.5))

    def test_stop_never(self) -> None:
        """stop_never never stops."""
        assert not stop_never()(AttemptState(attempt=10**9, elapsed=1e9))

    def test_or_stops_when_either_does_and_and_when_both_do(self) -> None:
        """``a | b`` is any, ``a & b`` is all."""
        by_count, by_time = stop_after_attempt(2), stop_after_delay(5.0)
        early_but_late = AttemptState(attempt=1, elapsed=9.0)
        assert (by_count | by_time)(early_but_late)
        assert not (by_count & by_time)(early_but_late)
        assert (by_count & by_time)(AttemptState(attempt=2, elapsed=9.0))

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True])
    def test_bad_attempt_count_is_refused(self, bad: object) -> None:
        """stop_after_attempt needs an integer >= 1."""
        with pytest.raises(ConfigError, match="max_attempts"):
            stop_after_attempt(bad)  # type: ignore[arg-type]

    def test_bad_delay_is_refused(self) -> None:
        """stop_after_delay(nan) raises ConfigError."""
        with pytest.raises(ConfigError, match="stop_after_delay"):
            stop_after_delay(float("nan"))
