"""The SQLite items table: the shared item rule (``store.projection``) written with few statements.

Every write here leaves the rows ``projection.fold`` would leave, and keeps the per-status counters
(``item_counts``: items, their bytes, those without a size) in step in the same transaction, so neither
counting nor weighing ever scans the items. An item's size never changes after its addition, so what a
write moves between statuses is weighed from the rows it reads or changes anyway (``Deltas``):

- **additions only** (a scan, ``add_items``): the items are copied from their FILE_ADDED rows in SQL;
  a bulk add (``add_blocks``) writes the FILE_ADDED rows of a whole block of items (``store.blocks``) with
  one statement read in C, and checks by the count of items copied that no key was repeated or known;
- **set-based**: when every item event of an append is of a ``projection.UNIFORM`` kind (its effect does
  not depend on the item's status: starts and outcomes), each item's final state is known without reading
  it: one UPDATE per shape of final state (returning the sizes it moved); the old statuses, needed only
  for the counters, come from one aggregate query;
- **the fold**: otherwise the touched rows are read in one query, folded with ``projection.fold``, and each
  changed row is written once (a start and the outcome of one item coalesce);
- **claims and reports** use statements derived from the same table (a claim is FILE_STARTED on pending
  items, weighed by its pick; a report applies outcomes and retries to items its lease holds in progress,
  returning their sizes).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple, cast

from omnimemory_kit.events import FILE_STATUSES, Event, EventKind, FileStatus
from omnimemory_kit.store.blocks import decode_block
from omnimemory_kit.store.json_text import finite_json
from omnimemory_kit.store.projection import ITEM_KINDS, TRANSITIONS, UNIFORM, Hold, Item, effect_of, fold
from omnimemory_kit.store.sqlite_journal import INSERT_ADDED
from omnimemory_kit.text import STORED_MARKER, to_stored

__all__ = [
    "CLAIM_ITEMS",
    "INSERT_ADDED_ITEMS",
    "Deltas",
    "LeaseSizes",
    "ReportPlan",
    "Weight",
    "add_blocks",
    "add_counts",
    "add_new",
    "count_items",
    "project",
    "report_items",
    "report_plan",
    "weigh",
]

_PENDING: Final = FileStatus.PENDING.value
_IN_PROGRESS: Final = FileStatus.IN_PROGRESS.value
_ADDED: Final = EventKind.FILE_ADDED
_KEEP: Final = Hold.KEEP
_TAKE: Final = Hold.TAKE

_SET_BASED_PROJECTION = True
"""Whether ``project`` applies uniform events set-based (tests turn it off to compare with the fold)."""

INSERT_ADDED_ITEMS: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status) "
    f"SELECT run_no, path, seq, coalesce(size, 0), '{_PENDING}' FROM events "
    "WHERE run_no = ?1 AND seq BETWEEN ?2 AND ?3 AND kind = 'file_added' AND path IS NOT NULL ORDER BY seq "
    "ON CONFLICT (run_no, key) DO NOTHING"
)
"""Insert the items of the FILE_ADDED events just journaled (seqs ?2..?3); the first of a key wins."""
# A block's items from its JSON, ordinal ?2 + the member's position (json_each's rowid counts members from
# 0), only where key and size are what an item needs, so a count short of the block's members says "take
# the checked path" (a repeated or known key, or a malformed member); and the block weighed.
_INSERT_MEMBER_ITEMS: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status) "
    f"SELECT ?1, j.key, ?2 + j.rowid, j.value, '{_PENDING}' FROM json_each(?3) j "
    "WHERE true ON CONFLICT (run_no, key) DO NOTHING"  # WHERE: else SQLite reads ON as the join's
)
_INSERT_BLOCK_ITEMS: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status) "
    f"SELECT ?1, j.key, ?2 + j.rowid, j.value, '{_PENDING}' FROM json_each(?3) j "
    "WHERE j.key != '' AND j.type = 'integer' AND typeof(j.value) = 'integer' AND j.value >= 0 "
    "ON CONFLICT (run_no, key) DO NOTHING"
)
_WEIGH_BLOCK: Final = "SELECT count(*), sum(j.value), sum(j.value = 0) FROM json_each(?1) j"
_INSERT_ADDED_SIZES: Final = INSERT_ADDED_ITEMS + " RETURNING size"
"""``INSERT_ADDED_ITEMS`` returning the size of each item it inserted (none for a key the run has)."""
_INSERT_ITEM: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status, attempts, lease_id, batch_id, worker_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_no, key) DO NOTHING"
)
_UPDATE_ITEM: Final = (
    "UPDATE items SET status = ?, attempts = ?, lease_id = ?, batch_id = ?, worker_id = ? "
    "WHERE run_no = ? AND key = ?"
)
_SELECT_ITEMS: Final = (
    "SELECT key, size, status, attempts, lease_id, batch_id, worker_id, ordinal FROM items "
    "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))"
)
# One statement for every shape of uniform final state: ?3 keeps the lease (else it becomes ?4), ?5 takes
# the batch and worker of the last start (?6, ?7); it returns the size of every item it changed.
_PROJECT_UNIFORM_SIZES: Final = (
    "UPDATE items SET status = ?1, attempts = attempts + ?2, lease_id = iif(?3, lease_id, ?4), "
    "batch_id = iif(?5, ?6, batch_id), worker_id = iif(?5, ?7, worker_id) "
    "WHERE run_no = ?8 AND key IN (SELECT value FROM json_each(?9)) RETURNING size"
)

_CLAIMED: Final = TRANSITIONS[EventKind.FILE_STARTED][FileStatus.PENDING]
assert _CLAIMED.hold is Hold.TAKE, "a claim holds its items under its lease"
CLAIM_ITEMS: Final = (
    f"UPDATE items SET status = '{_CLAIMED.status.value}', attempts = attempts + {_CLAIMED.attempts}, "
    f"lease_id = ?, batch_id = ?, worker_id = ? "
    f"WHERE run_no = ? AND key IN (SELECT value FROM json_each(?)) AND status = '{_PENDING}'"
)
"""Lease pending items named by key, as FILE_STARTED on each does.

