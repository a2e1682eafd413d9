"""Rates and ETA estimation: the pure compute layer behind the tracker's summary."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.eta import EtaForecast
from omnimemory_kit.migration.rates import (
    EtaUnavailableReason,
    RateConfig,
    RateEstimator,
    ema_alpha,
    estimate_eta,
    overall_rate,
)

CONFIG = RateConfig(tau_seconds=60.0, min_finished=5, min_active_seconds=10.0)
FORECAST = EtaForecast(50.0, 40.0, 60.0, "items", 10)


def eta(**overrides: object) -> object:
    """Call estimate_eta with a healthy running state, overridden where a test says."""
    arguments: dict[str, object] = {
        "remaining": 100,
        "completions": 50,
        "active_seconds": 100.0,
        "forecast": FORECAST,
        "status": MigrationStatus.RUNNING,
        "breaker_open": False,
        "config": CONFIG,
    }
    arguments.update(overrides)
    return estimate_eta(**arguments)  # type: ignore[arg-type]


class TestEmaAlpha:
    def test_alpha_grows_with_elapsed_time(self) -> None:
        """An observation after a longer gap weighs more, approaching but never reaching 1."""
        assert ema_alpha(1.0, 60.0) < ema_alpha(10.0, 60.0) < ema_alpha(600.0, 60.0) < 1.0

    def test_alpha_is_one_minus_exp(self) -> None:
        """The weight is exactly 1 - exp(-dt/tau)."""
        assert ema_alpha(30.0, 60.0) == pytest.approx(1 - math.exp(-0.5))

    def test_no_time_no_weight(self) -> None:
        """A zero or negative gap contributes nothing."""
        assert ema_alpha(0.0, 60.0) == 0.0
        assert ema_alpha(-1.0, 60.0) == 0.0


class TestOverallRate:
    def test_count_over_time(self) -> None:
        """The overall rate is work over active time."""
        assert overall_rate(30, 60.0) == 0.5

    def test_no_time_is_zero_not_infinite(self) -> None:
        """Before any active time passes the rate is 0, not a division error."""
        assert overall_rate(10, 0.0) == 0.0


class TestRateEstimator:
    def test_converges_to_a_constant_rate(self) -> None:
        """Completions at a steady 4 files/s drive the recent rate to 4 files/s."""
        estimator = RateEstimator(tau=10.0)
        estimator.start(0.0)
        for step in range(1, 2001):
            estimator.observe(step * 0.25, 1, 100)
        files, nbytes = estimator.rates_at(500.0)
        assert files == pytest.approx(4.0, rel=1e-6)
        assert nbytes == pytest.approx(400.0, rel=1e-6)

    def test_forgets_at_the_speed_of_tau_not_of_updates(self) -> None:
        """After a rate change, equal active time moves the average equally however often it updates."""
        coarse, fine = RateEstimator(tau=30.0), RateEstimator(tau=30.0)
        for estimator, step in ((coarse, 1.0), (fine, 0.1)):
            estimator.start(0.0)
            t = 0.0
            while t < 300.0 - 1e-9:  # 1 file/s for 300 s
                t += step
                estimator.observe(t, step)
            while t < 330.0 - 1e-9:  # then 3 files/s for one tau
                t += step
                estimator.observe(t, 3 * step)
        expected = 3.0 - 2.0 * math.exp(-1.0)
        assert coarse.files_rate == pytest.approx(expected, rel=1e-3)
        assert fine.files_rate == pytest.approx(expected, rel=1e-3)

    def test_young_average_is_not_dragged_to_zero(self) -> None:
        """Ten seconds into a run at 2 files/s the recent rate reads 2 files/s, not a fraction of it."""
        estimator = RateEstimator(tau=60.0)
        estimator.start(0.0)
        for step in range(1, 21):
            estimator.observe(step * 0.5, 1)
        assert estimator.files_rate == pytest.approx(2.0)

    def test_same_instant_completions_are_folded_in_later(self) -> None:
        """A burst at one instant is not lost: it counts at the next observation that moves time forward."""
        burst, spread = RateEstimator(tau=60.0), RateEstimator(tau=60.0)
        burst.start(0.0)
        spread.start(0.0)
        burst.observe(0.0, 9)
        burst.observe(10.0, 1)
        spread.observe(10.0, 10)
        assert burst.files_rate == pytest.approx(spread.files_rate)

    def test_silence_pulls_the_rate_down(self) -> None:
        """A stalled run's recent rate falls while no file finishes, instead of staying at its last value."""
        estimator = RateEstimator(tau=60.0)
        estimator.start(0.0)
        for step in range(1, 121):
            estimator.observe(float(step), 1)
        at_stall = estimator.rates_at(120.0)[0]
        later = estimator.rates_at(420.0)[0]
        assert later < at_stall / 3
        assert estimator.rates_at(121.5)[0] == pytest.approx(at_stall, rel=0.05)

    def test_slow_items_do_not_flicker(self) -> None:
        """Items taking 120 s each keep the recent rate near 1/120 between completions, no sawtooth."""
        estimator = RateEstimator(tau=60.0)
        estimator.start(0.0)
        for item in range(1, 20):
            estimator.observe(item * 120.0, 1)
        just_after = estimator.rates_at(19 * 120.0 + 1)[0]
        just_before_next = estimator.rates_at(19 * 120.0 + 119)[0]
        assert just_after == pytest.approx(1 / 120, rel=0.05)
        assert just_before_next == pytest.approx(1 / 120, rel=0.05)

    def test_rejects_a_bad_tau(self) -> None:
        """A non-positive time constant is refused with a ConfigError naming it."""
        with pytest.raises(ConfigError, match="tau"):
            RateEstimator(tau=0.0)

    @given(
        st.lists(
            st.tuples(
                st.floats(min_value=0, max_value=1e4, allow_nan=False),
                st.integers(min_value=0, max_value=1000),
                st.integers(min_value=0, max_value=10**9),
            ),
            max_size=60,
        ),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    )
    def test_rates_never_negative(self, steps: list[tuple[float, int, int]], query_gap: float) -> None:
        """Whatever the sequence of observations, the recent rates are finite and never negative."""
        estimator = RateEstimator(tau=60.0)
        t = 0.0
        for dt, count, nbytes in steps:
            t += dt
            estimator.observe(t, count, nbytes)
        files, nbytes_rate = estimator.rates_at(t + query_gap)
        assert files >= 0
        assert math.isfinite(files)
        assert nbytes_rate >= 0
        assert math.isfinite(nbytes_rate)

    @given(st.floats(min_value=0.01, max_value=100), st.floats(min_value=1, max_value=600))
    def test_converges_for_any_constant_rate(self, rate: float, tau: float) -> None:
        """For any constant rate and tau, ten tau of steady completions bring the average within 1 %."""
        estimator = RateEstimator(tau=tau)
        estimator.start(0.0)
        step = tau / 20
        for i in range(1, 201):
            estimator.observe(i * step, rate * step)
        assert estimator.files_rate == pytest.approx(rate, rel=0.01)


