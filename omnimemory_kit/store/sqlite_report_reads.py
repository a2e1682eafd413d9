"""The SQLite store's reads for followers that never replay a whole journal: filtered events, report sums.

``read_matching`` yields a run's events of some kinds, of one worker or in a seq range, filtered in SQL in
chunks (keyset pagination on seq, each chunk its own short query, as ``read_events`` reads), so a reader
of a few kinds never decodes the millions of events it does not want. ``read_sqlite_report`` runs
``store.report_reads`` on the store's connection in one read transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Final

from omnimemory_kit.errors import UnknownEventKindError
from omnimemory_kit.events import EVENT_KINDS, Event, EventKind
from omnimemory_kit.store.base import loaded_event
from omnimemory_kit.store.report_reads import SQLITE, ReportAggregates, read_report
from omnimemory_kit.store.sqlite_counters import snapshot
from omnimemory_kit.store.sqlite_status import rare_events

__all__ = ["read_matching", "read_sqlite_report"]

_CHUNK: Final = 5000
_SELECT_MATCHING: Final = (
    "SELECT kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq FROM events "
    "WHERE run_no = ? AND seq > ? AND (? IS NULL OR seq <= ?) AND (? IS NULL OR worker_id = ?) "
    "AND (? IS NULL OR kind IN (SELECT value FROM json_each(?))) ORDER BY seq LIMIT ?"
)


def read_matching(
    read: Callable[[], AbstractContextManager[sqlite3.Connection]],
    run_no: int,
    run_id: str,
    *,
    after_seq: int,
    until_seq: int | None,
    worker_id: str | None,
    kinds: Iterable[EventKind] | None,
    where: str,
) -> Iterator[Event]:
    """Yield the run's matching events in seq order, one short read per chunk (``read`` lends the link)."""
    wanted = None if kinds is None else json.dumps(sorted(k.value for k in kinds))
    cursor = after_seq
    while True:
        with read() as conn:
            rows = conn.execute(
                _SELECT_MATCHING,
                (run_no, cursor, until_seq, until_seq, worker_id, worker_id, wanted, wanted, _CHUNK),
            ).fetchall()
        for kind, at, path, size, batch_id, error_type, message, reason, worker, seq in rows:
            event_kind = EVENT_KINDS.get(kind)
            if event_kind is None:
                raise UnknownEventKindError(kind, run_id, seq, where=where)
            yield loaded_event(
                Event(event_kind, at, path, size, batch_id, error_type, message, reason, worker, seq)
            )
        if len(rows) < _CHUNK:
            return
        cursor = rows[-1][-1]


def read_sqlite_report(
    conn: sqlite3.Connection, run_no: int, run_id: str, *, origin: float, bucket_seconds: float, top: int,
    where: str,
) -> ReportAggregates:  # fmt: skip
    """Read a run's report aggregates on a SQLite store's connection, in one read transaction."""

    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    with snapshot(conn):
        return read_report(
            query, SQLITE, run_no, run_id, origin=origin, bucket_seconds=bucket_seconds, top=top, where=where,
            rare=rare_events(conn),
        )  # fmt: skip
