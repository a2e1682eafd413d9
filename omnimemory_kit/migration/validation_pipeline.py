"""Pipelined validation: each batch's items are checked after the batch, under leases, while the run goes on.

The items to check wait in the run's *validation queue*, a companion run (``RUN_ID~validation``) whose items
are the main run's keys: the store's own claims, leases and reclaims (the same as for batches) decide who
checks what, so several processes validating one run never check an item at the same time, and a dead
checker's items go back to pending.

- ``queue_keys`` puts a closed batch's items in the queue: new keys are added and finished ones requeued
  (FILE_REQUEUED: the item ran again since its last check), in one append.
- ``PipelinedValidator.check_some`` claims a chunk of the queue, reads the main journal up to now (the
  ``ValidationLedger``), checks the chunk's items that succeeded and have no verdict since, ``concurrency``
  at a time and each within the timeout (a hung check is an error: ``validation._call``), appends the
  verdicts to the main journal, then reports the chunk done and releases it.

Exactly once: a verdict is appended before its queue item is reported done, and an item that has a verdict
since its last success is reported done unchecked. A crash (even SIGKILL) between the two leaves the item
pending in the queue with its verdict in the journal: the next claimer skips it. A crash before the verdict
is appended loses only that check, which the next claimer makes (the journal holds one verdict per
success). Items that are not succeeded (failed, skipped, or re-running) are reported done unchecked; a
success after a re-run queues them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import LeaseLostError, RunNotFoundError
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.sources import WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.validation import ValidationLedger, ValidationState, call_check, verdict_of
from omnimemory_kit.migration.worker_liveness import dead_workers_on_host
from omnimemory_kit.store.base import JournalStore, Lease, RunRecord, WorkItem

__all__ = [
    "VALIDATION_SUFFIX",
    "PipelinedValidator",
    "is_validation_queue",
    "queue_keys",
    "validation_queue_id",
]

VALIDATION_SUFFIX: Final = "~validation"
CLAIM: Final = 256
"""Queue items claimed (and checked, then reported) at a time."""


def validation_queue_id(run_id: str) -> str:
    """Return the id of the run whose items are ``run_id``'s validation queue."""
    return run_id + VALIDATION_SUFFIX


def is_validation_queue(run_id: str) -> bool:
    """Tell whether a run id names a validation queue (listings hide those)."""
    return run_id.endswith(VALIDATION_SUFFIX)


def ensure_queue(store: JournalStore, run_id: str, *, at: float) -> str:
    """Create the run's validation queue if it has none yet; return its id."""
    queue = validation_queue_id(run_id)
    try:
        store.get_run(queue)
    except RunNotFoundError:
        store.create_run(
            RunRecord(run_id=queue, name=f"validation of {run_id}", source="validation", created_at=at)
        )
    return queue


def queue_keys(store: JournalStore, run_id: str, keys: Sequence[str], *, at: float) -> int:
    """Queue items for checking: add the new keys, requeue the finished ones; return the seq (one append)."""
    queue = ensure_queue(store, run_id, at=at)
    events = [Event(EventKind.FILE_ADDED, at=at, path=key) for key in keys]
    events += [Event(EventKind.FILE_REQUEUED, at=at, path=key, reason="succeeded again") for key in keys]
    return store.append(queue, events) if events else store.last_seq(queue)


