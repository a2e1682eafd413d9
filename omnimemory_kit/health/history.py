"""Health history: record every snapshot in the store, query it back as a DataFrame, keep it bounded.

Each recorded response becomes one ``HealthSnapshotRow`` (overall status, the full health+json payload)
with one ``HealthCheckRow`` per dependency. ``frame()`` returns one row per check per snapshot, ready for
status timelines, latency percentiles and flapping counts in notebooks.

Each check of a recorded snapshot is also added to its minute, hour and day rollups
(``omnimemory_kit.health.uptime``), from which uptime and latency percentiles are read; a check inside a
maintenance window (``maintenance``) counts as maintenance there, not as up or down.

Retention: snapshots older than ``retention`` (30 days by default) are deleted, and rollups older than
their resolution's retention (``rollup_retention``). ``record()`` applies both itself, at most once per
``prune_interval`` (an hour by default), so recording stays cheap.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.uptime import RollupRetention, rollups_for
from omnimemory_kit.store.base import HealthCheckRow, HealthHistoryStore, HealthSnapshotRow

if TYPE_CHECKING:
    import pandas as pd

    from omnimemory_kit.health.models import HealthResponse

__all__ = ["DEFAULT_RETENTION", "HISTORY_COLUMNS", "HealthHistory", "TimeBound"]

DEFAULT_RETENTION = dt.timedelta(days=30)
"""How long snapshots are kept unless told otherwise."""

HISTORY_COLUMNS = (
    "taken_at",
    "snapshot_id",
    "name",
    "status",
    "critical",
    "latency_ms",
    "error",
    "observed_value",
    "observed_unit",
    "breaker_state",
    "overall_status",
)
"""The columns of ``HealthHistory.frame()``, in order."""

TimeBound = dt.datetime | float | int | None
"""A time bound: an aware datetime (a naive one is taken as UTC), epoch seconds, or None for open."""


def _epoch(bound: TimeBound, what: str) -> float | None:
    if bound is None:
        return None
    if isinstance(bound, dt.datetime):
        if bound.tzinfo is None:
            bound = bound.replace(tzinfo=dt.UTC)
        return bound.timestamp()
    if isinstance(bound, int | float) and not isinstance(bound, bool):
        return float(bound)
    raise HealthConfigError(f"{what} must be a datetime or epoch seconds, not {type(bound).__name__}")


def _check_retention(retention: dt.timedelta | None, what: str = "retention") -> dt.timedelta | None:
    if retention is None:
        return None
    if not isinstance(retention, dt.timedelta) or retention <= dt.timedelta(0):
        raise HealthConfigError(f"{what} must be a positive timedelta (or None to keep everything)")
    return retention


class HealthHistory:
    """Record health responses in a ``HealthHistoryStore`` and read them back.

    Args:
        store: where snapshots go (SQLite by default, PostgreSQL for teams).
        retention: how long snapshots are kept (None keeps everything).
        prune_interval: the least time between two automatic prunes done by ``record()``.
        clock: where "now" comes from for retention.
        rollup_retention: how long minute, hour and day rollups are kept.
        maintenance: ``maintenance(check name, epoch seconds)`` says whether a sample falls in a
            maintenance window (excluded from uptime); None: never.

    Raises:
        HealthConfigError: ``retention`` or ``prune_interval`` is not a positive timedelta.
    """

    def __init__(
        self,
        store: HealthHistoryStore,
        *,
        retention: dt.timedelta | None = DEFAULT_RETENTION,
        prune_interval: dt.timedelta = dt.timedelta(hours=1),
        clock: Clock = SYSTEM_CLOCK,
        rollup_retention: RollupRetention | None = None,
        maintenance: Callable[[str, float], bool] | None = None,
    ) -> None:
        self.store = store
        self.rollup_retention = rollup_retention if rollup_retention is not None else RollupRetention()
        self.maintenance = maintenance
        self.retention = _check_retention(retention)
        checked_interval = _check_retention(prune_interval, "prune_interval")
        assert checked_interval is not None
        self.prune_interval = checked_interval
        self._clock = clock
        self._last_prune: float | None = None
        self._lock = threading.Lock()
        self.recorded = 0
        self.pruned = 0

    def record(self, response: HealthResponse) -> int:
        """Durably record one response (one row per dependency); return the snapshot id.

        Also deletes snapshots older than the retention, at most once per ``prune_interval``.
        """
        checks = tuple(
            HealthCheckRow(
                name=dep.name,
                status=str(dep.status),
                critical=dep.critical,
                latency_ms=dep.latency_ms,
                error=str(dep.error) if dep.error is not None else None,
                observed_value=dep.observed_value,
                observed_unit=dep.observed_unit,
                breaker_state=dep.breaker_state,
            )
            for dep in response.dependencies.values()
        )
        snapshot = HealthSnapshotRow(
            taken_at=response.checked_at.timestamp(),
            status=str(response.status),
            checks=checks,
            payload_json=response.to_json(),
        )
        snapshot_id = self.store.record_health(snapshot)
        at = snapshot.taken_at
        in_maintenance = self.maintenance or (lambda name, at: False)
        self.store.add_health_rollups(
            [
                row
                for check in checks
                for row in rollups_for(
                    check.name, at, check.status, check.latency_ms, maintenance=in_maintenance(check.name, at)
                )
            ]
        )
        self.recorded += 1
        self._prune_if_due()
        return snapshot_id

    def frame(
        self, since: TimeBound = None, until: TimeBound = None, name: str | None = None
    ) -> pd.DataFrame:
        """Return one row per check per snapshot in time order (columns: ``HISTORY_COLUMNS``).

        Args:
            since: only snapshots taken at or after this time.
            until: only snapshots taken at or before this time.
            name: only this check.

        ``taken_at`` is a UTC timestamp column; ``latency_ms`` and ``observed_value`` are floats (NaN when
        absent); ``critical`` is bool.
        """
        import pandas as pd

        pairs = self.store.health_history(
            since=_epoch(since, "since"), until=_epoch(until, "until"), name=name
        )
        rows = [
            (
                snapshot.taken_at,
                snapshot.snapshot_id,
                check.name,
                check.status,
                bool(check.critical),
                check.latency_ms,
                check.error,
                check.observed_value,
                check.observed_unit,
                check.breaker_state,
                snapshot.status,
            )
            for snapshot, check in pairs
        ]
        frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        frame["taken_at"] = pd.to_datetime(frame["taken_at"].astype("float64"), unit="s", utc=True)
        frame["snapshot_id"] = frame["snapshot_id"].astype("int64")
        frame["critical"] = frame["critical"].astype("bool")
        frame["latency_ms"] = frame["latency_ms"].astype("float64")
        frame["observed_value"] = frame["observed_value"].astype("float64")
        for column in ("name", "status", "error", "observed_unit", "breaker_state", "overall_status"):
            frame[column] = frame[column].astype("object")
        return frame

    def prune(self, retention: dt.timedelta | None = None) -> int:
        """Delete snapshots older than ``retention`` (this history's retention by default); return how many.

        Raises:
            HealthConfigError: ``retention`` is not a positive timedelta, or neither it nor the history's
                own retention is set.
        """
        keep = _check_retention(retention) if retention is not None else self.retention
        if keep is None:
            raise HealthConfigError("prune needs a retention: this history keeps everything")
        with self._lock:
            self._last_prune = self._clock.monotonic()
        deleted = self.store.prune_health(self._clock.time() - keep.total_seconds())
        self.pruned += deleted
        self._prune_rollups()
        return deleted

    def _prune_rollups(self) -> None:
        for resolution, cutoff in self.rollup_retention.cutoffs(self._clock.time()).items():
            self.store.prune_health_rollups(resolution, cutoff)

    def _prune_if_due(self) -> None:
        now = self._clock.monotonic()
        with self._lock:
            due = self._last_prune is None or now - self._last_prune >= self.prune_interval.total_seconds()
            if due:
                self._last_prune = now
        if not due:
            return
        if self.retention is not None:
            self.pruned += self.store.prune_health(self._clock.time() - self.retention.total_seconds())
        self._prune_rollups()

    def __repr__(self) -> str:
        return (
            f"<HealthHistory store={getattr(self.store, 'url', '?')!r} retention={self.retention} "
            f"recorded={self.recorded} pruned={self.pruned}>"
        )
