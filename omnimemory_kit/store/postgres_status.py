"""The PostgreSQL store's status facts (``store.status_facts``): a run's status in a few indexed queries.

The same reads as ``sqlite_status``: a partial index over the journal's rare kinds (``RARE_EVENTS_INDEX``,
created when the store is opened, without a schema version), and queries that repeat its predicate so the
planner can prove the index applies. The caller reads them in one repeatable-read snapshot with the counters.
"""

from __future__ import annotations

from typing import Any, Final

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.events import EVENT_KINDS, FILE_STATUSES, STRING_ERROR_TYPE, Event, EventKind, FileStatus
from omnimemory_kit.store.counters import RunCounters
from omnimemory_kit.store.postgres_rows import event_from_row
from omnimemory_kit.store.status_facts import (
    LIFECYCLE_KINDS,
    QUIET_KINDS,
    RARE_KINDS_SQL,
    VERDICT_KINDS,
    RunStatusFacts,
    kinds_sql,
)

__all__ = ["add_rare_index", "read_status"]

_R: Final = RARE_KINDS_SQL
_RARE_EVENTS_INDEX: Final = f"CREATE INDEX events_rare ON events (run_id, kind, batch_id) WHERE {_R}"


_COLUMNS: Final = "seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id"
_LIFECYCLE: Final = (
    f"SELECT {_COLUMNS} FROM events WHERE run_id = %(run)s AND {_R} "
    f"AND kind IN ({kinds_sql(LIFECYCLE_KINDS)}) ORDER BY seq"
)
_ACTIVE: Final = f"kind NOT IN ({kinds_sql(QUIET_KINDS)})"
_BEFORE: Final = (
    f"SELECT at FROM events WHERE run_id = %(run)s AND seq < %(seq)s AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
)
_LAST: Final = f"SELECT at FROM events WHERE run_id = %(run)s AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
_FIRST_START: Final = (
    "SELECT seq, at FROM events WHERE run_id = %(run)s AND kind = 'file_started' ORDER BY seq LIMIT 1"
)
_OPEN_BATCHES: Final = (
    f"SELECT (SELECT count(DISTINCT batch_id) FROM events WHERE run_id = %(run)s AND {_R} "
    "AND kind = 'batch_opened') - "
    f"(SELECT count(DISTINCT batch_id) FROM events WHERE run_id = %(run)s AND {_R} AND kind = 'batch_closed')"
)
_ERRORS: Final = (
    f"SELECT coalesce(nullif(f.error_type, ''), '{STRING_ERROR_TYPE}'), count(*) FROM "
    f"(SELECT DISTINCT ON (path) path, error_type FROM events WHERE run_id = %(run)s AND {_R} "
    "AND kind = 'file_failed' ORDER BY path, seq DESC) AS f "
    "JOIN items AS i ON i.run_id = %(run)s AND i.key = f.path WHERE i.status = 'failed' GROUP BY 1"
)
_TALLIES: Final = (
    f"SELECT kind, count(*) FROM events WHERE run_id = %(run)s AND {_R} "
    "AND kind IN ('file_interrupted', 'file_requeued') GROUP BY kind"
)
# The latest verdict of each succeeded item, unless the item was re-run after it.
_LATEST_VERDICTS: Final = (
    f"(SELECT DISTINCT ON (path) {_COLUMNS} FROM events WHERE run_id = %(run)s AND {_R} "
    f"AND kind IN ({kinds_sql(VERDICT_KINDS)}) ORDER BY path, seq DESC) AS v "
    "JOIN items AS i ON i.run_id = %(run)s AND i.key = v.path AND i.status = 'succeeded' "
    f"LEFT JOIN (SELECT path, max(seq) AS seq FROM events WHERE run_id = %(run)s AND {_R} "
    "AND kind = 'file_requeued' GROUP BY path) AS r ON r.path = v.path "
    "WHERE (r.seq IS NULL OR r.seq < v.seq)"
)
_VERDICTS: Final = f"SELECT v.kind, count(*) FROM {_LATEST_VERDICTS} GROUP BY v.kind"
_FLAGGED: Final = (
    f"SELECT {', '.join(f'v.{c.strip()}' for c in _COLUMNS.split(','))} FROM {_LATEST_VERDICTS} "
    "AND v.kind <> 'item_validated' ORDER BY v.seq"
)
_ANY_VERDICT: Final = (
    f"SELECT 1 FROM events WHERE run_id = %(run)s AND {_R} AND kind IN ({kinds_sql(VERDICT_KINDS)}) LIMIT 1"
)
_BYTES: Final = (
    "SELECT status, sum(size), count(*) FILTER (WHERE size = 0) FROM items WHERE run_id = %(run)s "
    "GROUP BY status"
)


