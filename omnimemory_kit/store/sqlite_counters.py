"""The SQLite store's run counters (``store.counters``): per-minute activity, kept as events are inserted.

Items per status are ``item_counts`` (kept by ``sqlite_items``, with their bytes and how many have no
size); this module keeps ``run_minutes``: every insert of events adds its counted kinds to their minute
buckets in the same transaction (one upsert per bucket, usually one per append), and reads both back as a
``RunCounters`` (and the bytes, ``read_item_bytes``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any, Final

from omnimemory_kit.events import FILE_STATUSES, FileStatus
from omnimemory_kit.store.counters import RunCounters, counters_from, minute_start

__all__ = [
    "read_counters",
    "read_item_bytes",
    "read_item_counts",
    "snapshot",
    "write_minutes",
]

_UPSERT: Final = (
    "INSERT INTO run_minutes (run_no, minute, started, succeeded, failed, skipped, retried, "
    "first_outcome_at, last_outcome_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (run_no, minute) DO UPDATE SET started = started + excluded.started, "
    "succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed, "
    "skipped = skipped + excluded.skipped, retried = retried + excluded.retried, "
    "first_outcome_at = coalesce(min(first_outcome_at, excluded.first_outcome_at), first_outcome_at, "
    "excluded.first_outcome_at), "
    "last_outcome_at = coalesce(max(last_outcome_at, excluded.last_outcome_at), last_outcome_at, "
    "excluded.last_outcome_at)"
)


def write_minutes(conn: sqlite3.Connection, run_no: int, buckets: dict[float, list[Any]]) -> None:
    """Add ``minute_rows``-shaped buckets to the run's minute counters."""
    if buckets:
        conn.executemany(_UPSERT, [(run_no, start, *row) for start, row in buckets.items()])


def read_counters(conn: sqlite3.Connection, run_no: int, run_id: str, since: float | None) -> RunCounters:
    """Read a run's counters in one read transaction (one snapshot)."""
    with snapshot(conn):
        return _read(conn, run_no, run_id, since)


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Hold one read transaction over the block, so its reads see one snapshot (the caller's, if open)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def read_item_counts(conn: sqlite3.Connection, run_no: int) -> dict[FileStatus, int]:
    """Return how many of the run's items are in each status (every status present, zero included)."""
    counts = dict.fromkeys(FileStatus, 0)
    for status, count in conn.execute("SELECT status, count FROM item_counts WHERE run_no = ?", (run_no,)):
        counts[FILE_STATUSES[status]] = int(count)
    return counts


def read_item_bytes(conn: sqlite3.Connection, run_no: int) -> tuple[dict[FileStatus, int], int]:
    """Return the bytes of the run's items in each status (every status present) and how many have no
    size (a store of schema version 5 or later: older ones keep no bytes)."""
    nbytes = dict.fromkeys(FileStatus, 0)
    unsized = 0
    for status, size, zero in conn.execute(
        "SELECT status, bytes, unsized FROM item_counts WHERE run_no = ?", (run_no,)
    ):
        nbytes[FILE_STATUSES[status]] = int(size)
        unsized += int(zero)
    return nbytes, unsized


def _read(conn: sqlite3.Connection, run_no: int, run_id: str, since: float | None) -> RunCounters:
    counts = read_item_counts(conn, run_no)
    totals = conn.execute(
        "SELECT sum(started), sum(retried), min(first_outcome_at), max(last_outcome_at) FROM run_minutes "
        "WHERE run_no = ?",
        (run_no,),
    ).fetchone()
    minutes = conn.execute(
        "SELECT minute, started, succeeded, failed, skipped, retried, first_outcome_at, last_outcome_at "
        "FROM run_minutes WHERE run_no = ? AND minute >= ? ORDER BY minute",
        (run_no, -1e308 if since is None else minute_start(since)),
    ).fetchall()
    return counters_from(run_id, counts, minutes, totals=totals)
