"""The health-history contract on PostgreSQL: snapshots, heartbeats, alerts and rollups beside the journal.

``health_snapshots`` holds one row per snapshot, ``health_checks`` one row per check of it;
``health_heartbeats`` the last push per name, ``health_alerts`` what was sent; ``health_rollups`` and
``health_rollup_latency`` the per-bucket sums and latency histograms. Seam: the health side of
``PostgresStore``, apart from its journal, items and leases (``postgres``); as ``sqlite_health`` is for
SQLite. Every call borrows a pooled connection through ``_conn`` (the store's, translating errors).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import psycopg
from psycopg.rows import TupleRow

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

__all__ = ["PostgresHealthHistory"]

_ROLLUP_RANGE = (
    "resolution = %(resolution)s "
    "AND (%(since)s::float8 IS NULL OR bucket_start >= %(since)s) "
    "AND (%(until)s::float8 IS NULL OR bucket_start < %(until)s) "
    "AND (%(name)s::text IS NULL OR name = %(name)s)"
)


class PostgresHealthHistory(HealthHistoryStore):
    """The health history in a PostgreSQL kit store (``PostgresStore`` supplies the connections)."""

    def _conn(self) -> contextlib.AbstractContextManager[psycopg.Connection[TupleRow]]:
        raise NotImplementedError  # the store's

    def record_health(self, snapshot: HealthSnapshotRow) -> int:
        """Record a health snapshot and its checks; return its id."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO health_snapshots (taken_at, status, payload) VALUES (%s, %s, %s) "
                "RETURNING snapshot_id",
                (snapshot.taken_at, snapshot.status, snapshot.payload_json),
            ).fetchone()
            assert row is not None
            snapshot_id = int(row[0])
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO health_checks (snapshot_id, position, name, status, critical, latency_ms, "
                    "error, observed_value, observed_unit, breaker_state) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    health_check_rows(snapshot_id, snapshot),
                )
        return snapshot_id

    def health_history(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
        """Return (snapshot, check) pairs in time order, filtered by time and check name."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT s.snapshot_id, s.taken_at, s.status, s.payload, c.name, c.status, c.critical, "
                "c.latency_ms, c.error, c.observed_value, c.observed_unit, c.breaker_state "
                "FROM health_snapshots s JOIN health_checks c USING (snapshot_id) "
                "WHERE (%(since)s::float8 IS NULL OR s.taken_at >= %(since)s) "
                "AND (%(until)s::float8 IS NULL OR s.taken_at <= %(until)s) "
                "AND s.snapshot_id IN (SELECT snapshot_id FROM health_checks "
                "    WHERE %(name)s::text IS NULL OR name = %(name)s) "
                "ORDER BY s.taken_at, s.snapshot_id, c.position",
                {"since": since, "until": until, "name": name},
            ).fetchall()
        return health_history_pairs(rows, name)

    def prune_health(self, older_than: float) -> int:
        """Delete snapshots taken before ``older_than``; return how many."""
        with self._conn() as conn, conn.transaction():
            cur = conn.execute("DELETE FROM health_snapshots WHERE taken_at < %s", (older_than,))
            conn.execute("DELETE FROM health_alerts WHERE at < %s", (older_than,))
            return int(cur.rowcount)

    def record_heartbeat(self, name: str, at: float, message: str | None = None) -> None:
        """Durably note a heartbeat of push check ``name`` (the latest time is kept, beats counted)."""
        with self._conn() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO health_heartbeats AS h (name, at, message, beats) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (name) DO UPDATE SET beats = h.beats + 1, "
                "message = CASE WHEN excluded.at >= h.at THEN excluded.message ELSE h.message END, "
                "at = GREATEST(h.at, excluded.at)",
                (name, at, clip_error_message(message)),
            )

    def last_heartbeat(self, name: str) -> HeartbeatRow | None:
        """Return the latest heartbeat of push check ``name``, or None if none ever arrived."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT name, at, message, beats FROM health_heartbeats WHERE name = %s", (name,)
            ).fetchone()
        return None if row is None else HeartbeatRow(row[0], float(row[1]), row[2], int(row[3]))

    def record_health_alert(self, alert: HealthAlertRow) -> int:
        """Durably record an alert (sent, failed or muted); return its id."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO health_alerts (at, name, kind, webhook, outcome, attempts, error) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING alert_id",
                (
                    alert.at,
                    alert.name,
                    alert.kind,
                    alert.webhook,
                    alert.outcome,
                    alert.attempts,
                    clip_error_message(alert.error),
                ),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def health_alerts(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[HealthAlertRow]:
        """Return recorded alerts with ``since <= at <= until`` for check ``name``, oldest first."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT at, name, kind, webhook, outcome, attempts, error, alert_id FROM health_alerts "
                "WHERE (%(since)s::float8 IS NULL OR at >= %(since)s) "
                "AND (%(until)s::float8 IS NULL OR at <= %(until)s) "
                "AND (%(name)s::text IS NULL OR name = %(name)s) ORDER BY at, alert_id",
                {"since": since, "until": until, "name": name},
            ).fetchall()
        return [HealthAlertRow(float(r[0]), r[1], r[2], r[3], r[4], int(r[5]), r[6], int(r[7])) for r in rows]

    def add_health_rollups(self, rows: Sequence[HealthRollupRow]) -> None:
        """Durably add each row into its check's bucket (counts and latency bins added)."""
        if not rows:
            return
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO health_rollups AS h (resolution, bucket_start, name, total, up, maintenance, "
                "latency_count, latency_sum_ms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (resolution, bucket_start, name) DO UPDATE SET "
                "total = h.total + excluded.total, up = h.up + excluded.up, "
                "maintenance = h.maintenance + excluded.maintenance, "
                "latency_count = h.latency_count + excluded.latency_count, "
                "latency_sum_ms = h.latency_sum_ms + excluded.latency_sum_ms",
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
            bins = [(r.resolution, r.bucket_start, r.name, b, c) for r in rows for b, c in r.latency_bins]
            if bins:
                cur.executemany(
                    "INSERT INTO health_rollup_latency AS h (resolution, bucket_start, name, bin, count) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (resolution, bucket_start, name, bin) "
                    "DO UPDATE SET count = h.count + excluded.count",
                    bins,
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
        params = {"resolution": resolution, "since": since, "until": until, "name": name}
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT name, bucket_start, total, up, maintenance, latency_count, latency_sum_ms "
                f"FROM health_rollups WHERE {_ROLLUP_RANGE} ORDER BY name, bucket_start",
                params,
            ).fetchall()
            bins = conn.execute(
                f"SELECT name, bucket_start, bin, count FROM health_rollup_latency WHERE {_ROLLUP_RANGE} "
                "ORDER BY name, bucket_start, bin",
                params,
            ).fetchall()
        return rollup_rows(resolution, rows, bins)

    def summarize_health_rollups(
        self, *, resolution: str, since: float, until: float | None = None, latency: bool = True
    ) -> list[HealthRollupRow]:
        """Return one row per check: its rollups with ``since <= bucket_start < until`` added together."""
        params = {"resolution": resolution, "since": since, "until": until, "name": None}
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT name, SUM(total), SUM(up), SUM(maintenance), SUM(latency_count), SUM(latency_sum_ms) "
                f"FROM health_rollups WHERE {_ROLLUP_RANGE} GROUP BY name ORDER BY name",
                params,
            ).fetchall()
            bins = (
                []
                if not latency
                else conn.execute(
                    f"SELECT name, bin, SUM(count) FROM health_rollup_latency WHERE {_ROLLUP_RANGE} "
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
        with self._conn() as conn, conn.transaction():
            conn.execute(
                "DELETE FROM health_rollup_latency WHERE resolution = %s AND bucket_start < %s",
                (resolution, older_than),
            )
            cur = conn.execute(
                "DELETE FROM health_rollups WHERE resolution = %s AND bucket_start < %s",
                (resolution, older_than),
            )
            return int(cur.rowcount)
