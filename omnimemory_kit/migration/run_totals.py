"""Run-wide figures from the store's counters, laid over a summary built from part of the journal.

A worker sharing a run folds only its own events, so its tracker knows only the items it claimed. What a
person watching it wants (how far the run is, how fast it goes, when it ends) is run-wide: the store keeps
that (``JournalStore.run_counters``). ``with_run_totals`` replaces a summary's item counts, percentages and
ETA with the counters' (a pure function: the caller passes the time).

The ETA from counters: the remaining items over the run's outcome rate, with the range between the rate of
the last minutes (``RECENT_WINDOW``) and the rate over the whole run (first to last outcome), the estimate
the faster of the two would give for its low end. Where the run itself has no ETA (not started, paused,
stopped, throttled, its breaker open, interrupted), that reason stands.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.rates import EtaUnavailableReason
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.store.counters import RunCounters

__all__ = ["RECENT_WINDOW", "with_run_totals"]

RECENT_WINDOW: Final = 300.0
"""Seconds of recent minute buckets the recent rate is measured over."""

_RUN_REASONS: Final = frozenset(
    {
        EtaUnavailableReason.NOT_STARTED,
        EtaUnavailableReason.STOPPED,
        EtaUnavailableReason.PAUSED,
        EtaUnavailableReason.BREAKER_OPEN,
        EtaUnavailableReason.THROTTLED,
        EtaUnavailableReason.INTERRUPTED,
    }
)


def with_run_totals(
    summary: MigrationProgressSummary, counters: RunCounters, now: float
) -> MigrationProgressSummary:
    """Return ``summary`` with the run's item counts, percentages and ETA taken from ``counters``."""
    total, finished = counters.total, counters.finished
    update: dict[str, Any] = {
        "total_files": total,
        "succeeded_files": counters.succeeded,
        "failed_files": counters.failed,
        "skipped_files": counters.skipped,
        "in_progress_files": counters.in_progress,
        "pending_files": counters.pending,
        "finished_files": finished,
        "remaining_files": counters.unfinished,
        "completion_percentage": finished / total * 100 if total else 0.0,
        "success_rate": counters.succeeded / finished * 100 if finished else 0.0,
    }
    update.update(_eta(summary, counters, now))
    return summary.model_copy(update=update)


def _eta(summary: MigrationProgressSummary, counters: RunCounters, now: float) -> dict[str, Any]:
    remaining = counters.unfinished
    if remaining == 0:
        return _none(EtaUnavailableReason.NOTHING_LEFT)
    # The worker's own share may have nothing left while the run has: its reason may not be the run's.
    status = summary.status
    if status is MigrationStatus.PENDING:
        return _none(EtaUnavailableReason.NOT_STARTED)
    if status is MigrationStatus.PAUSED:
        return _none(EtaUnavailableReason.PAUSED)
    if status in (MigrationStatus.FAILED, MigrationStatus.CANCELLED):
        return _none(EtaUnavailableReason.STOPPED)
    if summary.throttle_reason is not None:
        return _none(EtaUnavailableReason.THROTTLED)
    if summary.eta_unavailable_reason in _RUN_REASONS:
        return {}
    rates = [r for r in (counters.recent_rate(RECENT_WINDOW, now), counters.lifetime_rate()) if r]
    if not rates:
        few = counters.finished < 2
        return _none(EtaUnavailableReason.WARMING_UP if few else EtaUnavailableReason.NO_PROGRESS)
    low, high = remaining / max(rates), remaining / min(rates)
    eta = remaining / rates[0]
    return {
        "eta_seconds": eta,
        "eta_low_seconds": low,
        "eta_high_seconds": high,
        "estimated_completion_at": datetime.fromtimestamp(now, UTC) + timedelta(seconds=eta),
        "eta_unavailable_reason": None,
    }


def _none(reason: EtaUnavailableReason) -> dict[str, Any]:
    return {
        "eta_seconds": None,
        "eta_low_seconds": None,
        "eta_high_seconds": None,
        "estimated_completion_at": None,
        "eta_unavailable_reason": reason,
    }
