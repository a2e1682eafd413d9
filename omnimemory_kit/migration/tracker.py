"""The migration progress tracker: a reducer folding journal events into counters, O(1) per event.

Every public mutating method follows one path: validate → build an ``Event`` stamped with the clock's
wall time → append it durably to the store when the tracker is bound to one → ``apply`` it. ``apply`` is
the pure reduction, also used to replay a journal (``from_store``, ``refresh``) and by the runner for
events the store journaled itself (claims, reclaims): it validates nothing beyond what it needs, never
re-appends, and never re-scans the files.

Per-file state lives in compact parallel arrays indexed by the order files were added (a dict maps each
path to its index), error details only for files that failed, so a million files fit in a few hundred
megabytes less than a dict of objects would need.
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    InvalidTransitionError,
    RunNotFoundError,
    UnknownBatchError,
    UnknownFileError,
)
from omnimemory_kit.events import (
    FINISHED_RUN_STATUSES,
    STRING_ERROR_TYPE,
    Event,
    EventKind,
    FileStatus,
    MigrationPriority,
    MigrationStatus,
    error_message,
)
from omnimemory_kit.events import error_type_name as error_type_name
from omnimemory_kit.migration.rates import RateConfig, RateEstimator, estimate_eta, overall_rate
from omnimemory_kit.migration.summary import (
    BatchProcessingMetrics,
    FileProcessingInfo,
    MigrationProgressSummary,
    ProcessingRates,
)
from omnimemory_kit.resilience.breaker import CircuitState
from omnimemory_kit.store.base import JournalStore, RunRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STRING_ERROR_TYPE", "MigrationProgressTracker", "error_type_name"]

FILES_COLUMNS: Final = (
    "path",
    "size",
    "status",
    "attempts",
    "batch_id",
    "started_at",
    "finished_at",
    "duration_s",
    "error_type",
    "error_message",
)
PROGRESS_COLUMNS: Final = (
    "at",
    "elapsed_s",
    "total",
    "succeeded",
    "failed",
    "skipped",
    "in_progress",
    "pending",
    "files_per_s_recent",
    "files_per_s_overall",
    "bytes_per_s_recent",
    "eta_s",
    "eta_low_s",
    "eta_high_s",
)
BATCHES_COLUMNS: Final = (
    "batch_id",
    "opened_at",
    "closed_at",
    "duration_s",
    "files",
    "succeeded",
    "failed",
    "skipped",
    "success_rate",
)

# File status codes: positions in FileStatus, stored one byte per file.
_PENDING, _IN_PROGRESS, _SUCCEEDED, _FAILED, _SKIPPED = range(5)
_FILE_STATUSES: Final = tuple(FileStatus)
_STATUS_CODE: Final = {status: code for code, status in enumerate(_FILE_STATUSES)}
_MAX_ATTEMPTS: Final = 0xFFFF  # array('H')
_MAX_REQUEUES: Final = 0xFF  # array('B')
_NO_BATCH: Final = -1
_NAN: Final = math.nan

# What the run is doing with its time: only ACTIVE time counts for rates and elapsed.
_IDLE, _ACTIVE, _PAUSED_PHASE, _BREAKER_PHASE = range(4)


def _utc(at: float | None) -> datetime | None:
    return None if at is None or math.isnan(at) else datetime.fromtimestamp(at, tz=UTC)


class _Batch:
    """One batch's counters (mutable, internal; snapshots are ``BatchProcessingMetrics``)."""

    __slots__ = (
        "batch_id",
        "closed_at",
        "failed",
        "files",
        "in_progress",
        "interrupted",
        "opened_at",
        "skipped",
        "succeeded",
    )

    def __init__(self, batch_id: str, opened_at: float) -> None:
        self.batch_id = batch_id
        self.opened_at = opened_at
        self.closed_at: float | None = None
        self.files = 0
        self.succeeded = 0
        self.failed = 0
        self.skipped = 0
        self.in_progress = 0
        self.interrupted = 0

    def metrics(self, now: float) -> BatchProcessingMetrics:
        finished = self.succeeded + self.failed + self.skipped
        end = self.closed_at if self.closed_at is not None else max(now, self.opened_at)
        opened_at = _utc(self.opened_at)
        assert opened_at is not None
        return BatchProcessingMetrics(
            batch_id=self.batch_id,
            files=self.files,
            succeeded=self.succeeded,
            failed=self.failed,
            skipped=self.skipped,
            in_progress=self.in_progress,
            interrupted=self.interrupted,
            success_rate=self.succeeded / finished * 100.0 if finished else 0.0,
            opened_at=opened_at,
            closed_at=_utc(self.closed_at),
            duration_seconds=max(0.0, end - self.opened_at),
        )


