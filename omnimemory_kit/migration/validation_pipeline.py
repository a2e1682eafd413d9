"""Pipelined validation: each batch's items are checked after the batch, under leases, while the run goes on.

Two paths, both under a lease, so several processes validating one run never check an item at once:

- **In the batch's lease** (the common path, ``check``): when a batch closes, the worker that holds it
  checks its succeeded items, ``concurrency`` at a time and each within the timeout (a hung check is an
  error: ``validation_checks.check_into``); the verdicts are journaled with the release, after the
  batch's last outcomes, in the same trip to the store. This runs while the next batch runs, and costs no
  store call. Once ``stop`` is set (the run stops) no further check starts and the drain returns.
- **In the validation queue** (what the first path left: a worker killed mid-check, a batch closed by a
  worker without the validate function, items re-run since their check): before the run completes, every
  worker ``drain``s. It waits until no batch is leased (every in-lease check is journaled, or its holder
  is dead and its lease taken back), puts the succeeded items without a verdict in the run's validation
  queue, a companion run (``RUN_ID~validation``) whose items the store's own claims, leases and reclaims
  hand out, and checks claimed chunks until the queue is empty.

Exactly once: a verdict is appended while its item's lease (batch or queue chunk) is held, and an item with
a verdict since its last success is never checked again (the queue path reads the journal up to now before
each chunk and reports such items done unchecked). A crash (even SIGKILL) before the append loses only
those checks, which the drain makes again; the journal holds one verdict per success.

The ``ValidationLedger`` is the runner's, fed by its fold of every durable event of the run (its own and,
read back, other workers'). A worker that folds only its own events (``join_run``) knows nothing of the
items other workers migrated: for the drain it keeps a second ledger of the whole run, read from the
journal (the kinds a ledger folds, from where it last read, a chunk at a time), so it queues and checks
every item still owed a check, not only its own.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import LeaseLostError, RunNotFoundError
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.sources import WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.validation import LEDGER_KINDS, ValidationLedger, ValidationState
from omnimemory_kit.migration.validation_checks import check_into
from omnimemory_kit.migration.validation_verdicts import Verdicts
from omnimemory_kit.migration.worker_liveness import dead_workers_on_host
from omnimemory_kit.store.base import JournalStore, Lease, RunRecord, WorkItem
from omnimemory_kit.store.companions import VALIDATION_SUFFIX

__all__ = [
    "VALIDATION_SUFFIX",
    "PipelinedValidator",
    "is_validation_queue",
    "queue_keys",
    "validation_queue_id",
]

CLAIM: Final = 256
"""Queue items claimed (and checked, then reported) at a time."""

RUN_WIDE_CHUNK: Final = 50_000
"""Journal events folded at a time into a drain's ledger of the whole run (what it holds in memory)."""


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
    """Queue items for checking: add the new keys, requeue the finished ones; return how many were new.

    The common case (every key new) is one addition; keys the queue had are requeued with one
    FILE_REQUEUED each (the item ran again since its check), which leaves a queued or claimed one as it is.
    """
    queue = ensure_queue(store, run_id, at=at)
    added = store.add_items(queue, [WorkItem(key) for key in keys], at=at)
    if added < len(keys):
        store.append(
            queue, [Event(EventKind.FILE_REQUEUED, at=at, path=key, reason="succeeded again") for key in keys]
        )
    return added


