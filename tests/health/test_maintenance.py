"""Maintenance windows: which samples they cover, which windows are refused, uptime without them."""

from __future__ import annotations

import datetime as dt

import pytest

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
from omnimemory_kit.health.maintenance import MaintenanceSchedule, MaintenanceWindow
from omnimemory_kit.health.uptime import uptime_table
from omnimemory_kit.store import open_store

T0 = dt.datetime(2027, 1, 15, 2, 0, tzinfo=dt.UTC)


def window(start_min: int, end_min: int, *checks: str) -> MaintenanceWindow:
    """A window from T0 + start_min to T0 + end_min minutes over ``checks`` (all when none)."""
    return MaintenanceWindow(T0 + dt.timedelta(minutes=start_min), T0 + dt.timedelta(minutes=end_min), checks)


class TestWindows:
    def test_a_window_covers_its_checks_from_start_up_to_end(self) -> None:
        """Start is inside, end is outside, and only the named checks are covered."""
        schedule = MaintenanceSchedule([window(0, 60, "db")])
        start, end = T0.timestamp(), T0.timestamp() + 3600
        assert schedule("db", start)
        assert schedule("db", end - 1)
        assert not schedule("db", end)
        assert not schedule("db", start - 1)
        assert not schedule("cache", start + 10)

    def test_a_window_without_checks_covers_every_check(self) -> None:
        """No checks named means all of them."""
        assert MaintenanceSchedule([window(0, 10)])("anything", T0.timestamp())

    def test_overlapping_windows_over_a_common_check_are_refused(self) -> None:
        """Two windows overlapping for 'db' are refused, naming both intervals."""
        with pytest.raises(HealthConfigError, match="overlap: 2027-01-15T02:00:00"):
            MaintenanceSchedule([window(30, 90, "db", "cache"), window(0, 60, "db")])

    def test_back_to_back_or_disjoint_check_windows_are_fine(self) -> None:
        """A window ending where the next starts, or overlapping over other checks, is accepted."""
        schedule = MaintenanceSchedule([window(0, 60, "db"), window(60, 120, "db"), window(30, 90, "cache")])
        assert len(schedule.windows) == 3

    def test_ill_formed_windows_are_refused(self) -> None:
        """A naive start or an end not after the start is a config error."""
        with pytest.raises(HealthConfigError, match="UTC offset"):
            MaintenanceWindow(dt.datetime(2027, 1, 1), T0)
        with pytest.raises(HealthConfigError, match="when it starts"):
            window(10, 10)
        with pytest.raises(HealthConfigError, match="before it starts"):
            window(10, 9)


class TestUptimeExcludesMaintenance:
    def test_down_samples_in_a_window_do_not_count(self) -> None:
        """Down 20 of 60 minutes, all inside a maintenance window: uptime stays 100 %, 20 in maintenance."""
        schedule = MaintenanceSchedule([window(10, 30, "db")])
        clock = FakeClock(wall_start=T0.timestamp() + 3600)
        with open_store("sqlite://") as store:
            history = HealthHistory(store, clock=clock, maintenance=schedule)
            for minute in range(60):
                at = T0 + dt.timedelta(minutes=minute, seconds=1)
                status = HealthStatus.UNHEALTHY if 10 <= minute < 30 else HealthStatus.HEALTHY
                dependency = DependencyHealth(
                    name="db",
                    dependency_type=DependencyType.DATABASE,
                    component_type=ComponentType.DATASTORE,
                    critical=True,
                    status=status,
                    observed_status=status,
                    checked_at=at,
                    latency_ms=1.0,
                )
                history.record(HealthResponse(status=status, checked_at=at, duration_ms=1.0,
                                              dependencies={"db": dependency}))  # fmt: skip
            (row,) = uptime_table(store, clock.time(), windows=("24h",))
        assert (row.uptime, row.samples, row.maintenance) == (1.0, 40, 20)
