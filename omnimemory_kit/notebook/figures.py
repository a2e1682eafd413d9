"""Figures for migrations and health: a DataFrame in, a ``plotly.graph_objects.Figure`` out.

This module holds the migration figures and is the one door to all of them: the health figures live in
``health_figures`` and the shared look (colours, legend, escaping, time axes) in ``figure_style``.

Every function here is pure (no I/O, no clock reads) and accepts the frames the library produces:

- files: ``MigrationProgressTracker.to_dataframe()`` (``path, size, status, attempts, batch_id, started_at,
  finished_at, duration_s, error_type, error_message``);
- progress: ``progress_dataframe()`` (``at, elapsed_s, total, succeeded, failed, skipped, in_progress,
  pending, files_per_s_recent, files_per_s_overall, bytes_per_s_recent, eta_s, eta_low_s, eta_high_s``);
- batches: ``batches_dataframe()`` (``batch_id, opened_at, closed_at, duration_s, files, succeeded, failed,
  skipped, success_rate``);
- health history: ``HealthHistory(store).frame()`` (``taken_at, name, status, critical, latency_ms, error,
  observed_value, observed_unit, breaker_state, overall_status``).

Times may be epoch seconds or datetimes; they are shown in UTC. Empty input gives a figure that says why
it is empty instead of raising. Outcomes and health statuses keep one colour everywhere. Text that comes
from users (file names, error messages, dependency names) is HTML-escaped before Plotly renders it, so a
file called ``<script>`` is shown, never run. Long series are downsampled so a report stays small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.notebook.batch_grid import batch_grid_figure as batch_grid_figure
from omnimemory_kit.notebook.figure_style import HEALTH_COLORS as HEALTH_COLORS
from omnimemory_kit.notebook.figure_style import (
    HEIGHT,
    OUTCOMES,
    OVERALL_COLOR,
    RECENT_COLOR,
    color_of,
    column_or_none,
    count_axis,
    duration_unit,
    esc,
    missing,
    shorten,
    status_value,
    style,
    time_axis,
    unique,
)
from omnimemory_kit.notebook.figure_style import LEGEND as LEGEND
from omnimemory_kit.notebook.figure_style import OUTCOME_COLORS as OUTCOME_COLORS
from omnimemory_kit.notebook.figure_style import downsample as downsample
from omnimemory_kit.notebook.figure_style import empty_figure as empty_figure
from omnimemory_kit.notebook.health_figures import NO_DATA as NO_DATA
from omnimemory_kit.notebook.health_figures import OVERALL_ROW as OVERALL_ROW
from omnimemory_kit.notebook.health_figures import flapping_figure as flapping_figure
from omnimemory_kit.notebook.health_figures import health_timeline_figure as health_timeline_figure
from omnimemory_kit.notebook.health_figures import host_resources_figure as host_resources_figure
from omnimemory_kit.notebook.health_figures import latency_percentiles_figure as latency_percentiles_figure

__all__ = [
    "HEALTH_COLORS",
    "LEGEND",
    "NO_DATA",
    "OUTCOME_COLORS",
    "OVERALL_ROW",
    "batch_grid_figure",
    "batches_figure",
    "downsample",
    "empty_figure",
    "errors_by_type_figure",
    "eta_figure",
    "eta_honesty_figure",
    "flapping_figure",
    "health_timeline_figure",
    "host_resources_figure",
    "latency_percentiles_figure",
    "progress_figure",
    "rate_figure",
    "retry_histogram_figure",
    "slowest_items_figure",
]


def _by_time(progress: pd.DataFrame) -> pd.DataFrame:
    """Return the samples in time order, one per moment: the last (most up to date) of equal times.

    Plotly stacks areas by x value, so two samples at one moment would draw a cumulative count
    falling back; the journal order (stable sort, keep the last) says which one is current.
    """
    ordered = progress.sort_values("at", kind="stable")
    return ordered.drop_duplicates(subset="at", keep="last")


def progress_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return cumulative items finished over time, stacked by outcome, with the total as a dashed line."""
    title = "Cumulative progress by outcome"
    needed = ("at", "total", *OUTCOMES)
    if missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No progress recorded yet: the run has not processed any item.")
    data = downsample(_by_time(progress), max_points)
    x = time_axis(data["at"])
    fig = go.Figure()
    for outcome in OUTCOMES:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=data[outcome],
                name=outcome,
                mode="lines",
                stackgroup="outcomes",
                line={"color": OUTCOME_COLORS[outcome], "width": 1},
                hovertemplate=f"%{{x|%Y-%m-%d %H:%M:%S}} UTC<br>{outcome}: %{{y:,}} items<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=data["total"],
            name="total",
            mode="lines",
            line={"color": "#333", "dash": "dash", "width": 1.5},
            hovertemplate="%{x|%Y-%m-%d %H:%M:%S} UTC<br>total: %{y:,} items<extra></extra>",
        )
    )
    style(fig, title, "Time (UTC)", "Items (count)", hovermode="x unified")
    return fig.update_xaxes(type="date")


