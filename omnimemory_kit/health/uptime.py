"""Rollups, uptime and latency percentiles per check, read from minute, hour and day buckets.

Every recorded check result (a *sample*) is added at once to the bucket of its minute, its hour and its day
(``rollups_for``); the store adds counts and latency bins, so no later compaction step exists that could
lose a sample. Each resolution has its retention (``RollupRetention``: minutes 24 h, hours 30 d, days
365 d, as Uptime Kuma keeps them), and every window is read from the coarsest resolution that still shows
it finely enough:

======  ==========  =====================================================
window  resolution  starts at
======  ==========  =====================================================
1h      minute      the start of the minute holding ``now - 1 h``
24h     hour        the start of the hour holding ``now - 24 h``
7d      hour        the start of the hour holding ``now - 7 d``
30d     day         the start of the (UTC) day holding ``now - 30 d``
365d    day         the start of the (UTC) day holding ``now - 365 d``
======  ==========  =====================================================

So a window covers whole buckets: it reaches back up to one bucket further than its name, and the uptime
read from the rollups equals the uptime of the raw samples taken since the window's start exactly.

Uptime counts healthy and degraded samples as up, unhealthy and unknown ones as down; samples inside a
maintenance window count in neither (``maintenance`` says how many there were). Latency percentiles come
from a histogram with bins 10 % wide (``latency_bin``), so a percentile is within 5 % of the true one
(fewer, wider bins keep the uptime table fast over a year of rollups).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.status import HealthStatus
from omnimemory_kit.store.base import HealthHistoryStore, HealthRollupRow

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RESOLUTIONS",
    "UPTIME_COLUMNS",
    "WINDOWS",
    "RollupRetention",
    "WindowUptime",
    "bin_value",
    "bucket_start",
    "is_up",
    "latency_bin",
    "percentile",
    "rollups_for",
    "uptime_frame",
    "uptime_table",
    "window_start",
    "window_summaries",
]

RESOLUTIONS: Final[Mapping[str, int]] = {"minute": 60, "hour": 3600, "day": 86400}
"""Bucket lengths in seconds, finest first."""

WINDOWS: Final[Mapping[str, tuple[int, str]]] = {
    "1h": (3600, "minute"),
    "24h": (86400, "hour"),
    "7d": (7 * 86400, "hour"),
    "30d": (30 * 86400, "day"),
    "365d": (365 * 86400, "day"),
}
"""Each uptime window: its length in seconds and the resolution it is read from."""

_UP_STATUSES = frozenset({str(HealthStatus.HEALTHY), str(HealthStatus.DEGRADED)})
_BIN_FLOOR_MS: Final = 0.01
_BIN_RATIO: Final = 1.1
_LOG_RATIO: Final = math.log(_BIN_RATIO)
_LAST_BIN: Final = 220  # 0.01 ms * 1.1 ** 220 is about 3 hours: longer latencies share the last bin

UPTIME_COLUMNS = (
    "name",
    "window",
    "start",
    "samples",
    "up",
    "maintenance",
    "uptime",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
)
"""The columns of ``uptime_frame``, in order."""


@dataclasses.dataclass(frozen=True, slots=True)
class RollupRetention:
    """How long the rollups of each resolution are kept (Uptime Kuma's defaults).

    Raises:
        HealthConfigError: a retention is not a positive timedelta.
    """

    minute: dt.timedelta = dt.timedelta(hours=24)
    hour: dt.timedelta = dt.timedelta(days=30)
    day: dt.timedelta = dt.timedelta(days=365)

    def __post_init__(self) -> None:
        for resolution in RESOLUTIONS:
            value = getattr(self, resolution)
            if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
                raise HealthConfigError(f"{resolution} rollup retention must be a positive timedelta")

    def cutoffs(self, now: float) -> dict[str, float]:
        """Return, per resolution, the epoch time before which its rollups are deleted."""
        return {resolution: now - getattr(self, resolution).total_seconds() for resolution in RESOLUTIONS}


@dataclasses.dataclass(frozen=True, slots=True)
class WindowUptime:
    """One check's uptime and latency over one window.

    ``uptime`` is the share of samples up (0..1), None when the window holds no sample outside
    maintenance; the latency figures are None without latencies.
    """

    name: str
    window: str
    start: dt.datetime
    samples: int
    up: int
    maintenance: int
    uptime: float | None
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


def bucket_start(at: float, resolution: str) -> float:
    """Return the start of the bucket of ``resolution`` holding the epoch time ``at``."""
    length = RESOLUTIONS[resolution]
    return math.floor(at / length) * float(length)


def window_start(now: float, window: str) -> float:
    """Return where a window ending at ``now`` starts: the start of the bucket holding ``now - length``."""
    length, resolution = WINDOWS[window]
    return bucket_start(now - length, resolution)


def is_up(status: str) -> bool:
    """Return whether a recorded status counts as up (healthy or degraded)."""
    return status in _UP_STATUSES


def latency_bin(latency_ms: float) -> int:
    """Return the histogram bin of a latency: bin ``i`` holds ``0.01 ms * 1.1**i`` up to the next bin."""
    if not latency_ms > _BIN_FLOOR_MS:
        return 0
    return min(_LAST_BIN, int(math.log(latency_ms / _BIN_FLOOR_MS) / _LOG_RATIO))


def bin_value(number: int) -> float:
    """Return the latency a bin stands for: the geometric middle of its range, in milliseconds."""
    return float(_BIN_FLOOR_MS * _BIN_RATIO ** (number + 0.5))


def percentile(bins: Sequence[tuple[int, int]], q: float) -> float | None:
    """Return the ``q`` quantile (0 < q <= 1) of a histogram of ``(bin, count)`` pairs, bin ascending."""
    total = sum(count for _, count in bins)
    if total == 0:
        return None
    rank = math.ceil(q * total)
    seen = 0
    for number, count in bins:
        seen += count
        if seen >= rank:
            return bin_value(number)
    return bin_value(bins[-1][0])


def rollups_for(
    name: str, at: float, status: str, latency_ms: float | None, *, maintenance: bool = False
) -> list[HealthRollupRow]:
    """Return one sample as a rollup row of its minute, its hour and its day."""
    timed = latency_ms is not None and not maintenance
    return [
        HealthRollupRow(
            name,
            resolution,
            bucket_start(at, resolution),
            total=0 if maintenance else 1,
            up=1 if not maintenance and is_up(status) else 0,
            maintenance=1 if maintenance else 0,
            latency_count=1 if timed else 0,
            latency_sum_ms=float(latency_ms) if timed and latency_ms is not None else 0.0,
            latency_bins=((latency_bin(latency_ms), 1),) if timed and latency_ms is not None else (),
        )
        for resolution in RESOLUTIONS
    ]


def _summarize(row: HealthRollupRow | None, name: str, window: str, start: float) -> WindowUptime:
    if row is None:
        row = HealthRollupRow(name, WINDOWS[window][1], start)
    bins = row.latency_bins
    return WindowUptime(
        name=name,
        window=window,
        start=dt.datetime.fromtimestamp(start, dt.UTC),
        samples=row.total,
        up=row.up,
        maintenance=row.maintenance,
        uptime=row.up / row.total if row.total else None,
        mean_ms=row.latency_sum_ms / row.latency_count if row.latency_count else None,
        p50_ms=percentile(bins, 0.50),
        p95_ms=percentile(bins, 0.95),
        p99_ms=percentile(bins, 0.99),
    )


def uptime_table(
    store: HealthHistoryStore,
    now: float,
    *,
    windows: Iterable[str] = tuple(WINDOWS),
    names: Iterable[str] = (),
) -> list[WindowUptime]:
    """Return each check's uptime and latency percentiles per window, read from the rollups.

    Args:
        store: where the rollups are.
        now: the end of every window (epoch seconds).
        windows: which windows (keys of ``WINDOWS``), in the order wanted.
        names: checks to list even without any sample (those with samples are always listed).

    Raises:
        HealthConfigError: an unknown window.
    """
    chosen = list(windows)
    for window in chosen:
        if window not in WINDOWS:
            raise HealthConfigError(f"unknown uptime window {window!r}; expected one of {', '.join(WINDOWS)}")
    summaries = window_summaries(store, now, chosen)
    every = list(dict.fromkeys([*names, *sorted({name for rows in summaries.values() for name in rows})]))
    return [
        _summarize(summaries[window].get(name), name, window, window_start(now, window))
        for name in every
        for window in chosen
    ]


def _merge(into: dict[str, HealthRollupRow], rows: Iterable[HealthRollupRow]) -> None:
    """Add rollup rows into per-check sums (counts and latency bins)."""
    for row in rows:
        have = into.get(row.name)
        if have is None:
            into[row.name] = row
            continue
        bins = dict(have.latency_bins)
        for number, count in row.latency_bins:
            bins[number] = bins.get(number, 0) + count
        into[row.name] = dataclasses.replace(
            have,
            total=have.total + row.total,
            up=have.up + row.up,
            maintenance=have.maintenance + row.maintenance,
            latency_count=have.latency_count + row.latency_count,
            latency_sum_ms=have.latency_sum_ms + row.latency_sum_ms,
            latency_bins=tuple(sorted(bins.items())),
        )


def _cover(
    store: HealthHistoryStore, low: float, high: float | None, latency: bool = True
) -> dict[str, HealthRollupRow]:
    """Sum every sample taken in ``[low, high)`` (``high`` None: up to now) per check, reading as few rows
    as possible: whole days from day rows, the hours at the edges from hour rows, the minutes from minute
    rows. ``low`` and ``high`` must be minute boundaries."""
    sums: dict[str, HealthRollupRow] = {}
    pending: list[tuple[float, float | None, int]] = [(low, high, len(RESOLUTIONS) - 1)]
    names = list(RESOLUTIONS)
    while pending:
        lo, hi, level = pending.pop()
        if hi is not None and lo >= hi:
            continue
        resolution = names[level]
        length = RESOLUTIONS[resolution]
        inner_lo = math.ceil(lo / length) * float(length)
        inner_hi = None if hi is None else max(inner_lo, math.floor(hi / length) * float(length))
        if level == 0:  # minutes: every bound is on one
            inner_lo, inner_hi = lo, hi
        if inner_hi is None or inner_lo < inner_hi:
            _merge(
                sums, store.summarize_health_rollups(resolution=resolution, since=inner_lo, until=inner_hi)
            )
        if level > 0:
            pending.append((lo, min(inner_lo, hi) if hi is not None else inner_lo, level - 1))
            if inner_hi is not None and hi is not None and inner_hi < hi:
                pending.append((inner_hi, hi, level - 1))
    return sums


def window_summaries(
    store: HealthHistoryStore, now: float, windows: Iterable[str] = tuple(WINDOWS), *, latency: bool = True
) -> dict[str, dict[str, HealthRollupRow]]:
    """Return, per window, each check's rollups summed from the window's start on.

    The windows are nested (each longer one starts earlier), so each is the next shorter one plus the
    range between their starts: every rollup row is read once, from the coarsest resolution that fits.
    ``latency=False`` leaves the latency bins out.
    """
    chosen = sorted(set(windows), key=lambda window: -window_start(now, window))
    result: dict[str, dict[str, HealthRollupRow]] = {}
    running: dict[str, HealthRollupRow] = {}
    previous: float | None = None
    for window in chosen:
        start = window_start(now, window)
        _merge(running, _cover(store, start, previous, latency).values())
        result[window] = dict(running)
        previous = start
    return result


def uptime_frame(rows: Sequence[WindowUptime]) -> pd.DataFrame:
    """Return ``uptime_table`` rows as a DataFrame (columns: ``UPTIME_COLUMNS``)."""
    import pandas as pd

    frame = pd.DataFrame([dataclasses.astuple(row) for row in rows], columns=list(UPTIME_COLUMNS))
    for column in ("uptime", "mean_ms", "p50_ms", "p95_ms", "p99_ms"):
        frame[column] = frame[column].astype("float64")
    return frame