Parameters: lease, batch, worker, run_no, the keys (a JSON array). Seeking each key costs less than
walking the pending index while the same statement takes the items out of it."""

_REPORTABLE: Final = frozenset(
    {EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_RETRIED}
)
# "+lease_id": look items up by primary key (run_no, key), then check the lease on the row; seeking the
# lease index first costs one more b-tree descent per item. ?3 keeps the lease (else it is cleared).
_REPORT_ITEMS: Final = (
    "UPDATE items SET status = ?1, attempts = attempts + ?2, lease_id = iif(?3, lease_id, NULL) "
    "WHERE run_no = ?4 AND key IN (SELECT value FROM json_each(?5)) "
    f"AND +lease_id = ?6 AND status = '{_IN_PROGRESS}'"
)
_REPORT_ITEMS_SIZES: Final = _REPORT_ITEMS + " RETURNING size"

ReportPlan = dict[tuple[str, int, Hold], list[str]]
"""A report's items grouped by (final status, attempts added, lease rule)."""


class LeaseSizes(NamedTuple):
    """What a lease's claim kept to weigh the lease's reports by.

    Attributes:
        keys, sizes: the claimed items' stored keys and their sizes, JSON arrays in the same order.
        weight: the ``Weight`` of them all.
    """

    keys: str
    sizes: str
    weight: list[int]

    def size_of(self) -> dict[str, int]:
        """Return each claimed key's size."""
        return dict(zip(json.loads(self.keys), json.loads(self.sizes), strict=True))


Weight = list[int]
"""Some items weighed: [how many, their bytes, how many have no size (0)]."""
Deltas = dict[str, Weight]
"""What a write owes ``item_counts``: per status (its stored value), the ``Weight`` moved in (out:
negative)."""

_ADD_COUNTS: Final = (
    "INSERT INTO item_counts (run_no, status, count, bytes, unsized) "
    "SELECT ?, j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) j "
    "WHERE true ON CONFLICT (run_no, status) DO UPDATE SET count = count + excluded.count, "
    "bytes = bytes + excluded.bytes, unsized = unsized + excluded.unsized"
)
"""One statement, however many statuses changed ("WHERE true": SQLite's upsert after a SELECT)."""


def count_items(deltas: Deltas, status: str, items: int, nbytes: int, unsized: int) -> None:
    """Add ``items`` (negative: taken out), their bytes and how many of them have no size to a status."""
    row = deltas.get(status)
    if row is None:
        deltas[status] = [items, nbytes, unsized]
    else:
        row[0] += items
        row[1] += nbytes
        row[2] += unsized


def weigh(sizes: list[int]) -> Weight:
    """Return the ``Weight`` of items of these sizes."""
    return [len(sizes), sum(sizes), sizes.count(0)]


