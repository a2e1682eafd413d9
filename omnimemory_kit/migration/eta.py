"""The ETA as an 80 % interval built from the pace the run has shown: pure, time passed in.

The run's active time is cut into *chunks* of completions. A chunk closes once it holds ``target``
completions and some active time has passed; at most ``max_chunks`` are kept, and when they overflow,
neighbours merge in pairs and ``target`` doubles. So, past the first 64 completions, the chunks cover
the whole run in 32..64 pieces: the smoothing scales with the run's length by itself (a 30-second run
and a 10-hour run look alike to the estimator), and feeding a completion is O(1) amortized.

Each estimate:

1. **Finds the current regime.** Scanning the chunks for the split that best separates an earlier pace
   from a later one, it keeps only the later chunks when the difference is a level shift (a z-score of
   at least ``shift_z`` against the noise inside the two parts, with at least ``min_regime_chunks`` after
   it): one slow chunk raises the noise, not the shift, so it does not move the estimate on its own.
2. **Estimates the pace** (seconds per item, and seconds per byte when sizes are known) over the regime,
   counting the silence since the last completion, so a stalled run's ETA grows while it stalls.
3. **Builds the interval** from the chunks' scatter around that pace: a chunk of ``u`` units is
   modelled as taking ``pace * u`` seconds with noise of variance ``sigma**2 * u``. The remaining
   ``R`` units then take ``pace * R`` seconds, give or take the noise of the future work (``sigma**2 *
   R``) and the uncertainty of the pace itself (``sigma**2 * R**2 / U``, ``U`` units observed); a
   Student-t quantile on the regime's chunk count makes the first estimates wide. The interval never
   has zero width (at least ``min_relative_width`` of the estimate on either side).
4. **Weighs what is left**: by items, or by bytes when every remaining item's size is known, whichever
   model has the narrower relative interval (the better fit to what the run has shown).

What the interval promises: when the run goes on at the pace and with the variability it has shown, the
remaining active time falls inside it about 80 % of the time. It cannot foresee a change of pace; after
one, it follows within a few chunks (about 5 % of the run so far) and is wide meanwhile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from omnimemory_kit.errors import ConfigError

__all__ = [
    "EtaConfig",
    "EtaEstimator",
    "EtaForecast",
    "student_t_quantile",
]


@dataclass(frozen=True, slots=True)
class EtaConfig:
    """How the ETA interval is built.

    Attributes:
        coverage: the share of outcomes the interval is built to contain (0.5..0.99).
        min_chunks: chunks of completions needed before an ETA is shown.
        max_chunks: chunks kept; past it neighbours merge in pairs (even, at least 8).
        min_regime_chunks: chunks needed after a level shift before the estimate follows it.
        shift_z: how many standard errors apart two paces must be to count as a level shift.
        min_relative_width: the smallest half-width of the interval, as a share of the estimate.
    """

    coverage: float = 0.8
    min_chunks: int = 4
    max_chunks: int = 64
    min_regime_chunks: int = 3
    shift_z: float = 5.0
    min_relative_width: float = 0.02

    def __post_init__(self) -> None:
        if not 0.5 <= self.coverage <= 0.99:
            raise ConfigError(f"coverage must be between 0.5 and 0.99, not {self.coverage!r}")
        if self.min_chunks < 2:
            raise ConfigError(f"min_chunks must be >= 2, not {self.min_chunks!r}")
        if self.max_chunks < 8 or self.max_chunks % 2:
            raise ConfigError(f"max_chunks must be an even number >= 8, not {self.max_chunks!r}")
        if not 2 <= self.min_regime_chunks <= self.max_chunks // 4:
            raise ConfigError(
                f"min_regime_chunks must be between 2 and max_chunks / 4, not {self.min_regime_chunks!r}"
            )
        if not (self.shift_z > 0 and math.isfinite(self.shift_z)):
            raise ConfigError(f"shift_z must be a positive number, not {self.shift_z!r}")
        if not 0 < self.min_relative_width < 1:
            raise ConfigError(f"min_relative_width must be between 0 and 1, not {self.min_relative_width!r}")


@dataclass(frozen=True, slots=True)
class EtaForecast:
    """The remaining active seconds: a point estimate inside an interval (``0 <= low < high``).

    ``basis`` is ``"items"`` or ``"bytes"`` (what the remaining work was weighed by); ``regime_chunks``
    is how many chunks of completions the pace was taken from (fewer than all after a level shift).
    """

    seconds: float
    low: float
    high: float
    basis: str
    regime_chunks: int


def student_t_quantile(p: float, df: float) -> float:
    """Return the ``p`` quantile of Student's t with ``df`` degrees of freedom (Cornish-Fisher expansion).

    Accurate to about 1 % for ``df >= 2`` and ``0.5 <= p <= 0.995``, which is all an interval needs.
    """
    z = NormalDist().inv_cdf(p)
    if math.isinf(df):
        return z
    z3, z5, z7 = z**3, z**5, z**7
    return (
        z
        + (z3 + z) / (4 * df)
        + (5 * z5 + 16 * z3 + 3 * z) / (96 * df**2)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df**3)
    )


class EtaEstimator:
    """Chunks of a run's completions over active time, and the ETA interval they support.

    ``observe`` is called once per finished item (or burst), in active-time order; ``forecast`` is pure
    and may be called at any time at or after the last observation.
    """

    __slots__ = (
        "_bytes",
        "_bytes_known",
        "_config",
        "_durations",
        "_fits",
        "_items",
        "_open_bytes",
        "_open_items",
        "_open_since",
        "_quantile",
        "_started",
        "_target",
        "_version",
    )

    def __init__(self, config: EtaConfig | None = None) -> None:
        self._config = config if config is not None else EtaConfig()
        self._durations: list[float] = []
        self._items: list[float] = []
        self._bytes: list[float] = []
        self._open_since = 0.0
        self._open_items = 0.0
        self._open_bytes = 0.0
        self._started = False
        self._target = 1.0
        self._quantile: dict[int, float] = {}
        # the regime and its fit change only when a chunk closes: cached per basis until then
        self._version = 0
        self._bytes_known = (-1, False)
        self._fits: dict[str, tuple[int, tuple[int, float, float, float] | None]] = {}

    @property
    def config(self) -> EtaConfig:
        """The settings this estimator was built with."""
        return self._config

    @property
    def chunks(self) -> int:
        """How many chunks of completions are closed."""
        return len(self._durations)

    def start(self, t: float) -> None:
        """Set the active time the first chunk is measured from, if not yet set."""
        if not self._started:
            self._started = True
            self._open_since = t

    def observe(self, t: float, count: float = 1.0, nbytes: float = 0.0) -> None:
        """Record ``count`` completions totalling ``nbytes`` at active time ``t``."""
        if not self._started:
            self.start(t)
        self._open_items += count
        self._open_bytes += nbytes
        duration = t - self._open_since
        if self._open_items < self._target or duration <= 0:
            return
        self._durations.append(duration)
        self._items.append(self._open_items)
        self._bytes.append(self._open_bytes)
        self._open_since = t
        self._open_items = 0.0
        self._open_bytes = 0.0
        self._version += 1
        if len(self._durations) > self._config.max_chunks:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        """Halve the chunks by merging neighbours (an odd last one stays), and double the chunk target."""
        for series in (self._durations, self._items, self._bytes):
            merged = [series[i] + series[i + 1] for i in range(0, len(series) - 1, 2)]
            if len(series) % 2:
                merged.append(series[-1])
            series[:] = merged
        self._target *= 2.0

    def forecast(
        self, now: float, remaining_items: float, remaining_bytes: float = 0.0
    ) -> EtaForecast | None:
        """Return the interval for the remaining work at active time ``now``, or None without evidence.

        Args:
            now: active seconds, at or after the last observation.
            remaining_items: items not finished yet (> 0).
            remaining_bytes: their bytes, or 0 when not every remaining item's size is known.

        Returns:
            None until ``min_chunks`` chunks are closed, or when the run has shown no measurable pace.
        """
        if len(self._durations) < self._config.min_chunks or remaining_items <= 0:
            return None
        gap = max(0.0, now - self._open_since) if self._started else 0.0
        best = self._fit(self._items, self._open_items, gap, remaining_items, "items")
        if remaining_bytes > 0 and self._every_chunk_has_bytes():
            by_bytes = self._fit(self._bytes, self._open_bytes, gap, remaining_bytes, "bytes")
            if by_bytes is not None and (
                best is None
                or by_bytes.high - by_bytes.low < (best.high - best.low) * by_bytes.seconds / best.seconds
            ):
                best = by_bytes
        return best

    def _fit(
        self, units: list[float], open_units: float, gap: float, remaining: float, basis: str
    ) -> EtaForecast | None:
        """Fit pace and scatter over the current regime of ``units`` and forecast ``remaining`` units."""
        cached = self._fits.get(basis)
        if cached is not None and cached[0] == self._version:
            fit = cached[1]
        else:
            fit = self._fit_regime(units)
            self._fits[basis] = (self._version, fit)
        if fit is None:
            return None
        n, spent, done, sigma2 = fit
        # the open chunk: its time counts towards the pace (a stall shows), its items too
        pace = (spent + gap) / (done + open_units)
        seconds = pace * remaining
        spread = math.sqrt(sigma2 * (remaining + remaining * remaining / done))
        half = max(self._t(n - 1) * spread, seconds * self._config.min_relative_width, 1e-9)
        low = max(0.0, seconds - half)
        return EtaForecast(seconds, low, seconds + half, basis, n)

    def _every_chunk_has_bytes(self) -> bool:
        """Return whether every closed chunk carries bytes (every size known); cached per chunk close."""
        version, known = self._bytes_known
        if version != self._version:
            known = min(self._bytes) > 0
            self._bytes_known = (self._version, known)
        return known

    def _fit_regime(self, units: list[float]) -> tuple[int, float, float, float] | None:
        """Return the regime's chunk count, time, units and noise variance per unit (None: no pace)."""
        durations = self._durations
        start = self._regime_start(units)
        n = len(durations) - start
        spent = math.fsum(durations[start:])
        done = math.fsum(units[start:])
        if done <= 0 or spent <= 0:
            return None
        pace = spent / done
        scatter = math.fsum(
            (d - pace * u) ** 2 / u for d, u in zip(durations[start:], units[start:], strict=True) if u > 0
        )
        return n, spent, done, scatter / (n - 1)

    def _t(self, df: int) -> float:
        """Return the two-sided quantile for the configured coverage (cached per degrees of freedom)."""
        q = self._quantile.get(df)
        if q is None:
            q = student_t_quantile(0.5 + self._config.coverage / 2, df)
            self._quantile[df] = q
        return q

    def _regime_start(self, units: list[float]) -> int:
        """Return the first chunk of the current pace: after the strongest level shift, or 0 without one."""
        durations = self._durations
        n = len(durations)
        need = self._config.min_regime_chunks
        if n < 2 * need:
            return 0
        # prefix sums of time, units and time**2 / units make each split O(1)
        d_sum = [0.0]
        u_sum = [0.0]
        q_sum = [0.0]
        for d, u in zip(durations, units, strict=True):
            d_sum.append(d_sum[-1] + d)
            u_sum.append(u_sum[-1] + u)
            q_sum.append(q_sum[-1] + (d * d / u if u > 0 else 0.0))
        best_z, best_split = self._config.shift_z, 0
        for split in range(need, n - need + 1):
            d_left, u_left = d_sum[split], u_sum[split]
            d_right, u_right = d_sum[n] - d_left, u_sum[n] - u_left
            if u_left <= 0 or u_right <= 0:
                continue
            pace_left, pace_right = d_left / u_left, d_right / u_right
            # sum over chunks of (d - pace * u)**2 / u = sum(d**2 / u) - pace**2 * U
            scatter = (q_sum[split] - pace_left * d_left) + (q_sum[n] - q_sum[split] - pace_right * d_right)
            sigma2 = max(scatter, 0.0) / (n - 2)
            if sigma2 <= 0:
                sigma2 = (1e-6 * (pace_left + pace_right)) ** 2 * (u_left + u_right) / n
            z = abs(pace_right - pace_left) / math.sqrt(sigma2 * (1 / u_left + 1 / u_right))
            if z > best_z:
                best_z, best_split = z, split
        return best_split

    def __repr__(self) -> str:
        return f"<EtaEstimator chunks={len(self._durations)} target={self._target:g}>"
