"""The run state of a migration and its reduction: ``RunState.apply`` folds one journal event, O(1).

Seam: this module is the *reducer* half of the tracker. It holds the run's counters, per-file arrays,
batches, time accounting and progress samples, and folds events into them one at a time without validating
anything beyond what the fold needs. It never reads a clock, never touches a store and takes no lock: the
command side (``migration/tracker.py``) validates, stamps, appends and serializes access. Beside it: the
walk of a journal that folds runs of frequent events in one pass (``migration/run_fold.py``), the measures
read from the state (``migration/run_measures.py``: rates, ETA, summary), the codes its arrays hold
(``migration/run_codes.py``) and the DataFrame views (``migration/tracker_views.py``).

Per-file state lives in compact parallel arrays indexed by the order files were added (a dict maps each
path to its index), error details only for files that failed: about 170 bytes per file with the paths
(the path string and its dict slot are most of it). With ``keep_paths=False`` a ``HashedKeys`` index
(``migration/key_index.py``) holds each path's 64-bit hash instead, and a file costs under 50 bytes; the
paths can then not be listed (``files_frame`` says so), while everything asked by path still answers.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final

from omnimemory_kit.errors import UnknownBatchError, UnknownFileError
from omnimemory_kit.events import STRING_ERROR_TYPE, Event, EventKind, MigrationStatus
from omnimemory_kit.migration.eta import EtaEstimator
from omnimemory_kit.migration.key_index import HashedKeys
from omnimemory_kit.migration.rates import RateConfig, RateEstimator
from omnimemory_kit.migration.run_codes import (
    ACTIVE,
    BIG_SIZE,
    BREAKER_PHASE,
    FAILED,
    FILE_STATUSES,
    IDLE,
    IN_PROGRESS,
    MAX_ATTEMPTS,
    MAX_REQUEUES,
    NO_BATCH,
    PAUSED_PHASE,
    PENDING,
    SKIPPED,
    SUCCEEDED,
    THROTTLED_PHASE,
    utc,
)
from omnimemory_kit.migration.run_fold import fold_journal
from omnimemory_kit.migration.run_measures import progress_row
from omnimemory_kit.migration.summary import BatchProcessingMetrics, FileProcessingInfo

__all__ = ["STRING_ERROR_TYPE", "RunState"]

_NAN: Final = math.nan

# Bound once: looking a member up on its enum class costs more than the comparison it is used in.
_PENDING_RUN: Final = MigrationStatus.PENDING
_RUNNING: Final = MigrationStatus.RUNNING


def _ignore(event: Event) -> None:
    """Fold an event that changes nothing in the run state."""


class Batch:
    """One batch's counters (mutable, internal; snapshots are ``BatchProcessingMetrics``)."""

    __slots__ = (
        "batch_id",
        "closed_at",
        "failed",
        "files",
        "in_progress",
        "interrupted",
        "opened_at",
        "retries",
        "skipped",
        "succeeded",
        "worker_id",
    )

    def __init__(self, batch_id: str, opened_at: float, worker_id: str | None = None) -> None:
        self.batch_id = batch_id
        self.opened_at = opened_at
        self.worker_id = worker_id
        self.retries = 0  # attempts that failed and were retried within the batch
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
        opened_at = utc(self.opened_at)
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
            closed_at=utc(self.closed_at),
            duration_seconds=max(0.0, end - self.opened_at),
        )


