"""A run's report frames from the store's aggregates (``store.report_reads``), without replaying its items.

The run's own events (started, paused, throttled, completed: a few per run) are folded into a
``RunState`` exactly as a replay would fold them, so its phases give active time, pauses and throttles.
The items' events arrive summed per time bucket instead of one by one: each bucket moves the counts, feeds
its outcomes to the same rate and ETA estimators at the active time of its last outcome, and takes one
progress sample. So the curves are the replay's to within a bucket (a run's span over the samples asked
for), the counts at the end are the store's (exact), and the cost is the number of buckets and batches.

Sizes: outcome events carry none, so a bucket's bytes are its outcomes times the run's mean item size, and
the ETA weighs items, not bytes.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from omnimemory_kit.events import Event, EventKind, FileStatus, MigrationPriority, MigrationStatus
from omnimemory_kit.migration.liveness import RunActivity
from omnimemory_kit.migration.rates import EtaUnavailableReason, RateConfig, estimate_eta, overall_rate
from omnimemory_kit.migration.run_codes import ACTIVE, utc
from omnimemory_kit.migration.run_measures import summary_at
from omnimemory_kit.migration.run_state import RunState
from omnimemory_kit.migration.summary import MigrationProgressSummary, ProcessingRates
from omnimemory_kit.migration.tracker_views import (
    BATCHES_COLUMNS,
    FILES_COLUMNS,
    PROGRESS_COLUMNS,
    batch_outcome,
    throttle_frame,
)
from omnimemory_kit.store.base import RunRecord
from omnimemory_kit.store.report_reads import ReportAggregates

__all__ = ["ReportFrames", "attempts_frame", "errors_frame", "fold_aggregates"]

_BATCH_KINDS: Final = frozenset({EventKind.BATCH_OPENED, EventKind.BATCH_CLOSED})
_NAN: Final = math.nan
#: Columns of the counted frames the error and attempt figures read (``items``: how many items a row is).
ERRORS_COLUMNS: Final = ("error_type", "status", "error_message", "items")
ATTEMPTS_COLUMNS: Final = ("attempts", "status", "items")


@dataclass(frozen=True, slots=True)
class ReportFrames:
    """What a report shows of a run: its summary and frames, each bounded (see ``data.MigrationData``)."""

    summary: MigrationProgressSummary
    files: pd.DataFrame
    progress: pd.DataFrame
    batches: pd.DataFrame
    throttles: pd.DataFrame
    errors: pd.DataFrame
    attempts: pd.DataFrame


def errors_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Return items per error type and status (``ERRORS_COLUMNS``) from ``(type, status, sample, items)``."""
    frame = pd.DataFrame(rows, columns=list(ERRORS_COLUMNS))
    frame["items"] = frame["items"].astype("int64")
    return frame


def attempts_frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    """Return items per attempts and status (``ATTEMPTS_COLUMNS``) from ``(attempts, status, items)``."""
    frame = pd.DataFrame(rows, columns=list(ATTEMPTS_COLUMNS))
    for column in ("attempts", "items"):
        frame[column] = frame[column].astype("int64")
    return frame


