"""The SQLite journal store: one file in WAL mode, the default backend.

Layout (schema version ``SCHEMA_VERSION``):

- ``meta(key, value)``: ``application`` and ``schema_version``, checked on every open;
- ``runs``: one row per run with an integer ``run_no`` (compact keys for the big tables) and ``last_seq``,
  bumped in the same transaction as the events, so seqs are dense and in commit order;
- ``events``: the journal, keyed ``(run_no, seq)`` (a WITHOUT ROWID table: one b-tree, appended in order);
- ``items``: the projection of FILE_* events, keyed ``(run_no, key)``, with a partial index over pending
  items in insertion order (what ``claim`` reads) and one over leased items; ``item_counts`` keeps the
  per-status totals in the same transactions, so counting never scans the items. Writes are set-based
  where the outcome does not depend on an item's state (claim leases its batch with one UPDATE, a report
  applies one UPDATE per outcome shape, new items are copied from their FILE_ADDED rows): few statements
  per batch, nothing read back that was just written;
- ``leases``, ``workers``: who holds which batch until when;
- ``health_snapshots``, ``health_checks``: the health history.

Concurrency: one connection per store object, serialized by a lock, so a store may be shared by threads.
Several processes may share one file: every write runs under ``BEGIN IMMEDIATE`` (the writer lock is taken
up front, so two writers never deadlock upgrading read locks), and WAL lets readers (a notebook) read while a
writer writes. Durability: each writing method commits before it returns; with ``synchronous=NORMAL`` (the
default) a commit survives a crash of the process, with ``synchronous=FULL`` (URL option) also power loss.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    LeaseLostError,
    RunMismatchError,
    RunNotFoundError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store.base import (
    SCHEMA_VERSION,
    HealthCheckRow,
    HealthSnapshotRow,
    JournalStore,
    Lease,
    RunRecord,
    WorkerRecord,
    WorkItem,
    check_outcomes,
    parse_worker_id,
)
from omnimemory_kit.store.url import SQLiteLocation, parse_sqlite_url, redact_url

__all__ = ["ERROR_MESSAGE_LIMIT", "SQLiteStore"]

APPLICATION: Final = "omnimemory-kit"
ERROR_MESSAGE_LIMIT: Final = 4096
"""Longest ``error_message`` stored, in characters; longer ones are cut and marked."""
_TRUNCATED: Final = "… [truncated]"
_SQLITE_HEADER: Final = b"SQLite format 3\x00"
_READ_CHUNK: Final = 5000

_SCHEMA: Final = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE runs (
    run_no INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    priority TEXT NOT NULL,
    source TEXT NOT NULL,
    function TEXT NOT NULL,
    created_at REAL NOT NULL,
    params TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    run_no INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    path TEXT,
    size INTEGER,
    batch_id TEXT,
    error_type TEXT,
    error_message TEXT,
    reason TEXT,
    worker_id TEXT,
    PRIMARY KEY (run_no, seq)
) WITHOUT ROWID;
CREATE TABLE items (
    run_no INTEGER NOT NULL,
    key TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    size INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_id TEXT,
    batch_id TEXT,
    worker_id TEXT,
    PRIMARY KEY (run_no, key)
) WITHOUT ROWID;
CREATE INDEX items_pending ON items (run_no, ordinal) WHERE status = 'pending';
CREATE TABLE item_counts (
    run_no INTEGER NOT NULL,
    status TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_no, status)
) WITHOUT ROWID;
CREATE INDEX items_leased ON items (lease_id) WHERE lease_id IS NOT NULL;
CREATE TABLE leases (
    lease_id TEXT PRIMARY KEY,
    run_no INTEGER NOT NULL REFERENCES runs (run_no),
    worker_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX leases_run ON leases (run_no, expires_at);
CREATE TABLE workers (
    run_no INTEGER NOT NULL REFERENCES runs (run_no),
    worker_id TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    items_done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_no, worker_id)
);
CREATE TABLE health_snapshots (
    snapshot_id INTEGER PRIMARY KEY,
    taken_at REAL NOT NULL,
    status TEXT NOT NULL,
    payload_json TEXT NOT NULL
);
CREATE INDEX health_snapshots_taken_at ON health_snapshots (taken_at);
CREATE TABLE health_checks (
    snapshot_id INTEGER NOT NULL REFERENCES health_snapshots (snapshot_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    critical INTEGER NOT NULL,
    latency_ms REAL,
    error TEXT,
    observed_value REAL,
    observed_unit TEXT,
    breaker_state TEXT,
    PRIMARY KEY (snapshot_id, position)
);
CREATE INDEX health_checks_name ON health_checks (name, snapshot_id);
"""
_TABLES: Final = frozenset(
    {
        "meta",
        "runs",
        "events",
        "items",
        "item_counts",
        "leases",
        "workers",
        "health_snapshots",
        "health_checks",
    }
)

