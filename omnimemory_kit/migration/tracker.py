"""The migration progress tracker: the command side of a reducer over the run's event journal.

Seam: this module validates and emits; it holds no counters of its own. Every public mutating method
follows one path: validate against the current ``RunState`` → build an ``Event`` stamped with the clock's
wall time → append it durably to the store when the tracker is bound to one → fold it with
``RunState.apply`` (``migration/run_state.py``, the pure reduction, also used to replay a journal in
``from_store``/``refresh`` and by the runner for events the store journaled itself). The DataFrame views
live in ``migration/tracker_views.py``. One lock serializes the public methods (see the class docstring).
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import (
    ConfigError,
    InvalidTransitionError,
    RunNotFoundError,
    UnknownFileError,
)
from omnimemory_kit.events import (
    FINISHED_RUN_STATUSES,
    STRING_ERROR_TYPE,
    Event,
    EventKind,
    FileStatus,
    ItemRun,
    MigrationPriority,
    MigrationStatus,
    error_message,
)
from omnimemory_kit.events import error_type_name as error_type_name
from omnimemory_kit.migration.liveness import RunActivity, read_activity
from omnimemory_kit.migration.rates import RateConfig
from omnimemory_kit.migration.run_codes import (
    ACTIVE,
    FAILED,
    FILE_STATUSES,
    IN_PROGRESS,
    MAX_REQUEUES,
    PENDING,
    SUCCEEDED,
)
from omnimemory_kit.migration.run_fold import fold_item_run
from omnimemory_kit.migration.run_measures import summary_at
from omnimemory_kit.migration.run_state import RunState
from omnimemory_kit.migration.run_state_compaction import forget_finished
from omnimemory_kit.migration.summary import (
    BatchProcessingMetrics,
    FileProcessingInfo,
    MigrationProgressSummary,
)
from omnimemory_kit.migration.tracker_views import (
    BATCHES_COLUMNS,
    FILES_COLUMNS,
    PROGRESS_COLUMNS,
    batches_frame,
    files_frame,
    progress_frame,
    throttle_frame,
)
from omnimemory_kit.observability import get_correlation_id
from omnimemory_kit.resilience.breaker import CircuitState
from omnimemory_kit.store.base import JournalStore, RunRecord
from omnimemory_kit.store.ledger import current_operator, current_origin

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BATCHES_COLUMNS",
    "FILES_COLUMNS",
    "PROGRESS_COLUMNS",
    "STRING_ERROR_TYPE",
    "MigrationProgressTracker",
    "error_type_name",
]

# Bound once: looking a member up on its enum class costs more than the check it is used in.
_PENDING_RUN: Final = MigrationStatus.PENDING
_FILE_ADDED: Final = EventKind.FILE_ADDED
_FILE_STARTED: Final = EventKind.FILE_STARTED
_FILE_SUCCEEDED: Final = EventKind.FILE_SUCCEEDED
_FILE_FAILED: Final = EventKind.FILE_FAILED
_BATCH_OPENED: Final = EventKind.BATCH_OPENED


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
    - Every public method that changes the state or reads more than one value of it holds an internal
      lock (``apply_many`` for the whole sequence), so a reader never sees an event half folded; single
      values (``status``, ``total_files``, ``last_seq``) are read without it. One process writes a run;
      others follow it with ``refresh()``.

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
        keep_paths: keep every file's path (about 170 bytes per file). False keeps only a 64-bit hash of
            each (under 50 bytes per file, for runs of tens of millions of items whose keys the store
            holds): everything asked by path still answers (``get_file_info``, ``in``, the commands), but
            ``to_dataframe()`` cannot list the files and raises ``MigrationError`` saying so. Two paths
            sharing a hash would count as one: at 10 million paths, odds of about 3 in a million.
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
        keep_paths: bool = True,
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
        self.max_retries = min(max_retries, MAX_REQUEUES)
        self.rate_config = rate_config if rate_config is not None else RateConfig()
        self._clock = clock
        self._store = store
        self._lock = threading.RLock()

        self._state = RunState(self.rate_config, sample_interval, max_samples, keep_paths=keep_paths)
        self._recovered_running = False
        # Whether this tracker has journaled an event itself: a tracker that only follows a run (rebuilt
        # from a store and refreshed) asks the store who works the run before calling it running.
        self._writing = False

        if store is None:
            self.run_id = run_id
            self._state.created_at = clock.time()
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
                        operator=current_operator(),
                        origin=current_origin(),
                        correlation_id=get_correlation_id() or "",
                    )
                )
            self.name = record.name
            self.priority = MigrationPriority(record.priority)
            if self._state.created_at is None:
                self._state.created_at = record.created_at or None
            self.refresh()
            self._recovered_running = self._state.status is MigrationStatus.RUNNING

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
        keep_paths: bool = True,
    ) -> MigrationProgressTracker:
        """Rebuild a run's tracker by replaying its journal.

        Files in progress at the end of the journal stay in progress: replay never invents events (a
        runner that resumes asks the store to ``reclaim`` them, which journals FILE_INTERRUPTED).

        A run found running is taken to be one whose process died: ``start()``/``resume()`` restart it
        once. A reader following a live run (a notebook) must only ``refresh()`` and read, never drive
        the lifecycle; its ``get_progress_summary()`` asks the store who works the run and says
        ``interrupted`` when nobody does.

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
            keep_paths=keep_paths,
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
            state = self._state
            return state.apply(store.read_events(self.run_id, after_seq=state.seq))

    @property
    def keep_paths(self) -> bool:
        """Whether the tracker keeps the files' paths (False: only their hashes; see the class)."""
        return self._state.keep_paths

    @property
    def store(self) -> JournalStore | None:
        """The store this tracker is bound to, or None when it lives in memory."""
        return self._store

    @property
    def last_seq(self) -> int:
        """The seq of the last journal event applied (0 in memory or before any event)."""
        return self._state.seq

    # --- the reduction ----------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state (no validation beyond what the reduction needs, no append).

        An event carrying a store ``seq`` at or below the last one applied is skipped, so a journal
        segment applied twice (a replay overlapping a ``refresh``) counts once.

        Raises:
            UnknownFileError: a FILE_* event other than FILE_ADDED names a file never added.
        """
        self.apply_many((event,))

    def apply_many(self, events: Iterable[Event]) -> int:
        """Fold events in order, as ``apply`` does; return how many were applied (skipped ones excluded).

        The lock is held for the whole sequence, so a reader never sees a batch half folded.
        """
        with self._lock:
            return self._state.apply(events)

    def apply_item_run(self, run: ItemRun) -> bool:
        """Fold a run of additions or of a claim's starts given by keys, as ``apply_many(run.events())``
        would, without building the events; return False, folding nothing, where only the events can say
        what to do (then apply those)."""
        with self._lock:
            return fold_item_run(self._state, run)

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
            state = self._state
            if self._store is None:
                return state.apply(events)
            self._writing = True
            if last_seq == state.seq + len(events):
                state.apply(events)
                state.seq = max(state.seq, last_seq)
                return len(events)
            return self._catch_up(last_seq)

    # --- files ------------------------------------------------------------------------------------

    def add_file(self, path: str | os.PathLike[str], file_size: int = 0) -> bool:
        """Track a file of ``file_size`` bytes, pending; return False if it was already tracked.

        Raises:
            ConfigError: the size is negative or not an integer.
            InvalidTransitionError: the run has ended.
        """
        key = path if type(path) is str else os.fspath(path)
        _check_size(key, file_size)
        with self._lock:
            self._check_run_open("add files to")
            state = self._state
            if key in state.index:
                return False
            if self._store is None:
                return state.add_file(key, int(file_size), self._clock.time())
            self._emit([Event(_FILE_ADDED, self._clock.time(), path=key, size=int(file_size))])
            return True

    def add_files(self, files: Iterable[str | os.PathLike[str] | tuple[str | os.PathLike[str], int]]) -> int:
        """Track many files (paths, or ``(path, size)`` pairs) in one append; return how many were new.

        Paths already tracked (or repeated in ``files``) are skipped, as with ``add_file``. Nothing is
        recorded if any size is invalid.
        """
        with self._lock:
            self._check_run_open("add files to")
            at = self._clock.time()
            known = self._state.index
            seen: dict[str, int] = {}  # key -> size, in order: validated in full before anything is folded
            for item in files:
                if isinstance(item, tuple):
                    raw_path, size = item
                else:
                    raw_path, size = item, 0
                key = raw_path if type(raw_path) is str else os.fspath(raw_path)
                if type(size) is not int or size < 0:  # the common case passes without a call
                    _check_size(key, size)
                    size = int(size)
                if key in known or key in seen:
                    continue
                seen[key] = size
            if not seen:
                return 0
            if self._store is None:
                add = self._state.add_file
                for key, size in seen.items():
                    add(key, size, at)
            else:
                self._emit([Event(_FILE_ADDED, at, path=key, size=size) for key, size in seen.items()])
            return len(seen)

    def start_file_processing(
        self, path: str | os.PathLike[str], batch_id: str | None = None, *, worker_id: str | None = None
    ) -> None:
        """Mark a pending file in progress, in ``batch_id`` (opened if new), starting the run if needed.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is not pending, the batch is closed, or the run has ended.
        """
        key = path if type(path) is str else os.fspath(path)
        with self._lock:
            # The hot path: the checks of _check_run_open and _lookup, inlined.
            state = self._state
            if state.status in FINISHED_RUN_STATUSES:
                self._check_run_open("start files in")
            index = state.index.get(key)
            if index is None:
                raise UnknownFileError(key)
            current = state.status_of[index]
            if current != PENDING:
                raise InvalidTransitionError(f"file {key!r}", FILE_STATUSES[current].value, "start")
            at = self._clock.time()
            events: list[Event] = []
            if state.status is _PENDING_RUN:
                events.append(Event(EventKind.RUN_STARTED, at))
            if batch_id is not None:
                batch_index = state.batch_index.get(batch_id)
                if batch_index is None:
                    events.append(Event(_BATCH_OPENED, at, batch_id=batch_id))
                elif state.batches[batch_index].closed_at is not None:
                    raise InvalidTransitionError(f"batch {batch_id!r}", "closed", "start a file in")
            if self._store is None:
                # In memory nothing is journaled: fold what the events would say without building
                # the common one (building an Event costs as much as folding it).
                if events:
                    state.apply(events)
                state.start_file(index, at, batch_id, worker_id)
                return
            events.append(Event(_FILE_STARTED, at, path=key, batch_id=batch_id, worker_id=worker_id))
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
        key = path if type(path) is str else os.fspath(path)
        with self._lock:
            state = self._state
            index = state.index.get(key)
            if index is None:
                raise UnknownFileError(key)
            if state.status_of[index] != IN_PROGRESS:
                self._check_file(key, index, IN_PROGRESS, "complete")
            at = self._clock.time()
            if self._store is None:  # in memory: fold directly, as start_file_processing does
                if success:
                    state.finish_file(index, at, SUCCEEDED)
                else:
                    state.fail_file(index, at, error_type_name(error), error_message(error), key)
                return
            if success:
                event = Event(_FILE_SUCCEEDED, at, path=key)
            else:
                event = Event(
                    _FILE_FAILED,
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
            current = self._state.status_of[index]
            if current not in (PENDING, IN_PROGRESS):
                raise InvalidTransitionError(f"file {key!r}", FILE_STATUSES[current].value, "skip")
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
            self._check_file(key, index, IN_PROGRESS, "record a failed attempt of")
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
            self._check_file(key, index, FAILED, "retry")
            requeues = self._state.requeues_of[index]
            if requeues >= self.max_retries:
                raise InvalidTransitionError(
                    f"file {key!r}",
                    f"failed and already retried {requeues} time{'s' if requeues != 1 else ''} "
                    f"(max_retries={self.max_retries})",
                    "retry",
                )
            self._emit([Event(EventKind.FILE_RETRIED, self._clock.time(), path=key)])

    def requeue_file(self, path: str | os.PathLike[str], reason: str = "rerun") -> None:
        """Put a finished file (succeeded, failed or skipped) back to pending for a re-run.

        Its outcome leaves the counts at once (a succeeded file is no longer counted succeeded) and its
        next outcome counts as new, so a re-run is counted exactly once. Journaled as FILE_REQUEUED.

        Raises:
            UnknownFileError: the file was never added.
            InvalidTransitionError: the file is not finished, or the run has ended.
        """
        key = os.fspath(path)
        with self._lock:
            self._check_run_open("requeue files in")
            index = self._lookup(key)
            current = self._state.status_of[index]
            if current in (PENDING, IN_PROGRESS):
                raise InvalidTransitionError(f"file {key!r}", FILE_STATUSES[current].value, "requeue")
            self._emit([Event(EventKind.FILE_REQUEUED, self._clock.time(), path=key, reason=reason)])

    # --- batches ----------------------------------------------------------------------------------

    def open_batch(self, batch_id: str) -> None:
        """Open a batch (a no-op if it is already open).

        Raises:
            InvalidTransitionError: the batch was closed.
        """
        if not isinstance(batch_id, str) or not batch_id:
            raise ConfigError(f"a batch id must be a non-empty string, not {batch_id!r}")
        with self._lock:
            batch_index = self._state.batch_index.get(batch_id)
            if batch_index is not None:
                if self._state.batches[batch_index].closed_at is not None:
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
            batch = self._state.batch(batch_id)
            if batch.closed_at is not None:
                raise InvalidTransitionError(f"batch {batch_id!r}", "closed", "close")
            self._emit([Event(EventKind.BATCH_CLOSED, self._clock.time(), batch_id=batch_id)])

    # --- run lifecycle ----------------------------------------------------------------------------

    @property
    def status(self) -> MigrationStatus:
        """The run's status."""
        return self._state.status

    def start(self) -> None:
        """Start the run (pending → running).

        A tracker rebuilt from a journal whose run was left running (its process died) may call
        ``start()`` or ``resume()`` once to restart it: the time the run was dead is not counted.

        Raises:
            InvalidTransitionError: the run is not pending.
        """
        with self._lock:
            if self._state.status is MigrationStatus.RUNNING and self._recovered_running:
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
            if not (self._state.status is MigrationStatus.RUNNING and self._recovered_running):
                self._check_run(MigrationStatus.PAUSED, action="resume")
            self._emit([Event(EventKind.RUN_RESUMED, self._clock.time())])

    def complete(self) -> None:
        """End the run as completed (running or paused → completed); every file must be finished.

        Raises:
            InvalidTransitionError: the run is not running or paused, or files are unfinished.
        """
        with self._lock:
            self._check_run(MigrationStatus.RUNNING, MigrationStatus.PAUSED, action="complete")
            state = self._state
            unfinished = state.count[PENDING] + state.count[IN_PROGRESS]
            if unfinished:
                raise InvalidTransitionError(
                    f"run {self.name!r}",
                    f"{state.status.value} with {unfinished} unfinished file{'s' if unfinished != 1 else ''}",
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
        return self._state.breaker_open

    def breaker_opened(self) -> None:
        """Record that the target's breaker opened (a no-op if it is already open)."""
        with self._lock:
            if not self._state.breaker_open:
                self._emit([Event(EventKind.BREAKER_OPENED, self._clock.time())])

    def breaker_closed(self) -> None:
        """Record that the target's breaker closed (a no-op if it is not open)."""
        with self._lock:
            if self._state.breaker_open:
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
        return self.total_files

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str | os.PathLike) and os.fspath(path) in self._state.index

    @property
    def total_files(self) -> int:
        """How many files are tracked (forgotten ones included, see ``forget_finished``)."""
        return len(self._state.index) + self._state.forgotten

    def forget_finished(self) -> int:
        """Drop the per-file state of the files that succeeded or were skipped; return how many.

        For a worker that works tens of millions of items: it then holds only its unfinished and failed
        files. Every count, rate, batch and error stays as it was; a forgotten file is no longer known by
        path (``get_file_info`` and the commands raise ``UnknownFileError``), and added again it counts
        as a new file. Only with ``keep_paths=False``.

        Raises:
            MigrationError: the tracker keeps the paths.
        """
        with self._lock:
            return forget_finished(self._state)

    def counts(self) -> dict[FileStatus, int]:
        """Return how many files are in each status (every status present)."""
        with self._lock:
            return dict(zip(FILE_STATUSES, self._state.count, strict=True))

    def elapsed_seconds(self, now: float | None = None) -> float:
        """Return the run's active time (paused and breaker-open time excluded) at wall time ``now``."""
        with self._lock:
            return self._state.time_at(ACTIVE, self._clock.time() if now is None else now)

    def get_progress_summary(self, activity: RunActivity | None = None) -> MigrationProgressSummary:
        """Return where the run stands now, in O(1) of the number of files.

        A run the journal shows running may have nobody working it (its process was killed). ``activity``
        says who works it (``migration.liveness.read_activity``); without it, a tracker bound to a store
        that only follows the run (it has journaled nothing itself) reads it from the store. When the run
        is interrupted, the summary says so and its clocks stop at the last journal event.
        """
        if (
            activity is None
            and self._store is not None
            and not self._writing
            and self._state.status is MigrationStatus.RUNNING
        ):
            assert self.run_id is not None
            activity = read_activity(self._store, self.run_id, self._clock.time())
        interrupted = activity is not None and activity.interrupted
        with self._lock:
            interrupted = interrupted and self._state.status is MigrationStatus.RUNNING
            return summary_at(
                self._state,
                self._clock.time(),
                name=self.name,
                run_id=self.run_id,
                priority=self.priority,
                interrupted=interrupted,
            )

    def get_file_info(self, path: str | os.PathLike[str]) -> FileProcessingInfo:
        """Return one file's state.

        Raises:
            UnknownFileError: the file was never added.
        """
        key = os.fspath(path)
        with self._lock:
            return self._state.file_info(key, self._lookup(key))

    def failed_paths(self) -> list[str]:
        """Return the paths of the files that failed for good (not requeued since), in the order added.

        Answers with ``keep_paths=False`` too: the paths of failed files are kept.
        """
        with self._lock:
            return self._state.failed_paths()

    def get_batch_metrics(self, batch_id: str) -> BatchProcessingMetrics:
        """Return one batch's metrics.

        Raises:
            UnknownBatchError: no batch with that id.
        """
        with self._lock:
            return self._state.batch(batch_id).metrics(self._clock.time())

    def to_dataframe(self) -> pd.DataFrame:
        """Return one row per file: ``path, size, status, attempts, batch_id, started_at, finished_at,
        duration_s, error_type, error_message``.

        Times are UTC datetimes (NaT when absent), ``duration_s`` is NaN until a file finishes, and the
        text columns are object columns holding None when absent.

        Raises:
            MigrationError: the tracker keeps only hashes of the paths (``keep_paths=False``).
        """
        return files_frame(self._state, self._lock)

    def progress_dataframe(self) -> pd.DataFrame:
        """Return the progress time series: ``at`` (UTC), ``elapsed_s``, the counts, rates and ETA columns.

        Rows are sampled at most once per ``sample_interval`` seconds of event time, plus at each run
        status change and batch close, and thinned out past ``max_samples`` (NaN where no ETA).
        """
        return progress_frame(self._state, self._lock)

    def batches_dataframe(self) -> pd.DataFrame:
        """Return one row per batch: ``batch_id, opened_at, closed_at, duration_s, files, succeeded, failed,
        skipped, success_rate, worker_id, attempts, outcome`` (``closed_at`` NaT and ``duration_s`` so far
        while a batch is open; ``attempts`` counts every start and retried attempt in the batch; ``outcome``
        is one of ``BATCH_OUTCOMES``)."""
        return batches_frame(self._state, self._lock, self._clock.time())

    def throttle_intervals(self) -> pd.DataFrame:
        """Return the throttle timeline: ``began_at, ended_at, duration_s, reason``, one row per interval
        health rules held the run (``ended_at`` NaT and the duration so far while it still holds)."""
        return throttle_frame(self._state, self._lock, self._clock.time())

    def __repr__(self) -> str:
        state = self._state
        with self._lock:
            breaker = " breaker=open" if state.breaker_open else ""
            return (
                f"<MigrationProgressTracker {self.name!r} {state.status.value}{breaker} "
                f"{state.finished()}/{len(state.index)} finished (failed={state.count[FAILED]} "
                f"in_progress={state.count[IN_PROGRESS]}) {state.rates.files_rate:.2f} files/s>"
            )

    # --- internals: validation and emission ------------------------------------------------------

    def _emit(self, events: Sequence[Event]) -> None:
        """Persist events (when bound) and apply them, in journal order."""
        store = self._store
        state = self._state
        if store is None:
            state.apply(events)
            return
        assert self.run_id is not None
        last = store.append(self.run_id, events)
        self._recovered_running = False
        self._writing = True
        if last == state.seq + len(events):
            state.apply(events)  # built here with seq 0: applied as they are
            state.seq = last
        else:
            self._catch_up(last)

    def _catch_up(self, last_seq: int) -> int:
        """Someone else appended in between: apply the journal up to ``last_seq`` in its own order."""
        store = self._store
        assert store is not None
        assert self.run_id is not None
        state = self._state
        if last_seq <= state.seq:
            return 0
        return state.apply(store.read_events(self.run_id, after_seq=state.seq, limit=last_seq - state.seq))

    def _lookup(self, key: str) -> int:
        index = self._state.index.get(key)
        if index is None:
            raise UnknownFileError(key)
        return index

    def _check_file(self, key: str, index: int, expected: int, action: str) -> None:
        current = self._state.status_of[index]
        if current != expected:
            raise InvalidTransitionError(f"file {key!r}", FILE_STATUSES[current].value, action)

    def _check_run(self, *allowed: MigrationStatus, action: str) -> None:
        if self._state.status not in allowed:
            raise InvalidTransitionError(f"run {self.name!r}", self._state.status.value, action)

    def _check_run_open(self, action: str) -> None:
        if self._state.status in FINISHED_RUN_STATUSES:
            raise InvalidTransitionError(f"run {self.name!r}", self._state.status.value, action)


def _check_size(key: str, size: Any) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ConfigError(f"file size of {key!r} must be a whole number of bytes >= 0, not {size!r}")
