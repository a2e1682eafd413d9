"""Take a SQLite store file back to what schema version 1 wrote, to test the upgrades from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

LEDGER_COLUMNS = ("operator", "origin", "correlation_id")  # version 2
HEALTH_TABLES = ("health_rollups", "health_rollup_latency", "health_alerts", "health_heartbeats")  # version 3


def downgrade_to_version_1(path: Path) -> None:
    """Drop what versions 2 (the run ledger) and 3 (health rollups, alerts, heartbeats) added."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("DROP TABLE run_reports")
            for column in LEDGER_COLUMNS:
                conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
            for table in HEALTH_TABLES:
                conn.execute(f"DROP TABLE {table}")
            conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    finally:
        conn.close()
