"""The PostgreSQL journal's hot writes, each in as few statements (round trips) as the rules allow.

A worker's batch costs one transaction at its boundary (the close of one batch and the claim of the next;
a report of outcomes before the close when they pile up). On one machine a round trip is cheap (tens of
µs); what a boundary costs is the server's work per row and per statement and the worker's CPU adapting
parameters. So each part is written here in one or two set-based statements whose plans do not depend
on statistics (a store's tables often have none), with their arrays sent in binary:

- ``append_events``: seqs allocated on the run row and the events inserted in **one** statement (small
  appends; large ones are copied), optionally adding to a worker's ``items_done`` in the same statement;
- ``CLAIM``: the lease, the worker's row, the run row and the claim's events in **one** statement after
  the items are picked (the server's clock is read once, so the events' ``at`` is exactly the lease's
  ``claimed_at``); when a batch's close comes first in the same transaction, its events go in with them;
- ``report_plan`` and ``report_items``: a report whose events each finish (or retry) an item the lease holds
  in progress applies them with one UPDATE per final state (one for a batch whose items all succeeded);
  anything else takes the checked path (``projection.fold``).

Lock order stays as ``postgres`` documents it: lease row → item rows → run row (always last).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.events import FILE_STATUSES, Event, EventKind, FileStatus
from omnimemory_kit.store.base import clip_error_message
from omnimemory_kit.store.postgres_rows import COPY_COLUMNS, SERVER_NOW, event_row
from omnimemory_kit.store.projection import ITEM_KINDS, TRANSITIONS, Hold, Item, effect_of, fold

__all__ = [
    "CLAIM",
    "COPY_ABOVE",
    "PICK",
    "REPORT_ITEMS",
    "ReportPlan",
    "Shape",
    "append_events",
    "claim_params",
    "project",
    "report_items",
    "report_plan",
]

COPY_ABOVE: Final = 500  # events per append above which COPY beats one INSERT … unnest

_CLAIMED: Final = TRANSITIONS[EventKind.FILE_STARTED][FileStatus.PENDING]  # a claim: FILE_STARTED on pending

# The events' columns as ``unnest`` arguments, sent in binary (each list element is adapted in Python: the
# text format's quoting check per element cost about twice as much); a column that is NULL throughout is
# sent as one NULL, which ``unnest`` pads (``event_columns``).
_EVENT_ROWS: Final = (
    "unnest(%(kind)b::text[], %(at)b::float8[], %(path)b::text[], %(size)b::bigint[], %(batch_id)b::text[], "
    "%(etype)b::text[], %(emsg)b::text[], %(reason)b::text[], %(wid)b::text[]) WITH ORDINALITY "
    "AS v(kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, n)"
)

_APPEND: Final = (
    "WITH r AS (UPDATE runs SET last_seq = last_seq + %(n)s WHERE run_id = %(run)s RETURNING last_seq), "
    "w AS (UPDATE workers SET items_done = items_done + %(done)s "
    "WHERE %(done)s > 0 AND run_id = %(run)s AND worker_id = %(worker)s), "
    "e AS (INSERT INTO events (run_id, seq, kind, at, path, size, batch_id, error_type, error_message, "
    "reason, worker_id) SELECT %(run)s, r.last_seq - %(n)s + v.n, v.kind, v.at, v.path, v.size, v.batch_id, "
    f"v.error_type, v.error_message, v.reason, v.worker_id FROM r, {_EVENT_ROWS}) "
    "SELECT last_seq FROM r"
)


def _column(values: list[Any]) -> list[Any] | None:
    """Return a column for ``_EVENT_ROWS``: None when every value is NULL (nothing to adapt)."""
    for value in values:
        if value is not None:
            return values
    return None


def event_columns(events: Sequence[Event], opened: int = 0, **opening: Any) -> dict[str, list[Any] | None]:
    """Return ``_EVENT_ROWS``'s parameters: ``events``, then ``opened`` more rows.

    ``opening`` gives the extra rows' ``kind``, ``path``, ``batch_id`` and ``wid`` as lists; their other
    columns are NULL.
    """
    pad = [None] * opened
    return {
        "kind": [e.kind.value for e in events] + opening.get("kind", pad),
        # floats throughout: a binary array takes its element type from its values
        "at": _column([float(e.at) for e in events] + pad),
        "path": _column([e.path for e in events] + opening.get("path", pad)),
        "size": _column([e.size for e in events] + pad),
        "batch_id": _column([e.batch_id for e in events] + opening.get("batch_id", pad)),
        "etype": _column([e.error_type for e in events] + pad),
        "emsg": _column([clip_error_message(e.error_message) for e in events] + pad),
        "reason": _column([e.reason for e in events] + pad),
        "wid": _column([e.worker_id for e in events] + opening.get("wid", pad)),
    }


def append_events(
    conn: psycopg.Connection[TupleRow],
    run_id: str,
    events: Sequence[Event],
    *,
    done: int = 0,
    worker_id: str | None = None,
) -> int | None:
    """Allocate seqs on the run row and insert ``events``; return the run's last seq (None: no such run).

    ``done`` items are added to ``worker_id``'s ``items_done`` in the same statement. The run row is
    locked last, so seqs are dense and increase in commit order.
    """
    n = len(events)
    if n > COPY_ABOVE:
        if done:
            conn.execute(
                "UPDATE workers SET items_done = items_done + %s WHERE run_id = %s AND worker_id = %s",
                (done, run_id, worker_id),
            )
        row = conn.execute(
            "UPDATE runs SET last_seq = last_seq + %s WHERE run_id = %s RETURNING last_seq", (n, run_id)
        ).fetchone()
        if row is None:
            return None
        last = int(row[0])
        first = last - n + 1
        with conn.cursor().copy(f"COPY events ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for offset, event in enumerate(events):
                copy.write_row(event_row(run_id, first + offset, event))
        return last
    row = conn.execute(
        _APPEND, {"n": n, "run": run_id, "done": done, "worker": worker_id, **event_columns(events)}
    ).fetchone()
    return None if row is None else int(row[0])


PICK: Final = (
    "WITH picked AS (SELECT key FROM items WHERE run_id = %(run)s AND status = 'pending' "
    "ORDER BY ord LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
    f"UPDATE items SET status = '{_CLAIMED.status.value}', attempts = attempts + {_CLAIMED.attempts}, "
    "lease_id = %(lease)s FROM picked WHERE items.run_id = %(run)s AND items.key = picked.key "
    "RETURNING items.key, items.size, items.ord"
)
"""Lease up to ``limit`` pending items, oldest first, skipping those another claim holds locked; parameters:
run, limit, lease. Returns each item's key, size and ord (in no particular order)."""

