"""The batch grid: one cell per batch, coloured by outcome, in opening order, every label escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omnimemory_kit.notebook import figures as F
from omnimemory_kit.notebook.batch_grid import BATCH_GRID_COLORS

EVIL = "<script>alert(1)</script>"


def batches(outcomes: list[str]) -> pd.DataFrame:
    """A batches frame as a tracker gives it, one row per outcome, opened in list order."""
    n = len(outcomes)
    return pd.DataFrame(
        {
            "batch_id": [f"b{i}" for i in range(n)],
            "opened_at": pd.to_datetime(np.arange(n, dtype="float64") + 1.8e9, unit="s", utc=True),
            "files": 10,
            "succeeded": [9 if o == "failed" else 10 for o in outcomes],
            "failed": [1 if o == "failed" else 0 for o in outcomes],
            "skipped": 0,
            "duration_s": 2.5,
            "worker_id": "host:1:w",
            "attempts": 11,
            "outcome": outcomes,
        }
    )


def cell_codes(fig: object) -> list[float]:
    """Return the grid's codes in reading order, empty cells dropped."""
    z = np.asarray(fig.data[0].z, dtype="float64").ravel()  # type: ignore[attr-defined]
    return [float(v) for v in z if not np.isnan(v)]


class TestCells:
    def test_each_batch_is_a_cell_coloured_by_its_outcome_in_opening_order(self) -> None:
        """Cells follow the order batches opened and take the code of their outcome's colour."""
        frame = batches(["succeeded", "failed", "interrupted", "open", "succeeded"]).iloc[::-1]
        fig = F.batch_grid_figure(frame, columns=2)
        order = list(BATCH_GRID_COLORS)
        expected = [order.index(o) + 0.5 for o in ["succeeded", "failed", "interrupted", "open", "succeeded"]]
        assert cell_codes(fig) == expected
        assert np.asarray(fig.data[0].z).shape == (3, 2)
        ticks = list(fig.data[0].colorbar.ticktext)
        assert ticks == ["succeeded: 2", "failed: 1", "interrupted: 1", "open: 1"]

    def test_the_colour_scale_maps_each_code_to_its_outcome_colour(self) -> None:
        """The stepped scale gives code i + 0.5 exactly the i-th outcome colour, labelled on the bar."""
        fig = F.batch_grid_figure(batches(["succeeded"]))
        scale = [(float(at), color) for at, color in fig.data[0].colorscale]
        colors = list(BATCH_GRID_COLORS.values())
        for code, color in enumerate(colors):
            middle = (code + 0.5) / len(colors)
            below = [c for at, c in scale if at <= middle][-1]
            assert below == color
        assert [tick.split(":")[0] for tick in fig.data[0].colorbar.ticktext] == list(BATCH_GRID_COLORS)

    def test_a_frame_without_outcome_reads_failed_where_an_item_failed(self) -> None:
        """An older batches frame (no outcome column) still colours failed batches red."""
        frame = batches(["failed", "succeeded"]).drop(columns=["outcome", "worker_id", "attempts"])
        order = list(BATCH_GRID_COLORS)
        assert cell_codes(F.batch_grid_figure(frame)) == [order.index("failed") + 0.5, 0.5]


class TestHover:
    def test_hover_names_items_duration_worker_and_attempts_escaped(self) -> None:
        """Each cell's hover shows its facts, with batch and worker ids escaped."""
        frame = batches(["failed"]).assign(batch_id=EVIL, worker_id=EVIL)
        trace = F.batch_grid_figure(frame).data[0]
        facts = list(np.asarray(trace.customdata, dtype=object).reshape(-1, 8)[0])
        assert facts == [
            "&lt;script&gt;alert(1)&lt;/script&gt;", 10, 9, 1, 0, 2.5, 11,
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        ]  # fmt: skip
        assert "items: %{customdata[2]} ok, %{customdata[3]} failed" in trace.hovertemplate
        assert "attempts %{customdata[6]}" in trace.hovertemplate

    def test_no_batches_gives_an_explained_empty_figure(self) -> None:
        """No batches (or no frame) yields a titled figure saying why it is empty."""
        for frame in (None, batches([]), pd.DataFrame({"x": [1]})):
            fig = F.batch_grid_figure(frame)
            assert len(fig.data) == 0
            assert fig.layout.annotations[0].text.startswith("No batches")
