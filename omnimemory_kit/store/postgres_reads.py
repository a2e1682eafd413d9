"""The PostgreSQL journal's reads: events, the last seq, counters, workers and leases.

Seam: what followers (status, notebooks, reports) and workers read, apart from the writes (``postgres``,
``postgres_writes``). Every call borrows a pooled connection through ``_conn`` (the store's, translating
errors). Counters are summed from the writers' shards (``postgres_schema`` version 4) in one snapshot.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.errors import RunNotFoundError, UnknownEventKindError
from omnimemory_kit.events import EVENT_KINDS, FILE_STATUSES, Event, EventKind, FileStatus
from omnimemory_kit.store.base import EVENT_COLUMNS, JournalStore, Lease, WorkerRecord, WorkItem, loaded_rows
from omnimemory_kit.store.counters import RunCounters, counters_from, minute_start
from omnimemory_kit.store.postgres_rows import SERVER_NOW, event_from_row
from omnimemory_kit.store.postgres_status import read_status
from omnimemory_kit.store.report_reads import POSTGRES, ReportAggregates, read_report
from omnimemory_kit.store.status_facts import COMMON_KINDS, RARE_KINDS_SQL, RunStatusFacts
from omnimemory_kit.store.status_reads import ItemBytes
from omnimemory_kit.text import from_stored, to_stored

__all__ = ["PostgresReads"]

# A batch's first open, through the rare-events index (its predicate repeated).
_BATCH_OPENED = (
    f"SELECT min(seq) FROM events WHERE run_id = %(run)s AND kind = 'batch_opened' AND {RARE_KINDS_SQL} "
    "AND batch_id = %(batch)s"
)
# The items started after it whose latest start names the batch (a later start of one has a later seq).
_BATCH_ITEMS = (
    "WITH ran AS (SELECT DISTINCT path FROM events WHERE run_id = %(run)s AND seq > %(opened)s "
    "AND kind = 'file_started' AND batch_id = %(batch)s), "
    "latest AS (SELECT DISTINCT ON (e.path) e.path, e.batch_id FROM events e JOIN ran USING (path) "
    "WHERE e.run_id = %(run)s AND e.seq > %(opened)s AND e.kind = 'file_started' "
    "ORDER BY e.path, e.seq DESC) "
    "SELECT i.key, i.status FROM latest l JOIN items i ON i.run_id = %(run)s AND i.key = l.path "
    "WHERE l.batch_id = %(batch)s"
)

# Each batch's first open through the rare-events index, the latest first, with how many batches there are.
_LATEST_BATCHES = (
    "SELECT batch_id, opened, count(*) OVER () FROM (SELECT batch_id, min(seq) AS opened FROM events "
    f"WHERE run_id = %(run)s AND kind = 'batch_opened' AND {RARE_KINDS_SQL} GROUP BY batch_id) AS b "
    "ORDER BY opened DESC LIMIT %(limit)s"
)
_COUNT_BATCHES = (
    "SELECT count(DISTINCT batch_id) FROM events "
    f"WHERE run_id = %(run)s AND kind = 'batch_opened' AND {RARE_KINDS_SQL}"
)


class PostgresReads(JournalStore):
    """The journal's reads in a PostgreSQL kit store (``PostgresStore`` supplies the connections)."""

    def _conn(self) -> contextlib.AbstractContextManager[psycopg.Connection[TupleRow]]:
        raise NotImplementedError  # the store's

    def _require_run(
        self, conn: psycopg.Connection[TupleRow], run_id: str, *, lift_stall_bound: bool = False
    ) -> None:
        raise NotImplementedError  # the store's

    def _now_param(self) -> float | None:
        raise NotImplementedError  # the store's

    def read_events(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        """Yield the run's events after ``after_seq`` in seq order, streamed in chunks.

        The transaction waits on the caller between chunks: it is not bound by ``stall_timeout`` (it holds
        no row lock another session could wait on).
        """
        with self._conn() as conn:
            self._require_run(conn, run_id, lift_stall_bound=True)
            query = (
                "SELECT seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id "
                "FROM events WHERE run_id = %s AND seq > %s ORDER BY seq"
            )
            params: tuple[Any, ...] = (run_id, after_seq)
            if limit is not None:
                query += " LIMIT %s"
                params += (limit,)
            with conn.transaction(), conn.cursor(name=f"events_{uuid.uuid4().hex}") as cur:
                cur.itersize = 5000
                cur.execute(query, params)
                for row in cur:
                    yield event_from_row(row, run_id, f"store {self.url}")

    def check_event_kinds(self, run_id: str) -> None:
        """Look for an event kind this version lacks with one query (no event is decoded)."""
        with self._conn() as conn:
            self._require_run(conn, run_id)
            row = conn.execute(
                # Every common kind is known: an unknown one is among the rare events. Materialized, so
                # the planner reads their index rather than walk the whole journal in seq order.
                "WITH rare AS MATERIALIZED "
                f"(SELECT seq, kind FROM events WHERE run_id = %s AND {RARE_KINDS_SQL}) "
                "SELECT seq, kind FROM rare WHERE NOT (kind = ANY(%s)) ORDER BY seq LIMIT 1",
                (run_id, list(EVENT_KINDS)),
            ).fetchone()
        if row is not None:
            raise UnknownEventKindError(row[1], run_id, row[0], where=f"store {self.url}")

    def read_events_matching(
        self,
        run_id: str,
        *,
        after_seq: int,
        until_seq: int | None = None,
        worker_id: str | None = None,
        kinds: Iterable[EventKind] | None = None,
    ) -> Iterator[Event]:
        """Yield the run's events in a seq range, of one worker and of some kinds, filtered on the server.

        Rare kinds alone are read through their index: the query then repeats the index's predicate.
        """
        kinds = None if kinds is None else list(kinds)
        rare = kinds is not None and not set(kinds) & set(COMMON_KINDS)
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id "
                "FROM events WHERE run_id = %s AND seq > %s AND (%s::bigint IS NULL OR seq <= %s) "
                "AND (%s::text IS NULL OR worker_id = %s) AND (%s::text[] IS NULL OR kind = ANY(%s)) "
                + (f"AND {RARE_KINDS_SQL} " if rare else "")
                + "ORDER BY seq",
                (
                    run_id, after_seq, until_seq, until_seq, worker_id, worker_id,
                    *([None] * 2 if kinds is None else [[k.value for k in kinds]] * 2),
                ),
            ).fetchall()  # fmt: skip
        where = f"store {self.url}"
        for row in rows:
            yield event_from_row(row, run_id, where)

    def read_event_rows(self, run_id: str, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """Yield events as plain tuples in ``EVENT_COLUMNS`` order (the fast path for reports).

        Not bound by ``stall_timeout``, as ``read_events``.
        """
        with self._conn() as conn:
            self._require_run(conn, run_id, lift_stall_bound=True)
            with conn.transaction(), conn.cursor(name=f"rows_{uuid.uuid4().hex}") as cur:
                cur.itersize = 20000
                cur.execute(
                    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events "
                    f"WHERE run_id = %s AND seq > %s ORDER BY seq",
                    (run_id, after_seq),
                )
                yield from loaded_rows(cur)

    def last_seq(self, run_id: str) -> int:
        """Return the run's highest seq."""
        with self._conn() as conn:
            row = conn.execute("SELECT last_seq FROM runs WHERE run_id = %s", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")
        return int(row[0])

    def item_counts(self, run_id: str) -> dict[FileStatus, int]:
        """Return how many items are in each status (summed from the store-kept counters)."""
        with self._conn() as conn:
            return self._counts(conn, run_id)

    def _counts(self, conn: psycopg.Connection[TupleRow], run_id: str) -> dict[FileStatus, int]:
        row = conn.execute(
            "SELECT r.run_id, sum(c.pending), sum(c.in_progress), sum(c.succeeded), sum(c.failed), "
            "sum(c.skipped) FROM runs r LEFT JOIN run_counts c ON c.run_id = r.run_id "
            "WHERE r.run_id = %s GROUP BY r.run_id",
            (run_id,),
        ).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, where=f"store {self.url}")
        statuses = (FileStatus.PENDING, FileStatus.IN_PROGRESS, FileStatus.SUCCEEDED, FileStatus.FAILED,
                    FileStatus.SKIPPED)  # fmt: skip
        return {status: int(n or 0) for status, n in zip(statuses, row[1:], strict=True)}

    def _item_bytes(self, conn: psycopg.Connection[TupleRow], run_id: str) -> ItemBytes:
        """Return the run's item bytes per status and its items without a size, the writers' shards summed."""
        row = conn.execute(
            "SELECT sum(pending_bytes), sum(in_progress_bytes), sum(succeeded_bytes), sum(failed_bytes), "
            "sum(skipped_bytes), sum(unsized) FROM run_counts WHERE run_id = %s",
            (run_id,),
        ).fetchone()
        assert row is not None, "an aggregate returns a row"
        statuses = (FileStatus.PENDING, FileStatus.IN_PROGRESS, FileStatus.SUCCEEDED, FileStatus.FAILED,
                    FileStatus.SKIPPED)  # fmt: skip
        return {status: int(n or 0) for status, n in zip(statuses, row[:5], strict=True)}, int(row[5] or 0)

    def item_statuses(
        self, run_id: str, *, keys: Iterable[str] | None = None, status: FileStatus | None = None
    ) -> dict[str, FileStatus]:
        """Return the status of the run's items among ``keys`` and in ``status`` (from the items table)."""
        stored = None if keys is None else sorted({to_stored(key) for key in keys})
        with self._conn() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                "SELECT key, status FROM items WHERE run_id = %s AND (%s::text IS NULL OR status = %s) "
                "AND (%s::text[] IS NULL OR key = ANY(%s))",
                (run_id, *[None if status is None else status.value] * 2, stored, stored),
            ).fetchall()
        return {from_stored(key): FILE_STATUSES[value] for key, value in rows}

    def batch_items(self, run_id: str, batch_id: str) -> dict[str, FileStatus] | None:
        """Return the items ``batch_id`` last started (their latest FILE_STARTED names it), with status.

        The items table keeps no batch here, so the journal is read, but only from the batch's open on
        (looked up through the rare-events index; the starts after it read by the primary key's seq
        range): every writer opens a batch before starting items in it (a claim in the same statement,
        the tracker with its first start), and a later start of an item comes later still.
        """
        with self._conn() as conn:
            self._require_run(conn, run_id)
            params = {"run": run_id, "batch": batch_id}
            row = conn.execute(_BATCH_OPENED, params).fetchone()
            opened = None if row is None else row[0]
            # Never opened: only starts written by hand could name it; they are looked for everywhere.
            rows = conn.execute(_BATCH_ITEMS, {**params, "opened": opened or 0}).fetchall()
        if not rows and opened is None:
            return None
        return {from_stored(key): FILE_STATUSES[value] for key, value in rows}

    def latest_batches(self, run_id: str, limit: int) -> tuple[list[tuple[str, int]], int]:
        """Return the run's latest batches and their number (see ``JournalStore.latest_batches``)."""
        params = {"run": run_id, "limit": max(limit, 0)}
        with self._conn() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(_LATEST_BATCHES, params).fetchall()
            if not rows:
                count = conn.execute(_COUNT_BATCHES, params).fetchone()
                return [], 0 if count is None else int(count[0])
        return [(str(batch), int(opened)) for batch, opened, _ in reversed(rows)], int(rows[0][2])

    def run_counters(self, run_id: str, *, since: float | None = None) -> RunCounters:
        """Return the run's store-kept counters: the writers' shards summed, in one snapshot."""
        with self._conn() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return self._read_counters(conn, run_id, since)

    def status_facts(self, run_id: str, *, with_bytes: bool = False) -> RunStatusFacts:
        """Return what ``status`` shows of a run (see ``JournalStore.status_facts``), in one snapshot."""
        with self._conn() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            counters = self._read_counters(conn, run_id, None)
            kept = self._item_bytes(conn, run_id) if with_bytes else None
            return read_status(conn, run_id, counters, kept_bytes=kept, where=f"store {self.url}")

    def _read_counters(
        self, conn: psycopg.Connection[TupleRow], run_id: str, since: float | None
    ) -> RunCounters:
        counts = self._counts(conn, run_id)
        totals = conn.execute(
            "SELECT sum(started), sum(retried), min(first_outcome_at), max(last_outcome_at) "
            "FROM run_minutes WHERE run_id = %s",
            (run_id,),
        ).fetchone()
        minutes = conn.execute(
            "SELECT minute, sum(started), sum(succeeded), sum(failed), sum(skipped), sum(retried), "
            "min(first_outcome_at), max(last_outcome_at) FROM run_minutes "
            "WHERE run_id = %s AND minute >= %s GROUP BY minute ORDER BY minute",
            (run_id, -math.inf if since is None else minute_start(since)),
        ).fetchall()
        return counters_from(run_id, counts, minutes, totals=totals)

    def report_aggregates(
        self, run_id: str, *, origin: float, bucket_seconds: float, top: int
    ) -> ReportAggregates | None:
        """Return a run's report aggregates, summed on the server in one snapshot (``store.report_reads``)."""
        with self._conn() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._require_run(conn, run_id)

            def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                return conn.execute(sql, params).fetchall()

            return read_report(
                query, POSTGRES, run_id, run_id, origin=origin, bucket_seconds=bucket_seconds, top=top,
                where=f"store {self.url}",
            )  # fmt: skip

    def workers(self, run_id: str) -> list[WorkerRecord]:
        """Return the run's workers with their live (unexpired) lease counts and items done."""
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT w.worker_id, w.run_id, w.host, w.pid, w.started_at, w.last_seen, w.items_done, "
                f"(SELECT count(*) FROM leases l WHERE l.run_id = w.run_id AND l.worker_id = w.worker_id "
                f"AND l.expires_at > {SERVER_NOW}) "
                f"FROM workers w WHERE w.run_id = %(run)s ORDER BY w.started_at, w.worker_id",
                {"run": run_id, "now": self._now_param()},
            ).fetchall()
        return [
            WorkerRecord(
                worker_id=row[0],
                run_id=row[1],
                host=row[2],
                pid=int(row[3]),
                started_at=float(row[4]),
                last_seen=float(row[5]),
                items_done=int(row[6]),
                leases=int(row[7]),
            )
            for row in rows
        ]

    def leases(self, run_id: str) -> list[Lease]:
        """Return the run's current leases with their items."""
        with self._conn() as conn:
            leases = conn.execute(
                "SELECT lease_id, run_id, worker_id, batch_id, expires_at FROM leases "
                "WHERE run_id = %s ORDER BY claimed_at, lease_id",
                (run_id,),
            ).fetchall()
            items: dict[str, list[WorkItem]] = {}
            for lease_id, key, size in conn.execute(
                "SELECT lease_id, key, size FROM items "
                "WHERE run_id = %s AND lease_id IS NOT NULL ORDER BY ord",
                (run_id,),
            ):
                items.setdefault(lease_id, []).append(WorkItem(from_stored(key), size))
        return [
            Lease(lease_id, run, worker, batch, tuple(items.get(lease_id, ())), expires)
            for lease_id, run, worker, batch, expires in leases
        ]