CLAIM: Final = (
    f"WITH t AS (SELECT {SERVER_NOW} AS now), "
    "l AS (INSERT INTO leases (lease_id, run_id, worker_id, batch_id, claimed_at, expires_at) "
    "SELECT %(lease)s, %(run)s, %(worker)s, %(batch)s, t.now, t.now + %(ttl)s FROM t "
    "RETURNING claimed_at, expires_at), "
    "wk AS (INSERT INTO workers (run_id, worker_id, host, pid, started_at, last_seen, items_done) "
    "SELECT %(run)s, %(worker)s, %(host)s, %(pid)s, l.claimed_at, l.claimed_at, %(done)s FROM l "
    "ON CONFLICT (run_id, worker_id) DO UPDATE SET last_seen = EXCLUDED.last_seen, "
    "items_done = workers.items_done + EXCLUDED.items_done), "
    "r AS (UPDATE runs SET last_seq = last_seq + %(n)s WHERE run_id = %(run)s RETURNING last_seq), "
    "e AS (INSERT INTO events (run_id, seq, kind, at, path, size, batch_id, error_type, error_message, "
    "reason, worker_id) SELECT %(run)s, r.last_seq - %(n)s + v.n, v.kind, coalesce(v.at, l.claimed_at), "
    "v.path, v.size, v.batch_id, v.error_type, v.error_message, v.reason, v.worker_id "
    f"FROM r, l, {_EVENT_ROWS}) "
    "SELECT l.claimed_at, l.expires_at, r.last_seq FROM l, r"
)
"""Open a claimed batch: its lease, the worker's row, and BATCH_OPENED + FILE_STARTED events, at one time;
after the events of the batch closed before it in the same transaction, if any (``claim_params``).

The server's clock is read once: the claim's events (``at`` NULL) carry exactly the lease's ``claimed_at``."""


def claim_params(before: Sequence[Event], keys: Sequence[str], **fields: Any) -> dict[str, Any]:
    """Return ``CLAIM``'s parameters: ``before`` (a close's events, ``done`` items it finished), then the
    claim's BATCH_OPENED and a FILE_STARTED per key.

    ``fields``: lease, run, worker, batch, ttl, host, pid, done, now (None: the server's clock).
    """
    batch, worker = fields["batch"], fields["worker"]
    opened = len(keys) + 1
    return {
        **fields,
        "n": len(before) + opened,
        **event_columns(
            before,
            opened,
            kind=[EventKind.BATCH_OPENED.value] + [EventKind.FILE_STARTED.value] * len(keys),
            path=[None, *keys],
            batch_id=[batch] * opened,
            wid=[worker] * opened,
        ),
    }