def add_counts(conn: sqlite3.Connection, run_no: int, deltas: Deltas) -> None:
    """Add per-status deltas to the run's item counters (kept so counting and weighing never scan items)."""
    changed = {status: delta for status, delta in deltas.items() if any(delta)}
    if changed:
        conn.execute(_ADD_COUNTS, (run_no, json.dumps(changed)))


def add_new(conn: sqlite3.Connection, run_no: int, wanted: dict[str, int], first: int, at: float) -> Weight:
    """Add the ``wanted`` items (stored key -> size) the run does not have yet, seqs from ``first``.

    Journals FILE_ADDED for each new one and copies it into the items table; returns the ``Weight`` of
    the new ones. The caller moves the run's ``last_seq`` and the pending counter.
    """
    if not wanted:
        return [0, 0, 0]
    # Sorted keys (a listing, a directory) come in chunks no stored key falls between: one probe of the
    # key range, instead of looking every key up. (Stored keys are UTF-8, whose byte order is Python's
    # order of code points.)
    overlaps = conn.execute(
        "SELECT 1 FROM items WHERE run_no = ? AND key BETWEEN ? AND ? LIMIT 1",
        (run_no, min(wanted), max(wanted)),
    ).fetchone()
    if overlaps:
        known = {
            row[0]
            for row in conn.execute(
                "SELECT key FROM items WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))",
                (run_no, finite_json(list(wanted))),
            )
        }
        wanted = {key: size for key, size in wanted.items() if key not in known}
    # The FILE_ADDED events as one row (``sqlite_journal``), the items read from the same JSON text by
    # SQLite in C (off the interpreter's lock, unlike a row at a time).
    if wanted:
        members = finite_json(wanted)
        conn.execute(INSERT_ADDED, (run_no, first, at, members))
        conn.execute(_INSERT_MEMBER_ITEMS, (run_no, first, members))
    return weigh(list(wanted.values()))


def add_blocks(conn: sqlite3.Connection, run_no: int, blocks: Iterable[str], first: int, at: float) -> Weight:
    """Add the items of every block the run does not have yet, seqs from ``first``; return their ``Weight``.

    The common block (new keys, none repeated, no escapes) takes three statements read in C: one weighs
    it, one copies its items from the JSON, one journals the block's text as its FILE_ADDED row (a row for
    the whole block, ``sqlite_journal``). When fewer items than members were copied, the block is undone
    to its savepoint and added through the
    checked path (``decode_block``, ``add_new``), which skips repeated and known keys, stores odd keys in
    their stored form and raises on a malformed member. The caller holds the transaction: raising here (or
    in ``blocks``) leaves the caller to roll all back.
    """
    weight = [0, 0, 0]
    for block in blocks:
        added = weight[0]
        if not block.startswith("{") or "\\" in block or STORED_MARKER in block or "\x00" in block:
            # escapes (a key json.loads must read) or a key to_stored would change
            _add_weight(weight, _add_checked(conn, run_no, block, first + added, at))
            continue
        conn.execute("SAVEPOINT block")
        before = conn.total_changes
        try:
            rows, nbytes, unsized = conn.execute(_WEIGH_BLOCK, (block,)).fetchone()
            conn.execute(_INSERT_BLOCK_ITEMS, (run_no, first + added, block))
            copied = conn.total_changes - before == rows
            if copied and rows:
                conn.execute(INSERT_ADDED, (run_no, first + added, at, block))
        except sqlite3.IntegrityError:
            copied = False  # a seq taken: positions are not what they should be; the checked path numbers
        except sqlite3.OperationalError as exc:
            if "JSON" not in str(exc):
                raise
            copied = False  # not JSON: decode_block says what is wrong
        if copied:
            conn.execute("RELEASE block")
            if rows:
                _add_weight(weight, [rows, nbytes, unsized])
            continue
        conn.execute("ROLLBACK TO block")
        conn.execute("RELEASE block")
        _add_weight(weight, _add_checked(conn, run_no, block, first + added, at))
    return weight


def _add_weight(weight: Weight, more: Weight) -> None:
    weight[0] += more[0]
    weight[1] += more[1]
    weight[2] += more[2]


def _add_checked(conn: sqlite3.Connection, run_no: int, block: str, first: int, at: float) -> Weight:
    wanted: dict[str, int] = {}
    for key, size in decode_block(block):
        wanted.setdefault(to_stored(key), size)  # the first of a key wins
    return add_new(conn, run_no, wanted, first, at)