class PipelinedValidator:
    """Check a run's items with ``validate_fn``: a batch's within its lease, the rest through the queue.

    Args:
        link: the runner's store link (calls on its thread; verdicts folded like every write).
        ledger: the run's validation state, kept current by the runner's fold.
        source: resolves a key to the item the validate function receives.
        validate_fn: ``fn(item)`` returning True or None, a ``Mismatch``, or raising.
        worker_id: who holds the queue's leases.
        host: this worker's host (its dead workers' leases are taken back at once).
        concurrency: checks in flight at once.
        timeout: seconds per check (None: no limit).
        lease_seconds: how long a claimed chunk is held between heartbeats.
        clock: time source for verdict stamps, heartbeats and waits.
        log: where lost leases are reported.
    """

    def __init__(
        self,
        link: StoreLink,
        ledger: ValidationLedger,
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
        self.ledger = ledger
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
        self.checked = 0  # verdicts this validator appended
        self.stop = asyncio.Event()  # set: the run stops, no further check starts (``check_into``)
        self._is_async = inspect.iscoroutinefunction(validate_fn)  # decided once, not per check
        self._log = log
        self._run_wide: ValidationLedger | None = None  # the whole run's, for a worker folding its own
        self._run_wide_seq = 0

    @property
    def judged(self) -> ValidationLedger:
        """Return the ledger the drain decides with: the whole run's (own-events workers) or the runner's."""
        return self.ledger if self._run_wide is None else self._run_wide

    def due(self, keys: Iterable[str]) -> list[str]:
        """Return the keys that succeeded and have no verdict since (what a check is owed)."""
        return self.judged.owed(keys)

    async def check(self, items: Sequence[WorkItem], *, resolved: bool = False) -> Verdicts:
        """Check ``items``, ``concurrency`` at a time; return their verdicts (not journaled yet).

        With ``resolved`` the items are ``MigrationItem``s as the migration received them (a batch's: not
        resolved again). The valid verdicts come as keys and times (``Verdicts.journal``: one run).
        """
        return await check_into(
            Verdicts(self.worker_id), self.validate_fn, items, None if resolved else self.source.resolve,
            concurrency=self.concurrency, limit=self.timeout, clock=self.clock, is_async=self._is_async,
            stop=self.stop,
        )  # fmt: skip

    async def record(self, verdicts: list[Event]) -> None:
        """Append verdicts to the run's journal (folded into the ledger like every durable event)."""
        if verdicts:
            await self.link.append(verdicts)
            self.checked += len(verdicts)

    async def prepare(self) -> None:
        """Create the queue and take back the queue chunks of this host's dead workers."""
        await self.link.call(ensure_queue, self.store, self.run_id, at=self.clock.time())
        await self._reclaim()

    async def drain(self) -> bool:
        """Check what the batches left, through the queue, until it is empty (other workers' chunks too).

        Returns False when ``stop`` was set meanwhile (the items not checked stay pending).
        """
        if not await self._no_batch_leased():
            return False
        await self.refresh()
        # the tally says in O(1) whether any succeeded item waits for a check (the common answer: none)
        judged = self.judged
        waiting = judged.owed() if judged.tally[ValidationState.PENDING] else []
        if waiting:
            await self.link.call(queue_keys, self.store, self.run_id, waiting, at=self.clock.time())
        while True:
            if self.stop.is_set():
                return False
            if await self.check_some():
                continue
            counts = await self.link.call(self.store.item_counts, self.queue)
            if counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS] == 0:
                break
            if counts[FileStatus.PENDING] == 0:  # someone else checks the rest: wait, take back the dead's
                await self._reclaim()
                await self.clock.sleep(min(0.25, self.lease_seconds / 4))
        await self.refresh()  # other workers' last verdicts, for the summary
        return True

    async def refresh(self) -> None:
        """Fold what other workers journaled since this runner's last write (their verdicts included).

        A worker folding only its own events reads the whole run's into its run-wide ledger instead.
        """
        await self.link.write(_nothing)
        if self.link.own_events_only:
            if self._run_wide is None:
                self._run_wide = ValidationLedger()
            await self.link.call(self._fold_run_wide, self._run_wide)

    def _fold_run_wide(self, ledger: ValidationLedger) -> None:
        """On the store thread, while the drain waits for it (nothing else uses that ledger): fold what the
        run journaled since the last read, a chunk at a time, never holding all the events at once. A read
        that fails midway leaves the ledger at the end of its last whole chunk, where the next read goes on.
        """
        after = self._run_wide_seq
        events = iter(self.store.read_events_matching(self.run_id, after_seq=after, kinds=LEDGER_KINDS))
        while chunk := list(itertools.islice(events, RUN_WIDE_CHUNK)):
            ledger.apply(chunk)
            self._run_wide_seq = chunk[-1].seq

    async def check_some(self) -> bool:
        """Claim a chunk of the queue and check it; return False when nothing was pending."""
        lease = await self.link.call(self.store.claim, self.queue, self.worker_id, CLAIM, self.lease_seconds)
        if lease is None:
            return False
        heartbeat = asyncio.ensure_future(self._heartbeat(lease))
        try:
            await self.refresh()  # a verdict journaled since it was queued: reported done unchecked
            keys = [item.key for item in lease.items]
            size_of = self.judged.size_of
            due = self.due(keys)
            verdicts = (await self.check([WorkItem(key, size_of(key)) for key in due])).events()
            if not heartbeat.done():  # else the chunk was taken back: its next holder checks it
                await self.record(verdicts)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        if len(verdicts) < len(due):  # stopped midway: the unchecked ones go back to the queue (release)
            unchecked = set(due).difference(v.path for v in verdicts)
            keys = [key for key in keys if key not in unchecked]
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

    async def _no_batch_leased(self) -> bool:
        """Wait until no batch of the run is leased (its holder checked it, or died and lost it).

        Returns False when ``stop`` was set meanwhile.
        """
        while not self.stop.is_set():
            workers = await self.link.call(self.store.workers, self.run_id)
            for worker_id in dead_workers_on_host(workers, self.worker_id, self.host):
                await self.link.write(functools.partial(self.store.reclaim, self.run_id, worker_id=worker_id))
            await self.link.write(self.store.reclaim, self.run_id)
            if not await self.link.call(self.store.leases, self.run_id):
                return True
            await self.clock.sleep(min(0.25, self.lease_seconds / 4))
        return False

    async def _heartbeat(self, lease: Lease) -> None:
        """Renew the chunk's lease every third of its length; return once it is lost."""
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


def _nothing() -> None:
    """A write that writes nothing: the link then reads back what others journaled."""
