"""The runner's start and end around its batch loop: preparing the run, the claim gate's wiring, finishing.

``MigrationRunner`` inherits this: ``_prepare`` creates (or reopens) the run with the source's first chunk
of items in one transaction, adds the rest, registers the worker and takes back dead workers' items;
``_dry_run`` summarizes without writing; ``_watch_gate`` / ``_on_gate`` follow a ``ClaimGate`` and journal
throttles; ``_all_finished``, ``_finish`` and ``_complete_once`` end the run (completed once across a shared
run's workers);
``_unfinished``, ``_claim_next`` and ``_refresh_counters`` keep a worker that folds only its own events
(``own_events_only``) supplied with the run-wide counters its summary shows.

Lean past a size: a runner whose run holds more than ``FOLLOW_COUNTERS_ABOVE`` items (its
``follow_counters_above``) becomes such a worker, so its memory does not grow with the run (a full
tracker holds ~1 kB per item: gigabytes at 10M). It decides before it reads anything when it can
(``_follow_own_events``): resuming a run that large (replaying a 10M-item journal took minutes and
gigabytes before the first claim), or creating one from a source that says it is that large
(``operator.length_hint``: a list, a manifest). Otherwise it watches its additions and switches as soon as
the run crosses the size (``_add_source``): the tracker starts afresh, lean, and the rest of the additions
are not folded. Up to the size a run is tracked in full, its items listed.
Seam: the run's edges, apart from executing batches (``runner_batches``) and the controls
(``runner_control``).
"""

from __future__ import annotations

import asyncio
import operator
import os
from typing import Any

from omnimemory_kit.errors import RunNotFoundError
from omnimemory_kit.events import (
    Event,
    EventKind,
    FileStatus,
    MigrationPriority,
    MigrationStatus,
    error_type_name,
)
from omnimemory_kit.migration.dry_run import dry_run
from omnimemory_kit.migration.run_series import RunSeries
from omnimemory_kit.migration.run_totals import RECENT_WINDOW
from omnimemory_kit.migration.runner_control import ControlledRun
from omnimemory_kit.migration.runner_phase import Phase
from omnimemory_kit.migration.sources import WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.telemetry import TRACE_CONTEXT_PARAM, RunTelemetry, current_trace_context
from omnimemory_kit.migration.throttle import PROCEED, ClaimGate, GateDecision, GateKind
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.worker_liveness import (
    completer_in_place_of,
    dead_workers_on_host,
    other_live_workers,
)
from omnimemory_kit.observability import get_correlation_id
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store.base import Lease, RunRecord
from omnimemory_kit.store.counters import MINUTE, RunCounters
from omnimemory_kit.store.ledger import current_operator, current_origin

__all__ = ["COUNTERS_EVERY", "FOLLOW_COUNTERS_ABOVE", "FORGET_EVERY", "RunLifecycle"]

COUNTERS_EVERY = 1.0
"""Seconds between refreshes of the run-wide counters of a worker that folds only its own events."""

FOLLOW_COUNTERS_ABOVE = 100_000
"""Items past which a runner folds only its own events (a full tracker holds ~1 kB per item); the default
of ``MigrationRunner(follow_counters_above=)``."""

FORGET_EVERY = 100_000
"""Items a worker's tracker takes in between two drops of its finished items (``forget_finished``)."""


