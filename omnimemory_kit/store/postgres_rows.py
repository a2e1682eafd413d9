"""Rows to and from PostgreSQL: the journal's event rows (``COPY`` order) and the runs table's rows.

Seam: how ``postgres`` turns kit records into rows and back, apart from the SQL that moves them.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import TupleRow

from omnimemory_kit.errors import UnknownEventKindError
from omnimemory_kit.events import EVENT_KINDS, Event
from omnimemory_kit.store.base import RunRecord, clip_error_message, loaded_event
from omnimemory_kit.text import from_stored

__all__ = ["COPY_COLUMNS", "SELECT_RUN", "SERVER_NOW", "event_from_row", "event_row", "run_from_row"]

SERVER_NOW = "COALESCE(%(now)s, extract(epoch from clock_timestamp()))"
"""SQL for "now" in a statement: the store's clock when it is injected (``%(now)s``), else the server's."""

COPY_COLUMNS = (
    "run_id",
    "seq",
    "kind",
    "at",
    "path",
    "size",
    "batch_id",
    "error_type",
    "error_message",
    "reason",
    "worker_id",
)


def event_row(run_id: str, seq: int, event: Event) -> tuple[Any, ...]:
    return (
        run_id,
        seq,
        event.kind.value,
        event.at,
        event.path,
        event.size,
        event.batch_id,
        event.error_type,
        clip_error_message(event.error_message),
        event.reason,
        event.worker_id,
    )


def event_from_row(row: TupleRow, run_id: str, where: str) -> Event:
    kind = EVENT_KINDS.get(row[1])
    if kind is None:
        raise UnknownEventKindError(row[1], run_id, row[0], where=where)
    return loaded_event(
        Event(
            kind=kind,
            at=row[2],
            path=row[3],
            size=row[4],
            batch_id=row[5],
            error_type=row[6],
            error_message=row[7],
            reason=row[8],
            worker_id=row[9],
            seq=row[0],
        )
    )


SELECT_RUN = (
    "SELECT run_id, name, priority, source, function, created_at, params, operator, origin, correlation_id "
    "FROM runs"
)


def run_from_row(row: TupleRow) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        name=from_stored(row[1]),
        priority=row[2],
        source=from_stored(row[3]),
        function=from_stored(row[4]),
        created_at=float(row[5]),
        params=row[6],
        operator=from_stored(row[7]),
        origin=from_stored(row[8]),
        correlation_id=from_stored(row[9]),
    )