class RunState:
    """A run's state as the reduction of its journal so far (mutable, internal; snapshots are values).

    Attributes are read directly by the command side and the views of this package; only ``apply`` and
    the ``_on_*`` handlers change them.

    Args:
        rate_config: smoothing and ETA-evidence thresholds.
        sample_interval: seconds of event time between rows of the progress time series.
        max_samples: cap on the progress time series; past it, every other row is dropped and the
            interval doubles.
        keep_paths: hold the paths (a dict) or only their 64-bit hashes (``HashedKeys``, see the module).
    """

    def __init__(
        self, rate_config: RateConfig, sample_interval: float, max_samples: int, *, keep_paths: bool = True
    ) -> None:
        self.rate_config = rate_config
        self.keep_paths = keep_paths

        # run
        self.status = MigrationStatus.PENDING
        self.status_reason: str | None = None
        self.created_at: float | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.breaker_open = False
        # health gating: worker id -> why it stopped claiming; the run is throttled while any worker is
        self.throttled_by: dict[str, str] = {}
        # the throttle timeline: [began, ended (NaN while throttled), reason], oldest first
        self.throttle_intervals: list[list[Any]] = []
        self.last_at = 0.0
        # time accounting: accumulated seconds per phase, and the current phase since when
        self.phase = IDLE
        self.phase_since = 0.0
        self.time_in = [0.0, 0.0, 0.0, 0.0, 0.0]  # indexed by phase
        self.rates = RateEstimator(rate_config.tau_seconds)
        self.eta = EtaEstimator(rate_config.eta)

        # files: parallel arrays indexed by insertion order (the dict keeps that order too)
        self.index: dict[str, int] | HashedKeys = {} if keep_paths else HashedKeys()
        self.status_of = array("b")
        self.size_of = array("I")  # sizes of 4 GiB and more read BIG_SIZE here and live in big_sizes
        self.big_sizes: dict[int, int] = {}
        self.attempts_of = array("H")
        self.requeues_of = array("B")
        self.started_of = array("d")
        self.finished_of = array("d")
        self.batch_of = array("i")
        self.errors: dict[int, tuple[str, str]] = {}  # index → (type, message), failed files only
        # index → path of failed files, when the index cannot give paths back (keep_paths=False)
        self.failed_keys: dict[int, str] | None = None if keep_paths else {}
        self.skip_reasons: dict[int, str] = {}  # index → reason, skipped files given one
        # files whose per-file state was dropped once finished (``run_state_compaction``); still counted
        self.forgotten = 0

        # counters
        self.count = [0, 0, 0, 0, 0]  # files per status code
        self.bytes_in = [0, 0, 0, 0, 0]  # bytes per status code
        self.errors_by_type: Counter[str] = Counter()
        self.completions = 0
        self.unsized = 0  # files added without a size: while any exist, bytes cannot weigh what is left
        self.attempt_failures = 0
        self.requeued = 0
        self.interrupted_count = 0
        self.stuck_calls: dict[str, int] = {}  # worker id -> sync calls stuck after a timeout

        # batches
        self.batches: list[Batch] = []
        self.batch_index: dict[str, int] = {}
        self.active_batches: dict[int, None] = {}  # batches with files in progress, insertion-ordered
        self.open_batches = 0

        # progress time series
        self.sample_interval = float(sample_interval)
        self.max_samples = int(max_samples)
        self.samples: list[tuple[float, ...]] = []
        self.next_sample_at = -math.inf

        self.seq = 0  # the store seq of the last journal event applied
        self.handlers: dict[EventKind, Callable[[Event], None]] = {
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
            EventKind.FILE_REQUEUED: self._on_file_requeued,
            EventKind.BREAKER_OPENED: self._on_breaker_opened,
            EventKind.BREAKER_CLOSED: self._on_breaker_closed,
            EventKind.RUN_THROTTLED: self._on_run_throttled,
            EventKind.RUN_UNTHROTTLED: self._on_run_unthrottled,
            EventKind.CALL_STUCK: self._on_call_stuck,
            EventKind.CALL_FREED: self._on_call_freed,
            # validation outcomes change no item's migration state (``migration/validation.py`` folds them)
            EventKind.ITEM_VALIDATED: _ignore,
            EventKind.ITEM_MISMATCHED: _ignore,
            EventKind.ITEM_VALIDATION_ERROR: _ignore,
        }

    # --- the reduction ----------------------------------------------------------------------------

    def apply(self, events: Iterable[Event]) -> int:
        """Fold events in order; return how many were applied.

        An event carrying a store ``seq`` at or below the last one applied is skipped, so a journal
        segment applied twice (a replay overlapping a ``refresh``) counts once; events with ``seq`` 0
        (not appended, or the caller's own objects) are always applied. Runs of adds, starts and
        successes are folded in one pass each (``migration/run_fold.py``).

        Raises:
            UnknownFileError: a FILE_* event other than FILE_ADDED names a file never added.
        """
        return fold_journal(self, events)

    def batch(self, batch_id: str) -> Batch:
        """Return the batch ``batch_id``.

        Raises:
            UnknownBatchError: no batch with that id.
        """
        batch_index = self.batch_index.get(batch_id)
        if batch_index is None:
            raise UnknownBatchError(batch_id)
        return self.batches[batch_index]

    def failed_paths(self) -> list[str]:
        """Return the paths of the files that failed for good, in the order they were added."""
        if self.failed_keys is not None:
            return [self.failed_keys[index] for index in sorted(self.failed_keys)]
        assert isinstance(self.index, dict)
        status_of = self.status_of
        return [key for key, index in self.index.items() if status_of[index] == FAILED]

    def size_of_file(self, index: int) -> int:
        """Return the size of the file at ``index``."""
        size = self.size_of[index]
        return self.big_sizes[index] if size == BIG_SIZE else size

    def finished(self) -> int:
        """Return how many files are finished (succeeded, failed or skipped)."""
        count = self.count
        return count[SUCCEEDED] + count[FAILED] + count[SKIPPED]

    def file_info(self, key: str, index: int) -> FileProcessingInfo:
        """Return the state of the file ``key`` stored at ``index``."""
        started = self.started_of[index]
        finished = self.finished_of[index]
        batch_index = self.batch_of[index]
        error = self.errors.get(index)
        return FileProcessingInfo(
            path=key,
            size=self.size_of_file(index),
            status=FILE_STATUSES[self.status_of[index]],
            attempts=self.attempts_of[index],
            requeues=self.requeues_of[index],
            batch_id=None if batch_index == NO_BATCH else self.batches[batch_index].batch_id,
            started_at=utc(started),
            finished_at=utc(finished),
            duration_seconds=None if math.isnan(finished - started) else max(0.0, finished - started),
            error_type=error[0] if error else None,
            error_message=error[1] if error else None,
            skip_reason=self.skip_reasons.get(index),
        )

    # --- time accounting --------------------------------------------------------------------------

    def time_at(self, phase: int, now: float) -> float:
        spent = self.time_in[phase]
        if self.phase == phase:
            spent += max(0.0, now - self.phase_since)
        return spent

    def _enter_phase(self, at: float, *, restart: bool = False) -> None:
        """Close the current time interval and open the one the run's state now calls for.

        ``restart`` closes the interval at the last event before this one instead: the run's process
        died after it, and the dead time belongs to no phase.
        """
        until = self.last_at if restart else at
        if restart:
            self.breaker_open = False  # the dead process's breaker died with it; the new one starts closed
            self._clear_throttle(until)  # and so did its throttle
        if self.phase != IDLE:
            self.time_in[self.phase] += max(0.0, until - self.phase_since)
        status = self.status
        if status is MigrationStatus.RUNNING:
            if self.breaker_open:
                phase = BREAKER_PHASE
            elif self.throttled_by:
                phase = THROTTLED_PHASE
            else:
                phase = ACTIVE
        elif status is MigrationStatus.PAUSED:
            phase = PAUSED_PHASE
        else:
            phase = IDLE
        self.phase = phase
        self.phase_since = at
        if phase == ACTIVE:
            self.rates.start(self.time_in[ACTIVE])
            self.eta.start(self.time_in[ACTIVE])

    # --- event handlers (the reduction) ------------------------------------------------------------

    def _on_run_created(self, event: Event) -> None:
        self.created_at = event.at  # the journal's creation time wins over the tracker's construction
        self.last_at = event.at

    def _on_run_running(self, event: Event) -> None:
        """Apply RUN_STARTED or RUN_RESUMED: both enter the running phase (again, after a crash)."""
        restart = self.status is MigrationStatus.RUNNING
        if self.started_at is None:
            self.started_at = event.at
        self.status = MigrationStatus.RUNNING
        self.status_reason = event.reason
        self._enter_phase(event.at, restart=restart)
        self.last_at = event.at
        self._sample(event.at)

    def _on_run_paused(self, event: Event) -> None:
        self.status = MigrationStatus.PAUSED
        self.status_reason = event.reason
        self._enter_phase(event.at)
        self.last_at = event.at
        self._sample(event.at)

    def _on_run_completed(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.COMPLETED)

    def _on_run_failed(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.FAILED)

    def _on_run_cancelled(self, event: Event) -> None:
        self._end_run(event, MigrationStatus.CANCELLED)

    def _end_run(self, event: Event, status: MigrationStatus) -> None:
        self.stuck_calls.clear()  # stuck threads end with the processes that held them
        self.status = status
        self.status_reason = event.reason
        self.finished_at = event.at
        self._clear_throttle(event.at)
        self._enter_phase(event.at)
        self.last_at = event.at
        self._sample(event.at)

    def _on_breaker_opened(self, event: Event) -> None:
        self.breaker_open = True
        self._enter_phase(event.at)
        self.last_at = event.at

    def _on_run_throttled(self, event: Event) -> None:
        reason = event.reason or "throttled"
        if not self.throttled_by:
            self.throttle_intervals.append([event.at, _NAN, reason])
        else:
            self.throttle_intervals[-1][2] = "; ".join(dict.fromkeys((*self.throttled_by.values(), reason)))
        self.throttled_by[event.worker_id or ""] = reason
        self._enter_phase(event.at)
        self.last_at = event.at

    def _on_run_unthrottled(self, event: Event) -> None:
        if self.throttled_by.pop(event.worker_id or "", None) is not None and not self.throttled_by:
            self.throttle_intervals[-1][1] = event.at
        self._enter_phase(event.at)
        self.last_at = event.at

    def _clear_throttle(self, at: float) -> None:
        if self.throttled_by:
            self.throttled_by.clear()
            self.throttle_intervals[-1][1] = at

    @property
    def throttle_reason(self) -> str | None:
        """Return why the run is throttled now (every throttling worker's reason), or None."""
        if not self.throttled_by:
            return None
        return "; ".join(dict.fromkeys(self.throttled_by.values()))

    def _on_breaker_closed(self, event: Event) -> None:
        self.breaker_open = False
        self._enter_phase(event.at)
        self.last_at = event.at

    def _on_call_stuck(self, event: Event) -> None:
        worker = event.worker_id or ""
        self.stuck_calls[worker] = self.stuck_calls.get(worker, 0) + 1

    def _on_call_freed(self, event: Event) -> None:
        worker = event.worker_id or ""
        left = self.stuck_calls.get(worker, 0) - 1
        if left > 0:
            self.stuck_calls[worker] = left
        else:
            self.stuck_calls.pop(worker, None)

    def _open_batch(self, batch_id: str, at: float, worker_id: str | None = None) -> int:
        batch_index = len(self.batches)
        self.batches.append(Batch(batch_id, at, worker_id))
        self.batch_index[batch_id] = batch_index
        self.open_batches += 1
        return batch_index

    def _on_batch_opened(self, event: Event) -> None:
        batch_id = event.batch_id
        assert batch_id is not None, "BATCH_OPENED needs a batch_id"
        if batch_id not in self.batch_index:
            self._open_batch(batch_id, event.at, event.worker_id)
        self.last_at = event.at

    def _on_batch_closed(self, event: Event) -> None:
        batch_id = event.batch_id
        assert batch_id is not None, "BATCH_CLOSED needs a batch_id"
        batch = self.batch(batch_id)
        if batch.closed_at is None:
            batch.closed_at = event.at
            self.open_batches -= 1
        self.last_at = event.at
        self._sample(event.at)

    def _on_file_added(self, event: Event) -> None:
        key = event.path
        assert key is not None, "FILE_ADDED needs a path"
        self.add_file(key, event.size or 0, event.at)

    def add_file(self, key: str, size: int, at: float) -> bool:
        """Fold FILE_ADDED: track ``key`` pending; return False (and change nothing) if already tracked."""
        index = self.index
        if key in index:  # idempotent, as add_file and the store's add_items are
            return False
        index[key] = len(index)
        self.status_of.append(PENDING)
        if size < BIG_SIZE:
            self.size_of.append(size)
        else:
            self.size_of.append(BIG_SIZE)
            self.big_sizes[len(index) - 1] = size
        if not size:
            self.unsized += 1
        self.attempts_of.append(0)
        self.requeues_of.append(0)
        self.started_of.append(_NAN)
        self.finished_of.append(_NAN)
        self.batch_of.append(NO_BATCH)
        self.count[PENDING] += 1
        self.bytes_in[PENDING] += size
        self.last_at = at
        return True

    def _move(self, index: int, new: int) -> int:
        """Move a file to status ``new``, keeping every counter in step; return its old status."""
        status_of = self.status_of
        old = status_of[index]
        status_of[index] = new
        size = self.size_of[index]
        if size == BIG_SIZE:
            size = self.big_sizes[index]
        count = self.count
        count[old] -= 1
        count[new] += 1
        if size:
            nbytes = self.bytes_in
            nbytes[old] -= size
            nbytes[new] += size
        if old == IN_PROGRESS:
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                batch = self.batches[batch_index]
                batch.in_progress -= 1
                if batch.in_progress == 0:
                    self.active_batches.pop(batch_index, None)
        elif old == SKIPPED:
            self.skip_reasons.pop(index, None)
        elif old == FAILED:
            error = self.errors.pop(index, None)
            if self.failed_keys is not None:
                self.failed_keys.pop(index, None)
            if error is not None:
                self.errors_by_type[error[0]] -= 1
                if self.errors_by_type[error[0]] <= 0:
                    del self.errors_by_type[error[0]]
        return old

    def _index_of(self, event: Event) -> int:
        """Return the index of the file a FILE_* event names.

        Raises:
            UnknownFileError: the file was never added.
        """
        key = event.path
        index = None if key is None else self.index.get(key)
        if index is None:
            raise UnknownFileError(str(key))
        return index

    def _on_file_started(self, event: Event) -> None:
        index = self._index_of(event)
        self.start_file(index, event.at, event.batch_id, event.worker_id)

    def start_file(self, index: int, at: float, batch_id: str | None, worker_id: str | None) -> None:
        """Fold FILE_STARTED for the file at ``index`` (the hot path: the command side calls it directly)."""
        if self.status is _PENDING_RUN:  # a journal without RUN_STARTED: start implicitly
            self.started_at = at
            self.status = _RUNNING
            self._enter_phase(at)
        status_of = self.status_of
        if status_of[index] == PENDING:  # the common case, inlined: this is the hot path
            status_of[index] = IN_PROGRESS
            count = self.count
            count[PENDING] -= 1
            count[IN_PROGRESS] += 1
            size = self.size_of[index]
            if size == BIG_SIZE:
                size = self.big_sizes[index]
            if size:
                nbytes = self.bytes_in
                nbytes[PENDING] -= size
                nbytes[IN_PROGRESS] += size
        else:
            if status_of[index] == IN_PROGRESS:
                self._move(index, PENDING)  # a start over a start: leave the old batch cleanly
            self._move(index, IN_PROGRESS)
        attempts_of = self.attempts_of
        attempts = attempts_of[index]
        if attempts < MAX_ATTEMPTS:
            attempts_of[index] = attempts + 1
        self.started_of[index] = at
        self.finished_of[index] = _NAN
        if batch_id is None:
            self.batch_of[index] = NO_BATCH
        else:
            batch_index = self.batch_index.get(batch_id)
            if batch_index is None:
                batch_index = self._open_batch(batch_id, at, worker_id)
            self.batch_of[index] = batch_index
            batch = self.batches[batch_index]
            batch.files += 1
            if not batch.in_progress:
                self.active_batches[batch_index] = None
            batch.in_progress += 1
        self.last_at = at
        if at >= self.next_sample_at:
            self._sample(at)

    def start_pending(self, indexes: list[int], at: float, batch_id: str) -> bool:
        """Fold FILE_STARTED for distinct pending files at one time into one open batch, as ``start_file``
        does one by one (a claim's starts, after its first took any sample due); return False, folding
        nothing, unless that holds (the batch is open, no sample is due at ``at``, every file pending).
        """
        batch_index = self.batch_index.get(batch_id)
        status_of = self.status_of
        if (
            batch_index is None
            or self.status is _PENDING_RUN
            or at >= self.next_sample_at
            or any(status_of[index] != PENDING for index in indexes)
            or len(set(indexes)) != len(indexes)
        ):
            return False
        attempts_of, started_of, finished_of, batch_of = (
            self.attempts_of, self.started_of, self.finished_of, self.batch_of
        )  # fmt: skip
        size_of, big_sizes = self.size_of, self.big_sizes
        nbytes = 0
        for index in indexes:
            status_of[index] = IN_PROGRESS
            attempts = attempts_of[index]
            if attempts < MAX_ATTEMPTS:
                attempts_of[index] = attempts + 1
            started_of[index] = at
            finished_of[index] = _NAN
            batch_of[index] = batch_index
            size = size_of[index]
            nbytes += big_sizes[index] if size == BIG_SIZE else size
        n = len(indexes)
        count = self.count
        count[PENDING] -= n
        count[IN_PROGRESS] += n
        if nbytes:
            self.bytes_in[PENDING] -= nbytes
            self.bytes_in[IN_PROGRESS] += nbytes
        batch = self.batches[batch_index]
        batch.files += n
        if n and not batch.in_progress:
            self.active_batches[batch_index] = None
        batch.in_progress += n
        if n:
            self.last_at = at
        return True

    def _finish(self, event: Event, new: int) -> int:
        index = self._index_of(event)
        self.finish_file(index, event.at, new)
        return index

    def finish_file(self, index: int, at: float, new: int) -> None:
        """Fold the end of the file at ``index`` in status ``new`` (succeeded, failed or skipped).

        Error details and skip reasons are the caller's to record (``fail_file`` does both halves).
        """
        status_of = self.status_of
        old = status_of[index]
        size = self.size_of[index]
        if size == BIG_SIZE:
            size = self.big_sizes[index]
        if old == IN_PROGRESS:  # the common case, inlined: this is the hot path
            status_of[index] = new
            count = self.count
            count[IN_PROGRESS] -= 1
            count[new] += 1
            if size:
                nbytes = self.bytes_in
                nbytes[IN_PROGRESS] -= size
                nbytes[new] += size
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                batch = self.batches[batch_index]
                batch.in_progress -= 1
                if not batch.in_progress:
                    self.active_batches.pop(batch_index, None)
                if new == SUCCEEDED:
                    batch.succeeded += 1
                elif new == FAILED:
                    batch.failed += 1
                else:
                    batch.skipped += 1
        else:
            self._move(index, new)
        self.finished_of[index] = at
        if old <= IN_PROGRESS:  # fresh work finished (not a finished file changing its outcome)
            self.completions += 1
            # completions while not active land at the frozen active time and are folded in later
            active = self.time_in[ACTIVE]
            if self.phase == ACTIVE and at > self.phase_since:
                active += at - self.phase_since
            self.rates.observe(active, 1.0, size)
            self.eta.observe(active, 1.0, size)
        self.last_at = at
        if at >= self.next_sample_at:
            self._sample(at)

    def _on_file_succeeded(self, event: Event) -> None:
        self._finish(event, SUCCEEDED)

    def _on_file_skipped(self, event: Event) -> None:
        index = self._finish(event, SKIPPED)
        if event.reason:
            self.skip_reasons[index] = event.reason

    def _on_file_failed(self, event: Event) -> None:
        index = self._index_of(event)
        self.fail_file(
            index, event.at, event.error_type or STRING_ERROR_TYPE, event.error_message or "", str(event.path)
        )

    def fail_file(self, index: int, at: float, error_type: str, message: str, key: str) -> None:
        """Fold FILE_FAILED for the file ``key`` at ``index``: it failed for good with this error."""
        self.finish_file(index, at, FAILED)
        self.errors[index] = (error_type, message)
        self.errors_by_type[error_type] += 1
        if self.failed_keys is not None:
            self.failed_keys[index] = key

    def _on_file_retried(self, event: Event) -> None:
        index = self._index_of(event)
        current = self.status_of[index]
        if current == IN_PROGRESS:  # an attempt failed; the file stays in progress for the next one
            self.attempt_failures += 1
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                self.batches[batch_index].retries += 1
            attempts = self.attempts_of[index]
            if attempts < MAX_ATTEMPTS:
                self.attempts_of[index] = attempts + 1
        elif current == FAILED:  # requeued by retry_file
            self._requeue(index)
        self.last_at = event.at

    def _on_file_interrupted(self, event: Event) -> None:
        index = self._index_of(event)
        if self.status_of[index] == IN_PROGRESS:
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                self.batches[batch_index].interrupted += 1
            self._move(index, PENDING)
            self.interrupted_count += 1
        self.last_at = event.at

    def _on_file_requeued(self, event: Event) -> None:
        """A finished file goes back to pending for a re-run: its outcome leaves the counters (once)."""
        index = self._index_of(event)
        if self.status_of[index] >= SUCCEEDED:  # succeeded, failed or skipped; otherwise as it is
            self._requeue(index)
        self.last_at = event.at

    def _requeue(self, index: int) -> None:
        """A finished file back to pending: its outcome leaves the counters, its requeues count one more."""
        self._move(index, PENDING)
        self.requeued += 1
        requeues = self.requeues_of[index]
        if requeues < MAX_REQUEUES:
            self.requeues_of[index] = requeues + 1
        self.finished_of[index] = _NAN

    def _sample(self, at: float) -> None:
        """Append a row to the progress time series, thinning it past ``max_samples``."""
        samples = self.samples
        if samples and at < samples[-1][0]:
            # Outcomes are journaled when reported, stamped with when they happened: a batch's results can
            # follow the next batch's start. The series shows what the journal knew by each time, so its
            # time never goes backwards.
            at = samples[-1][0]
        samples.append(progress_row(self, at))
        if len(samples) > self.max_samples:
            del samples[1::2]  # keep the first row and every other one after it
            self.sample_interval *= 2.0
        self.next_sample_at = at + self.sample_interval