_INSERT_EVENT: Final = (
    "INSERT INTO events (run_no, seq, kind, at, path, size, batch_id, error_type, error_message, reason, "
    "worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT_ROW: Final = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT_EVENTS: Final = (
    "SELECT kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq "
    "FROM events WHERE run_no = ? AND seq > ? ORDER BY seq LIMIT ?"
)
_INSERT_ITEM: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status, attempts, lease_id, batch_id, worker_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_no, key) DO NOTHING"
)
_UPDATE_ITEM: Final = (
    "UPDATE items SET status = ?, attempts = ?, lease_id = ?, batch_id = ?, worker_id = ? "
    "WHERE run_no = ? AND key = ?"
)
_SELECT_RUN: Final = "SELECT run_id, name, priority, source, function, created_at, params FROM runs"
_KINDS: Final = {kind.value: kind for kind in EventKind}
_STATUSES: Final = {status.value: status for status in FileStatus}
_TERMINAL: Final = {
    EventKind.FILE_SUCCEEDED: FileStatus.SUCCEEDED.value,
    EventKind.FILE_FAILED: FileStatus.FAILED.value,
    EventKind.FILE_SKIPPED: FileStatus.SKIPPED.value,
}
# Bound once: looking a member up on the enum class costs more than the comparison itself.
_ADDED: Final = EventKind.FILE_ADDED
_STARTED: Final = EventKind.FILE_STARTED
_SUCCEEDED: Final = EventKind.FILE_SUCCEEDED
_FAILED_KIND: Final = EventKind.FILE_FAILED
_SKIPPED: Final = EventKind.FILE_SKIPPED
_RETRIED: Final = EventKind.FILE_RETRIED
_INTERRUPTED: Final = EventKind.FILE_INTERRUPTED
_PENDING: Final = FileStatus.PENDING.value
_IN_PROGRESS: Final = FileStatus.IN_PROGRESS.value
_FAILED: Final = FileStatus.FAILED.value


# SQLite's primary result codes that pass: another writer holds the lock, the disk or memory is full,
# the file is briefly unreadable or unwritable (a volume remounted read-only). Anything else from the
# driver (corrupt, not a database, a missing table) is damage.
_TRANSIENT_CODES = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def _is_transient(exc: sqlite3.DatabaseError) -> bool:
    """Return whether a driver error means "unavailable for now" (locked, disk full) rather than damage."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by the module itself, not by the library: judge by its class
        return isinstance(exc, sqlite3.OperationalError)
    return code & 0xFF in _TRANSIENT_CODES


def _truncate(message: str) -> str:
    return message[: ERROR_MESSAGE_LIMIT - len(_TRUNCATED)] + _TRUNCATED


_INSERT_ADDED_ITEMS: Final = (
    "INSERT INTO items (run_no, key, ordinal, size, status) "
    "SELECT run_no, path, seq, coalesce(size, 0), 'pending' FROM events "
    "WHERE run_no = ?1 AND seq BETWEEN ?2 AND ?3 AND kind = 'file_added' AND path IS NOT NULL ORDER BY seq "
    "ON CONFLICT (run_no, key) DO NOTHING"
)
"""Insert the items of the FILE_ADDED events just journaled (seqs ?2..?3); the first of a key wins."""
_SET_BASED_PROJECTION = True
"""Whether ``append`` applies starts and outcomes set-based (tests turn it off to compare with the fold)."""
_FILE_KINDS: Final = frozenset(kind for kind in EventKind if kind.value.startswith("file_"))
_PROJECT_FINISHED: Final = (
    "UPDATE items SET status = ?, attempts = attempts + ?, lease_id = ? "
    "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))"
)
_PROJECT_STARTED: Final = (
    "UPDATE items SET status = ?, attempts = attempts + ?, lease_id = ?, batch_id = ?, worker_id = ? "
    "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))"
)
_ReportPlan = dict[tuple[str | None, int], list[str]]
# "+lease_id": look items up by primary key (run_no, key), then check the lease on the row; seeking the
# lease index first costs one more b-tree descent per item.
_REPORT_FINISHED: Final = (
    "UPDATE items SET status = ?, attempts = attempts + ?, lease_id = NULL "
    "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?)) "
    "AND +lease_id = ? AND status = 'in_progress'"
)
_REPORT_RETRIED: Final = (
    "UPDATE items SET attempts = attempts + ? "
    "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?)) "
    "AND +lease_id = ? AND status = 'in_progress'"
)


class _NotHeld(Exception):
    """A report named an item its lease does not hold in progress (the transaction is rolled back)."""


def _report_plan(events: Sequence[Event]) -> _ReportPlan | None:
    """Group a report's items by (final status or None, retries); None when it needs the checked path.

    The checked path handles every malformed report (another kind, no key, an outcome after the item's
    terminal one), so its errors stay exactly as they were.
    """
    per_key: dict[str, list[Any]] = {}  # key -> [terminal status or None, retries]
    for event in events:
        key = event.path
        kind = event.kind
        if key is None:
            return None
        state = per_key.get(key)
        if state is None:
            state = per_key[key] = [None, 0]
        elif state[0] is not None:
            return None  # an outcome after the terminal one: not in progress any more
        if kind is _RETRIED:
            state[1] += 1
        elif kind is _SUCCEEDED or kind is _FAILED_KIND or kind is _SKIPPED:
            state[0] = _TERMINAL[kind]
        else:
            return None
    plan: _ReportPlan = {}
    for key, (status, retries) in per_key.items():
        plan.setdefault((status, retries), []).append(key)
    return plan


def _count(conn: sqlite3.Connection, run_no: int, deltas: dict[str, int]) -> None:
    """Add per-status deltas to the run's item counters (kept so ``item_counts`` never scans items)."""
    changed = [(run_no, status, delta) for status, delta in deltas.items() if delta]
    if changed:
        conn.executemany(
            "INSERT INTO item_counts (run_no, status, count) VALUES (?, ?, ?) "
            "ON CONFLICT (run_no, status) DO UPDATE SET count = count + excluded.count",
            changed,
        )


