"""The health-history contract on SQLite: snapshots of health checks in two tables beside the journal.

``health_snapshots`` holds one row per snapshot (its time, overall status and JSON payload),
``health_checks`` one row per check of it, indexed by name for per-dependency history;
``health_rollups`` and ``health_rollup_latency`` the per-bucket sums and latency histograms. A
``SQLiteHealthHistory`` on its own is a health-only store; ``SQLiteStore`` adds the journal to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from omnimemory_kit.store.base import (
    HealthAlertRow,
    HealthCheckRow,
    HealthHistoryStore,
    HealthRollupRow,
    HealthSnapshotRow,
    HeartbeatRow,
    clip_error_message,
    health_check_rows,
    health_history_pairs,
    rollup_rows,
)
from omnimemory_kit.store.sqlite_connection import SQLiteConnection

__all__ = ["SQLiteHealthHistory"]


class SQLiteHealthHistory(SQLiteConnection, HealthHistoryStore):
    """The health history in a SQLite kit store (see ``SQLiteConnection`` for opening it)."""

    def record_health(self, snapshot: HealthSnapshotRow) -> int:
        """Durably record a health snapshot and its checks; return the snapshot id."""
        with self._write("record health") as conn:
            cursor = conn.execute(
                "INSERT INTO health_snapshots (taken_at, status, payload_json) VALUES (?, ?, ?)",
                (snapshot.taken_at, str(snapshot.status), snapshot.payload_json),
            )
            snapshot_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO health_checks (snapshot_id, position, name, status, critical, latency_ms, "
                "error, observed_value, observed_unit, breaker_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                health_check_rows(snapshot_id, snapshot),
            )
        return snapshot_id

    def health_history(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
        """Return (snapshot, check) pairs in time order, ``since <= taken_at <= until``, for check ``name``.

        Each snapshot carries all its checks; the pair's check is the one that matched.
        """
        # Only the bounds given become conditions, so SQLite can use the taken_at and name indexes.
        conditions: list[str] = []
        params: list[float | str] = []
        if since is not None:
            conditions.append("s.taken_at >= ?")
            params.append(since)
        if until is not None:
            conditions.append("s.taken_at <= ?")
            params.append(until)
        if name is not None:
            conditions.append("s.snapshot_id IN (SELECT snapshot_id FROM health_checks WHERE name = ?)")
            params.append(name)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        with self._read("read health history") as conn:
            rows = conn.execute(
                "SELECT s.snapshot_id, s.taken_at, s.status, s.payload_json, c.name, c.status, "
                "c.critical, c.latency_ms, c.error, c.observed_value, c.observed_unit, c.breaker_state "
                "FROM health_snapshots s JOIN health_checks c ON c.snapshot_id = s.snapshot_id "
                f"{where}ORDER BY s.taken_at, s.snapshot_id, c.position",
                params,
            ).fetchall()
        return health_history_pairs(rows, name)

    def prune_health(self, older_than: float) -> int:
        """Delete snapshots taken before ``older_than`` (and their checks); return how many."""
        with self._write("prune health history") as conn:
            conn.execute(
                "DELETE FROM health_checks WHERE snapshot_id IN "
                "(SELECT snapshot_id FROM health_snapshots WHERE taken_at < ?)",
                (older_than,),
            )
            cursor = conn.execute("DELETE FROM health_snapshots WHERE taken_at < ?", (older_than,))
            conn.execute("DELETE FROM health_alerts WHERE at < ?", (older_than,))
        return int(cursor.rowcount)

    def record_heartbeat(self, name: str, at: float, message: str | None = None) -> None:
        """Durably note a heartbeat of push check ``name`` (the latest time is kept, beats counted)."""
        with self._write("record a heartbeat") as conn:
            conn.execute(
                "INSERT INTO health_heartbeats (name, at, message, beats) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (name) DO UPDATE SET beats = beats + 1, "
                "message = CASE WHEN excluded.at >= at THEN excluded.message ELSE message END, "
                "at = MAX(at, excluded.at)",
                (name, at, clip_error_message(message)),
            )

    def last_heartbeat(self, name: str) -> HeartbeatRow | None:
        """Return the latest heartbeat of push check ``name``, or None if none ever arrived."""
        with self._read("read a heartbeat") as conn:
            row = conn.execute(
                "SELECT name, at, message, beats FROM health_heartbeats WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else HeartbeatRow(row[0], float(row[1]), row[2], int(row[3]))

    def record_health_alert(self, alert: HealthAlertRow) -> int:
        """Durably record an alert (sent, failed or muted); return its id."""
        with self._write("record a health alert") as conn:
            cursor = conn.execute(
                "INSERT INTO health_alerts (at, name, kind, webhook, outcome, attempts, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    alert.at,
                    alert.name,
                    alert.kind,
                    alert.webhook,
                    alert.outcome,
                    alert.attempts,
                    clip_error_message(alert.error),
                ),
            )
        return int(cursor.lastrowid or 0)

    def health_alerts(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[HealthAlertRow]:
        """Return recorded alerts with ``since <= at <= until`` for check ``name``, oldest first."""
        conditions: list[str] = []
        params: list[float | str] = []
        for clause, value in (("at >= ?", since), ("at <= ?", until), ("name = ?", name)):
            if value is not None:
                conditions.append(clause)
                params.append(value)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        with self._read("read health alerts") as conn:
            rows = conn.execute(
                "SELECT at, name, kind, webhook, outcome, attempts, error, alert_id FROM health_alerts "
                f"{where}ORDER BY at, alert_id",
                params,
            ).fetchall()
        return [HealthAlertRow(*row) for row in rows]

    def add_health_rollups(self, rows: Sequence[HealthRollupRow]) -> None:
        """Durably add each row into its check's bucket (counts and latency bins added)."""
        if not rows:
            return
        with self._write("add health rollups") as conn:
            conn.executemany(
                "INSERT INTO health_rollups (resolution, bucket_start, name, total, up, maintenance, "
                "latency_count, latency_sum_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (resolution, bucket_start, name) DO UPDATE SET "
                "total = total + excluded.total, up = up + excluded.up, "
                "maintenance = maintenance + excluded.maintenance, "
                "latency_count = latency_count + excluded.latency_count, "
                "latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms",
                [
                    (
                        r.resolution,
                        r.bucket_start,
                        r.name,
                        r.total,
                        r.up,
                        r.maintenance,
                        r.latency_count,
                        r.latency_sum_ms,
                    )
                    for r in rows
                ],
            )
            conn.executemany(
                "INSERT INTO health_rollup_latency (resolution, bucket_start, name, bin, count) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (resolution, bucket_start, name, bin) "
                "DO UPDATE SET count = count + excluded.count",
                [(r.resolution, r.bucket_start, r.name, b, c) for r in rows for b, c in r.latency_bins],
            )

    def health_rollups(
        self,
        *,
        resolution: str,
        since: float | None = None,
        until: float | None = None,
        name: str | None = None,
    ) -> list[HealthRollupRow]:
        """Return the rollups of one resolution with ``since <= bucket_start < until``, by name then time."""
        where, params = _range(resolution, since, until, name)
        with self._read("read health rollups") as conn:
            rows = conn.execute(
                "SELECT name, bucket_start, total, up, maintenance, latency_count, latency_sum_ms "
                f"FROM health_rollups WHERE {where} ORDER BY name, bucket_start",
                params,
            ).fetchall()
            bins = conn.execute(
                f"SELECT name, bucket_start, bin, count FROM health_rollup_latency WHERE {where} "
                "ORDER BY name, bucket_start, bin",
                params,
            ).fetchall()
        return rollup_rows(resolution, rows, bins)

    def summarize_health_rollups(
        self, *, resolution: str, since: float, until: float | None = None, latency: bool = True
    ) -> list[HealthRollupRow]:
        """Return one row per check: its rollups with ``since <= bucket_start < until`` added together."""
        where, params = _range(resolution, since, until, None)
        with self._read("summarize health rollups") as conn:
            rows = conn.execute(
                "SELECT name, SUM(total), SUM(up), SUM(maintenance), SUM(latency_count), SUM(latency_sum_ms) "
                f"FROM health_rollups WHERE {where} GROUP BY name ORDER BY name",
                params,
            ).fetchall()
            bins = (
                []
                if not latency
                else conn.execute(
                    f"SELECT name, bin, SUM(count) FROM health_rollup_latency WHERE {where} "
                    "GROUP BY name, bin ORDER BY name, bin",
                    params,
                ).fetchall()
            )
        # summed over the range: one "bucket" per check, starting at ``since``
        return rollup_rows(
            resolution, ((r[0], since, *r[1:]) for r in rows), ((b[0], since, *b[1:]) for b in bins)
        )

    def prune_health_rollups(self, resolution: str, older_than: float) -> int:
        """Delete the rollups of ``resolution`` whose bucket starts before ``older_than``; return how many."""
        with self._write("prune health rollups") as conn:
            conn.execute(
                "DELETE FROM health_rollup_latency WHERE resolution = ? AND bucket_start < ?",
                (resolution, older_than),
            )
            cursor = conn.execute(
                "DELETE FROM health_rollups WHERE resolution = ? AND bucket_start < ?",
                (resolution, older_than),
            )
        return int(cursor.rowcount)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "read-only" if self.read_only else "open"
        return f"<{type(self).__name__} {self.url!r} {state} synchronous={self.location.synchronous}>"


def _range(
    resolution: str, since: float | None, until: float | None, name: str | None
) -> tuple[str, list[float | str]]:
    """Return the WHERE clause (only the bounds given, so the primary key serves it) and its parameters."""
    conditions = ["resolution = ?"]
    params: list[float | str] = [resolution]
    if since is not None:
        conditions.append("bucket_start >= ?")
        params.append(since)
    if until is not None:
        conditions.append("bucket_start < ?")
        params.append(until)
    if name is not None:
        conditions.append("name = ?")
        params.append(name)
    return " AND ".join(conditions), params
