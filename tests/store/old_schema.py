"""Take a store back to what an older schema version wrote, to test the upgrades from it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import psycopg

from omnimemory_kit.store.postgres_schema import MIGRATIONS
from omnimemory_kit.store.sqlite_journal import EXPANDED_EVENTS

LEDGER_COLUMNS = ("operator", "origin", "correlation_id")  # version 2
HEALTH_TABLES = ("health_rollups", "health_rollup_latency", "health_alerts", "health_heartbeats")  # version 3
COUNTER_TABLES = ("run_minutes",)  # version 4 (SQLite; item_counts is kept since version 1)
LEASED_INDEX = "CREATE INDEX items_leased ON items (lease_id) WHERE lease_id IS NOT NULL"  # before version 5
BYTES_COLUMNS = ("bytes", "unsized")  # version 6 (SQLite: item_counts; and leases.sizes)
POSTGRES_BYTES_COLUMNS = (
    *(f"{status}_bytes" for status in ("pending", "in_progress", "succeeded", "failed", "skipped")),
    "unsized",
)  # version 6 (PostgreSQL: run_counts)


def downgrade_to_version_1(path: Path) -> None:
    """Drop what versions 2 (the run ledger), 3 (health rollups, alerts, heartbeats) and 4 added."""
    downgrade_to_version_3(path)
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


def downgrade_to_version_7(path: Path) -> None:
    """Undo version 8: a row per verdict again (a run of ITEM_VALIDATED's row expanded into its rows)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            rows = conn.execute(
                f"SELECT * FROM {EXPANDED_EVENTS} WHERE (run_no, seq) IN (SELECT e.run_no, e.seq + j.rowid "
                "FROM events AS e, json_each(e.members) AS j WHERE e.members IS NOT NULL "
                "AND e.kind = 'item_validated')"
            ).fetchall()
            conn.execute("DELETE FROM events WHERE members IS NOT NULL AND kind = 'item_validated'")
            conn.executemany(
                "INSERT INTO events (run_no, seq, kind, at, path, size, batch_id, error_type, error_message, "
                "reason, worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    finally:
        conn.close()


def downgrade_to_version_6(path: Path) -> None:
    """Undo versions 8 and 7: a row per event again (a run's row expanded into its events' rows)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            # every member's row anew, from the expanded journal (FILE_ADDED members are sizes)
            rows = conn.execute(
                f"SELECT * FROM {EXPANDED_EVENTS} WHERE (run_no, seq) IN (SELECT e.run_no, "
                "e.seq + j.rowid FROM events AS e, json_each(e.members) AS j WHERE e.members IS NOT NULL)"
            ).fetchall()
            conn.execute("DELETE FROM events WHERE members IS NOT NULL")
            conn.execute("ALTER TABLE events DROP COLUMN members")
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    finally:
        conn.close()


def downgrade_to_version_5(path: Path) -> None:
    """Undo versions 7 and 6: no item bytes beside the item counts, leases without their items' sizes."""
    downgrade_to_version_6(path)
    conn = sqlite3.connect(path)
    try:
        with conn:
            for column in BYTES_COLUMNS:
                conn.execute(f"ALTER TABLE item_counts DROP COLUMN {column}")
            for column in ("sizes", "bytes", "unsized"):
                conn.execute(f"ALTER TABLE leases DROP COLUMN {column}")
            conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    finally:
        conn.close()


def downgrade_to_version_4(path: Path) -> None:
    """Undo versions 6 and 5: leases without their keys, the items indexed by lease again."""
    downgrade_to_version_5(path)
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("ALTER TABLE leases DROP COLUMN keys")
            conn.execute("DROP INDEX items_unleased")
            conn.execute(LEASED_INDEX)
            conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    finally:
        conn.close()


def downgrade_to_version_3(path: Path) -> None:
    """Drop what versions 4 (the run counters per minute), 5 and 6 added."""
    downgrade_to_version_4(path)
    conn = sqlite3.connect(path)
    try:
        with conn:
            for table in COUNTER_TABLES:
                conn.execute(f"DROP TABLE {table}")
            conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    finally:
        conn.close()


def downgrade_postgres_to_version_5(dsn: str, schema: str) -> None:
    """Drop what version 6 (the item bytes in the run counters) added; the trigger counts as version 4's."""
    version_4_counting = re.search(r"CREATE FUNCTION omk_count_items\(\).*?END \$\$;", MIGRATIONS[3], re.S)
    assert version_4_counting is not None
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(f"SET LOCAL search_path = {schema}")  # the function's own search_path, as it was made
        conn.execute(version_4_counting.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        conn.execute(
            "ALTER TABLE run_counts "
            + ", ".join(f"DROP COLUMN {column}" for column in POSTGRES_BYTES_COLUMNS)
            + "; UPDATE meta SET value = '5' WHERE key = 'schema_version'"
        )


def downgrade_postgres_to_version_3(dsn: str, schema: str) -> None:
    """Drop what version 4 (the run counters, their triggers, the unleased-items index) added."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"DROP TABLE {schema}.run_counts, {schema}.run_minutes; "
            f"DROP TRIGGER items_counted_insert ON {schema}.items; "
            f"DROP TRIGGER items_counted_update ON {schema}.items; "
            f"DROP TRIGGER events_counted ON {schema}.events; "
            f"DROP FUNCTION {schema}.omk_count_items(), {schema}.omk_count_events(); "
            f"DROP INDEX {schema}.items_unleased; "
            f"UPDATE {schema}.meta SET value = '3' WHERE key = 'schema_version'"
        )
