"""The PostgreSQL backend: one migration shared by many worker processes on many machines.

Selected by URL: ``postgresql://user:password@host:5432/dbname?schema=omnimemory_kit&pool_max=10``
(``&pool_timeout=SECONDS``: how long a call waits for a pooled connection, 5 by default).

- **Outages**: losing the server (down, restarting, no connection within the pool timeout) surfaces as
  ``StoreUnavailableError`` from every method, damage to the schema as ``StoreCorruptError``. While the
  server is away a call waits only briefly for a connection, and once it answers again a fresh pool
  replaces the stale one, so a call made after its return succeeds.

- **Schema**: every table lives in one PostgreSQL schema (``?schema=``, default ``omnimemory_kit``),
  created and upgraded by versioned migrations (``postgres_schema.MIGRATIONS``) under an advisory
  lock, so workers starting together don't race. A store written by a newer schema version is refused
  with ``SchemaVersionError``.
- **Claims**: ``SELECT … FOR UPDATE SKIP LOCKED`` picks pending items, so concurrent workers never block on
  or double-claim the same rows. Each claim is a lease with an expiry; reports check the lease under a row
  lock, so a late report from a worker whose lease expired and was reclaimed is rejected
  (``LeaseLostError``) and no item is ever accounted twice.
- **Journal order**: each run's ``last_seq`` is bumped in the same transaction as its events, as the last
  statement before commit. The row lock serializes appends per run, so seqs are dense and increase in
  commit order, and a reader tailing with ``read_events(after_seq=…)`` never skips one.
- **Time**: lease expiry uses the database server's clock, shared by every worker whatever their machines'
  clocks say; a test injects a ``FakeClock`` instead.
- **Lock order** (to stay deadlock-free): lease row → item rows → run row (always last).
- **Stalls**: a process stopped inside a transaction (SIGSTOP, a frozen VM, a machine gone silent) would
  hold its rows, the run row among them, for as long as it stays stopped, and every other worker would
  wait on it. So each pooled connection carries ``idle_in_transaction_session_timeout`` (``?stall_timeout=``,
  10 s): the server ends a transaction left idle that long and its locks go; what it wrote is rolled back,
  its lease (if it held one) expires as a crashed worker's does, and when the process goes on its next
  call finds the connection gone (``StoreUnavailableError``, which a runner rides out; its report is then
  refused with ``LeaseLostError`` if the lease was taken back). And ``lock_timeout`` (``?lock_timeout=``,
  20 s) bounds any wait for a row lock, whatever the holder is doing: the waiting call fails with
  ``StoreUnavailableError``, nothing of it committed, and is made again. Both stay within a third of the
  default lease (60 s), so a waiting worker's own heartbeats (on the same store thread) still land in
  time. None of the store's transactions waits on the caller's code, except two that take no part in the
  stall bound: a streamed read (``read_events``, ``read_event_rows``: it holds no row lock) and an
  addition of items from a lazy iterable (``add_items``, ``create_run_with_blocks``: it waits on the
  source being read).

Seam: this module is the connection pool, the runs, the journal's appends and the items' addition (the
hot statements, and the items projection, written in few round trips by ``postgres_writes``); workers and
leases (claims, heartbeats, reports, releases, reclaims) are ``postgres_leases``; the reads (events,
counters, workers, leases) are ``postgres_reads``; the health history (snapshots, heartbeats, alerts,
rollups) is ``postgres_health`` (the three inherited); records to rows and back are ``postgres_rows``; the
tables and their migrations ``postgres_schema``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterable, Iterator, Sequence

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock, SystemClock
from omnimemory_kit.errors import (
    ConfigError,
    RunMismatchError,
    RunNotFoundError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.store.base import (
    SCHEMA_VERSION,
    STARTS,
    ReportLink,
    RunRecord,
    Store,
    WorkItem,
    run_is_done,
    stored_event,
)
from omnimemory_kit.store.blocks import decode_block, item_problem
from omnimemory_kit.store.postgres_health import PostgresHealthHistory
from omnimemory_kit.store.postgres_leases import PostgresLeases
from omnimemory_kit.store.postgres_reads import PostgresReads
from omnimemory_kit.store.postgres_rows import SELECT_RUN, event_from_row, run_from_row
from omnimemory_kit.store.postgres_schema import MIGRATIONS, drop_journal_run_key
from omnimemory_kit.store.postgres_status import add_rare_index
from omnimemory_kit.store.postgres_writes import (
    append_events,
    project,
)
from omnimemory_kit.store.status_facts import RARE_KINDS_SQL
from omnimemory_kit.store.url import parse_postgres_url, redact_url
from omnimemory_kit.text import from_stored, to_stored

__all__ = ["PostgresStore"]

# Lifts the stall bound for the rest of the transaction (``set_config``'s ``true``: as ``SET LOCAL``).
_NO_STALL_BOUND = "set_config('idle_in_transaction_session_timeout', '0', true)"

# Errors that mean the schema or its data is gone or broken: no amount of waiting brings them back.
_DAMAGE = (
    psycopg.errors.DataCorrupted,
    psycopg.errors.IndexCorrupted,
    psycopg.errors.InvalidSchemaName,
    psycopg.errors.UndefinedTable,
    psycopg.errors.UndefinedColumn,
)

_PROBE_TIMEOUT = 0.5  # seconds a call waits for a pooled connection while the server is away


class PostgresStore(PostgresLeases, PostgresReads, PostgresHealthHistory, Store):
    """The journal, items, leases, workers and health history in PostgreSQL.

    Args:
        url: ``postgresql://user:password@host:port/dbname`` with optional ``?schema=`` (default
            ``omnimemory_kit``), ``?pool_max=`` (default 10), ``?pool_timeout=``, ``?stall_timeout=`` and
            ``?lock_timeout=`` (seconds; see "Stalls" above); other query parameters go to libpq.
        clock: lease expiry uses the database server's clock unless a non-system clock (a test's FakeClock)
            is given.
        create: create the schema when it does not exist yet; otherwise a missing store is an error.
        connect_timeout: seconds to wait for the server before failing with ``StoreUnavailableError``.

    Raises:
        ConfigError: the URL is malformed.
        StoreUnavailableError: the server cannot be reached, the password is wrong, the database is missing.
        SchemaVersionError: the schema was written by a newer version of omnimemory-kit.
    """

    def __init__(
        self, url: str, *, clock: Clock = SYSTEM_CLOCK, create: bool = True, connect_timeout: float = 5.0
    ) -> None:
        self.url = redact_url(url)
        location = parse_postgres_url(url)
        conninfo, self.schema, pool_max = location.conninfo, location.schema, location.pool_max
        pool_timeout = location.pool_timeout
        self._stall_timeout, self._lock_timeout = location.stall_timeout, location.lock_timeout
        self._conninfo = conninfo
        self._clock: Clock | None = None if isinstance(clock, SystemClock) else clock
        self._closed = False
        self._lock = threading.Lock()
        try:
            with psycopg.connect(conninfo, connect_timeout=max(1, round(connect_timeout))) as conn:
                self._migrate(conn, create=create)
        except psycopg.OperationalError as exc:
            raise StoreUnavailableError(f"cannot reach store {self.url}: {self._reason(exc)}") from exc
        self._pool_max = pool_max
        self._pool_timeout = connect_timeout if pool_timeout is None else pool_timeout
        self._away = False  # the last call lost the server: the next ones wait briefly for a connection
        self._pool = self._new_pool()
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            raise StoreUnavailableError(
                f"cannot reach store {self.url}: no connection within timeout"
            ) from exc

    # --- setup ------------------------------------------------------------------------------------

    def _new_pool(self) -> ConnectionPool[psycopg.Connection[TupleRow]]:
        return ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._pool_max,
            kwargs={"options": self._session_options(), "autocommit": False},
            timeout=self._pool_timeout,
            open=False,
            name=f"omnimemory-kit {self.url}",
        )

    def _session_options(self) -> str:
        """Return the libpq ``options`` of a pooled connection: the schema, the stall and lock bounds."""
        return (
            f"-c search_path={self.schema} "
            f"-c idle_in_transaction_session_timeout={_milliseconds(self._stall_timeout)} "
            f"-c lock_timeout={_milliseconds(self._lock_timeout)}"
        )

    def _revive_pool(self) -> None:
        """After a pool timeout: if the server answers again, swap in a fresh pool.

        The pool reconnects on its own, but with a backoff that doubles up to minutes, so after a long
        outage the first connection could come long after the server is back. One direct connection
        tells whether it is; a fresh pool then serves the next call at once. Connections still lent from
        the old pool are closed when they are given back.
        """
        try:
            with psycopg.connect(self._conninfo, connect_timeout=max(1, round(self._pool_timeout))):
                pass
        except psycopg.Error:
            return  # still down: the caller rides it out and tries again later
        with self._lock:
            if self._closed:
                return
            stale, self._pool = self._pool, self._new_pool()
            self._pool.open(wait=False)
        stale.close(timeout=0)

    def _reason(self, exc: BaseException) -> str:
        """Return the server's reason, one line, with anything secret removed."""
        text = str(exc).strip().splitlines()
        reason = text[-1] if text else type(exc).__name__
        for line in text:
            if "FATAL" in line or "failed" in line:
                reason = line
        return redact_url(reason)

    def _migrate(self, conn: psycopg.Connection[TupleRow], *, create: bool) -> None:
        """Create or upgrade the schema under an advisory lock; refuse a newer one."""
        schema = sql.Identifier(self.schema)
        with conn.transaction():
            # Serialize concurrent openers: the lock key is derived from the schema name.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"omnimemory_kit:{self.schema}",))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            conn.execute(sql.SQL("SET LOCAL search_path = {}").format(schema))
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
                )
            }
            if "meta" not in tables:
                if not create:
                    raise StoreUnavailableError(
                        f"no omnimemory-kit store in schema {self.schema!r} of {self.url}"
                    )
                if tables:
                    raise StoreCorruptError(
                        f"schema {self.schema!r} of {self.url} holds tables that are not an omnimemory-kit "
                        f"store ({', '.join(sorted(tables)[:5])}); choose another ?schema="
                    )
                conn.execute("CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)")
                conn.execute("INSERT INTO meta VALUES ('schema_version', '0')")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None or not str(row[0]).isdigit():
                raise StoreCorruptError(
                    f"schema {self.schema!r} of {self.url} has no readable schema version"
                )
            version = int(row[0])
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(version, SCHEMA_VERSION, where=f"store {self.url}")
            for number in range(version, SCHEMA_VERSION):
                conn.execute(MIGRATIONS[number].encode())
            conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            if create:  # not on a read-only open: status then reads without the index, slower, same answers
                add_rare_index(conn, self.schema)
                drop_journal_run_key(conn, self.schema)

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """Lend a pooled connection; translate driver errors at this boundary into the kit's store errors.

        Losing the server (down, restarting, unreachable, no connection within the pool timeout) is
        ``StoreUnavailableError``, which a running migration rides out; a schema or data that is gone or
        broken is ``StoreCorruptError``. Errors raised while committing pass through here too.
        """
        if self._closed:
            raise StoreError(f"store {self.url} is closed")
        # While the server is known to be away, a call waits for a connection only briefly: callers ride
        # the outage out by calling again, and a call stuck in the full pool timeout would only delay
        # noticing that the server is back.
        timeout = min(self._pool_timeout, _PROBE_TIMEOUT) if self._away else self._pool_timeout
        try:
            with self._pool.connection(timeout=timeout) as conn:
                yield conn
            self._away = False
        except PoolTimeout as exc:
            self._away = True
            self._revive_pool()
            raise StoreUnavailableError(
                f"store {self.url} unavailable: no connection within {timeout:g}s"
            ) from exc
        except PoolClosed as exc:
            if self._closed:
                raise StoreError(f"store {self.url} is closed") from exc
            # another thread swapped in a fresh pool after an outage while this call held the old one
            raise StoreUnavailableError(f"store {self.url} unavailable: its pool was just renewed") from exc
        except _DAMAGE as exc:
            raise StoreCorruptError(f"store {self.url} is damaged: {self._reason(exc)}") from exc
        except psycopg.errors.IdleInTransactionSessionTimeout as exc:
            # This process stood still inside a transaction (stopped, frozen) longer than the stall bound:
            # the server rolled it back and closed the connection, which the pool replaces.
            raise StoreUnavailableError(
                f"store {self.url} unavailable: the server ended a transaction of this process that sat "
                f"idle longer than stall_timeout={self._stall_timeout:g}s; nothing of it was committed"
            ) from exc
        except psycopg.errors.LockNotAvailable as exc:
            # The server is there (not away): another session held a lock this call needs for too long.
            raise StoreUnavailableError(
                f"store {self.url} busy: waited longer than lock_timeout={self._lock_timeout:g}s for a lock "
                f"another session holds (a stalled or long transaction); nothing of this call was committed"
            ) from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._away = True
            raise StoreUnavailableError(f"store {self.url} unavailable: {self._reason(exc)}") from exc

    def _now_param(self) -> float | None:
        return None if self._clock is None else self._clock.time()

    def _wall(self) -> float:
        return (self._clock or SYSTEM_CLOCK).time()

    # --- change notification (control channel) -------------------------------------------------------

    @property
    def notify_channel(self) -> str:
        """The LISTEN/NOTIFY channel on which this store's writers announce control-stream appends."""
        return f"omk_{self.schema}"[:63]

    def notify(self, payload: str) -> None:
        """Send ``payload`` (a run id) on ``notify_channel``; listeners wake and re-read that run."""
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_notify(%s, %s)", (self.notify_channel, payload))

    def open_listener(self) -> psycopg.Connection[TupleRow]:
        """Open a dedicated autocommit connection listening on ``notify_channel`` (outside the pool).

        Raises:
            StoreUnavailableError: the server cannot be reached.
        """
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.notify_channel)))
        except psycopg.Error as exc:
            raise StoreUnavailableError(f"cannot listen on store {self.url}: {self._reason(exc)}") from exc
        return conn

    # --- runs -------------------------------------------------------------------------------------

    def create_run(self, record: RunRecord) -> RunRecord:
        """Create a run, or return the existing one with that id (see ``JournalStore``)."""
        created, _ = self._create_run(record, None, 0.0)
        return created

    def create_run_with_blocks(
        self, record: RunRecord, blocks: Iterable[str], *, at: float
    ) -> tuple[RunRecord, int]:
        """Create (or reopen) a run and add the blocks' items in one transaction (see ``JournalStore``)."""
        return self._create_run(record, blocks, at)

    def _create_run(
        self, record: RunRecord, blocks: Iterable[str] | None, at: float
    ) -> tuple[RunRecord, int]:
        if not record.created_at:
            record = dataclasses.replace(record, created_at=self._wall())
        with self._conn() as conn, conn.transaction():
            if blocks is not None and not isinstance(blocks, Sequence):
                conn.execute(f"SELECT {_NO_STALL_BOUND}")  # waits on its source between blocks
            inserted = conn.execute(
                "INSERT INTO runs (run_id, name, priority, source, function, created_at, params, operator, "
                "origin, correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
                (
                    record.run_id,
                    to_stored(record.name),
                    record.priority,
                    to_stored(record.source),
                    to_stored(record.function),
                    record.created_at,
                    json.dumps(dict(record.params), default=str),
                    to_stored(record.operator),
                    to_stored(record.origin),
                    to_stored(record.correlation_id),
                ),
            ).fetchone()
            if inserted:
                event = stored_event(Event(EventKind.RUN_CREATED, at=record.created_at, reason=record.name))
                self._append_locked(conn, record.run_id, [event])
                created = record
            else:
                created = self._get_run(conn, record.run_id)
                for field in ("source", "function"):
                    recorded, given = getattr(created, field), getattr(record, field)
                    if recorded != given:
                        raise RunMismatchError(record.run_id, field, recorded, given)
            if blocks is None:
                return created, 0
            items = (WorkItem(key, size) for block in blocks for key, size in decode_block(block))
            return created, self._add_items_locked(conn, record.run_id, items, at)

    def _get_run(self, conn: psycopg.Connection[TupleRow], run_id: str) -> RunRecord:
        row = conn.execute(
            SELECT_RUN + " WHERE run_id = %s",
            (run_id,),
        ).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")
        return run_from_row(row)

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run (``RunNotFoundError`` if none)."""
        with self._conn() as conn:
            return self._get_run(conn, run_id)

    def add_report(self, run_id: str, report: ReportLink) -> None:
        """Record a report made from a run (see ``JournalStore.add_report``)."""
        with self._conn() as conn, conn.transaction():
            self._get_run(conn, run_id)
            conn.execute(
                "INSERT INTO run_reports (run_id, path, made_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (run_id, path) DO NOTHING",
                (run_id, to_stored(report.path), report.made_at),
            )

    def run_reports(self, run_id: str) -> list[ReportLink]:
        """Return the reports made from a run, oldest first."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT path, made_at FROM run_reports WHERE run_id = %s ORDER BY made_at, path", (run_id,)
            ).fetchall()
        return [ReportLink(from_stored(path), float(made_at)) for path, made_at in rows]

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._conn() as conn:
            rows = conn.execute(SELECT_RUN + " ORDER BY created_at, run_id").fetchall()
        return [run_from_row(row) for row in rows]

    def _require_run(
        self, conn: psycopg.Connection[TupleRow], run_id: str, *, lift_stall_bound: bool = False
    ) -> None:
        """Raise ``RunNotFoundError`` unless the run exists; ``lift_stall_bound``: for the rest of the
        transaction, which waits on the caller between statements, in the same round trip."""
        what = _NO_STALL_BOUND if lift_stall_bound else "1"
        if conn.execute(f"SELECT {what} FROM runs WHERE run_id = %s", (run_id,)).fetchone() is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")

    # --- journal ----------------------------------------------------------------------------------

    def _append_locked(
        self,
        conn: psycopg.Connection[TupleRow],
        run_id: str,
        events: Sequence[Event],
        *,
        done: int = 0,
        worker_id: str | None = None,
    ) -> int:
        """Allocate seqs (locking the run row: the last lock a transaction takes) and insert the events."""
        last = append_events(conn, run_id, events, done=done, worker_id=worker_id)
        if last is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")
        return last

    def append(self, run_id: str, events: Sequence[Event]) -> int:
        """Append events durably and update the items projection; return the last seq."""
        events = [stored_event(e) for e in events]
        with self._conn() as conn, conn.transaction():
            project(conn, run_id, events)
            return self._append_locked(conn, run_id, events)

    def append_start(self, run_id: str, event: Event) -> int | None:
        """Journal a start unless the run is done, in one transaction (see ``JournalStore.append_start``)."""
        events = [stored_event(event)]
        with self._conn() as conn, conn.transaction():
            # The run row's lock orders this check after a completion being committed (appends take it).
            locked = conn.execute("SELECT 1 FROM runs WHERE run_id = %s FOR UPDATE", (run_id,)).fetchone()
            if locked is None:
                raise RunNotFoundError(run_id, where=f"store {self.url}")
            starts = conn.execute(
                f"SELECT seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id "
                f"FROM events WHERE run_id = %s AND kind = ANY(%s) AND {RARE_KINDS_SQL} ORDER BY seq",
                (run_id, [kind.value for kind in STARTS]),
            ).fetchall()
            where = f"store {self.url}"
            if run_is_done(
                self._counts(conn, run_id), (event_from_row(row, run_id, where) for row in starts)
            ):
                return None
            return self._append_locked(conn, run_id, events)

    # --- items ------------------------------------------------------------------------------------

    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        """Add items not yet in the run, journaling FILE_ADDED for each new one; return how many.

        One transaction for the whole iterable, written in chunks: a bad item adds nothing at all.
        """
        with self._conn() as conn, conn.transaction():
            if isinstance(items, Sequence):
                self._require_run(conn, run_id)
            else:  # waits on the caller's iterable between chunks
                self._require_run(conn, run_id, lift_stall_bound=True)
            return self._add_items_locked(conn, run_id, items, at)

    def _add_items_locked(
        self, conn: psycopg.Connection[TupleRow], run_id: str, items: Iterable[WorkItem], at: float
    ) -> int:
        """Add the items in the caller's transaction, a chunk per statement; raise on a bad size."""
        added = 0
        chunk: dict[str, int] = {}
        for item in items:
            problem = item_problem(item.key, item.size)
            if problem is not None:
                raise ConfigError(f"{problem}; nothing was added")
            chunk.setdefault(to_stored(item.key), item.size)  # the first size of a repeated key wins
            if len(chunk) >= 5000:
                added += self._add_chunk(conn, run_id, chunk, at)
                chunk = {}
        if chunk:
            added += self._add_chunk(conn, run_id, chunk, at)
        return added

    def _add_chunk(
        self, conn: psycopg.Connection[TupleRow], run_id: str, chunk: dict[str, int], at: float
    ) -> int:
        rows = conn.execute(
            "INSERT INTO items (run_id, key, size) "
            "SELECT %s, key, size "
            "FROM unnest(%s::text[], %s::bigint[]) WITH ORDINALITY AS t(key, size, n) "
            "ORDER BY n ON CONFLICT DO NOTHING RETURNING key, size, ord",
            (run_id, list(chunk), list(chunk.values())),
        ).fetchall()
        rows.sort(key=lambda row: row[2])
        if not rows:  # all there already: no seq to allocate, so the run row stays unlocked
            return 0
        events = [Event(EventKind.FILE_ADDED, at=at, path=key, size=size) for key, size, _ in rows]
        self._append_locked(conn, run_id, events)
        return len(events)

    # --- lifecycle ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    def drop_schema(self) -> None:
        """Drop this store's schema and everything in it (tests and teardown; irreversible)."""
        with self._conn() as conn, conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema)))

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<PostgresStore {self.url} schema={self.schema} {state}>"


def _milliseconds(seconds: float) -> int:
    """Return a timeout setting in PostgreSQL's unit: 0 stays 0 (no limit), anything else at least 1 ms."""
    return 0 if seconds == 0 else max(1, round(seconds * 1000))
