"""Health history in the real SQLite store: recording, querying as a DataFrame, and retention."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from omnimemory_kit import CheckResult, HealthCheckConfig, HealthManager, HealthStatus
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.history import HISTORY_COLUMNS, HealthHistory
from omnimemory_kit.store import SQLiteStore

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[SQLiteStore]:
    """A real SQLite store in a temporary file."""
    opened = SQLiteStore(tmp_path / "health.db", clock=clock)
    yield opened
    opened.close()


def make_manager(clock: FakeClock, history: HealthHistory) -> HealthManager:
    """A manager with a healthy database and a failing, non-critical cache whose error quotes a DSN."""
    manager = HealthManager(clock=clock, history=history, sample_resources=False)

    async def cache() -> bool:
        raise ConnectionError("cannot reach redis://:hunter2@cache:6379/0")

    manager.register_health_check(
        HealthCheckConfig(name="db", critical=True),
        lambda: CheckResult(observed_value=7.0, observed_unit="connections"),
    )
    manager.register_health_check(HealthCheckConfig(name="cache", critical=False), cache)
    return manager


class TestRecordAndQuery:
    async def test_every_response_is_recorded_one_row_per_check(
        self, clock: FakeClock, store: SQLiteStore
    ) -> None:
        """Two rounds of two checks give four rows with the documented columns and values."""
        history = HealthHistory(store, clock=clock)
        manager = make_manager(clock, history)
        first = await manager.get_comprehensive_health()
        clock.advance(60.0)
        await manager.get_comprehensive_health()
        frame = history.frame()
        assert list(frame.columns) == list(HISTORY_COLUMNS)
        assert len(frame) == 4
        assert list(frame["name"]) == ["db", "cache", "db", "cache"]
        assert list(frame["overall_status"]) == ["degraded"] * 4
        db = frame.iloc[0]
        assert (db["status"], db["critical"], db["observed_value"], db["observed_unit"]) == (
            "healthy",
            True,
            7.0,
            "connections",
        )
        assert frame.iloc[1]["error"] == "ConnectionError: cannot reach redis://:***@cache:6379/0"
        assert frame["taken_at"].iloc[0] == pd.Timestamp(first.checked_at)
        assert str(frame["taken_at"].dt.tz) == "UTC"
        assert (frame["taken_at"].iloc[2] - frame["taken_at"].iloc[0]).total_seconds() == 60.0
        assert frame["latency_ms"].dtype == "float64"
        assert frame["critical"].dtype == bool

    async def test_the_payload_is_the_redacted_ietf_document(
        self, clock: FakeClock, store: SQLiteStore
    ) -> None:
        """The stored payload is the health+json document, without the password."""
        history = HealthHistory(store, clock=clock)
        response = await make_manager(clock, history).get_comprehensive_health()
        (snapshot, _), *_ = store.health_history()
        assert json.loads(snapshot.payload_json) == response.to_ietf()
        assert "hunter2" not in snapshot.payload_json

    async def test_filters_by_time_and_name(self, clock: FakeClock, store: SQLiteStore) -> None:
        """since/until (datetime or epoch seconds, inclusive) and name narrow the rows."""
        history = HealthHistory(store, clock=clock)
        manager = make_manager(clock, history)
        times = []
        for _ in range(3):
            times.append((await manager.get_comprehensive_health()).checked_at)
            clock.advance(HOUR)
        middle = history.frame(since=times[1], until=times[1].timestamp())
        assert list(middle["taken_at"]) == [pd.Timestamp(times[1])] * 2
        naive = times[2].replace(tzinfo=None)  # naive datetimes are UTC
        assert len(history.frame(since=naive)) == 2
        only_db = history.frame(name="db")
        assert list(only_db["name"]) == ["db"] * 3
        assert history.frame(name="nope").empty

    def test_an_empty_history_has_the_columns_and_types(self, clock: FakeClock, store: SQLiteStore) -> None:
        """With nothing recorded the frame is empty but typed, so notebook code still works."""
        frame = HealthHistory(store, clock=clock).frame()
        assert frame.empty
        assert list(frame.columns) == list(HISTORY_COLUMNS)
        assert str(frame["taken_at"].dtype).startswith("datetime64")
        assert frame["latency_ms"].dtype == "float64"

    def test_bad_time_bound_is_a_clear_error(self, clock: FakeClock, store: SQLiteStore) -> None:
        """A since that is neither a datetime nor a number names the argument."""
        with pytest.raises(HealthConfigError, match="since must be a datetime or epoch seconds"):
            HealthHistory(store, clock=clock).frame(since="yesterday")  # type: ignore[arg-type]


class TestRetention:
    async def test_record_prunes_at_most_once_per_interval(
        self, clock: FakeClock, store: SQLiteStore
    ) -> None:
        """record() deletes snapshots older than the retention, but only once per prune interval."""
        history = HealthHistory(store, retention=dt.timedelta(days=1), clock=clock)
        manager = make_manager(clock, history)
        await manager.get_comprehensive_health()  # t=0: A
        clock.advance(0.5 * HOUR)
        await manager.get_comprehensive_health()  # t=30 min: B
        clock.advance(DAY)
        await manager.get_comprehensive_health()  # t=1 d 30 min: C, prune due: A goes
        assert history.frame()["taken_at"].nunique() == 2
        clock.advance(10 * 60.0)
        await manager.get_comprehensive_health()  # t=1 d 40 min: D, prune not due: B stays for now
        assert history.frame()["taken_at"].nunique() == 3
        assert history.prune() == 1  # an explicit prune removes B
        assert history.frame()["taken_at"].nunique() == 2
        assert history.pruned == 2

    async def test_default_retention_is_30_days(self, clock: FakeClock, store: SQLiteStore) -> None:
        """Snapshots survive 29 days and are gone after 31 by default."""
        history = HealthHistory(store, clock=clock)
        manager = make_manager(clock, history)
        await manager.get_comprehensive_health()
        clock.advance(29 * DAY)
        await manager.get_comprehensive_health()
        assert history.frame()["taken_at"].nunique() == 2
        clock.advance(2 * DAY)
        await manager.get_comprehensive_health()
        assert history.frame()["taken_at"].nunique() == 2

    async def test_prune_with_an_explicit_retention(self, clock: FakeClock, store: SQLiteStore) -> None:
        """prune(retention=...) uses the given window."""
        history = HealthHistory(store, retention=None, clock=clock)
        manager = make_manager(clock, history)
        await manager.get_comprehensive_health()
        clock.advance(2 * HOUR)
        await manager.get_comprehensive_health()
        assert history.prune(dt.timedelta(hours=1)) == 1
        with pytest.raises(HealthConfigError, match="prune needs a retention"):
            history.prune()

    @pytest.mark.parametrize("retention", [dt.timedelta(0), dt.timedelta(seconds=-5), 30])
    def test_bad_retention_is_refused(self, clock: FakeClock, store: SQLiteStore, retention: object) -> None:
        """A retention that is not a positive timedelta is a HealthConfigError naming it."""
        with pytest.raises(HealthConfigError, match="retention must be a positive timedelta"):
            HealthHistory(store, retention=retention, clock=clock)  # type: ignore[arg-type]


class TestRecordingFailures:
    async def test_a_store_failure_is_noted_not_raised(self, clock: FakeClock, tmp_path: Path) -> None:
        """If the store cannot record, the response still comes back and says so in its notes."""
        broken = SQLiteStore(tmp_path / "h.db", clock=clock)
        history = HealthHistory(broken, clock=clock)
        manager = make_manager(clock, history)
        broken.close()
        response = await manager.get_comprehensive_health()
        assert response.status == HealthStatus.DEGRADED
        assert any(note.startswith("snapshot not recorded: ") for note in response.notes)
        assert response.to_ietf()["notes"] == list(response.notes)

    def test_repr_shows_counts(self, clock: FakeClock, store: SQLiteStore) -> None:
        """The repr shows the store, retention and counts."""
        text = repr(HealthHistory(store, clock=clock))
        assert "retention=30 days, 0:00:00 recorded=0 pruned=0" in text
