"""The health-history contract on SQLite: snapshots of health checks in two tables beside the journal.

``health_snapshots`` holds one row per snapshot (its time, overall status and JSON payload),
``health_checks`` one row per check of it, indexed by name for per-dependency history. A
``SQLiteHealthHistory`` on its own is a health-only store; ``SQLiteStore`` adds the journal to it.
"""

from __future__ import annotations

from typing import Any

from omnimemory_kit.store.base import HealthCheckRow, HealthHistoryStore, HealthSnapshotRow
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
                [
                    (
                        snapshot_id,
                        position,
                        c.name,
                        str(c.status),
                        int(c.critical),
                        c.latency_ms,
                        c.error,
                        c.observed_value,
                        c.observed_unit,
                        c.breaker_state,
                    )
                    for position, c in enumerate(snapshot.checks)
                ],
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
                "SELECT s.snapshot_id, s.taken_at, s.status, s.payload_json, c.position, c.name, c.status, "
                "c.critical, c.latency_ms, c.error, c.observed_value, c.observed_unit, c.breaker_state "
                "FROM health_snapshots s JOIN health_checks c ON c.snapshot_id = s.snapshot_id "
                f"{where}ORDER BY s.taken_at, s.snapshot_id, c.position",
                params,
            ).fetchall()
        by_snapshot: dict[int, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_snapshot.setdefault(row[0], []).append(row)
        result = []
        for snapshot_rows in by_snapshot.values():
            checks = tuple(
                HealthCheckRow(
                    name=r[5],
                    status=r[6],
                    critical=bool(r[7]),
                    latency_ms=r[8],
                    error=r[9],
                    observed_value=r[10],
                    observed_unit=r[11],
                    breaker_state=r[12],
                )
                for r in snapshot_rows
            )
            first = snapshot_rows[0]
            snapshot = HealthSnapshotRow(
                taken_at=first[1], status=first[2], checks=checks, payload_json=first[3], snapshot_id=first[0]
            )
            result += [(snapshot, check) for check in checks if name is None or check.name == name]
        return result

    def prune_health(self, older_than: float) -> int:
        """Delete snapshots taken before ``older_than`` (and their checks); return how many."""
        with self._write("prune health history") as conn:
            conn.execute(
                "DELETE FROM health_checks WHERE snapshot_id IN "
                "(SELECT snapshot_id FROM health_snapshots WHERE taken_at < ?)",
                (older_than,),
            )
            cursor = conn.execute("DELETE FROM health_snapshots WHERE taken_at < ?", (older_than,))
        return int(cursor.rowcount)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "read-only" if self.read_only else "open"
        return f"<{type(self).__name__} {self.url!r} {state} synchronous={self.location.synchronous}>"
