"""A run's summary from what the store keeps (``JournalStore.status_facts``), without replaying its journal.

What ``omnimemory-kit status`` shows of a run of any size, in time that follows the run's rare events, not
its items. The lifecycle events are folded by the tracker's own reducer (``RunState``, with no items), so
status, active/paused/breaker/throttled time, stuck calls and the interruption rule are the replay's
exactly; the counts come from the store's counters, the ETA as a worker's (``run_totals``).

Where this differs from a full replay, by design:

- ``files_per_second_recent`` is outcomes over the last ``RECENT_WINDOW`` seconds of minute buckets (up to
  the last outcome once the run is no longer running), not the tracker's moving average;
  ``bytes_per_second_recent`` weighs it by the mean size of the finished items;
- ``attempt_failures`` counts every FILE_RETRIED (a ``retry_file`` of a failed item, which the tracker counts
  as a requeue, is counted there) and ``requeued_count`` the FILE_REQUEUED events;
- ``active_batches`` is empty (the leases listed beside the summary say which batches are in flight);
- bytes are 0 unless the facts were read ``with_bytes`` (a pass over the items).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from omnimemory_kit.events import Event, EventKind, FileStatus, MigrationPriority, MigrationStatus
from omnimemory_kit.migration.rates import EtaUnavailableReason, RateConfig, overall_rate
from omnimemory_kit.migration.run_codes import utc
from omnimemory_kit.migration.run_measures import summary_at
from omnimemory_kit.migration.run_state import RunState
from omnimemory_kit.migration.run_totals import RECENT_WINDOW, with_run_totals
from omnimemory_kit.migration.summary import MigrationProgressSummary, ProcessingRates
from omnimemory_kit.migration.validation import ValidationLedger, ValidationSummary
from omnimemory_kit.store.base import RunRecord
from omnimemory_kit.store.status_facts import RunStatusFacts

__all__ = ["status_summary", "status_validation"]

_NO_ETA: Final = {
    "eta_seconds": None,
    "eta_low_seconds": None,
    "eta_high_seconds": None,
    "estimated_completion_at": None,
}


def _fold_lifecycle(facts: RunStatusFacts) -> RunState:
    """Fold the run's lifecycle events into a run state without items (time accounting, status)."""
    state = RunState(RateConfig(), sample_interval=1e300, max_samples=2)
    events = list(facts.lifecycle)
    if facts.first_start is not None:  # the first start of a journal without RUN_STARTED started the run
        seq, at = facts.first_start
        events.append(Event(EventKind.RUN_STARTED, at, seq=seq))
        events.sort(key=lambda e: e.seq)
    for event in events:
        before = facts.before.get(event.seq)
        if before is not None:
            state.last_at = before  # a restart closes the dead process's time at its last event
        state.apply((event,))
    if facts.last_at is not None:
        state.last_at = facts.last_at
    return state


def status_summary(
    record: RunRecord, facts: RunStatusFacts, now: float, *, interrupted: bool = False
) -> MigrationProgressSummary:
    """Return the run's summary at wall time ``now`` from its status facts.

    ``interrupted`` says nobody works the run (``migration.liveness``); it counts only while the journal
    says running, and stops the run's clocks at its last event, as a replay does.
    """
    state = _fold_lifecycle(facts)
    interrupted = interrupted and state.status is MigrationStatus.RUNNING
    base = summary_at(
        state,
        now,
        name=record.name,
        run_id=record.run_id,
        priority=MigrationPriority(record.priority),
        interrupted=interrupted,
    )
    at = min(now, state.last_at) if interrupted else now
    counters = facts.counters
    summary = with_run_totals(base, counters, at)
    active = summary.elapsed_seconds
    nbytes: Mapping[FileStatus, int] = facts.bytes_by_status or dict.fromkeys(FileStatus, 0)
    total_bytes = sum(nbytes.values())
    processed = nbytes[FileStatus.SUCCEEDED] + nbytes[FileStatus.FAILED] + nbytes[FileStatus.SKIPPED]
    running = state.status is MigrationStatus.RUNNING and not interrupted
    recent_at = at if running or counters.last_outcome_at is None else counters.last_outcome_at
    recent = counters.recent_rate(RECENT_WINDOW, recent_at) or 0.0
    update: dict[str, Any] = {
        "total_bytes": total_bytes,
        "processed_bytes": processed,
        "succeeded_bytes": nbytes[FileStatus.SUCCEEDED],
        "remaining_bytes": total_bytes - processed,
        "processing_rates": ProcessingRates(
            files_per_second_recent=recent,
            files_per_second_overall=overall_rate(counters.finished, active),
            bytes_per_second_recent=recent * processed / counters.finished if counters.finished else 0.0,
            bytes_per_second_overall=overall_rate(processed, active),
        ),
        "errors_by_type": dict(facts.errors_by_type),
        "open_batches": facts.open_batches,
        "retry_count": counters.retried + facts.requeued,
        "attempt_failures": counters.retried,
        "requeued_count": facts.requeued,
        "interrupted_count": facts.interrupted,
        "last_activity_at": utc(facts.last_at),
    }
    breaker = state.status is MigrationStatus.RUNNING and state.breaker_open
    if counters.unfinished and (interrupted or breaker):
        # no rate says when a run nobody works ends; an open breaker comes before a throttle, as in a replay
        reason = EtaUnavailableReason.INTERRUPTED if interrupted else EtaUnavailableReason.BREAKER_OPEN
        update.update(_NO_ETA, eta_unavailable_reason=reason)
    return summary.model_copy(update=update)


def status_validation(facts: RunStatusFacts, params: Mapping[str, Any]) -> ValidationSummary | None:
    """Return the run's validation counts and tables, or None for a run never validated.

    A run is validated when it has a verdict, or was started with a check (``params["validate"]``).
    """
    if not facts.any_verdict and not params.get("validate"):
        return None
    ledger = ValidationLedger()  # the flagged items alone: their rows, built as the ledger builds them
    for verdict in facts.flagged:
        ledger.apply((Event(EventKind.FILE_SUCCEEDED, verdict.at, verdict.path), verdict))
    tables = ledger.summary()
    items = facts.counters.succeeded
    counts = {kind: facts.verdicts.get(kind, 0) for kind in EventKind}
    validated = counts[EventKind.ITEM_VALIDATED]
    mismatched = counts[EventKind.ITEM_MISMATCHED]
    error = counts[EventKind.ITEM_VALIDATION_ERROR]
    return replace(
        tables,
        items=items,
        validated=validated,
        mismatched=mismatched,
        error=error,
        pending=max(0, items - validated - mismatched - error),
    )
