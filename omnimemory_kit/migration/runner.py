"""The migration runner: run a migration function over work items, durably, resumably, under control.

    runner = MigrationRunner(open_store("sqlite:///run.db"), "tools-2026", DirectorySource("legacy"),
                             migrate_tool, batch_size=100, concurrency=8, item_timeout=30)
    summary = await runner.run()          # or run_sync(runner.run()) from a script

Flow: create (or reopen) the run, add the source's items (idempotent, streamed in chunks), take back
work a crashed process left in progress, then claim a batch under a lease, run its items under the
concurrency limit, report outcomes to the store in small durable batches while heartbeating the lease,
and release the lease with BATCH_CLOSED.

Seams (each its own module; this one orchestrates them and owns the run's phase and controls):
    - ``store_link``: every store call, on one thread, and the rule "fold only what is durable, in order":
      ``runner.tracker`` is always a replay of what the store acknowledged. An item counts as done only
      once the store acknowledged its outcome; a crash loses at most outcomes not yet reported, and those
      items are in progress under a lease that the next run takes back (FILE_INTERRUPTED) and runs again.
    - ``attempt``: one item to its outcome (skip, retry with backoff, timeout, breaker, sync or async
      call), with no store; ``calls`` and ``isolation``: where a sync function runs (owned threads with
      stuck-slot accounting, or killable processes).
    - ``batch``: a leased batch's heartbeat, background reports and close; ``worker_liveness``: which
      of a shared run's workers are alive; ``dry_run``; ``options``: the checked arguments.
    - ``telemetry`` and ``metrics``: OpenTelemetry spans and Prometheus numbers, fed here at the seams
      (the run, a batch's claim and close, each attempt, each durable fold); no-ops unless asked for.
    - the runner's halves, mixed in: ``runner_control`` (live settings, the control link, finalize
      once), ``runner_lifecycle`` (preparing, the claim gate's wiring, finishing), ``runner_batches``
      (claiming a batch, ahead too; a batch's item workers, where sync calls run), ``runner_progress``
      (``on_progress`` and the metrics), ``runner_validation`` (each batch checked within its lease,
      ``validate=``); ``runner_phase``: the run's ``Phase``.
    - here: the controls that move the phase, the batch loop, the breaker listener.

Decisions:
    - The migration function receives a ``MigrationItem`` (``key``, ``size``, ``path``) and may return
      anything (ignored). Raising ``SkipItem(reason)`` skips the item; any other exception fails the
      attempt. Async functions run on the loop; sync functions run on threads the runner owns (or, with
      ``isolate="process"``, in worker processes), never blocking it.
    - While the breaker is open, items wait (on the clock) until it admits calls again: no attempt is
      used up. BREAKER_OPENED / BREAKER_CLOSED are journaled so that time is excluded from rates.
    - ``pause()`` stops starting items (in-flight ones finish, the lease is kept alive); a pause asked
      before ``run()`` holds until ``resume()``. ``step()`` runs one batch and leaves the run paused;
      a later ``run()`` resumes it and runs to the end. ``cancel()`` stops starting items, lets in-flight
      ones finish, releases the rest of the batch back to pending and journals RUN_CANCELLED. Cancelling
      the task running ``run()`` does the same, abruptly.
    - A store outage (server down, no pooled connection, file locked, disk full) is ridden out for
      ``outage_timeout`` (``store_link`` and ``outage``): no claims meanwhile, outcomes wait in memory.
    - With ``throttle=`` (a ``ClaimGate``, e.g. a ``HealthThrottle``), the gate's decision is consulted
      between claims: while it holds, nothing is claimed and no item starts (in-flight ones finish);
      RUN_THROTTLED / RUN_UNTHROTTLED are journaled so that time is excluded from rates; ``slow`` lowers
      the items in flight or waits before each claim; ``abort`` fails the run (``ThrottleAbortError``).
    - A run shared by several workers is journaled completed once, by the worker that closed its last
      batch (``StoreLink.should_complete``); the others finish quietly.
    - Dry run writes nothing: it checks the run's identity, enumerates the source and returns a summary
      of what a real run would face (items already recorded keep their state, new ones are pending).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Tracer

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    MigrationError,
    StoreUnavailableError,
    ThrottleAbortError,
)
from omnimemory_kit.events import (
    FINISHED_RUN_STATUSES,
    Event,
    EventKind,
    ItemRun,
    MigrationPriority,
    MigrationStatus,
    error_type_name,
)
from omnimemory_kit.migration.attempt import Attempts, SkipItem, SyncCalls, is_async_function
from omnimemory_kit.migration.batch import LeasedBatch
from omnimemory_kit.migration.control_link import ControlLink
from omnimemory_kit.migration.loader import function_identity
from omnimemory_kit.migration.options import (
    Isolation,
    coerce_source,
    default_batch_size,
    isolation,
    non_negative_int,
    positive_int,
    seconds,
)
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT
from omnimemory_kit.migration.rates import EtaUnavailableReason
from omnimemory_kit.migration.run_series import RunSeries
from omnimemory_kit.migration.run_totals import with_run_totals
from omnimemory_kit.migration.runner_lifecycle import RunLifecycle
from omnimemory_kit.migration.runner_phase import HOLDING, Phase
from omnimemory_kit.migration.runner_progress import ProgressReports
from omnimemory_kit.migration.runner_validation import CHECK_TIMEOUT, PipelinedValidation
from omnimemory_kit.migration.sources import MigrationItem, WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.telemetry import (
    BatchTrace,
    RunTelemetry,
)
from omnimemory_kit.migration.throttle import PROCEED, ClaimGate, GateDecision, GateKind, throttle_reason
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.observability import correlation_context
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig, CircuitState, RetryPolicy
from omnimemory_kit.store.base import JournalStore, WorkItem, check_run_id

if TYPE_CHECKING:  # prometheus_client is imported only by those who ask for metrics
    import pandas as pd

    from omnimemory_kit.migration.metrics import RunMetrics

__all__ = ["Isolation", "MigrationRunner", "ProgressCallback", "SkipItem", "default_batch_size"]

logger = logging.getLogger("omnimemory_kit.migration")

ProgressCallback = Callable[[MigrationProgressSummary], object]
"""``on_progress(summary)``; if it returns an awaitable, that is awaited. Errors are logged, not raised."""


class MigrationRunner(ProgressReports, PipelinedValidation, RunLifecycle):
    """Run ``migrate_fn`` over every item of ``source``, journaled in ``store`` under ``run_id``.

    The first ``run()`` reads ``source`` into the store before any item runs, ``store_link.ADD_CHUNK``
    items per transaction. A new run is created in the same transaction as its first chunk: a source that
    fails within its first chunk (a bad manifest line, a listing that raises) leaves no run behind, while
    one failing later leaves the run with the chunks read before, and running again adds the rest.
    ``prepare_run`` records a whole source or nothing at all.

    Args:
        store: the journal (SQLite or PostgreSQL); used from a worker thread, never on the loop.
        run_id: the run to create or continue; running again with the same id resumes it.
        source: a ``WorkSource``, a directory or manifest path, or an iterable of keys / ``WorkItem``.
        migrate_fn: ``fn(item: MigrationItem) -> Any``, sync or async; raise ``SkipItem`` to skip.
        name: the run's display name (default: the run id).
        priority: recorded with the run.
        function_id: the function's identity for ``RunMismatchError`` (default ``module:qualname``).
        batch_size: items per lease (≥ 1), or None (the default) to choose from ``concurrency``:
            ``default_batch_size(concurrency)``, 16 items per slot within 100..1,000 (1,000 at
            concurrency 64). Each batch costs a few store transactions, so many tiny items want big
            batches (about 1,000); few slow items want small ones, so the tail of a run spreads over
            workers and a crash re-runs less.
        concurrency: items in flight at once (≥ 1).
        item_timeout: seconds per attempt, or None for no limit.
        retry: when to retry a failed attempt (default: 3 attempts, exponential backoff with jitter).
        breaker: a breaker around every call, or a config to build one, or None for none.
        dry_run: enumerate and summarize without calling the function or writing to the store.
        lease_seconds: how long a claimed batch is held between heartbeats.
        max_requeues: how often ``retry_failed()`` may requeue the same failed item.
        progress_interval: at most one ``on_progress`` call per this many seconds (plus one per batch).
        flush_size: outcomes buffered before a durable report (default: from batch size and concurrency).
        flush_interval: seconds after which buffered outcomes are reported even if few.
        clock: time source for timeouts, backoff, heartbeats and event timestamps.
        on_progress: called with a fresh summary while the run progresses.
        worker_id: this runner's id in the store (default ``host:pid:token``).
        isolate: where a sync ``migrate_fn`` runs: ``"thread"`` (default; a call that times out keeps
            its thread, reported as stuck and replaced, a bounded number of times) or ``"process"`` (a
            pool of worker processes; a call that times out is killed with its process, which is
            replaced). ``"process"`` needs a function importable by name (``module:function`` or
            ``file.py:function``); the item crosses the process boundary pickled.
        outage_timeout: seconds to ride out a store outage before failing with ``StoreUnavailableError``
            (default 10 minutes; 0 fails at once). Meanwhile no batch is claimed, items already claimed
            run on, their outcomes wait in memory and are reported once the store is back (rejected, and
            the items run again, if the lease expired meanwhile).
        tracer: where the run's spans go (default: the global OpenTelemetry provider, a no-op without
            an SDK); see ``migration.telemetry``.
        trace_items: a span per item (True), for a share of items (a ratio from 0 to 1), or none.
        trace_context: the W3C trace context the run was created in (``join_run`` passes the recorded
            one); the run span links to it. A run this runner creates records its own.
        metrics: Prometheus metrics to feed (``RunMetrics``; serve them with ``MetricsServer``).
        finalize: ``fn()`` (sync or async) run once, however many workers share the run, after every
            item is done and before the run completes (the cut-over); recorded done once but run at
            least once (a worker dying in it leaves it to another: make it idempotent).
        approve_before_finalize: a gate name (``"cut-over"``): the run waits, "awaiting approval", until
            ``RunControl.approve(gate, by=...)`` (or ``omnimemory-kit control RUN approve GATE --by NAME``).
        throttle_file: no new items start while this file exists (in-flight ones finish).
        panic_file: when this file appears, stop claiming at once; in-flight items finish (``panicked``).
        follow_control: obey the run's control commands (``RunControl``) between claims.
        throttle: a ``ClaimGate`` consulted between claims (a ``HealthThrottle`` gates the run on health
            checks and host load), or None.
        params: more settings to record with a new run (e.g. ``{"validate": "module:function"}``, the
            function ``omnimemory-kit validate`` checks the run with).
        validate: ``fn(item)`` checking each succeeded item after its batch (``runner_validation``).
        check_timeout: seconds each of those checks may take (default ``CHECK_TIMEOUT``, 60 s; None: no
            limit); one past it is its item's error.
        own_events_only: fold only this worker's events into ``tracker`` (``join_run`` sets it: a run
            shared by workers); ``summary()`` then takes the run's counts and ETA from the store's counters,
            and the tracker keeps hashes of its items' keys, not the keys (``keep_paths=False``).
        follow_counters_above: a run of more items than this is worked as ``own_events_only`` says, so
            the runner's memory does not grow with the run: when resuming it (rather than replay its whole
            journal), when creating it from a source that tells its size (a list, a manifest), and
            otherwise from the moment its additions cross it. None (the default): the module's
            ``FOLLOW_COUNTERS_ABOVE`` (100,000). A run at most this large is tracked in full, every item
            listed (``tracker.to_dataframe()``).

    Raises:
        ConfigError: an argument is invalid (the message names it).
    """

    def __init__(
        self,
        store: JournalStore,
        run_id: str,
        source: WorkSource | str | os.PathLike[str] | Iterable[str | WorkItem | MigrationItem],
        migrate_fn: Callable[[MigrationItem], Any],
        *,
        name: str | None = None,
        priority: MigrationPriority | str = MigrationPriority.NORMAL,
        function_id: str | None = None,
        batch_size: int | None = None,
        concurrency: int = 8,
        item_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreakerConfig | AsyncCircuitBreaker | None = None,
        dry_run: bool = False,
        lease_seconds: float = 60.0,
        max_requeues: int = 3,
        progress_interval: float = 0.5,
        flush_size: int | None = None,
        flush_interval: float = 0.2,
        clock: Clock = SYSTEM_CLOCK,
        on_progress: ProgressCallback | None = None,
        worker_id: str | None = None,
        isolate: Isolation = "thread",
        outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        tracer: Tracer | None = None,
        trace_items: bool | float = False,
        trace_context: Mapping[str, str] | None = None,
        metrics: RunMetrics | None = None,
        finalize: Callable[[], Any] | None = None,
        approve_before_finalize: str | None = None,
        throttle_file: str | os.PathLike[str] | None = None,
        panic_file: str | os.PathLike[str] | None = None,
        follow_control: bool = True,
        throttle: ClaimGate | None = None,
        params: Mapping[str, Any] | None = None,
        validate: Callable[[MigrationItem], Any] | None = None,
        check_timeout: float | None = CHECK_TIMEOUT,
        own_events_only: bool = False,
        follow_counters_above: int | None = None,
    ) -> None:
        if not isinstance(store, JournalStore):
            raise ConfigError(f"store must be a JournalStore (see open_store), not {type(store).__name__}")
        if not isinstance(run_id, str) or not run_id.strip() or len(run_id) > 200:
            raise ConfigError(f"run_id must be a non-empty string of at most 200 characters, not {run_id!r}")
        check_run_id(run_id)
        if not callable(migrate_fn):
            raise ConfigError(f"migrate_fn must be callable, not {type(migrate_fn).__name__}")
        if on_progress is not None and not callable(on_progress):
            raise ConfigError(f"on_progress must be callable, not {type(on_progress).__name__}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        isolate = isolation(isolate)
        if throttle is not None and not isinstance(throttle, ClaimGate):
            raise ConfigError(
                f"throttle must be a ClaimGate (e.g. a HealthThrottle), not {type(throttle).__name__}"
            )
        if isinstance(max_requeues, bool) or not isinstance(max_requeues, int) or max_requeues < 0:
            raise ConfigError(f"max_requeues must be a whole number of at least 0, not {max_requeues!r}")
        try:
            self.priority = MigrationPriority(priority)
        except ValueError:
            choices = ", ".join(p.value for p in MigrationPriority)
            raise ConfigError(f"priority must be one of {choices}, not {priority!r}") from None
        self.store = store
        self.run_id = run_id
        self.source = coerce_source(source)
        self.migrate_fn = migrate_fn
        self.extra_params = dict(params or {})
        self._init_validation(validate, check_timeout)
        self.name = name or run_id
        self.function_id = function_id or function_identity(migrate_fn)
        self.concurrency = positive_int("concurrency", concurrency)
        self.batch_size = (
            default_batch_size(self.concurrency)
            if batch_size is None
            else positive_int("batch_size", batch_size)
        )
        self.item_timeout = None if item_timeout is None else seconds("item_timeout", item_timeout)
        self.lease_seconds = seconds("lease_seconds", lease_seconds)
        self.progress_interval = seconds("progress_interval", progress_interval, allow_zero=True)
        self.flush_interval = seconds("flush_interval", flush_interval, allow_zero=True)
        # By default a batch's outcomes go to the store with its release (plus every flush_interval, so
        # slow items still show progress): one transaction per batch for fast items.
        self.flush_size = (
            min(self.batch_size, 1024) if flush_size is None else positive_int("flush_size", flush_size)
        )
        self.max_requeues = max_requeues
        self.retry = (
            retry if retry is not None else RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=30.0)
        )
        if breaker is None or isinstance(breaker, AsyncCircuitBreaker):
            self.breaker = breaker
        elif isinstance(breaker, CircuitBreakerConfig):
            self.breaker = AsyncCircuitBreaker(f"migration:{run_id}", breaker, clock=clock)
        else:
            raise ConfigError(
                "breaker must be a CircuitBreakerConfig, an AsyncCircuitBreaker or None, "
                f"not {type(breaker).__name__}"
            )
        self.dry_run = bool(dry_run)
        self.clock = clock
        self.on_progress = on_progress
        self.host = socket.gethostname()
        self.worker_id = worker_id or f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"
        self.isolate: Isolation = isolate
        if finalize is not None and not callable(finalize):
            raise ConfigError(f"finalize must be callable, not {type(finalize).__name__}")
        if approve_before_finalize is not None and finalize is None:
            raise ConfigError("approve_before_finalize needs a finalize function to hold")
        self.finalize = finalize
        self.approve_before_finalize = approve_before_finalize
        self.throttle_file, self.panic_file = throttle_file, panic_file
        self.follow_control = follow_control
        self.control: ControlLink | None = None
        self._retries_done = 0
        self._control_seq_traced = 0
        self._is_async = is_async_function(migrate_fn)
        if isolate == "process" and not self._is_async:
            from omnimemory_kit.migration.isolation import check_importable

            check_importable(migrate_fn)
        self.own_events_only = own_events_only
        if follow_counters_above is not None:
            non_negative_int("follow_counters_above", follow_counters_above)
        self.follow_counters_above = follow_counters_above
        self.tracker = self._new_tracker()
        self._log = logging.LoggerAdapter(logger, {"run_id": run_id})
        self.telemetry = RunTelemetry(run_id, self.worker_id, tracer=tracer, trace_items=trace_items)
        self._trace_context = dict(trace_context) if trace_context else None
        self.metrics = metrics
        if metrics is not None:
            metrics.attach(run_id, self.worker_id, lambda: self._in_flight)
        self._link = StoreLink(
            store,
            run_id,
            self._fold if metrics is None else self._fold_counted,
            outage_timeout=outage_timeout,
            clock=clock,
            on_outage=self._on_outage,
            own_events_of=self.worker_id if own_events_only else None,
            fold_run=self._fold_item_run,
        )
        self._counters, self._counters_at = None, -math.inf
        self.run_series = RunSeries()  # the run's progress while own_events_only (progress_dataframe)
        self._forget_at = 0  # how many items a worker's tracker holds when it next forgets its finished ones

        # Run state (touched on the loop thread only).
        self._prepared = False
        self._running = False  # run() or step() is executing
        self._phase = Phase.IDLE
        self._stepped = False  # step() left the run paused: run() resumes it (RUN_RESUMED)
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._step_batches: int | None = None
        self._step_done: asyncio.Future[None] | None = None
        self._status: MigrationStatus = MigrationStatus.PENDING
        self._breaker_open = False
        self._last_progress = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync_calls: SyncCalls | None = None
        self._attempts: Attempts | None = None
        self._in_flight = 0
        self._batch_workers = 0
        self._background: set[asyncio.Future[Any]] = set()
        self._batch_traces: dict[str, BatchTrace] = {}
        self.throttle = throttle
        self._gate: GateDecision = PROCEED  # the gate's last decision (PROCEED without a gate)
        self._gate_ready = asyncio.Event()
        if self.breaker is not None:
            self.breaker.add_listener(self._on_breaker_change)

    # --- public controls ------------------------------------------------------------------------------

    @property
    def status(self) -> MigrationStatus:
        """Return the run's status as this runner sees it (pending before the first ``run()``)."""
        return self._status

    @property
    def paused(self) -> bool:
        """Return whether the runner is paused (no new items start)."""
        return self._phase in HOLDING

    @property
    def store_calls_in_flight(self) -> int:
        """Return how many store calls are running on the store thread right now."""
        return self._link.calls_in_flight

    async def store_idle(self) -> None:
        """Wait until no store call is in flight (at once when none is)."""
        await self._link.idle()

    @property
    def stuck_calls(self) -> int:
        """Return how many sync calls timed out and still hold their thread (0 with process isolation)."""
        calls = self._sync_calls
        return 0 if calls is None else calls.stuck

    @property
    def panicked(self) -> bool:
        """Whether a panic (command or file) stopped this runner: the CLI then exits non-zero."""
        return self.control is not None and self.control.panicked

    @property
    def running(self) -> bool:
        """Return whether ``run()`` or ``step()`` is executing."""
        return self._running

    @property
    def store_unavailable_since(self) -> float | None:
        """Return since when (epoch seconds) the store has been unreachable, or None while it answers."""
        return self._link.outage.unavailable_since

    def summary(self) -> MigrationProgressSummary:
        """Return the tracker's current summary (a frozen snapshot of what is durable).

        While the store is unreachable (the runner rides the outage out), ``store_unavailable_since``
        says since when.
        """
        summary = self.tracker.get_progress_summary()
        if self._counters is not None:  # a worker folding only its own events: the run's figures
            summary = with_run_totals(summary, self._counters, self.clock.time())
        summary = summary.model_copy(update=self._control_fields())
        since = self._link.outage.unavailable_since
        if since is not None:
            summary = summary.model_copy(
                update={"store_unavailable_since": datetime.fromtimestamp(since, UTC)}
            )
        summary = self._with_validation(summary)
        manual = self.control.throttle_reason if self.control is not None else None
        if manual is not None and summary.status is MigrationStatus.RUNNING:
            # an operator's throttle holds claims like a health one: the ETA gives way to the reason
            summary = summary.model_copy(
                update={
                    "throttle_reason": throttle_reason(summary.throttle_reason, manual),
                    "eta_seconds": None,
                    "eta_low_seconds": None,
                    "eta_high_seconds": None,
                    "estimated_completion_at": None,
                    "eta_unavailable_reason": EtaUnavailableReason.THROTTLED,
                }
            )
        return summary

    def progress_dataframe(self) -> pd.DataFrame:
        """Return the run's progress time series, in ``tracker.progress_dataframe()``'s columns.

        The tracker's own, unless the runner folds only its own events (``own_events_only``): its tracker
        then counts only this worker's items, so the run's series comes from the summaries built from the
        store's counters, one row per refresh (about once a second while it claims).
        """
        if self.own_events_only:
            return self.run_series.to_dataframe()
        return self.tracker.progress_dataframe()

    async def run(self) -> MigrationProgressSummary:
        """Run (or resume) the migration until every item is finished, it is cancelled, or it fails.

        After ``step()`` this resumes the run and runs it to the end.

        Returns:
            The final summary.

        Raises:
            MigrationError: the runner is already running.
            RunMismatchError: the run id exists with a different source or function.
            StoreError: the store failed (the run is journaled RUN_FAILED when the store still works).
        """
        if self._stepped and self._phase is Phase.PAUSED:
            self._set_phase(Phase.IDLE)  # the step's pause ends here: the loop journals RUN_RESUMED
        return await self._drive(None)

    async def step(self) -> MigrationProgressSummary:
        """Run exactly one batch, then pause; return the summary after it.

        Works whether or not ``run()`` is executing: while it is (paused or not), the next batch it runs
        is the step and it pauses afterwards; otherwise the step runs here.
        """
        if self._running:
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()
            self._step_batches, self._step_done = 1, done
            self.resume()
            await done
            return self.summary()
        self._step_batches = 1
        if self._phase in HOLDING:
            self._set_phase(Phase.IDLE)
        return await self._drive(1)

    def pause(self) -> None:
        """Stop starting new items (in-flight ones finish); journaled RUN_PAUSED. Call on the loop thread."""
        if self._phase in HOLDING or self._status in FINISHED_RUN_STATUSES:
            return
        if self._phase is Phase.RUNNING:
            self._set_phase(Phase.PAUSED)
            self.telemetry.run_event("control.pause")
            self._spawn(self._journal_pause())
        elif self._phase is Phase.IDLE:  # the batch loop journals it when it starts
            self._set_phase(Phase.HELD)

    def resume(self) -> None:
        """Start items again after ``pause()``; journaled as RUN_RESUMED. Call on the loop thread."""
        if self._phase is Phase.HELD:
            self._set_phase(Phase.IDLE)
        elif self._phase is Phase.PAUSED:
            self._stepped = False
            if self._running:
                self._set_phase(Phase.RUNNING)
                self.telemetry.run_event("control.resume")
                self._status = MigrationStatus.RUNNING
                self._spawn(self._link.journal(self._event(EventKind.RUN_RESUMED)))
            else:  # paused by a finished step(): the next run() journals RUN_RESUMED
                self._stepped = True
                self._set_phase(Phase.IDLE)

    def cancel(self) -> None:
        """Stop: start no new items, let in-flight ones finish, requeue the rest, journal RUN_CANCELLED.

        On a run shared with other live workers only this worker stops: the run is not journaled cancelled.

        ``run()`` then returns the summary. Nothing acknowledged is lost; unstarted items stay pending
        for a later run with the same id. Safe to call from a signal handler on the loop thread.
        """
        if self._running:
            self._set_phase(Phase.CANCELLING)
            self.telemetry.run_event("control.cancel")

    async def retry_failed(self) -> int:
        """Requeue failed items (each at most ``max_requeues`` times); return how many were requeued.

        The requeued items run on the next ``run()`` (or the current one, if it is still claiming).
        """
        if self.dry_run:
            raise MigrationError("a dry run writes nothing: retry_failed() needs a real run")
        self._ensure_loop_state()
        async with self._session():
            if not self._prepared:
                await self._prepare()
            keys = [
                key
                for key in self._failed_keys()
                if self.tracker.get_file_info(key).requeues < self.max_requeues
            ]
            if not keys:
                return 0
            at = self.clock.time()
            events = [
                Event(
                    EventKind.FILE_RETRIED, at=at, path=key, reason="retry_failed", worker_id=self.worker_id
                )
                for key in keys
            ]
            await self._link.append(events)
            if self._status in FINISHED_RUN_STATUSES:
                self._status = MigrationStatus.PENDING
            self._log.info("run %r: requeued %d failed item(s)", self.run_id, len(keys))
            return len(keys)

    # --- driving --------------------------------------------------------------------------------------

    async def _drive(self, batches: int | None) -> MigrationProgressSummary:
        if self._running:
            raise MigrationError(f"runner for run {self.run_id!r} is already running")
        self._ensure_loop_state()
        self._running = True
        self._link.outage.reset()  # a run after one that gave up tries the store again
        try:
            with self._run_context():
                async with self._session():
                    if self.dry_run:
                        return await self._dry_run()
                    if not self._prepared:
                        await self._prepare()
                    return await self._loop_batches(batches)
        finally:
            self._running = False
            if self._phase in (Phase.RUNNING, Phase.CANCELLING):  # ended abruptly (task cancelled)
                self._set_phase(Phase.IDLE)
            self._step_batches = None
            self._wake_step()

    @contextlib.contextmanager
    def _run_context(self) -> Iterator[None]:
        """Enter the context the whole run executes in: a correlation scope binding ``run_id``, and the
        run execution's span.

        Every log record of the run carries the run id and a correlation id (inherited from an outer
        ``correlation_context`` or generated), and with an SDK the trace and span ids, including records
        from the migration function: tasks inherit contextvars and they are carried into its worker threads.
        """
        with (
            correlation_context(operation="migration", run_id=self.run_id, worker_id=self.worker_id),
            self.telemetry.run_span(self._trace_context),
        ):
            yield

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[None]:
        """Open the store link (and, for a sync function, its calls) for the block; close what it opened."""
        async with self._link.session() as owned:
            if owned and not self._is_async:
                self._sync_calls = self._new_sync_calls()
            if owned:
                self._attempts = Attempts(
                    self.migrate_fn,
                    self._sync_calls,
                    retry=self.retry,
                    breaker=self.breaker,
                    timeout=self.item_timeout,
                    clock=self.clock,
                    worker_id=self.worker_id,
                    observe=None if self.metrics is None else self.metrics.attempt,
                )
            try:
                yield
            finally:
                if owned:
                    # Journal writes started by pause()/resume()/the breaker listener finish before closing.
                    while self._background:
                        await asyncio.gather(*self._background, return_exceptions=True)
                    calls, self._sync_calls = self._sync_calls, None
                    if calls is not None:
                        calls.close()

    async def _loop_batches(self, batches: int | None) -> MigrationProgressSummary:
        unfinished = await self._unfinished()
        if unfinished == 0 and self.tracker.status is MigrationStatus.COMPLETED and not self.paused:
            self._status = MigrationStatus.COMPLETED
            self._log.info("run %r: already completed, nothing to do", self.run_id)
            return self.summary()
        # RUN_RESUMED continues after step() or pause() in this process. Nothing is journaled when another
        # worker completed the run meanwhile: this one would reopen it, and the run would end twice.
        start = EventKind.RUN_RESUMED if self._stepped else EventKind.RUN_STARTED
        self._stepped = False
        if not await self._link.journal_start(self._event(start)):
            self._status = MigrationStatus.COMPLETED
            self._log.info("run %r: completed by another worker meanwhile, nothing to do", self.run_id)
            return self.summary()
        self._status = MigrationStatus.RUNNING
        if self._phase is Phase.IDLE:
            self._set_phase(Phase.RUNNING)
        # else: held by pause() (the loop below journals it) or cancelled while preparing
        self._log.info(
            "run %r: started as worker %s (%d unfinished item(s))", self.run_id, self.worker_id, unfinished
        )
        if self.follow_control:
            await self._start_control()
        await self._start_validation()
        # Store work overlaps item work both ways: the last batch is closed (outcomes reported, lease
        # released) on the store thread while the next one runs (at most two closes in flight: the one before
        # is awaited once the next is on its way), and a batch is kept claimed ahead, so a batch of fast items
        # never waits for its claim. The first batch ahead is claimed once half of the first batch's items
        # started; from then on each close claims the batch after the one ahead (``queued``) in its own
        # transaction: one commit per batch boundary. A batch claimed ahead runs only if the loop would have
        # claimed it then; otherwise (paused, cancelled, throttled, stepping) it is given back: released, its
        # items pending again.
        closing: asyncio.Future[LeasedBatch | bool | None] | None = None
        ahead: asyncio.Future[LeasedBatch | bool | None] | None = None
        ahead_closes = False  # whether ``ahead`` is a close claiming it (never cancelled)
        queued: asyncio.Future[LeasedBatch | bool | None] | None = None  # a close claiming the one after
        running: LeasedBatch | None = None  # the batch the claim ahead waits on
        may_claim_ahead = functools.partial(self._may_claim_ahead, batches)
        watch = self._watch_gate()
        try:
            if watch is not None:
                await self._gate_ready.wait()  # the first evaluation decides the first claim
            while True:
                phase = self._phase
                if running is not None and not may_claim_ahead():
                    if queued is not None:
                        await self._give_back(queued, running, closes=True)
                        queued = None
                    if ahead is not None:
                        await self._give_back(ahead, running, closes=ahead_closes)
                        ahead = None
                if closing is not None and (phase is not Phase.RUNNING or self._gate.holds):
                    await closing
                    closing = None
                if phase is Phase.CANCELLING:
                    await self._end_throttle()
                    await self._finish(EventKind.RUN_CANCELLED, MigrationStatus.CANCELLED, "cancelled")
                    break
                if phase in HOLDING:
                    if batches is not None:
                        break
                    if phase is Phase.HELD:
                        self._set_phase(Phase.PAUSED)
                        await self._journal_pause()
                    await self._resumed.wait()
                    continue
                ctl = self.control
                if ctl is not None and not ctl.claims_allowed():
                    if ctl.panicked or ctl.state.cancelled:
                        self._set_phase(Phase.CANCELLING)
                    else:
                        await ctl.wait_for_change()
                    continue
                gate = self._gate
                if gate.kind is GateKind.ABORT:
                    raise ThrottleAbortError(self.run_id, gate.reason or "the claim gate said abort")
                if gate.holds:
                    await self._resumed.wait()
                    continue
                claimed: LeasedBatch | bool | None = False
                if ahead is not None:
                    claimed, ahead = await ahead, None
                    ahead, ahead_closes, queued = queued, queued is not None, None
                if claimed is False:
                    if gate.delay:
                        await self.clock.sleep(gate.delay)
                    claimed = await self._claim_batch()
                if not isinstance(claimed, LeasedBatch):
                    if closing is not None:
                        await closing
                        closing = None
                    if ahead is not None:  # the close after it claimed (items it gave back, perhaps)
                        continue
                    if await self._all_finished():
                        await self._end_throttle()
                        if not await self._finalize():
                            self._set_phase(Phase.CANCELLING)
                            continue
                        await self._finish(EventKind.RUN_COMPLETED, MigrationStatus.COMPLETED, None)
                        break
                    continue
                if ahead is None and may_claim_ahead():
                    ahead, ahead_closes = (
                        asyncio.ensure_future(self._claim_ahead(claimed, may_claim_ahead)),
                        False,
                    )
                running = claimed
                batch = await self._run_batch(claimed)
                # the close claims the batch after the one ahead (or the next, when none is ahead); it is
                # queued on the store thread before the last close's events are folded, so the store
                # thread goes straight on to it while the loop folds
                claim_next = may_claim_ahead()
                last_close, closing = closing, asyncio.ensure_future(self._close_batch(batch, claim_next))
                if claim_next:
                    if ahead is None:
                        ahead, ahead_closes = closing, True
                    else:
                        queued = closing
                if last_close is not None:
                    await last_close
                if self._step_batches is not None:
                    await closing
                    closing = None
                    self._step_batches -= 1
                    if self._step_batches <= 0:
                        self._step_batches = None
                        if self._phase is Phase.RUNNING:
                            self._set_phase(Phase.PAUSED)
                            await self._journal_pause()
                        self._stepped = True
                        self._wake_step()
                        if batches is not None:
                            break
        except BaseException as exc:
            self._stop_checks()  # the last batch's close checks no further item
            await self._stop_control()
            if closing is not None:  # report what the last batch finished, release its lease
                await asyncio.gather(closing, return_exceptions=True)
            if running is not None:  # a batch claimed ahead goes back unstarted
                for claim, closes in ((queued, True), (ahead, ahead_closes)):
                    if claim is not None:
                        with contextlib.suppress(Exception):
                            await self._give_back(claim, running, closes=closes)
            if isinstance(exc, Exception):
                self._status = MigrationStatus.FAILED
                self._set_phase(Phase.IDLE)
                with contextlib.suppress(Exception):
                    reason = f"{error_type_name(exc)}: {exc}"
                    await self._link.journal_last_word(self._event(EventKind.RUN_FAILED, reason=reason))
                if isinstance(exc, StoreUnavailableError):  # its one line says it all: no traceback
                    self._log.info("run %r: stopped: %s", self.run_id, exc)
                else:
                    self._log.exception("run %r: failed", self.run_id)
            raise
        finally:
            if watch is not None:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
        await self._stop_control()
        if self.own_events_only:  # the run's figures as they stand now, not at the last claim
            await self._refresh_counters()
        await self._report_progress(force=True)
        return self.summary()

    async def _journal_pause(self) -> None:
        if self._phase is Phase.PAUSED:  # not when resume() came first
            self._status = MigrationStatus.PAUSED
        await self._link.journal(self._event(EventKind.RUN_PAUSED))
        await self._report_progress(force=True)

    def _set_phase(self, phase: Phase) -> None:
        self._phase = phase
        if phase is Phase.CANCELLING:
            self._stop_checks()
        if phase in HOLDING or (self._gate.holds and phase is not Phase.CANCELLING):
            self._resumed.clear()
        else:
            self._resumed.set()

    # --- events, breaker, stuck calls and progress ----------------------------------------------------

    def _fold(self, events: list[Event]) -> None:
        self.tracker.apply_many(events)
        self._fold_checks(events)
        if self.own_events_only and len(self.tracker) >= self._forget_at:
            self._forget_finished()

    def _fold_item_run(self, run: ItemRun) -> bool:
        """Fold a chunk's additions, a claim's starts or a batch's valid verdicts by their keys, without
        building their events, into the tracker and the validation ledger (not with metrics, which count
        events; additions and starts not for a worker that forgets its finished items); return False to
        have the events folded instead."""
        if self.metrics is not None:
            return False
        if run.kind is EventKind.ITEM_VALIDATED and self._checks is not None:  # a batch's valid verdicts
            self._checks.apply_item_run(run)  # (the tracker does nothing with verdicts)
            return True
        if self.own_events_only or not self.tracker.apply_item_run(run):
            return False
        if self._checks is not None:
            self._checks.apply_item_run(run)
        return True

    def _fold_counted(self, events: list[Event]) -> None:
        self._fold(events)
        assert self.metrics is not None
        self.metrics.count(events)  # only durable events reach here: counters match the journal

    def _event(self, kind: EventKind, *, reason: str | None = None, batch_id: str | None = None) -> Event:
        return Event(kind, at=self.clock.time(), reason=reason, batch_id=batch_id, worker_id=self.worker_id)

    def _new_tracker(self) -> MigrationProgressTracker:
        # A worker of a shared run keeps its items' hashes, not their keys (the store holds those): about
        # 46 bytes per item it holds instead of 170; and it forgets the finished ones (_forget_finished).
        keep_paths = not self.own_events_only
        return MigrationProgressTracker(
            self.name, self.priority, clock=self.clock, run_id=self.run_id, keep_paths=keep_paths
        )

    def _failed_keys(self) -> list[str]:
        return self.tracker.failed_paths()

    def _on_breaker_change(self, name: str, old: CircuitState, new: CircuitState) -> None:
        self.telemetry.run_event("breaker.state_change", breaker=name, **{"from": old.value, "to": new.value})
        if self.metrics is not None:
            self.metrics.breaker(new.value)
        opened = new is CircuitState.OPEN
        if opened == self._breaker_open or not (opened or new is CircuitState.CLOSED):
            return  # half-open keeps counting as open until a trial call closes it
        self._breaker_open = opened
        if self._running and self._link.open:
            kind = EventKind.BREAKER_OPENED if opened else EventKind.BREAKER_CLOSED
            self._spawn(self._link.journal(self._event(kind, reason=f"breaker {name!r}")))

    # --- plumbing -------------------------------------------------------------------------------------

    def _ensure_loop_state(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # asyncio primitives bind to the first loop that waits on them: renew them for a new loop.
            self._loop = loop
            was_set = self._resumed.is_set()
            self._resumed = asyncio.Event()
            if was_set:
                self._resumed.set()
            self._gate_ready = asyncio.Event()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _wake_step(self) -> None:
        done, self._step_done = self._step_done, None
        if done is not None and not done.done():
            done.set_result(None)

    def __repr__(self) -> str:
        summary = self.tracker.get_progress_summary()
        state = "paused" if self.paused else self._status.value
        return (
            f"<MigrationRunner {self.run_id!r} {state} "
            f"{summary.finished_files}/{summary.total_files} done in_flight={self._in_flight} "
            f"batch_size={self.batch_size} concurrency={self.concurrency}>"
        )
