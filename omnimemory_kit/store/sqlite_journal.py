"""Writing journal rows to a SQLite store: events after the run's last seq, its seq and counters kept in step.

Every append of a ``SQLiteStore`` inserts its events here (``insert_events``), in the same transaction as
the rest of the write: the run's ``last_seq`` moves past them, and their counted kinds are added to the
run's minute buckets (``sqlite_counters``). Claims and item additions build their rows in SQL, with the
statements kept here too.

A run of item events in one row (``members``, schema version 7): a chunk's FILE_ADDED events, a claim's
FILE_STARTED events (one time, batch and worker) and a report's FILE_SUCCEEDED events of one worker
(``COMPACT_KINDS``) are one row, whose ``members`` is JSON with a member per event in seq order: an object
of ``key: size`` for FILE_ADDED, an array of keys for FILE_STARTED (both all at the row's ``at``), an
object of ``key: at`` for FILE_SUCCEEDED. The row's ``seq`` is the first event's, its ``at`` the latest
event's, its ``path`` NULL. Writing a row per event cost the
store thread, the bottleneck of a run of fast items, about 30 % of its work. Readers expand such a row
into its events (``expand_rows`` in Python, ``EXPANDED_EVENTS`` in SQL), so the journal's contract (one
event per seq, dense seqs) holds for every reader; the rare-events index never holds these kinds.

Since schema version 8 a run of ITEM_VALIDATED verdicts of one worker (a batch's, or a validation pass's
chunk) is one row too, an object of ``key: at`` like FILE_SUCCEEDED's (``COMPACT_VERDICTS``). Verdicts are
rare kinds, so such a row is in the rare-events index, and the rare reads expand it (``sqlite_status``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from omnimemory_kit.events import Event, EventKind, ItemRun, JournalEntry
from omnimemory_kit.store.base import ERROR_MESSAGE_LIMIT, clip_error_message
from omnimemory_kit.store.counters import add_run_minutes, merge_minute_rows, minute_rows
from omnimemory_kit.store.json_text import finite_json, read_json
from omnimemory_kit.store.sqlite_counters import write_minutes

__all__ = [
    "COMPACT_KINDS",
    "COMPACT_VERDICTS",
    "EXPANDED_EVENTS",
    "INSERT_ADDED",
    "INSERT_COMPACT_STARTS",
    "INSERT_EVENT_ROW",
    "expand_rows",
    "insert_entries",
    "insert_events",
    "insert_rows",
    "insert_verdict_run",
]

_INSERT_EVENT: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, size, batch_id, error_type, error_message, reason, "
    "worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT_ROW: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, size, batch_id, error_type, error_message, reason, "
    "worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
COMPACT_KINDS: Final = frozenset({EventKind.FILE_ADDED, EventKind.FILE_STARTED, EventKind.FILE_SUCCEEDED})
"""The item kinds a run of which is written as one row (see the module)."""
COMPACT_VERDICTS: Final = frozenset({EventKind.ITEM_VALIDATED})
"""The verdict kinds a run of which is written as one row (schema version 8): rare kinds, in the index."""
INSERT_COMPACT_STARTS: Final = (
    "INSERT INTO events (run_no, seq, kind, at, batch_id, worker_id, members) "
    f"VALUES (?1, ?2, '{EventKind.FILE_STARTED}', ?3, ?4, ?5, ?6)"
)
"""A claim's FILE_STARTED events as one row: the pick's keys (a JSON array), seqs from ?2."""
_INSERT_COMPACT_RUN: Final = (
    "INSERT INTO events (run_no, seq, kind, at, worker_id, members) VALUES (?, ?, ?, ?, ?, ?)"
)
"""A run of plain events of a compact kind as one row: the members text as it was encoded."""
_COMPACT_VALUES: Final = frozenset(str(kind) for kind in COMPACT_KINDS | COMPACT_VERDICTS)
_ADDED: Final = str(EventKind.FILE_ADDED)
_STARTED: Final = str(EventKind.FILE_STARTED)
EXPANDED_EVENTS: Final = (
    "(SELECT run_no, seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id "
    "FROM events WHERE members IS NULL UNION ALL "
    f"SELECT e.run_no, e.seq + j.rowid, e.kind, iif(e.kind IN ('{_ADDED}', '{_STARTED}'), e.at, j.value), "
    f"iif(e.kind = '{_STARTED}', j.value, j.key), iif(e.kind = '{_ADDED}', j.value, NULL), e.batch_id, NULL, "
    "NULL, NULL, e.worker_id "
    "FROM events AS e, json_each(e.members) AS j WHERE e.members IS NOT NULL)"
)
"""The journal with every row of a run expanded into its events (``json_each``'s rowid counts the
members from 0): a table expression for queries that need the events themselves."""
_INSERT_PLAIN_EVENT: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, worker_id) VALUES (?, ?, ?, ?, ?, ?)"
)
"""An event with nothing but a kind, a time, a key and a worker (its other columns stay NULL)."""
_INSERT_PLAIN_RUN: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, worker_id) "
    "SELECT ?1, ?2 + j.key, ?3, j.value ->> 1, j.value ->> 0, ?4 FROM json_each(?5) j"
)
"""A run of plain events of one kind and worker: ``[key, at]`` pairs, seqs from ?2 in the pairs' order."""
_INSERT_PLAIN_RUN_OF_KEYS: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, worker_id) "
    "SELECT ?1, ?2 + j.rowid, ?3, j.value, j.key, ?4 FROM json_each(?5) j"
)
"""The same from a JSON object of ``key: at`` members (keys unique), in members' order: SQLite reads a
member's key and number as they are, where a pair costs it a parse of each element (half the insert's CPU)."""
_PLAIN_RUNS_AT_MOST: Final = 8
"""Above this many runs of (kind, worker) in one append, the plain events go in row by row instead."""
_SHORT_STRETCH: Final = 4
"""Stretches of plain events shorter than this on average, past ``_PLAIN_RUNS_AT_MOST`` of them, make a mix
go in row by row (a batch's verdicts with a mismatch every tenth item keep their runs of validated items)."""
INSERT_ADDED: Final = (
    f"INSERT INTO events (run_no, seq, kind, at, members) VALUES (?1, ?2, '{EventKind.FILE_ADDED}', ?3, ?4)"
)
"""A chunk's FILE_ADDED events as one row: a JSON object of ``key: size`` members (whole sizes), seqs
from ?2."""


