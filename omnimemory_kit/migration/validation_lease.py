"""One separate validation pass of a run at a time: the pass holds a lease on the run's pass lock.

The lock is a companion run, ``RUN_ID~validation-pass`` (hidden from listings, ``store.companions``), with
one item. A pass claims it under a lease, as a worker claims a batch, renews the lease while it checks and
releases it when it ends (the item goes back to pending: free for the next pass). A second pass finds
nothing to claim and raises ``ValidationBusyError`` naming the holder and when its lease runs out.

A pass is refused too while a migration's pipelined checks hold chunks of the run's validation queue
(``RUN_ID~validation``): they would check the same items.

A pass that dies (even by SIGKILL) stops renewing: its lease expires like any other and the next pass takes
it back (``reclaim``); a holder that was a process on this host and no longer exists is taken back at once
(``worker_liveness``), so a pass killed and run again on the same host is not refused. A pass that loses its
lease while it runs (stalled past it, and taken back) stops before it writes another verdict: each write is
preceded by a renewal (``PassLease.renew``), so a pass that lost the run never journals a verdict of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import secrets
import socket
from collections.abc import AsyncIterator
from typing import Final

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import LeaseLostError, RunNotFoundError, ValidationBusyError
from omnimemory_kit.migration.worker_liveness import dead_workers_on_host
from omnimemory_kit.store.base import JournalStore, Lease, RunRecord, WorkItem
from omnimemory_kit.store.companions import VALIDATION_PASS_SUFFIX, VALIDATION_SUFFIX

__all__ = ["LEASE_SECONDS", "PassLease", "hold_pass_lease", "pass_lock_id"]

LEASE_SECONDS: Final = 60.0
"""How long a pass's lease lasts between renewals (a dead pass's lock is free after this at most)."""
_LOCK_KEY: Final = "pass"


def pass_lock_id(run_id: str) -> str:
    """Return the id of the companion run whose one item is ``run_id``'s validation pass lock."""
    return run_id + VALIDATION_PASS_SUFFIX


class PassLease:
    """The lease a running pass holds; ``lost`` once a renewal was refused."""

    def __init__(self, store: JournalStore, lease: Lease, seconds: float) -> None:
        self.store = store
        self.lease = lease
        self.seconds = seconds
        self.lost = False

    def renew(self) -> None:
        """Renew the lease now (a store call: run it off the loop).

        Raises:
            LeaseLostError: the lease expired or was taken back (another pass may hold it now).
        """
        if self.lost:
            raise LeaseLostError(self.lease.worker_id, self.lease.lease_id)
        try:
            self.lease = self.store.heartbeat(self.lease, self.seconds)
        except LeaseLostError:
            self.lost = True
            raise

    def __repr__(self) -> str:
        state = "lost" if self.lost else "held"
        return f"<PassLease {self.lease.run_id!r} {state} by {self.lease.worker_id}>"


def _take(store: JournalStore, run_id: str, worker_id: str, host: str, seconds: float, at: float) -> Lease:
    lock = pass_lock_id(run_id)
    try:
        store.get_run(lock)
    except RunNotFoundError:
        store.get_run(run_id)  # no lock for a run that does not exist: RunNotFoundError names the run
        with contextlib.suppress(Exception):  # created meanwhile by another pass: fine
            store.create_run(
                RunRecord(
                    run_id=lock, name=f"validation pass of {run_id}", source="validation-pass", created_at=at
                )
            )
        store.get_run(lock)
        store.add_items(lock, [WorkItem(_LOCK_KEY)], at=at)
    for dead in dead_workers_on_host(store.workers(lock), worker_id, host):
        store.reclaim(lock, worker_id=dead)
    store.reclaim(lock)  # expired leases of passes that died elsewhere
    lease = store.claim(lock, worker_id, 1, seconds)
    if lease is not None:
        _refuse_beside_pipelined_checks(store, run_id, lease, worker_id, host, at)
        return lease
    holders = store.leases(lock)
    if not holders:  # released between the claim and the look: try once more
        lease = store.claim(lock, worker_id, 1, seconds)
        if lease is not None:
            _refuse_beside_pipelined_checks(store, run_id, lease, worker_id, host, at)
            return lease
        holders = store.leases(lock)
    holder = holders[0] if holders else None
    raise ValidationBusyError(
        run_id, holder.worker_id if holder else "unknown", holder.expires_at if holder else at + seconds
    )


def _refuse_beside_pipelined_checks(
    store: JournalStore, run_id: str, lease: Lease, worker_id: str, host: str, at: float
) -> None:
    """Give the pass lock back and refuse while a migration's pipelined checks hold chunks of the run's
    validation queue (a pass beside them would check their items a second time).

    Raises:
        ValidationBusyError: a live worker holds a chunk of the queue.
    """
    queue = run_id + VALIDATION_SUFFIX
    try:
        workers = store.workers(queue)
    except RunNotFoundError:
        return  # never checked pipelined
    for dead in dead_workers_on_host(workers, worker_id, host):
        store.reclaim(queue, worker_id=dead)
    held = [other for other in store.leases(queue) if other.expires_at > at]
    if held:
        store.release(lease)
        raise ValidationBusyError(
            run_id, held[0].worker_id, held[0].expires_at, by="the pipelined checks of a migration"
        )


@contextlib.asynccontextmanager
async def hold_pass_lease(
    store: JournalStore,
    run_id: str,
    *,
    clock: Clock,
    worker_id: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> AsyncIterator[PassLease]:
    """Hold ``run_id``'s validation pass lease for the block (renewed every third of ``lease_seconds``).

    Raises:
        RunNotFoundError: no such run.
        ValidationBusyError: another pass holds the lease.
    """
    host = socket.gethostname()
    worker_id = worker_id or f"{host}:{os.getpid()}:{secrets.token_hex(4)}"
    take = functools.partial(_take, store, run_id, worker_id, host, lease_seconds, clock.time())
    held = PassLease(store, await asyncio.to_thread(take), lease_seconds)

    async def renew() -> None:
        while True:
            await clock.sleep(lease_seconds / 3)
            try:
                await asyncio.to_thread(held.renew)
            except LeaseLostError:
                return

    async def give_back(failing: bool) -> None:
        renewing.cancel()
        await asyncio.gather(renewing, return_exceptions=True)
        if held.lost:
            return
        # taken back meanwhile: nothing to give back; and a pass already failing keeps its own error (the
        # lease then runs out by itself)
        with contextlib.suppress(Exception if failing else LeaseLostError):
            await asyncio.shield(asyncio.to_thread(store.release, held.lease))

    renewing = asyncio.ensure_future(renew())
    try:
        yield held
    except BaseException:
        await give_back(failing=True)
        raise
    await give_back(failing=False)
