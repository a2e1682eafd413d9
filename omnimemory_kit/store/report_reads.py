"""What a migration report reads from a SQL store: aggregates of a run's journal, never the whole journal.

A report of a run of millions of events needs sums, not events: outcomes per time bucket, failed items
per error type, items per attempts and status, each batch's counts, the few slowest and failed items, and
the run's own events (lifecycle, batches, throttles: thousands at most, read through the rare-events
index). ``read_report`` asks the database for them with a few aggregate queries (one scan of the items, a
few of the journal), so the database scans
and Python receives only rows it draws. Both backends run the same queries; ``SqlDialect`` holds what
differs (placeholders, how a run is named, the bucket arithmetic, a key list, where an item's last batch
is kept).

The queries are read in one snapshot where the backend gives one (the caller opens it). What they count:

- ``buckets``: per bucket of ``bucket_seconds`` from ``origin`` and per item kind, the events, and the
  first and last time among them;
- ``errors``: failed items (FILE_FAILED events) per error type, with one message (the least) as a sample;
- ``attempts``: items per attempts and status (the items projection);
- ``batch_starts`` and ``batch_outcomes``: per batch, the attempts started and first start, and its items
  per status now (by the batch of their last attempt); ``item_histories``: the start, outcome, interrupt
  and requeue events of the few items ever interrupted or requeued, which a batch counts one by one;
- ``slowest``: the items whose last attempt took longest, and ``failed``: the failed items with the most
  attempts, each at most ``top``, with their error;
- ``bytes_by_status``: the items' bytes per status.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from omnimemory_kit.errors import UnknownEventKindError
from omnimemory_kit.events import EVENT_KINDS, Event, EventKind
from omnimemory_kit.store.base import loaded_event
from omnimemory_kit.store.projection import ITEM_KINDS
from omnimemory_kit.store.sqlite_journal import EXPANDED_EVENTS
from omnimemory_kit.store.status_facts import RARE_KINDS_SQL, VERDICT_KINDS
from omnimemory_kit.text import from_stored

__all__ = [
    "OUTCOME_KINDS",
    "POSTGRES",
    "SQLITE",
    "SQLITE_V6",
    "ReportAggregates",
    "SqlDialect",
    "read_report",
]

OUTCOME_KINDS: Final = (EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED)
_HISTORY_KINDS: Final = frozenset(
    k.value
    for k in (*OUTCOME_KINDS, EventKind.FILE_STARTED, EventKind.FILE_INTERRUPTED, EventKind.FILE_REQUEUED)
)
_REWOUND_KINDS: Final = frozenset({EventKind.FILE_INTERRUPTED.value, EventKind.FILE_REQUEUED.value})

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Run one query with its parameters and return every row."""


@dataclass(frozen=True, slots=True)
class SqlDialect:
    """What the backends' SQL spells differently.

    Attributes:
        param: the placeholder (``?`` or ``%s``).
        run_column: the column naming the run in ``events`` and ``items``.
        bucket: the bucket number of ``at`` given two parameters, the origin and the bucket length.
        keys_in: a condition that ``{column}`` is in the list bound as one parameter.
        batch_outcomes: the query of items per (last batch, status), bound with the run at each placeholder
            (empty where the items keep their batch, ``item_batch``: counted in the scan of the items).
        item_batch: the items' column of their last batch (``NULL`` where items keep none).
        keys: how the key list parameter is bound (a JSON text, or a list).
        rare_cte: how a query of rare kinds is kept apart (``AS MATERIALIZED`` on PostgreSQL, whose
            planner would otherwise walk the run's journal in seq order for an ``ORDER BY seq``; SQLite
            names the index instead).
        events: the table expression of the journal's events, one row each (SQLite expands the rows that
            hold a run of events, ``sqlite_journal.EXPANDED_EVENTS``).
    """

    param: str
    run_column: str
    bucket: str
    keys_in: str
    batch_outcomes: str
    item_batch: str
    keys: Callable[[list[str]], Any]
    rare_cte: str
    events: str = "events"


SQLITE: Final = SqlDialect(
    param="?",
    run_column="run_no",
    bucket="CAST((at - ?) / ? AS INTEGER)",
    keys_in="{column} IN (SELECT value FROM json_each(?))",
    batch_outcomes="",  # the items keep their last batch: counted with the items
    item_batch="batch_id",
    keys=json.dumps,
    rare_cte="AS",
    events=f"{EXPANDED_EVENTS} AS events",
)
SQLITE_V6: Final = dataclasses.replace(SQLITE, events="events")
"""A SQLite store older than schema version 7 opened read-only: a row per event."""
POSTGRES: Final = SqlDialect(
    param="%s",
    run_column="run_id",
    bucket="floor((at - %s) / %s)::bigint",
    keys_in="{column} = ANY(%s)",
    # PostgreSQL's items keep no batch: the batch of each item's last start, from the journal
    batch_outcomes=(
        "SELECT s.batch_id, i.status, count(*) FROM (SELECT DISTINCT ON (path) path, batch_id FROM events "
        "WHERE run_id = %s AND kind = 'file_started' AND batch_id IS NOT NULL ORDER BY path, seq DESC) s "
        "JOIN items i ON i.run_id = %s AND i.key = s.path GROUP BY s.batch_id, i.status"
    ),
    item_batch="NULL",
    keys=list,
    rare_cte="AS MATERIALIZED",
)