def project(
    conn: sqlite3.Connection, run_no: int, events: Sequence[Event], first: int, lease_id: str | None
) -> None:
    """Apply journaled events (seqs from ``first``) to the items table and its counters.

    Events for items the run does not have are journaled but change nothing.
    """
    item_kinds = ITEM_KINDS
    keys = {e.path for e in events if e.kind in item_kinds}  # other kinds (verdicts, ...) change no item
    keys.discard(None)
    if not keys:
        return
    if all(e.kind is _ADDED for e in events if e.path is not None):
        # Only additions (add_items, a scan): ON CONFLICT DO NOTHING is all the idempotency needed, and
        # the sizes of the rows it did insert weigh them.
        sizes = [
            row[0] for row in conn.execute(_INSERT_ADDED_SIZES, (run_no, first, first + len(events) - 1))
        ]
        add_counts(conn, run_no, {_PENDING: weigh(sizes)})
        return
    if _SET_BASED_PROJECTION and _project_uniform(conn, run_no, events, lease_id):
        return
    _project_fold(conn, run_no, events, keys, first, lease_id)


def _project_fold(
    conn: sqlite3.Connection,
    run_no: int,
    events: Sequence[Event],
    keys: set[str | None],
    first: int,
    lease_id: str | None,
) -> None:
    """Read the touched rows once, fold the events over them, write each changed row once."""
    statuses = FILE_STATUSES
    items = {
        key: Item(key, size, statuses[status], attempts, lease, batch, worker, ordinal)
        for key, size, status, attempts, lease, batch, worker, ordinal in conn.execute(
            _SELECT_ITEMS, (run_no, finite_json(list(keys)))
        )
    }
    inserts = []
    updates = []
    deltas: Deltas = {}
    for key, item in fold(items, events, first_seq=first, lease_id=lease_id).items():
        status = item.status.value
        size = item.size
        unsized = 0 if size else 1
        count_items(deltas, status, 1, size, unsized)
        was = items.get(key)
        if was is None:
            inserts.append(
                (run_no, key, item.ordinal, item.size, status, item.attempts, item.lease_id, item.batch_id,
                 item.worker_id)
            )  # fmt: skip
        else:
            count_items(deltas, was.status.value, -1, -size, -unsized)  # a size never changes
            updates.append((status, item.attempts, item.lease_id, item.batch_id, item.worker_id, run_no, key))
    if inserts:
        conn.executemany(_INSERT_ITEM, inserts)
    if updates:
        conn.executemany(_UPDATE_ITEM, updates)
    add_counts(conn, run_no, deltas)


def _project_uniform(
    conn: sqlite3.Connection, run_no: int, events: Sequence[Event], lease_id: str | None
) -> bool:
    """Apply events of ``UNIFORM`` kinds without reading the items: one UPDATE per shape of final state.

    Returns False (nothing written) when an event's effect depends on the item's status: the caller folds.
    """
    uniform = UNIFORM
    # per key: [status, attempts added, lease rule, (batch_id, worker_id) of the last start or None]
    final: dict[str, list[Any]] = {}
    for event in events:
        key = event.path
        if key is None:
            continue
        kind = event.kind
        effect = uniform.get(kind)
        if effect is None:
            if kind in ITEM_KINDS:
                return False
            continue  # a kind that changes no item
        state = final.get(key)
        if state is None:
            state = final[key] = [None, 0, _KEEP, None]
        status, attempts, hold = effect
        state[0] = status.value
        state[1] += attempts
        if hold is not _KEEP:
            state[2] = hold
        if hold is _TAKE:
            state[3] = (event.batch_id, event.worker_id)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for key, (status, attempts, hold, started) in final.items():
        groups.setdefault((status, attempts, hold, started), []).append(key)
    deltas: Deltas = {}
    for status, n, nbytes, unsized in conn.execute(
        "SELECT status, count(*), sum(size), sum(size = 0) FROM items "
        "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?)) GROUP BY status",
        (run_no, finite_json(list(final))),
    ):
        count_items(deltas, status, -n, -nbytes, -unsized)
    for (status, attempts, hold, started), group in groups.items():
        batch_id, worker_id = started or (None, None)
        params = (
            status, attempts, hold is _KEEP, lease_id if hold is _TAKE else None, started is not None,
            batch_id, worker_id, run_no, finite_json(group),
        )  # fmt: skip
        n, nbytes, unsized = weigh([row[0] for row in conn.execute(_PROJECT_UNIFORM_SIZES, params)])
        count_items(deltas, status, n, nbytes, unsized)
    add_counts(conn, run_no, deltas)
    return True