class _Fold:
    """The bucket-by-bucket fold (one instance per report)."""

    def __init__(self, agg: ReportAggregates, rate_config: RateConfig, mean_size: float) -> None:
        self.state = RunState(rate_config, math.inf, 10_000)
        self.config = rate_config
        self.mean_size = mean_size
        self.run_events = [e for e in agg.run_events if e.kind not in _BATCH_KINDS]
        self.next_event = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.samples: list[tuple[float, ...]] = []

    def apply_until(self, at: float) -> None:
        """Fold the run's own events up to time ``at``."""
        events, state = self.run_events, self.state
        while self.next_event < len(events) and events[self.next_event].at <= at:
            state.apply([events[self.next_event]])
            self.next_event += 1

    def bucket(self, kinds: dict[str, tuple[int, float, float]]) -> None:
        """Fold one bucket's summed item events and take a sample at its last event."""
        last = max(hi for _, _, hi in kinds.values())
        self.apply_until(last)
        state = self.state
        started = kinds.get(EventKind.FILE_STARTED.value)
        if started and state.status is MigrationStatus.PENDING:  # no RUN_STARTED: started by its first item
            state.apply([Event(EventKind.RUN_STARTED, started[1])])
        for kind, (n, _, _) in kinds.items():
            self.counts[kind] += n
        done = [kinds[k.value] for k in _OUTCOMES if k.value in kinds]
        if done:
            n = sum(part[0] for part in done)
            at = max(part[2] for part in done)
            active = state.time_at(ACTIVE, at)
            state.rates.observe(active, float(n), n * self.mean_size)
            state.eta.observe(active, float(n), n * self.mean_size)
            state.completions += n
        self.sample(last)

    def series_counts(self) -> tuple[int, int, int, int, int, int]:
        """Return total, succeeded, failed, skipped, in progress and pending, as folded so far."""
        c = self.counts
        total = c[EventKind.FILE_ADDED.value]
        ok, failed, skipped = (c[k.value] for k in _OUTCOMES)
        running = (
            c[EventKind.FILE_STARTED.value] - ok - failed - skipped - c[EventKind.FILE_INTERRUPTED.value]
        )
        # a requeue undoes an outcome the sums do not name: taken from the commonest first (exact at the end)
        undone = c[EventKind.FILE_REQUEUED.value] + max(0, ok + failed + skipped - total)
        ok, undone = max(0, ok - undone), max(0, undone - ok)
        failed, undone = max(0, failed - undone), max(0, undone - failed)
        skipped = max(0, skipped - undone)
        finished = ok + failed + skipped
        running = max(0, min(running, total - finished))
        return total, ok, failed, skipped, running, total - finished - running

    def sample(self, at: float, counts: tuple[int, int, int, int, int, int] | None = None) -> None:
        """Append a progress row at ``at`` (never before the last one), like ``RunState`` samples."""
        if self.samples and at < self.samples[-1][0]:
            at = self.samples[-1][0]
        total, ok, failed, skipped, running, pending = counts or self.series_counts()
        active, recent, recent_bytes, eta = self.measure(at, total - ok - failed - skipped)
        self.samples.append(
            (at, active, total, ok, failed, skipped, running, pending, recent,
             overall_rate(ok + failed + skipped, active), recent_bytes,
             _NAN if eta.seconds is None else eta.seconds, _NAN if eta.low is None else eta.low,
             _NAN if eta.high is None else eta.high)
        )  # fmt: skip

    def measure(self, at: float, remaining: int) -> tuple[float, float, float, Any]:
        """Return active seconds, recent files/s and bytes/s, and the ETA at ``at``."""
        state = self.state
        active = state.time_at(ACTIVE, at)
        recent, recent_bytes = state.rates.rates_at(active)
        eta = estimate_eta(
            remaining=remaining,
            completions=state.completions,
            active_seconds=active,
            forecast=state.eta.forecast(active, remaining) if remaining > 0 else None,
            status=state.status,
            breaker_open=state.breaker_open,
            config=self.config,
            throttled=bool(state.throttled_by),
        )
        return active, recent, recent_bytes, eta


_OUTCOMES: Final = (EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED)


def fold_aggregates(
    run: RunRecord,
    agg: ReportAggregates,
    *,
    rate_config: RateConfig,
    now: float,
    activity: Callable[[], RunActivity | None] | None = None,
) -> ReportFrames:
    """Return a run's report frames from its aggregates, ``now`` being the reader's time.

    ``activity`` is asked, only when the journal leaves the run running, who works it
    (``migration.liveness.read_activity``): nobody, and the summary says it was interrupted.
    """
    items = {status.value: 0 for status in FileStatus}
    for _, status, n in agg.attempts:
        items[status] = items.get(status, 0) + n
    total_items = sum(items.values())
    total_bytes = sum(agg.bytes_by_status.values())
    fold = _Fold(agg, rate_config, total_bytes / total_items if total_items else 0.0)
    by_bucket: dict[int, dict[str, tuple[int, float, float]]] = defaultdict(dict)
    for bucket, kind, n, lo, hi in agg.buckets:
        by_bucket[bucket][kind] = (n, lo, hi)
    for bucket in sorted(by_bucket):
        fold.bucket(by_bucket[bucket])
    fold.apply_until(math.inf)
    state = fold.state
    last_at = max([state.last_at, *(e.at for e in agg.run_events), *(row[4] for row in agg.buckets)])
    state.last_at = last_at
    exact = (
        total_items,
        items[FileStatus.SUCCEEDED.value],
        items[FileStatus.FAILED.value],
        items[FileStatus.SKIPPED.value],
        items[FileStatus.IN_PROGRESS.value],
        items[FileStatus.PENDING.value],
    )
    if fold.samples or total_items:
        fold.sample(last_at, exact)  # the journal's last word: the store's exact counts
    working = activity() if activity is not None and state.status is MigrationStatus.RUNNING else None
    summary = _summary(run, fold, agg, exact, now, working, total_bytes)
    return ReportFrames(
        summary=summary,
        files=_files(agg),
        progress=_progress(fold.samples),
        batches=_batches(agg, now),
        throttles=throttle_frame(state, threading.RLock(), now),
        errors=errors_frame([(t, FileStatus.FAILED.value, m, n) for t, n, m in agg.errors]),
        attempts=attempts_frame([(a, s, n) for a, s, n in agg.attempts if a > 0]),
    )


