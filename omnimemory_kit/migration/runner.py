"""The migration runner: run a migration function over work items, durably, resumably, under control.

    runner = MigrationRunner(open_store("sqlite:///run.db"), "tools-2026", DirectorySource("legacy"),
                             migrate_tool, batch_size=100, concurrency=8, item_timeout=30)
    summary = await runner.run()          # or run_sync(runner.run()) from a script

Flow: create (or reopen) the run, add the source's items (idempotent, streamed in chunks), take back
work a crashed process left in progress, then claim a batch under a lease, run its items under the
concurrency limit (per-item timeout, retries with backoff, the circuit breaker), report outcomes to the
store in small durable batches while heartbeating the lease, and release the lease with BATCH_CLOSED.

The journal is the truth: every event the store commits (ours and, on a shared store, other workers')
is folded into ``runner.tracker`` in journal order, only once the store acknowledged it (the runner's own
events directly when nothing else was appended in between, otherwise read back; a claim's events while
its batch runs, so neither the store thread nor the batch waits on them), so ``runner.summary()`` is
always a replay of what is durable. An item counts as done only once the store acknowledged its
outcome; a crash loses at most outcomes not yet reported, and those items are in progress under a lease
that the next run takes back (FILE_INTERRUPTED) and runs again.

Decisions:
    - The migration function receives a ``MigrationItem`` (``key``, ``size``, ``path``) and may return
      anything (ignored). Raising ``SkipItem(reason)`` skips the item; any other exception fails the
      attempt. Async functions run on the loop; sync functions run in a thread pool of ``concurrency``
      threads so they never block it (a sync function that times out keeps running in its thread).
    - While the breaker is open, items wait (on the clock) until it admits calls again: no attempt is
      used up. BREAKER_OPENED / BREAKER_CLOSED are journaled so that time is excluded from rates.
    - ``pause()`` stops starting items (in-flight ones finish, the lease is kept alive); a pause asked
      before ``run()`` (or left by ``step()``) holds until ``resume()``, so a notebook can step first and
      run later. ``cancel()``
      stops starting items, lets in-flight ones finish, releases the rest of the batch back to pending
      and journals RUN_CANCELLED. Cancelling the task running ``run()`` does the same, abruptly.
    - Dry run writes nothing: it checks the run's identity, enumerates the source and returns a summary
      of what a real run would face (items already recorded keep their state, new ones are pending).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import math
import os
import secrets
import socket
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    CircuitBreakerError,
    ConfigError,
    LeaseLostError,
    MigrationError,
    RunMismatchError,
    RunNotFoundError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus, MigrationPriority, MigrationStatus
from omnimemory_kit.migration.loader import function_identity
from omnimemory_kit.migration.sources import IterableSource, MigrationItem, WorkSource, source_from_spec
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.observability import correlation_context
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig, CircuitState, RetryPolicy
from omnimemory_kit.store.base import JournalStore, Lease, RunRecord, WorkItem, check_run_id

__all__ = ["MigrationRunner", "ProgressCallback", "SkipItem", "default_batch_size"]

logger = logging.getLogger("omnimemory_kit.migration")

T = TypeVar("T")

ProgressCallback = Callable[[MigrationProgressSummary], object]
"""``on_progress(summary)``; if it returns an awaitable, that is awaited. Errors are logged, not raised."""

_ADD_CHUNK = 5_000
_ERROR_LIMIT = 2_000
_SKIP_REASON_LIMIT = 500
_MIN_DEFAULT_BATCH = 100
_MAX_DEFAULT_BATCH = 1_000
_BREAKER_POLL = 0.05  # how long to wait when a half-open breaker has no free trial slot


class SkipItem(Exception):
    """Raise from a migration function to skip the item (journaled FILE_SKIPPED with ``reason``)."""

    def __init__(self, reason: str = "skipped") -> None:
        self.reason = reason
        super().__init__(reason)


class _Skipped:
    """A ``SkipItem`` turned into a return value, so the breaker does not count a skip as a failure."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Batch:
    """One leased batch while it runs: its lease (renewed by heartbeats), unreported outcomes, flushing."""

    __slots__ = ("flush_task", "last_flush", "lease", "lost", "outbox")

    def __init__(self, lease: Lease, now: float) -> None:
        self.lease = lease
        self.outbox: list[Event] = []
        self.flush_task: asyncio.Task[None] | None = None
        self.last_flush = now
        self.lost = False


