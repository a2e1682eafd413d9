"""The SQLite store's status facts (``store.status_facts``): a run's status in a few indexed queries.

``RARE_EVENTS_INDEX`` is a partial index over the journal's rare kinds (``RARE_KINDS_SQL``), keyed by run,
kind and batch: the lifecycle, the batch tallies, failures, interruptions, re-runs and verdicts are read
through it, so their cost follows their number, never the journal's length. Every query below repeats the
index's predicate word for word, which is what lets SQLite's planner use a partial index. On a store
without the index (an older one opened read-only) the same queries scan instead: slower, same answers.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from omnimemory_kit.events import EVENT_KINDS, FILE_STATUSES, STRING_ERROR_TYPE, Event, EventKind, FileStatus
from omnimemory_kit.store.base import loaded_event
from omnimemory_kit.store.counters import RunCounters
from omnimemory_kit.store.sqlite_counters import read_counters, snapshot
from omnimemory_kit.store.status_facts import (
    COMMON_KINDS,
    LIFECYCLE_KINDS,
    QUIET_KINDS,
    RARE_KINDS_SQL,
    VERDICT_KINDS,
    RunStatusFacts,
    kinds_sql,
)

__all__ = [
    "RARE_EVENTS",
    "RARE_EVENTS_INDEX",
    "first_unknown_kind",
    "has_rare_index",
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


_R: Final = RARE_KINDS_SQL
_COLUMNS: Final = "kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq"
_LIFECYCLE: Final = (
    f"SELECT {_COLUMNS} FROM {{rare}} WHERE run_no = ?1 AND {_R} AND kind IN ({kinds_sql(LIFECYCLE_KINDS)}) "
    "ORDER BY seq"
)
_ACTIVE: Final = f"kind NOT IN ({kinds_sql(QUIET_KINDS)})"
_BEFORE: Final = (
    f"SELECT at FROM events WHERE run_no = ?1 AND seq < ?2 AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
)
_LAST: Final = f"SELECT at FROM events WHERE run_no = ?1 AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
_FIRST_START: Final = (
    "SELECT seq, at FROM events WHERE run_no = ?1 AND kind = 'file_started' ORDER BY seq LIMIT 1"
)
_OPEN_BATCHES: Final = (
    f"SELECT (SELECT count(DISTINCT batch_id) FROM {{rare}} WHERE run_no = ?1 AND {_R} "
    "AND kind = 'batch_opened') - "
    f"(SELECT count(DISTINCT batch_id) FROM {{rare}} WHERE run_no = ?1 AND {_R} AND kind = 'batch_closed')"
)
# An item failed for good now carries its last failure's type (SQLite takes the bare column from the
# row holding max(seq)).
_ERRORS: Final = (
    f"SELECT coalesce(nullif(f.error_type, ''), '{STRING_ERROR_TYPE}'), count(*) FROM "
    f"(SELECT path, error_type, max(seq) FROM {{rare}} WHERE run_no = ?1 AND {_R} AND kind = 'file_failed' "
    "GROUP BY path) AS f JOIN items AS i ON i.run_no = ?1 AND i.key = f.path WHERE i.status = 'failed' "
    "GROUP BY 1"
)
_TALLIES: Final = (
    f"SELECT kind, count(*) FROM {{rare}} WHERE run_no = ?1 AND {_R} "
    "AND kind IN ('file_interrupted', 'file_requeued') GROUP BY kind"
)
# The latest verdict of each succeeded item, unless the item was re-run after it (its verdict no longer
# holds). CROSS JOIN keeps the verdicts outermost: the planner, without statistics, would scan the journal.
_LATEST_VERDICTS: Final = (
    f"(SELECT path, max(seq) AS seq FROM {{rare}} WHERE run_no = ?1 AND {_R} "
    f"AND kind IN ({kinds_sql(VERDICT_KINDS)}) GROUP BY path) AS v "
    "CROSS JOIN events AS e ON e.run_no = ?1 AND e.seq = v.seq "
    "CROSS JOIN items AS i ON i.run_no = ?1 AND i.key = v.path AND i.status = 'succeeded' "
    f"LEFT JOIN (SELECT path, max(seq) AS seq FROM {{rare}} WHERE run_no = ?1 AND {_R} "
    "AND kind = 'file_requeued' GROUP BY path) AS r ON r.path = v.path "
    "WHERE (r.seq IS NULL OR r.seq < v.seq)"
)
_VERDICTS: Final = f"SELECT e.kind, count(*) FROM {_LATEST_VERDICTS} GROUP BY e.kind"
_FLAGGED: Final = (
    f"SELECT {', '.join(f'e.{c.strip()}' for c in _COLUMNS.split(','))} FROM {_LATEST_VERDICTS} "
    "AND e.kind <> 'item_validated' ORDER BY e.seq"
)
_ANY_VERDICT: Final = (
    f"SELECT 1 FROM {{rare}} WHERE run_no = ?1 AND {_R} AND kind IN ({kinds_sql(VERDICT_KINDS)}) LIMIT 1"
)
_BYTES: Final = "SELECT status, sum(size), sum(size = 0) FROM items WHERE run_no = ?1 GROUP BY status"


def read_status(conn: sqlite3.Connection, run_no: int, run_id: str, *, with_bytes: bool) -> RunStatusFacts:
    """Read a run's counters and status facts in one read transaction (one snapshot)."""
    with snapshot(conn):
        counters = read_counters(conn, run_no, run_id, None)
        return _read_facts(conn, run_no, counters, with_bytes=with_bytes)


