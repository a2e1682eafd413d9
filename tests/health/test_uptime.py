"""Rollups, uptime and latency percentiles: read from minute/hour/day buckets, equal to the raw samples."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health import (
    ComponentType,
    DependencyHealth,
    DependencyType,
    HealthResponse,
    HealthStatus,
)
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.uptime import (
    WINDOWS,
    RollupRetention,
    bin_value,
    bucket_start,
    latency_bin,
    percentile,
    rollups_for,
    uptime_frame,
    uptime_table,
    window_start,
)
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import HealthHistoryStore

NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15T08:00:00Z), not on a day boundary
DAY = 86400.0


def record(history: HealthHistory, at: float, name: str, status: str, latency_ms: float | None = 1.0) -> None:
    """Record one check result taken at ``at`` through ``HealthHistory.record`` (snapshot and rollups)."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    dependency = DependencyHealth(
        name=name,
        dependency_type=DependencyType.DATABASE,
        component_type=ComponentType.DATASTORE,
        critical=True,
        status=HealthStatus(status),
        observed_status=HealthStatus(status),
        checked_at=moment,
        latency_ms=latency_ms,
    )
    response = HealthResponse(
        status=HealthStatus(status), checked_at=moment, duration_ms=0.0, dependencies={name: dependency}
    )
    history.record(response)


class TestBuckets:
    def test_bucket_start_floors_to_the_resolution(self) -> None:
        """A time falls in the minute, hour and UTC day that start at or before it."""
        at = NOW + 3725.5  # 09:02:05.5
        assert bucket_start(at, "minute") == NOW + 3720
        assert bucket_start(at, "hour") == NOW + 3600
        assert bucket_start(at, "day") == math.floor(at / DAY) * DAY

    def test_window_starts_at_the_bucket_holding_now_minus_its_length(self) -> None:
        """The 1h window starts on a minute boundary, 30d on a day boundary, never later than now - length."""
        now = NOW + 125.0
        assert window_start(now, "1h") == now - 3600 - 5
        assert window_start(now, "30d") == math.floor((now - 30 * DAY) / DAY) * DAY

    def test_one_sample_lands_in_its_minute_hour_and_day(self) -> None:
        """rollups_for gives three rows, one per resolution, each counting the sample once."""
        rows = rollups_for("db", NOW + 61, "degraded", 4.0)
        assert [(r.resolution, r.bucket_start, r.total, r.up) for r in rows] == [
            ("minute", NOW + 60, 1, 1),
            ("hour", NOW, 1, 1),
            ("day", bucket_start(NOW, "day"), 1, 1),
        ]
        assert rows[0].latency_bins == ((latency_bin(4.0), 1),)

    def test_a_maintenance_sample_counts_only_as_maintenance(self) -> None:
        """A sample in maintenance is neither up nor down and brings no latency."""
        (row, *_) = rollups_for("db", NOW, "unhealthy", 4.0, maintenance=True)
        assert (row.total, row.up, row.maintenance, row.latency_count, row.latency_bins) == (0, 0, 1, 0, ())


class TestPercentiles:
    @given(st.floats(min_value=0.02, max_value=1_000_000.0))
    def test_a_bin_stands_for_its_latencies_within_5_percent(self, latency: float) -> None:
        """The value of a latency's bin is within 5 % of the latency."""
        assert abs(bin_value(latency_bin(latency)) - latency) <= 0.05 * latency

    def test_percentiles_pick_the_bin_holding_the_rank(self) -> None:
        """Of 100 samples, 94 fast and 6 slow, p50 is fast, p95 and p99 are slow."""
        bins = [(latency_bin(1.0), 94), (latency_bin(100.0), 6)]
        assert percentile(bins, 0.50) == pytest.approx(1.0, rel=0.05)
        assert percentile(bins, 0.95) == pytest.approx(100.0, rel=0.05)
        assert percentile([], 0.5) is None


@st.composite
def sample_sets(draw: st.DrawFn) -> list[tuple[float, str, str, float | None]]:
    """Samples of two checks spread over 40 days before NOW: (at, name, status, latency)."""
    count = draw(st.integers(min_value=0, max_value=60))
    return [
        (
            NOW - draw(st.floats(min_value=0.0, max_value=40 * DAY, allow_nan=False)),
            draw(st.sampled_from(["db", "web"])),
            draw(st.sampled_from(["healthy", "degraded", "unhealthy", "unknown"])),
            draw(st.one_of(st.none(), st.floats(min_value=0.0, max_value=5000.0))),
        )
        for _ in range(count)
    ]


