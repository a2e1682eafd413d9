"""The run state of a migration and its reduction: ``RunState.apply`` folds one journal event, O(1).

Seam: this module is the *reducer* half of the tracker. It holds the run's counters, per-file arrays,
batches, time accounting and progress samples, folds events into them without validating anything beyond
what the fold needs, and measures them (summary, file info, batch metrics). It never reads a clock, never
touches a store and takes no lock: the command side (``migration/tracker.py``) validates, stamps, appends
and serializes access; the DataFrame views (``migration/tracker_views.py``) read it.

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
from datetime import UTC, datetime
from typing import Any, Final

from omnimemory_kit.errors import UnknownBatchError, UnknownFileError
from omnimemory_kit.events import (
    STRING_ERROR_TYPE,
    Event,
    EventKind,
    FileStatus,
    MigrationPriority,
    MigrationStatus,
)
from omnimemory_kit.migration.eta import EtaEstimator, EtaForecast
from omnimemory_kit.migration.key_index import HashedKeys
from omnimemory_kit.migration.rates import (
    EtaEstimate,
    EtaUnavailableReason,
    RateConfig,
    RateEstimator,
    estimate_eta,
    overall_rate,
)
from omnimemory_kit.migration.summary import (
    BatchProcessingMetrics,
    FileProcessingInfo,
    MigrationProgressSummary,
    ProcessingRates,
)

__all__ = ["STRING_ERROR_TYPE", "RunState"]

# File status codes: positions in FileStatus, stored one byte per file.
PENDING, IN_PROGRESS, SUCCEEDED, FAILED, SKIPPED = range(5)
FILE_STATUSES: Final = tuple(FileStatus)
MAX_REQUEUES: Final = 0xFF  # array('B')
NO_BATCH: Final = -1
_MAX_ATTEMPTS: Final = 0xFFFF  # array('H')
BIG_SIZE: Final = 0xFFFF_FFFF  # array('I'): a size this large or larger is kept in RunState.big_sizes
_NAN: Final = math.nan

# What the run is doing with its time: only ACTIVE time counts for rates and elapsed.
IDLE, ACTIVE, PAUSED_PHASE, BREAKER_PHASE, THROTTLED_PHASE = range(5)

# Bound once: looking a member up on its enum class costs more than the comparison it is used in.
_PENDING_RUN: Final = MigrationStatus.PENDING
_RUNNING: Final = MigrationStatus.RUNNING

_RUN_LIMIT: Final = 4096  # events of one kind folded together at most (a replay's runs can be millions)

_INTERRUPTED_ETA: Final = EtaEstimate(None, None, None, EtaUnavailableReason.INTERRUPTED)


def utc(at: float | None) -> datetime | None:
    """Return epoch seconds as an aware UTC datetime (None for None or NaN)."""
    return None if at is None or math.isnan(at) else datetime.fromtimestamp(at, tz=UTC)


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
        # The kinds a run journals by the thousand: a run of them is folded in one pass (see ``apply``).
        self.bulk: dict[EventKind, Callable[[list[Event]], None]] = {
            EventKind.FILE_ADDED: self._add_events,
            EventKind.FILE_STARTED: self._start_events,
            EventKind.FILE_SUCCEEDED: self._succeed_events,
        }

    # --- the reduction ----------------------------------------------------------------------------

    def apply(self, events: Iterable[Event]) -> int:
        """Fold events in order; return how many were applied.

        An event carrying a store ``seq`` at or below the last one applied is skipped, so a journal
        segment applied twice (a replay overlapping a ``refresh``) counts once; events with ``seq`` 0
        (not appended, or the caller's own objects) are always applied.

        Raises:
            UnknownFileError: a FILE_* event other than FILE_ADDED names a file never added.
        """
        handlers = self.handlers
        bulk = self.bulk
        run: list[Event] = []  # consecutive events of one kind in ``bulk``, folded together
        run_kind: EventKind | None = None
        seen = self.seq  # the last seq folded, or in ``run`` to be folded
        applied = 0
        try:
            for event in events:
                seq = event.seq
                if seq and seq <= seen:
                    continue
                applied += 1
                kind = event.kind
                if kind is run_kind and len(run) < _RUN_LIMIT:
                    run.append(event)
                    if seq:
                        seen = seq
                    continue
                if run:
                    folding, run = run, []
                    self._fold_run(run_kind, folding)  # type: ignore[arg-type]
                self.seq = seen  # every event before this one is folded
                if seq:
                    seen = seq
                if kind in bulk:
                    run_kind = kind
                    run.append(event)
                else:
                    run_kind = None
                    self.seq = seen
                    handlers[kind](event)
        finally:
            if run:  # the last run (or, when reading the events failed, what they gave up to then)
                self._fold_run(run_kind, run)  # type: ignore[arg-type]
                self.seq = seen
        return applied

    def _fold_run(self, kind: EventKind, run: list[Event]) -> None:
        if len(run) > 1:
            self.bulk[kind](run)
            return
        # one event (adds and starts alternate in a worker's own events read back): its handler is cheaper
        event = run[0]
        if event.seq:
            self.seq = event.seq
        self.handlers[kind](event)

    def _unknown(self, run: list[Event], event: Event) -> UnknownFileError:
        """Return the error for an event of ``run`` naming a file never added; the fold stops at it, and
        ``seq`` and ``last_at`` say so, as they would after folding the run one event at a time."""
        position = next(i for i, other in enumerate(run) if other is event)
        if position:
            self.last_at = run[position - 1].at
        seqs = [other.seq for other in run[: position + 1] if other.seq]
        if seqs:
            self.seq = seqs[-1]
        return UnknownFileError(str(event.path))

    def _add_events(self, events: list[Event]) -> None:
        """Fold FILE_ADDED events in order, as ``add_file`` does one by one: the arrays grow once."""
        index = self.index
        first = position = len(index)
        sizes: list[int] = []
        total = 0
        unsized = 0
        last_at = self.last_at
        for event in events:
            key = event.path
            assert key is not None, "FILE_ADDED needs a path"
            if key in index:  # idempotent, as add_file and the store's add_items are
                continue
            index[key] = position
            size = event.size or 0
            if not size:
                unsized += 1
            elif size >= BIG_SIZE:
                self.big_sizes[position] = size
            sizes.append(size if size < BIG_SIZE else BIG_SIZE)
            total += size
            position += 1
            last_at = event.at  # a file already tracked changes nothing, its time included
        new = position - first
        if new:
            # zeros are PENDING, no attempts and no requeues
            self.status_of.frombytes(bytes(new * self.status_of.itemsize))
            self.size_of.extend(sizes)
            self.attempts_of.frombytes(bytes(new * self.attempts_of.itemsize))
            self.requeues_of.frombytes(bytes(new * self.requeues_of.itemsize))
            unset = array("d", (_NAN,)) * new
            self.started_of.extend(unset)
            self.finished_of.extend(unset)
            self.batch_of.extend(array("i", (NO_BATCH,)) * new)
            self.count[PENDING] += new
            self.bytes_in[PENDING] += total
            self.unsized += unsized
            self.last_at = last_at

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

    def _start_events(self, events: list[Event]) -> None:
        """Fold FILE_STARTED events in order, as ``start_file`` does: the common case inline."""
        index_get = self.index.get
        status_of, size_of, attempts_of = self.status_of, self.size_of, self.attempts_of
        started_of, finished_of, batch_of = self.started_of, self.finished_of, self.batch_of
        count, nbytes, batches = self.count, self.bytes_in, self.batches
        next_sample_at = self.next_sample_at
        batch_id: str | None = None
        batch_index = NO_BATCH
        batch: Batch | None = None
        for event in events:
            index = index_get(event.path)  # type: ignore[arg-type]
            if index is None:
                raise self._unknown(events, event)
            at = event.at
            if self.status is _PENDING_RUN or status_of[index] != PENDING or event.batch_id is None:
                self.start_file(index, at, event.batch_id, event.worker_id)
                batch_id, next_sample_at = None, self.next_sample_at
                continue
            if event.batch_id != batch_id:
                batch_id = event.batch_id
                found = self.batch_index.get(batch_id)
                batch_index = self._open_batch(batch_id, at, event.worker_id) if found is None else found
                batch = batches[batch_index]
            assert batch is not None
            status_of[index] = IN_PROGRESS
            count[PENDING] -= 1
            count[IN_PROGRESS] += 1
            size = size_of[index]
            if size:
                if size == BIG_SIZE:
                    size = self.big_sizes[index]
                nbytes[PENDING] -= size
                nbytes[IN_PROGRESS] += size
            attempts = attempts_of[index]
            if attempts < _MAX_ATTEMPTS:
                attempts_of[index] = attempts + 1
            started_of[index] = at
            finished_of[index] = _NAN
            batch_of[index] = batch_index
            batch.files += 1
            if not batch.in_progress:
                self.active_batches[batch_index] = None
            batch.in_progress += 1
            if at >= next_sample_at:
                self.last_at = at
                self._sample(at)
                next_sample_at = self.next_sample_at
        self.last_at = events[-1].at

    def _succeed_events(self, events: list[Event]) -> None:
        """Fold FILE_SUCCEEDED events in order, as ``finish_file`` does: the common case inline."""
        index_get = self.index.get
        status_of, size_of, batch_of = self.status_of, self.size_of, self.batch_of
        finished_of = self.finished_of
        count, nbytes, batches = self.count, self.bytes_in, self.batches
        observe_rate, observe_eta = self.rates.observe, self.eta.observe
        # No event of this run changes the phase: the active time at an event is worked out from these.
        active = self.time_in[ACTIVE]
        since = self.phase_since if self.phase == ACTIVE else math.inf
        next_sample_at = self.next_sample_at
        for event in events:
            index = index_get(event.path)  # type: ignore[arg-type]
            if index is None:
                raise self._unknown(events, event)
            at = event.at
            if status_of[index] != IN_PROGRESS:
                self.finish_file(index, at, SUCCEEDED)
                next_sample_at = self.next_sample_at
                continue
            status_of[index] = SUCCEEDED
            count[IN_PROGRESS] -= 1
            count[SUCCEEDED] += 1
            size = size_of[index]
            if size:
                if size == BIG_SIZE:
                    size = self.big_sizes[index]
                nbytes[IN_PROGRESS] -= size
                nbytes[SUCCEEDED] += size
            batch_index = batch_of[index]
            if batch_index != NO_BATCH:
                batch = batches[batch_index]
                batch.in_progress -= 1
                if not batch.in_progress:
                    self.active_batches.pop(batch_index, None)
                batch.succeeded += 1
            finished_of[index] = at
            self.completions += 1
            # completions while not active land at the frozen active time and are folded in later
            now = active + (at - since) if at > since else active
            observe_rate(now, 1.0, size)
            observe_eta(now, 1.0, size)
            if at >= next_sample_at:
                self.last_at = at
                self._sample(at)
                next_sample_at = self.next_sample_at
        self.last_at = events[-1].at

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

    def _on_file_started(self, event: Event) -> None:
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
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
        if attempts < _MAX_ATTEMPTS:
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

    def _finish(self, event: Event, new: int) -> int:
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
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
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        self.fail_file(
            index, event.at, event.error_type or STRING_ERROR_TYPE, event.error_message or "", str(key)
        )

    def fail_file(self, index: int, at: float, error_type: str, message: str, key: str) -> None:
        """Fold FILE_FAILED for the file ``key`` at ``index``: it failed for good with this error."""
        self.finish_file(index, at, FAILED)
        self.errors[index] = (error_type, message)
        self.errors_by_type[error_type] += 1
        if self.failed_keys is not None:
            self.failed_keys[index] = key

    def _on_file_retried(self, event: Event) -> None:
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        current = self.status_of[index]
        if current == IN_PROGRESS:  # an attempt failed; the file stays in progress for the next one
            self.attempt_failures += 1
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                self.batches[batch_index].retries += 1
            attempts = self.attempts_of[index]
            if attempts < _MAX_ATTEMPTS:
                self.attempts_of[index] = attempts + 1
        elif current == FAILED:  # requeued by retry_file
            self._requeue(index)
        self.last_at = event.at

    def _on_file_interrupted(self, event: Event) -> None:
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
        if self.status_of[index] == IN_PROGRESS:
            batch_index = self.batch_of[index]
            if batch_index != NO_BATCH:
                self.batches[batch_index].interrupted += 1
            self._move(index, PENDING)
            self.interrupted_count += 1
        self.last_at = event.at

    def _on_file_requeued(self, event: Event) -> None:
        """A finished file goes back to pending for a re-run: its outcome leaves the counters (once)."""
        key = event.path
        index = self.index.get(key)  # type: ignore[arg-type]
        if index is None:
            raise UnknownFileError(str(key))
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

    # --- snapshots and measures ----------------------------------------------------------------------

    def measure(self, now: float) -> tuple[float, float, float, float, float, float]:
        """Return active seconds, recent/overall files/s, recent/overall bytes/s, and finished files."""
        count = self.count
        finished = count[SUCCEEDED] + count[FAILED] + count[SKIPPED]
        active = self.time_at(ACTIVE, now)
        recent_files, recent_bytes = self.rates.rates_at(active)
        nbytes = self.bytes_in
        processed = nbytes[SUCCEEDED] + nbytes[FAILED] + nbytes[SKIPPED]
        return (
            active,
            recent_files,
            overall_rate(finished, active),
            recent_bytes,
            overall_rate(processed, active),
            float(finished),
        )

    def forecast(self, active: float, remaining: int) -> EtaForecast | None:
        """Return the ETA interval for the ``remaining`` files at ``active`` seconds (None without evidence).

        Bytes may weigh what is left only while every file has a known size.
        """
        if remaining <= 0:
            return None
        nbytes = self.bytes_in
        remaining_bytes = 0 if self.unsized else nbytes[PENDING] + nbytes[IN_PROGRESS]
        return self.eta.forecast(active, remaining, remaining_bytes)

    def _sample(self, at: float) -> None:
        samples = self.samples
        if samples and at < samples[-1][0]:
            # Outcomes are journaled when reported, stamped with when they happened: a batch's results can
            # follow the next batch's start. The series shows what the journal knew by each time, so its
            # time never goes backwards.
            at = samples[-1][0]
        active, recent_files, overall_files, recent_bytes, _, finished = self.measure(at)
        count = self.count
        total = len(self.index) + self.forgotten
        eta = estimate_eta(
            remaining=total - int(finished),
            completions=self.completions,
            active_seconds=active,
            forecast=self.forecast(active, total - int(finished)),
            status=self.status,
            breaker_open=self.breaker_open,
            config=self.rate_config,
            throttled=bool(self.throttled_by),
        )
        self.samples.append(
            (
                at,
                active,
                total,
                count[SUCCEEDED],
                count[FAILED],
                count[SKIPPED],
                count[IN_PROGRESS],
                count[PENDING],
                recent_files,
                overall_files,
                recent_bytes,
                _NAN if eta.seconds is None else eta.seconds,
                _NAN if eta.low is None else eta.low,
                _NAN if eta.high is None else eta.high,
            )
        )
        if len(self.samples) > self.max_samples:
            del self.samples[1::2]  # keep the first row and every other one after it
            self.sample_interval *= 2.0
        self.next_sample_at = at + self.sample_interval

    def summary_at(
        self,
        now: float,
        *,
        name: str,
        run_id: str | None,
        priority: MigrationPriority,
        interrupted: bool = False,
    ) -> MigrationProgressSummary:
        """Return the run's summary at wall time ``now``.

        ``interrupted`` says nobody is working a run the journal shows running (its process died): its
        clocks stop at the last event, so active time and rates do not grow with the wall clock.
        """
        at = min(now, self.last_at) if interrupted else now
        active, recent_files, overall_files, recent_bytes, overall_bytes, _ = self.measure(at)
        count = self.count
        nbytes = self.bytes_in
        total = len(self.index) + self.forgotten
        finished = count[SUCCEEDED] + count[FAILED] + count[SKIPPED]
        processed = nbytes[SUCCEEDED] + nbytes[FAILED] + nbytes[SKIPPED]
        total_bytes = sum(nbytes)
        eta = estimate_eta(
            remaining=total - finished,
            completions=self.completions,
            active_seconds=active,
            forecast=self.forecast(active, total - finished),
            status=self.status,
            breaker_open=self.breaker_open,
            config=self.rate_config,
            throttled=bool(self.throttled_by),
        )
        if interrupted and eta.reason is not EtaUnavailableReason.NOTHING_LEFT:
            eta = _INTERRUPTED_ETA  # nobody works it: no rate, however recent, says when it ends
        as_of = utc(now)
        assert as_of is not None
        return MigrationProgressSummary(
            name=name,
            run_id=run_id,
            priority=priority,
            status=self.status,
            breaker_open=self.breaker_open,
            total_files=total,
            succeeded_files=count[SUCCEEDED],
            failed_files=count[FAILED],
            skipped_files=count[SKIPPED],
            in_progress_files=count[IN_PROGRESS],
            pending_files=count[PENDING],
            finished_files=finished,
            remaining_files=total - finished,
            total_bytes=total_bytes,
            processed_bytes=processed,
            succeeded_bytes=nbytes[SUCCEEDED],
            remaining_bytes=total_bytes - processed,
            completion_percentage=min(100.0, finished / total * 100.0) if total else 0.0,
            success_rate=min(100.0, count[SUCCEEDED] / finished * 100.0) if finished else 0.0,
            processing_rates=ProcessingRates(
                files_per_second_recent=recent_files,
                files_per_second_overall=overall_files,
                bytes_per_second_recent=recent_bytes,
                bytes_per_second_overall=overall_bytes,
            ),
            eta_seconds=eta.seconds,
            eta_low_seconds=eta.low,
            eta_high_seconds=eta.high,
            estimated_completion_at=None if eta.seconds is None else utc(now + eta.seconds),
            eta_unavailable_reason=eta.reason,
            elapsed_seconds=active,
            paused_seconds=self.time_at(PAUSED_PHASE, at),
            breaker_open_seconds=self.time_at(BREAKER_PHASE, at),
            throttled_seconds=self.time_at(THROTTLED_PHASE, at),
            throttle_reason=self.throttle_reason,
            created_at=utc(self.created_at),
            started_at=utc(self.started_at),
            finished_at=utc(self.finished_at),
            as_of=as_of,
            errors_by_type=dict(self.errors_by_type),
            active_batches={
                self.batches[i].batch_id: self.batches[i].metrics(now) for i in self.active_batches
            },
            open_batches=self.open_batches,
            retry_count=self.attempt_failures + self.requeued,
            attempt_failures=self.attempt_failures,
            requeued_count=self.requeued,
            interrupted_count=self.interrupted_count,
            stuck_calls=sum(self.stuck_calls.values()),
            interrupted=interrupted,
            last_activity_at=utc(self.last_at) if self.last_at else None,
        )
