"""Selecting a SQLite run's items by key, status or last batch, from its items table (no journal replay).

Seam: what ``migrate --rerun`` and ``RunControl.rerun`` ask the store (``JournalStore.item_statuses``,
``JournalStore.batch_items``), and ``status --batches`` (``JournalStore.latest_batches``), apart from the
store's other reads. Keys are matched and returned in their
stored form's original text (``to_stored`` / ``from_stored``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Final

from omnimemory_kit.events import FILE_STATUSES, EventKind, FileStatus
from omnimemory_kit.store.sqlite_status import rare_events
from omnimemory_kit.store.status_facts import RARE_KINDS_SQL
from omnimemory_kit.text import from_stored, to_stored

__all__ = ["batch_items", "item_statuses", "latest_batches"]

_KEYS_PER_QUERY: Final = 500  # well under SQLite's limit of bound parameters


def item_statuses(
    conn: sqlite3.Connection, run_no: int, keys: Iterable[str] | None, status: FileStatus | None
) -> dict[str, FileStatus]:
    """Return the status of the run's items among ``keys`` and in ``status`` (each None: every one)."""
    where: str = "run_no = ?"
    params: list[object] = [run_no]
    if status is not None:
        where += " AND status = ?"
        params.append(status.value)
    if keys is None:
        rows = conn.execute(f"SELECT key, status FROM items WHERE {where}", params).fetchall()
        return {from_stored(key): FILE_STATUSES[value] for key, value in rows}
    stored = sorted({to_stored(key) for key in keys})
    found: dict[str, FileStatus] = {}
    for first in range(0, len(stored), _KEYS_PER_QUERY):
        chunk = stored[first : first + _KEYS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT key, status FROM items WHERE {where} AND key IN ({marks})"
        for key, value in conn.execute(query, [*params, *chunk]):
            found[from_stored(key)] = FILE_STATUSES[value]
    return found


def batch_items(conn: sqlite3.Connection, run_no: int, batch_id: str) -> dict[str, FileStatus] | None:
    """Return the items ``batch_id`` last started with their status; None if the run never opened it."""
    rows = conn.execute(
        "SELECT key, status FROM items WHERE run_no = ? AND batch_id = ?", (run_no, batch_id)
    ).fetchall()
    if rows:
        return {from_stored(key): FILE_STATUSES[value] for key, value in rows}
    # The rare-events index's predicate, repeated, lets the planner look the batch up instead of scanning.
    opened = conn.execute(
        f"SELECT 1 FROM events WHERE run_no = ? AND kind = '{EventKind.BATCH_OPENED}' AND {RARE_KINDS_SQL} "
        "AND batch_id = ? LIMIT 1",
        (run_no, batch_id),
    ).fetchone()
    return {} if opened is not None else None


# Each batch's first open through the rare-events index (its predicate repeated), the latest first, with how
# many batches the run has: one index pass, whatever the journal's length.
_LATEST_BATCHES: Final = (
    "SELECT batch_id, opened, count(*) OVER () FROM (SELECT batch_id, min(seq) AS opened FROM {rare} "
    f"WHERE run_no = ? AND kind = '{EventKind.BATCH_OPENED}' AND {RARE_KINDS_SQL} GROUP BY batch_id) "
    "ORDER BY opened DESC LIMIT ?"
)


def latest_batches(conn: sqlite3.Connection, run_no: int, limit: int) -> tuple[list[tuple[str, int]], int]:
    """Return the run's latest ``limit`` batches (id, first open's seq), oldest first, and their number."""
    rows = conn.execute(_LATEST_BATCHES.format(rare=rare_events(conn)), (run_no, max(limit, 0))).fetchall()
    if not rows:
        return [], _count_batches(conn, run_no)
    return [(str(batch), int(opened)) for batch, opened, _ in reversed(rows)], int(rows[0][2])


def _count_batches(conn: sqlite3.Connection, run_no: int) -> int:
    row = conn.execute(
        f"SELECT count(DISTINCT batch_id) FROM {rare_events(conn)} WHERE run_no = ? "
        f"AND kind = '{EventKind.BATCH_OPENED}' AND {RARE_KINDS_SQL}",
        (run_no,),
    ).fetchone()
    return int(row[0])
