"""The SQLite store's status facts (``store.status_facts``): a run's status in a few indexed queries.

``RARE_EVENTS_INDEX`` is a partial index over the journal's rare kinds (``RARE_KINDS_SQL``), keyed by run,
kind and batch: the lifecycle, the batch tallies, failures, interruptions, re-runs and verdicts are read
through it, so their cost follows their number, never the journal's length. Every rare read (here and in
``store.status_reads``, whose SQLite dialect parts are here) repeats the index's predicate word for word,
which is what lets SQLite's planner use a partial index, and names the index (``rare_events``). On a store
without the index (an older one opened read-only) the same queries scan instead: slower, same answers.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from omnimemory_kit.events import EVENT_KINDS, STRING_ERROR_TYPE, Event, EventKind
from omnimemory_kit.store.base import loaded_event
from omnimemory_kit.store.counters import RunCounters
from omnimemory_kit.store.sqlite_counters import read_counters, read_item_bytes, snapshot
from omnimemory_kit.store.sqlite_journal import COMPACT_VERDICTS
from omnimemory_kit.store.status_facts import (
    COMMON_KINDS,
    RARE_KINDS_SQL,
    VERDICT_KINDS,
    RunStatusFacts,
    kinds_sql,
)
from omnimemory_kit.store.status_reads import STATUS_COLUMNS, ItemBytes, StatusDialect, read_status_facts

__all__ = [
    "FAILURE_INDEXES",
    "RARE_EVENTS",
    "RARE_EVENTS_INDEX",
    "SQLITE_STATUS",
    "SQLITE_STATUS_V6",
    "StoreConnection",
    "first_unknown_kind",
    "has_failure_indexes",
    "has_rare_index",
    "rare_events",
    "read_rare_events",
    "read_status",
]

RARE_EVENTS_INDEX: Final = (
    f"CREATE INDEX IF NOT EXISTS events_rare ON events (run_no, kind, batch_id) WHERE {RARE_KINDS_SQL}"
)
"""The partial index over the journal's rare kinds (created with the schema, and on opening a store
without it for writing: it adds no schema version, and a version that lacks it ignores it)."""
RARE_EVENTS: Final = "events INDEXED BY events_rare"
"""The events table read through the rare-events index (a store that has it)."""
FAILURE_INDEXES: Final = (
    "CREATE INDEX IF NOT EXISTS events_failed ON events (run_no, kind, path, seq, error_type) "
    "WHERE kind = 'file_failed'",
    "CREATE INDEX IF NOT EXISTS items_failed ON items (run_no, status, key) WHERE status = 'failed'",
)
"""Two small partial indexes that cover the count of failed items per error type (``status``): the failed
items' keys, and each one's failures with their types. Read from them alone, the count needs a few hundred
pages even where the store is not in the page cache; through the rare-events index it read a journal row and
an item row per failed item, about two seconds at 20,000 failed items of a 10M-item run read cold. Built like
``RARE_EVENTS_INDEX`` (no schema version)."""


_R: Final = RARE_KINDS_SQL
_VERDICTS: Final = kinds_sql(VERDICT_KINDS)
# Every verdict as its own row: a run of them kept in one row (schema version 8, ``sqlite_journal``) expanded,
# its members' seqs counted on from the row's. A store without the ``members`` column (older than version 7,
# opened read-only) has a row per verdict.
_EACH_VERDICT: Final = (
    f"SELECT seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id FROM {{rare}} "
    f"WHERE {{run}} AND {_R} AND kind IN ({_VERDICTS}) AND members IS NULL UNION ALL "
    "SELECT c.seq + j.rowid, c.kind, j.value, j.key, NULL, NULL, NULL, NULL, NULL, c.worker_id FROM "
    f"(SELECT seq, kind, worker_id, members FROM {{rare}} WHERE {{run}} AND {_R} AND kind IN ({_VERDICTS}) "
    "AND members IS NOT NULL) AS c, json_each(c.members) AS j"
)
_EACH_VERDICT_V6: Final = (
    f"SELECT seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id FROM {{rare}} "
    f"WHERE {{run}} AND {_R} AND kind IN ({_VERDICTS})"
)
# An item failed for good now carries its last failure's type (SQLite takes the bare column from the
# row holding max(seq)). The latest verdicts likewise: each item's verdict row with the highest seq, of the
# items that succeeded and were not re-run since.
_LATEST_VERDICTS: Final = (
    "(SELECT max(seq) AS seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id "
    "FROM ({each}) GROUP BY path) AS e "
    "CROSS JOIN items AS i ON i.run_no = {{run_param}} AND i.key = e.path AND i.status = 'succeeded' "
    f"LEFT JOIN (SELECT path, max(seq) AS seq FROM {{{{rare}}}} WHERE {{{{run}}}} AND {_R} "
    "AND kind = 'file_requeued' GROUP BY path) AS r ON r.path = e.path "
    "WHERE (r.seq IS NULL OR r.seq < e.seq)"
)
_ERRORS: Final = (
    f"SELECT coalesce(nullif(f.error_type, ''), '{STRING_ERROR_TYPE}'), count(*) FROM "
    f"(SELECT path, error_type, max(seq) FROM {{rare}} WHERE {{run}} AND {_R} AND kind = 'file_failed' "
    "GROUP BY path) AS f JOIN items AS i ON i.run_no = {run_param} AND i.key = f.path "
    "WHERE i.status = 'failed' GROUP BY 1"
)
# The same count from the failure indexes alone (every column it reads is in them: no row is read).
_ERRORS_INDEXED: Final = (
    "SELECT coalesce(nullif((SELECT e.error_type FROM events AS e INDEXED BY events_failed "
    "WHERE e.run_no = {run_param} AND e.kind = 'file_failed' AND e.path = i.key "
    "ORDER BY e.seq DESC LIMIT 1), "
    f"''), '{STRING_ERROR_TYPE}'), count(*) FROM items AS i INDEXED BY items_failed "
    "WHERE i.run_no = {run_param} AND i.status = 'failed' "
    "AND EXISTS (SELECT 1 FROM events AS e INDEXED BY events_failed WHERE e.run_no = {run_param} "
    "AND e.kind = 'file_failed' AND e.path = i.key) GROUP BY 1"
)
SQLITE_STATUS: Final = StatusDialect(
    run="run_no",
    run_param=":run",
    seq_param=":seq",
    errors=_ERRORS,
    latest_verdicts=_LATEST_VERDICTS.format(each=_EACH_VERDICT),
)
"""The SQLite spelling of the status reads (``store.status_reads``)."""
SQLITE_STATUS_V6: Final = StatusDialect(
    run="run_no",
    run_param=":run",
    seq_param=":seq",
    errors=_ERRORS,
    latest_verdicts=_LATEST_VERDICTS.format(each=_EACH_VERDICT_V6),
)
"""The same for a store older than schema version 7 opened read-only (no ``members`` column)."""


def read_status(
    conn: sqlite3.Connection,
    run_no: int,
    run_id: str,
    *,
    with_bytes: bool,
    bytes_kept: bool,
    compact: bool = True,
) -> RunStatusFacts:
    """Read a run's counters and status facts in one read transaction (one snapshot).

    ``bytes_kept``: the store keeps the item bytes beside the counts (schema version 5); without them,
    ``with_bytes`` costs a pass over the items. ``compact``: the store may hold a run of events in one row
    (schema version 7).
    """
    with snapshot(conn):
        counters = read_counters(conn, run_no, run_id, None)
        kept = read_item_bytes(conn, run_no) if with_bytes and bytes_kept else None
        dialect = SQLITE_STATUS if compact else SQLITE_STATUS_V6
        if has_failure_indexes(conn):
            dialect = dataclasses.replace(dialect, errors=_ERRORS_INDEXED)
        return _read_facts(conn, run_no, counters, dialect, with_bytes=with_bytes, kept_bytes=kept)


def first_unknown_kind(conn: sqlite3.Connection, run_no: int) -> tuple[int, str] | None:
    """Return (seq, kind) of the run's first event of a kind this version lacks, or None.

    Every common kind is known, so an unknown one is among the rare events: the index holds it.
    """
    row = conn.execute(
        f"SELECT seq, kind FROM {rare_events(conn)} WHERE run_no = ? AND {_R} "
        "AND kind NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT 1",
        (run_no, json.dumps(list(EVENT_KINDS))),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _read_facts(
    conn: sqlite3.Connection,
    run_no: int,
    counters: RunCounters,
    dialect: StatusDialect,
    *,
    with_bytes: bool,
    kept_bytes: ItemBytes | None,
) -> RunStatusFacts:
    """Read a run's status facts (the caller holds a read transaction, so they are one snapshot)."""

    def query(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    return read_status_facts(
        query, dialect, run_no, counters, rare=rare_events(conn), with_bytes=with_bytes,
        event_of=_event, kept_bytes=kept_bytes,
    )  # fmt: skip


def read_rare_events(
    conn: sqlite3.Connection,
    run_no: int,
    kinds: frozenset[EventKind],
    *,
    after_seq: int,
    until_seq: int | None,
    worker_id: str | None,
    compact: bool = True,
) -> list[Event]:
    """Return the run's events of rare ``kinds`` in a seq range, of one worker, through the index.

    ``compact``: the store may hold a run of verdicts in one row (schema version 8; a store older than
    version 7, opened read-only, has no ``members`` column); such a row is read from the one holding the
    event after ``after_seq`` and expanded into its events.
    """
    assert kinds.isdisjoint(COMMON_KINDS), "only rare kinds are in the index"
    if not compact or kinds.isdisjoint(COMPACT_VERDICTS):
        rows = conn.execute(
            f"SELECT {STATUS_COLUMNS} FROM {rare_events(conn)} WHERE run_no = ?1 AND {_R} "
            f"AND kind IN ({kinds_sql(kinds)}) "
            "AND seq > ?2 AND (?3 IS NULL OR seq <= ?3) AND (?4 IS NULL OR worker_id = ?4) ORDER BY seq",
            (run_no, after_seq, until_seq, worker_id),
        ).fetchall()
        return [_event(row) for row in rows]
    rows = conn.execute(
        f"SELECT {STATUS_COLUMNS}, members FROM {rare_events(conn)} WHERE run_no = ?1 AND {_R} "
        f"AND kind IN ({kinds_sql(kinds)}) "
        "AND seq >= (SELECT coalesce(max(seq), 0) FROM events WHERE run_no = ?1 AND seq <= ?2 + 1) "
        "AND (?3 IS NULL OR seq <= ?3) AND (?4 IS NULL OR worker_id = ?4) ORDER BY seq",
        (run_no, after_seq, until_seq, worker_id),
    ).fetchall()
    events: list[Event] = []
    for row in rows:
        members = row[-1]
        if members is None:
            if row[0] > after_seq:
                events.append(_event(row[:-1]))
            continue
        first, kind, _, _, _, batch_id, _, _, _, worker = row[:-1]
        for position, (key, at) in enumerate(json.loads(members).items()):
            seq = first + position
            if seq > after_seq and (until_seq is None or seq <= until_seq):
                events.append(_event((seq, kind, at, key, None, batch_id, None, None, None, worker)))
    return events


class StoreConnection(sqlite3.Connection):
    """A store's SQLite connection, which remembers once it has seen the rare-events index.

    The index appears once (with the schema, or built on an open for writing) and is never dropped, so a
    sighting holds for the connection's life; its absence does not (another process opening the store for
    writing builds it), so a store without it is asked again each time, which costs only such old stores.
    """

    rare_index_seen: bool = False
    failure_indexes_seen: bool = False


def has_rare_index(conn: sqlite3.Connection) -> bool:
    """Return whether the store has the rare-events index (a store opened read-only may predate it)."""
    if isinstance(conn, StoreConnection) and conn.rare_index_seen:
        return True
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events_rare'").fetchone() is not None
    if found and isinstance(conn, StoreConnection):
        conn.rare_index_seen = True
    return found


def has_failure_indexes(conn: sqlite3.Connection) -> bool:
    """Return whether the store has both failure indexes (``FAILURE_INDEXES``; older stores lack them)."""
    if isinstance(conn, StoreConnection) and conn.failure_indexes_seen:
        return True
    found = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name IN ('events_failed', 'items_failed')"
    ).fetchone()[0] == len(FAILURE_INDEXES)
    if found and isinstance(conn, StoreConnection):
        conn.failure_indexes_seen = True
    return bool(found)


def rare_events(conn: sqlite3.Connection) -> str:
    """Return the events table read through the rare-events index, or plainly where the store lacks it.

    Without statistics SQLite prefers the primary key's run prefix (a scan of the whole journal): the
    index is named where it exists.
    """
    return RARE_EVENTS if has_rare_index(conn) else "events"


def _event(row: tuple[Any, ...]) -> Event:
    seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id = row
    return loaded_event(
        Event(EVENT_KINDS[kind], at, path, size, batch_id, error_type, error_message, reason, worker_id, seq)
    )