def report_plan(events: Sequence[Event]) -> ReportPlan | None:
    """Group a report's items by the combined effect of their events; None when it needs the checked path.

    Each item is taken to be in progress under the lease (``report_items`` checks that); the checked path
    handles every malformed report (another kind, no key, an outcome after the item's terminal one), so its
    errors stay exactly as they were.
    """
    kinds = {event.kind for event in events}
    if not kinds <= _REPORTABLE:
        return None
    paths = [event.path for event in events]
    if None in paths:
        return None
    keys = cast("list[str]", paths)
    if len(set(keys)) == len(keys):
        # The common report: one event per item (no retries in between), so each item's effect is its
        # one event's: grouped by kind without a state per item.
        if len(kinds) == 1:
            return {_outcome_shape(kinds.pop()): keys}
        by_kind: ReportPlan = {}
        for kind, key in zip([event.kind for event in events], keys, strict=True):
            by_kind.setdefault(_outcome_shape(kind), []).append(key)
        return by_kind
    per_key: dict[str, list[Any]] = {}  # key -> [status, attempts added, lease rule]
    for kind, key in zip([event.kind for event in events], keys, strict=True):
        state = per_key.get(key)
        if state is None:
            state = per_key[key] = [_IN_PROGRESS, 0, _KEEP]
        elif state[0] != _IN_PROGRESS:
            return None  # an outcome after the terminal one: not in progress any more
        status, attempts, hold = _outcome_shape(kind)
        state[0] = status
        state[1] += attempts
        if hold is not _KEEP:
            state[2] = hold
    plan: ReportPlan = {}
    for key, (status, attempts, hold) in per_key.items():
        plan.setdefault((status, attempts, hold), []).append(key)
    return plan


def _outcome_shape(kind: EventKind) -> tuple[str, int, Hold]:
    """Return (status, attempts added, lease rule) of an outcome on an item in progress."""
    effect = effect_of(kind, FileStatus.IN_PROGRESS)
    assert effect is not None, f"{kind} changes an item in progress"
    assert effect.hold is not _TAKE, f"{kind} is an outcome, not a start"
    return effect.status.value, effect.attempts, effect.hold


def report_items(
    conn: sqlite3.Connection,
    run_no: int,
    lease_id: str,
    plan: ReportPlan,
    lease_sizes: LeaseSizes | None,
) -> tuple[int, Deltas] | None:
    """Apply a report plan to the items ``lease_id`` holds in progress; return how many items it finished
    and the per-status deltas the item counters owe (the caller adds them: ``add_counts``).

    Returns None (the caller rolls back) when fewer items matched than the plan names: some item is not
    held in progress by the lease. The items that leave "in progress" are weighed by the sizes the lease's
    claim kept (``lease_sizes``, read with the lease: every item the UPDATE matched is one the claim
    picked, and a size never changes); a report that finishes the whole lease at once, one outcome for
    all, takes the lease's weight without reading a key. A lease
    claimed before the store kept them has its items weighed by the sizes the UPDATE returns, which costs
    the UPDATE more than the sizes it read (SQLite buffers the returned rows).
    """
    deltas: Deltas = {}
    done = 0
    size_of: dict[str, int] | None = None
    # every item the lease holds, to one outcome: the report weighs what the claim did
    whole = lease_sizes is not None and len(plan) == 1 and len(*plan.values()) == lease_sizes.weight[0]
    for (status, attempts, hold), keys in plan.items():
        params = (status, attempts, hold is _KEEP, run_no, finite_json(keys), lease_id)
        if status == _IN_PROGRESS:  # retried, still in progress: nothing moves
            if conn.execute(_REPORT_ITEMS, params).rowcount != len(keys):
                return None
            continue
        if lease_sizes is not None:
            if conn.execute(_REPORT_ITEMS, params).rowcount != len(keys):
                return None
            if whole:
                n, nbytes, unsized = lease_sizes.weight
            else:
                size_of = size_of or lease_sizes.size_of()
                n, nbytes, unsized = weigh([size_of[key] for key in keys])
        else:
            n, nbytes, unsized = weigh([row[0] for row in conn.execute(_REPORT_ITEMS_SIZES, params)])
            if n != len(keys):
                return None
        count_items(deltas, _IN_PROGRESS, -n, -nbytes, -unsized)
        count_items(deltas, status, n, nbytes, unsized)
        done += n
    return done, deltas
