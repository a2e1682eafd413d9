"""Incidents: contiguous non-healthy intervals, per check and for the overall status. Pure functions.

An incident opens at the first sample that is not healthy (degraded, unhealthy or unknown) and closes at the
next healthy sample: its ``end`` is that sample's time, so its duration is how long nothing said it was
well. An incident still open at the last sample has ``end`` None. The worst status seen during it ranks
unhealthy over unknown over degraded; the first error is the first non-empty error recorded in it.

Samples inside a maintenance window are skipped: they neither open nor close an incident.
``incidents_from_history`` reads the samples of a ``HealthHistoryStore``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from omnimemory_kit.health.status import HealthStatus
from omnimemory_kit.store.base import HealthHistoryStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INCIDENT_COLUMNS",
    "OVERALL",
    "Incident",
    "find_incidents",
    "incidents_frame",
    "incidents_from_history",
]

OVERALL = "(overall)"
"""The name incidents of the overall status carry."""

INCIDENT_COLUMNS = ("name", "start", "end", "duration_s", "worst_status", "first_error", "samples")
"""The columns of ``incidents_frame``, in order."""

_SEVERITY = {
    str(HealthStatus.DEGRADED): 1,
    str(HealthStatus.UNKNOWN): 2,
    str(HealthStatus.UNHEALTHY): 3,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Incident:
    """One contiguous non-healthy interval of a check (or of the overall status).

    Attributes:
        name: the check, or ``OVERALL``.
        start: the first non-healthy sample's time.
        end: the next healthy sample's time; None while it is still open.
        worst_status: the worst status seen (unhealthy > unknown > degraded).
        first_error: the first error recorded during it, or None.
        samples: how many non-healthy samples it spans.
    """

    name: str
    start: dt.datetime
    end: dt.datetime | None
    worst_status: str
    first_error: str | None
    samples: int

    @property
    def duration(self) -> dt.timedelta | None:
        """Return how long it lasted (None while open)."""
        return None if self.end is None else self.end - self.start

    @property
    def is_open(self) -> bool:
        """Return whether it has not ended yet."""
        return self.end is None


Sample = tuple[float, str, str | None]
"""One observation: (epoch seconds, status, error or None)."""


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def find_incidents(
    name: str, samples: Iterable[Sample], *, in_maintenance: Callable[[str, float], bool] | None = None
) -> list[Incident]:
    """Return the incidents of one series of samples (in time order), oldest first."""
    incidents: list[Incident] = []
    start: float | None = None
    worst = ""
    first_error: str | None = None
    count = 0
    for at, status, error in samples:
        if in_maintenance is not None and in_maintenance(name, at):
            continue
        if status == str(HealthStatus.HEALTHY):
            if start is not None:
                incidents.append(Incident(name, _utc(start), _utc(at), worst, first_error, count))
                start, worst, first_error, count = None, "", None, 0
            continue
        if start is None:
            start = at
        if _SEVERITY.get(status, 2) > _SEVERITY.get(worst, 0):
            worst = status
        if first_error is None and error:
            first_error = error
        count += 1
    if start is not None:
        incidents.append(Incident(name, _utc(start), None, worst, first_error, count))
    return incidents


def incidents_from_history(
    store: HealthHistoryStore,
    *,
    since: float | None = None,
    until: float | None = None,
    name: str | None = None,
    overall: bool = True,
    in_maintenance: Callable[[str, float], bool] | None = None,
) -> list[Incident]:
    """Return the incidents recorded in a store, per check (and of the overall status), by start time.

    Args:
        store: the health history.
        since: only samples taken at or after this epoch time (an incident open before it starts here).
        until: only samples taken at or before this epoch time.
        name: only this check (and no overall incidents).
        overall: include the incidents of the overall status (``OVERALL``).
        in_maintenance: ``(check, epoch seconds) -> bool``: samples to skip.
    """
    per_check: dict[str, list[Sample]] = {}
    snapshots: dict[int, Sample] = {}
    for snapshot, check in store.health_history(since=since, until=until, name=name):
        per_check.setdefault(check.name, []).append((snapshot.taken_at, check.status, check.error))
        snapshots.setdefault(snapshot.snapshot_id, (snapshot.taken_at, snapshot.status, None))
    found = [
        incident
        for check_name, samples in per_check.items()
        for incident in find_incidents(check_name, samples, in_maintenance=in_maintenance)
    ]
    if overall and name is None:
        # the overall status is muted only when every check is in maintenance
        def all_muted(_: str, at: float) -> bool:
            return in_maintenance is not None and all(in_maintenance(n, at) for n in per_check)

        series = sorted(snapshots.values(), key=lambda sample: sample[0])
        found += find_incidents(OVERALL, series, in_maintenance=all_muted)
    return sorted(found, key=lambda incident: (incident.start, incident.name))


def incidents_frame(incidents: Iterable[Incident]) -> pd.DataFrame:
    """Return incidents as a DataFrame (columns: ``INCIDENT_COLUMNS``; ``end`` NaT while open)."""
    import pandas as pd

    rows = [
        (
            i.name,
            i.start,
            i.end,
            i.duration.total_seconds() if i.duration is not None else None,
            i.worst_status,
            i.first_error,
            i.samples,
        )
        for i in incidents
    ]
    frame = pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    frame["duration_s"] = frame["duration_s"].astype("float64")
    return frame