def rate_figure(
    progress: pd.DataFrame | None, *, max_points: int = 500, throttles: pd.DataFrame | None = None
) -> go.Figure:
    """Return the processing rate over time: the recent (smoothed) rate against the whole-run average.

    ``throttles`` (``tracker.throttle_intervals()``) draws a shaded band over each interval health rules
    held the run (an interval still open ends at the last sample).
    """
    title = "Processing rate over time"
    needed = ("at", "files_per_s_recent", "files_per_s_overall")
    if missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No rate yet: the run has not finished enough items to measure one.")
    data = downsample(_by_time(progress), max_points)
    x = time_axis(data["at"])
    fig = go.Figure()
    for column, name, color, dash in (
        ("files_per_s_recent", "recent", RECENT_COLOR, "solid"),
        ("files_per_s_overall", "overall average", OVERALL_COLOR, "dash"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=data[column],
                name=name,
                mode="lines",
                connectgaps=False,
                line={"color": color, "dash": dash},
                hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>{name}: %{{y:.2f}} items/s<extra></extra>",
            )
        )
    if throttles is not None and not throttles.empty:
        end_ms = float(x[-1]) if len(x) else 0.0
        began = time_axis(throttles["began_at"])
        ended = time_axis(throttles["ended_at"])
        for start, stop, reason in zip(began, ended, throttles["reason"], strict=True):
            fig.add_vrect(
                x0=float(start),
                x1=end_ms if stop != stop else float(stop),  # NaN: still throttled
                fillcolor="#d62728",
                opacity=0.12,
                line_width=0,
                annotation_text="throttled",
                annotation_position="top left",
                name=str(reason),
            )
    style(fig, title, "Time (UTC)", "Rate (items per second)", hovermode="x unified")
    return fig.update_xaxes(type="date")


def eta_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return the estimated time remaining over time, with its 80 % interval as a band."""
    title = "Estimated time remaining"
    needed = ("at", "eta_s", "eta_low_s", "eta_high_s")
    if missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No estimate yet: the run has not processed any item.")
    data = downsample(_by_time(progress), max_points)
    if data["eta_s"].isna().all():
        return empty_figure(
            title, "No estimate yet: not enough items had finished to estimate a rate (or the run was short)."
        )
    divisor, unit = duration_unit(float(data[["eta_s", "eta_high_s"]].max().max()))
    x = time_axis(data["at"])
    low = data["eta_low_s"] / divisor
    high = data["eta_high_s"] / divisor
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31,119,180,0.18)",
            name="80 % interval",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=data["eta_s"] / divisor,
            name="estimate",
            mode="lines",
            line={"color": RECENT_COLOR},
            customdata=np.column_stack([low.to_numpy(dtype="float64"), high.to_numpy(dtype="float64")]),
            hovertemplate=(
                f"%{{x|%H:%M:%S}} UTC<br>ETA %{{y:.1f}} {unit} "
                f"(range %{{customdata[0]:.1f}} to %{{customdata[1]:.1f}} {unit})<extra></extra>"
            ),
        )
    )
    style(fig, title, "Time (UTC)", f"Time remaining ({unit})")
    return fig.update_xaxes(type="date")


def eta_honesty_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return, for a finished run, the ETA shown at each moment beside the time that actually remained.

    The actual remaining time at a sample is the run's final active time minus the active time then
    (``elapsed_s``), the same clock the ETA counts in; the interval's legend gives the share of samples
    whose interval contained it. A run not finished yet gives a figure that says so.
    """
    title = "How honest was the ETA"
    needed = ("at", "elapsed_s", "pending", "in_progress", "eta_s", "eta_low_s", "eta_high_s")
    if missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No estimate to judge: the run has not processed any item.")
    data = _by_time(progress)
    last = data.iloc[-1]
    if int(last["pending"]) + int(last["in_progress"]) > 0:
        return empty_figure(
            title, "The run has not finished: the time that actually remained is not known yet."
        )
    data = data.assign(actual_s=float(last["elapsed_s"]) - data["elapsed_s"])
    shown = data[data["eta_s"].notna()]
    if shown.empty:
        return empty_figure(title, "No estimate to judge: the run never showed an ETA.")
    inside = (shown["eta_low_s"] <= shown["actual_s"]) & (shown["actual_s"] <= shown["eta_high_s"])
    coverage = float(inside.mean()) * 100.0
    shown = downsample(shown, max_points)
    divisor, unit = duration_unit(float(shown[["actual_s", "eta_s", "eta_high_s"]].max().max()))
    x = time_axis(shown["at"])
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["eta_high_s"] / divisor,
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["eta_low_s"] / divisor,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31,119,180,0.18)",
            name=f"80 % interval ({coverage:.0f} % held)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["eta_s"] / divisor,
            name="ETA shown",
            mode="lines",
            line={"color": RECENT_COLOR},
            hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>ETA shown %{{y:.1f}} {unit}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["actual_s"] / divisor,
            name="actual",
            mode="lines",
            line={"color": "#2b2b2b", "dash": "dash"},
            hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>actually remained %{{y:.1f}} {unit}<extra></extra>",
        )
    )
    style(fig, title, "Time (UTC)", f"Time remaining ({unit})")
    return fig.update_xaxes(type="date")


