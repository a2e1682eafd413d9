"""The run-wide progress time series of a runner that folds only its own events.

A lean runner's tracker knows only this worker's items, so its own progress series counts the items it
claimed, not the run's, and its ETA is that of its share. ``RunSeries`` keeps the series the notebooks
draw from the summaries the runner builds from the store's counters instead (one row per counters
refresh, about once a second), in the tracker's columns (``tracker_views.PROGRESS_COLUMNS``), thinned
as the tracker thins its own past ``max_rows``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker_views import rows_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RunSeries"]


class RunSeries:
    """Rows of run-wide progress, one per summary added, at most ``max_rows`` (every other one dropped).

    Args:
        max_rows: cap on the rows kept; past it every other row after the first is dropped.
    """

    __slots__ = ("_rows", "max_rows")

    def __init__(self, max_rows: int = 10_000) -> None:
        self.max_rows = max_rows
        self._rows: list[tuple[float, ...]] = []

    def add(self, summary: MigrationProgressSummary, at: float) -> None:
        """Append the row of ``summary`` taken at ``at`` (epoch seconds; never before the last row)."""
        rows = self._rows
        if rows and at < rows[-1][0]:
            at = rows[-1][0]
        rates = summary.processing_rates
        rows.append(
            (
                at,
                summary.elapsed_seconds,
                summary.total_files,
                summary.succeeded_files,
                summary.failed_files,
                summary.skipped_files,
                summary.in_progress_files,
                summary.pending_files,
                rates.files_per_second_recent,
                rates.files_per_second_overall,
                rates.bytes_per_second_recent,
                _or_nan(summary.eta_seconds),
                _or_nan(summary.eta_low_seconds),
                _or_nan(summary.eta_high_seconds),
            )
        )
        if len(rows) > self.max_rows:
            del rows[1::2]  # keep the first row and every other one after it

    def __len__(self) -> int:
        return len(self._rows)

    def to_dataframe(self) -> pd.DataFrame:
        """Return the rows as the tracker's ``progress_dataframe()`` gives its own."""
        return rows_frame(list(self._rows))

    def __repr__(self) -> str:
        return f"<RunSeries rows={len(self._rows)} max_rows={self.max_rows}>"


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value