def _bump_last_seq(conn: sqlite3.Connection, run_no: int, first: int, count: int) -> int:
    """Record that the run's journal now ends ``count`` events after ``first - 1``; return the last seq."""
    last = int(first + count - 1)
    conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last, run_no))
    return last


def _insert_plain(
    conn: sqlite3.Connection, run_no: int, first: int, events: Sequence[Event]
) -> dict[float, list[Any]]:
    """Insert plain events (a kind, a time, a key, a worker) with seqs from ``first``, in their order;
    return their minute buckets (``counters.minute_rows``).

    A report's outcomes are runs of one kind from one worker: each run is one statement that SQLite reads
    from JSON in C, so the store thread holds the interpreter's lock only to encode the pairs, not once per
    row as ``executemany`` takes it back (the event loop runs meanwhile), and is counted whole when it falls
    in one minute. Floats survive the JSON exactly.
    """
    runs: list[tuple[int, str, str | None, list[tuple[str | None, float]]]] = []
    current: list[tuple[str | None, float]] = []
    last_kind: object = None
    last_worker: object = None
    for seq, e in enumerate(events, first):
        if e.kind is not last_kind or e.worker_id != last_worker or not runs:
            if len(runs) == _PLAIN_RUNS_AT_MOST:
                _insert_plain_rows(conn, run_no, first, events)
                return minute_rows(events)
            last_kind, last_worker = e.kind, e.worker_id
            current = []
            runs.append((seq, str(last_kind), e.worker_id, current))
        current.append((e.path, e.at))
    try:
        statements = [_plain_run(pairs) for _, _, _, pairs in runs]
    except ValueError:  # a time that is no JSON number: bound as it is, so SQLite refuses it as before
        _insert_plain_rows(conn, run_no, first, events)
        return minute_rows(events)
    buckets: dict[float, list[Any]] = {}
    for (start, kind, worker, pairs), statement in zip(runs, statements, strict=True):
        _write_run(conn, run_no, start, kind, worker, [at for _, at in pairs], statement, buckets)
    return buckets


