"""The SQLite journal store: one file in WAL mode, the default backend (runs, journal, claims, reports).

Four seams keep this module to the journal contract: opening the file and holding the connection
(``sqlite_connection``, with the schema), writing journal rows (``sqlite_journal``), the items projection
and its counters (``sqlite_items``, the shared rule of ``projection`` written in SQL), and the health
history (``sqlite_health``).

Layout (schema version ``SCHEMA_VERSION``):

- ``meta(key, value)``: ``application`` and ``schema_version``, checked on every open;
- ``runs``: one row per run with an integer ``run_no`` (compact keys for the big tables) and ``last_seq``,
  bumped in the same transaction as the events, so seqs are dense and in commit order;
- ``events``: the journal, keyed ``(run_no, seq)`` (a WITHOUT ROWID table: one b-tree, appended in order);
- ``items``: the projection of FILE_* events by the shared rule (``projection``, written in SQL by
  ``sqlite_items``), keyed ``(run_no, key)``, with a partial index over pending
  items in insertion order (what ``claim`` reads); ``item_counts`` keeps the
  per-status totals in the same transactions, so counting never scans the items. Writes are set-based
  where the outcome does not depend on an item's state (claim leases its batch with one UPDATE, a report
  applies one UPDATE per outcome shape, new items are copied from their FILE_ADDED rows): few statements
  per batch, nothing read back that was just written;
- ``leases``, ``workers``: who holds which batch until when; a lease lists the keys it was claimed with
  (a JSON array), which is how a lease's items are found: an index of the items by lease cost each claimed
  item two more b-tree writes (in at the claim, out at the outcome), about 5 % of a no-op run;
- ``health_snapshots``, ``health_checks``: the health history.

Concurrency: one connection per store object, serialized by a lock, so a store may be shared by threads.
Several processes may share one file: every write runs under ``BEGIN IMMEDIATE`` (the writer lock is taken
up front, so two writers never deadlock upgrading read locks), and WAL lets readers (a notebook) read while a
writer writes. Durability: each writing method commits before it returns; with ``synchronous=NORMAL`` (the
default) a commit survives a crash of the process, with ``synchronous=FULL`` (URL option) also power loss.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    LeaseLostError,
    RunMismatchError,
    RunNotFoundError,
    UnknownEventKindError,
)
from omnimemory_kit.events import (
    EVENT_KINDS,
    Event,
    EventKind,
    FileStatus,
    JournalEntry,
    events_of_rows,
    journal_length,
)
from omnimemory_kit.store.base import (
    ERROR_MESSAGE_LIMIT,
    STARTS,
    Lease,
    ReportLink,
    RunRecord,
    Store,
    WorkerRecord,
    WorkItem,
    check_claim,
    check_outcomes,
    loaded_event,
    loaded_rows,
    run_is_done,
    stored_entry,
    stored_event,
    work_items,
)
from omnimemory_kit.store.blocks import check_items
from omnimemory_kit.store.counters import RunCounters, minute_start
from omnimemory_kit.store.report_reads import ReportAggregates
from omnimemory_kit.store.sqlite_counters import read_counters, read_item_counts
from omnimemory_kit.store.sqlite_health import SQLiteHealthHistory
from omnimemory_kit.store.sqlite_items import (
    CLAIM_ITEMS,
    LeaseSizes,
    ReportPlan,
    Weight,
    add_blocks,
    add_counts,
    add_new,
    project,
    report_items,
    report_plan,
)
from omnimemory_kit.store.sqlite_journal import (
    INSERT_COMPACT_STARTS,
    INSERT_EVENT_ROW,
    expand_rows,
    insert_entries,
    insert_events,
    insert_rows,
)
from omnimemory_kit.store.sqlite_report_reads import read_matching, read_sqlite_report
from omnimemory_kit.store.sqlite_selection import batch_items, item_statuses, latest_batches
from omnimemory_kit.store.sqlite_status import first_unknown_kind, read_rare_events, read_status
from omnimemory_kit.store.sqlite_tally import Tally
from omnimemory_kit.store.status_facts import COMMON_KINDS, RunStatusFacts
from omnimemory_kit.store.url import SQLiteLocation
from omnimemory_kit.text import STORED_MARKER, from_stored, to_stored

__all__ = ["ERROR_MESSAGE_LIMIT", "SQLiteStore"]

# From the row holding the event after ?2 (a run's row may begin at or before it), in seq order.
_SELECT_EVENTS: Final = (
    "SELECT kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq, members "
    "FROM events WHERE run_no = ?1 AND seq >= (SELECT coalesce(max(seq), 0) FROM events "
    "WHERE run_no = ?1 AND seq <= ?2 + 1) ORDER BY seq LIMIT ?3"
)
# A store older than schema version 7 opened read-only: a row per event.
_SELECT_EVENTS_V6: Final = (
    "SELECT kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq, NULL "
    "FROM events WHERE run_no = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
)
_SELECT_RUN: Final = (
    "SELECT run_id, name, priority, source, function, created_at, params, operator, origin, correlation_id "
    "FROM runs"
)
# A store of schema version 1 opened read-only (it cannot be upgraded) has no ledger columns yet.
_SELECT_RUN_V1: Final = (
    "SELECT run_id, name, priority, source, function, created_at, params, '', '', '' FROM runs"
)
_PICK: Final = (
    "SELECT count(*), json_group_array(key), json_group_array(size), sum(size), sum(size = 0) FROM ("
    "SELECT key, size, ordinal FROM items WHERE run_no = ? AND status = 'pending' ORDER BY ordinal LIMIT ?)"
)
"""A claim's pick, oldest first: how many, the keys and sizes (JSON arrays, in order, both kept with the
lease: its reports weigh their items by them), their bytes and how many have no size."""
# The lease's run and expiry, the run's last seq, and what its claim kept to weigh its reports: its keys and
# sizes, how many they are, their bytes and how many have no size (so a report of the whole lease reads
# no key).
_CHECK_LIVE: Final = (
    "SELECT l.run_no, l.expires_at, r.last_seq, l.keys, l.sizes, json_array_length(l.sizes), l.bytes, "
    "l.unsized FROM leases l JOIN runs r ON r.run_no = l.run_no WHERE l.lease_id = ? AND l.worker_id = ?"
)
_READ_CHUNK: Final = 5000
_PENDING: Final = FileStatus.PENDING.value
_IN_PROGRESS: Final = FileStatus.IN_PROGRESS.value


def _wanted(items: Iterable[WorkItem]) -> dict[str, int]:
    """Return the items as stored key -> size, the first of a repeated key winning; check them first.

    Runs on the store thread while the event loop wants the interpreter's lock: the common chunk (plain
    keys, none repeated, sizes in range) is checked with a few passes in C, not a step per item.

    Raises:
        ConfigError: an item's key is not text, or its size not a whole number of bytes (``check_items``).
    """
    chunk = items if isinstance(items, list | tuple) else list(items)
    check_items(chunk)
    keys = [item.key for item in chunk]
    joined = "".join(keys)
    if (
        keys
        and joined.isascii()
        and "\x00" not in joined
        and len(wanted := dict(zip(keys, [item.size for item in chunk], strict=True))) == len(keys)
    ):
        return wanted  # the common key is stored as it is (to_stored's test)
    wanted = {}
    for item in chunk:
        key = item.key
        if not key.isascii() or "\x00" in key:
            key = to_stored(key)
        if key not in wanted:  # the first of a key wins
            wanted[key] = item.size
    return wanted


class _NotHeld(Exception):
    """A report named an item its lease does not hold in progress (the transaction is rolled back)."""


class SQLiteStore(SQLiteHealthHistory, Store):
    """The journal and health history in one SQLite file (or in memory, for tests).

    Prefer ``open_store(url)``; construct directly with a ``SQLiteLocation``, a ``sqlite:`` URL or a path.

    Args:
        location: where the store lives.
        clock: its ``time()`` stamps runs, claims and lease expiries.
        create: create the file and schema when missing (the folder must exist).
        read_only: only read (status, reports, followers): the file must exist, nothing is ever written,
            and a store on read-only media (a read-only mount, a folder without write permission) opens
            too; any writing method then raises ``StoreUnavailableError``.
    """

    def __init__(
        self,
        location: SQLiteLocation | str | os.PathLike[str],
        *,
        clock: Clock = SYSTEM_CLOCK,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        super().__init__(location, clock=clock, create=create, read_only=read_only)
        self._run_nos: dict[str, int] = {}

    def _run_no(self, conn: sqlite3.Connection, run_id: str) -> int:
        run_no = self._run_nos.get(run_id)
        if run_no is None:
            row = conn.execute("SELECT run_no FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFoundError(run_id, where=self.url)
            run_no = self._run_nos[run_id] = int(row[0])
        return run_no

    def _append_locked(
        self, conn: sqlite3.Connection, run_no: int, events: Sequence[Event], *, lease_id: str | None = None
    ) -> int:
        """Insert events after the run's last seq and fold their FILE_* effects into the items table."""
        first, last = insert_events(conn, run_no, events)
        if events:
            project(conn, run_no, events, first, lease_id)
        return last

    @staticmethod
    def _record(row: tuple[Any, ...]) -> RunRecord:
        run_id, name, priority, source, function, created_at, params, operator, origin, correlation = row
        return RunRecord(
            run_id=run_id,
            name=from_stored(name),
            priority=priority,
            source=from_stored(source),
            function=from_stored(function),
            created_at=created_at,
            params=json.loads(params),
            operator=from_stored(operator),
            origin=from_stored(origin),
            correlation_id=from_stored(correlation),
        )

    @property
    def _select_run(self) -> str:
        return _SELECT_RUN if self.schema_version >= 2 else _SELECT_RUN_V1

    # --- runs -----------------------------------------------------------------------------------------

    def create_run(self, record: RunRecord) -> RunRecord:
        """Create a run, or return the existing one with that id (see ``JournalStore.create_run``)."""
        created, _ = self._create_run(record, None, 0.0)
        return created

    def create_run_with_blocks(
        self, record: RunRecord, blocks: Iterable[str], *, at: float
    ) -> tuple[RunRecord, int]:
        """Create (or reopen) a run and add the blocks' items in one transaction (see ``JournalStore``).

        The blocks are written as ``add_item_blocks`` writes them; the run's row is committed with them.
        """
        return self._create_run(record, blocks, at)

    def _create_run(
        self, record: RunRecord, blocks: Iterable[str] | None, at: float
    ) -> tuple[RunRecord, int]:
        try:
            params = json.dumps(dict(record.params), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"run {record.run_id!r}: params must be JSON-serializable ({exc})") from exc
        added = 0
        with self._write("create a run") as conn:
            row = conn.execute(_SELECT_RUN + " WHERE run_id = ?", (record.run_id,)).fetchone()
            if row is not None:
                created = self._record(row)
                for field_name in ("source", "function"):
                    recorded, given = getattr(created, field_name), getattr(record, field_name)
                    if recorded != given:
                        raise RunMismatchError(record.run_id, field_name, recorded, given)
                run_no = self._run_no(conn, record.run_id)
            else:
                created, run_no = self._insert_run(conn, record, params)
            if blocks is not None:
                added = self._add_locked(
                    conn, run_no, lambda run_no, first: add_blocks(conn, run_no, blocks, first, at)
                )
        # only once committed: a run rolled back with its items must not be remembered
        self._run_nos[record.run_id] = run_no
        return created, added

    def _insert_run(self, conn: sqlite3.Connection, record: RunRecord, params: str) -> tuple[RunRecord, int]:
        """Insert a new run's row and its RUN_CREATED event; return the run as stored and its run_no."""
        created_at = record.created_at or self._clock.time()
        cursor = conn.execute(
            "INSERT INTO runs (run_id, name, priority, source, function, created_at, params, operator, "
            "origin, correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.run_id,
                to_stored(record.name),
                str(record.priority),
                to_stored(record.source),
                to_stored(record.function),
                created_at,
                params,
                to_stored(record.operator),
                to_stored(record.origin),
                to_stored(record.correlation_id),
            ),
        )
        run_no = int(cursor.lastrowid or 0)
        self._append_locked(
            conn, run_no, [stored_event(Event(EventKind.RUN_CREATED, at=created_at, reason=record.name))]
        )
        created = replace(
            record, priority=str(record.priority), created_at=created_at, params=json.loads(params)
        )
        return created, run_no

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run; raise ``RunNotFoundError`` if there is none with that id."""
        with self._read("read a run") as conn:
            row = conn.execute(self._select_run + " WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, where=self.url)
        return self._record(row)

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._read("list runs") as conn:
            rows = conn.execute(self._select_run + " ORDER BY created_at, run_no").fetchall()
        return [self._record(row) for row in rows]

    def add_report(self, run_id: str, report: ReportLink) -> None:
        """Record a report made from a run (see ``JournalStore.add_report``)."""
        with self._write("record a report") as conn:
            conn.execute(
                "INSERT OR IGNORE INTO run_reports (run_no, path, made_at) VALUES (?, ?, ?)",
                (self._run_no(conn, run_id), to_stored(report.path), report.made_at),
            )

    def run_reports(self, run_id: str) -> list[ReportLink]:
        """Return the reports made from a run, oldest first."""
        if self.schema_version < 2:
            return []
        with self._read("read a run's reports") as conn:
            rows = conn.execute(
                "SELECT path, made_at FROM run_reports WHERE run_no = ? ORDER BY made_at, path",
                (self._run_no(conn, run_id),),
            ).fetchall()
        return [ReportLink(from_stored(path), float(made_at)) for path, made_at in rows]

    # --- journal --------------------------------------------------------------------------------------

    def append(self, run_id: str, events: Sequence[Event]) -> int:
        """Append events durably in one transaction, update the items projection, return the last seq."""
        events = [stored_event(e) for e in events]
        with self._write("append events") as conn:
            return self._append_locked(conn, self._run_no(conn, run_id), events)

    def append_start(self, run_id: str, event: Event) -> int | None:
        """Journal a start unless the run is done, in one transaction (see ``JournalStore.append_start``)."""
        with self._write("journal the run's start") as conn:
            run_no = self._run_no(conn, run_id)
            counts = read_item_counts(conn, run_no)
            starts = read_rare_events(
                conn, run_no, frozenset(STARTS), after_seq=0, until_seq=None, worker_id=None,
                compact=self.schema_version >= 7,
            )  # fmt: skip
            if run_is_done(counts, starts):
                return None
            return self._append_locked(conn, run_no, [stored_event(event)])

    def check_event_kinds(self, run_id: str) -> None:
        """Look for an event kind this version lacks with one indexed query (no event is decoded)."""
        with self._read("check event kinds") as conn:
            found = first_unknown_kind(conn, self._run_no(conn, run_id))
        if found is not None:
            raise UnknownEventKindError(found[1], run_id, found[0], where=f"store {self.url!r}")

    def read_events(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        """Yield the run's events after ``after_seq`` in seq order, read in chunks.

        Each chunk is its own short query (keyset pagination on seq), so a slow consumer never holds a read
        transaction open against writers, and a reader tailing a live run never skips an event.
        """
        kinds = EVENT_KINDS
        for rows in self._chunks(run_id, after_seq, limit):
            try:
                events = events_of_rows(rows, kinds)
            except KeyError:  # the events before the unknown one are read, then it is named
                bad = next(i for i, row in enumerate(rows) if row[0] not in kinds)
                yield from map(loaded_event, events_of_rows(rows[:bad], kinds))
                kind, seq = rows[bad][0], rows[bad][9]
                raise UnknownEventKindError(kind, run_id, seq, where=f"store {self.url!r}") from None
            yield from map(loaded_event, events)

    def read_event_rows(self, run_id: str, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """Yield the run's events as plain tuples in ``EVENT_COLUMNS`` order (fast path for reports)."""
        for rows in self._chunks(run_id, after_seq, None):
            yield from loaded_rows(rows)

    def _chunks(self, run_id: str, after_seq: int, limit: int | None) -> Iterator[list[tuple[Any, ...]]]:
        with self._read("read events") as conn:
            run_no = self._run_no(conn, run_id)
        select = _SELECT_EVENTS if self.schema_version >= 7 else _SELECT_EVENTS_V6
        remaining = limit
        cursor_seq = after_seq
        while remaining is None or remaining > 0:
            size = _READ_CHUNK if remaining is None else min(_READ_CHUNK, remaining)
            with self._read("read events") as conn:
                rows = conn.execute(select, (run_no, cursor_seq, size)).fetchall()
            events = expand_rows(rows, cursor_seq)
            if remaining is not None:
                del events[remaining:]
                remaining -= len(events)
            if not events:  # the row holding the next event ends before it: nothing past the cursor
                return
            yield events
            cursor_seq = events[-1][-1]
            if len(rows) < size:
                return

    def read_events_matching(
        self,
        run_id: str,
        *,
        after_seq: int,
        until_seq: int | None = None,
        worker_id: str | None = None,
        kinds: Iterable[EventKind] | None = None,
    ) -> Iterator[Event]:
        """Yield the run's matching events; rare kinds alone are read through their index."""
        wanted = None if kinds is None else frozenset(kinds)
        if not wanted or not wanted.isdisjoint(COMMON_KINDS):  # filtered in SQL, a chunk per short read
            with self._read("read events") as conn:
                run_no = self._run_no(conn, run_id)
            yield from read_matching(
                lambda: self._read("read events"), run_no, run_id, after_seq=after_seq, until_seq=until_seq,
                worker_id=worker_id, kinds=wanted, where=f"store {self.url!r}",
                compact=self.schema_version >= 7,
            )  # fmt: skip
            return
        with self._read("read events") as conn:
            found = read_rare_events(
                conn, self._run_no(conn, run_id), wanted, after_seq=after_seq, until_seq=until_seq,
                worker_id=worker_id, compact=self.schema_version >= 7,
            )  # fmt: skip
        yield from found

    def last_seq(self, run_id: str) -> int:
        """Return the run's highest seq (0 when the journal is empty)."""
        with self._read("read the last seq") as conn:
            run_no = self._run_no(conn, run_id)
            (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        return int(last)

    # --- items and leases -------------------------------------------------------------------------------

    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        """Add items not already in the run (by key), appending FILE_ADDED for each new one.

        One event per item, also for runs of millions: resume, re-runs, validation, status and reports all
        read the journal. The chunk's events are one row (``sqlite_journal``), read back one by one.
        """
        wanted = _wanted(items)
        if not wanted:
            return 0
        with self._write("add items") as conn:
            run_no = self._run_no(conn, run_id)
            return self._add_locked(
                conn, run_no, lambda run_no, first: add_new(conn, run_no, wanted, first, at)
            )

    def add_item_blocks(self, run_id: str, blocks: Iterable[str], *, at: float) -> int:
        """Add the items of every block (``store.blocks``) in one transaction; return how many were new.

        All or nothing: a malformed block, or ``blocks`` raising (a bad manifest line), adds nothing. The
        common block costs two statements SQLite runs in C (``sqlite_items.add_blocks``), so reading the
        next block in another thread overlaps the writing. The store stays locked for writing meanwhile.
        """
        with self._write("add items") as conn:
            run_no = self._run_no(conn, run_id)
            return self._add_locked(
                conn, run_no, lambda run_no, first: add_blocks(conn, run_no, blocks, first, at)
            )

    def _add_locked(self, conn: sqlite3.Connection, run_no: int, add: Callable[[int, int], Weight]) -> int:
        """Run ``add(run_no, first seq)`` and move the run's last seq and pending counters by what it
        added (``sqlite_items.Weight``); return how many items it added."""
        (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        weight = add(run_no, last + 1)
        added = weight[0]
        if added:
            conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last + added, run_no))
            add_counts(conn, run_no, {_PENDING: weight})
        return added

    def item_counts(self, run_id: str) -> dict[FileStatus, int]:
        """Return how many items are in each status (every status present, zero included)."""
        with self._read("count items") as conn:
            return read_item_counts(conn, self._run_no(conn, run_id))

    def item_statuses(
        self, run_id: str, *, keys: Iterable[str] | None = None, status: FileStatus | None = None
    ) -> dict[str, FileStatus]:
        """Return the status of the run's items among ``keys`` and in ``status`` (see ``JournalStore``)."""
        with self._read("select items") as conn:
            return item_statuses(conn, self._run_no(conn, run_id), keys, status)

    def batch_items(self, run_id: str, batch_id: str) -> dict[str, FileStatus] | None:
        """Return the items ``batch_id`` last started (see ``JournalStore.batch_items``)."""
        with self._read("select a batch's items") as conn:
            return batch_items(conn, self._run_no(conn, run_id), batch_id)

    def latest_batches(self, run_id: str, limit: int) -> tuple[list[tuple[str, int]], int]:
        """Return the run's latest batches and their number (see ``JournalStore.latest_batches``)."""
        with self._read("read the latest batches") as conn:
            return latest_batches(conn, self._run_no(conn, run_id), limit)

    def run_counters(self, run_id: str, *, since: float | None = None) -> RunCounters:
        """Return the run's store-kept counters (see ``JournalStore.run_counters``)."""
        if self.schema_version < 4:  # an older store opened read-only: nothing kept yet, derive them
            return super().run_counters(run_id, since=since)
        with self._read("read run counters") as conn:
            return read_counters(conn, self._run_no(conn, run_id), run_id, since)

    def status_facts(self, run_id: str, *, with_bytes: bool = False) -> RunStatusFacts:
        """Return what ``status`` shows of a run (see ``JournalStore.status_facts``)."""
        if self.schema_version < 4:  # an older store opened read-only: no counters kept, read the journal
            return super().status_facts(run_id, with_bytes=with_bytes)
        with self._read("read a run's status") as conn:
            return read_status(
                conn, self._run_no(conn, run_id), run_id, with_bytes=with_bytes,
                bytes_kept=self.schema_version >= 6,  # else an older store opened read-only: a pass
                compact=self.schema_version >= 7,
            )  # fmt: skip

    def report_aggregates(
        self, run_id: str, *, origin: float, bucket_seconds: float, top: int
    ) -> ReportAggregates | None:
        """Return a run's report aggregates, summed in SQL in one read (``store.report_reads``)."""
        with self._read("read a report's aggregates") as conn:
            run_no = self._run_no(conn, run_id)
            return read_sqlite_report(
                conn, run_no, run_id, origin=origin, bucket_seconds=bucket_seconds, top=top,
                where=f"store {self.url!r}", compact=self.schema_version >= 7,
            )  # fmt: skip

    def register_worker(self, run_id: str, worker_id: str, *, host: str, pid: int) -> WorkerRecord:
        """Record that a worker joined the run (or refresh its host, pid and last_seen); return its record."""
        now = self._clock.time()
        with self._write("register a worker") as conn:
            run_no = self._run_no(conn, run_id)
            conn.execute(
                "INSERT INTO workers (run_no, worker_id, host, pid, started_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_no, worker_id) DO UPDATE SET "
                "host = excluded.host, pid = excluded.pid, last_seen = excluded.last_seen",
                (run_no, worker_id, host, pid, now, now),
            )
            return self._workers_locked(conn, run_id, run_no, worker_id)[0]

    def workers(self, run_id: str) -> list[WorkerRecord]:
        """Return the run's workers (first joined first) with their live lease counts and items done."""
        with self._read("list workers") as conn:
            return self._workers_locked(conn, run_id, self._run_no(conn, run_id))

    def _workers_locked(
        self, conn: sqlite3.Connection, run_id: str, run_no: int, worker_id: str | None = None
    ) -> list[WorkerRecord]:
        rows = conn.execute(
            "SELECT w.worker_id, w.host, w.pid, w.started_at, w.last_seen, w.items_done, "
            "(SELECT count(*) FROM leases l WHERE l.run_no = w.run_no AND l.worker_id = w.worker_id "
            " AND l.expires_at > ?) "
            "FROM workers w WHERE w.run_no = ? AND (? IS NULL OR w.worker_id = ?) "
            "ORDER BY w.started_at, w.worker_id",
            (self._clock.time(), run_no, worker_id, worker_id),
        ).fetchall()
        return [
            WorkerRecord(
                worker_id=wid,
                run_id=run_id,
                host=host,
                pid=pid,
                started_at=started,
                last_seen=seen,
                items_done=done,
                leases=leases,
            )
            for wid, host, pid, started, seen, done, leases in rows
        ]

    def leases(self, run_id: str) -> list[Lease]:
        """Return the run's current leases (expired ones included until reclaimed), oldest first.

        Each lease lists the items it still holds (claimed and not yet finished).
        """
        with self._read("list leases") as conn:
            run_no = self._run_no(conn, run_id)
            rows = conn.execute(
                "SELECT lease_id, worker_id, batch_id, expires_at FROM leases WHERE run_no = ? "
                "ORDER BY claimed_at, rowid",
                (run_no,),
            ).fetchall()
            return [
                Lease(lease_id, run_id, worker_id, batch_id, self._lease_items(conn, lease_id), expires_at)
                for lease_id, worker_id, batch_id, expires_at in rows
            ]

    def _lease_items(self, conn: sqlite3.Connection, lease_id: str) -> tuple[WorkItem, ...]:
        return tuple(
            WorkItem(from_stored(key), size)
            for key, size in conn.execute(self._held_by_lease("key", "size", in_progress=False), (lease_id,))
        )

    def _held_by_lease(self, *columns: str, in_progress: bool = True) -> str:
        """Return a SELECT of the items' ``columns`` that lease ``?1`` holds (in progress only, by default),
        in their order in the run.

        A lease's items are looked up by the keys it was claimed with; a store older than version 5
        (opened read-only) has no such list, but still its index of the items by lease. A lease without
        keys was claimed by a process of an older version still running when the store was upgraded: its
        items are found by a pass over the run's items (rare, and never on a store of one version).
        """
        status = " AND i.status = 'in_progress'" if in_progress else ""
        picked = ", ".join(f"i.{column}" for column in columns)
        if self.schema_version < 5:
            return f"SELECT {picked} FROM items i WHERE i.lease_id = ?1{status} ORDER BY i.ordinal"
        return (
            f"SELECT {', '.join(columns)} FROM ("
            f"SELECT {picked}, i.ordinal FROM leases l JOIN items i ON i.run_no = l.run_no "
            f"AND i.key IN (SELECT value FROM json_each(l.keys)) AND i.lease_id = l.lease_id "
            f"WHERE l.lease_id = ?1 AND l.keys <> '[]'{status} "
            f"UNION ALL SELECT {picked}, i.ordinal FROM leases l JOIN items i ON i.run_no = l.run_no "
            f"AND i.lease_id = l.lease_id WHERE l.lease_id = ?1 AND l.keys = '[]'{status}"
            f") ORDER BY ordinal"
        )

    def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Claim up to ``limit`` pending items, oldest first, under one lease (see ``JournalStore.claim``).

        The batch id is ``batch-<seq>`` where seq is its BATCH_OPENED event's seq (unique in the run).
        A worker not registered yet is registered (host and pid parsed from ``host:pid:token``). The
        lease's ``seq`` is the journal's last seq after the claim.
        """
        check_claim(limit, lease_seconds)
        with self._write("claim items") as conn:
            tally = Tally.begin(conn, self._run_no(conn, run_id))
            lease = self._claim_locked(
                conn, tally, run_id, worker_id, limit, lease_seconds, self._clock.time()
            )
            if lease is not None:
                tally.write(conn)
            return lease

    def _claim_locked(
        self,
        conn: sqlite3.Connection,
        tally: Tally,
        run_id: str,
        worker_id: str,
        limit: int,
        lease_seconds: float,
        now: float,
    ) -> Lease | None:
        """Claim into ``tally`` (the caller writes it): the worker's row, the seqs, the counters."""
        run_no = tally.run_no
        # One row for the whole pick (not one per item): the store thread gets the GIL back once, not once
        # per item, while the event loop is busy running the batch before.
        count, keys, sizes, nbytes, unsized = conn.execute(_PICK, (run_no, limit)).fetchone()
        if not count:
            return None
        expires_at = now + lease_seconds
        lease_id = uuid.uuid4().hex
        first = tally.take_seqs(count + 1)
        batch_id = f"batch-{first}"
        tally.saw_worker(worker_id, now)  # registered if new
        conn.execute(
            "INSERT INTO leases (lease_id, run_no, worker_id, batch_id, claimed_at, expires_at, keys, sizes, "
            "bytes, unsized) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (lease_id, run_no, worker_id, batch_id, now, expires_at, keys, sizes, nbytes, unsized),
        )
        # Set-based, from the pick's keys (a JSON text SQLite made, in ordinal order; the same transaction,
        # so they are still pending): their FILE_STARTED events as one row (``sqlite_journal``), then one
        # statement leases them all. Both are read by SQLite in C, so the store thread leaves the
        # interpreter's lock to the event loop meanwhile.
        conn.execute(
            INSERT_EVENT_ROW,
            (run_no, first, str(EventKind.BATCH_OPENED), now, None, None, batch_id, None, None, None,
             worker_id),
        )  # fmt: skip
        conn.execute(INSERT_COMPACT_STARTS, (run_no, first + 1, now, batch_id, worker_id, keys))
        conn.execute(CLAIM_ITEMS, (lease_id, batch_id, worker_id, run_no, keys))
        tally.count({_PENDING: [-count, -nbytes, -unsized], _IN_PROGRESS: [count, nbytes, unsized]})
        tally.add_minutes({minute_start(now): [count, 0, 0, 0, 0, None, None]})
        return Lease(
            lease_id=lease_id,
            run_id=run_id,
            worker_id=worker_id,
            batch_id=batch_id,
            items=work_items(
                json.loads(keys) if STORED_MARKER not in keys else map(from_stored, json.loads(keys)),
                json.loads(sizes),
            ),
            expires_at=expires_at,
            seq=tally.last_seq,
        )

    def _live_tally(
        self, conn: sqlite3.Connection, lease: Lease, now: float, *, expired_ok: bool = False
    ) -> Tally:
        """Check that the worker still holds the lease (``_check_live``); start the transaction's tally.

        One query for both: the lease's expiry and the run's last seq (and the sizes its claim kept).
        """
        run_no, last_seq, sizes = self._check_live(conn, lease, now, expired_ok=expired_ok)
        return Tally(run_no, last_seq, live_lease=lease.lease_id, lease_sizes=sizes)

    def _check_live(
        self, conn: sqlite3.Connection, lease: Lease, now: float, *, expired_ok: bool = False
    ) -> tuple[int, int, LeaseSizes | None]:
        """Return the lease's run_no, the run's last seq and the sizes its claim kept (None for a lease
        claimed before the store kept them) if the worker still holds the lease (and, unless
        ``expired_ok``, it is live)."""
        row = conn.execute(_CHECK_LIVE, (lease.lease_id, lease.worker_id)).fetchone()
        if row is None or (not expired_ok and row[1] <= now):
            raise LeaseLostError(lease.worker_id, lease.lease_id)
        run_no, last_seq = int(row[0]), int(row[2])
        if row[4] is None:
            return run_no, last_seq, None
        return run_no, last_seq, LeaseSizes(row[3], row[4], [int(row[5]), int(row[6]), int(row[7])])

    def heartbeat(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a live lease to now + ``lease_seconds``; ``LeaseLostError`` if it expired or is gone."""
        check_claim(1, lease_seconds)
        now = self._clock.time()
        expires_at = now + lease_seconds
        with self._write("extend a lease") as conn:
            run_no, _, _ = self._check_live(conn, lease, now)
            conn.execute("UPDATE leases SET expires_at = ? WHERE lease_id = ?", (expires_at, lease.lease_id))
            conn.execute(
                "UPDATE workers SET last_seen = ? WHERE run_no = ? AND worker_id = ?",
                (now, run_no, lease.worker_id),
            )
        return replace(lease, expires_at=expires_at)

    def report(self, lease: Lease, events: Sequence[Event]) -> int:
        """Record outcomes for items of a live lease (see ``JournalStore.report``); return the last seq.

        Raises:
            LeaseLostError: the lease expired or was reclaimed; nothing is recorded.
            InvalidTransitionError: an event is not an outcome, or names an item this lease does not hold
                in progress; nothing is recorded.
        """
        now = self._clock.time()
        events = [stored_event(e) for e in events]
        plan = report_plan(events)
        if plan is not None:
            try:
                return self._report_planned(lease, events, now, plan)
            except _NotHeld:
                pass  # rolled back: the checked path below names the offending item
        with self._write("report outcomes") as conn:
            run_no, _, _ = self._check_live(conn, lease, now)
            held = {row[0] for row in conn.execute(self._held_by_lease("key"), (lease.lease_id,))}
            done = check_outcomes(lease, events, held)
            last = self._append_locked(conn, run_no, events, lease_id=lease.lease_id)
            conn.execute(
                "UPDATE workers SET items_done = items_done + ?, last_seen = ? "
                "WHERE run_no = ? AND worker_id = ?",
                (done, now, run_no, lease.worker_id),
            )
        return last

    def _report_planned(self, lease: Lease, events: Sequence[Event], now: float, plan: ReportPlan) -> int:
        """Apply a well-formed report set-based: one UPDATE per outcome shape, its row count the check.

        Each UPDATE only touches items this lease holds in progress; if fewer rows match than the report
        names, some item is not held and ``_NotHeld`` rolls the whole transaction back.
        """
        with self._write("report outcomes") as conn:
            tally = self._live_tally(conn, lease, now)
            self._report_planned_locked(conn, tally, lease, events, now, plan)
            return tally.write(conn)

    def _report_planned_locked(
        self,
        conn: sqlite3.Connection,
        tally: Tally,
        lease: Lease,
        events: Sequence[Event],
        now: float,
        plan: ReportPlan,
    ) -> None:
        """Report into ``tally`` (the caller writes it); ``lease`` was checked live for it."""
        reported = report_items(conn, tally.run_no, lease.lease_id, plan, tally.lease_sizes)
        if reported is None:
            raise _NotHeld
        done, deltas = reported
        tally.count(deltas)
        tally.add_minutes(insert_rows(conn, tally.run_no, tally.take_seqs(len(events)), events))
        tally.saw_worker(lease.worker_id, now, done)

    def release(self, lease: Lease, events: Sequence[JournalEntry] = ()) -> int:
        """End a lease: requeue its unfinished items (FILE_INTERRUPTED), then append ``events``.

        A lease that expired but was not reclaimed yet can still be released (nobody else holds its items).
        A run of verdicts among ``events`` is one journal row (``takes_verdict_runs``).

        Raises:
            LeaseLostError: the lease was reclaimed or released already.
        """
        now = self._clock.time()
        events = [stored_entry(e) for e in events]
        with self._write("release a lease") as conn:
            tally = self._live_tally(conn, lease, now, expired_ok=True)
            self._release_locked(conn, tally, lease, events, now)
            return tally.write(conn)

    def _release_locked(
        self, conn: sqlite3.Connection, tally: Tally, lease: Lease, events: Sequence[JournalEntry], now: float
    ) -> None:
        """Release into ``tally`` (the caller writes it); ``lease`` was checked for it."""
        run_no = tally.run_no
        if tally.live_lease == lease.lease_id and tally.items_done == len(lease.items):
            # this transaction's report finished every item the lease holds: none is left in progress
            conn.execute("DELETE FROM leases WHERE lease_id = ? AND run_no = ?", (lease.lease_id, run_no))
            interrupted = []
        else:
            interrupted = self._interrupt_leases(conn, run_no, [lease.lease_id], now, reason="released")
        closing: list[JournalEntry] = [*interrupted, *events]
        if closing:
            first = tally.take_seqs(journal_length(closing))
            buckets, stretches = insert_entries(conn, run_no, first, closing)
            tally.add_minutes(buckets)
            for start, stretch in stretches:  # a run of verdicts changes no item
                project(conn, run_no, stretch, start, None)
        tally.saw_worker(lease.worker_id, now)

    @property
    def report_and_release_atomic(self) -> bool:
        """True, unless a subclass changed ``report`` or ``release`` (then those are called, one by one)."""
        cls = type(self)
        return cls.report is SQLiteStore.report and cls.release is SQLiteStore.release

    @property
    def takes_verdict_runs(self) -> bool:
        """True: a run of verdicts given by keys is released as one journal row, no event built per item."""
        return True

    def report_and_release(
        self, lease: Lease, outcomes: Sequence[Event], events: Sequence[JournalEntry] = ()
    ) -> int:
        """Record ``outcomes`` and end the lease in one transaction (one commit per batch, not two).

        Raises:
            LeaseLostError: the lease expired or was reclaimed before the report; nothing is recorded.
            InvalidTransitionError: as ``report``; nothing is recorded.
        """
        now = self._clock.time()
        reported = [stored_event(e) for e in outcomes]
        plan = report_plan(reported) if reported and self.report_and_release_atomic else None
        if plan is not None:
            closing = [stored_entry(e) for e in events]
            try:
                with self._write("report outcomes and release a lease") as conn:
                    tally = self._live_tally(conn, lease, now)
                    self._report_planned_locked(conn, tally, lease, reported, now, plan)
                    self._release_locked(conn, tally, lease, closing, now)
                    return tally.write(conn)
            except _NotHeld:
                pass  # rolled back: the checked path below names the offending item
        return super().report_and_release(lease, outcomes, events)

    @property
    def release_and_claim_atomic(self) -> bool:
        """True, unless a subclass changed ``report``, ``release`` or ``claim`` (then those are called)."""
        return self.report_and_release_atomic and type(self).claim is SQLiteStore.claim

    def report_release_and_claim(
        self,
        lease: Lease,
        outcomes: Sequence[Event],
        events: Sequence[JournalEntry] = (),
        *,
        limit: int,
        lease_seconds: float,
    ) -> tuple[int, Lease | None]:
        """Record ``outcomes``, end the lease and claim the next batch in one transaction (one commit).

        See ``JournalStore.report_release_and_claim``; a report the planned path cannot apply (a
        malformed one, which is refused) takes the calls one by one, so its error is the report's.
        """
        check_claim(limit, lease_seconds)
        now = self._clock.time()
        reported = [stored_event(e) for e in outcomes]
        plan = report_plan(reported) if reported else None
        if self.release_and_claim_atomic and (plan is not None or not reported):
            closing = [stored_entry(e) for e in events]
            try:
                with self._write("close a batch and claim the next") as conn:
                    # one tally for the three parts: the run's seq, counters and the worker's row move once
                    tally = self._live_tally(conn, lease, now, expired_ok=plan is None)
                    if plan is not None:
                        self._report_planned_locked(conn, tally, lease, reported, now, plan)
                    self._release_locked(conn, tally, lease, closing, now)
                    last = tally.last_seq
                    claimed = self._claim_locked(
                        conn, tally, lease.run_id, lease.worker_id, limit, lease_seconds, now
                    )
                    tally.write(conn)
                    return last, claimed
            except _NotHeld:
                pass  # rolled back: the checked path below names the offending item
        return super().report_release_and_claim(
            lease, outcomes, events, limit=limit, lease_seconds=lease_seconds
        )

    def _interrupt_leases(
        self, conn: sqlite3.Connection, run_no: int, lease_ids: Sequence[str], now: float, *, reason: str
    ) -> list[Event]:
        """Delete leases; return FILE_INTERRUPTED events for their in-progress items (not yet appended)."""
        events = []
        for lease_id in lease_ids:
            for key, batch_id, worker_id in conn.execute(
                self._held_by_lease("key", "batch_id", "worker_id"), (lease_id,)
            ).fetchall():
                events.append(
                    Event(
                        EventKind.FILE_INTERRUPTED,
                        at=now,
                        path=key,
                        batch_id=batch_id,
                        worker_id=worker_id,
                        reason=reason,
                    )
                )
            conn.execute("DELETE FROM leases WHERE lease_id = ? AND run_no = ?", (lease_id, run_no))
        return events

    def reclaim(self, run_id: str, *, worker_id: str | None = None) -> int:
        """Take back expired leases, or every lease of a dead ``worker_id``; requeue their items.

        Also requeues items in progress without a lease (journaled through ``append`` by a process that
        crashed) when ``worker_id`` is None: call it only when no lease-less writer of this run is alive.
        Each reclaimed lease's batch gets a BATCH_CLOSED event with the reason.
        """
        now = self._clock.time()
        with self._write("reclaim leases") as conn:
            run_no = self._run_no(conn, run_id)
            if worker_id is None:
                leases = conn.execute(
                    "SELECT lease_id, worker_id, batch_id FROM leases WHERE run_no = ? AND expires_at <= ? "
                    "ORDER BY claimed_at, rowid",
                    (run_no, now),
                ).fetchall()
                reason = "lease expired"
            else:
                leases = conn.execute(
                    "SELECT lease_id, worker_id, batch_id FROM leases WHERE run_no = ? AND worker_id = ? "
                    "ORDER BY claimed_at, rowid",
                    (run_no, worker_id),
                ).fetchall()
                reason = "worker gone"
            events = self._interrupt_leases(conn, run_no, [row[0] for row in leases], now, reason=reason)
            events += [
                Event(EventKind.BATCH_CLOSED, at=now, batch_id=batch_id, worker_id=owner, reason=reason)
                for _, owner, batch_id in leases
            ]
            if worker_id is None:
                events += [
                    Event(
                        EventKind.FILE_INTERRUPTED,
                        at=now,
                        path=key,
                        batch_id=batch_id,
                        worker_id=owner,
                        reason="in progress at a crash",
                    )
                    for key, batch_id, owner in conn.execute(
                        "SELECT key, batch_id, worker_id FROM items WHERE run_no = ? "
                        "AND status = 'in_progress' AND lease_id IS NULL ORDER BY ordinal",
                        (run_no,),
                    ).fetchall()
                ]
            self._append_locked(conn, run_no, events)
        return sum(1 for e in events if e.kind is EventKind.FILE_INTERRUPTED)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "read-only" if self.read_only else "open"
        return f"<SQLiteStore {self.url!r} {state} synchronous={self.location.synchronous}>"
