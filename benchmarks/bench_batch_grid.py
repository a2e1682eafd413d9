"""The batch grid of a run of 10,000 batches: built, written into the report notebook, rendered to HTML.

What a report pays for the grid cell of ``migration_report``: ``batch_grid_figure`` over a tracker's
batches frame (10,000 rows, one batch in seven failed, a few interrupted), the figure serialized as the
report kernel displays it (``ReportRenderer``), and nbconvert rendering a notebook holding that output
to HTML (``render_html``, plotly.js shared). Side by side in the same run: the same steps for the
existing ``batches_figure`` (durations and success rates) over the same frame.

Target: the grid for 10,000 batches renders in the report in at most 2 s (build + serialize + HTML).
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from benchmarks._util import table, verdict
from omnimemory_kit.notebook import figures
from omnimemory_kit.notebook.runtime import ReportRenderer
from omnimemory_kit.reports import STATIC_DIR, render_html

BATCHES = 10_000
ROUNDS = 3
TARGET_SECONDS = 2.0


def _frame(count: int) -> pd.DataFrame:
    """Return a batches frame as ``batches_dataframe()`` gives it, for ``count`` closed batches."""
    i = np.arange(count)
    failed = (i % 7 == 0).astype("int64")
    outcome = np.where(failed > 0, "failed", np.where(i % 97 == 5, "interrupted", "succeeded"))
    opened = 1.8e9 + i * 5.0
    return pd.DataFrame(
        {
            "batch_id": [f"batch-{k:05d}" for k in i],
            "opened_at": pd.to_datetime(opened, unit="s", utc=True),
            "closed_at": pd.to_datetime(opened + 4.0, unit="s", utc=True),
            "duration_s": 4.0 + (i % 5),
            "files": 100,
            "succeeded": 100 - failed,
            "failed": failed,
            "skipped": 0,
            "success_rate": (100 - failed) * 1.0,
            "worker_id": [f"host-{k % 4}:{1000 + k % 4}:w" for k in i],
            "attempts": 100 + failed,
            "outcome": outcome,
        }
    )


def _notebook(bundle: dict[str, object], folder: Path) -> Path:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "id": "grid", "metadata": {}, "execution_count": 1, "source": "show(fig)",
             "outputs": [{"output_type": "display_data", "metadata": {}, "data": bundle}]},
        ],
    }  # fmt: skip
    path = folder / "grid.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _once(build: Callable[[pd.DataFrame], go.Figure], frame: pd.DataFrame, folder: Path) -> tuple[float, ...]:
    """Return the seconds to build, serialize and render one figure, and the page's size in bytes."""
    gc.collect()
    start = time.perf_counter()
    fig = build(frame)
    built = time.perf_counter()
    bundle = ReportRenderer().to_mimebundle(fig.to_dict())
    serialized = time.perf_counter()
    page = render_html(_notebook(bundle, folder), folder / "grid.html", static_dir=folder / STATIC_DIR)
    rendered = time.perf_counter()
    return built - start, serialized - built, rendered - serialized, rendered - start, page.stat().st_size


def run() -> str:
    """Measure the grid against the durations figure over the same 10,000 batches."""
    frame = _frame(BATCHES)
    variants = [("batch grid (`batch_grid_figure`)", figures.batch_grid_figure),
                ("durations and success rates (`batches_figure`)", figures.batches_figure)]  # fmt: skip
    best: dict[str, tuple[float, ...]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(ROUNDS):  # interleaved, best of each
            for label, build in variants:
                times = _once(build, frame, folder)
                if label not in best or times[3] < best[label][3]:
                    best[label] = times
    rows = [
        (label, f"{t[0]:.3f}", f"{t[1]:.3f}", f"{t[2]:.3f}", f"{t[3]:.3f}", f"{t[4] / 1024:.0f}")
        for label, (*t,) in best.items()
    ]
    grid_total = best[variants[0][0]][3]
    return (
        f"## Batch grid: {BATCHES:,} batches in the migration report\n\n"
        "Build the figure from a tracker's batches frame, serialize it as the report kernel displays it, "
        "render a notebook holding it to HTML (plotly.js shared); best of "
        f"{ROUNDS} interleaved rounds, beside the existing durations figure over the same frame. "
        "Reproduce with `python3 dev.py bench batch_grid`.\n\n"
        + table(["figure", "build s", "serialize s", "HTML s", "total s", "page KB"], rows)
        + f"\n\nTarget: the grid renders in the report in ≤ {TARGET_SECONDS:g} s — "
        + verdict(grid_total <= TARGET_SECONDS)
        + "\n"
    )