def _write_run(
    conn: sqlite3.Connection,
    run_no: int,
    start: int,
    kind: str,
    worker: str | None,
    ats: list[float],
    statement: tuple[str, str],
    buckets: dict[float, list[Any]],
) -> None:
    """Write one run of plain events (``_plain_run``'s statement and JSON, seqs from ``start``): a run of a
    compact kind as one row, any other a row per event read from the JSON; count it into ``buckets``."""
    sql, doc = statement
    if sql is _INSERT_PLAIN_RUN_OF_KEYS and kind in _COMPACT_VALUES and len(ats) > 1:
        conn.execute(_INSERT_COMPACT_RUN, (run_no, start, kind, max(ats), worker, doc))
    else:
        conn.execute(sql, (run_no, start, kind, worker, doc))
    add_run_minutes(buckets, kind, ats)


def _plain_run(pairs: list[tuple[str | None, float]]) -> tuple[str, str]:
    """Return the statement and JSON for one run of plain events: an object of ``key: at`` members when its
    keys are distinct strings (a report's usual run: one outcome per item), else ``[key, at]`` pairs (an
    item retried twice in a row, an event without a key)."""
    members = dict(pairs)
    if len(members) == len(pairs) and None not in members:
        return _INSERT_PLAIN_RUN_OF_KEYS, finite_json(members)
    return _INSERT_PLAIN_RUN, finite_json(pairs)


def _insert_plain_rows(conn: sqlite3.Connection, run_no: int, first: int, events: Sequence[Event]) -> None:
    """Insert plain events row by row (many runs of kinds, or a time JSON cannot hold)."""
    conn.executemany(
        _INSERT_PLAIN_EVENT,
        [(run_no, seq, str(e.kind), e.at, e.path, e.worker_id) for seq, e in enumerate(events, first)],
    )


