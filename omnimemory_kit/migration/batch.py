"""One leased batch while it runs: its lease kept alive, its outcomes reported durably, then released.

The runner claims a batch (a lease on some items), runs its items and appends each outcome to the
batch's ``outbox``. ``LeasedBatch`` owns what happens to those outcomes: ``schedule_flush()`` reports
them in the background (one flush at a time, so reports reach the store in order), ``start_heartbeat()``
renews the lease every third of its length from the claim on (a batch claimed ahead, while the one before
it still runs, is kept alive too), and ``close()`` reports the rest and releases the lease with
BATCH_CLOSED in one trip to the store thread (one transaction where the store offers
``report_and_release`` as one, as SQLite and PostgreSQL do), and may claim the next batch in that same
trip and transaction (``report_release_and_claim``). A lease lost to expiry
(another worker took the items back) marks the batch ``lost``: its unreported outcomes are dropped and
those items run again elsewhere.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import LeaseLostError
from omnimemory_kit.events import Event, JournalEntry
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.store_link import StoreLink, WriteStep
from omnimemory_kit.store.base import JournalStore, Lease

__all__ = ["LeasedBatch"]


class LeasedBatch:
    """A claimed batch: its lease (renewed by heartbeats), its unreported outcomes, and its reporting.

    Args:
        lease: the claim.
        link: the runner's store link (reports and the release are folded like every write).
        clock: for heartbeats and flush times.
        progress: awaited after each report (``force=True`` after the close).
        log: where lost leases are reported.
        on_lease: told of each heartbeat: True when it renewed the lease, False when the lease was lost.
    """

    __slots__ = (
        "_clock",
        "_link",
        "_log",
        "_on_lease",
        "_progress",
        "beating",
        "closing",
        "flush_task",
        "halfway",
        "last_flush",
        "lease",
        "lost",
        "outbox",
        "succeeded",
        "verdicts_seen",
    )

    def __init__(
        self,
        lease: Lease,
        link: StoreLink,
        clock: Clock,
        progress: Callable[[bool], Awaitable[None]],
        log: logging.LoggerAdapter[logging.Logger],
        on_lease: Callable[[bool], object] | None = None,
    ) -> None:
        self.lease = lease
        self.outbox: list[Event] = []
        # journaled with the release, before BATCH_CLOSED: the verdicts (valid ones as a run, where the store
        # takes runs: ``JournalStore.takes_verdict_runs``)
        self.closing: list[JournalEntry] = []
        # the items that succeeded, as the function received them, when something checks them after the
        # batch (None: nobody does, and the item loop keeps nothing)
        self.succeeded: list[MigrationItem] | None = None
        # the validation ledger's ``event_verdicts`` before the claim (-1: unknown): while it stands still,
        # no verdict from elsewhere can have come for the batch's items
        self.verdicts_seen = -1
        self.flush_task: asyncio.Task[None] | None = None
        self.beating: asyncio.Task[None] | None = None
        self.halfway = asyncio.Event()  # set once half its items started (or it ended): claim the next
        self.last_flush = clock.monotonic()
        self.lost = False
        self._link = link
        self._clock = clock
        self._progress = progress
        self._log = log
        self._on_lease = on_lease

    async def heartbeat(self, lease_seconds: float) -> None:
        """Renew the lease every third of ``lease_seconds`` until it is lost (cancel to stop)."""
        store = self._link.store
        while not self.lost:
            await self._clock.sleep(lease_seconds / 3)
            try:
                self.lease = await self._link.call(store.heartbeat, self.lease, lease_seconds)
            except LeaseLostError:
                self._mark_lost()
            else:
                if self._on_lease is not None:
                    self._on_lease(True)

    def start_heartbeat(self, lease_seconds: float) -> None:
        """Keep the lease alive in the background until ``stop_heartbeat()``."""
        if self.beating is None:
            self.beating = asyncio.ensure_future(self.heartbeat(lease_seconds))

    async def stop_heartbeat(self) -> None:
        """Stop renewing the lease (before it is closed)."""
        task, self.beating = self.beating, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _mark_lost(self) -> None:
        if not self.lost and self._on_lease is not None:
            self._on_lease(False)
        self.lost = True

    def schedule_flush(self) -> None:
        """Report the outbox in the background, unless a flush is already running (it takes the rest)."""
        if self.flush_task is None or self.flush_task.done():
            self.flush_task = asyncio.create_task(self._flush_now())

    async def _flush_now(self) -> None:
        report = self._link.store.report
        while self.outbox and not self.lost:
            events, self.outbox = self.outbox, []
            self.last_flush = self._clock.monotonic()
            try:
                await self._link.write_own((functools.partial(report, self.lease, events), events))
            except LeaseLostError:
                self._mark_lost()
                return
            await self._progress(False)

    async def close(self, closed: Event, claim: tuple[int, float] | None = None) -> Lease | bool | None:
        """Report what finished, then release the lease with ``closing`` and ``closed`` (unfinished items
        go back): one trip to the store thread, so what ``closing`` says lands with the release or not at all.

        With ``claim`` (limit, lease seconds) the same trip claims the next batch for this worker, in the
        release's transaction where the store offers it (``release_and_claim_atomic``): one commit for the
        batch boundary.

        Returns:
            the next batch's lease, None when nothing was pending, or False when nothing was claimed (not
            asked to, or the lease was lost: then nothing was recorded).

        Raises:
            StoreError: the store failed while reporting (the run fails; the lease expires).
        """
        if self.flush_task is not None:
            task, self.flush_task = self.flush_task, None
            (outcome,) = await asyncio.gather(task, return_exceptions=True)
            if isinstance(outcome, Exception):
                raise outcome
        batch_id = self.lease.batch_id
        if self.lost:
            self.outbox, self.closing = [], []
            self._log.warning(
                "run %r: lease on %s was lost; its unreported items will run again",
                self.lease.run_id,
                batch_id,
            )
            return False
        store = self._link.store
        events, self.outbox = self.outbox, []
        # The last outcomes and the release: the events appended are the outcomes, then the closing
        # events (verdicts of the batch's checks, the close; plus FILE_INTERRUPTED for unfinished items,
        # which makes the link read the journal back).
        released: list[JournalEntry] = [*self.closing, closed]
        self.closing = []
        claimed: Lease | bool | None = False
        try:
            if claim is not None:
                claimed = await self._link.close_and_claim(self.lease, events, released, *claim)
            else:
                await self._link.write_own(*self._close_steps(store, events, released))
        except LeaseLostError:
            self._mark_lost()
            self._log.warning("run %r: lease on %s was lost before release", self.lease.run_id, batch_id)
        await self._progress(True)
        return claimed

    def _close_steps(
        self, store: JournalStore, events: list[Event], released: list[JournalEntry]
    ) -> list[WriteStep]:
        """Return the writes of a close: the last outcomes and the release, one transaction where it can."""
        if events and store.report_and_release_atomic:  # one transaction: safe to repeat as a whole
            return [
                (
                    functools.partial(store.report_and_release, self.lease, events, released),
                    [*events, *released],
                )
            ]
        # the last outcomes and the release in one trip to the store thread, each repeatable
        steps: list[WriteStep] = []
        if events:
            steps.append((functools.partial(store.report, self.lease, events), events))
        steps.append((functools.partial(store.release, self.lease, released), released))
        return steps
