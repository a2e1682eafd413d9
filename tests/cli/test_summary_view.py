"""The plain summary lines: a percentage reads 100.0 only when it is all of them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.cli.summary_view import format_summary
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.migration.summary import MigrationProgressSummary, percent_text
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.notebook.tables import summary_table


def finished_run(succeeded: int, failed: int) -> MigrationProgressSummary:
    """Return the summary of a run whose items all finished: ``succeeded`` of them did, ``failed`` not."""
    clock = FakeClock()
    tracker = MigrationProgressTracker("r", run_id="r", clock=clock)
    total = succeeded + failed
    keys = [f"k{i}" for i in range(total)]
    tracker.add_files(keys)
    for i, key in enumerate(keys):
        tracker.start_file_processing(key)
        tracker.complete_file_processing(key, success=i < succeeded, error=None if i < succeeded else "no")
    return tracker.get_progress_summary()


class TestPercentText:
    @given(st.floats(min_value=0, max_value=100, exclude_max=True))
    def test_never_100_below_100(self, value: float) -> None:
        """Any share below 100 % shows at most 99.9."""
        assert float(percent_text(value)) <= 99.9

    @given(st.floats(min_value=0, max_value=99.94))
    def test_rounds_as_before_away_from_the_top(self, value: float) -> None:
        """Below 99.95 the text is the usual rounding."""
        assert percent_text(value) == f"{value:.1f}"

    def test_all_is_100(self) -> None:
        """Exactly 100 reads 100.0."""
        assert percent_text(100.0) == "100.0"

    @given(st.floats(min_value=0, max_value=100, exclude_max=True), st.integers(min_value=0, max_value=3))
    def test_any_number_of_digits(self, value: float, digits: int) -> None:
        """With any number of decimals, a share below 100 % never reads 100 (99.6 with none reads 99)."""
        assert float(percent_text(value, digits)) < 100
        assert percent_text(99.6, 0) == "99"
        assert percent_text(99.9996, 3) == "99.999"


class TestSummaryPercentages:
    def test_one_failure_in_2500_is_not_100_percent_successful(self) -> None:
        """2,499 of 2,500 succeeded (99.96 %): the line says 99.9 % successful, never 100.0 %."""
        summary = finished_run(2_499, 1)
        assert summary.success_rate > 99.95
        text = format_summary(summary)
        assert "100.0% complete, 99.9% successful" in text
        rows = dict(zip(summary_table(summary)["Measure"], summary_table(summary)["Value"], strict=True))
        assert rows["Success rate"] == "99.9%"

    def test_all_succeeded_is_100_percent(self) -> None:
        """Every item succeeded: 100.0 % successful."""
        assert "100.0% complete, 100.0% successful" in format_summary(finished_run(3, 0))