def _summary(
    run: RunRecord,
    fold: _Fold,
    agg: ReportAggregates,
    exact: tuple[int, int, int, int, int, int],
    now: float,
    activity: RunActivity | None,
    total_bytes: int,
) -> MigrationProgressSummary:
    """Return the summary: the run's phases from its events, the counts and bytes from the store."""
    state = fold.state
    interrupted = activity is not None and activity.interrupted and state.status is MigrationStatus.RUNNING
    base = summary_at(
        state,
        now,
        name=run.name,
        run_id=run.run_id,
        priority=MigrationPriority(run.priority),
        interrupted=interrupted,
    )
    total, ok, failed, skipped, running, pending = exact
    finished = ok + failed + skipped
    at = min(now, state.last_at) if interrupted else now
    active, recent, recent_bytes, eta = fold.measure(at, total - finished)
    if interrupted and eta.reason is not EtaUnavailableReason.NOTHING_LEFT:
        eta_fields: dict[str, Any] = {
            "eta_seconds": None, "eta_low_seconds": None, "eta_high_seconds": None,
            "estimated_completion_at": None, "eta_unavailable_reason": EtaUnavailableReason.INTERRUPTED,
        }  # fmt: skip
    else:
        eta_fields = {
            "eta_seconds": eta.seconds,
            "eta_low_seconds": eta.low,
            "eta_high_seconds": eta.high,
            "estimated_completion_at": None if eta.seconds is None else utc(now + eta.seconds),
            "eta_unavailable_reason": eta.reason,
        }
    by_status = agg.bytes_by_status
    processed = sum(
        by_status.get(s.value, 0) for s in (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED)
    )
    counts = fold.counts
    retried = counts[EventKind.FILE_RETRIED.value]
    requeued = counts[EventKind.FILE_REQUEUED.value]
    return base.model_copy(
        update={
            "total_files": total,
            "succeeded_files": ok,
            "failed_files": failed,
            "skipped_files": skipped,
            "in_progress_files": running,
            "pending_files": pending,
            "finished_files": finished,
            "remaining_files": total - finished,
            "total_bytes": total_bytes,
            "processed_bytes": processed,
            "succeeded_bytes": by_status.get(FileStatus.SUCCEEDED.value, 0),
            "remaining_bytes": total_bytes - processed,
            "completion_percentage": min(100.0, finished / total * 100.0) if total else 0.0,
            "success_rate": min(100.0, ok / finished * 100.0) if finished else 0.0,
            "processing_rates": ProcessingRates(
                files_per_second_recent=recent,
                files_per_second_overall=overall_rate(finished, active),
                bytes_per_second_recent=recent_bytes,
                bytes_per_second_overall=overall_rate(processed, active),
            ),
            **eta_fields,
            "errors_by_type": {t: n for t, n, _ in agg.errors},
            "active_batches": {},
            "open_batches": sum(1 for e in agg.run_events if e.kind is EventKind.BATCH_OPENED)
            - sum(1 for e in agg.run_events if e.kind is EventKind.BATCH_CLOSED),
            "retry_count": retried + requeued,
            "attempt_failures": retried,
            "requeued_count": requeued,
            "interrupted_count": counts[EventKind.FILE_INTERRUPTED.value],
        }
    )


