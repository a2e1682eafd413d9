"""Incidents: contiguous non-healthy intervals per check and overall, with maintenance skipped."""

from __future__ import annotations

import datetime as dt

from omnimemory_kit.health.incidents import OVERALL, find_incidents, incidents_frame, incidents_from_history
from omnimemory_kit.health.maintenance import MaintenanceSchedule, MaintenanceWindow
from omnimemory_kit.store import HealthCheckRow, HealthSnapshotRow, open_store


def utc(seconds: float) -> dt.datetime:
    """Return epoch seconds as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


class TestFindIncidents:
    def test_an_interval_opens_at_the_first_bad_sample_and_closes_at_the_next_healthy_one(self) -> None:
        """healthy, degraded, unhealthy, healthy gives one incident from the degraded to the last sample."""
        samples = [(0.0, "healthy", None), (10.0, "degraded", "slow"), (20.0, "unhealthy", "refused"),
                   (30.0, "healthy", None)]  # fmt: skip
        (incident,) = find_incidents("db", samples)
        assert (incident.start, incident.end) == (utc(10.0), utc(30.0))
        assert incident.duration == dt.timedelta(seconds=20)
        assert (incident.worst_status, incident.first_error, incident.samples) == ("unhealthy", "slow", 2)

    def test_an_incident_still_bad_at_the_end_is_open(self) -> None:
        """A series ending unhealthy gives an open incident with no end and no duration."""
        (incident,) = find_incidents("db", [(5.0, "unknown", None), (6.0, "degraded", None)])
        assert incident.is_open
        assert incident.duration is None
        assert incident.worst_status == "unknown"  # unknown ranks above degraded

    def test_two_outages_are_two_incidents(self) -> None:
        """A healthy sample between two bad stretches splits them."""
        samples = [
            (1.0, "unhealthy", "a"),
            (2.0, "healthy", None),
            (3.0, "unhealthy", "b"),
            (4.0, "healthy", None),
        ]
        assert [(i.start, i.first_error) for i in find_incidents("db", samples)] == [
            (utc(1.0), "a"),
            (utc(3.0), "b"),
        ]

    def test_samples_in_maintenance_neither_open_nor_close(self) -> None:
        """A bad sample inside maintenance opens nothing; a healthy one there does not close an incident."""
        muted = {2.0, 4.0}
        samples = [(1.0, "healthy", None), (2.0, "unhealthy", "m"), (3.0, "unhealthy", "x"),
                   (4.0, "healthy", None), (5.0, "healthy", None)]  # fmt: skip
        (incident,) = find_incidents("db", samples, in_maintenance=lambda name, at: at in muted)
        assert (incident.start, incident.end, incident.first_error) == (utc(3.0), utc(5.0), "x")


class TestFromHistory:
    def test_per_check_and_overall_incidents_come_from_the_store(self) -> None:
        """Recorded snapshots give each check's incidents and those of the overall status, by start time."""
        with open_store("sqlite://") as store:
            for at, db, cache, overall in [
                (10.0, "healthy", "healthy", "healthy"),
                (20.0, "unhealthy", "healthy", "unhealthy"),
                (30.0, "healthy", "degraded", "degraded"),
                (40.0, "healthy", "healthy", "healthy"),
            ]:
                checks = (
                    HealthCheckRow("db", db, True, error="down" if db != "healthy" else None),
                    HealthCheckRow("cache", cache, False),
                )
                store.record_health(HealthSnapshotRow(at, overall, checks))
            found = incidents_from_history(store)
            frame = incidents_frame(found)
            only_db = incidents_from_history(store, name="db")
        assert [(i.name, i.start, i.end, i.worst_status) for i in found] == [
            (OVERALL, utc(20.0), utc(40.0), "unhealthy"),
            ("db", utc(20.0), utc(30.0), "unhealthy"),
            ("cache", utc(30.0), utc(40.0), "degraded"),
        ]
        assert found[1].first_error == "down"
        assert frame["duration_s"].tolist() == [20.0, 10.0, 10.0]
        assert [i.name for i in only_db] == ["db"]

    def test_overall_is_muted_only_when_every_check_is_in_maintenance(self) -> None:
        """A window over one of two checks keeps the overall incident; one over both removes it."""
        start, end = utc(15.0), utc(25.0)
        with open_store("sqlite://") as store:
            for at, status in [(10.0, "healthy"), (20.0, "unhealthy"), (30.0, "healthy")]:
                checks = (HealthCheckRow("db", status, True), HealthCheckRow("cache", "healthy", False))
                store.record_health(HealthSnapshotRow(at, status, checks))
            one = MaintenanceSchedule([MaintenanceWindow(start, end, ("db",))])
            every = MaintenanceSchedule([MaintenanceWindow(start, end)])
            assert [i.name for i in incidents_from_history(store, in_maintenance=one)] == [OVERALL]
            assert incidents_from_history(store, in_maintenance=every) == []