@dataclass(frozen=True, slots=True)
class ReportAggregates:
    """A run's journal summed for a report (see the module); every tuple is bounded by its query."""

    run_events: tuple[Event, ...]
    buckets: tuple[tuple[int, str, int, float, float], ...]  # bucket, kind, events, first at, last at
    errors: tuple[tuple[str, int, str], ...]  # error type, failed items, a sample message
    attempts: tuple[tuple[int, str, int], ...]  # attempts, status, items
    batch_starts: tuple[
        tuple[str, int, float, str | None], ...
    ]  # batch, attempts started, first start, worker
    batch_outcomes: tuple[tuple[str, str, int], ...]  # batch, status, items
    item_histories: tuple[tuple[str, str, str | None], ...]  # key, kind, batch: in seq order
    slowest: tuple[tuple[str, str, int, int, str | None, float, float, str | None, str | None], ...]
    # key, status, attempts, size, batch, started at, finished at, error type, error message
    failed: tuple[tuple[str, int, int, str | None, str | None, str | None], ...]
    # key, attempts, size, batch, error type, error message
    bytes_by_status: dict[str, int]


def _run_events(
    query: Query, d: SqlDialect, run: Any, run_id: str, where: str, rare: str
) -> tuple[Event, ...]:
    """Read the run's own events (every kind but the per-item ones and verdicts), refusing unknown kinds.

    They are all rare kinds (unknown ones included): read through the rare-events index, whose predicate
    the query repeats, so their cost is their number, not the journal's length.
    """
    p = d.param
    rows = query(
        f"WITH run_events {d.rare_cte} (SELECT seq, kind, at, path, size, batch_id, error_type, "
        f"error_message, reason, worker_id FROM {rare} WHERE {d.run_column} = {p} AND {RARE_KINDS_SQL} "
        f"AND NOT ({d.keys_in.format(column='kind')})) SELECT * FROM run_events ORDER BY seq",
        # Per-item kinds are counted in buckets, never read one by one.
        (run, d.keys(sorted(k.value for k in ITEM_KINDS | frozenset(VERDICT_KINDS)))),
    )
    events: list[Event] = []
    for seq, kind, at, path, size, batch_id, error_type, message, reason, worker_id in rows:
        event_kind = EVENT_KINDS.get(kind)
        if event_kind is None:
            raise UnknownEventKindError(kind, run_id, seq, where=where)
        event = Event(event_kind, at, path, size, batch_id, error_type, message, reason, worker_id, seq)
        events.append(loaded_event(event))
    return tuple(events)


