"""The run-wide progress series a lean runner keeps for the notebooks."""

from __future__ import annotations

import math

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.migration.run_series import RunSeries
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.tracker_views import PROGRESS_COLUMNS


def summary_of(done: int, total: int = 10) -> MigrationProgressSummary:
    """Return the summary of a tracker with ``total`` items of which ``done`` succeeded."""
    tracker = MigrationProgressTracker("m", clock=FakeClock())
    for i in range(total):
        tracker.add_file(f"k{i}")
    for i in range(done):
        tracker.start_file_processing(f"k{i}")
        tracker.complete_file_processing(f"k{i}")
    return tracker.get_progress_summary()


class TestRunSeries:
    def test_rows_are_the_summaries_in_the_trackers_columns(self) -> None:
        """Each summary becomes a row of the tracker's progress columns; no ETA reads as NaN."""
        series = RunSeries()
        series.add(summary_of(0), 100.0)
        series.add(summary_of(4), 101.0)
        frame = series.to_dataframe()
        assert list(frame.columns) == list(PROGRESS_COLUMNS)
        assert list(frame["total"]) == [10, 10]
        assert list(frame["succeeded"]) == [0, 4]
        assert list(frame["pending"]) == [10, 6]
        assert math.isnan(frame["eta_s"].iloc[0])
        assert frame["at"].iloc[1].timestamp() == 101.0

    def test_time_never_goes_back_and_rows_are_thinned(self) -> None:
        """A row stamped before the last takes the last's time; past max_rows every other row goes."""
        series = RunSeries(max_rows=4)
        for at in (10.0, 11.0, 9.0, 12.0, 13.0):
            series.add(summary_of(1), at)
        frame = series.to_dataframe()
        stamps = [stamp.timestamp() for stamp in frame["at"]]
        assert stamps == sorted(stamps)
        assert len(series) <= 4
        assert stamps[0] == 10.0  # the first row is kept
        assert repr(series) == f"<RunSeries rows={len(series)} max_rows=4>"
