"""The runner's batch execution: a leased batch's items run by item workers under the live concurrency.

``MigrationRunner`` inherits this: the batch loop hands ``_run_batch`` each lease it claims and closes
what it returns with ``_close_batch``; ``_keep_workers`` keeps as many item workers (``_worker``) going
as the concurrency allows while the run may go on; ``_new_sync_calls`` sets up where a sync function
runs and journals its stuck calls (CALL_STUCK, CALL_FREED). Seam: executing a batch's items, apart
from claiming batches, preparing and finishing the run (``runner_lifecycle``) and the controls
(``runner_control``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.attempt import SyncCalls
from omnimemory_kit.migration.batch import LeasedBatch
from omnimemory_kit.migration.calls import ThreadCalls
from omnimemory_kit.migration.options import Isolation
from omnimemory_kit.migration.runner_control import ControlledRun
from omnimemory_kit.migration.runner_phase import Phase
from omnimemory_kit.migration.sources import MigrationItem, WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.telemetry import BatchTrace, RunTelemetry
from omnimemory_kit.migration.throttle import GateDecision, GateKind
from omnimemory_kit.store.base import Lease, WorkItem

if TYPE_CHECKING:  # prometheus_client is imported only by those who ask for metrics
    from omnimemory_kit.migration.metrics import RunMetrics

__all__ = ["BatchExecution"]

# Bound once: the item loop compares against them for every item.
_RUNNING = Phase.RUNNING
_PROCEED = GateKind.PROCEED


_HANDOFF_ITEMS: Final = 100
"""Items a worker runs between offers of the interpreter's lock to the store thread (while it has work)."""


