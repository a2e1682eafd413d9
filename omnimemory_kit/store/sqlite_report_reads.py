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
from omnimemory_kit.store.report_reads import SQLITE, SQLITE_V6, ReportAggregates, read_report
from omnimemory_kit.store.sqlite_counters import snapshot
from omnimemory_kit.store.sqlite_journal import expand_rows
from omnimemory_kit.store.sqlite_status import rare_events

__all__ = ["read_matching", "read_sqlite_report"]

_CHUNK: Final = 5000
# From the row holding the event after ?2 (a run's row may begin at or before it: ``sqlite_journal``).
_SELECT_MATCHING: Final = (
    "SELECT kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq, {members} "
    "FROM events WHERE run_no = ?1 AND seq {after} AND (?3 IS NULL OR seq <= ?3) "
    "AND (?4 IS NULL OR worker_id = ?4) AND (?5 IS NULL OR kind IN (SELECT value FROM json_each(?5))) "
    "ORDER BY seq LIMIT ?6"
)
_MATCHING: Final = _SELECT_MATCHING.format(
    members="members",
    after=">= (SELECT coalesce(max(seq), 0) FROM events WHERE run_no = ?1 AND seq <= ?2 + 1)",
)
_MATCHING_V6: Final = _SELECT_MATCHING.format(members="NULL", after="> ?2")
"""A store older than schema version 7 opened read-only: a row per event."""


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
    compact: bool = True,
) -> Iterator[Event]:
    """Yield the run's matching events in seq order, one short read per chunk (``read`` lends the link).

    ``compact``: the store may hold a run of events in one row (schema version 7).
    """
    wanted = None if kinds is None else json.dumps(sorted(k.value for k in kinds))
    select = _MATCHING if compact else _MATCHING_V6
    cursor = after_seq
    while True:
        with read() as conn:
            rows = conn.execute(select, (run_no, cursor, until_seq, worker_id, wanted, _CHUNK)).fetchall()
        events = expand_rows(rows, cursor)
        if until_seq is not None and events and events[-1][-1] > until_seq:
            events = [row for row in events if row[-1] <= until_seq]
        for kind, at, path, size, batch_id, error_type, message, reason, worker, seq in events:
            event_kind = EVENT_KINDS.get(kind)
            if event_kind is None:
                raise UnknownEventKindError(kind, run_id, seq, where=where)
            yield loaded_event(
                Event(event_kind, at, path, size, batch_id, error_type, message, reason, worker, seq)
            )
        if len(rows) < _CHUNK or not events:
            return
        cursor = events[-1][-1]


def read_sqlite_report(
    conn: sqlite3.Connection, run_no: int, run_id: str, *, origin: float, bucket_seconds: float, top: int,
    where: str, compact: bool = True,
) -> ReportAggregates:  # fmt: skip
    """Read a run's report aggregates on a SQLite store's connection, in one read transaction.

    ``compact``: the store may hold a run of events in one row (schema version 7).
    """

    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    with snapshot(conn):
        return read_report(
            query, SQLITE if compact else SQLITE_V6, run_no, run_id, origin=origin,
            bucket_seconds=bucket_seconds, top=top, where=where, rare=rare_events(conn),
        )  # fmt: skip