def _bucket_batches(batches: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Merge consecutive batches into at most ``max_points`` groups: worst duration, pooled success rate."""
    n = len(batches)
    if n <= max_points:
        out = batches.copy()
        out["label"] = [esc(b) for b in batches["batch_id"]]
        return out
    groups = pd.Series(range(n), index=batches.index) * max_points // n
    grouped = batches.groupby(groups.to_numpy(), sort=True)
    out = pd.DataFrame(
        {
            "opened_at": grouped["opened_at"].first(),
            "duration_s": grouped["duration_s"].max(),
            "files": grouped["files"].sum(),
            "succeeded": grouped["succeeded"].sum(),
            "failed": grouped["failed"].sum(),
            "skipped": grouped["skipped"].sum(),
            "first": grouped["batch_id"].first(),
            "last": grouped["batch_id"].last(),
        }
    )
    out["label"] = [f"{esc(a)} … {esc(b)}" for a, b in zip(out["first"], out["last"], strict=True)]
    return out


def batches_figure(batches: pd.DataFrame | None, *, max_points: int = 300) -> go.Figure:
    """Return each batch's duration (bars) and success rate (line, right axis), in the order opened."""
    title = "Batch durations and success rates"
    needed = (
        "batch_id",
        "opened_at",
        "duration_s",
        "files",
        "succeeded",
        "failed",
        "skipped",
        "success_rate",
    )
    if missing(batches, needed) or batches is None or batches.empty:
        return empty_figure(title, "No batches yet: the run has not opened any batch.")
    data = _bucket_batches(batches.sort_values("opened_at", kind="stable"), max_points)
    x = time_axis(data["opened_at"])
    # from the counts, so a batch with nothing finished yet shows no rate rather than 0%
    finished = (data["succeeded"] + data["failed"] + data["skipped"]).astype("float64")
    rate_pct = data["succeeded"] / finished.where(finished > 0) * 100.0
    custom = list(zip(data["label"], data["files"], data["failed"], data["skipped"], strict=True))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=x,
            y=data["duration_s"],
            name="duration",
            marker={"color": RECENT_COLOR},
            opacity=0.75,
            customdata=custom,
            hovertemplate=(
                "batch %{customdata[0]}<br>opened %{x|%H:%M:%S} UTC<br>duration %{y:.2f} s<br>"
                "%{customdata[1]} items, %{customdata[2]} failed, %{customdata[3]} skipped<extra></extra>"
            ),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=rate_pct,
            name="success rate",
            mode="lines+markers",
            yaxis="y2",
            line={"color": OUTCOME_COLORS["succeeded"]},
            marker={"size": 5},
            hovertemplate="success rate %{y:.1f}%<extra></extra>",
        )
    )
    style(fig, title, "Batch opened at (UTC)", "Duration (seconds)")
    fig.update_xaxes(type="date")
    # two axes, each titled in its series' colour, say what the legend would; a legend beside the plot
    # would sit on the right-hand axis's title
    fig.update_yaxes(title_font={"color": RECENT_COLOR})
    fig.update_layout(
        showlegend=False,
        yaxis2={
            "title": {"text": "Success rate (%)", "font": {"color": OUTCOME_COLORS["succeeded"]}},
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickvals": [0, 25, 50, 75, 100],
            "ticksuffix": "%",
            "showgrid": False,
        },
        bargap=0.1,
    )
    return fig


def _weights(frame: pd.DataFrame) -> pd.Series:
    """Return how many items each row stands for: its ``items`` column in a counted frame, else 1."""
    if "items" in frame.columns:
        return frame["items"].astype("int64")
    return pd.Series(1, index=frame.index, dtype="int64")


