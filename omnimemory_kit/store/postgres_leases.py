"""The PostgreSQL store's workers and leases: claims, heartbeats, reports, releases and reclaims.

Seam: how a worker holds items, apart from the runs, the journal's appends and the items' addition
(``postgres``) and the reads (``postgres_reads``). Claims pick pending items with ``FOR UPDATE SKIP LOCKED``;
every report, release and heartbeat checks its lease under a row lock, so a late report from a worker
whose lease expired and was reclaimed is rejected (``LeaseLostError``). Lock order: lease row → item rows →
run row (always last, taken by the append). The hot statements are built in ``postgres_writes``. Every
call borrows a pooled connection through ``_conn`` (the store's, translating errors).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.errors import LeaseLostError, RunNotFoundError
from omnimemory_kit.events import Event, EventKind, FileStatus, JournalEntry, expand_runs
from omnimemory_kit.store.base import (
    JournalStore,
    Lease,
    WorkerRecord,
    WorkItem,
    check_claim,
    check_outcomes,
    parse_worker_id,
    stored_event,
)
from omnimemory_kit.store.postgres_rows import SERVER_NOW
from omnimemory_kit.store.postgres_writes import (
    CLAIM,
    COPY_ABOVE,
    PICK,
    ReportPlan,
    claim_params,
    project,
    report_items,
    report_plan,
)
from omnimemory_kit.store.projection import TRANSITIONS
from omnimemory_kit.text import from_stored

__all__ = ["PostgresLeases"]

# A release or reclaim is FILE_INTERRUPTED on items in progress.
_INTERRUPTED = TRANSITIONS[EventKind.FILE_INTERRUPTED][FileStatus.IN_PROGRESS]


class _NotAsPlanned(Exception):
    """A planned report matched fewer items than it names: roll it back and take the checked path."""


class PostgresLeases(JournalStore):
    """Workers and leases in a PostgreSQL kit store (``PostgresStore`` supplies the connections)."""

    def _conn(self) -> contextlib.AbstractContextManager[psycopg.Connection[TupleRow]]:
        raise NotImplementedError  # the store's

    def _require_run(
        self, conn: psycopg.Connection[TupleRow], run_id: str, *, lift_stall_bound: bool = False
    ) -> None:
        raise NotImplementedError  # the store's

    def _now_param(self) -> float | None:
        raise NotImplementedError  # the store's

    def _append_locked(
        self,
        conn: psycopg.Connection[TupleRow],
        run_id: str,
        events: Sequence[Event],
        *,
        done: int = 0,
        worker_id: str | None = None,
    ) -> int:
        raise NotImplementedError  # the store's

    def register_worker(self, run_id: str, worker_id: str, *, host: str, pid: int) -> WorkerRecord:
        """Record that a worker joined the run (or refresh its last_seen)."""
        with self._conn() as conn, conn.transaction():
            self._require_run(conn, run_id)
            conn.execute(
                f"INSERT INTO workers (run_id, worker_id, host, pid, started_at, last_seen) "
                f"VALUES (%(run)s, %(worker)s, %(host)s, %(pid)s, {SERVER_NOW}, {SERVER_NOW}) "
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
            f"SELECT {SERVER_NOW}, expires_at, worker_id FROM leases WHERE lease_id = %(lease)s FOR UPDATE",
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
        return cls.report is PostgresLeases.report and cls.release is PostgresLeases.release

    def report_and_release(
        self, lease: Lease, outcomes: Sequence[Event], events: Sequence[JournalEntry] = ()
    ) -> int:
        """Report ``outcomes`` and release the lease with ``events`` in one transaction (one commit)."""
        if not self.report_and_release_atomic:
            return super().report_and_release(lease, outcomes, events)
        closing = [stored_event(e) for e in expand_runs(events)]
        return self._report(lease, [stored_event(e) for e in outcomes], closing)[0]

    @property
    def release_and_claim_atomic(self) -> bool:
        """True, unless a subclass changed ``report``, ``release`` or ``claim`` (then those are called)."""
        return self.report_and_release_atomic and type(self).claim is PostgresLeases.claim

    def report_release_and_claim(
        self,
        lease: Lease,
        outcomes: Sequence[Event],
        events: Sequence[JournalEntry] = (),
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
        closing = [stored_event(e) for e in expand_runs(events)]
        return self._report(lease, reported, closing, (limit, lease_seconds))

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

    def release(self, lease: Lease, events: Sequence[JournalEntry] = ()) -> int:
        """End a live lease: append ``events`` and requeue its unfinished items with FILE_INTERRUPTED."""
        released = [stored_event(e) for e in expand_runs(events)]
        with self._conn() as conn, conn.transaction():
            # Deleting the lease row locks it first (lock order); an expired lease may still be released.
            row = conn.execute(
                "DELETE FROM leases WHERE lease_id = %(lease)s AND worker_id = %(worker)s "
                f"RETURNING {SERVER_NOW}",
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
            return self._append_locked(conn, lease.run_id, [*requeued, *released])

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
            now_row = conn.execute(f"SELECT {SERVER_NOW}", {"now": self._now_param()}).fetchone()
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