class BatchExecution(ControlledRun):
    """The batch half of ``MigrationRunner`` (which sets every attribute declared here)."""

    source: WorkSource
    flush_size: int
    flush_interval: float
    telemetry: RunTelemetry
    metrics: RunMetrics | None
    _link: StoreLink
    _phase: Phase
    _resumed: asyncio.Event
    _in_flight: int
    _batch_workers: int
    _batch_traces: dict[str, BatchTrace]
    migrate_fn: Callable[[MigrationItem], Any]
    isolate: Isolation
    _running: bool
    _step_batches: int | None

    def _event(self, kind: EventKind, *, reason: str | None = None, batch_id: str | None = None) -> Event:
        raise NotImplementedError  # the runner's

    async def _progress(self, force: bool) -> None:
        raise NotImplementedError  # the runner's

    if TYPE_CHECKING:  # runner_lifecycle's (a stub here would shadow it: RunLifecycle comes later in the MRO)

        async def _claim_next(self, limit: int) -> Lease | None: ...

        async def _counters_when_due(self) -> None: ...

    async def _claim_batch(self) -> LeasedBatch | None:
        """Claim a batch and keep its lease alive from now on; None when nothing is pending."""
        lease = await self._claim_next(self._batch_size_now())  # runner_lifecycle's
        return None if lease is None else self._leased(lease)

    def _leased(self, lease: Lease) -> LeasedBatch:
        """Return the batch of a claimed lease, its heartbeat started."""
        batch = LeasedBatch(
            lease,
            self._link,
            self.clock,
            self._progress,
            self._log,
            on_lease=None if self.metrics is None else self.metrics.lease,
        )
        batch.start_heartbeat(self.lease_seconds)
        return batch

    async def _run_batch(self, batch: LeasedBatch) -> LeasedBatch:
        """Run a claimed batch's items under the concurrency limit; return it for closing."""
        lease = batch.lease
        pending: deque[WorkItem] = deque(lease.items)
        traced = self.telemetry.batch_opened(lease)
        if traced is not None:
            self._batch_traces[lease.batch_id] = traced
        workers: set[asyncio.Task[None]] = set()
        try:
            await self._keep_workers(batch, pending, workers, traced)
        except BaseException:
            batch.halfway.set()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await batch.stop_heartbeat()
            await self._close_batch(batch)
            raise
        batch.halfway.set()
        await batch.stop_heartbeat()
        return batch

    def _may_claim_ahead(self, batches: int | None) -> bool:
        """Return whether the next batch may be claimed (or kept) before this one ends.

        Only while the run goes on as it is: not while stepping (one batch, then a pause), paused,
        cancelling, held by the control channel or the gate, or waiting before each claim (``slow``).
        """
        if batches is not None or self._step_batches is not None or self._phase is not Phase.RUNNING:
            return False
        gate = self._gate
        if gate.kind is not GateKind.PROCEED or gate.holds or gate.delay:
            return False
        ctl = self.control
        return ctl is None or ctl.claims_allowed()

    async def _claim_ahead(self, current: LeasedBatch, may: Callable[[], bool]) -> LeasedBatch | bool | None:
        """Claim the next batch once half of ``current`` started, if ``may()`` still says so then.

        Returns the batch, None when nothing was pending, or False when it did not claim. Waiting for the
        half keeps a batch claimed ahead from being held longer than it needs to be (an outage or a pause
        meanwhile would leave it to lapse or to be given back).
        """
        await current.halfway.wait()
        if not may():
            return False
        return await self._claim_batch()

    async def _give_back(
        self, ahead: asyncio.Future[LeasedBatch | bool | None], current: LeasedBatch, *, closes: bool = False
    ) -> None:
        """Settle a claim ahead that will not run now; a batch it took is released (items back to pending).

        ``closes``: ``ahead`` is a batch's close that claims the next (``_close_batch``): it is let finish
        (never cancelled), then what it claimed is given back.
        """
        if (
            not closes and not current.halfway.is_set()
        ):  # waiting for the half: nothing claimed, none in flight
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
            return
        batch = await ahead
        if isinstance(batch, LeasedBatch):
            await batch.stop_heartbeat()
            await self._close_batch(batch)

    async def _close_batch(self, batch: LeasedBatch, claim_next: bool = False) -> LeasedBatch | bool | None:
        """Close a batch; with ``claim_next`` claim the next one in the same trip (one commit where it can).

        Returns the batch it claimed, None when nothing was pending, False when it did not claim (not
        asked to, or the lease was lost).
        """
        claim = (self._batch_size_now(), self.lease_seconds) if claim_next else None
        try:
            lease = await batch.close(
                self._event(EventKind.BATCH_CLOSED, batch_id=batch.lease.batch_id), claim
            )
        finally:
            traced = self._batch_traces.pop(batch.lease.batch_id, None)
            self.telemetry.batch_closed(traced, lost=batch.lost)
        if not isinstance(lease, Lease):
            return lease
        await self._counters_when_due()  # runner_lifecycle's
        return self._leased(lease)

    async def _worker(self, batch: LeasedBatch, pending: deque[WorkItem], traced: BatchTrace | None) -> None:
        # The hot path: everything an item does not change is looked up once, here.
        resolve = self.source.resolve
        outbox_limit = self.flush_size
        flush_interval = self.flush_interval
        monotonic = self.clock.monotonic
        attempts = self._attempts
        assert attempts is not None
        outcome = attempts.outcome
        direct, succeeded = attempts.direct, attempts.succeeded
        # with pipelined validation: the items that succeeded, kept as resolved for their check
        keep = None if batch.succeeded is None else batch.succeeded.append
        succeeded_kind = EventKind.FILE_SUCCEEDED

        def retried(event: Event) -> None:  # into the outbox of the moment: a flush hands the old one over
            batch.outbox.append(event)

        on_retry: Callable[[Event], object] = retried
        telemetry = self.telemetry
        if traced is not None:  # retries recorded on the batch span too
            on_retry = telemetry.retry_recorder(traced, on_retry)
        sampled = telemetry.traces_item if traced is not None and telemetry.item_ratio else None
        ctl = self.control
        halfway = batch.halfway
        half = len(batch.lease.items) // 2
        before_half = True  # this worker has not seen the batch half started yet
        pacing = True  # the first item tells pace() whether a rate is set
        # What follows from the control state and the gate decision (both frozen values, replaced on every
        # change): worked out again only when either is replaced, not for every item.
        seen_state: object = None
        seen_gate: GateDecision | None = None
        limit = 0
        max_rate: float | None = None
        link = self._link
        handoff = _HANDOFF_ITEMS
        while pending and not batch.lost:
            handoff -= 1
            if not handoff:
                handoff = _HANDOFF_ITEMS
                if link.calls_in_flight:
                    # Items that never wait keep the interpreter's lock for the whole batch, and the store
                    # thread, between two SQLite statements, could not start its work before the batch
                    # ends: a sleep of 0 hands the lock over, so the store works alongside.
                    time.sleep(0)  # noqa: ASYNC251 - returns at once; the lock is the point
            phase = self._phase
            gate = self._gate
            if phase is not _RUNNING or gate.kind is not _PROCEED:
                if phase is not _RUNNING or gate.kind is GateKind.HOLD:
                    if phase is Phase.CANCELLING:
                        return
                    await self._resumed.wait()
                    continue
                if gate.kind is GateKind.ABORT:
                    return  # the batch loop fails the run; unstarted items go back with the lease
            if ctl is not None:
                # Paused, throttled or shrunk from elsewhere: stop taking items; the batch's release
                # puts the unstarted ones back for whoever claims next.
                if not ctl.claims_allowed():
                    return
                state = ctl.state
                if state is not seen_state or gate is not seen_gate:
                    seen_state, seen_gate = state, gate
                    limit = self._concurrency_now()
                    max_rate = state.settings.max_rate
                if self._batch_workers > limit:
                    return
                if max_rate or pacing:
                    pacing = bool(max_rate)  # unset once more: pace() forgets its schedule
                    await ctl.pace(max_rate)
                    if not pending:
                        return
            item = pending.popleft()
            if before_half and len(pending) <= half:
                before_half = False
                if not halfway.is_set():
                    halfway.set()
                    # Items that never wait (no-ops) would otherwise run the whole batch before the claim
                    # ahead gets its turn: let it reach the store thread now.
                    await asyncio.sleep(0)
            resolved = resolve(item)
            self._in_flight += 1
            try:
                if sampled is not None and sampled(item.key):
                    assert traced is not None
                    event = await telemetry.traced_outcome(traced, resolved, outcome, on_retry)
                else:
                    if direct is None:
                        event = await outcome(resolved, on_retry)
                    else:
                        try:
                            await direct(resolved)
                        except BaseException as exc:  # outcome() says what it means (and raises the rest)
                            event = await outcome(resolved, on_retry, exc)
                        else:
                            event = succeeded(resolved)
                    if traced is not None:
                        telemetry.outcome(traced, event)
            finally:
                self._in_flight -= 1
            if keep is not None and event.kind is succeeded_kind:
                keep(resolved)
            outbox = batch.outbox  # a flush swaps the list
            outbox.append(event)
            # Report when enough outcomes piled up (the batch's end reports the rest with the release),
            # or when the last report is flush_interval old, so slow items still show progress.
            if (len(outbox) >= outbox_limit and pending) or monotonic() - batch.last_flush >= flush_interval:
                batch.schedule_flush()
                await asyncio.sleep(0)  # let the flush reach the store thread while items keep running

    async def _keep_workers(
        self,
        batch: LeasedBatch,
        pending: deque[WorkItem],
        workers: set[asyncio.Task[None]],
        traced: BatchTrace | None,
    ) -> None:
        """Run the batch with as many item workers as the (live) concurrency allows, until it is done."""

        async def work() -> None:
            try:
                await self._worker(batch, pending, traced)
            finally:
                self._batch_workers -= 1

        ctl = self.control
        while True:
            # New workers only while the batch may go on: a stop (cancel, pause, throttle, a lost lease)
            # lets the running ones return and leaves the rest of the batch to the release.
            while (
                pending
                and not batch.lost
                and self._phase is Phase.RUNNING
                and (ctl is None or ctl.claims_allowed())
                and len(workers) < min(self._concurrency_now(), len(pending))
            ):
                self._batch_workers += 1
                # item tasks run with the batch span current, so the function's own logs carry its ids
                context = None if traced is None else traced.task_context()
                workers.add(asyncio.create_task(work(), context=context))
            if not workers:
                return
            waits: set[asyncio.Future[Any]] = set(workers)
            changed = asyncio.ensure_future(ctl.changed.wait()) if ctl is not None else None
            if changed is not None:
                waits.add(changed)
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if changed is not None and not changed.done():
                changed.cancel()
            for task in done:
                if task is not changed:
                    workers.discard(task)
                    task.result()  # re-raise a worker's failure
            if ctl is not None and not ctl.claims_allowed():
                await asyncio.gather(*workers)
                return

    # --- where sync calls run, and their stuck calls ---------------------------------------------------

    def _new_sync_calls(self) -> SyncCalls:
        if self.isolate == "process":
            from omnimemory_kit.migration.isolation import ProcessCalls

            return ProcessCalls(self.migrate_fn, self.concurrency, self.clock)
        return ThreadCalls(
            self.migrate_fn, self.concurrency, self.clock, on_stuck=self._on_stuck, on_freed=self._on_freed
        )

    def _on_stuck(self, item: MigrationItem) -> None:
        self._log.warning(
            "run %r: the call for %r timed out and still holds its thread", self.run_id, item.key
        )
        self._journal_call(EventKind.CALL_STUCK, item)

    def _on_freed(self, item: MigrationItem) -> None:
        self._log.info(
            "run %r: the stuck call for %r returned; its thread is free again", self.run_id, item.key
        )
        self._journal_call(EventKind.CALL_FREED, item)

    def _journal_call(self, kind: EventKind, item: MigrationItem) -> None:
        if self._running and self._link.open:  # after the run, its end clears stuck calls anyway
            event = Event(kind, at=self.clock.time(), path=item.key, worker_id=self.worker_id)
            self._spawn(self._link.journal(event))