def default_batch_size(concurrency: int) -> int:
    """Return the batch size ``MigrationRunner`` uses at ``concurrency`` when none is given.

    16 items per concurrency slot, at least 100 and at most 1,000: a batch keeps every slot busy for a
    while between the store transactions that claim, report and release it (about 1,000 is where a run
    of tiny items stops getting faster), without one worker holding a large share of a run's tail.
    """
    return min(_MAX_DEFAULT_BATCH, max(_MIN_DEFAULT_BATCH, 16 * concurrency))


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _error_message(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    return message if len(message) <= _ERROR_LIMIT else message[: _ERROR_LIMIT - 1] + "…"


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def _seconds(name: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'at least 0' if allow_zero else 'positive'}, not {value!r}")
    return float(value)


def _coerce_source(source: object) -> WorkSource:
    if isinstance(source, str | os.PathLike):
        return source_from_spec(source)
    if isinstance(source, WorkSource):
        return source
    if isinstance(source, Iterable):
        return IterableSource(source)
    raise ConfigError(
        f"source must be a directory, a manifest path, a WorkSource or an iterable of keys, "
        f"not {type(source).__name__}"
    )


class MigrationRunner:
    """Run ``migrate_fn`` over every item of ``source``, journaled in ``store`` under ``run_id``.

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
        if isinstance(max_requeues, bool) or not isinstance(max_requeues, int) or max_requeues < 0:
            raise ConfigError(f"max_requeues must be a whole number of at least 0, not {max_requeues!r}")
        try:
            self.priority = MigrationPriority(priority)
        except ValueError:
            choices = ", ".join(p.value for p in MigrationPriority)
            raise ConfigError(f"priority must be one of {choices}, not {priority!r}") from None
        self.store = store
        self.run_id = run_id
        self.source = _coerce_source(source)
        self.migrate_fn = migrate_fn
        self.name = name or run_id
        self.function_id = function_id or function_identity(migrate_fn)
        self.concurrency = _positive_int("concurrency", concurrency)
        self.batch_size = (
            default_batch_size(self.concurrency)
            if batch_size is None
            else _positive_int("batch_size", batch_size)
        )
        self.item_timeout = None if item_timeout is None else _seconds("item_timeout", item_timeout)
        self.lease_seconds = _seconds("lease_seconds", lease_seconds)
        self.progress_interval = _seconds("progress_interval", progress_interval, allow_zero=True)
        self.flush_interval = _seconds("flush_interval", flush_interval, allow_zero=True)
        # By default a batch's outcomes go to the store with its release (plus every flush_interval, so
        # slow items still show progress): one transaction per batch for fast items.
        self.flush_size = (
            min(self.batch_size, 1024) if flush_size is None else _positive_int("flush_size", flush_size)
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
        self._is_async = inspect.iscoroutinefunction(migrate_fn) or inspect.iscoroutinefunction(
            getattr(migrate_fn, "__call__", None)  # noqa: B004 - async callable objects
        )
        self.tracker = self._new_tracker()
        self._log = logging.LoggerAdapter(logger, {"run_id": run_id})

        # Run state (touched on the loop thread only).
        self._prepared = False
        self._running = False
        self._in_loop = False  # between RUN_STARTED and the end of the batch loop
        self._paused = False
        self._pause_journaled = False
        self._cancel_requested = False
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._step_batches: int | None = None
        self._step_done: asyncio.Future[None] | None = None
        self._status: MigrationStatus = MigrationStatus.PENDING
        self._breaker_open = False
        self._last_progress = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        # Store access: one thread, so calls stay ordered; events read back land in _inbox in seq order
        # (a claim's as a function that builds them, called when drained).
        self._store_executor: ThreadPoolExecutor | None = None
        self._fn_executor: ThreadPoolExecutor | None = None
        self._tail_seq = 0  # touched only by the store thread
        self._store_calls = 0  # store calls in flight
        self._inbox: deque[list[Event] | Callable[[], list[Event]]] = deque()
        self._in_flight = 0
        self._background: set[asyncio.Future[Any]] = set()
        self._invoke = self._choose_invoke()
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
        return self._paused

    @property
    def store_calls_in_flight(self) -> int:
        """Return how many store calls are running on the store thread right now."""
        return self._store_calls

    @property
    def running(self) -> bool:
        """Return whether ``run()`` or ``step()`` is executing."""
        return self._running

    def summary(self) -> MigrationProgressSummary:
        """Return the tracker's current summary (a frozen snapshot of what is durable)."""
        return self.tracker.get_progress_summary()

    async def run(self) -> MigrationProgressSummary:
        """Run (or resume) the migration until every item is finished, it is cancelled, or it fails.

        Returns:
            The final summary.

        Raises:
            MigrationError: the runner is already running.
            RunMismatchError: the run id exists with a different source or function.
            StoreError: the store failed (the run is journaled RUN_FAILED when the store still works).
        """
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
        self._paused = False
        return await self._drive(1)

    def pause(self) -> None:
        """Stop starting new items (in-flight ones finish); journaled RUN_PAUSED. Call on the loop thread."""
        if self._paused or self._status in _FINISHED:
            return
        self._paused = True
        self._resumed.clear()
        if self._in_loop:  # otherwise the batch loop journals it when it starts
            self._spawn(self._journal_pause())

    def resume(self) -> None:
        """Start items again after ``pause()``; journaled as RUN_RESUMED. Call on the loop thread."""
        if not self._paused:
            return
        self._paused = False
        self._resumed.set()
        if self._in_loop and self._pause_journaled:  # otherwise the batch loop journals it when it starts
            self._pause_journaled = False
            self._status = MigrationStatus.RUNNING
            self._spawn(self._journal(self._event(EventKind.RUN_RESUMED)))

    def cancel(self) -> None:
        """Stop: start no new items, let in-flight ones finish, requeue the rest, journal RUN_CANCELLED.

        On a run shared with other live workers only this worker stops: the run is not journaled cancelled.

        ``run()`` then returns the summary. Nothing acknowledged is lost; unstarted items stay pending
        for a later run with the same id. Safe to call from a signal handler on the loop thread.
        """
        self._cancel_requested = True
        self._resumed.set()

    async def retry_failed(self) -> int:
        """Requeue failed items (each at most ``max_requeues`` times); return how many were requeued.

        The requeued items run on the next ``run()`` (or the current one, if it is still claiming).
        """
        if self.dry_run:
            raise MigrationError("a dry run writes nothing: retry_failed() needs a real run")
        self._ensure_loop_state()
        async with self._store_session():
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
            await self._write(self.store.append, self.run_id, events)
            if self._status in _FINISHED:
                self._status = MigrationStatus.PENDING
            self._log.info("run %r: requeued %d failed item(s)", self.run_id, len(keys))
            return len(keys)

    # --- driving --------------------------------------------------------------------------------------

    async def _drive(self, batches: int | None) -> MigrationProgressSummary:
        if self._running:
            raise MigrationError(f"runner for run {self.run_id!r} is already running")
        self._ensure_loop_state()
        self._running = True
        self._cancel_requested = False
        try:
            with self._run_context():
                async with self._store_session():
                    if self.dry_run:
                        return await self._dry_run()
                    if not self._prepared:
                        await self._prepare()
                    return await self._loop_batches(batches)
        finally:
            self._running = False
            self._step_batches = None
            self._wake_step()

    def _run_context(self) -> contextlib.AbstractContextManager[Any]:
        """Return the context the whole run executes in: a correlation scope binding ``run_id``.

        Every log record of the run carries the run id and a correlation id (inherited from an outer
        ``correlation_context`` or generated), including records from the migration function: tasks
        inherit contextvars and they are carried into its worker threads.
        """
        return correlation_context(operation="migration", run_id=self.run_id, worker_id=self.worker_id)

    @contextlib.asynccontextmanager
    async def _store_session(self) -> AsyncIterator[None]:
        owned = self._store_executor is None
        if owned:
            self._store_executor = ThreadPoolExecutor(1, thread_name_prefix="omnimemory-store")
        try:
            yield
        finally:
            if owned:
                # Journal writes started by pause()/resume()/the breaker listener finish before closing.
                while self._background:
                    await asyncio.gather(*self._background, return_exceptions=True)
                executor, self._store_executor = self._store_executor, None
                assert executor is not None
                executor.shutdown(wait=False)
                if self._fn_executor is not None:
                    self._fn_executor.shutdown(wait=False)
                    self._fn_executor = None

    async def _loop_batches(self, batches: int | None) -> MigrationProgressSummary:
        counts = await self._call(self.store.item_counts, self.run_id)
        unfinished = counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS]
        if unfinished == 0 and self.tracker.status is MigrationStatus.COMPLETED and not self._paused:
            self._status = MigrationStatus.COMPLETED
            self._log.info("run %r: already completed, nothing to do", self.run_id)
            return self.summary()
        if not self._pause_journaled:
            self._status = MigrationStatus.RUNNING
            await self._journal(self._event(EventKind.RUN_STARTED))
        elif not self._paused:  # continuing after step() or pause() in this process
            self._status = MigrationStatus.RUNNING
            self._pause_journaled = False
            await self._journal(self._event(EventKind.RUN_RESUMED))
        # else: still paused since a step() or pause(): the loop below waits for resume()
        self._in_loop = True
        self._log.info(
            "run %r: started as worker %s (%d unfinished item(s))", self.run_id, self.worker_id, unfinished
        )
        # The last batch is closed (outcomes reported, lease released) on the store thread while the next
        # one is claimed and runs; at most one close is in flight and it is awaited before the next.
        closing: asyncio.Future[None] | None = None
        try:
            while True:
                if closing is not None and (self._cancel_requested or self._paused):
                    await closing
                    closing = None
                if self._cancel_requested:
                    await self._finish(EventKind.RUN_CANCELLED, MigrationStatus.CANCELLED, "cancelled")
                    break
                if self._paused:
                    if batches is not None:
                        break
                    if not self._pause_journaled:
                        await self._journal_pause()
                    await self._resumed.wait()
                    continue
                lease = await self._claim()
                if lease is None:
                    if closing is not None:
                        await closing
                        closing = None
                    if await self._all_finished():
                        await self._finish(EventKind.RUN_COMPLETED, MigrationStatus.COMPLETED, None)
                        break
                    continue
                batch = await self._run_batch(lease)
                if closing is not None:
                    await closing
                closing = asyncio.ensure_future(self._close_batch(batch))
                if self._step_batches is not None:
                    await closing
                    closing = None
                    self._step_batches -= 1
                    if self._step_batches <= 0:
                        self._step_batches = None
                        self.pause()
                        await self._journal_pause()
                        self._wake_step()
                        if batches is not None:
                            break
        except BaseException as exc:
            self._in_loop = False
            if closing is not None:  # report what the last batch finished, release its lease
                await asyncio.gather(closing, return_exceptions=True)
            if isinstance(exc, Exception):
                self._status = MigrationStatus.FAILED
                with contextlib.suppress(Exception):
                    reason = f"{_error_type(exc)}: {exc}"
                    await self._journal(self._event(EventKind.RUN_FAILED, reason=reason))
                self._log.exception("run %r: failed", self.run_id)
            raise
        self._in_loop = False
        await self._report_progress(force=True)
        return self.summary()

    async def _all_finished(self) -> bool:
        """Return True when nothing is pending or in progress; otherwise wait for other workers' leases."""
        counts = await self._call(self.store.item_counts, self.run_id)
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
        if status is MigrationStatus.CANCELLED:  # a later run() starts afresh, not paused
            self._paused = self._pause_journaled = False
            self._resumed.set()
            others = await self._other_live_workers()
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
        await self._journal(self._event(kind, reason=reason))
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

    async def _other_live_workers(self) -> int:
        """Return how many other workers of this run look alive.

        Alive: a live lease, or seen by the store within one lease period of this worker (both times on the
        store's clock), and not a process on this host that has died.
        """
        workers = await self._call(self.store.workers, self.run_id)
        mine = next((w for w in workers if w.worker_id == self.worker_id), None)
        if mine is None:
            return 0
        horizon = mine.last_seen - self.lease_seconds
        return sum(
            1
            for w in workers
            if w.worker_id != self.worker_id
            and (w.leases > 0 or w.last_seen >= horizon)
            and not (w.host == self.host and not _pid_alive(w.pid))
        )

    async def _journal_pause(self) -> None:
        if self._pause_journaled or not self._paused:
            return
        self._pause_journaled = True
        self._status = MigrationStatus.PAUSED
        await self._journal(self._event(EventKind.RUN_PAUSED))
        await self._report_progress(force=True)

    # --- preparing ------------------------------------------------------------------------------------

    async def _prepare(self) -> None:
        record = RunRecord(
            run_id=self.run_id,
            name=self.name,
            priority=self.priority.value,
            source=self.source.identity,
            function=self.function_id,
            created_at=self.clock.time(),
            params={
                "batch_size": self.batch_size,
                "concurrency": self.concurrency,
                "item_timeout": self.item_timeout,
                "max_attempts": self.retry.max_attempts,
            },
        )
        await self._write(self.store.create_run, record)
        added = 0
        adding: asyncio.Future[int] | None = None
        try:
            # The next chunk is read from the source while the store adds the previous one.
            for chunk in _chunks(self.source, _ADD_CHUNK):
                if adding is not None:
                    added += await adding
                adding = asyncio.ensure_future(self._add(chunk))
        finally:
            if adding is not None:
                added += await adding
        await self._write(
            self.store.register_worker, self.run_id, self.worker_id, host=self.host, pid=os.getpid()
        )
        requeued = await self._reclaim_dead_workers()
        self._prepared = True
        self._log.info(
            "run %r: %d new item(s) added, %d reclaimed from dead workers", self.run_id, added, requeued
        )

    async def _reclaim_dead_workers(self) -> int:
        requeued = 0
        for worker in await self._call(self.store.workers, self.run_id):
            if worker.worker_id == self.worker_id or worker.host != self.host or worker.pid == os.getpid():
                continue
            if not _pid_alive(worker.pid):
                requeued += await self._write(self.store.reclaim, self.run_id, worker_id=worker.worker_id)
        requeued += await self._write(self.store.reclaim, self.run_id)
        return requeued

    async def _dry_run(self) -> MigrationProgressSummary:
        """Summarize what a real run would do, writing nothing."""
        tracker = self._new_tracker()
        try:
            record = await self._call(self.store.get_run, self.run_id)
        except RunNotFoundError:
            record = None
        if record is not None:
            for field, given in (("source", self.source.identity), ("function", self.function_id)):
                if getattr(record, field) != given:
                    raise RunMismatchError(self.run_id, field, getattr(record, field), given)
            events = await self._call(lambda: list(self.store.read_events(self.run_id)))
            tracker.apply_many(events)
        at = self.clock.time()
        new = 0
        for item in self.source:
            if item.key not in tracker:
                tracker.apply(Event(EventKind.FILE_ADDED, at=at, path=item.key, size=item.size))
                new += 1
                self._log.debug("run %r: dry run: would add %r (%d bytes)", self.run_id, item.key, item.size)
        self.tracker = tracker
        self._log.info("run %r: dry run: %d new item(s), nothing written", self.run_id, new)
        return tracker.get_progress_summary()

    # --- one batch ------------------------------------------------------------------------------------

    async def _run_batch(self, lease: Lease) -> _Batch:
        """Run a leased batch's items under the concurrency limit; return it for closing."""
        batch = _Batch(lease, self.clock.monotonic())
        pending: deque[WorkItem] = deque(lease.items)
        heartbeat = asyncio.create_task(self._heartbeat(batch))
        workers = [
            asyncio.create_task(self._worker(batch, pending))
            for _ in range(min(self.concurrency, len(pending)))
        ]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self._close_batch(batch)
            raise
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
        return batch

    async def _close_batch(self, batch: _Batch) -> None:
        """Report what finished, then release the lease (unfinished items go back to pending)."""
        if batch.flush_task is not None:
            task, batch.flush_task = batch.flush_task, None
            (outcome,) = await asyncio.gather(task, return_exceptions=True)
            if isinstance(outcome, Exception):
                raise outcome  # the store failed while reporting: the run fails, the lease expires
        if batch.lost:
            batch.outbox = []
            self._log.warning(
                "run %r: lease on %s was lost; its unreported items will run again",
                self.run_id,
                batch.lease.batch_id,
            )
            return
        closed = self._event(EventKind.BATCH_CLOSED, batch_id=batch.lease.batch_id)
        events, batch.outbox = batch.outbox, []
        steps: list[tuple[Callable[[], int], list[Event]]] = []
        if events:  # the last outcomes and the release in one trip to the store thread
            steps.append((functools.partial(self.store.report, batch.lease, events), events))
        steps.append((functools.partial(self.store.release, batch.lease, [closed]), [closed]))
        try:
            await self._write_own(*steps)
        except LeaseLostError:
            batch.lost = True
            self._log.warning(
                "run %r: lease on %s was lost before release", self.run_id, batch.lease.batch_id
            )
        await self._report_progress(force=True)

    async def _worker(self, batch: _Batch, pending: deque[WorkItem]) -> None:
        resolve = self.source.resolve
        outbox_limit = self.flush_size
        while pending and not batch.lost:
            if self._paused or self._cancel_requested:
                if self._cancel_requested:
                    return
                await self._resumed.wait()
                continue
            item = pending.popleft()
            self._in_flight += 1
            try:
                event = await self._process(batch, resolve(item))
            finally:
                self._in_flight -= 1
            batch.outbox.append(event)
            # Report when enough outcomes piled up (the batch's end reports the rest with the release),
            # or when the last report is flush_interval old, so slow items still show progress.
            if (len(batch.outbox) >= outbox_limit and pending) or (
                self.clock.monotonic() - batch.last_flush >= self.flush_interval
            ):
                self._schedule_flush(batch)
                await asyncio.sleep(0)  # let the flush reach the store thread while items keep running

    async def _process(self, batch: _Batch, item: MigrationItem) -> Event:
        """Run one item to its outcome: success, skip, or final failure (retries journaled on the way)."""
        attempt = 0
        breaker = self.breaker
        while True:
            if breaker is not None and breaker.state is CircuitState.OPEN:
                await self.clock.sleep(max(breaker.retry_after, _BREAKER_POLL))
                continue
            attempt += 1
            try:
                if self.item_timeout is None:
                    result = await self._invoke(item)
                else:
                    async with self.clock.timeout(self.item_timeout):
                        result = await self._invoke(item)
            except SkipItem as skip:
                return self._skipped(item, skip.reason)
            except CircuitBreakerError as refused:
                attempt -= 1  # refused before the call: not an attempt
                await self.clock.sleep(max(refused.retry_after, _BREAKER_POLL))
                continue
            except Exception as exc:
                if isinstance(exc, TimeoutError) and self.item_timeout is not None:
                    message = f"timed out after {self.item_timeout:g}s"
                else:
                    message = _error_message(exc)
                if self.retry.should_retry(exc, attempt):
                    batch.outbox.append(
                        Event(
                            EventKind.FILE_RETRIED,
                            at=self.clock.time(),
                            path=item.key,
                            error_type=_error_type(exc),
                            error_message=message,
                            worker_id=self.worker_id,
                        )
                    )
                    await self.clock.sleep(self.retry.delay_for(attempt))
                    continue
                return Event(
                    EventKind.FILE_FAILED,
                    at=self.clock.time(),
                    path=item.key,
                    error_type=_error_type(exc),
                    error_message=message,
                    worker_id=self.worker_id,
                )
            if type(result) is _Skipped:
                return self._skipped(item, result.reason)
            return Event(
                EventKind.FILE_SUCCEEDED, at=self.clock.time(), path=item.key, worker_id=self.worker_id
            )

    def _skipped(self, item: MigrationItem, reason: str) -> Event:
        return Event(
            EventKind.FILE_SKIPPED,
            at=self.clock.time(),
            path=item.key,
            reason=str(reason)[:_SKIP_REASON_LIMIT],
            worker_id=self.worker_id,
        )

    def _choose_invoke(self) -> Callable[[MigrationItem], Awaitable[Any]]:
        """Decide once how an attempt is made, so the per-item path has no branches or extra frames."""
        if self.breaker is not None:
            breaker = self.breaker
            return lambda item: breaker.call(self._call_fn_for_breaker, item)
        if self._is_async:
            return self.migrate_fn  # an async function: awaited directly
        return self._call_fn

    async def _call_fn_for_breaker(self, item: MigrationItem) -> Any:
        try:
            return await self._call_fn(item)
        except SkipItem as skip:
            return _Skipped(skip.reason)

    async def _call_fn(self, item: MigrationItem) -> Any:
        if self._is_async:
            return await self.migrate_fn(item)
        if self._fn_executor is None:
            self._fn_executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="omnimemory-migrate")
        loop = asyncio.get_running_loop()
        # Carry the caller's contextvars (correlation ids for logs) into the worker thread.
        context = contextvars.copy_context()
        result = await loop.run_in_executor(self._fn_executor, context.run, self.migrate_fn, item)
        if inspect.isawaitable(result):  # a sync wrapper around an async function
            result = await result
        return result

    async def _heartbeat(self, batch: _Batch) -> None:
        interval = self.lease_seconds / 3
        while not batch.lost:
            await self.clock.sleep(interval)
            try:
                batch.lease = await self._call(self.store.heartbeat, batch.lease, self.lease_seconds)
            except LeaseLostError:
                batch.lost = True

    # --- durable reporting ----------------------------------------------------------------------------

    def _schedule_flush(self, batch: _Batch) -> None:
        if batch.flush_task is None or batch.flush_task.done():
            batch.flush_task = asyncio.create_task(self._flush_now(batch))

    async def _flush_now(self, batch: _Batch) -> None:
        while batch.outbox and not batch.lost:
            events, batch.outbox = batch.outbox, []
            batch.last_flush = self.clock.monotonic()
            try:
                await self._write_own((functools.partial(self.store.report, batch.lease, events), events))
            except LeaseLostError:
                batch.lost = True
                return
            await self._report_progress(force=False)

    # --- the store, off the loop ----------------------------------------------------------------------

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call on the store thread (reads: nothing to fold into the tracker)."""
        executor = self._store_executor
        assert executor is not None, "store calls happen inside a store session"
        loop = asyncio.get_running_loop()
        self._store_calls += 1
        try:
            return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))
        finally:
            self._store_calls -= 1

    async def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store write on the store thread, then fold every newly committed event into the tracker."""

        def job() -> T:
            result = fn(*args, **kwargs)
            self._tail()
            return result

        try:
            return await self._call(job)
        finally:
            self._drain()

    async def _write_own(self, *steps: tuple[Callable[[], int], list[Event]]) -> int:
        """Run writes that each append exactly their events and return the last seq; skip reading back.

        When a returned seq shows nobody else appended in between, the events are folded as written
        (the common case, and most of the journal's volume); otherwise the journal is read back in order.
        The steps run in one trip to the store thread; one that raises stops the rest (already folded
        steps stay folded: they are durable).
        """

        def job() -> int:
            last = 0
            for write, events in steps:
                last = write()
                if last == self._tail_seq + len(events):
                    self._tail_seq = last
                    self._inbox.append(events)
                else:
                    self._tail()
            return last

        try:
            return await self._call(job)
        finally:
            self._drain()

    async def _add(self, chunk: list[WorkItem]) -> int:
        """Add a chunk of items; when all were new, fold their FILE_ADDED events without reading them back."""
        at = self.clock.time()

        def job() -> int:
            added = self.store.add_items(self.run_id, chunk, at=at)
            if added == len(chunk) and self.store.last_seq(self.run_id) == self._tail_seq + added:
                self._tail_seq += added
                kind = EventKind.FILE_ADDED
                self._inbox.append([Event(kind, at, path=item.key, size=item.size) for item in chunk])
            else:
                self._tail()
            return added

        try:
            return await self._call(job)
        finally:
            self._drain()

    async def _claim(self) -> Lease | None:
        """Claim a batch; fold its BATCH_OPENED and FILE_STARTED events without reading them back.

        The events are built and folded on the loop by the next write's drain (the batch's close, which
        runs while the next batch does), not here: the store thread and the batch both wait on a claim.
        """

        def job() -> Lease | None:
            lease = self.store.claim(self.run_id, self.worker_id, self.batch_size, self.lease_seconds)
            if lease is None:
                return None
            expected = self._tail_seq + 1 + len(lease.items)
            if self.store.last_seq(self.run_id) == expected:
                self._tail_seq = expected
                self._inbox.append(functools.partial(_claimed_events, lease, self.lease_seconds))
            else:
                self._tail()
            return lease

        try:
            lease = await self._call(job)
        except BaseException:
            self._drain()
            raise
        if lease is None:
            self._drain()
        return lease

    def _tail(self) -> None:
        """On the store thread: read the journal past what was read so far, in seq order."""
        events = list(self.store.read_events(self.run_id, after_seq=self._tail_seq))
        if events:
            self._tail_seq = events[-1].seq
            self._inbox.append(events)

    def _drain(self) -> None:
        while self._inbox:
            events = self._inbox.popleft()
            self.tracker.apply_many(events() if callable(events) else events)

    async def _journal(self, event: Event) -> None:
        await self._write(self.store.append, self.run_id, [event])

    def _event(self, kind: EventKind, *, reason: str | None = None, batch_id: str | None = None) -> Event:
        return Event(kind, at=self.clock.time(), reason=reason, batch_id=batch_id, worker_id=self.worker_id)

    def _new_tracker(self) -> MigrationProgressTracker:
        return MigrationProgressTracker(self.name, self.priority, clock=self.clock, run_id=self.run_id)

    def _failed_keys(self) -> list[str]:
        frame = self.tracker.to_dataframe()
        return [str(key) for key in frame.loc[frame["status"] == FileStatus.FAILED.value, "path"]]

    # --- breaker and progress -------------------------------------------------------------------------

    def _on_breaker_change(self, name: str, old: CircuitState, new: CircuitState) -> None:
        opened = new is CircuitState.OPEN
        if opened == self._breaker_open or not (opened or new is CircuitState.CLOSED):
            return  # half-open keeps counting as open until a trial call closes it
        self._breaker_open = opened
        if self._running and self._store_executor is not None:
            kind = EventKind.BREAKER_OPENED if opened else EventKind.BREAKER_CLOSED
            self._spawn(self._journal(self._event(kind, reason=f"breaker {name!r}")))

    async def _report_progress(self, *, force: bool) -> None:
        if self.on_progress is None:
            return
        now = self.clock.monotonic()
        if not force and now - self._last_progress < self.progress_interval:
            return
        self._last_progress = now
        try:
            outcome = self.on_progress(self.summary())
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            self._log.exception("run %r: on_progress callback raised; ignored", self.run_id)

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

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _wake_step(self) -> None:
        done, self._step_done = self._step_done, None
        if done is not None and not done.done():
            done.set_result(None)

    def __repr__(self) -> str:
        summary = self.tracker.get_progress_summary()
        state = "paused" if self._paused else self._status.value
        return (
            f"<MigrationRunner {self.run_id!r} {state} "
            f"{summary.finished_files}/{summary.total_files} done in_flight={self._in_flight} "
            f"batch_size={self.batch_size} concurrency={self.concurrency}>"
        )


def _claimed_events(lease: Lease, lease_seconds: float) -> list[Event]:
    """Return exactly the events ``claim()`` appended: stamped with the store's clock at claim time."""
    at = lease.expires_at - lease_seconds
    batch, worker = lease.batch_id, lease.worker_id
    started = EventKind.FILE_STARTED
    events = [Event(EventKind.BATCH_OPENED, at, batch_id=batch, worker_id=worker)]
    events += [Event(started, at, path=item.key, batch_id=batch, worker_id=worker) for item in lease.items]
    return events


_FINISHED = frozenset({MigrationStatus.COMPLETED, MigrationStatus.CANCELLED, MigrationStatus.FAILED})


def _chunks(items: Iterable[MigrationItem], size: int) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    for item in items:
        chunk.append(WorkItem(item.key, item.size))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return True  # unknown: assume alive, let the lease expire
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