def read_report(
    query: Query,
    d: SqlDialect,
    run: Any,
    run_id: str,
    *,
    origin: float,
    bucket_seconds: float,
    top: int,
    where: str,
    rare: str = "events",
) -> ReportAggregates:
    """Read a run's report aggregates with ``query`` in dialect ``d`` (``run``: the run's key there).

    ``rare`` is the table expression read for rare kinds: the events table, or (SQLite, which needs it
    named) the events table through the rare-events index.
    """
    p, rc = d.param, d.run_column
    item_kinds = d.keys(sorted(k.value for k in ITEM_KINDS))
    # one scan for the buckets and the failures per error type (a sample message each)
    failure = "CASE WHEN kind = 'file_failed' THEN"
    rows = query(
        f"SELECT {d.bucket} AS b, kind, {failure} coalesce(error_type, '') END AS failed_type, count(*), "
        f"min(at), max(at), min({failure} error_message END) FROM {d.events} "
        f"WHERE {rc} = {p} AND {d.keys_in.format(column='kind')} GROUP BY b, kind, failed_type",
        (origin, bucket_seconds, run, item_kinds),
    )
    summed: dict[tuple[int, str], list[Any]] = {}
    errors: dict[str, list[Any]] = {}
    for b, kind, failed_type, n, lo, hi, message in rows:
        bucket = summed.get((int(b), kind))
        if bucket is None:
            summed[(int(b), kind)] = [int(n), float(lo), float(hi)]
        else:
            bucket[0], bucket[1], bucket[2] = bucket[0] + n, min(bucket[1], lo), max(bucket[2], hi)
        if failed_type is not None:
            error = errors.setdefault(failed_type, [0, None])
            error[0] += n
            if message is not None and (error[1] is None or message < error[1]):
                error[1] = message
    buckets = sorted((b, kind, n, lo, hi) for (b, kind), (n, lo, hi) in summed.items())
    # one scan of the items: per attempts, status and (where items keep it) last batch, items and bytes
    groups = query(
        f"SELECT attempts, status, {d.item_batch}, count(*), sum(size) FROM items WHERE {rc} = {p} "
        f"GROUP BY 1, 2, 3",
        (run,),
    )
    attempts_of: dict[tuple[int, str], int] = {}
    sizes: dict[str, int] = {}
    item_batches: dict[tuple[str, str], int] = {}
    for attempts, status, batch, n, nbytes in groups:
        attempts_of[(int(attempts), status)] = attempts_of.get((int(attempts), status), 0) + int(n)
        sizes[status] = sizes.get(status, 0) + int(nbytes or 0)
        if batch is not None:
            item_batches[(batch, status)] = item_batches.get((batch, status), 0) + int(n)
    batch_starts = query(
        f"SELECT batch_id, count(*), min(at), min(worker_id) FROM {d.events} WHERE {rc} = {p} "
        f"AND kind = 'file_started' AND batch_id IS NOT NULL GROUP BY batch_id",
        (run,),
    )
    if d.batch_outcomes:
        batch_outcomes = query(d.batch_outcomes, (run,) * d.batch_outcomes.count(p))
    else:
        batch_outcomes = [(batch, status, n) for (batch, status), n in item_batches.items()]
    histories: list[tuple[Any, ...]] = []
    if any(kind in _REWOUND_KINDS for _, kind, _, _, _ in buckets):  # most runs have none: no scan
        histories = query(
            f"SELECT path, kind, batch_id FROM {d.events} WHERE {rc} = {p} "
            f"AND {d.keys_in.format(column='kind')} "
            f"AND path IN (SELECT path FROM {rare} WHERE {rc} = {p} AND {RARE_KINDS_SQL} "
            f"AND kind IN ('file_interrupted', 'file_requeued')) ORDER BY seq",
            (run, d.keys(sorted(_HISTORY_KINDS)), run),
        )
    outcomes = d.keys([k.value for k in OUTCOME_KINDS])
    slow = query(
        f"SELECT path, s, f FROM (SELECT path, "
        f"max(CASE WHEN kind = 'file_started' THEN at END) AS s, "
        f"max(CASE WHEN kind <> 'file_started' THEN at END) AS f FROM {d.events} "
        f"WHERE {rc} = {p} AND (kind = 'file_started' OR {d.keys_in.format(column='kind')}) GROUP BY path) t "
        f"WHERE f >= s ORDER BY f - s DESC, path LIMIT {p}",
        (run, outcomes, top),
    )
    failed = query(
        f"SELECT key, attempts, {d.item_batch} FROM items WHERE {rc} = {p} AND status = 'failed' "
        f"ORDER BY attempts DESC, key LIMIT {p}",
        (run, top),
    )
    keys = sorted({row[0] for row in slow} | {row[0] for row in failed})
    items = {
        key: (status, attempts, size)
        for key, status, attempts, size in query(
            f"SELECT key, status, attempts, size FROM items "
            f"WHERE {rc} = {p} AND {d.keys_in.format(column='key')}",
            (run, d.keys(keys)),
        )
    }
    last_error: dict[str, tuple[str | None, str | None]] = {}
    last_batch: dict[str, str | None] = {}
    if keys:
        for key, kind, error_type, message, batch_id in query(
            f"SELECT path, kind, error_type, error_message, batch_id FROM {d.events} WHERE {rc} = {p} "
            f"AND kind IN ('file_failed', 'file_started') AND {d.keys_in.format(column='path')} ORDER BY seq",
            (run, d.keys(keys)),
        ):
            if kind == "file_failed":
                last_error[key] = (error_type, None if message is None else from_stored(message))
            else:
                last_batch[key] = batch_id
    slowest = []
    for key, started, finished in slow:
        status, n, size = items.get(key, ("succeeded", 0, 0))
        error_type, message = last_error.get(key, (None, None)) if status == "failed" else (None, None)
        slowest.append((from_stored(key), status, int(n), int(size), last_batch.get(key), float(started),
                        float(finished), error_type, message))  # fmt: skip
    failures = []
    for key, n, batch_id in failed:
        size = items.get(key, ("failed", n, 0))[2]
        error_type, message = last_error.get(key, (None, None))
        failures.append(
            (from_stored(key), int(n), int(size), batch_id or last_batch.get(key), error_type, message)
        )
    return ReportAggregates(
        run_events=_run_events(query, d, run, run_id, where, rare),
        buckets=tuple(buckets),
        errors=tuple((t, int(n), from_stored(m or "")) for t, (n, m) in sorted(errors.items())),
        attempts=tuple((a, s, n) for (a, s), n in sorted(attempts_of.items())),
        batch_starts=tuple((b, int(n), float(at), w) for b, n, at, w in batch_starts),
        batch_outcomes=tuple((b, s, int(n)) for b, s, n in batch_outcomes),
        item_histories=tuple((from_stored(key), kind, batch) for key, kind, batch in histories),
        slowest=tuple(slowest),
        failed=tuple(failures),
        bytes_by_status=sizes,
    )
