"""Measures of a run state at a time: rates, the ETA, a row of the progress series, the summary.

Seam: ``RunState`` (``migration/run_state.py``) holds the counters and folds events into them; these
functions only read it, at a time they are given (they never read a clock), and build values from it.
The fold takes a progress row now and then (``RunState._sample``); the tracker, the status command and the
reports ask for the summary.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from omnimemory_kit.events import MigrationPriority
from omnimemory_kit.migration.eta import EtaForecast
from omnimemory_kit.migration.rates import EtaEstimate, EtaUnavailableReason, estimate_eta, overall_rate
from omnimemory_kit.migration.run_codes import (
    ACTIVE,
    BREAKER_PHASE,
    FAILED,
    IN_PROGRESS,
    PAUSED_PHASE,
    PENDING,
    SKIPPED,
    SUCCEEDED,
    THROTTLED_PHASE,
    utc,
)
from omnimemory_kit.migration.summary import MigrationProgressSummary, ProcessingRates

if TYPE_CHECKING:
    from omnimemory_kit.migration.run_state import RunState

__all__ = ["forecast", "measure", "progress_row", "summary_at"]

_NAN: Final = math.nan
_INTERRUPTED_ETA: Final = EtaEstimate(None, None, None, EtaUnavailableReason.INTERRUPTED)


def measure(state: RunState, now: float) -> tuple[float, float, float, float, float, float]:
    """Return active seconds, recent/overall files/s, recent/overall bytes/s, and finished files."""
    count = state.count
    finished = count[SUCCEEDED] + count[FAILED] + count[SKIPPED]
    active = state.time_at(ACTIVE, now)
    recent_files, recent_bytes = state.rates.rates_at(active)
    nbytes = state.bytes_in
    processed = nbytes[SUCCEEDED] + nbytes[FAILED] + nbytes[SKIPPED]
    return (
        active,
        recent_files,
        overall_rate(finished, active),
        recent_bytes,
        overall_rate(processed, active),
        float(finished),
    )


def forecast(state: RunState, active: float, remaining: int) -> EtaForecast | None:
    """Return the ETA interval for the ``remaining`` files at ``active`` seconds (None without evidence).

    Bytes may weigh what is left only while every file has a known size.
    """
    if remaining <= 0:
        return None
    nbytes = state.bytes_in
    remaining_bytes = 0 if state.unsized else nbytes[PENDING] + nbytes[IN_PROGRESS]
    return state.eta.forecast(active, remaining, remaining_bytes)


def progress_row(state: RunState, at: float) -> tuple[float, ...]:
    """Return the progress time series' row at ``at`` (columns: ``tracker_views.PROGRESS_COLUMNS``)."""
    active, recent_files, overall_files, recent_bytes, _, finished = measure(state, at)
    count = state.count
    total = len(state.index) + state.forgotten
    eta = estimate_eta(
        remaining=total - int(finished),
        completions=state.completions,
        active_seconds=active,
        forecast=forecast(state, active, total - int(finished)),
        status=state.status,
        breaker_open=state.breaker_open,
        config=state.rate_config,
        throttled=bool(state.throttled_by),
    )
    return (
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


def summary_at(
    state: RunState,
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
    at = min(now, state.last_at) if interrupted else now
    active, recent_files, overall_files, recent_bytes, overall_bytes, _ = measure(state, at)
    count = state.count
    nbytes = state.bytes_in
    total = len(state.index) + state.forgotten
    finished = count[SUCCEEDED] + count[FAILED] + count[SKIPPED]
    processed = nbytes[SUCCEEDED] + nbytes[FAILED] + nbytes[SKIPPED]
    total_bytes = sum(nbytes)
    eta = estimate_eta(
        remaining=total - finished,
        completions=state.completions,
        active_seconds=active,
        forecast=forecast(state, active, total - finished),
        status=state.status,
        breaker_open=state.breaker_open,
        config=state.rate_config,
        throttled=bool(state.throttled_by),
    )
    if interrupted and eta.reason is not EtaUnavailableReason.NOTHING_LEFT:
        eta = _INTERRUPTED_ETA  # nobody works it: no rate, however recent, says when it ends
    as_of = utc(now)
    assert as_of is not None
    return MigrationProgressSummary(
        name=name,
        run_id=run_id,
        priority=priority,
        status=state.status,
        breaker_open=state.breaker_open,
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
        paused_seconds=state.time_at(PAUSED_PHASE, at),
        breaker_open_seconds=state.time_at(BREAKER_PHASE, at),
        throttled_seconds=state.time_at(THROTTLED_PHASE, at),
        throttle_reason=state.throttle_reason,
        created_at=utc(state.created_at),
        started_at=utc(state.started_at),
        finished_at=utc(state.finished_at),
        as_of=as_of,
        errors_by_type=dict(state.errors_by_type),
        active_batches={
            state.batches[i].batch_id: state.batches[i].metrics(now) for i in state.active_batches
        },
        open_batches=state.open_batches,
        retry_count=state.attempt_failures + state.requeued,
        attempt_failures=state.attempt_failures,
        requeued_count=state.requeued,
        interrupted_count=state.interrupted_count,
        stuck_calls=sum(state.stuck_calls.values()),
        interrupted=interrupted,
        last_activity_at=utc(state.last_at) if state.last_at else None,
    )
