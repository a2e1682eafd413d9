"""Opening a SQLite store and holding its connection: the seam between *getting* a usable file and *using* it.

- the schema (``SCHEMA_VERSION``) and ``meta`` rows that mark a file as a kit store;
- the checks that refuse, without writing to it, a file that is not a kit store, is damaged, or was written
  by a newer version;
- the connection settings (WAL, ``synchronous``, busy timeout) and creating the schema under the write lock;
- the locked read and write transactions (``BEGIN IMMEDIATE``) every store method runs in, with driver errors
  turned into the kit's store errors.

``SQLiteConnection`` is the base of the SQLite stores (``sqlite_health.SQLiteHealthHistory``,
``sqlite.SQLiteStore``); the claim, report and projection paths never reach below it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from omnimemory_kit.store.base import SCHEMA_VERSION
from omnimemory_kit.store.sqlite_status import (
    FAILURE_INDEXES,
    RARE_EVENTS_INDEX,
    StoreConnection,
    has_failure_indexes,
    has_rare_index,
)
from omnimemory_kit.store.url import SQLiteLocation, parse_sqlite_url, redact_url

__all__ = ["APPLICATION", "SQLiteConnection"]

APPLICATION: Final = "omnimemory-kit"
_SQLITE_HEADER: Final = b"SQLite format 3\x00"

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
    last_seq INTEGER NOT NULL DEFAULT 0,
    operator TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE run_reports (
    run_no INTEGER NOT NULL REFERENCES runs (run_no),
    path TEXT NOT NULL,
    made_at REAL NOT NULL,
    PRIMARY KEY (run_no, path)
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
    members TEXT,
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
-- items in progress without a lease (a crashed lease-less writer's): what every reclaim looks for. Empty
-- nearly always, so it costs the writes nothing, and spares a reclaim a pass over the run's items
CREATE INDEX items_unleased ON items (run_no, ordinal) WHERE status = 'in_progress' AND lease_id IS NULL;
CREATE TABLE item_counts (
    run_no INTEGER NOT NULL,
    status TEXT NOT NULL,
    count INTEGER NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    unsized INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_no, status)
) WITHOUT ROWID;
CREATE TABLE leases (
    lease_id TEXT PRIMARY KEY,
    run_no INTEGER NOT NULL REFERENCES runs (run_no),
    worker_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    keys TEXT NOT NULL DEFAULT '[]',
    sizes TEXT,
    bytes INTEGER,
    unsized INTEGER
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
_ROLLUPS: Final = """
CREATE TABLE health_rollups (
    resolution TEXT NOT NULL,
    bucket_start REAL NOT NULL,
    name TEXT NOT NULL,
    total INTEGER NOT NULL,
    up INTEGER NOT NULL,
    maintenance INTEGER NOT NULL,
    latency_count INTEGER NOT NULL,
    latency_sum_ms REAL NOT NULL,
    PRIMARY KEY (resolution, bucket_start, name)
) WITHOUT ROWID;
CREATE TABLE health_rollup_latency (
    resolution TEXT NOT NULL,
    bucket_start REAL NOT NULL,
    name TEXT NOT NULL,
    bin INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (resolution, bucket_start, name, bin)
) WITHOUT ROWID;
CREATE TABLE health_alerts (
    alert_id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    webhook TEXT NOT NULL,
    outcome TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX health_alerts_at ON health_alerts (at);
CREATE TABLE health_heartbeats (
    name TEXT PRIMARY KEY,
    at REAL NOT NULL,
    message TEXT,
    beats INTEGER NOT NULL
);
"""
_COUNTERS: Final = """
CREATE TABLE run_minutes (
    run_no INTEGER NOT NULL,
    minute REAL NOT NULL,
    started INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    retried INTEGER NOT NULL DEFAULT 0,
    first_outcome_at REAL,
    last_outcome_at REAL,
    PRIMARY KEY (run_no, minute)
) WITHOUT ROWID;
"""
# Version 4 counts what an upgraded store already holds (item_counts is kept since version 1).
_COUNT_MINUTES: Final = """
INSERT INTO run_minutes (run_no, minute, started, succeeded, failed, skipped, retried, first_outcome_at,
                         last_outcome_at)
SELECT run_no, CAST(at / 60 AS INTEGER) * 60.0,
       sum(kind = 'file_started'), sum(kind = 'file_succeeded'), sum(kind = 'file_failed'),
       sum(kind = 'file_skipped'), sum(kind = 'file_retried'),
       min(CASE WHEN kind IN ('file_succeeded', 'file_failed', 'file_skipped') THEN at END),
       max(CASE WHEN kind IN ('file_succeeded', 'file_failed', 'file_skipped') THEN at END)
FROM events
WHERE kind IN ('file_started', 'file_succeeded', 'file_failed', 'file_skipped', 'file_retried')
GROUP BY run_no, CAST(at / 60 AS INTEGER)
"""
# Version 6 weighs what an upgraded store already holds: one pass over the items, once. A lease keeps the
# sizes of the items it claimed (a JSON array beside its keys) and their sum, which its reports weigh their
# items by; a lease claimed before the upgrade has none (its reports weigh what they change instead).
_WEIGH_ITEMS: Final = """
ALTER TABLE item_counts ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE item_counts ADD COLUMN unsized INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN sizes TEXT;
ALTER TABLE leases ADD COLUMN bytes INTEGER;
ALTER TABLE leases ADD COLUMN unsized INTEGER;
INSERT INTO item_counts (run_no, status, count, bytes, unsized)
SELECT run_no, status, count(*), sum(size), sum(size = 0) FROM items GROUP BY run_no, status
ON CONFLICT (run_no, status) DO UPDATE SET bytes = excluded.bytes, unsized = excluded.unsized
"""
_SCHEMA_ALL: Final = _SCHEMA + _ROLLUPS + _COUNTERS
# Upgrades of an existing store: entry i takes schema version i + 1 to i + 2 (``_SCHEMA`` makes the newest
# directly). Never edit a released entry: add a new one.
_UPGRADES: Final[tuple[str, ...]] = (
    # 2: the run ledger
    """
    ALTER TABLE runs ADD COLUMN operator TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN correlation_id TEXT NOT NULL DEFAULT '';
    CREATE TABLE run_reports (
        run_no INTEGER NOT NULL REFERENCES runs (run_no),
        path TEXT NOT NULL,
        made_at REAL NOT NULL,
        PRIMARY KEY (run_no, path)
    );
    """,
    # 3: health rollups (minute, hour and day buckets per check), alerts, heartbeats
    _ROLLUPS,
    # 4: run counters per minute (``store.counters``), counted from the journal
    _COUNTERS + ";" + _COUNT_MINUTES,
    # 5: a lease lists its keys (``sqlite_leases``); the index of items by lease goes
    """
    ALTER TABLE leases ADD COLUMN keys TEXT NOT NULL DEFAULT '[]';
    UPDATE leases SET keys = (
        SELECT json_group_array(key) FROM (
            SELECT key FROM items WHERE items.lease_id = leases.lease_id ORDER BY ordinal
        )
    );
    DROP INDEX IF EXISTS items_leased;
    CREATE INDEX items_unleased ON items (run_no, ordinal) WHERE status = 'in_progress' AND lease_id IS NULL
    """,
    # 6: the items' bytes (and items without a size) per status beside their count, weighed from the items
    _WEIGH_ITEMS,
    # 7: a run of item events in one row (``sqlite_journal``: a claim's starts, a report's successes)
    "ALTER TABLE events ADD COLUMN members TEXT",
    # 8: a run of ITEM_VALIDATED verdicts in one row too (nothing to change: a marker that an older
    # version, which would read such a row as one verdict without a key, refuses the store)
    "SELECT 1",
)
assert len(_UPGRADES) == SCHEMA_VERSION - 1, "every schema version needs its upgrade"

# Tables a store of each version has beyond version 1's (checked by the version the store says it is).
_ADDED_IN: Final = {
    3: frozenset({"health_rollups", "health_rollup_latency", "health_alerts", "health_heartbeats"}),
    4: frozenset({"run_minutes"}),
}
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
        "health_rollups",
        "health_rollup_latency",
        "health_alerts",
        "health_heartbeats",
        "run_minutes",
    }
)


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


class SQLiteConnection:
    """One SQLite connection to a kit store, serialized by a lock so threads may share it.

    Args:
        location: where the store lives (a ``SQLiteLocation``, a ``sqlite:`` URL or a path).
        clock: its ``time()`` stamps what the store records.
        create: create the file and schema when missing (the folder must exist).
        read_only: only read (status, reports, followers): the file must exist, nothing is ever written,
            and a store on read-only media (a read-only mount, a folder without write permission) opens
            too; any writing method then raises ``StoreUnavailableError``.

    Raises:
        ConfigError: the URL is malformed, or names a directory.
        StoreUnavailableError: the file cannot be opened or created.
        StoreCorruptError: the file is not a kit store, or is damaged.
        SchemaVersionError: the store was written by a newer version of the kit.
    """

    def __init__(
        self,
        location: SQLiteLocation | str | os.PathLike[str],
        *,
        clock: Clock = SYSTEM_CLOCK,
        create: bool = True,
        read_only: bool = False,
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
        self._closed = False
        self.read_only = read_only
        #: The schema version of the open store (older than ``SCHEMA_VERSION`` only when opened read-only).
        self.schema_version = SCHEMA_VERSION
        self._conn = self._connect_read_only() if read_only else self._connect(create)

    # --- opening --------------------------------------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection:
        location = self.location
        if location.in_memory:
            conn = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False, factory=StoreConnection
            )
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
            raise ConfigError(f"cannot open store {self.url!r}: it is a directory, not a store file")
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
                factory=StoreConnection,
                timeout=location.timeout,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailableError(
                f"cannot open store {self.url!r} in folder {str(folder)!r}: {exc}"
            ) from exc
        try:
            version = self._validate(conn)  # before any write: a foreign file is never modified
            self._configure(conn)
            if version == 0:  # only a new store (or an older one) takes the write lock to open
                self._initialize(conn)
            elif version < SCHEMA_VERSION:
                self._upgrade(conn)
            if not (has_rare_index(conn) and has_failure_indexes(conn)):  # made before them: build once
                self._add_rare_index(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """Open an existing store for reading only, also where SQLite cannot create its -shm file.

        A WAL store needs its -shm file to be read; on read-only media that file cannot be created, so
        when the folder is not writable and no -wal file is left (its last writer closed it cleanly: every
        commit is in the main file) the store is opened ``immutable`` (nobody can change it there). A -wal
        file left behind holds commits: then the ordinary read-only open must do, or fail naming why.
        """
        location = self.location
        if location.in_memory:
            raise ConfigError("an in-memory store cannot be opened read-only (it would always be empty)")
        path = Path(location.path)
        if not path.exists():
            raise StoreUnavailableError(f"no store at {self.url!r} (the file does not exist)")
        if path.is_dir():
            raise ConfigError(f"cannot open store {self.url!r}: it is a directory, not a store file")
        self._check_header(path)
        folder = path.parent.resolve() if str(path.parent) else Path.cwd()
        wal = path.with_name(path.name + "-wal")
        immutable = not os.access(folder, os.W_OK) and not wal.exists()
        uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
        try:
            conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=location.timeout,
                factory=StoreConnection,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open store {self.url!r} read-only: {exc}") from exc
        try:
            if self._validate(conn) == 0:
                raise StoreCorruptError(
                    f"{self.url!r} is an empty SQLite database, not an omnimemory-kit store"
                )
            conn.execute(f"PRAGMA busy_timeout = {int(location.timeout * 1000)}")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreUnavailableError(f"cannot read store {self.url!r} read-only: {exc}") from exc
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

    def _validate(self, conn: sqlite3.Connection) -> int:
        """Refuse a file that is not a kit store or is newer than this code; never write to it.

        Returns the store's schema version (0: a new, empty database, ours to initialize).
        """
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self.url!r} is not a readable SQLite store: {exc}") from exc
        if not tables:
            return 0
        if meta.get("application") != APPLICATION or "schema_version" not in meta:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreCorruptError(
                f"{self.url!r} is a SQLite database but not an omnimemory-kit store "
                f"(it has tables: {shown}); "
                f"left untouched; point the store URL at a new file or an existing store"
            )
        version = self._check_version(meta["schema_version"])
        expected = _TABLES.difference(*(added for v, added in _ADDED_IN.items() if v > version))
        missing = expected - tables
        if missing:
            raise StoreCorruptError(
                f"{self.url!r} is a damaged omnimemory-kit store: "
                f"tables {', '.join(sorted(missing))} are missing"
            )
        return version

    def _check_version(self, value: str) -> int:
        try:
            version = int(value)
        except ValueError as exc:
            raise StoreCorruptError(f"{self.url!r} has an unreadable schema_version {value!r}") from exc
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(version, SCHEMA_VERSION, where=self.url)
        self.schema_version = version
        return version

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
                    for statement in _SCHEMA_ALL.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(RARE_EVENTS_INDEX)
                    for index in FAILURE_INDEXES:
                        conn.execute(index)
                    conn.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION))],
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _add_rare_index(self, conn: sqlite3.Connection) -> None:
        """Index the journal's rare events and the failed items (``sqlite_status``), under the write lock.

        Not a schema version: a store with them stays readable and writable by a version without them, so
        they are added to a store that lacks them whenever one is opened for writing (once: one pass over the
        journal and one over the items).
        """
        with self._translate("index the journal's rare events"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(RARE_EVENTS_INDEX)
                for index in FAILURE_INDEXES:
                    conn.execute(index)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Bring an older store to ``SCHEMA_VERSION`` under the write lock, all steps or none."""
        with self._translate("upgrade the schema"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Read again under the write lock: another process may have upgraded it meanwhile.
                version = int(
                    conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
                )
                for number in range(version, SCHEMA_VERSION):
                    for statement in _UPGRADES[number - 1].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self.schema_version = SCHEMA_VERSION

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

    def close(self) -> None:
        """Close the connection. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