class RunLifecycle(ControlledRun):
    """The start-and-end half of ``MigrationRunner`` (which sets every attribute declared here)."""

    source: WorkSource
    name: str
    priority: MigrationPriority
    function_id: str
    retry: RetryPolicy
    extra_params: dict[str, Any]
    throttle: ClaimGate | None
    tracker: MigrationProgressTracker
    _link: StoreLink
    _phase: Phase
    _status: MigrationStatus
    _stepped: bool
    _prepared: bool
    _gate_ready: asyncio.Event
    telemetry: RunTelemetry
    own_events_only: bool
    _counters: RunCounters | None
    _counters_at: float
    _forget_at: int
    follow_counters_above: int | None
    run_series: RunSeries

    def _event(self, kind: EventKind, *, reason: str | None = None, batch_id: str | None = None) -> Event:
        raise NotImplementedError  # the runner's

    def _set_phase(self, phase: Phase) -> None:
        raise NotImplementedError  # the runner's

    def _new_tracker(self) -> MigrationProgressTracker:
        raise NotImplementedError  # the runner's

    async def _report_progress(self, *, force: bool) -> None:
        raise NotImplementedError  # the runner's

    def summary(self) -> MigrationProgressSummary:
        raise NotImplementedError  # the runner's

    # --- the claim gate -------------------------------------------------------------------------------

    def _watch_gate(self) -> asyncio.Task[None] | None:
        """Start the gate's background evaluation (None without a gate)."""
        if self.throttle is None:
            return None
        self._gate, self._gate_ready = PROCEED, asyncio.Event()
        bind = getattr(self.throttle, "bind", None)
        if callable(bind):  # a gate that shares one evaluation among the run's workers
            bind(self.store, self.run_id, self.worker_id, self.lease_seconds)
        task = asyncio.ensure_future(self.throttle.watch(self._on_gate))
        task.add_done_callback(self._on_gate_ended)
        return task

    def _on_gate_ended(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._on_gate(
                GateDecision(GateKind.ABORT, f"the claim gate failed: {error_type_name(exc)}: {exc}")
            )

    def _on_gate(self, decision: GateDecision) -> None:
        """Take the gate's new decision: journal a throttle or its release, and wake or hold the loop."""
        was, self._gate = self._gate, decision
        self._gate_ready.set()
        if decision.holds and not was.holds:
            self._log.warning("run %r: throttled: %s", self.run_id, decision.reason)
            self.telemetry.run_event("throttle.begin", reason=decision.reason or "")
            event = Event(
                EventKind.RUN_THROTTLED,
                at=self.clock.time(),
                reason=decision.reason,
                error_message=decision.snapshot,
                worker_id=self.worker_id,
            )
            self._spawn(self._journal_and_report(event))
        elif was.holds and not decision.holds:
            self._log.info("run %r: throttle released (%s)", self.run_id, decision.kind.value)
            self.telemetry.run_event("throttle.end", decision=decision.kind.value)
            event = self._event(EventKind.RUN_UNTHROTTLED, reason=decision.reason)
            self._spawn(self._journal_and_report(event))
        self._set_phase(self._phase)

    async def _journal_and_report(self, event: Event) -> None:
        await self._link.journal(event)
        await self._report_progress(force=True)  # watchers see the throttle (or its end) at once

    async def _end_throttle(self) -> None:
        """Journal the release of a throttle still on when the run ends here."""
        if self._gate.holds:
            self._gate = PROCEED
            await self._link.journal(self._event(EventKind.RUN_UNTHROTTLED, reason="run ended"))

    async def _unfinished(self) -> int:
        """Return how many items are pending or in progress (before the batch loop starts).

        A worker folding only its own events reads the counters instead; finding nothing left, it reads
        the run's lifecycle events (never the whole journal), so whether the run is completed already is
        the journal's word, as for any runner.
        """
        if not self.own_events_only:
            counts = await self._link.call(self.store.item_counts, self.run_id)
            return counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS]
        counters = await self._refresh_counters()
        if counters.unfinished == 0:
            await self._link.call(self._link.catch_up)
            self._link.drain()
        return counters.unfinished

    async def _refresh_counters(self) -> RunCounters:
        """Read the run's counters (with the minutes the recent rate needs) for the summary."""
        since = self.clock.time() - RECENT_WINDOW - MINUTE
        counters = await self._link.call(self.store.run_counters, self.run_id, since=since)
        self._counters, self._counters_at = counters, self.clock.monotonic()
        self.run_series.add(self.summary(), self.clock.time())  # what the notebooks draw, run-wide
        return counters

    async def _claim_next(self, limit: int) -> Lease | None:
        """Claim the next batch; a worker folding only its own events refreshes its counters when due."""
        lease = await self._link.claim(self.worker_id, limit, self.lease_seconds)
        await self._counters_when_due()
        return lease

    async def _counters_when_due(self) -> None:
        """After a claim: a worker folding only its own events refreshes its counters when they are due."""
        if self.own_events_only and self.clock.monotonic() - self._counters_at >= COUNTERS_EVERY:
            await self._refresh_counters()

    async def _all_finished(self) -> bool:
        """Return True when nothing is pending or in progress; otherwise wait for other workers' leases."""
        if self.own_events_only:
            counts = (await self._refresh_counters()).counts()
        else:
            counts = await self._link.call(self.store.item_counts, self.run_id)
        if counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS] == 0:
            return True
        if counts[FileStatus.PENDING] == 0:
            # Someone else holds the rest: take back what expired or whose worker died, then look again soon.
            if await self._reclaim_dead_workers():
                return False
            await self.clock.sleep(min(1.0, self.lease_seconds / 4))
        return False

    async def _finish(self, kind: EventKind, status: MigrationStatus, reason: str | None) -> None:
        self._status = status
        self._stepped = False
        self._set_phase(Phase.IDLE)  # a later run() starts afresh, not paused
        ctl = self.control
        if status is MigrationStatus.CANCELLED and ctl is not None and ctl.state.cancelled:
            # `control RUN cancel` stops the whole run: one of its workers journals the cancellation.
            await ctl.claim_once(
                "run-cancelled", lambda: self._link.journal(self._event(kind, reason=reason))
            )
            return
        if status is MigrationStatus.CANCELLED:
            workers = await self._link.call(self.store.workers, self.run_id)
            others = other_live_workers(workers, self.worker_id, self.host, self.lease_seconds)
            if others:
                # One worker stopping is not the shared run stopping: the others carry on, so the journal
                # (and every status and report) keeps the run running.
                self._log.info(
                    "run %r: worker %s stopped; %d other worker(s) carry on",
                    self.run_id,
                    self.worker_id,
                    others,
                )
                return
        event = self._event(kind, reason=reason)
        if kind is EventKind.RUN_COMPLETED:
            # Every worker of a shared run gets here; the first to journal the completion is the only one.
            journaled = await self._link.call(self._complete_once, event)
            # The worker chosen to journal it may have died unseen (it looks alive for a lease period):
            # look again until someone has journaled it or this worker is the one, for two lease periods.
            step, waited = min(1.0, self.lease_seconds / 4), 0.0
            while not journaled and not self._link.completed() and waited < 2 * self.lease_seconds:
                await self.clock.sleep(step)
                waited += step
                counts = await self._link.call(self.store.item_counts, self.run_id)
                if counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS]:
                    break  # an expired lease was taken back meanwhile: not done after all, never journal it
                # seen alive meanwhile, so a worker silent for a lease period is told from this one
                await self._link.call(
                    self.store.register_worker, self.run_id, self.worker_id, host=self.host, pid=os.getpid()
                )
                journaled = await self._link.call(self._complete_once, event)
            self._link.drain()
            if not journaled:
                self._log.info("run %r: completed (journaled by another worker)", self.run_id)
                return
        else:
            await self._link.journal(event)
        summary = self.summary()
        self._log.info(
            "run %r: %s (%d succeeded, %d failed, %d skipped of %d)",
            self.run_id,
            status.value,
            summary.succeeded_files,
            summary.failed_files,
            summary.skipped_files,
            summary.total_files,
        )

    def _complete_once(self, event: Event) -> bool:
        """On the store thread: journal RUN_COMPLETED if this worker is the one to (``should_complete``)."""

        def stand_in(closer: str | None) -> bool:
            workers = self.store.workers(self.run_id)
            return completer_in_place_of(closer, workers, self.worker_id, self.host, self.lease_seconds)

        if not self._link.should_complete(self.worker_id, stand_in):
            return False
        self.store.append(self.run_id, [event])
        self._link.tail()
        return True

    # --- preparing ------------------------------------------------------------------------------------

    async def _prepare(self) -> None:
        if not self.own_events_only:
            if await self._link.call(self._large_run):
                self._follow_own_events("resuming a run")
            elif await asyncio.to_thread(operator.length_hint, self.source, -1) > self._lean_above():
                self._follow_own_events("creating it from a source")
        params: dict[str, Any] = {
            "batch_size": self.batch_size,
            "concurrency": self.concurrency,
            "item_timeout": self.item_timeout,
            "max_attempts": self.retry.max_attempts,
        }
        created_in = current_trace_context()
        if created_in:  # workers elsewhere link their run spans to the trace that created the run
            params[TRACE_CONTEXT_PARAM] = created_in
        record = RunRecord(
            run_id=self.run_id,
            name=self.name,
            priority=self.priority.value,
            source=self.source.identity,
            function=self.function_id,
            created_at=self.clock.time(),
            params={**params, **self.extra_params},
            operator=current_operator(),
            origin=current_origin(),
            correlation_id=get_correlation_id() or "",
        )
        added = await self._add_source(record)
        await self._link.write(
            self.store.register_worker, self.run_id, self.worker_id, host=self.host, pid=os.getpid()
        )
        requeued = await self._reclaim_dead_workers()
        self._prepared = True
        self._log.info(
            "run %r: %d new item(s) added, %d reclaimed from dead workers", self.run_id, added, requeued
        )

    async def _add_source(self, record: RunRecord) -> int:
        """Create (or reopen) the run with the source's first chunk, add the rest; return how many were new.

        Created with the first chunk (one transaction): a source that fails on its first read leaves no
        run behind. A runner tracking the run in full becomes lean as soon as the run holds more than its
        size (``_lean_above``): the rest of the items are added without being folded.
        """
        if self.own_events_only:
            return await self._link.create_and_add_all(record, self.source, self.clock)
        limit = self._lean_above()
        items = iter(self.source)  # one pass, shared by both calls below

        def past() -> bool:
            return self.tracker.total_files > limit

        added = await self._link.create_and_add_all(record, items, self.clock, until=past)
        if past():
            self._log.info(
                "run %r: more than %d items: following the store's counters from here; the rest of the "
                "items are added without tracking each",
                self.run_id,
                limit,
            )
            await self._link.follow_own_from_here(self.worker_id)
            self._become_lean()
            added += await self._link.add_all(items, self.clock)
        return added

    def _lean_above(self) -> int:
        """Return the run size past which this runner folds only its own events."""
        given = self.follow_counters_above
        return FOLLOW_COUNTERS_ABOVE if given is None else given

    def _large_run(self) -> bool:
        """On the store thread: whether the run exists with more items than ``_lean_above()``.

        Raises:
            UnknownEventKindError: a large run's journal holds a kind this version lacks (what a replay
                would have refused is refused here, as ``join_run`` does).
        """
        try:
            large = self.store.run_counters(self.run_id).total > self._lean_above()
        except RunNotFoundError:
            return False
        if large:
            self.store.check_event_kinds(self.run_id)
        return large

    def _follow_own_events(self, why: str) -> None:
        """Fold only this runner's events from now on, into a lean tracker; the run's figures are counted
        by the store. Only before anything was read: the tracker starts afresh.

        Args:
            why: what makes the run large (logged).
        """
        self._log.info(
            "run %r: %s of more than %d items: following the store's counters, not tracking each item",
            self.run_id,
            why,
            self._lean_above(),
        )
        self._link.follow_own(self.worker_id)
        self._become_lean()

    def _become_lean(self) -> None:
        """Fold into a fresh lean tracker from now on (the link follows this worker's events already)."""
        self.own_events_only = True
        self.tracker = self._new_tracker()
        self._forget_at = 0

    def _forget_finished(self) -> None:
        """Drop a worker's finished items from its tracker (counted still): it holds what it works."""
        self.tracker.forget_finished()
        self._forget_at = len(self.tracker) + FORGET_EVERY

    async def _reclaim_dead_workers(self) -> int:
        requeued = 0
        workers = await self._link.call(self.store.workers, self.run_id)
        for worker_id in dead_workers_on_host(workers, self.worker_id, self.host):
            requeued += await self._link.write(self.store.reclaim, self.run_id, worker_id=worker_id)
        requeued += await self._link.write(self.store.reclaim, self.run_id)
        return requeued

    async def _dry_run(self) -> MigrationProgressSummary:
        """Summarize what a real run would do, writing nothing.

        Lean (a tracker of key hashes, the run's counts from the store) for a run or a source larger than
        ``_lean_above()``, as a real run would be.
        """
        at = self.clock.time()
        lean_above = self._lean_above()
        large = await self._link.call(self._large_run) or (
            await asyncio.to_thread(operator.length_hint, self.source, -1) > lean_above
        )
        tracker = self._new_tracker()
        if large and not self.own_events_only:
            self.own_events_only = True  # the tracker holds hashes, not keys, as a lean runner's does
            tracker = self._new_tracker()
        found = await dry_run(
            self._link, self.source, self.function_id, tracker, at, self._log, lean_above=lean_above
        )
        self.tracker, self._counters = found.tracker, found.counters
        return self.summary()