def first_unknown_kind(conn: sqlite3.Connection, run_no: int) -> tuple[int, str] | None:
    """Return (seq, kind) of the run's first event of a kind this version lacks, or None.

    Every common kind is known, so an unknown one is among the rare events: the index holds it.
    """
    rare = RARE_EVENTS if has_rare_index(conn) else "events"
    row = conn.execute(
        f"SELECT seq, kind FROM {rare} WHERE run_no = ? AND {_R} "
        "AND kind NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT 1",
        (run_no, json.dumps(list(EVENT_KINDS))),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _read_facts(
    conn: sqlite3.Connection, run_no: int, counters: RunCounters, *, with_bytes: bool
) -> RunStatusFacts:
    """Read a run's status facts (the caller holds a read transaction, so they are one snapshot)."""
    indexed = has_rare_index(conn)
    # Without statistics SQLite prefers the primary key's run prefix (a scan of the whole journal): name
    # the index where it exists.
    rare = RARE_EVENTS if indexed else "events"

    def sql(query: str) -> str:
        return query.replace("{rare}", rare)

    lifecycle = tuple(_event(row) for row in conn.execute(sql(_LIFECYCLE), (run_no,)))
    restarts = [e.seq for e in lifecycle if e.kind in (EventKind.RUN_STARTED, EventKind.RUN_RESUMED)]
    before = {}
    for seq in restarts:
        row = conn.execute(_BEFORE, (run_no, seq)).fetchone()
        if row is not None:
            before[seq] = float(row[0])
    last = conn.execute(_LAST, (run_no,)).fetchone()
    first_start = None
    if not restarts and counters.started:  # a tracker used directly: its first start started the run
        row = conn.execute(_FIRST_START, (run_no,)).fetchone()
        first_start = None if row is None else (int(row[0]), float(row[1]))
    tallies = dict(conn.execute(sql(_TALLIES), (run_no,)).fetchall())
    nbytes: dict[FileStatus, int] | None = None
    unsized = 0
    if with_bytes:
        nbytes = dict.fromkeys(FileStatus, 0)
        for status, size, zero in conn.execute(_BYTES, (run_no,)):
            nbytes[FILE_STATUSES[status]] = int(size or 0)
            unsized += int(zero or 0)
    any_verdict = conn.execute(sql(_ANY_VERDICT), (run_no,)).fetchone() is not None
    verdicts: dict[EventKind, int] = {}
    flagged: tuple[Event, ...] = ()
    if any_verdict:
        verdicts = {EVENT_KINDS[kind]: int(n) for kind, n in conn.execute(sql(_VERDICTS), (run_no,))}
        flagged = tuple(_event(row) for row in conn.execute(sql(_FLAGGED), (run_no,)))
    return RunStatusFacts(
        counters=counters,
        lifecycle=lifecycle,
        before=before,
        last_at=None if last is None else float(last[0]),
        first_start=first_start,
        bytes_by_status=nbytes,
        unsized=unsized,
        open_batches=max(0, int(conn.execute(sql(_OPEN_BATCHES), (run_no,)).fetchone()[0])),
        errors_by_type={str(name): int(n) for name, n in conn.execute(sql(_ERRORS), (run_no,))},
        interrupted=int(tallies.get(EventKind.FILE_INTERRUPTED.value, 0)),
        requeued=int(tallies.get(EventKind.FILE_REQUEUED.value, 0)),
        verdicts=verdicts,
        flagged=flagged,
        any_verdict=any_verdict,
    )


def read_rare_events(
    conn: sqlite3.Connection,
    run_no: int,
    kinds: frozenset[EventKind],
    *,
    after_seq: int,
    until_seq: int | None,
    worker_id: str | None,
) -> list[Event]:
    """Return the run's events of rare ``kinds`` in a seq range, of one worker, through the index."""
    assert kinds.isdisjoint(COMMON_KINDS), "only rare kinds are in the index"
    rare = RARE_EVENTS if has_rare_index(conn) else "events"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM {rare} WHERE run_no = ?1 AND {_R} AND kind IN ({kinds_sql(kinds)}) "
        "AND seq > ?2 AND (?3 IS NULL OR seq <= ?3) AND (?4 IS NULL OR worker_id = ?4) ORDER BY seq",
        (run_no, after_seq, until_seq, worker_id),
    ).fetchall()
    return [_event(row) for row in rows]


def has_rare_index(conn: sqlite3.Connection) -> bool:
    """Return whether the store has the rare-events index (a store opened read-only may predate it)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events_rare'").fetchone() is not None


def _event(row: tuple[Any, ...]) -> Event:
    kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq = row
    return loaded_event(
        Event(EVENT_KINDS[kind], at, path, size, batch_id, error_type, error_message, reason, worker_id, seq)
    )