def _progress(samples: list[tuple[float, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(samples, columns=list(PROGRESS_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"].astype("float64"), unit="s", utc=True)
    for column in PROGRESS_COLUMNS[2:8]:
        frame[column] = frame[column].astype("int64")
    return frame


def _batches(agg: ReportAggregates, now: float) -> pd.DataFrame:
    """Return one row per batch (``BATCHES_COLUMNS``), in the order opened.

    A batch counts the outcomes of the attempts it held, as the replay does: most items were started
    once, and count by their status now in the batch of that start; the few ever interrupted or requeued
    count attempt by attempt (``_count_histories``).
    """
    opened: dict[str, tuple[float, str | None]] = {}
    closed: dict[str, float] = {}
    for event in agg.run_events:
        if event.batch_id is None:
            continue
        if event.kind is EventKind.BATCH_OPENED:
            opened.setdefault(event.batch_id, (event.at, event.worker_id))
        elif event.kind is EventKind.BATCH_CLOSED:
            closed.setdefault(event.batch_id, event.at)
    starts = {batch: (n, at, worker) for batch, n, at, worker in agg.batch_starts}
    for batch, (_, at, worker) in starts.items():
        opened.setdefault(
            batch, (at, worker)
        )  # a batch started without BATCH_OPENED opens at its first start
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for batch, status, n in agg.batch_outcomes:
        outcomes[batch][status] += n
    _count_histories(agg.item_histories, outcomes)
    rows = []
    for batch, (at, worker) in sorted(opened.items(), key=lambda pair: pair[1][0]):
        files = starts.get(batch, (0, at, None))[0]
        counts = outcomes.get(batch, {})
        ok, failed, skipped = (
            counts.get(s.value, 0) for s in (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED)
        )
        end = closed.get(batch)
        finished = ok + failed + skipped
        rows.append(
            (batch, at, _NAN if end is None else end, max(0.0, (max(now, at) if end is None else end) - at),
             files, ok, failed, skipped, ok / finished * 100.0 if finished else 0.0, worker, files,
             batch_outcome(failed, counts.get(_INTERRUPTED, 0), end is not None))
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(BATCHES_COLUMNS))
    for column in ("opened_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
    return frame


def _count_histories(
    histories: tuple[tuple[str, str, str | None], ...], outcomes: dict[str, dict[str, int]]
) -> None:
    """Count the attempts of items interrupted or requeued one by one, in place of their status now.

    As the replay counts: an outcome of an attempt in progress counts in its batch; an interruption of an
    attempt in progress makes its batch interrupted; a requeue changes no batch's counts.
    """
    state: dict[str, tuple[str, str | None]] = {}  # key -> (status, batch of the last start)
    for key, kind, batch in histories:
        status, last_batch = state.get(key, (FileStatus.PENDING.value, None))
        if kind == EventKind.FILE_STARTED.value:
            state[key] = (FileStatus.IN_PROGRESS.value, batch)
        elif kind == EventKind.FILE_INTERRUPTED.value or kind == EventKind.FILE_REQUEUED.value:
            interrupted = kind == EventKind.FILE_INTERRUPTED.value and status == FileStatus.IN_PROGRESS.value
            if interrupted and last_batch is not None:
                outcomes[last_batch][_INTERRUPTED] += 1
            state[key] = (FileStatus.PENDING.value, last_batch)
        else:
            new = _OUTCOME_STATUS[kind]
            if status == FileStatus.IN_PROGRESS.value and last_batch is not None:
                outcomes[last_batch][new] += 1
            state[key] = (new, last_batch)
    for status, batch in state.values():  # counted above: out of the counts by status now
        if batch is not None:
            outcomes[batch][status] -= 1


_INTERRUPTED: Final = "interrupted"
_OUTCOME_STATUS: Final = {
    EventKind.FILE_SUCCEEDED.value: FileStatus.SUCCEEDED.value,
    EventKind.FILE_FAILED.value: FileStatus.FAILED.value,
    EventKind.FILE_SKIPPED.value: FileStatus.SKIPPED.value,
}


def _files(agg: ReportAggregates) -> pd.DataFrame:
    """Return the few items a report lists (the slowest and the failed), one row each (``FILES_COLUMNS``)."""
    rows: dict[str, tuple[Any, ...]] = {}
    for key, status, attempts, size, batch, started, finished, error_type, message in agg.slowest:
        rows[key] = (key, size, status, attempts, batch, started, finished, finished - started, error_type,
                     message)  # fmt: skip
    for key, attempts, size, batch, error_type, message in agg.failed:
        if key not in rows:
            rows[key] = (key, size, FileStatus.FAILED.value, attempts, batch, _NAN, _NAN, _NAN, error_type,
                         message)  # fmt: skip
    frame = pd.DataFrame(list(rows.values()), columns=list(FILES_COLUMNS))
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
    frame["duration_s"] = frame["duration_s"].astype("float64")
    for column in ("path", "status", "batch_id", "error_type", "error_message"):  # as the tracker's frame
        frame[column] = frame[column].astype(object)
    for column in ("size", "attempts"):
        frame[column] = frame[column].astype("int64")
    return frame
