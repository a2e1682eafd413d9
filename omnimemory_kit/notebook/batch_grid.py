"""The batch grid: every batch of a run as one cell, coloured by how it ended, in the order opened.

A run of 10,000 batches is a 100-wide grid where a red cell (a batch with a failed item) or an orange one
(an item taken back from a dead worker) stands out at once; hovering a cell shows its items, outcomes,
duration, worker and attempts. One heatmap trace, its hover text built column-wise, keeps the figure
quick to build and to render (``benchmarks/bench_batch_grid.py``).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.notebook.figure_style import OUTCOME_COLORS, empty_figure, esc, missing

__all__ = ["BATCH_GRID_COLORS", "batch_grid_figure"]

#: The colour of each batch outcome (``tracker_views.BATCH_OUTCOMES``), in the grid's code order.
BATCH_GRID_COLORS: Final[dict[str, str]] = {
    "succeeded": OUTCOME_COLORS["succeeded"],
    "failed": OUTCOME_COLORS["failed"],
    "interrupted": "#ff7f0e",
    "open": OUTCOME_COLORS["in_progress"],
}
_NEEDED: Final = ("batch_id", "files", "succeeded", "failed", "skipped", "duration_s", "outcome")
_MAX_COLUMNS: Final = 100


def _colorscale() -> list[tuple[float, str]]:
    """Return a stepped colour scale: code ``i`` (shown as ``i + 0.5``) takes the i-th outcome colour."""
    colors = list(BATCH_GRID_COLORS.values())
    steps: list[tuple[float, str]] = []
    for i, color in enumerate(colors):
        steps += [(i / len(colors), color), ((i + 1) / len(colors), color)]
    return steps


_HOVER: Final = (
    "%{customdata[0]}<br>%{customdata[1]} items: %{customdata[2]} ok, %{customdata[3]} failed, "
    "%{customdata[4]} skipped<br>duration %{customdata[5]:.2f} s, attempts %{customdata[6]}"
    "<br>worker %{customdata[7]}<extra></extra>"
)


def _customdata(batches: pd.DataFrame) -> np.ndarray:
    """Return each batch's hover facts (ids escaped) as one row of numbers and short texts.

    Numbers, not preformatted sentences: the sentence is written once, in the hover template, which
    keeps the figure about half the size in a report.
    """
    count = len(batches)
    workers = batches["worker_id"] if "worker_id" in batches else [None] * count
    attempts = batches["attempts"] if "attempts" in batches else batches["files"]
    data = np.empty((count, 8), dtype=object)
    data[:, 0] = [esc(value) for value in batches["batch_id"]]
    for column, values in enumerate((batches["files"], batches["succeeded"], batches["failed"],
                                     batches["skipped"]), 1):  # fmt: skip
        data[:, column] = values.astype("int64").tolist()
    data[:, 5] = batches["duration_s"].astype("float64").round(2).tolist()
    data[:, 6] = pd.Series(attempts).astype("int64").tolist()
    data[:, 7] = [esc(value) or "-" for value in workers]
    return data


def batch_grid_figure(batches: pd.DataFrame | None, *, columns: int | None = None) -> go.Figure:
    """Return every batch as a cell of a grid, coloured by outcome, in the order the batches opened.

    Args:
        batches: a tracker's ``batches_dataframe()`` (``outcome``, ``worker_id`` and ``attempts`` used
            when present; a frame without ``outcome`` reads failed where any item failed).
        columns: cells per row (default: about twice as wide as tall, at most 100).
    """
    title = "Batches by outcome"
    needed = [name for name in _NEEDED if name != "outcome"]
    if batches is None or missing(batches, needed) or batches.empty:
        return empty_figure(title, "No batches yet: the run has not opened any batch.")
    if "opened_at" in batches:
        batches = batches.sort_values("opened_at", kind="stable")
    if "outcome" not in batches:
        batches = batches.assign(outcome=np.where(batches["failed"] > 0, "failed", "succeeded"))
    count = len(batches)
    width = columns or max(1, min(_MAX_COLUMNS, math.ceil(math.sqrt(count * 2))))
    height = math.ceil(count / width)
    order = {name: code for code, name in enumerate(BATCH_GRID_COLORS)}
    codes = batches["outcome"].map(order).fillna(order["open"]).to_numpy(dtype="float64") + 0.5
    z = np.full(width * height, np.nan)
    z[:count] = codes
    custom = np.full((width * height, 8), None, dtype=object)
    custom[:count] = _customdata(batches.reset_index(drop=True))
    tally = batches["outcome"].value_counts()
    fig = go.Figure(
        go.Heatmap(
            z=z.reshape(height, width),
            customdata=custom.reshape(height, width, 8),
            hovertemplate=_HOVER,
            colorscale=_colorscale(),
            zmin=0,
            zmax=len(BATCH_GRID_COLORS),
            xgap=1,
            ygap=1,
            colorbar={
                "tickvals": [code + 0.5 for code in range(len(BATCH_GRID_COLORS))],
                "ticktext": [f"{name}: {int(tally.get(name, 0))}" for name in BATCH_GRID_COLORS],
                "thickness": 14,
            },
        )
    )
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=min(900, max(240, 120 + 14 * height)),
        margin={"l": 40, "r": 30, "t": 60, "b": 30},
        xaxis={"visible": False},
        yaxis={"visible": False, "autorange": "reversed"},
    )
    return fig