class MigrationProgressTracker:
    """Track a migration's files, batches and run status as a reduction of its event journal.

    Use it in memory, or bound to a ``JournalStore`` (then every event is durable before it is applied,
    and ``from_store``/``refresh`` rebuild and follow a run another process is writing).

    Decisions a user can rely on:

    - ``add_file`` of a path already tracked is **idempotent**: nothing is journaled, the first size
      recorded stays, and it returns False (a resumed run may re-scan its source).
    - ``start_file_processing`` on a run that was never started starts it (journals RUN_STARTED first),
      so the five-line example works without an explicit ``start()``.
    - Starting a file with an unknown ``batch_id`` opens that batch. Starting or adding files in a run
      that is completed, failed or cancelled is an ``InvalidTransitionError``.
    - ``retry_file`` requeues a failed file at most ``max_retries`` times per file; in-place retries
      reported by ``record_attempt_failure`` are bounded by the runner's retry policy, not here.
    - ``complete()`` needs every file finished (none pending or in progress).
    - Not thread-safe for concurrent writers beyond an internal lock around each public method: one
      process writes a run; others follow it with ``refresh()``.

    Args:
        name: what the migration is called (shown in summaries and reports).
        priority: how urgent it is (informational).
        clock: the time source; events are stamped with ``clock.time()``.
        store: a journal store to bind to; None keeps the tracker in memory.
        run_id: the run's id in the store (a new one is generated when bound and None). Binding to a run
            that already has events replays them; the stored name and priority then win.
        max_retries: how often ``retry_file`` may requeue one failed file.
        rate_config: smoothing and ETA-evidence thresholds.
        sample_interval: seconds of event time between rows of the progress time series.
        max_samples: cap on the progress time series; past it, every other row is dropped and the
            interval doubles.
    """

    def __init__(
        self,
        name: str,
        priority: MigrationPriority | str = MigrationPriority.NORMAL,
        *,
        clock: Clock = SYSTEM_CLOCK,
        store: JournalStore | None = None,
        run_id: str | None = None,
        max_retries: int = 3,
        rate_config: RateConfig | None = None,
        sample_interval: float = 5.0,
        max_samples: int = 10_000,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"a migration needs a non-empty name, not {name!r}")
        try:
            self.priority = MigrationPriority(priority)
        except ValueError:
            choices = ", ".join(p.value for p in MigrationPriority)
            raise ConfigError(f"unknown priority {priority!r}; choose one of {choices}") from None
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be an integer >= 0, not {max_retries!r}")
        if not (sample_interval > 0 and math.isfinite(sample_interval)):
            raise ConfigError(
                f"sample_interval must be a positive number of seconds, not {sample_interval!r}"
            )
        if max_samples < 2:
            raise ConfigError(f"max_samples must be at least 2, not {max_samples!r}")
        self.name = name
        self.max_retries = min(max_retries, _MAX_REQUEUES)
        self.rate_config = rate_config if rate_config is not None else RateConfig()
        self._clock = clock
        self._store = store
        self._lock = threading.RLock()

        # run
        self._status = MigrationStatus.PENDING
        self._status_reason: str | None = None
        self._created_at: float | None = None
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self._breaker_open = False
        self._last_at = 0.0
        # time accounting: accumulated seconds per phase, and the current phase since when
        self._phase = _IDLE
        self._phase_since = 0.0
        self._time_in = [0.0, 0.0, 0.0, 0.0]  # indexed by phase
        self._rates = RateEstimator(self.rate_config.tau_seconds)

        # files: parallel arrays indexed by insertion order (the dict keeps that order too)
        self._index: dict[str, int] = {}
        self._status_of = array("b")
        self._size_of = array("q")
        self._attempts_of = array("H")
        self._requeues_of = array("B")
        self._started_of = array("d")
        self._finished_of = array("d")
        self._batch_of = array("i")
        self._errors: dict[int, tuple[str, str]] = {}  # index → (type, message), failed files only
        self._skip_reasons: dict[int, str] = {}  # index → reason, skipped files given one

        # counters
        self._count = [0, 0, 0, 0, 0]  # files per status code
        self._bytes = [0, 0, 0, 0, 0]  # bytes per status code
        self._errors_by_type: Counter[str] = Counter()
        self._completions = 0
        self._attempt_failures = 0
        self._requeued = 0
        self._interrupted = 0

        # batches
        self._batches: list[_Batch] = []
        self._batch_index: dict[str, int] = {}
        self._active_batches: dict[int, None] = {}  # batches with files in progress, insertion-ordered
        self._open_batches = 0

        # progress time series
        self._sample_interval = float(sample_interval)
        self._max_samples = int(max_samples)
        self._samples: list[tuple[float, ...]] = []
        self._next_sample_at = -math.inf

        self._seq = 0
        self._recovered_running = False
        self._stuck_calls: dict[str, int] = {}  # worker id -> sync calls stuck after a timeout
        self._handlers: dict[EventKind, Callable[[Event], None]] = {
            EventKind.RUN_CREATED: self._on_run_created,
            EventKind.RUN_STARTED: self._on_run_running,
            EventKind.RUN_PAUSED: self._on_run_paused,
            EventKind.RUN_RESUMED: self._on_run_running,
            EventKind.RUN_COMPLETED: self._on_run_completed,
            EventKind.RUN_FAILED: self._on_run_failed,
            EventKind.RUN_CANCELLED: self._on_run_cancelled,
            EventKind.BATCH_OPENED: self._on_batch_opened,
            EventKind.BATCH_CLOSED: self._on_batch_closed,
            EventKind.FILE_ADDED: self._on_file_added,
            EventKind.FILE_STARTED: self._on_file_started,
            EventKind.FILE_SUCCEEDED: self._on_file_succeeded,
            EventKind.FILE_FAILED: self._on_file_failed,
            EventKind.FILE_RETRIED: self._on_file_retried,
            EventKind.FILE_SKIPPED: self._on_file_skipped,
            EventKind.FILE_INTERRUPTED: self._on_file_interrupted,
            EventKind.BREAKER_OPENED: self._on_breaker_opened,
            EventKind.BREAKER_CLOSED: self._on_breaker_closed,
            EventKind.CALL_STUCK: self._on_call_stuck,
            EventKind.CALL_FREED: self._on_call_freed,
        }

        if store is None:
            self.run_id = run_id
            self._created_at = clock.time()
        else:
            self.run_id = run_id if run_id is not None else uuid.uuid4().hex
            try:
                # An existing run (made by a runner or the CLI) is joined as recorded: creating it again
                # with this tracker's empty source and function would be refused as a mismatch.
                record = store.get_run(self.run_id)
            except RunNotFoundError:
                record = store.create_run(
                    RunRecord(
                        run_id=self.run_id,
                        name=name,
                        priority=self.priority.value,
                        created_at=clock.time(),
                        params={"max_retries": self.max_retries},
                    )
                )
            self.name = record.name
            self.priority = MigrationPriority(record.priority)
            if self._created_at is None:
                self._created_at = record.created_at or None
            self.refresh()
            self._recovered_running = self._status is MigrationStatus.RUNNING

    # --- binding ----------------------------------------------------------------------------------

    @classmethod
    def from_store(
        cls,
        store: JournalStore,
        run_id: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        max_retries: int = 3,
        rate_config: RateConfig | None = None,
        sample_interval: float = 5.0,
        max_samples: int = 10_000,
    ) -> MigrationProgressTracker:
        """Rebuild a run's tracker by replaying its journal.

        Files in progress at the end of the journal stay in progress: replay never invents events (a
        runner that resumes asks the store to ``reclaim`` them, which journals FILE_INTERRUPTED).

        A run found running is taken to be one whose process died: ``start()``/``resume()`` restart it
        once. A reader following a live run (a notebook) must only ``refresh()`` and read, never drive
        the lifecycle.

        Raises:
            RunNotFoundError: the store has no run with that id.
        """
        record = store.get_run(run_id)
        return cls(
            record.name,
            record.priority,
            clock=clock,
            store=store,
            run_id=run_id,
            max_retries=max_retries,
            rate_config=rate_config,
            sample_interval=sample_interval,
            max_samples=max_samples,
        )

    def refresh(self) -> int:
        """Apply the events appended to the bound store since the last one applied; return how many.

        This is how a notebook follows a run the CLI is writing. A tracker without a store has nothing
        to refresh and returns 0.
        """
        store = self._store
        if store is None:
            return 0
        assert self.run_id is not None
        with self._lock:
            applied = 0
            handlers = self._handlers
            for event in store.read_events(self.run_id, after_seq=self._seq):
                handlers[event.kind](event)
                self._seq = event.seq
                applied += 1
            return applied

    @property
    def store(self) -> JournalStore | None:
        """The store this tracker is bound to, or None when it lives in memory."""
        return self._store

    @property
    def last_seq(self) -> int:
        """The seq of the last journal event applied (0 in memory or before any event)."""
        return self._seq

    # --- the reduction ----------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state (no validation beyond what the reduction needs, no append).

        An event carrying a store ``seq`` at or below the last one applied is skipped, so a journal
        segment applied twice (a replay overlapping a ``refresh``) counts once.

        Raises:
            UnknownFileError: a FILE_* event other than FILE_ADDED names a file never added.
        """
        seq = event.seq
        if seq:
            if seq <= self._seq:
                return
            self._seq = seq
        self._handlers[event.kind](event)

    def apply_many(self, events: Iterable[Event]) -> int:
        """Fold events in order, as ``apply`` does; return how many were applied (skipped ones excluded)."""
        handlers = self._handlers
        applied = 0
        for event in events:
            seq = event.seq
            if seq:
                if seq <= self._seq:
                    continue
                self._seq = seq
            handlers[event.kind](event)
            applied += 1
        return applied

    def apply_journaled(self, events: Sequence[Event], last_seq: int) -> int:
        """Apply events the caller has just appended to the bound store itself, ending at ``last_seq``.

        This is for an orchestrator that writes through the store directly (``report``, ``release``,
        ``claim``) and wants the tracker to follow without reading its own events back: when
        ``last_seq`` shows nothing else was appended since this tracker's last event, ``events`` are
        applied as they are; otherwise the journal is read from the store, in its order. Events with
        ``seq`` 0 are fine (the store assigns seqs; the caller's objects need not carry them).

        Returns:
            How many events were applied.
        """
        with self._lock:
            if self._store is None or last_seq == self._seq + len(events):
                handlers = self._handlers
                for event in events:
                    handlers[event.kind](event)
                self._seq = max(self._seq, last_seq) if self._store is not None else self._seq
                return len(events)
            return self._catch_up(last_seq)

    # --- files ------------------------------------------------------------------------------------

    def add_file(self, path: str | os.PathLike[str], file_size: int = 0) -> bool:
        """Track a file of ``file_size`` bytes, pending; return False if it was already tracked.

        Raises:
            ConfigError: the size is negative or not an integer.
            InvalidTransitionError: the run has ended.
        """
        key = os.fspath(path)
        _check_size(key, file_size)
        with self._lock:
            self._check_run_open("add files to")
            if key in self._index:
                return False
            self._emit([Event(EventKind.FILE_ADDED, self._clock.time(), path=key, size=int(file_size))])
            return True

    def add_files(self, files: Iterable[str | os.PathLike[str] | tuple[str | os.PathLike[str], int]]) -> int:
        """Track many files (paths, or ``(path, size)`` pairs) in one append; return how many were new.

        Paths already tracked (or repeated in ``files``) are skipped, as with ``add_file``. Nothing is
        recorded if any size is invalid.
        """
        with self._lock:
            self._check_run_open("add files to")
            at = self._clock.time()
            seen: set[str] = set()
            events: list[Event] = []
            for item in files:
                if isinstance(item, tuple):
                    raw_path, size = item
                else:
                    raw_path, size = item, 0
                key = os.fspath(raw_path)
                _check_size(key, size)
                if key in self._index or key in seen:
                    continue
                seen.add(key)
                events.append(Event(EventKind.FILE_ADDED, at, path=key, size=int(size)))
            if events:
                self._emit(events)
            return len(events)

    def start_file_processing(
        self, path: str | os.PathLike[str], batch_id: str | None = None, *, worker_id: str | None = None
    ) -> None:
        """Mark a pending file in progress, in ``batch_id`` (opened if new), starting the run if needed.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is not pending, the batch is closed, or the run has ended.
        """
        key = os.fspath(path)
        with self._lock:
            self._check_run_open("start files in")
            index = self._lookup(key)
            current = self._status_of[index]
            if current != _PENDING:
                raise InvalidTransitionError(f"file {key!r}", _FILE_STATUSES[current].value, "start")
            at = self._clock.time()
            events: list[Event] = []
            if self._status is MigrationStatus.PENDING:
                events.append(Event(EventKind.RUN_STARTED, at))
            if batch_id is not None:
                batch_index = self._batch_index.get(batch_id)
                if batch_index is None:
                    events.append(Event(EventKind.BATCH_OPENED, at, batch_id=batch_id))
                elif self._batches[batch_index].closed_at is not None:
                    raise InvalidTransitionError(f"batch {batch_id!r}", "closed", "start a file in")
            events.append(Event(EventKind.FILE_STARTED, at, path=key, batch_id=batch_id, worker_id=worker_id))
            self._emit(events)

    def complete_file_processing(
        self,
        path: str | os.PathLike[str],
        success: bool = True,
        error: BaseException | str | None = None,
    ) -> None:
        """Finish a file in progress: succeeded, or failed for good with ``error``.

        The error's qualified type name is recorded (``json.decoder.JSONDecodeError``, ``ValueError``); a
        message given as a string is recorded with type ``"Error"``.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is not in progress.
        """
        key = os.fspath(path)
        with self._lock:
            index = self._lookup(key)
            self._check_file(key, index, _IN_PROGRESS, "complete")
            at = self._clock.time()
            if success:
                event = Event(EventKind.FILE_SUCCEEDED, at, path=key)
            else:
                event = Event(
                    EventKind.FILE_FAILED,
                    at,
                    path=key,
                    error_type=error_type_name(error),
                    error_message=error_message(error),
                )
            self._emit([event])

    def skip_file(self, path: str | os.PathLike[str], reason: str = "") -> None:
        """Finish a pending or in-progress file without migrating it, saying why.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is already finished.
        """
        key = os.fspath(path)
        with self._lock:
            index = self._lookup(key)
            current = self._status_of[index]
            if current not in (_PENDING, _IN_PROGRESS):
                raise InvalidTransitionError(f"file {key!r}", _FILE_STATUSES[current].value, "skip")
            self._emit([Event(EventKind.FILE_SKIPPED, self._clock.time(), path=key, reason=reason)])

    def record_attempt_failure(self, path: str | os.PathLike[str], error: BaseException | str | None) -> None:
        """Record that an attempt on a file in progress failed and will be retried in place.

        The file stays in progress; its attempts and the run's retry count go up.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is not in progress.
        """
        key = os.fspath(path)
        with self._lock:
            index = self._lookup(key)
            self._check_file(key, index, _IN_PROGRESS, "record a failed attempt of")
            self._emit(
                [
                    Event(
                        EventKind.FILE_RETRIED,
                        self._clock.time(),
                        path=key,
                        error_type=error_type_name(error),
                        error_message=error_message(error),
                    )
                ]
            )

    def retry_file(self, path: str | os.PathLike[str]) -> None:
        """Put a file that failed for good back to pending, at most ``max_retries`` times per file.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file has not failed, its retries are used up, or the run has ended.
        """
        key = os.fspath(path)
        with self._lock:
            self._check_run_open("retry files in")
            index = self._lookup(key)
            self._check_file(key, index, _FAILED, "retry")
            requeues = self._requeues_of[index]
            if requeues >= self.max_retries:
                raise InvalidTransitionError(
                    f"file {key!r}",
                    f"failed and already retried {requeues} time{'s' if requeues != 1 else ''} "
                    f"(max_retries={self.max_retries})",
                    "retry",
                )
            self._emit([Event(EventKind.FILE_RETRIED, self._clock.time(), path=key)])

    # --- batches ----------------------------------------------------------------------------------

    def open_batch(self, batch_id: str) -> None:
        """Open a batch (a no-op if it is already open).

        Raises:
            InvalidTransitionError: the batch was closed.
        """
        if not isinstance(batch_id, str) or not batch_id:
            raise ConfigError(f"a batch id must be a non-empty string, not {batch_id!r}")
        with self._lock:
            batch_index = self._batch_index.get(batch_id)
            if batch_index is not None:
                if self._batches[batch_index].closed_at is not None:
                    raise InvalidTransitionError(f"batch {batch_id!r}", "closed", "open")
                return
            self._emit([Event(EventKind.BATCH_OPENED, self._clock.time(), batch_id=batch_id)])

    def close_batch(self, batch_id: str) -> None:
        """Close a batch; files still in progress in it may still finish.

        Raises:
            UnknownBatchError: no batch with that id.
            InvalidTransitionError: it is already closed.
        """
        with self._lock:
            batch = self._batch(batch_id)
            if batch.closed_at is not None:
                raise InvalidTransitionError(f"batch {batch_id!r}", "closed", "close")
            self._emit([Event(EventKind.BATCH_CLOSED, self._clock.time(), batch_id=batch_id)])

    # --- run lifecycle ----------------------------------------------------------------------------

    @property
    def status(self) -> MigrationStatus:
        """The run's status."""
        return self._status

    def start(self) -> None:
        """Start the run (pending → running).

        A tracker rebuilt from a journal whose run was left running (its process died) may call
        ``start()`` or ``resume()`` once to restart it: the time the run was dead is not counted.

        Raises:
            InvalidTransitionError: the run is not pending.
        """
        with self._lock:
            if self._status is MigrationStatus.RUNNING and self._recovered_running:
                self._emit([Event(EventKind.RUN_RESUMED, self._clock.time(), reason="restarted")])
                return
            self._check_run(MigrationStatus.PENDING, action="start")
            self._emit([Event(EventKind.RUN_STARTED, self._clock.time())])

    def pause(self, reason: str | None = None) -> None:
        """Pause the run (running → paused); paused time is excluded from elapsed time and rates.

        Raises:
            InvalidTransitionError: the run is not running.
        """
        with self._lock:
            self._check_run(MigrationStatus.RUNNING, action="pause")
            self._emit([Event(EventKind.RUN_PAUSED, self._clock.time(), reason=reason)])

    def resume(self) -> None:
        """Resume a paused run (paused → running), or restart one recovered running from its journal.

        Raises:
            InvalidTransitionError: the run is not paused.
        """
        with self._lock:
            if not (self._status is MigrationStatus.RUNNING and self._recovered_running):
                self._check_run(MigrationStatus.PAUSED, action="resume")
            self._emit([Event(EventKind.RUN_RESUMED, self._clock.time())])

    def complete(self) -> None:
        """End the run as completed (running or paused → completed); every file must be finished.

        Raises:
            InvalidTransitionError: the run is not running or paused, or files are unfinished.
        """
        with self._lock:
            self._check_run(MigrationStatus.RUNNING, MigrationStatus.PAUSED, action="complete")
            unfinished = self._count[_PENDING] + self._count[_IN_PROGRESS]
            if unfinished:
                raise InvalidTransitionError(
                    f"run {self.name!r}",
                    f"{self._status.value} with {unfinished} unfinished file{'s' if unfinished != 1 else ''}",
                    "complete",
                )
            self._emit([Event(EventKind.RUN_COMPLETED, self._clock.time())])

    def finish(self) -> None:
        """Same as ``complete()``."""
        self.complete()

    def fail(self, reason: str) -> None:
        """End the run as failed (pending, running or paused → failed), saying why.

        Raises:
            InvalidTransitionError: the run has already ended.
        """
        with self._lock:
            self._check_run_open("fail")
            self._emit([Event(EventKind.RUN_FAILED, self._clock.time(), reason=reason)])

    def cancel(self, reason: str | None = None) -> None:
        """End the run as cancelled (pending, running or paused → cancelled).

        Raises:
            InvalidTransitionError: the run has already ended.
        """
        with self._lock:
            self._check_run_open("cancel")
            self._emit([Event(EventKind.RUN_CANCELLED, self._clock.time(), reason=reason)])

    @property
    def breaker_open(self) -> bool:
        """Whether the migration target's circuit breaker is open (its time is excluded from rates)."""
        return self._breaker_open

    def breaker_opened(self) -> None:
        """Record that the target's breaker opened (a no-op if it is already open)."""
        with self._lock:
            if not self._breaker_open:
                self._emit([Event(EventKind.BREAKER_OPENED, self._clock.time())])

    def breaker_closed(self) -> None:
        """Record that the target's breaker closed (a no-op if it is not open)."""
        with self._lock:
            if self._breaker_open:
                self._emit([Event(EventKind.BREAKER_CLOSED, self._clock.time())])

    def on_breaker_state(self, name: str, old_state: object, new_state: object) -> None:
        """Follow a circuit breaker: pass this to ``AsyncCircuitBreaker.add_listener``.

        Only the open state is excluded time: in half-open the breaker admits trial calls, so work is
        being attempted again.
        """
        if str(new_state) == CircuitState.OPEN:
            self.breaker_opened()
        else:
            self.breaker_closed()

    # --- snapshots --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str | os.PathLike) and os.fspath(path) in self._index

    @property
    def total_files(self) -> int:
        """How many files are tracked."""
        return len(self._index)

    def counts(self) -> dict[FileStatus, int]:
        """Return how many files are in each status (every status present)."""
        return dict(zip(_FILE_STATUSES, self._count, strict=True))

    def elapsed_seconds(self, now: float | None = None) -> float:
        """Return the run's active time (paused and breaker-open time excluded) at wall time ``now``."""
        return self._time_at(_ACTIVE, self._clock.time() if now is None else now)

    def get_progress_summary(self) -> MigrationProgressSummary:
        """Return where the run stands now, in O(1) of the number of files."""
        with self._lock:
            return self._summary_at(self._clock.time())

    def get_file_info(self, path: str | os.PathLike[str]) -> FileProcessingInfo:
        """Return one file's state.

        Raises:
            UnknownFileError: the file was never added.
        """
        key = os.fspath(path)
        with self._lock:
            index = self._lookup(key)
            started = self._started_of[index]
            finished = self._finished_of[index]
            batch_index = self._batch_of[index]
            error = self._errors.get(index)
            return FileProcessingInfo(
                path=key,
                size=self._size_of[index],
                status=_FILE_STATUSES[self._status_of[index]],
                attempts=self._attempts_of[index],
                requeues=self._requeues_of[index],
                batch_id=None if batch_index == _NO_BATCH else self._batches[batch_index].batch_id,
                started_at=_utc(started),
                finished_at=_utc(finished),
                duration_seconds=None if math.isnan(finished - started) else max(0.0, finished - started),
                error_type=error[0] if error else None,
                error_message=error[1] if error else None,
                skip_reason=self._skip_reasons.get(index),
            )

    def get_batch_metrics(self, batch_id: str) -> BatchProcessingMetrics:
        """Return one batch's metrics.

        Raises:
            UnknownBatchError: no batch with that id.
        """
        with self._lock:
            return self._batch(batch_id).metrics(self._clock.time())

    def to_dataframe(self) -> pd.DataFrame:
        """Return one row per file: ``path, size, status, attempts, batch_id, started_at, finished_at,
        duration_s, error_type, error_message``.

        Times are UTC datetimes (NaT when absent), ``duration_s`` is NaN until a file finishes, and the
        text columns are object columns holding None when absent.
        """
        import numpy as np
        import pandas as pd

        with self._lock:
            n = len(self._index)
            paths = list(self._index)  # insertion order is index order
            status_names = np.array([s.value for s in _FILE_STATUSES], dtype=object)
            codes = np.frombuffer(self._status_of, dtype=np.int8).copy()
            sizes = np.frombuffer(self._size_of, dtype=np.int64).copy()
            attempts = np.frombuffer(self._attempts_of, dtype=np.uint16).astype(np.int64)
            started = np.frombuffer(self._started_of, dtype=np.float64).copy()
            finished = np.frombuffer(self._finished_of, dtype=np.float64).copy()
            batch_codes = np.frombuffer(self._batch_of, dtype=np.int32).copy()
            batch_names = np.array([b.batch_id for b in self._batches] + [None], dtype=object)
            error_types = np.full(n, None, dtype=object)
            error_messages = np.full(n, None, dtype=object)
            for index, (error_type, message) in self._errors.items():
                error_types[index] = error_type
                error_messages[index] = message
        return pd.DataFrame(
            {
                "path": pd.Series(paths, dtype=object),
                "size": sizes,
                "status": pd.Series(status_names[codes], dtype=object),
                "attempts": attempts,
                "batch_id": pd.Series(batch_names[batch_codes], dtype=object),
                "started_at": pd.to_datetime(started, unit="s", utc=True),
                "finished_at": pd.to_datetime(finished, unit="s", utc=True),
                "duration_s": finished - started,
                "error_type": pd.Series(error_types, dtype=object),
                "error_message": pd.Series(error_messages, dtype=object),
            },
            columns=list(FILES_COLUMNS),
        )

    def progress_dataframe(self) -> pd.DataFrame:
        """Return the progress time series: ``at`` (UTC), ``elapsed_s``, the counts, rates and ETA columns.

        Rows are sampled at most once per ``sample_interval`` seconds of event time, plus at each run
        status change and batch close, and thinned out past ``max_samples`` (NaN where no ETA).
        """
        import pandas as pd

        with self._lock:
            rows = list(self._samples)
        frame = pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
        frame["at"] = pd.to_datetime(frame["at"].astype("float64"), unit="s", utc=True)
        for column in PROGRESS_COLUMNS[2:8]:
            frame[column] = frame[column].astype("int64")
        return frame

    def batches_dataframe(self) -> pd.DataFrame:
        """Return one row per batch: ``batch_id, opened_at, closed_at, duration_s, files, succeeded, failed,
        skipped, success_rate`` (``closed_at`` NaT and ``duration_s`` so far while a batch is open)."""
        import pandas as pd

        with self._lock:
            now = self._clock.time()
            rows = []
            for batch in self._batches:
                finished = batch.succeeded + batch.failed + batch.skipped
                end = batch.closed_at if batch.closed_at is not None else max(now, batch.opened_at)
                rows.append(
                    (
                        batch.batch_id,
                        batch.opened_at,
                        _NAN if batch.closed_at is None else batch.closed_at,
                        max(0.0, end - batch.opened_at),
                        batch.files,
                        batch.succeeded,
                        batch.failed,
                        batch.skipped,
                        batch.succeeded / finished * 100.0 if finished else 0.0,
                    )
                )
        frame = pd.DataFrame(rows, columns=list(BATCHES_COLUMNS))
        for column in ("opened_at", "closed_at"):
            frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
        for column in ("files", "succeeded", "failed", "skipped"):
            frame[column] = frame[column].astype("int64")
        frame["batch_id"] = frame["batch_id"].astype(object)
        return frame

    def __repr__(self) -> str:
        finished = self._count[_SUCCEEDED] + self._count[_FAILED] + self._count[_SKIPPED]
        breaker = " breaker=open" if self._breaker_open else ""
        return (
            f"<MigrationProgressTracker {self.name!r} {self._status.value}{breaker} "
            f"{finished}/{len(self._index)} finished (failed={self._count[_FAILED]} "
            f"in_progress={self._count[_IN_PROGRESS]}) {self._rates.files_rate:.2f} files/s>"
        )

    # --- internals: validation and emission ------------------------------------------------------

    def _emit(self, events: Sequence[Event]) -> None:
        """Persist events (when bound) and apply them, in journal order."""
        store = self._store
        handlers = self._handlers
        if store is None:
            for event in events:
                handlers[event.kind](event)
            return
        assert self.run_id is not None
        last = store.append(self.run_id, events)
        self._recovered_running = False
        if last == self._seq + len(events):
            for event in events:
                handlers[event.kind](event)
            self._seq = last
        else:
            self._catch_up(last)

    def _catch_up(self, last_seq: int) -> int:
        """Someone else appended in between: apply the journal up to ``last_seq`` in its own order."""
        store = self._store
        assert store is not None
        assert self.run_id is not None
        applied = 0
        if last_seq <= self._seq:
            return 0
        handlers = self._handlers
        for event in store.read_events(self.run_id, after_seq=self._seq, limit=last_seq - self._seq):
            handlers[event.kind](event)
            self._seq = event.seq
            applied += 1
        return applied

    def _lookup(self, key: str) -> int:
        index = self._index.get(key)
        if index is None:
            raise UnknownFileError(key)
        return index

    def _batch(self, batch_id: str) -> _Batch:
        batch_index = self._batch_index.get(batch_id)
        if batch_index is None:
            raise UnknownBatchError(batch_id)
        return self._batches[batch_index]

    def _check_file(self, key: str, index: int, expected: int, action: str) -> None:
        current = self._status_of[index]
        if current != expected:
            raise InvalidTransitionError(f"file {key!r}", _FILE_STATUSES[current].value, action)

    def _check_run(self, *allowed: MigrationStatus, action: str) -> None:
        if self._status not in allowed:
            raise InvalidTransitionError(f"run {self.name!r}", self._status.value, action)

    def _check_run_open(self, action: str) -> None:
        if self._status in FINISHED_RUN_STATUSES:
            raise InvalidTransitionError(f"run {self.name!r}", self._status.value, action)

    # --- internals: time accounting --------------------------------------------------------------

    def _time_at(self, phase: int, now: float) -> float:
        spent = self._time_in[phase]
        if self._phase == phase:
            spent += max(0.0, now - self._phase_since)
        return spent

    def _enter_phase(self, at: float, *, restart: bool = False) -> None:
        """Close the current time interval and open the one the run's state now calls for.

        ``restart`` closes the interval at the last event before this one instead: the run's process
        died after it, and the dead time belongs to no phase.
        """
        until = self._last_at if restart else at
        if restart:
            self._breaker_open = False  # the dead process's breaker died with it; the new one starts closed
        if self._phase != _IDLE:
            self._time_in[self._phase] += max(0.0, until - self._phase_since)
        status = self._status
        if status is MigrationStatus.RUNNING:
            phase = _BREAKER_PHASE if self._breaker_open else _ACTIVE
        elif status is MigrationStatus.PAUSED:
            phase = _PAUSED_PHASE
        else:
            phase = _IDLE
        self._phase = phase
        self._phase_since = at
        if phase == _ACTIVE:
            self._rates.start(self._time_in[_ACTIVE])

    # --- internals: event handlers (the reduction) -----------------------------------------------

    def _on_run_created(self, event: Event) -> None:
        self._created_at = event.at  # the journal's creation time wins over the tracker's construction
        self._last_at = event.at

    def _on_run_running(self, event: Event) -> None:
        """Apply RUN_STARTED or RUN_RESUMED: both enter the running phase (again, after a crash)."""
        restart = self._status is MigrationStatus.RUNNING
        if self._started_at is None:
            self._started_at = event.at
        self._status = MigrationStatus.RUNNING
        self._status_reason = event.reason
        self._enter_phase(event.at, restart=restart)
        self._last_at = event.at
        self._sample(event.at)

    def _on_run_paused(self, event: Event) -> None:
        self._status = MigrationStatus.PAUSED
        self._status_reason = event.reason
        self._enter_phase(event.at)
        self._last_at = event.at
        self._sample(event.at)

    def _on_run_completed(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.COMPLETED)

    def _on_run_failed(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.FAILED)

    def _on_run_cancelled(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.CANCELLED)

    def _end_run(self, event: Event, status: MigrationStatus) -> None:
        self._stuck_calls.clear()  # stuck threads end with the processes that held them
        self._status = status
        self._status_reason = event.reason
        self._finished_at = event.at
        self._enter_phase(event.at)
        self._last_at = event.at
        self._sample(event.at)

    def _on_breaker_opened(self, event: Event) -> None:
        self._breaker_open = True
        self._enter_phase(event.at)
        self._last_at = event.at

    def _on_breaker_closed(self, event: Event) -> None:
        self._breaker_open = False
        self._enter_phase(event.at)
        self._last_at = event.at

    def _on_call_stuck(self, event: Event) -> None:
        worker = event.worker_id or ""
        self._stuck_calls[worker] = self._stuck_calls.get(worker, 0) + 1

    def _on_call_freed(self, event: Event) -> None:
        worker = event.worker_id or ""
        left = self._stuck_calls.get(worker, 0) - 1
        if left > 0:
            self._stuck_calls[worker] = left
        else:
            self._stuck_calls.pop(worker, None)

    def _open_batch(self, batch_id: str, at: float) -> int:
        batch_index = len(self._batches)
        self._batches.append(_Batch(batch_id, at))
        self._batch_index[batch_id] = batch_index
        self._open_batches += 1
        return batch_index

    def _on_batch_opened(self, event: Event) -> None:
        batch_id = event.batch_id
        assert batch_id is not None, "BATCH_OPENED needs a batch_id"
        if batch_id not in self._batch_index:
            self._open_batch(batch_id, event.at)
        self._last_at = event.at

    def _on_batch_closed(self, event: Event) -> None:
        batch_id = event.batch_id
        assert batch_id is not None, "BATCH_CLOSED needs a batch_id"
        batch = self._batch(batch_id)
        if batch.closed_at is None:
            batch.closed_at = event.at
            self._open_batches -= 1
        self._last_at = event.at
        self._sample(event.at)

    def _on_file_added(self, event: Event) -> None:
        key = event.path
        index = self._index
        if key in index:  # idempotent, as add_file and the store's add_items are
            return
        size = event.size or 0
        assert key is not None, "FILE_ADDED needs a path"
        index[key] = len(index)
        self._status_of.append(_PENDING)
        self._size_of.append(size)
        self._attempts_of.append(0)
        self._requeues_of.append(0)
        self._started_of.append(_NAN)
        self._finished_of.append(_NAN)
        self._batch_of.append(_NO_BATCH)
        self._count[_PENDING] += 1
        self._bytes[_PENDING] += size
        self._last_at = event.at

    def _move(self, index: int, new: int) -> int:
        """Move a file to status ``new``, keeping every counter in step; return its old status."""
        status_of = self._status_of
        old = status_of[index]
        status_of[index] = new
        size = self._size_of[index]
        count = self._count
        count[old] -= 1
        count[new] += 1
        if size:
            nbytes = self._bytes
            nbytes[old] -= size
            nbytes[new] += size
        if old == _IN_PROGRESS:
            batch_index = self._batch_of[index]
            if batch_index != _NO_BATCH:
                batch = self._batches[batch_index]
                batch.in_progress -= 1
                if batch.in_progress == 0:
                    self._active_batches.pop(batch_index, None)
        elif old == _SKIPPED:
            self._skip_reasons.pop(index, None)
        elif old == _FAILED:
            error = self._errors.pop(index, None)
            if error is not None:
                self._errors_by_type[error[0]] -= 1
                if self._errors_by_type[error[0]] <= 0:
                    del self._errors_by_type[error[0]]
        return old

    def _on_file_started(self, event: Event) -> None:
        at = event.at
        key = event.path
        index = self._index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        if self._status is MigrationStatus.PENDING:  # a journal without RUN_STARTED: start implicitly
            self._started_at = at
            self._status = MigrationStatus.RUNNING
            self._enter_phase(at)
        status_of = self._status_of
        if status_of[index] == _PENDING:  # the common case, inlined: this is the hot path
            status_of[index] = _IN_PROGRESS
            count = self._count
            count[_PENDING] -= 1
            count[_IN_PROGRESS] += 1
            size = self._size_of[index]
            if size:
                nbytes = self._bytes
                nbytes[_PENDING] -= size
                nbytes[_IN_PROGRESS] += size
        else:
            if status_of[index] == _IN_PROGRESS:
                self._move(index, _PENDING)  # a start over a start: leave the old batch cleanly
            self._move(index, _IN_PROGRESS)
        attempts_of = self._attempts_of
        attempts = attempts_of[index]
        if attempts < _MAX_ATTEMPTS:
            attempts_of[index] = attempts + 1
        self._started_of[index] = at
        self._finished_of[index] = _NAN
        batch_id = event.batch_id
        if batch_id is None:
            self._batch_of[index] = _NO_BATCH
        else:
            batch_index = self._batch_index.get(batch_id)
            if batch_index is None:
                batch_index = self._open_batch(batch_id, at)
            self._batch_of[index] = batch_index
            batch = self._batches[batch_index]
            batch.files += 1
            if not batch.in_progress:
                self._active_batches[batch_index] = None
            batch.in_progress += 1
        self._last_at = at
        if at >= self._next_sample_at:
            self._sample(at)

    def _finish(self, event: Event, new: int) -> int:
        key = event.path
        index = self._index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        at = event.at
        status_of = self._status_of
        old = status_of[index]
        size = self._size_of[index]
        if old == _IN_PROGRESS:  # the common case, inlined: this is the hot path
            status_of[index] = new
            count = self._count
            count[_IN_PROGRESS] -= 1
            count[new] += 1
            if size:
                nbytes = self._bytes
                nbytes[_IN_PROGRESS] -= size
                nbytes[new] += size
            batch_index = self._batch_of[index]
            if batch_index != _NO_BATCH:
                batch = self._batches[batch_index]
                batch.in_progress -= 1
                if not batch.in_progress:
                    self._active_batches.pop(batch_index, None)
                if new == _SUCCEEDED:
                    batch.succeeded += 1
                elif new == _FAILED:
                    batch.failed += 1
                else:
                    batch.skipped += 1
        else:
            self._move(index, new)
        self._finished_of[index] = at
        if old <= _IN_PROGRESS:  # fresh work finished (not a finished file changing its outcome)
            self._completions += 1
            # completions while not active land at the frozen active time and are folded in later
            active = self._time_in[_ACTIVE]
            if self._phase == _ACTIVE and at > self._phase_since:
                active += at - self._phase_since
            self._rates.observe(active, 1.0, size)
        self._last_at = at
        if at >= self._next_sample_at:
            self._sample(at)
        return index

    def _on_file_succeeded(self, event: Event) -> None:
        self._finish(event, _SUCCEEDED)

    def _on_file_skipped(self, event: Event) -> None:
        index = self._finish(event, _SKIPPED)
        if event.reason:
            self._skip_reasons[index] = event.reason

    def _on_file_failed(self, event: Event) -> None:
        index = self._finish(event, _FAILED)
        error_type = event.error_type or STRING_ERROR_TYPE
        self._errors[index] = (error_type, event.error_message or "")
        self._errors_by_type[error_type] += 1

    def _on_file_retried(self, event: Event) -> None:
        key = event.path
        index = self._index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        current = self._status_of[index]
        if current == _IN_PROGRESS:  # an attempt failed; the file stays in progress for the next one
            self._attempt_failures += 1
            attempts = self._attempts_of[index]
            if attempts < _MAX_ATTEMPTS:
                self._attempts_of[index] = attempts + 1
        elif current == _FAILED:  # requeued by retry_file
            self._move(index, _PENDING)
            self._requeued += 1
            requeues = self._requeues_of[index]
            if requeues < _MAX_REQUEUES:
                self._requeues_of[index] = requeues + 1
            self._finished_of[index] = _NAN
        self._last_at = event.at

    def _on_file_interrupted(self, event: Event) -> None:
        key = event.path
        index = self._index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        if self._status_of[index] == _IN_PROGRESS:
            batch_index = self._batch_of[index]
            if batch_index != _NO_BATCH:
                self._batches[batch_index].interrupted += 1
            self._move(index, _PENDING)
            self._interrupted += 1
        self._last_at = event.at

    # --- internals: snapshots ---------------------------------------------------------------------

    def _measure(self, now: float) -> tuple[float, float, float, float, float, float]:
        """Return active seconds, recent/overall files/s, recent/overall bytes/s, and finished files."""
        count = self._count
        finished = count[_SUCCEEDED] + count[_FAILED] + count[_SKIPPED]
        active = self._time_at(_ACTIVE, now)
        recent_files, recent_bytes = self._rates.rates_at(active)
        nbytes = self._bytes
        processed = nbytes[_SUCCEEDED] + nbytes[_FAILED] + nbytes[_SKIPPED]
        return (
            active,
            recent_files,
            overall_rate(finished, active),
            recent_bytes,
            overall_rate(processed, active),
            float(finished),
        )

    def _sample(self, at: float) -> None:
        samples = self._samples
        if samples and at < samples[-1][0]:
            # Outcomes are journaled when reported, stamped with when they happened: a batch's results can
            # follow the next batch's start. The series shows what the journal knew by each time, so its
            # time never goes backwards.
            at = samples[-1][0]
        active, recent_files, overall_files, recent_bytes, _, finished = self._measure(at)
        count = self._count
        total = len(self._index)
        eta = estimate_eta(
            remaining=total - int(finished),
            completions=self._completions,
            active_seconds=active,
            recent_rate=recent_files,
            overall=overall_files,
            status=self._status,
            breaker_open=self._breaker_open,
            config=self.rate_config,
        )
        self._samples.append(
            (
                at,
                active,
                total,
                count[_SUCCEEDED],
                count[_FAILED],
                count[_SKIPPED],
                count[_IN_PROGRESS],
                count[_PENDING],
                recent_files,
                overall_files,
                recent_bytes,
                _NAN if eta.seconds is None else eta.seconds,
                _NAN if eta.low is None else eta.low,
                _NAN if eta.high is None else eta.high,
            )
        )
        if len(self._samples) > self._max_samples:
            del self._samples[1::2]  # keep the first row and every other one after it
            self._sample_interval *= 2.0
        self._next_sample_at = at + self._sample_interval

    def _summary_at(self, now: float) -> MigrationProgressSummary:
        active, recent_files, overall_files, recent_bytes, overall_bytes, _ = self._measure(now)
        count = self._count
        nbytes = self._bytes
        total = len(self._index)
        finished = count[_SUCCEEDED] + count[_FAILED] + count[_SKIPPED]
        processed = nbytes[_SUCCEEDED] + nbytes[_FAILED] + nbytes[_SKIPPED]
        total_bytes = sum(nbytes)
        eta = estimate_eta(
            remaining=total - finished,
            completions=self._completions,
            active_seconds=active,
            recent_rate=recent_files,
            overall=overall_files,
            status=self._status,
            breaker_open=self._breaker_open,
            config=self.rate_config,
        )
        as_of = _utc(now)
        assert as_of is not None
        return MigrationProgressSummary(
            name=self.name,
            run_id=self.run_id,
            priority=self.priority,
            status=self._status,
            breaker_open=self._breaker_open,
            total_files=total,
            succeeded_files=count[_SUCCEEDED],
            failed_files=count[_FAILED],
            skipped_files=count[_SKIPPED],
            in_progress_files=count[_IN_PROGRESS],
            pending_files=count[_PENDING],
            finished_files=finished,
            remaining_files=total - finished,
            total_bytes=total_bytes,
            processed_bytes=processed,
            succeeded_bytes=nbytes[_SUCCEEDED],
            remaining_bytes=total_bytes - processed,
            completion_percentage=min(100.0, finished / total * 100.0) if total else 0.0,
            success_rate=min(100.0, count[_SUCCEEDED] / finished * 100.0) if finished else 0.0,
            processing_rates=ProcessingRates(
                files_per_second_recent=recent_files,
                files_per_second_overall=overall_files,
                bytes_per_second_recent=recent_bytes,
                bytes_per_second_overall=overall_bytes,
            ),
            eta_seconds=eta.seconds,
            eta_low_seconds=eta.low,
            eta_high_seconds=eta.high,
            estimated_completion_at=None if eta.seconds is None else _utc(now + eta.seconds),
            eta_unavailable_reason=eta.reason,
            elapsed_seconds=active,
            paused_seconds=self._time_at(_PAUSED_PHASE, now),
            breaker_open_seconds=self._time_at(_BREAKER_PHASE, now),
            created_at=_utc(self._created_at),
            started_at=_utc(self._started_at),
            finished_at=_utc(self._finished_at),
            as_of=as_of,
            errors_by_type=dict(self._errors_by_type),
            active_batches={
                self._batches[i].batch_id: self._batches[i].metrics(now) for i in self._active_batches
            },
            open_batches=self._open_batches,
            retry_count=self._attempt_failures + self._requeued,
            attempt_failures=self._attempt_failures,
            requeued_count=self._requeued,
            interrupted_count=self._interrupted,
            stuck_calls=sum(self._stuck_calls.values()),
        )


def _check_size(key: str, size: Any) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ConfigError(f"file size of {key!r} must be a whole number of bytes >= 0, not {size!r}")
