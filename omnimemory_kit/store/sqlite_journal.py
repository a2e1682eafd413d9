"""Writing journal rows to a SQLite store: events after the run's last seq, its seq and counters kept in step.

Every append of a ``SQLiteStore`` inserts its events here (``insert_events``), in the same transaction as
the rest of the write: the run's ``last_seq`` moves past them, and their counted kinds are added to the
run's minute buckets (``sqlite_counters``). Claims and item additions build their rows in SQL, with the
statements kept here too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.store.base import ERROR_MESSAGE_LIMIT, clip_error_message
from omnimemory_kit.store.sqlite_counters import count_minutes

__all__ = ["INSERT_ADDED", "INSERT_EVENT_ROW", "insert_events"]

_INSERT_EVENT: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, size, batch_id, error_type, error_message, reason, "
    "worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT_ROW: Final = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_PLAIN_EVENT: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, worker_id) VALUES (?, ?, ?, ?, ?, ?)"
)
"""An event with nothing but a kind, a time, a key and a worker (its other columns stay NULL)."""
INSERT_ADDED: Final = (
    f"INSERT INTO events (run_no, seq, kind, at, path, size) VALUES (?, ?, '{EventKind.FILE_ADDED}', ?, ?, ?)"
)


def _bump_last_seq(conn: sqlite3.Connection, run_no: int, first: int, count: int) -> int:
    """Record that the run's journal now ends ``count`` events after ``first - 1``; return the last seq."""
    last = int(first + count - 1)
    conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last, run_no))
    return last


def insert_events(conn: sqlite3.Connection, run_no: int, events: Sequence[Event]) -> tuple[int, int]:
    """Insert events after the run's last seq (no projection); return their first and last seq."""
    (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
    first = last + 1
    if not events:
        return first, int(last)
    # str(kind) is the plain value: binding the StrEnum itself goes through sqlite3's adapter lookup.
    if all(  # from the end: a mix usually ends with its one other event (a batch's BATCH_CLOSED)
        e.size is None
        and e.batch_id is None
        and e.error_type is None
        and e.error_message is None
        and e.reason is None
        for e in reversed(events)
    ):
        # Most of a run's volume (outcomes with nothing but a key): binding five NULLs per row costs
        # sqlite3 as much as the rest of the insert, so those columns are left to their default.
        conn.executemany(
            _INSERT_PLAIN_EVENT,
            [(run_no, seq, str(e.kind), e.at, e.path, e.worker_id) for seq, e in enumerate(events, first)],
        )
        count_minutes(conn, run_no, events)
        return first, _bump_last_seq(conn, run_no, first, len(events))
    # A mix (a batch's verdicts with its BATCH_CLOSED): the plain ones still go in the cheap way.
    plain: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    for seq, e in enumerate(events, first):
        msg = e.error_message
        plain_row = e.size is None and e.batch_id is None and e.error_type is None and e.reason is None
        if plain_row and msg is None:
            plain.append((run_no, seq, str(e.kind), e.at, e.path, e.worker_id))
        else:
            if msg is not None and len(msg) > ERROR_MESSAGE_LIMIT:
                msg = clip_error_message(msg)
            rows.append(
                (run_no, seq, str(e.kind), e.at, e.path, e.size, e.batch_id, e.error_type, msg, e.reason,
                 e.worker_id)
            )  # fmt: skip
    if plain:
        conn.executemany(_INSERT_PLAIN_EVENT, plain)
    conn.executemany(_INSERT_EVENT, rows)
    count_minutes(conn, run_no, events)
    return first, _bump_last_seq(conn, run_no, first, len(events))