class TestEtaReasons:
    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"status": MigrationStatus.PENDING}, EtaUnavailableReason.NOT_STARTED),
            ({"remaining": 0}, EtaUnavailableReason.NOTHING_LEFT),
            ({"status": MigrationStatus.CANCELLED}, EtaUnavailableReason.STOPPED),
            ({"status": MigrationStatus.FAILED}, EtaUnavailableReason.STOPPED),
            ({"status": MigrationStatus.PAUSED}, EtaUnavailableReason.PAUSED),
            ({"breaker_open": True}, EtaUnavailableReason.BREAKER_OPEN),
            ({"completions": 4}, EtaUnavailableReason.WARMING_UP),
            ({"active_seconds": 9.9}, EtaUnavailableReason.WARMING_UP),
            ({"forecast": None}, EtaUnavailableReason.WARMING_UP),
            (
                {"active_seconds": 0.0, "config": RateConfig(min_active_seconds=0.0)},
                EtaUnavailableReason.NO_PROGRESS,
            ),
        ],
    )
    def test_each_reason(self, overrides: dict[str, object], reason: EtaUnavailableReason) -> None:
        """Each state without a trustworthy ETA names its reason and leaves every ETA field empty."""
        result = eta(**overrides)
        assert result.reason is reason  # type: ignore[attr-defined]
        assert (result.seconds, result.low, result.high) == (None, None, None)  # type: ignore[attr-defined]

    def test_nothing_left_wins_over_paused(self) -> None:
        """A paused run with nothing left says nothing is left, the more useful fact."""
        assert eta(remaining=0, status=MigrationStatus.PAUSED).reason is EtaUnavailableReason.NOTHING_LEFT  # type: ignore[attr-defined]

    def test_zero_thresholds_still_need_one_completion(self) -> None:
        """Even with no evidence thresholds, an ETA needs at least one completion."""
        config = RateConfig(min_finished=0, min_active_seconds=0)
        result = eta(completions=0, config=config)
        assert result.reason is EtaUnavailableReason.WARMING_UP  # type: ignore[attr-defined]


class TestEtaInterval:
    def test_the_forecast_is_shown_as_it_is(self) -> None:
        """With evidence and a running run, the ETA is the interval estimator's forecast."""
        result = eta()
        assert (result.seconds, result.low, result.high) == (50.0, 40.0, 60.0)  # type: ignore[attr-defined]
        assert result.reason is None  # type: ignore[attr-defined]

    def test_live_defaults_need_no_fixed_time(self) -> None:
        """The default settings show an ETA after a few completions, however little time has passed."""
        result = eta(completions=5, active_seconds=0.5, config=RateConfig())
        assert result.reason is None  # type: ignore[attr-defined]

    @given(
        remaining=st.integers(min_value=-5, max_value=10**7),
        completions=st.integers(min_value=0, max_value=10**7),
        active=st.floats(min_value=0, max_value=1e7, allow_nan=False),
        given_forecast=st.none() | st.just(FORECAST),
        status=st.sampled_from(list(MigrationStatus)),
        breaker=st.booleans(),
    )
    def test_all_or_nothing(
        self,
        remaining: int,
        completions: int,
        active: float,
        given_forecast: EtaForecast | None,
        status: MigrationStatus,
        breaker: bool,
    ) -> None:
        """An ETA, when given, has all three values in order; otherwise a reason and no values."""
        result = estimate_eta(
            remaining=remaining,
            completions=completions,
            active_seconds=active,
            forecast=given_forecast,
            status=status,
            breaker_open=breaker,
            config=CONFIG,
        )
        if result.reason is None:
            assert result.seconds is not None
            assert result.low is not None
            assert result.high is not None
            assert 0 <= result.low <= result.seconds <= result.high
        else:
            assert result.seconds is None
            assert result.low is None
            assert result.high is None


class TestRateConfig:
    @pytest.mark.parametrize(
        "kwargs",
        [{"tau_seconds": 0.0}, {"tau_seconds": math.inf}, {"min_finished": -1}, {"min_active_seconds": -1.0}],
    )
    def test_rejects_bad_values(self, kwargs: dict[str, float]) -> None:
        """Nonsense smoothing or evidence settings are refused with a ConfigError."""
        with pytest.raises(ConfigError):
            RateConfig(**kwargs)  # type: ignore[arg-type]
