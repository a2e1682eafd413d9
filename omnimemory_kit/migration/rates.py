"""Processing rates and ETA: pure estimation over (active time, completions, bytes).

This is the compute layer of the tracker: no clock reads, no I/O. Time is passed in as *active* seconds,
the run's elapsed time with paused and breaker-open intervals already taken out, so a pause neither drags
the rates down nor pushes the ETA out.

Two rates are kept, because each alone misleads (tqdm's per-update smoothing jumps when items vary, a
whole-run average reacts too slowly, a short sliding window loses long slow items):

- **recent**: a time-based exponential moving average of the completion rate. Each observation weighs
  ``alpha = 1 - exp(-dt / tau)`` where ``dt`` is the active time since the previous observation, so the
  average forgets at the same speed whatever the update frequency (updates come from completions, never
  from a per-call smoothing factor);
- **overall**: finished work divided by active elapsed time.

The ETA itself is an interval from ``migration/eta.py``; ``estimate_eta`` here decides whether one is shown
at all (and says why not), from the run's status and the evidence so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.eta import EtaConfig, EtaForecast

__all__ = [
    "EtaEstimate",
    "EtaUnavailableReason",
    "RateConfig",
    "RateEstimator",
    "ema_alpha",
    "estimate_eta",
    "overall_rate",
]


class EtaUnavailableReason(StrEnum):
    """Why a summary shows no ETA."""

    NOT_STARTED = "not_started"  # the run has not started
    NOTHING_LEFT = "nothing_left"  # every file is finished (or there are none)
    STOPPED = "stopped"  # the run failed or was cancelled with work left
    PAUSED = "paused"  # the run is paused: no time passes for it
    BREAKER_OPEN = "breaker_open"  # the target's circuit breaker is open: work waits
    THROTTLED = "throttled"  # health rules stopped claiming (the summary's throttle_reason says why)
    WARMING_UP = "warming_up"  # not enough completions (a few chunks of them) yet to estimate
    NO_PROGRESS = "no_progress"  # items finished, but no active time has passed to measure a pace
    INTERRUPTED = "interrupted"  # the journal says running but nobody is working the run (it crashed)


@dataclass(frozen=True, slots=True)
class RateConfig:
    """How rates are smoothed and when an ETA becomes trustworthy.

    Attributes:
        tau_seconds: time constant of the recent-rate moving average (active seconds).
        min_finished: completions needed before an ETA is shown.
        min_active_seconds: active seconds needed before an ETA is shown (0 by default: the ETA
            interval's own evidence rule, a few chunks of completions, decides, and its width shows how
            little is known at first).
        eta: how the ETA interval is built (``migration/eta.py``).
    """

    tau_seconds: float = 60.0
    min_finished: int = 5
    min_active_seconds: float = 0.0
    eta: EtaConfig = field(default_factory=EtaConfig)

    def __post_init__(self) -> None:
        if not (self.tau_seconds > 0 and math.isfinite(self.tau_seconds)):
            raise ConfigError(f"tau_seconds must be a positive number of seconds, not {self.tau_seconds!r}")
        if self.min_finished < 0:
            raise ConfigError(f"min_finished must be >= 0, not {self.min_finished!r}")
        if not (self.min_active_seconds >= 0 and math.isfinite(self.min_active_seconds)):
            raise ConfigError(f"min_active_seconds must be >= 0, not {self.min_active_seconds!r}")


@dataclass(frozen=True, slots=True)
class EtaEstimate:
    """An ETA in active seconds with its interval, or the reason there is none.

    ``seconds`` is the point estimate; ``low``/``high`` bound the interval (see ``migration/eta.py``
    for what it promises). All three are None together, exactly when ``reason`` is set.
    """

    seconds: float | None
    low: float | None
    high: float | None
    reason: EtaUnavailableReason | None


def ema_alpha(dt: float, tau: float) -> float:
    """Return the weight of an observation made ``dt`` seconds after the previous one (0 ≤ alpha < 1)."""
    if dt <= 0:
        return 0.0
    return -math.expm1(-dt / tau)


def overall_rate(count: float, active_seconds: float) -> float:
    """Return ``count / active_seconds``, or 0 when no active time has passed."""
    if active_seconds <= 0 or count <= 0:
        return 0.0
    return count / active_seconds


class RateEstimator:
    """A time-based moving average of files/s and bytes/s, fed one completion (or a burst) at a time.

    The average is bias-corrected: it weighs only the history actually observed (like Adam's moment
    estimates), so the first minute of a run reports the rate seen so far instead of one dragged
    towards zero by the empty time before the run began.

    Observations with the same timestamp (a burst, or completions while paused, when active time stands
    still) are accumulated and folded in at the next observation that moves time forward. Reading the rate
    at a later time ``now`` accounts for the silence since the last observation: fewer than one file was
    finished in that gap, so the rate it shows is capped at ``1 / gap`` (a stalled run's rate falls, a run
    of slow items does not flicker between completions).
    """

    __slots__ = (
        "_bytes_ema",
        "_files_ema",
        "_last_t",
        "_min_step",
        "_pending_bytes",
        "_pending_count",
        "_started",
        "_weight",
        "tau",
    )

    def __init__(self, tau: float = 60.0) -> None:
        if not (tau > 0 and math.isfinite(tau)):
            raise ConfigError(f"tau must be a positive number of seconds, not {tau!r}")
        self.tau = tau
        self._files_ema = 0.0
        self._bytes_ema = 0.0
        self._weight = 0.0  # 1 - exp(-observed time / tau): how much of the average is real history
        self._last_t = 0.0
        self._pending_count = 0.0
        self._pending_bytes = 0.0
        self._started = False
        self._min_step = tau / 100

    @property
    def files_rate(self) -> float:
        """The average files/s as of the last observation."""
        return self._files_ema / self._weight if self._weight > 0 else 0.0

    @property
    def bytes_rate(self) -> float:
        """The average bytes/s as of the last observation."""
        return self._bytes_ema / self._weight if self._weight > 0 else 0.0

    def start(self, t: float) -> None:
        """Set the time observations are measured from (the run's first active second), if not yet set."""
        if not self._started:
            self._started = True
            self._last_t = t

    def observe(self, t: float, count: float = 1.0, nbytes: float = 0.0) -> None:
        """Record ``count`` completions totalling ``nbytes`` at active time ``t``.

        Completions are folded into the average in steps of at least ``tau / 100`` active seconds
        (a burst, or completions while paused, accumulate until then): the average is the same to
        within a percent of tau, and the common case costs two additions instead of an ``exp``.
        """
        if not self._started:
            self.start(t)
        self._pending_count += count
        self._pending_bytes += nbytes
        dt = t - self._last_t
        if dt < self._min_step:
            return
        alpha = -math.expm1(-dt / self.tau)
        self._files_ema += alpha * (self._pending_count / dt - self._files_ema)
        self._bytes_ema += alpha * (self._pending_bytes / dt - self._bytes_ema)
        self._weight += alpha * (1.0 - self._weight)
        self._pending_count = 0.0
        self._pending_bytes = 0.0
        self._last_t = t

    def rates_at(self, now: float) -> tuple[float, float]:
        """Return the recent (files/s, bytes/s) as seen at active time ``now`` (never negative).

        Completions not yet folded in are counted over the time since the last fold; with none, the
        silence since then caps the rate at ``1 / gap``.
        """
        files_ema, bytes_ema, weight = self._files_ema, self._bytes_ema, self._weight
        gap = now - self._last_t
        if self._started and gap > self.tau * 1e-12:
            alpha = -math.expm1(-gap / self.tau)
            if self._pending_count > 0:
                files_ema += alpha * (self._pending_count / gap - files_ema)
                bytes_ema += alpha * (self._pending_bytes / gap - bytes_ema)
                weight += alpha * (1.0 - weight)
            elif weight > 0 and 1.0 / gap < files_ema / weight:
                slowed = files_ema + alpha * (weight / gap - files_ema)  # debiased: ceiling * weight
                bytes_ema *= slowed / files_ema
                files_ema = slowed
        if weight <= 0:
            return 0.0, 0.0
        return max(files_ema / weight, 0.0), max(bytes_ema / weight, 0.0)

    def __repr__(self) -> str:
        return (
            f"<RateEstimator tau={self.tau:g}s files/s={self.files_rate:.3f} bytes/s={self.bytes_rate:.1f}>"
        )


_NO_ETA = {reason: EtaEstimate(None, None, None, reason) for reason in EtaUnavailableReason}


def estimate_eta(
    *,
    remaining: int,
    completions: int,
    active_seconds: float,
    forecast: EtaForecast | None,
    status: MigrationStatus,
    breaker_open: bool,
    config: RateConfig,
    throttled: bool = False,
) -> EtaEstimate:
    """Return the ETA interval to show, or say why there is none.

    Args:
        remaining: files not finished yet.
        completions: files finished during this run (the evidence; retries not included).
        active_seconds: elapsed time with paused and breaker-open time excluded.
        forecast: the interval estimator's forecast for the remaining work (None without evidence).
        status: the run's status.
        breaker_open: whether the target's breaker is open now.
        config: evidence thresholds.
        throttled: whether health rules stop claiming now.

    Returns:
        An interval that is never negative, or the first reason that applies, in this order: not
        started, nothing left, stopped, paused, breaker open, throttled, warming up, no progress.
    """
    if status is MigrationStatus.PENDING:
        return _NO_ETA[EtaUnavailableReason.NOT_STARTED]
    if remaining <= 0:
        return _NO_ETA[EtaUnavailableReason.NOTHING_LEFT]
    if status is MigrationStatus.FAILED or status is MigrationStatus.CANCELLED:
        return _NO_ETA[EtaUnavailableReason.STOPPED]
    if status is MigrationStatus.PAUSED:
        return _NO_ETA[EtaUnavailableReason.PAUSED]
    if breaker_open:
        return _NO_ETA[EtaUnavailableReason.BREAKER_OPEN]
    if throttled:
        return _NO_ETA[EtaUnavailableReason.THROTTLED]
    if completions < max(config.min_finished, 1) or active_seconds < config.min_active_seconds:
        return _NO_ETA[EtaUnavailableReason.WARMING_UP]
    if active_seconds <= 0:
        return _NO_ETA[EtaUnavailableReason.NO_PROGRESS]
    if forecast is None:
        return _NO_ETA[EtaUnavailableReason.WARMING_UP]
    return EtaEstimate(forecast.seconds, forecast.low, forecast.high, None)