def errors_by_type_figure(files: pd.DataFrame | None, *, top: int = 15) -> go.Figure:
    """Return how many items hit each error type: failed for good vs recovered after a retry.

    ``files`` is one row per item, or counted rows (``MigrationData.errors``: ``error_type, status,
    error_message, items``), each standing for ``items`` items.
    """
    title = "Errors by type"
    needed = ("status", "error_type", "error_message")
    if missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    errored = files[files["error_type"].notna() & (files["error_type"].astype(str) != "")]
    if errored.empty:
        return empty_figure(title, "No errors: every attempt so far succeeded.")
    status = errored["status"].map(status_value)
    kind = status.where(status == "failed", "recovered")
    counts = pd.crosstab(errored["error_type"].astype(str), kind, values=_weights(errored), aggfunc="sum")
    counts = counts.fillna(0).astype("int64")
    for column in ("failed", "recovered"):
        if column not in counts.columns:
            counts[column] = 0
    counts["all"] = counts["failed"] + counts["recovered"]
    counts = counts.sort_values("all", ascending=True).tail(top)
    samples = errored.groupby(errored["error_type"].astype(str))["error_message"].first()
    labels = [esc(shorten(name, 40)) for name in counts.index]
    sample_text = [esc(shorten(str(samples.get(name, "")), 120)) for name in counts.index]
    fig = go.Figure()
    for column, name, color in (
        ("failed", "failed for good", OUTCOME_COLORS["failed"]),
        ("recovered", "recovered after retry", "#ff9896"),
    ):
        fig.add_trace(
            go.Bar(
                y=labels,
                x=counts[column],
                name=name,
                orientation="h",
                marker={"color": color},
                customdata=sample_text,
                hovertemplate=(f"%{{y}}<br>{name}: %{{x}} items<br>e.g. %{{customdata}}<extra></extra>"),
            )
        )
    style(fig, title, "Items (count)", "Error type", barmode="stack", bargap=0.35)
    fig.update_layout(height=max(HEIGHT, 120 + 28 * len(counts)), legend={"traceorder": "normal"})
    count_axis(fig, "x", float(counts["all"].max()))
    return fig


def slowest_items_figure(files: pd.DataFrame | None, *, top: int = 20) -> go.Figure:
    """Return the ``top`` slowest items by processing time, coloured by outcome."""
    title = f"Slowest {top} items"
    needed = ("path", "status", "duration_s", "attempts", "size")
    if missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    timed = files[files["duration_s"].notna()]
    if timed.empty:
        return empty_figure(title, "No item has finished yet, so none has a duration.")
    slowest = timed.nlargest(top, "duration_s").iloc[::-1]
    fig = go.Figure()
    # one trace per outcome keeps the legend and the colours consistent with the other figures
    statuses = slowest["status"].map(status_value)
    labels = unique([esc(shorten(str(p))) for p in slowest["path"]])
    for outcome in dict.fromkeys(statuses):
        mask = (statuses == outcome).to_numpy()
        part = slowest[mask]
        fig.add_trace(
            go.Bar(
                y=[label for label, keep in zip(labels, mask, strict=True) if keep],
                x=part["duration_s"],
                name=outcome,
                orientation="h",
                marker={"color": color_of(OUTCOME_COLORS, outcome)},
                customdata=list(
                    zip(
                        [esc(p) for p in part["path"]],
                        part["attempts"],
                        part["size"],
                        [esc(shorten(str(e or ""), 120)) for e in column_or_none(part, "error_message")],
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "%{customdata[0]}<br>%{x:.2f} s, %{customdata[1]} attempt(s), %{customdata[2]:,} bytes"
                    f"<br>{outcome} %{{customdata[3]}}<extra></extra>"
                ),
            )
        )
    style(fig, title, "Processing time (seconds)", "Item")
    fig.update_layout(
        height=max(HEIGHT, 120 + 24 * len(slowest)),
        yaxis={"categoryorder": "array", "categoryarray": labels},
    )
    return fig


def retry_histogram_figure(files: pd.DataFrame | None) -> go.Figure:
    """Return how many items needed 1, 2, 3, ... attempts, stacked by outcome.

    ``files`` is one row per item, or counted rows (``MigrationData.attempts``: ``attempts, status,
    items``), each standing for ``items`` items.
    """
    title = "Attempts per item"
    needed = ("status", "attempts")
    if missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    tried = files[files["attempts"].fillna(0) > 0]
    if tried.empty:
        return empty_figure(title, "No item has been attempted yet.")
    table = pd.crosstab(
        tried["attempts"].astype(int),
        tried["status"].map(status_value),
        values=_weights(tried),
        aggfunc="sum",
    )
    table = table.fillna(0).astype("int64")
    fig = go.Figure()
    for outcome in table.columns:
        fig.add_trace(
            go.Bar(
                x=[str(a) for a in table.index],
                y=table[outcome],
                name=str(outcome),
                marker={"color": color_of(OUTCOME_COLORS, outcome)},
                hovertemplate=f"%{{x}} attempt(s)<br>{outcome}: %{{y:,}} items<extra></extra>",
            )
        )
    style(fig, title, "Attempts (count)", "Items (count)", barmode="stack", bargap=0.35)
    count_axis(fig, "y", float(table.sum(axis=1).max()))
    return fig