class SQLiteStore(JournalStore):
    """The journal and health history in one SQLite file (or in memory, for tests).

    Prefer ``open_store(url)``; construct directly with a ``SQLiteLocation``, a ``sqlite:`` URL or a path.

    Args:
        location: where the store lives.
        clock: its ``time()`` stamps runs, claims and lease expiries.
        create: create the file and schema when missing (the folder must exist).
    """

    def __init__(
        self,
        location: SQLiteLocation | str | os.PathLike[str],
        *,
        clock: Clock = SYSTEM_CLOCK,
        create: bool = True,
    ) -> None:
        if not isinstance(location, SQLiteLocation):
            display = os.fspath(location)
            location = parse_sqlite_url(location)
        else:
            display = location.path
        self.location = location
        self.url = redact_url(display)
        self._clock = clock
        self._lock = threading.RLock()
        self._run_nos: dict[str, int] = {}
        self._closed = False
        self._conn = self._connect(create)

    # --- opening --------------------------------------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection:
        location = self.location
        if location.in_memory:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._configure(conn)
            self._initialize(conn)
            return conn
        path = Path(location.path)
        folder = path.parent.resolve() if str(path.parent) else Path.cwd()
        exists = path.exists()
        if not exists:
            if not create:
                raise StoreUnavailableError(f"no store at {self.url!r} (the file does not exist)")
            if not folder.exists():
                raise StoreUnavailableError(
                    f"cannot create store {self.url!r}: folder {str(folder)!r} does not exist "
                    f"(the store creates its file, not missing folders; create the folder first)"
                )
            if not folder.is_dir():
                raise StoreUnavailableError(
                    f"cannot create store {self.url!r}: {str(folder)!r} is not a folder"
                )
        elif path.is_dir():
            raise StoreUnavailableError(f"cannot open store {self.url!r}: it is a folder, not a file")
        else:
            self._check_header(path)
        if not os.access(folder, os.W_OK):
            raise StoreUnavailableError(
                f"cannot open store {self.url!r}: folder {str(folder)!r} is not writable "
                f"(SQLite needs to create its -wal and -shm files beside the store)"
            )
        mode = "rwc" if create else "rw"
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode={mode}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=location.timeout,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailableError(
                f"cannot open store {self.url!r} in folder {str(folder)!r}: {exc}"
            ) from exc
        try:
            initialized = self._validate(conn)  # before any write: a foreign file is never modified
            self._configure(conn)
            if not initialized:  # only a new store takes the write lock to open
                self._initialize(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_header(self, path: Path) -> None:
        try:
            with path.open("rb") as file:
                header = file.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise StoreUnavailableError(f"cannot read store {self.url!r}: {exc.strerror}") from exc
        if header and header != _SQLITE_HEADER:
            raise StoreCorruptError(
                f"{self.url!r} is not an omnimemory-kit store: it is not a SQLite database "
                f"(left untouched; point the store URL at a new file or an existing store)"
            )

    def _validate(self, conn: sqlite3.Connection) -> bool:
        """Refuse a file that is not a kit store or is newer than this code; never write to it.

        Returns whether the schema exists (False: a new, empty database, ours to initialize).
        """
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self.url!r} is not a readable SQLite store: {exc}") from exc
        if not tables:
            return False
        if meta.get("application") != APPLICATION or "schema_version" not in meta:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreCorruptError(
                f"{self.url!r} is a SQLite database but not an omnimemory-kit store "
                f"(it has tables: {shown}); "
                f"left untouched; point the store URL at a new file or an existing store"
            )
        self._check_version(meta["schema_version"])
        missing = _TABLES - tables
        if missing:
            raise StoreCorruptError(
                f"{self.url!r} is a damaged omnimemory-kit store: "
                f"tables {', '.join(sorted(missing))} are missing"
            )
        return True

    def _check_version(self, value: str) -> None:
        try:
            version = int(value)
        except ValueError as exc:
            raise StoreCorruptError(f"{self.url!r} has an unreadable schema_version {value!r}") from exc
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(version, SCHEMA_VERSION, where=self.url)

    def _configure(self, conn: sqlite3.Connection) -> None:
        try:
            current = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if not self.location.in_memory and str(current).lower() != "wal":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreUnavailableError(f"cannot switch {self.url!r} to WAL mode (got {mode!r})")
            conn.execute(f"PRAGMA synchronous = {self.location.synchronous.upper()}")
            conn.execute(f"PRAGMA busy_timeout = {int(self.location.timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB: the items b-tree stays in memory longer
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot configure store {self.url!r}: {exc}") from exc

    def _initialize(self, conn: sqlite3.Connection) -> None:
        with self._translate("create the schema"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Checked again under the write lock: another process may have created it meanwhile.
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION))],
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # --- plumbing -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn driver errors into the kit's store errors, naming the store and what was being done."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if _is_transient(exc):
                raise StoreUnavailableError(
                    f"store {self.url!r} unavailable: cannot {action}: {exc}"
                ) from exc
            raise StoreCorruptError(f"cannot {action} in store {self.url!r}: {exc}") from exc

    @contextlib.contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """Run a write transaction under ``BEGIN IMMEDIATE``; commit on success, roll back on error."""
        with self._lock, self._translate(action):
            conn = self._open_conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (e.g. on a full disk); never leave one half open.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translate(action):
            yield self._open_conn()

    def _open_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"store {self.url!r} is closed")
        return self._conn

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
        first, last = self._insert_events(conn, run_no, events)
        if events:
            self._project(conn, run_no, events, first, lease_id)
        return last

    @staticmethod
    def _insert_events(conn: sqlite3.Connection, run_no: int, events: Sequence[Event]) -> tuple[int, int]:
        """Insert events after the run's last seq (no projection); return their first and last seq."""
        (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        first = last + 1
        if not events:
            return first, int(last)
        # str(kind) is the plain value: binding the StrEnum itself goes through sqlite3's adapter lookup.
        rows = [
            (
                run_no,
                seq,
                str(e.kind),
                e.at,
                e.path,
                e.size,
                e.batch_id,
                e.error_type,
                msg
                if (msg := e.error_message) is None or len(msg) <= ERROR_MESSAGE_LIMIT
                else _truncate(msg),
                e.reason,
                e.worker_id,
            )
            for seq, e in enumerate(events, first)
        ]
        conn.executemany(_INSERT_EVENT, rows)
        last = int(first + len(events) - 1)
        conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last, run_no))
        return first, last

    @staticmethod
    def _project(
        conn: sqlite3.Connection, run_no: int, events: Sequence[Event], first: int, lease_id: str | None
    ) -> None:
        """Apply FILE_* events to the items table: fold them per item in memory, then write each item once.

        Reading the touched rows in one query and writing each changed row once keeps a batch of N
        events at about N/2 row writes (start and finish of one item coalesce), which keeps ``append``
        near raw insert speed. Events for items the run does not have are journaled but change nothing.
        """
        keys = {e.path for e in events}
        keys.discard(None)
        if not keys:
            return
        if all(e.kind is _ADDED for e in events if e.path is not None):
            # Only additions (add_items, a scan): ON CONFLICT DO NOTHING is all the idempotency needed.
            before = conn.total_changes
            conn.execute(_INSERT_ADDED_ITEMS, (run_no, first, first + len(events) - 1))
            _count(conn, run_no, {_PENDING: conn.total_changes - before})
            return
        if _SET_BASED_PROJECTION and SQLiteStore._project_set_based(conn, run_no, events, lease_id):
            return
        # per key: [key, ordinal, size, status, attempts, lease_id, batch_id, worker_id, new, changed, was]
        states: dict[str, list[Any]] = {
            row[0]: [*row, False, False, row[3]]
            for row in conn.execute(
                "SELECT key, ordinal, size, status, attempts, lease_id, batch_id, worker_id FROM items "
                "WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))",
                (run_no, json.dumps(list(keys))),
            )
        }
        for seq, event in enumerate(events, first):
            key = event.path
            if key is None:
                continue
            kind = event.kind
            state = states.get(key)
            if state is None:
                if kind is _ADDED:
                    states[key] = [key, seq, event.size or 0, _PENDING, 0, None, None, None, True, True, None]
                continue
            if kind is _STARTED:
                state[3] = _IN_PROGRESS
                state[4] += 1
                state[5] = lease_id
                state[6] = event.batch_id
                state[7] = event.worker_id
            elif kind is _SUCCEEDED or kind is _FAILED_KIND or kind is _SKIPPED:
                state[3] = _TERMINAL[kind]
                state[5] = None
            elif kind is _RETRIED:
                if state[3] == _FAILED:
                    state[3] = _PENDING
                    state[5] = None
                elif state[3] == _IN_PROGRESS:
                    state[4] += 1
                else:
                    continue
            elif kind is _INTERRUPTED:
                if state[3] != _IN_PROGRESS:
                    continue
                state[3] = _PENDING
                state[5] = None
            else:
                continue
            state[9] = True
        inserts = []
        updates = []
        deltas = dict.fromkeys(_STATUSES, 0)
        for s in states.values():
            if s[8]:
                inserts.append((run_no, *s[:8]))
                deltas[s[3]] += 1
            elif s[9]:
                updates.append((s[3], s[4], s[5], s[6], s[7], run_no, s[0]))
                deltas[s[10]] -= 1
                deltas[s[3]] += 1
        if inserts:
            conn.executemany(_INSERT_ITEM, inserts)
        if updates:
            conn.executemany(_UPDATE_ITEM, updates)
        _count(conn, run_no, deltas)

    @staticmethod
    def _project_set_based(
        conn: sqlite3.Connection, run_no: int, events: Sequence[Event], lease_id: str | None
    ) -> bool:
        """Apply starts and outcomes without reading the items: one UPDATE per shape of final state.

        A FILE_STARTED or terminal event sets an item's state whatever it was before, so a run of them
        folds to a final state known up front (plus attempts added); only the per-status counters need
        the old statuses, which one aggregate query gives. Returns False (nothing written) when an
        event's effect depends on the item's state (retries, interruptions, additions): the caller folds
        those row by row.
        """
        # per key: [status, attempts added, started (batch_id, worker_id) or None]
        final: dict[str, list[Any]] = {}
        for event in events:
            key = event.path
            if key is None:
                continue
            kind = event.kind
            state = final.get(key)
            if state is None:
                state = final[key] = [None, 0, None]
            if kind is _STARTED:
                state[0] = _IN_PROGRESS
                state[1] += 1
                state[2] = (event.batch_id, event.worker_id)
            elif kind is _SUCCEEDED or kind is _FAILED_KIND or kind is _SKIPPED:
                state[0] = _TERMINAL[kind]
            elif kind in _FILE_KINDS:
                return False
        groups: dict[tuple[Any, ...], list[str]] = {}
        for key, (status, attempts, started) in final.items():
            if status is not None:  # None: only events that change no item
                groups.setdefault((status, attempts, started), []).append(key)
        deltas = dict.fromkeys(_STATUSES, 0)
        for status, n in conn.execute(
            "SELECT status, count(*) FROM items WHERE run_no = ? AND key IN (SELECT value FROM json_each(?)) "
            "GROUP BY status",
            (run_no, json.dumps([key for group in groups.values() for key in group])),
        ):
            deltas[status] -= n
        for (status, attempts, started), group in groups.items():
            lease = lease_id if status == _IN_PROGRESS else None
            if started is None:
                cursor = conn.execute(_PROJECT_FINISHED, (status, attempts, lease, run_no, json.dumps(group)))
            else:
                cursor = conn.execute(
                    _PROJECT_STARTED, (status, attempts, lease, *started, run_no, json.dumps(group))
                )
            deltas[status] += cursor.rowcount
        _count(conn, run_no, deltas)
        return True

    @staticmethod
    def _record(row: tuple[Any, ...]) -> RunRecord:
        run_id, name, priority, source, function, created_at, params = row
        return RunRecord(
            run_id=run_id,
            name=name,
            priority=priority,
            source=source,
            function=function,
            created_at=created_at,
            params=json.loads(params),
        )

    # --- runs -----------------------------------------------------------------------------------------

    def create_run(self, record: RunRecord) -> RunRecord:
        """Create a run, or return the existing one with that id (see ``JournalStore.create_run``)."""
        try:
            params = json.dumps(dict(record.params), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"run {record.run_id!r}: params must be JSON-serializable ({exc})") from exc
        with self._write("create a run") as conn:
            row = conn.execute(
                _SELECT_RUN + " WHERE run_id = ?",
                (record.run_id,),
            ).fetchone()
            if row is not None:
                existing = self._record(row)
                for field_name in ("source", "function"):
                    recorded, given = getattr(existing, field_name), getattr(record, field_name)
                    if recorded != given:
                        raise RunMismatchError(record.run_id, field_name, recorded, given)
                return existing
            created_at = record.created_at or self._clock.time()
            cursor = conn.execute(
                "INSERT INTO runs (run_id, name, priority, source, function, created_at, params) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.run_id,
                    record.name,
                    str(record.priority),
                    record.source,
                    record.function,
                    created_at,
                    params,
                ),
            )
            run_no = int(cursor.lastrowid or 0)
            self._append_locked(
                conn, run_no, [Event(EventKind.RUN_CREATED, at=created_at, reason=record.name)]
            )
        self._run_nos[record.run_id] = run_no
        return replace(
            record, priority=str(record.priority), created_at=created_at, params=json.loads(params)
        )

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run; raise ``RunNotFoundError`` if there is none with that id."""
        with self._read("read a run") as conn:
            row = conn.execute(
                _SELECT_RUN + " WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, where=self.url)
        return self._record(row)

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._read("list runs") as conn:
            rows = conn.execute(_SELECT_RUN + " ORDER BY created_at, run_no").fetchall()
        return [self._record(row) for row in rows]

    # --- journal --------------------------------------------------------------------------------------

    def append(self, run_id: str, events: Sequence[Event]) -> int:
        """Append events durably in one transaction, update the items projection, return the last seq."""
        with self._write("append events") as conn:
            return self._append_locked(conn, self._run_no(conn, run_id), events)

    def read_events(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        """Yield the run's events after ``after_seq`` in seq order, read in chunks.

        Each chunk is its own short query (keyset pagination on seq), so a slow consumer never holds a read
        transaction open against writers, and a reader tailing a live run never skips an event.
        """
        kinds = _KINDS
        for rows in self._chunks(run_id, after_seq, limit):
            for kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq in rows:
                yield Event(
                    kinds[kind], at, path, size, batch_id, error_type, error_message, reason, worker_id, seq
                )

    def read_event_rows(self, run_id: str, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """Yield the run's events as plain tuples in ``EVENT_COLUMNS`` order (fast path for reports)."""
        for rows in self._chunks(run_id, after_seq, None):
            yield from rows

    def _chunks(self, run_id: str, after_seq: int, limit: int | None) -> Iterator[list[tuple[Any, ...]]]:
        with self._read("read events") as conn:
            run_no = self._run_no(conn, run_id)
        remaining = limit
        cursor_seq = after_seq
        while remaining is None or remaining > 0:
            size = _READ_CHUNK if remaining is None else min(_READ_CHUNK, remaining)
            with self._read("read events") as conn:
                rows = conn.execute(_SELECT_EVENTS, (run_no, cursor_seq, size)).fetchall()
            if not rows:
                return
            yield rows
            cursor_seq = rows[-1][-1]
            if remaining is not None:
                remaining -= len(rows)
            if len(rows) < size:
                return

    def last_seq(self, run_id: str) -> int:
        """Return the run's highest seq (0 when the journal is empty)."""
        with self._read("read the last seq") as conn:
            run_no = self._run_no(conn, run_id)
            (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        return int(last)

    # --- items and leases -------------------------------------------------------------------------------

    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        """Add items not already in the run (by key), appending FILE_ADDED for each new one."""
        wanted: dict[str, int] = {}
        for item in items:
            if item.size < 0:
                raise ConfigError(f"item {item.key!r} has a negative size ({item.size})")
            wanted.setdefault(item.key, item.size)
        if not wanted:
            return 0
        with self._write("add items") as conn:
            run_no = self._run_no(conn, run_id)
            known = {
                row[0]
                for row in conn.execute(
                    "SELECT key FROM items WHERE run_no = ? AND key IN (SELECT value FROM json_each(?))",
                    (run_no, json.dumps(list(wanted))),
                )
            }
            (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
            first = last + 1
            added = str(EventKind.FILE_ADDED)
            # FILE_ADDED rows straight from the keys (no Event objects), the items copied from them in SQL.
            rows = [
                (run_no, seq, added, at, key, size, None, None, None, None, None)
                for seq, (key, size) in enumerate(
                    ((key, size) for key, size in wanted.items() if key not in known), first
                )
            ]
            if not rows:
                return 0
            conn.executemany(_INSERT_EVENT_ROW, rows)
            last = first + len(rows) - 1
            conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last, run_no))
            conn.execute(_INSERT_ADDED_ITEMS, (run_no, first, last))
            _count(conn, run_no, {_PENDING: len(rows)})
        return len(rows)

    def item_counts(self, run_id: str) -> dict[FileStatus, int]:
        """Return how many items are in each status (every status present, zero included)."""
        counts = dict.fromkeys(FileStatus, 0)
        with self._read("count items") as conn:
            run_no = self._run_no(conn, run_id)
            for status, count in conn.execute(
                "SELECT status, count FROM item_counts WHERE run_no = ?", (run_no,)
            ):
                counts[_STATUSES[status]] = int(count)
        return counts

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

    @staticmethod
    def _lease_items(conn: sqlite3.Connection, lease_id: str) -> tuple[WorkItem, ...]:
        return tuple(
            WorkItem(key, size)
            for key, size in conn.execute(
                "SELECT key, size FROM items WHERE lease_id = ? ORDER BY ordinal", (lease_id,)
            )
        )

    def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Claim up to ``limit`` pending items, oldest first, under one lease (see ``JournalStore.claim``).

        The batch id is ``batch-<seq>`` where seq is its BATCH_OPENED event's seq (unique in the run).
        A worker not registered yet is registered (host and pid parsed from ``host:pid:token``).
        """
        if limit < 1:
            raise ConfigError(f"claim limit must be at least 1, not {limit}")
        if not lease_seconds > 0:
            raise ConfigError(f"lease_seconds must be positive, not {lease_seconds}")
        with self._write("claim items") as conn:
            run_no = self._run_no(conn, run_id)
            picked = conn.execute(
                "SELECT key, size, ordinal FROM items WHERE run_no = ? AND status = 'pending' "
                "ORDER BY ordinal LIMIT ?",
                (run_no, limit),
            ).fetchall()
            if not picked:
                return None
            now = self._clock.time()
            expires_at = now + lease_seconds
            lease_id = uuid.uuid4().hex
            (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
            first = last + 1
            batch_id = f"batch-{first}"
            host, pid = parse_worker_id(worker_id)
            conn.execute(
                "INSERT INTO workers (run_no, worker_id, host, pid, started_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_no, worker_id) DO UPDATE SET last_seen = excluded.last_seen",
                (run_no, worker_id, host, pid, now, now),
            )
            conn.execute(
                "INSERT INTO leases (lease_id, run_no, worker_id, batch_id, claimed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (lease_id, run_no, worker_id, batch_id, now, expires_at),
            )
            # Set-based: the picked items are exactly the pending ones up to the last picked ordinal (same
            # transaction): their FILE_STARTED rows are built in SQL from the pending index (in ordinal
            # order, no table lookups), then one statement leases them all.
            conn.execute(
                _INSERT_EVENT_ROW,
                (run_no, first, str(EventKind.BATCH_OPENED), now, None, None, batch_id, None, None, None,
                 worker_id),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO events (run_no, seq, kind, at, path, batch_id, worker_id) "
                "SELECT ?1, ?2 + row_number() OVER (ORDER BY ordinal), ?3, ?4, key, ?5, ?6 FROM items "
                "WHERE run_no = ?1 AND status = 'pending' AND ordinal <= ?7",
                (run_no, first, str(EventKind.FILE_STARTED), now, batch_id, worker_id, picked[-1][2]),
            )
            conn.execute(
                "UPDATE items SET status = 'in_progress', attempts = attempts + 1, lease_id = ?, "
                "batch_id = ?, worker_id = ? WHERE run_no = ? AND status = 'pending' AND ordinal <= ?",
                (lease_id, batch_id, worker_id, run_no, picked[-1][2]),
            )
            last = first + len(picked)
            conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last, run_no))
            _count(conn, run_no, {_PENDING: -len(picked), _IN_PROGRESS: len(picked)})
        return Lease(
            lease_id=lease_id,
            run_id=run_id,
            worker_id=worker_id,
            batch_id=batch_id,
            items=tuple(WorkItem(key, size) for key, size, _ in picked),
            expires_at=expires_at,
        )

    def _check_live(
        self, conn: sqlite3.Connection, lease: Lease, now: float, *, expired_ok: bool = False
    ) -> int:
        """Return the lease's run_no if the worker still holds it (and, unless ``expired_ok``, it is live)."""
        row = conn.execute(
            "SELECT run_no, expires_at FROM leases WHERE lease_id = ? AND worker_id = ?",
            (lease.lease_id, lease.worker_id),
        ).fetchone()
        if row is None or (not expired_ok and row[1] <= now):
            raise LeaseLostError(lease.worker_id, lease.lease_id)
        return int(row[0])

    def heartbeat(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a live lease to now + ``lease_seconds``; ``LeaseLostError`` if it expired or is gone."""
        if not lease_seconds > 0:
            raise ConfigError(f"lease_seconds must be positive, not {lease_seconds}")
        now = self._clock.time()
        expires_at = now + lease_seconds
        with self._write("extend a lease") as conn:
            run_no = self._check_live(conn, lease, now)
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
        plan = _report_plan(events)
        if plan is not None:
            try:
                return self._report_planned(lease, events, now, plan)
            except _NotHeld:
                pass  # rolled back: the checked path below names the offending item
        with self._write("report outcomes") as conn:
            run_no = self._check_live(conn, lease, now)
            held = {
                row[0]
                for row in conn.execute(
                    "SELECT key FROM items WHERE lease_id = ? AND status = 'in_progress'", (lease.lease_id,)
                )
            }
            done = check_outcomes(lease, events, held)
            last = self._append_locked(conn, run_no, events, lease_id=lease.lease_id)
            conn.execute(
                "UPDATE workers SET items_done = items_done + ?, last_seen = ? "
                "WHERE run_no = ? AND worker_id = ?",
                (done, now, run_no, lease.worker_id),
            )
        return last

    def _report_planned(self, lease: Lease, events: Sequence[Event], now: float, plan: _ReportPlan) -> int:
        """Apply a well-formed report set-based: one UPDATE per outcome shape, its row count the check.

        Each UPDATE only touches items this lease holds in progress; if fewer rows match than the report
        names, some item is not held and ``_NotHeld`` rolls the whole transaction back.
        """
        with self._write("report outcomes") as conn:
            run_no = self._check_live(conn, lease, now)
            deltas = dict.fromkeys(_STATUSES, 0)
            for (status, retries), keys in plan.items():
                if status is None:
                    cursor = conn.execute(
                        _REPORT_RETRIED, (retries, run_no, json.dumps(keys), lease.lease_id)
                    )
                else:
                    cursor = conn.execute(
                        _REPORT_FINISHED, (status, retries, run_no, json.dumps(keys), lease.lease_id)
                    )
                    deltas[_IN_PROGRESS] -= cursor.rowcount
                    deltas[status] += cursor.rowcount
                if cursor.rowcount != len(keys):
                    raise _NotHeld
            _, last = self._insert_events(conn, run_no, events)
            _count(conn, run_no, deltas)
            conn.execute(
                "UPDATE workers SET items_done = items_done + ?, last_seen = ? "
                "WHERE run_no = ? AND worker_id = ?",
                (-deltas[_IN_PROGRESS], now, run_no, lease.worker_id),
            )
        return last

    def release(self, lease: Lease, events: Sequence[Event] = ()) -> int:
        """End a lease: requeue its unfinished items (FILE_INTERRUPTED), then append ``events``.

        A lease that expired but was not reclaimed yet can still be released (nobody else holds its items).

        Raises:
            LeaseLostError: the lease was reclaimed or released already.
        """
        now = self._clock.time()
        with self._write("release a lease") as conn:
            run_no = self._check_live(conn, lease, now, expired_ok=True)
            interrupted = self._interrupt_leases(conn, run_no, [lease.lease_id], now, reason="released")
            last = self._append_locked(conn, run_no, [*interrupted, *events])
            conn.execute(
                "UPDATE workers SET last_seen = ? WHERE run_no = ? AND worker_id = ?",
                (now, run_no, lease.worker_id),
            )
        return last

    def _interrupt_leases(
        self, conn: sqlite3.Connection, run_no: int, lease_ids: Sequence[str], now: float, *, reason: str
    ) -> list[Event]:
        """Delete leases; return FILE_INTERRUPTED events for their in-progress items (not yet appended)."""
        events = []
        for lease_id in lease_ids:
            for key, batch_id, worker_id in conn.execute(
                "SELECT key, batch_id, worker_id FROM items WHERE lease_id = ? AND status = 'in_progress' "
                "ORDER BY ordinal",
                (lease_id,),
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

    # --- health history -------------------------------------------------------------------------------

    def record_health(self, snapshot: HealthSnapshotRow) -> int:
        """Durably record a health snapshot and its checks; return the snapshot id."""
        with self._write("record health") as conn:
            cursor = conn.execute(
                "INSERT INTO health_snapshots (taken_at, status, payload_json) VALUES (?, ?, ?)",
                (snapshot.taken_at, str(snapshot.status), snapshot.payload_json),
            )
            snapshot_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO health_checks (snapshot_id, position, name, status, critical, latency_ms, "
                "error, observed_value, observed_unit, breaker_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        snapshot_id,
                        position,
                        c.name,
                        str(c.status),
                        int(c.critical),
                        c.latency_ms,
                        c.error,
                        c.observed_value,
                        c.observed_unit,
                        c.breaker_state,
                    )
                    for position, c in enumerate(snapshot.checks)
                ],
            )
        return snapshot_id

    def health_history(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
        """Return (snapshot, check) pairs in time order, ``since <= taken_at <= until``, for check ``name``.

        Each snapshot carries all its checks; the pair's check is the one that matched.
        """
        # Only the bounds given become conditions, so SQLite can use the taken_at and name indexes.
        conditions: list[str] = []
        params: list[float | str] = []
        if since is not None:
            conditions.append("s.taken_at >= ?")
            params.append(since)
        if until is not None:
            conditions.append("s.taken_at <= ?")
            params.append(until)
        if name is not None:
            conditions.append("s.snapshot_id IN (SELECT snapshot_id FROM health_checks WHERE name = ?)")
            params.append(name)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        with self._read("read health history") as conn:
            rows = conn.execute(
                "SELECT s.snapshot_id, s.taken_at, s.status, s.payload_json, c.position, c.name, c.status, "
                "c.critical, c.latency_ms, c.error, c.observed_value, c.observed_unit, c.breaker_state "
                "FROM health_snapshots s JOIN health_checks c ON c.snapshot_id = s.snapshot_id "
                f"{where}ORDER BY s.taken_at, s.snapshot_id, c.position",
                params,
            ).fetchall()
        by_snapshot: dict[int, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_snapshot.setdefault(row[0], []).append(row)
        result = []
        for snapshot_rows in by_snapshot.values():
            checks = tuple(
                HealthCheckRow(
                    name=r[5],
                    status=r[6],
                    critical=bool(r[7]),
                    latency_ms=r[8],
                    error=r[9],
                    observed_value=r[10],
                    observed_unit=r[11],
                    breaker_state=r[12],
                )
                for r in snapshot_rows
            )
            first = snapshot_rows[0]
            snapshot = HealthSnapshotRow(
                taken_at=first[1], status=first[2], checks=checks, payload_json=first[3], snapshot_id=first[0]
            )
            result += [(snapshot, check) for check in checks if name is None or check.name == name]
        return result

    def prune_health(self, older_than: float) -> int:
        """Delete snapshots taken before ``older_than`` (and their checks); return how many."""
        with self._write("prune health history") as conn:
            conn.execute(
                "DELETE FROM health_checks WHERE snapshot_id IN "
                "(SELECT snapshot_id FROM health_snapshots WHERE taken_at < ?)",
                (older_than,),
            )
            cursor = conn.execute("DELETE FROM health_snapshots WHERE taken_at < ?", (older_than,))
        return int(cursor.rowcount)

    # --- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<SQLiteStore {self.url!r} {state} synchronous={self.location.synchronous}>"
