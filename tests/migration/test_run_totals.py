"""Run-wide figures from store counters laid over a worker's own summary (``migration/run_totals.py``)."""

from __future__ import annotations

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.rates import EtaUnavailableReason
from omnimemory_kit.migration.run_totals import with_run_totals
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store.counters import OutcomeMinute, RunCounters

K = EventKind


def own_summary(*events: Event) -> MigrationProgressSummary:
    """Return the summary of a tracker that folded only ``events`` (one worker's share of a run)."""
    tracker = MigrationProgressTracker("shared", clock=FakeClock(start=1000.0))
    tracker.apply_many(events)
    return tracker.get_progress_summary()


def running_share() -> MigrationProgressSummary:
    return own_summary(
        Event(K.RUN_STARTED, at=1000.0),
        Event(K.FILE_ADDED, at=1000.0, path="a"),
        Event(K.FILE_STARTED, at=1001.0, path="a"),
        Event(K.FILE_SUCCEEDED, at=1002.0, path="a"),
    )


COUNTERS = RunCounters(
    "r",
    pending=60,
    in_progress=10,
    succeeded=25,
    failed=4,
    skipped=1,
    started=40,
    first_outcome_at=600.0,
    last_outcome_at=1100.0,
    minutes=(
        OutcomeMinute(600.0, succeeded=10, first_outcome_at=600.0, last_outcome_at=619.0),
        OutcomeMinute(
            1080.0, succeeded=15, failed=4, skipped=1, first_outcome_at=1080.0, last_outcome_at=1100.0
        ),
    ),
)


class TestCounts:
    def test_counts_and_percentages_are_the_runs(self) -> None:
        """Counts, completion and success rate come from the counters, not from the worker's share."""
        summary = with_run_totals(running_share(), COUNTERS, now=1100.0)
        assert (summary.total_files, summary.finished_files, summary.remaining_files) == (100, 30, 70)
        assert (summary.pending_files, summary.in_progress_files, summary.failed_files) == (60, 10, 4)
        assert summary.completion_percentage == pytest.approx(30.0)
        assert summary.success_rate == pytest.approx(25 / 30 * 100)


class TestEta:
    def test_eta_is_remaining_over_the_runs_rates(self) -> None:
        """The ETA spans the recent and the lifetime rate; the estimate uses the recent one."""
        summary = with_run_totals(running_share(), COUNTERS, now=1100.0)
        recent = 20 / 20  # the 5 minutes before 1100: 20 outcomes from 1080 on, measured to 1100
        lifetime = 30 / 500
        assert summary.eta_seconds == pytest.approx(70 / recent)
        assert summary.eta_low_seconds == pytest.approx(70 / recent)
        assert summary.eta_high_seconds == pytest.approx(70 / lifetime)
        assert summary.eta_unavailable_reason is None

    def test_a_paused_run_keeps_its_reason(self) -> None:
        """A reason of the run itself (paused) stands: no ETA from the counters."""
        paused = own_summary(Event(K.RUN_STARTED, at=1000.0), Event(K.RUN_PAUSED, at=1001.0))
        summary = with_run_totals(paused, COUNTERS, now=1100.0)
        assert summary.eta_seconds is None
        assert summary.eta_unavailable_reason is EtaUnavailableReason.PAUSED

    def test_nothing_left_and_warming_up(self) -> None:
        """No item left: nothing_left; no outcome yet: warming_up."""
        done = RunCounters("r", succeeded=5, first_outcome_at=1.0, last_outcome_at=2.0)
        assert with_run_totals(running_share(), done, now=10.0).eta_unavailable_reason is (
            EtaUnavailableReason.NOTHING_LEFT
        )
        fresh = RunCounters("r", pending=5)
        assert with_run_totals(running_share(), fresh, now=10.0).eta_unavailable_reason is (
            EtaUnavailableReason.WARMING_UP
        )
