"""Stuck sync calls in the journal: the tracker counts them per worker until they return or the run ends."""

from __future__ import annotations

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.tracker import MigrationProgressTracker


def stuck(worker: str, key: str) -> Event:
    """A CALL_STUCK event."""
    return Event(EventKind.CALL_STUCK, 1.0, path=key, worker_id=worker)


def freed(worker: str, key: str) -> Event:
    """A CALL_FREED event."""
    return Event(EventKind.CALL_FREED, 2.0, path=key, worker_id=worker)


class TestStuckCallsInTheSummary:
    """summary.stuck_calls follows CALL_STUCK / CALL_FREED and clears when the run ends."""

    def test_counts_across_workers_and_frees(self, clock: FakeClock) -> None:
        """Two workers' stuck calls add up; a freed call is taken off its own worker's count."""
        tracker = MigrationProgressTracker("t", clock=clock)
        tracker.apply_many([stuck("a", "x"), stuck("a", "y"), stuck("b", "z")])
        assert tracker.get_progress_summary().stuck_calls == 3
        tracker.apply_many([freed("a", "x"), freed("b", "z"), freed("b", "z")])
        assert tracker.get_progress_summary().stuck_calls == 1

    def test_run_end_clears_them(self, clock: FakeClock) -> None:
        """Once the run is journaled completed, no call is reported stuck (its threads ended with it)."""
        tracker = MigrationProgressTracker("t", clock=clock)
        tracker.apply_many([Event(EventKind.RUN_STARTED, 0.5), stuck("a", "x")])
        assert tracker.get_progress_summary().stuck_calls == 1
        tracker.apply(Event(EventKind.RUN_COMPLETED, 3.0))
        assert tracker.get_progress_summary().stuck_calls == 0


class TestStuckCallsInTheStatusText:
    """The status text names stuck calls only while there are some."""

    def test_summary_line_mentions_stuck_calls(self, clock: FakeClock) -> None:
        """Two stuck calls show as '2 call(s) stuck after timing out'; none shows nothing."""
        from omnimemory_kit.cli.summary_view import format_summary

        tracker = MigrationProgressTracker("t", clock=clock)
        assert "stuck" not in format_summary(tracker.get_progress_summary())
        tracker.apply_many([stuck("a", "x"), stuck("b", "y")])
        assert "0 interrupted, 2 call(s) stuck after timing out" in format_summary(
            tracker.get_progress_summary()
        )