def add_rare_index(conn: psycopg.Connection[TupleRow], schema: str) -> None:
    """Create the rare-events index when the store lacks it (the caller holds the schema's advisory lock).

    Looked up first, so an open of a store that has it takes no lock on the journal.
    """
    found = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = 'events_rare'",
        (schema,),
    ).fetchone()
    if found is None:
        conn.execute(_RARE_EVENTS_INDEX)


def read_status(
    conn: psycopg.Connection[TupleRow], run_id: str, counters: RunCounters, *, with_bytes: bool, where: str
) -> RunStatusFacts:
    """Read a run's status facts (the caller holds a repeatable-read transaction: one snapshot)."""
    run = {"run": run_id}
    lifecycle = tuple(event_from_row(row, run_id, where) for row in conn.execute(_LIFECYCLE, run))
    restarts = [e.seq for e in lifecycle if e.kind in (EventKind.RUN_STARTED, EventKind.RUN_RESUMED)]
    before = {}
    for seq in restarts:
        row = conn.execute(_BEFORE, {"run": run_id, "seq": seq}).fetchone()
        if row is not None:
            before[seq] = float(row[0])
    last = conn.execute(_LAST, run).fetchone()
    first_start = None
    if not restarts and counters.started:  # a tracker used directly: its first start started the run
        row = conn.execute(_FIRST_START, run).fetchone()
        first_start = None if row is None else (int(row[0]), float(row[1]))
    tallies: dict[Any, Any] = dict(conn.execute(_TALLIES, run).fetchall())
    nbytes: dict[FileStatus, int] | None = None
    unsized = 0
    if with_bytes:
        nbytes = dict.fromkeys(FileStatus, 0)
        for status, size, zero in conn.execute(_BYTES, run):
            nbytes[FILE_STATUSES[status]] = int(size or 0)
            unsized += int(zero or 0)
    any_verdict = conn.execute(_ANY_VERDICT, run).fetchone() is not None
    verdicts: dict[EventKind, int] = {}
    flagged: tuple[Event, ...] = ()
    if any_verdict:
        verdicts = {EVENT_KINDS[kind]: int(n) for kind, n in conn.execute(_VERDICTS, run)}
        flagged = tuple(event_from_row(row, run_id, where) for row in conn.execute(_FLAGGED, run))
    open_row = conn.execute(_OPEN_BATCHES, run).fetchone()
    return RunStatusFacts(
        counters=counters,
        lifecycle=lifecycle,
        before=before,
        last_at=None if last is None else float(last[0]),
        first_start=first_start,
        bytes_by_status=nbytes,
        unsized=unsized,
        open_batches=max(0, int(open_row[0])) if open_row is not None else 0,
        errors_by_type={str(name): int(n) for name, n in conn.execute(_ERRORS, run)},
        interrupted=int(tallies.get(EventKind.FILE_INTERRUPTED.value, 0)),
        requeued=int(tallies.get(EventKind.FILE_REQUEUED.value, 0)),
        verdicts=verdicts,
        flagged=flagged,
        any_verdict=any_verdict,
    )