def insert_events(conn: sqlite3.Connection, run_no: int, events: Sequence[Event]) -> tuple[int, int]:
    """Insert events after the run's last seq (no projection); return their first and last seq."""
    (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
    first = last + 1
    if not events:
        return first, int(last)
    write_minutes(conn, run_no, insert_rows(conn, run_no, first, events))
    return first, _bump_last_seq(conn, run_no, first, len(events))


def insert_rows(
    conn: sqlite3.Connection, run_no: int, first: int, events: Sequence[Event]
) -> dict[float, list[Any]]:
    """Insert events with seqs from ``first``; return their minute buckets (``counters.minute_rows``).

    The caller moves the run's last seq and adds the buckets to the minute counters.
    """
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
        return _insert_plain(conn, run_no, first, events)
    # A mix (a batch's verdicts with its BATCH_CLOSED): each stretch of plain events still goes in the
    # cheap way (one statement per run of a kind), the others row by row. A mix of many short stretches
    # (starts and outcomes alternating, as a journal replayed event by event has them) goes in row by row
    # whole: a statement per stretch of one or two events costs more than executemany's row.
    stretches, plain = _stretches(events)
    if stretches > _PLAIN_RUNS_AT_MOST and plain < _SHORT_STRETCH * stretches:
        conn.executemany(_INSERT_EVENT, [_row(run_no, seq, e) for seq, e in enumerate(events, first)])
        return minute_rows(events)
    buckets: dict[float, list[Any]] = {}
    stretch: list[Event] = []
    others: list[Event] = []
    rows: list[tuple[Any, ...]] = []
    for seq, e in enumerate(events, first):
        if _is_plain(e):
            stretch.append(e)
            continue
        if stretch:
            merge_minute_rows(buckets, _insert_plain(conn, run_no, seq - len(stretch), stretch))
            stretch = []
        others.append(e)
        rows.append(_row(run_no, seq, e))
    if stretch:
        merge_minute_rows(buckets, _insert_plain(conn, run_no, first + len(events) - len(stretch), stretch))
    if len(rows) == 1:
        conn.execute(_INSERT_EVENT, rows[0])
    else:
        conn.executemany(_INSERT_EVENT, rows)
    merge_minute_rows(buckets, minute_rows(others))
    return buckets


def insert_entries(
    conn: sqlite3.Connection, run_no: int, first: int, entries: Sequence[JournalEntry]
) -> tuple[dict[float, list[Any]], list[tuple[int, list[Event]]]]:
    """Insert events and runs of verdicts with seqs from ``first``, in order; return their minute buckets
    and the stretches of events (each with its first seq) for the projection (verdicts change no item)."""
    buckets: dict[float, list[Any]] = {}
    stretches: list[tuple[int, list[Event]]] = []
    events: list[Event] = []
    seq = start = first
    for entry in entries:
        if isinstance(entry, Event):
            events.append(entry)
            seq += 1
            continue
        if events:
            merge_minute_rows(buckets, insert_rows(conn, run_no, start, events))
            stretches.append((start, events))
            events = []
        merge_minute_rows(buckets, insert_verdict_run(conn, run_no, seq, entry))
        seq += len(entry.keys)
        start = seq
    if events:
        merge_minute_rows(buckets, insert_rows(conn, run_no, start, events))
        stretches.append((start, events))
    return buckets, stretches


def insert_verdict_run(
    conn: sqlite3.Connection, run_no: int, first: int, run: ItemRun
) -> dict[float, list[Any]]:
    """Insert a run of plain events given by keys (a batch's valid verdicts), seqs from ``first``, as a
    report's run of outcomes goes in (``_write_run``: one row for a compact kind); return its minute
    buckets. A run with more than keys and times, or a time JSON cannot hold, goes in as its events."""
    ats = run.ats if run.ats is not None else [run.at] * len(run.keys)
    if run.sizes is None and run.batch_id is None:
        pairs: list[tuple[str | None, float]] = list(zip(run.keys, ats, strict=True))
        try:
            statement = _plain_run(pairs)
        except ValueError:
            pass
        else:
            buckets: dict[float, list[Any]] = {}
            _write_run(conn, run_no, first, str(run.kind), run.worker_id, ats, statement, buckets)
            return buckets
    return insert_rows(conn, run_no, first, run.events())


def _is_plain(e: Event) -> bool:
    return (
        e.size is None
        and e.batch_id is None
        and e.error_type is None
        and e.error_message is None
        and e.reason is None
    )


def _stretches(events: Sequence[Event]) -> tuple[int, int]:
    """Count the stretches of plain events (nothing but a kind, a time, a key and a worker) in ``events``,
    and the plain events."""
    count = plain_events = 0
    before = False
    for e in events:
        plain = _is_plain(e)
        if plain:
            plain_events += 1
            if not before:
                count += 1
        before = plain
    return count, plain_events


def _row(run_no: int, seq: int, e: Event) -> tuple[Any, ...]:
    """Return the row of one event (its error message clipped to what the journal keeps)."""
    msg = e.error_message
    if msg is not None and len(msg) > ERROR_MESSAGE_LIMIT:
        msg = clip_error_message(msg)
    return (
        run_no,
        seq,
        str(e.kind),
        e.at,
        e.path,
        e.size,
        e.batch_id,
        e.error_type,
        msg,
        e.reason,
        e.worker_id,
    )


def expand_rows(rows: Sequence[tuple[Any, ...]], after_seq: int) -> list[tuple[Any, ...]]:
    """Return journal rows as event rows past ``after_seq``: a run's row expanded into its events.

    ``rows`` are ``(kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq,
    members)`` in seq order; the result drops ``members`` (``EVENT_COLUMNS`` order, stored text as it is).
    """
    out: list[tuple[Any, ...]] = []
    append = out.append
    for row in rows:
        members = row[10]
        if members is None:
            if row[9] > after_seq:
                append(row[:10])
            continue
        kind, at, _, _, batch_id, _, _, _, worker_id, seq = row[:10]
        if kind == _STARTED:  # the keys, at the row's time
            for position, key in enumerate(read_json(members)):
                if seq + position > after_seq:
                    append((kind, at, key, None, batch_id, None, None, None, worker_id, seq + position))
            continue
        if kind == _ADDED:  # key: size, at the row's time
            for position, (key, size) in enumerate(read_json(members).items()):
                if seq + position > after_seq:
                    append((kind, at, key, size, None, None, None, None, None, seq + position))
            continue
        for position, (key, at) in enumerate(read_json(members).items()):
            if seq + position > after_seq:
                append((kind, at, key, None, batch_id, None, None, None, worker_id, seq + position))
    return out