def fresh_history(maintenance_before: float | None = None) -> HealthHistory:
    """An in-memory store's history keeping everything; samples before a time count as maintenance."""
    store = open_store("sqlite://")
    return HealthHistory(
        store,
        clock=FakeClock(wall_start=NOW),
        retention=None,
        rollup_retention=RollupRetention(minute=dt.timedelta(days=400), hour=dt.timedelta(days=400)),
        maintenance=(lambda name, at: at < maintenance_before) if maintenance_before is not None else None,
    )


def raw_uptime(
    store: HealthHistoryStore, name: str, since: float, excluded_before: float | None
) -> float | None:
    """Uptime straight from the raw snapshots since ``since`` (maintenance samples left out)."""
    statuses = [
        check.status
        for snapshot, check in store.health_history(since=since, name=name)
        if excluded_before is None or snapshot.taken_at >= excluded_before
    ]
    if not statuses:
        return None
    return sum(status in ("healthy", "degraded") for status in statuses) / len(statuses)


class TestUptimeFromRollups:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        samples=sample_sets(), maintenance_days=st.one_of(st.none(), st.integers(min_value=1, max_value=35))
    )
    def test_uptime_from_rollups_equals_uptime_from_raw_samples(
        self, samples: list[tuple[float, str, str, float | None]], maintenance_days: int | None
    ) -> None:
        """For every check and window, the rollups' uptime equals the raw samples' since the window start."""
        cutoff = NOW - maintenance_days * DAY if maintenance_days is not None else None
        history = fresh_history(cutoff)
        with history.store:
            for at, name, status, latency in samples:
                record(history, at, name, status, latency)
            for row in uptime_table(history.store, NOW, names=("db", "web")):
                start = row.start.timestamp()
                expected = raw_uptime(history.store, row.name, start, cutoff)
                assert row.uptime == expected, (row.name, row.window)
                excluded = sum(
                    1
                    for at, name, _, _ in samples
                    if name == row.name and at >= start and cutoff and at < cutoff
                )
                assert row.maintenance == excluded

    def test_window_figures_for_a_known_history(self) -> None:
        """A check down for one of the last four hours has 75 % over 24h and 100 % over the last hour."""
        history = fresh_history()
        with history.store:
            for minute in range(4 * 60):
                at = NOW - 4 * 3600 + 60 * minute + 1
                status = "unhealthy" if minute < 60 else "healthy"
                record(history, at, "db", status, latency_ms=10.0 if minute % 10 else 200.0)
            table = {row.window: row for row in uptime_table(history.store, NOW)}
        assert table["1h"].uptime == 1.0
        assert table["24h"].uptime == 0.75
        assert table["24h"].samples == 240
        assert table["24h"].p50_ms == pytest.approx(10.0, rel=0.05)
        assert table["24h"].p95_ms == pytest.approx(200.0, rel=0.05)
        assert table["24h"].mean_ms == pytest.approx((216 * 10.0 + 24 * 200.0) / 240)

    def test_a_check_without_samples_is_listed_with_no_uptime(self) -> None:
        """A named check with no sample has uptime None (not 0 and not 100 %)."""
        history = fresh_history()
        with history.store:
            rows = uptime_table(history.store, NOW, windows=("1h",), names=("idle",))
        assert [(r.name, r.window, r.samples, r.uptime) for r in rows] == [("idle", "1h", 0, None)]

    def test_unknown_window_is_refused(self) -> None:
        """Asking for a window that does not exist names it and the ones that do."""
        history = fresh_history()
        with history.store, pytest.raises(HealthConfigError, match=r"'2h'.*1h, 24h"):
            uptime_table(history.store, NOW, windows=("2h",))

    def test_frame_has_one_row_per_check_and_window(self) -> None:
        """uptime_frame gives one row per (check, window) with float uptime columns."""
        history = fresh_history()
        with history.store:
            record(history, NOW - 10, "db", "healthy")
            frame = uptime_frame(uptime_table(history.store, NOW))
        assert list(frame["window"]) == list(WINDOWS)
        assert frame["uptime"].tolist() == [1.0] * len(WINDOWS)


class TestRetention:
    def test_history_records_rollups_and_prunes_each_resolution(self) -> None:
        """Recording adds rollups; once a day passes, the minute rows go and the hour and day rows stay."""
        clock = FakeClock(wall_start=NOW)
        store = open_store("sqlite://")
        history = HealthHistory(store, clock=clock)
        with store:
            record(history, NOW, "db", "healthy", 2.0)
            assert [len(store.health_rollups(resolution=r)) for r in ("minute", "hour", "day")] == [1, 1, 1]
            clock.advance(DAY + 120)
            history.prune()
            assert [len(store.health_rollups(resolution=r)) for r in ("minute", "hour", "day")] == [0, 1, 1]

    def test_a_non_positive_retention_is_refused(self) -> None:
        """A zero rollup retention is a config error naming the resolution."""
        with pytest.raises(HealthConfigError, match="hour rollup retention"):
            RollupRetention(hour=dt.timedelta(0))
