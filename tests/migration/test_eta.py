"""The ETA interval estimator: its promises, checked on a fake clock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.eta import EtaConfig, EtaEstimator, EtaForecast, student_t_quantile


def feed(durations: list[float], sizes: list[float] | None = None) -> tuple[EtaEstimator, FakeClock]:
    """Return an estimator fed one completion per duration, in order, on a fake clock started at 0."""
    clock = FakeClock()
    eta = EtaEstimator()
    eta.start(clock.monotonic())
    for i, duration in enumerate(durations):
        clock.advance(duration)
        eta.observe(clock.monotonic(), 1.0, sizes[i] if sizes else 0.0)
    return eta, clock


def forecast(
    eta: EtaEstimator, clock: FakeClock, remaining: float, remaining_bytes: float = 0.0
) -> EtaForecast:
    """Return the forecast now, which must exist."""
    result = eta.forecast(clock.monotonic(), remaining, remaining_bytes)
    assert result is not None
    return result


class TestInterval:
    def test_widens_with_variance(self) -> None:
        """The same mean pace with more scatter gives a wider interval relative to its estimate."""
        rng = random.Random(1)
        calm, calm_clock = feed([0.02 * rng.uniform(0.9, 1.1) for _ in range(200)])
        rough, rough_clock = feed([0.02 * rng.uniform(0.0, 2.0) for _ in range(200)])
        a, b = forecast(calm, calm_clock, 200), forecast(rough, rough_clock, 200)
        assert (b.high - b.low) / b.seconds > 2 * (a.high - a.low) / a.seconds

    def test_contains_the_truth_on_steady_work(self) -> None:
        """On steady work with jitter, the interval contains the actual remaining time at most samples."""
        rng = random.Random(2)
        durations = [0.02 * rng.uniform(0.8, 1.2) for _ in range(4000)]
        end = sum(durations)
        eta, clock = EtaEstimator(), FakeClock()
        eta.start(0.0)
        hits = misses = 0
        for n, duration in enumerate(durations[:-1], start=1):
            clock.advance(duration)
            eta.observe(clock.monotonic())
            if n % 40 == 0:
                result = eta.forecast(clock.monotonic(), len(durations) - n)
                if result is not None:
                    inside = result.low <= end - clock.monotonic() <= result.high
                    hits, misses = hits + inside, misses + (not inside)
        assert hits + misses >= 95
        assert hits / (hits + misses) >= 0.8

    def test_point_inside_and_wide_at_first(self) -> None:
        """The point estimate lies inside the interval, which is wider after a few chunks than after many."""
        eta, clock = feed([0.02 * (1 + 0.3 * (i % 3)) for i in range(6)])
        early = forecast(eta, clock, 1000)
        for i in range(3000):
            clock.advance(0.02 * (1 + 0.3 * (i % 3)))
            eta.observe(clock.monotonic())
        late = forecast(eta, clock, 1000)
        for result in (early, late):
            assert result.low <= result.seconds <= result.high
        assert (early.high - early.low) / early.seconds > 3 * (late.high - late.low) / late.seconds

    @settings(max_examples=60, deadline=None)
    @given(
        durations=st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=1, max_size=300),
        remaining=st.integers(min_value=1, max_value=10**6),
        silence=st.floats(min_value=0.0, max_value=100.0),
    )
    def test_never_negative_never_zero_width(
        self, durations: list[float], remaining: int, silence: float
    ) -> None:
        """Whatever the pace, an interval has 0 <= low <= estimate <= high and low < high."""
        eta, clock = feed(durations)
        clock.advance(silence)
        result = eta.forecast(clock.monotonic(), remaining)
        if result is not None:
            assert 0.0 <= result.low <= result.seconds <= result.high
            assert result.low < result.high


class TestLevelShift:
    def test_follows_a_slowdown_within_the_stated_window(self) -> None:
        """After a 2x slowdown at half way, the estimate is within 15 % of the truth 5 % of the run later."""
        durations = [0.02] * 5000 + [0.04] * 5000
        eta, clock = feed(durations[:5500])
        truth = sum(durations[5500:])
        result = forecast(eta, clock, 4500)
        assert abs(result.seconds - truth) <= 0.15 * truth
        assert result.regime_chunks < eta.chunks

    def test_one_slow_chunk_does_not_move_it(self) -> None:
        """A single item 50 times slower than the rest leaves the estimate on the run's pace."""
        rng = random.Random(3)
        durations = [0.02 * rng.uniform(0.8, 1.2) for _ in range(3000)]
        eta, clock = feed(durations)
        before = forecast(eta, clock, 3000)
        clock.advance(1.0)  # one item taking 50 times the usual
        eta.observe(clock.monotonic())
        for _ in range(20):
            clock.advance(0.02)
            eta.observe(clock.monotonic())
        after = forecast(eta, clock, 2979)
        assert after.regime_chunks == eta.chunks
        assert abs(after.seconds - before.seconds) <= 0.05 * before.seconds

    def test_a_stall_grows_the_estimate(self) -> None:
        """Silence since the last completion counts: the estimate grows while nothing finishes."""
        eta, clock = feed([0.02] * 1000)
        before = forecast(eta, clock, 1000)
        clock.advance(10.0)
        assert forecast(eta, clock, 1000).seconds > before.seconds * 1.3