class PipelinedValidator:
    """Check a run's queued items with ``validate_fn``, a claimed chunk at a time, under a lease.

    Args:
        link: the runner's store link (calls on its thread; verdicts folded like every write).
        source: resolves a key to the item the validate function receives.
        validate_fn: ``fn(item)`` returning True or None, a ``Mismatch``, or raising.
        worker_id: who holds the queue's leases.
        host: this worker's host (its dead workers' leases are taken back at once).
        concurrency: checks in flight at once.
        timeout: seconds per check (None: no limit).
        lease_seconds: how long a claimed chunk is held between heartbeats.
        clock: time source for verdict stamps, heartbeats and waits.
    """

    def __init__(
        self,
        link: StoreLink,
        source: WorkSource,
        validate_fn: Callable[..., Any],
        *,
        worker_id: str,
        host: str,
        concurrency: int,
        timeout: float | None,
        lease_seconds: float,
        clock: Clock,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> None:
        self.link = link
        self.store = link.store
        self.run_id = link.run_id
        self.queue = validation_queue_id(link.run_id)
        self.source = source
        self.validate_fn = validate_fn
        self.worker_id = worker_id
        self.host = host
        self.concurrency = concurrency
        self.timeout = timeout
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.ledger = ValidationLedger()
        self.checked = 0  # checks this validator made (verdicts it appended)
        self._seq = 0  # the main journal's last seq folded into the ledger
        self._log = log
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Say there may be new items in the queue (a batch was queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Make ``run()`` return once the chunk in hand is checked and reported."""
        self._stopping = True
        self._wake.set()

    async def prepare(self) -> None:
        """Create the queue, take back dead checkers' chunks, and queue what a crash left unqueued.

        An item that succeeded and has no verdict since is queued again (a crash between a batch's close
        and its queueing); one already queued or being checked stays as it is.
        """
        await self.link.call(ensure_queue, self.store, self.run_id, at=self.clock.time())
        await self._reclaim()
        await self.catch_up()

    async def catch_up(self) -> None:
        """Queue every succeeded item without a verdict since (requeued if its queue item is finished).

        Safe at any time: an item being checked stays as it is, and one whose verdict lands meanwhile is
        reported done unchecked by whoever claims it.
        """
        await self.link.call(self.refresh)
        waiting = [key for key in self.ledger.succeeded if self.ledger.state(key) is ValidationState.PENDING]
        if waiting:
            await self.link.call(queue_keys, self.store, self.run_id, waiting, at=self.clock.time())

    async def run(self) -> None:
        """Check queued items as they come, until ``stop()`` (after the chunk in hand) or cancelled."""
        while not self._stopping:
            if not await self.check_some():
                self._wake.clear()
                # woken by this worker's next batch; other workers' batches are seen within half a second
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.5)

    async def drain(self) -> None:
        """Check until the queue has nothing pending or being checked (other workers' chunks included).

        First queues what nobody queued (a batch closed by a worker that does not validate).
        """
        await self.catch_up()
        while True:
            if await self.check_some():
                continue
            counts = await self.link.call(self.store.item_counts, self.queue)
            if counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS] == 0:
                return
            if counts[FileStatus.PENDING] == 0:  # someone else checks the rest: wait, take back the dead's
                await self._reclaim()
                await self.clock.sleep(min(0.25, self.lease_seconds / 4))

    async def check_some(self) -> bool:
        """Claim a chunk of the queue and check it; return False when nothing was pending."""
        lease = await self.link.call(self.store.claim, self.queue, self.worker_id, CLAIM, self.lease_seconds)
        if lease is None:
            return False
        heartbeat = asyncio.ensure_future(self._heartbeat(lease))
        try:
            await self.link.call(self.refresh)
            keys = [item.key for item in lease.items]
            due = [
                k
                for k in keys
                if k in self.ledger.succeeded and self.ledger.state(k) is ValidationState.PENDING
            ]
            verdicts = await self._check(due)
            if verdicts:
                await self.link.append(verdicts)  # durable before the chunk is reported done
                self.ledger.apply(verdicts)
                self.checked += len(verdicts)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        done = [Event(EventKind.FILE_SUCCEEDED, at=self.clock.time(), path=key) for key in keys]
        try:
            await self.link.call(self._report, lease, done)
        except LeaseLostError:  # taken back meanwhile: whoever claims it skips what has a verdict now
            self._log.warning(
                "run %r: a validation lease was lost; its items are looked at again", self.run_id
            )
        return True

    def _report(self, lease: Lease, done: list[Event]) -> None:
        self.store.report(lease, done)
        self.store.release(lease)

    def refresh(self) -> None:
        """On the store thread: fold the main journal's new events into the ledger."""
        events = list(self.store.read_events(self.run_id, after_seq=self._seq))
        if events:
            self.ledger.apply(events)
            self._seq = events[-1].seq

    async def _check(self, keys: Sequence[str]) -> list[Event]:
        found: list[Event] = []
        pending = iter(keys)
        succeeded = self.ledger.succeeded

        async def checker() -> None:
            for key in pending:
                item = self.source.resolve(WorkItem(key, succeeded[key]))
                outcome = await call_check(self.validate_fn, item, self.timeout)
                found.append(verdict_of(key, outcome, self.clock.time(), worker_id=self.worker_id))

        await asyncio.gather(*(checker() for _ in range(min(self.concurrency, len(keys)))))
        return found

    async def _heartbeat(self, lease: Lease) -> None:
        while True:
            await self.clock.sleep(self.lease_seconds / 3)
            try:
                lease = await self.link.call(self.store.heartbeat, lease, self.lease_seconds)
            except LeaseLostError:
                return

    async def _reclaim(self) -> None:
        workers = await self.link.call(self.store.workers, self.run_id)
        for worker_id in dead_workers_on_host(workers, self.worker_id, self.host):
            await self.link.call(functools.partial(self.store.reclaim, self.queue, worker_id=worker_id))
        await self.link.call(self.store.reclaim, self.queue)
