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

Seam: this module is the connection pool, the runs and the journal's writes (the hot ones, and the
items projection, written in few round trips by ``postgres_writes``); the reads (events, counters,
workers, leases) are ``postgres_reads``; the health history (snapshots, heartbeats, alerts, rollups) is
``postgres_health`` (both inherited); records to rows and back are ``postgres_rows``; the tables and their
migrations ``postgres_schema``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock, SystemClock
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
    STARTS,
    Lease,
    ReportLink,
    RunRecord,
    Store,
    WorkerRecord,
    WorkItem,
    check_claim,
    check_outcomes,
    parse_worker_id,
    run_is_done,
    stored_event,
)
from omnimemory_kit.store.postgres_health import PostgresHealthHistory
from omnimemory_kit.store.postgres_reads import PostgresReads
from omnimemory_kit.store.postgres_rows import SELECT_RUN, event_from_row, run_from_row
from omnimemory_kit.store.postgres_schema import MIGRATIONS, drop_journal_run_key
from omnimemory_kit.store.postgres_status import add_rare_index
from omnimemory_kit.store.postgres_writes import (
    CLAIM,
    COPY_ABOVE,
    PICK,
    ReportPlan,
    append_events,
    claim_params,
    project,
    report_items,
    report_plan,
)
from omnimemory_kit.store.projection import TRANSITIONS
from omnimemory_kit.store.status_facts import RARE_KINDS_SQL
from omnimemory_kit.store.url import parse_postgres_url, redact_url
from omnimemory_kit.text import from_stored, to_stored

__all__ = ["PostgresStore"]

# A release or reclaim is FILE_INTERRUPTED on items in progress.
_INTERRUPTED = TRANSITIONS[EventKind.FILE_INTERRUPTED][FileStatus.IN_PROGRESS]

# Errors that mean the schema or its data is gone or broken: no amount of waiting brings them back.
_DAMAGE = (
    psycopg.errors.DataCorrupted,
    psycopg.errors.IndexCorrupted,
    psycopg.errors.InvalidSchemaName,
    psycopg.errors.UndefinedTable,
    psycopg.errors.UndefinedColumn,
)

_PROBE_TIMEOUT = 0.5  # seconds a call waits for a pooled connection while the server is away

_NOW = "COALESCE(%(now)s, extract(epoch from clock_timestamp()))"


class _NotAsPlanned(Exception):
    """A planned report matched fewer items than it names: roll it back and take the checked path."""