class TestEvidence:
    def test_none_until_a_few_chunks(self) -> None:
        """No estimate before ``min_chunks`` chunks; one after a few completions, not after a fixed time."""
        eta, clock = feed([0.02] * 3)
        assert eta.forecast(clock.monotonic(), 100) is None
        eta, clock = feed([0.02] * 4)
        assert eta.forecast(clock.monotonic(), 100) is not None

    def test_chunks_stay_bounded_and_cover_the_run(self) -> None:
        """However long the run, between half of ``max_chunks`` and ``max_chunks`` chunks are kept."""
        eta, _ = feed([0.01] * 50_000)
        assert eta.config.max_chunks // 2 <= eta.chunks <= eta.config.max_chunks
        assert repr(eta).startswith("<EtaEstimator chunks=")

    def test_nothing_remaining_gives_none(self) -> None:
        """With no work left there is nothing to estimate."""
        eta, clock = feed([0.02] * 100)
        assert eta.forecast(clock.monotonic(), 0) is None


class TestWeighing:
    def test_bytes_chosen_when_sizes_explain_the_time(self) -> None:
        """When item time follows item size, the remaining bytes weigh the remaining work."""
        rng = random.Random(4)
        sizes = [10 ** rng.uniform(3, 6) for _ in range(3000)]
        eta, clock = feed([1e-6 * s for s in sizes[:2000]], sizes[:2000])
        left = sizes[2000:]
        result = forecast(eta, clock, len(left), sum(left))
        assert result.basis == "bytes"
        truth = 1e-6 * sum(left)
        assert abs(result.seconds - truth) <= 0.05 * truth

    def test_items_chosen_when_sizes_do_not(self) -> None:
        """When every item takes the same time whatever its size, items weigh the remaining work."""
        rng = random.Random(5)
        sizes = [10 ** rng.uniform(3, 6) for _ in range(2000)]
        eta, clock = feed([0.02] * 2000, sizes)
        assert forecast(eta, clock, 1000, 1e8).basis == "items"


class TestConfig:
    @pytest.mark.parametrize(
        "kwargs",
        [{"coverage": 1.0}, {"min_chunks": 1}, {"max_chunks": 9}, {"min_regime_chunks": 1}, {"shift_z": 0.0}],
    )
    def test_bad_settings_are_refused(self, kwargs: dict[str, float]) -> None:
        """A setting outside its range is refused with ConfigError naming it."""
        with pytest.raises(ConfigError, match=next(iter(kwargs))):
            EtaConfig(**kwargs)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("df", "expected"), [(2, 1.886), (5, 1.476), (30, 1.310)])
    def test_t_quantile(self, df: int, expected: float) -> None:
        """The t quantile used for the interval matches the tables to within 1 %."""
        assert student_t_quantile(0.9, df) == pytest.approx(expected, rel=0.01)