# One UPDATE per shape of final state (status, attempts added, whether the item keeps its lease): a report
# has one shape most of the time (every item succeeded). Only items the lease holds in progress match (the
# caller compares the count). Not a join with ``unnest`` of per-key values: without statistics the planner
# joins those by a nested loop that compares every key with every other (10,000 comparisons for 100 keys, a
# few ms a batch); a key set filters each row the lease index finds with one array test. The lease id alone
# picks the rows (a lease's items are all in its run): with the run id too, a planner without statistics
# ANDs in the primary key's scan of the whole run.
REPORT_ITEMS: Final = (
    "UPDATE items SET status = %s, attempts = attempts + %s, lease_id = CASE WHEN %s THEN lease_id END "
    f"WHERE lease_id = %s AND status = '{FileStatus.IN_PROGRESS.value}' AND key = ANY(%b::text[])"
)

_REPORTABLE: Final = frozenset(
    {EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_RETRIED}
)

Shape = tuple[str, int, bool]
"""An item's final state after a report: status, attempts added, whether it keeps its lease."""


class ReportPlan(NamedTuple):
    """A report's items grouped by final state (``REPORT_ITEMS`` once per shape), how many items it
    names and how many it finishes."""

    shapes: dict[Shape, list[str]]
    items: int
    finished: int


def report_plan(events: Sequence[Event]) -> ReportPlan | None:
    """Return a report's combined effect per item, each taken to be in progress under the lease.

    None when the report needs the checked path: another kind, an event without a key, or an event after
    an item's outcome (the checked path raises the right error for each).
    """
    per_key: dict[str, list[Any]] = {}  # key -> [status, attempts added, keep lease]
    in_progress = FileStatus.IN_PROGRESS
    for event in events:
        key = event.path
        kind = event.kind
        if key is None or kind not in _REPORTABLE:
            return None
        state = per_key.get(key)
        if state is None:
            state = per_key[key] = [in_progress, 0, True]
        elif state[0] is not in_progress:
            return None
        effect = effect_of(kind, in_progress)
        assert effect is not None, f"{kind} changes an item in progress"
        assert effect.hold is not Hold.TAKE, f"{kind} is an outcome, not a start"
        state[0] = effect.status
        state[1] += effect.attempts
        if effect.hold is Hold.DROP:
            state[2] = False
    shapes: dict[Shape, list[str]] = {}
    finished = 0
    for key, (status, added, keep) in per_key.items():
        shapes.setdefault((status.value, added, keep), []).append(key)
        finished += status is not in_progress
    return ReportPlan(shapes, len(per_key), finished)


def report_items(conn: psycopg.Connection[TupleRow], lease_id: str, plan: ReportPlan) -> int:
    """Apply a planned report to the lease's items in progress; return how many items matched."""
    return sum(
        conn.execute(REPORT_ITEMS, (status, added, keep, lease_id, keys)).rowcount
        for (status, added, keep), keys in plan.shapes.items()
    )


def project(
    conn: psycopg.Connection[TupleRow],
    run_id: str,
    events: Sequence[Event],
    lease_id: str | None = None,
) -> None:
    """Apply FILE_* events to the items table by the shared rule (``store.projection``).

    The touched rows are read and locked in one query (in key order, so two appends never deadlock),
    folded in event order, and written back with one statement for the changed rows.
    """
    keys = sorted({e.path for e in events if e.kind in ITEM_KINDS and e.path is not None})
    if not keys:
        return
    statuses = FILE_STATUSES
    items = {
        key: Item(key, int(size), statuses[status], int(attempts), lease)
        for key, size, status, attempts, lease in conn.execute(
            "SELECT key, size, status, attempts, lease_id FROM items "
            "WHERE run_id = %s AND key = ANY(%s) ORDER BY key FOR UPDATE",
            (run_id, keys),
        )
    }
    changed = fold(items, events, lease_id=lease_id)
    new = [item for key, item in changed.items() if key not in items]
    if new:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO items (run_id, key, size, status, attempts, lease_id) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(run_id, i.key, i.size, i.status.value, i.attempts, i.lease_id) for i in new],
            )
    updated = [item for key, item in changed.items() if key in items]
    if updated:
        conn.execute(
            "UPDATE items SET status = v.status, attempts = v.attempts, lease_id = v.lease_id "
            "FROM unnest(%s::text[], %s::text[], %s::integer[], %s::text[]) AS v(key, status, attempts, "
            "lease_id) WHERE items.run_id = %s AND items.key = v.key",
            (
                [i.key for i in updated],
                [i.status.value for i in updated],
                [i.attempts for i in updated],
                [i.lease_id for i in updated],
                run_id,
            ),
        )