class PostgresStore(PostgresReads, PostgresHealthHistory, Store):
    """The journal, items, leases, workers and health history in PostgreSQL.

    Args:
        url: ``postgresql://user:password@host:port/dbname`` with optional ``?schema=`` (default
            ``omnimemory_kit``) and ``?pool_max=`` (default 10); other query parameters go to libpq.
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
            kwargs={"options": f"-c search_path={self.schema}", "autocommit": False},
            timeout=self._pool_timeout,
            open=False,
            name=f"omnimemory-kit {self.url}",
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
        if not record.created_at:
            record = dataclasses.replace(record, created_at=self._wall())
        with self._conn() as conn, conn.transaction():
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
                return record
            existing = self._get_run(conn, record.run_id)
        for field in ("source", "function"):
            recorded, given = getattr(existing, field), getattr(record, field)
            if recorded != given:
                raise RunMismatchError(record.run_id, field, recorded, given)
        return existing

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

    def _require_run(self, conn: psycopg.Connection[TupleRow], run_id: str) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE run_id = %s", (run_id,)).fetchone() is None:
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

    # --- items and leases ---------------------------------------------------------------------------

    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        """Add items not yet in the run, journaling FILE_ADDED for each new one; return how many.

        One transaction for the whole iterable, written in chunks: a bad item adds nothing at all.
        """
        added = 0
        with self._conn() as conn, conn.transaction():
            self._require_run(conn, run_id)
            chunk: dict[str, int] = {}
            for item in items:
                if item.size < 0:
                    raise ConfigError(
                        f"item {item.key!r} has a negative size ({item.size}); nothing was added"
                    )
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
        events = [Event(EventKind.FILE_ADDED, at=at, path=key, size=size) for key, size, _ in rows]
        self._append_locked(conn, run_id, events)
        return len(events)

    def register_worker(self, run_id: str, worker_id: str, *, host: str, pid: int) -> WorkerRecord:
        """Record that a worker joined the run (or refresh its last_seen)."""
        with self._conn() as conn, conn.transaction():
            self._require_run(conn, run_id)
            conn.execute(
                f"INSERT INTO workers (run_id, worker_id, host, pid, started_at, last_seen) "
                f"VALUES (%(run)s, %(worker)s, %(host)s, %(pid)s, {_NOW}, {_NOW}) "
                f"ON CONFLICT (run_id, worker_id) DO UPDATE SET last_seen = EXCLUDED.last_seen",
                {"run": run_id, "worker": worker_id, "host": host, "pid": pid, "now": self._now_param()},
            )
        return next(w for w in self.workers(run_id) if w.worker_id == worker_id)

    def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Claim up to ``limit`` pending items, oldest first, with ``FOR UPDATE SKIP LOCKED``."""
        check_claim(limit, lease_seconds)
        with self._conn() as conn, conn.transaction():
            return self._claim_locked(conn, run_id, worker_id, limit, lease_seconds)[0]

    def _claim_locked(
        self,
        conn: psycopg.Connection[TupleRow],
        run_id: str,
        worker_id: str,
        limit: int,
        lease_seconds: float,
        *,
        before: Sequence[Event] = (),
        done: int = 0,
    ) -> tuple[Lease | None, int]:
        """Claim (see ``claim``) after appending ``before`` (a batch's close; ``done`` items it finished).

        ``before`` goes in with the claim's own statement (one round trip fewer). Returns the lease (None
        when nothing was pending) and the journal's last seq after ``before`` (0 without it and a lease).
        """
        lease_id = uuid.uuid4().hex
        batch_id = f"batch-{lease_id[:12]}"
        host, pid = parse_worker_id(worker_id)
        rows = conn.execute(PICK, {"run": run_id, "limit": limit, "lease": lease_id}).fetchall()
        last = 0
        if not rows or len(before) > COPY_ABOVE:  # nothing to claim, or a close as large is copied
            if before:
                last = self._append_locked(conn, run_id, before, done=done, worker_id=worker_id)
                before, done = (), 0
            elif not rows:
                self._require_run(conn, run_id)
            if not rows:
                return None, last
        rows.sort(key=lambda row: row[2])
        keys = [key for key, _, _ in rows]
        opened = conn.execute(
            CLAIM,
            claim_params(
                before,
                keys,
                lease=lease_id,
                run=run_id,
                worker=worker_id,
                batch=batch_id,
                ttl=lease_seconds,
                host=host,
                pid=pid,
                done=done,
                now=self._now_param(),
            ),
        ).fetchone()
        if opened is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")
        expires_at, seq = float(opened[1]), int(opened[2])
        lease = Lease(
            lease_id,
            run_id,
            worker_id,
            batch_id,
            tuple(WorkItem(from_stored(k), s) for k, s, _ in rows),
            expires_at,
            seq=seq,
        )
        return lease, seq - len(keys) - 1

    def _lock_live_lease(
        self, conn: psycopg.Connection[TupleRow], lease: Lease, *, expired_ok: bool = False
    ) -> float:
        """Lock the lease row if it is still this worker's (and unexpired); return the current time."""
        row = conn.execute(
            f"SELECT {_NOW}, expires_at, worker_id FROM leases WHERE lease_id = %(lease)s FOR UPDATE",
            {"lease": lease.lease_id, "now": self._now_param()},
        ).fetchone()
        if row is None or row[2] != lease.worker_id:
            raise LeaseLostError(lease.worker_id, lease.lease_id)
        if not expired_ok and float(row[1]) <= float(row[0]):
            raise LeaseLostError(lease.worker_id, lease.lease_id)
        return float(row[0])

    def heartbeat(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a live lease (``LeaseLostError`` if it expired or was reclaimed)."""
        with self._conn() as conn, conn.transaction():
            now = self._lock_live_lease(conn, lease)
            expires_at = now + lease_seconds
            conn.execute(
                "UPDATE leases SET expires_at = %s WHERE lease_id = %s", (expires_at, lease.lease_id)
            )
            conn.execute(
                "UPDATE workers SET last_seen = %s WHERE run_id = %s AND worker_id = %s",
                (now, lease.run_id, lease.worker_id),
            )
        return Lease(lease.lease_id, lease.run_id, lease.worker_id, lease.batch_id, lease.items, expires_at)

    def report(self, lease: Lease, events: Sequence[Event]) -> int:
        """Record outcomes for items of a live lease, atomically with the lease check."""
        return self._report(lease, [stored_event(e) for e in events], None)[0]

    @property
    def report_and_release_atomic(self) -> bool:
        """True, unless a subclass changed ``report`` or ``release`` (then those are called, one by one)."""
        cls = type(self)
        return cls.report is PostgresStore.report and cls.release is PostgresStore.release

    def report_and_release(
        self, lease: Lease, outcomes: Sequence[Event], events: Sequence[Event] = ()
    ) -> int:
        """Report ``outcomes`` and release the lease with ``events`` in one transaction (one commit)."""
        if not self.report_and_release_atomic:
            return super().report_and_release(lease, outcomes, events)
        return self._report(lease, [stored_event(e) for e in outcomes], [stored_event(e) for e in events])[0]

    @property
    def release_and_claim_atomic(self) -> bool:
        """True, unless a subclass changed ``report``, ``release`` or ``claim`` (then those are called)."""
        return self.report_and_release_atomic and type(self).claim is PostgresStore.claim

    def report_release_and_claim(
        self,
        lease: Lease,
        outcomes: Sequence[Event],
        events: Sequence[Event] = (),
        *,
        limit: int,
        lease_seconds: float,
    ) -> tuple[int, Lease | None]:
        """Report ``outcomes``, release the lease with ``events`` and claim the next batch: one commit.

        The lock order holds: the lease row, the items (the report's, the release's requeue, the claim's
        pick), then the run row, which the claim's statement locks as it appends the close's events and
        its own.
        """
        check_claim(limit, lease_seconds)
        if not self.release_and_claim_atomic:
            return super().report_release_and_claim(
                lease, outcomes, events, limit=limit, lease_seconds=lease_seconds
            )
        reported = [stored_event(e) for e in outcomes]
        return self._report(lease, reported, [stored_event(e) for e in events], (limit, lease_seconds))

    def _report(
        self,
        lease: Lease,
        events: list[Event],
        closing: list[Event] | None,
        claim: tuple[int, float] | None = None,
    ) -> tuple[int, Lease | None]:
        """Report (and, with ``closing``, release) in one transaction: planned when the report allows.

        With ``claim`` (limit, lease seconds) the transaction ends by claiming the next batch for the
        lease's worker. Returns the journal's last seq after the report (or release) and the new lease.
        """
        plan = report_plan(events)
        if plan is not None:
            with contextlib.suppress(_NotAsPlanned):
                return self._report_planned(lease, events, plan, closing, claim)
        with self._conn() as conn, conn.transaction():
            now = self._lock_live_lease(conn, lease)
            keys = sorted({event.path for event in events if event.path is not None})
            held = {
                row[0]
                for row in conn.execute(
                    "SELECT key FROM items WHERE run_id = %s AND key = ANY(%s) AND lease_id = %s "
                    "AND status = 'in_progress' FOR UPDATE",
                    (lease.run_id, keys, lease.lease_id),
                )
            }
            done = check_outcomes(lease, events, held)
            project(conn, lease.run_id, events, lease.lease_id)
            return self._close_locked(conn, lease, events, done, now, closing, claim)

    def _report_planned(
        self,
        lease: Lease,
        events: list[Event],
        plan: ReportPlan,
        closing: list[Event] | None,
        claim: tuple[int, float] | None,
    ) -> tuple[int, Lease | None]:
        """Apply a well-formed report by its plan (``_NotAsPlanned``, rolled back, if it does not fit)."""
        with self._conn() as conn, conn.transaction():
            # Nothing to report, only a release: a lease that expired may still be released (as ``release``).
            now = self._lock_live_lease(conn, lease, expired_ok=not events and closing is not None)
            if plan.items and report_items(conn, lease.lease_id, plan) != plan.items:
                raise _NotAsPlanned  # some item is not held in progress: the checked path says which
            return self._close_locked(conn, lease, events, plan.finished, now, closing, claim)

    def _close_locked(
        self,
        conn: psycopg.Connection[TupleRow],
        lease: Lease,
        events: list[Event],
        done: int,
        now: float,
        closing: list[Event] | None,
        claim: tuple[int, float] | None = None,
    ) -> tuple[int, Lease | None]:
        """Append a report's events; with ``closing``, also end the (locked) lease as ``release`` does.

        With ``claim``, the next batch is claimed and the events go in with the claim's own statement.
        """
        if closing is not None:  # the lease row is locked already: delete it with the requeue, one trip
            lease_id = lease.lease_id
            requeued = self._requeue(
                conn,
                lease.run_id,
                "lease_id = %s",
                (lease_id,),
                now,
                lease.worker_id,
                "released",
                ending=lease_id,
            )
            events = [*events, *requeued, *closing]
        if claim is None:
            return self._append_locked(conn, lease.run_id, events, done=done, worker_id=lease.worker_id), None
        limit, lease_seconds = claim
        claimed, last = self._claim_locked(
            conn, lease.run_id, lease.worker_id, limit, lease_seconds, before=events, done=done
        )
        return last, claimed

    def release(self, lease: Lease, events: Sequence[Event] = ()) -> int:
        """End a live lease: append ``events`` and requeue its unfinished items with FILE_INTERRUPTED."""
        events = [stored_event(e) for e in events]
        with self._conn() as conn, conn.transaction():
            # Deleting the lease row locks it first (lock order); an expired lease may still be released.
            row = conn.execute(
                f"DELETE FROM leases WHERE lease_id = %(lease)s AND worker_id = %(worker)s RETURNING {_NOW}",
                {"lease": lease.lease_id, "worker": lease.worker_id, "now": self._now_param()},
            ).fetchone()
            if row is None:
                raise LeaseLostError(lease.worker_id, lease.lease_id)
            requeued = self._requeue(
                conn,
                lease.run_id,
                "lease_id = %s",
                (lease.lease_id,),
                float(row[0]),
                lease.worker_id,
                "released",
            )
            return self._append_locked(conn, lease.run_id, [*requeued, *events])

    def _requeue(
        self,
        conn: psycopg.Connection[TupleRow],
        run_id: str,
        where: str,
        params: tuple[Any, ...],
        now: float,
        worker_id: str | None,
        reason: str,
        *,
        ending: str | None = None,
    ) -> list[Event]:
        """Requeue items in progress (``where``); ``ending``: also delete that (locked) lease."""
        # A lease's items are found by the lease id alone (see ``postgres_writes.REPORT_ITEMS``).
        scope = "" if where.startswith("lease_id = ") else "run_id = %s AND "
        end = "" if ending is None else "WITH ended AS (DELETE FROM leases WHERE lease_id = %s) "
        rows = conn.execute(
            f"{end}UPDATE items SET status = %s, attempts = attempts + %s, lease_id = NULL "
            f"WHERE {scope}status = 'in_progress' AND {where} RETURNING key, ord",
            (
                *(() if ending is None else (ending,)),
                _INTERRUPTED.status.value,
                _INTERRUPTED.attempts,
                *((run_id,) if scope else ()),
                *params,
            ),
        ).fetchall()
        rows.sort(key=lambda row: row[1])
        return [
            Event(EventKind.FILE_INTERRUPTED, at=now, path=key, worker_id=worker_id, reason=reason)
            for key, _ in rows
        ]

    def reclaim(self, run_id: str, *, worker_id: str | None = None) -> int:
        """Take back expired leases (or every lease of a dead worker) and requeue their items."""
        with self._conn() as conn, conn.transaction():
            self._require_run(conn, run_id)
            now_row = conn.execute(f"SELECT {_NOW}", {"now": self._now_param()}).fetchone()
            assert now_row is not None
            now = float(now_row[0])
            if worker_id is None:
                gone = conn.execute(
                    "DELETE FROM leases WHERE run_id = %s AND expires_at <= %s "
                    "RETURNING lease_id, worker_id, batch_id, claimed_at",
                    (run_id, now),
                ).fetchall()
            else:
                gone = conn.execute(
                    "DELETE FROM leases WHERE run_id = %s AND worker_id = %s "
                    "RETURNING lease_id, worker_id, batch_id, claimed_at",
                    (run_id, worker_id),
                ).fetchall()
            gone.sort(key=lambda row: (row[3], row[0]))
            events: list[Event] = []
            why = "lease expired" if worker_id is None else "worker gone"
            for lease_id, owner, _, _ in gone:
                events += self._requeue(conn, run_id, "lease_id = %s", (lease_id,), now, owner, why)
            events += [
                Event(EventKind.BATCH_CLOSED, at=now, batch_id=batch_id, worker_id=owner, reason=why)
                for _, owner, batch_id, _ in gone
            ]
            if worker_id is None:
                events += self._requeue(
                    conn, run_id, "lease_id IS NULL", (), now, None, "in progress at a crash"
                )
            if events:
                self._append_locked(conn, run_id, events)
        return sum(1 for event in events if event.kind is EventKind.FILE_INTERRUPTED)

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
