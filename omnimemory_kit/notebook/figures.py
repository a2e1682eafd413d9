"""Figures for migrations and health: a DataFrame in, a ``plotly.graph_objects.Figure`` out.

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

import html
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "HEALTH_COLORS",
    "OUTCOME_COLORS",
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

#: One colour per work-item outcome, used by every migration figure and panel.
OUTCOME_COLORS: dict[str, str] = {
    "succeeded": "#2ca02c",
    "failed": "#d62728",
    "skipped": "#7f7f7f",
    "in_progress": "#1f77b4",
    "pending": "#c7c7c7",
}

#: One colour per health status (``pass``/``warn``/``fail`` aliases included), used by every health figure.
HEALTH_COLORS: dict[str, str] = {
    "healthy": "#2ca02c",
    "up": "#2ca02c",
    "pass": "#2ca02c",
    "degraded": "#ff7f0e",
    "warn": "#ff7f0e",
    "unhealthy": "#d62728",
    "down": "#d62728",
    "fail": "#d62728",
    "unknown": "#7f7f7f",
}

_RECENT_COLOR = "#1f77b4"
_OVERALL_COLOR = "#9467bd"
_FALLBACK_COLOR = "#8c564b"
_OUTCOMES = ("succeeded", "failed", "skipped")
_HEIGHT = 380
_MAX_LABEL = 60


# --- shared helpers ---------------------------------------------------------------------------------


def _esc(value: object) -> str:
    """Escape user-controlled text for Plotly's pseudo-HTML labels (shown literally, never interpreted)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _shorten(text: str, limit: int = _MAX_LABEL) -> str:
    """Keep the end of a long path (the file name is the telling part)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _unique(labels: list[str]) -> list[str]:
    """Number repeated labels (two long paths can shorten alike; a category axis would merge them)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _status_value(value: object) -> str:
    """Return an enum's value or the text itself, lower-cased."""
    return str(getattr(value, "value", value)).lower()


def _color(palette: dict[str, str], key: object) -> str:
    return palette.get(_status_value(key), _FALLBACK_COLOR)


def _times(series: pd.Series[Any]) -> pd.Series[Any]:
    """Return a series of UTC datetimes from epoch seconds or datetimes."""
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_datetime(series.astype("float64"), unit="s", utc=True)
    return pd.to_datetime(series, utc=True)


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """Return a column as a list, or Nones when the frame lacks it."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _missing(frame: pd.DataFrame | None, columns: Iterable[str]) -> list[str]:
    if frame is None:
        return list(columns)
    return [c for c in columns if c not in frame.columns]


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=_HEIGHT,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hoverlabel={"namelength": -1},
        **layout,
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def _count_axis(fig: go.Figure, axis: str, largest: float) -> None:
    """Make a count axis show whole numbers only (no 0.2 items), starting at zero."""
    settings: dict[str, Any] = {"rangemode": "tozero", "tickformat": ",d"}
    if largest <= 10:
        settings["dtick"] = 1
    if axis == "x":
        fig.update_xaxes(**settings)
    else:
        fig.update_yaxes(**settings)


def empty_figure(title: str, message: str) -> go.Figure:
    """Return a titled figure with no data and ``message`` in its middle, explaining why it is empty."""
    fig = go.Figure()
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=_HEIGHT,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": _esc(message),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": "#555"},
            }
        ],
    )
    return fig


def downsample(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Return at most ``max_points`` evenly spaced rows of ``frame``, always keeping the first and last.

    Cumulative series (counts, rates, ETA samples) keep their shape; a report of a million events stays
    a few kilobytes per figure.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, not {max_points}")
    n = len(frame)
    if n <= max_points:
        return frame
    step = (n - 1) / (max_points - 1)
    positions = sorted({round(i * step) for i in range(max_points)})
    return frame.iloc[positions]


def _duration_unit(seconds: float) -> tuple[float, str]:
    """Return a divisor and unit name that keep ``seconds`` readable."""
    if seconds >= 2 * 3600:
        return 3600.0, "hours"
    if seconds >= 2 * 60:
        return 60.0, "minutes"
    return 1.0, "seconds"


def _format_duration(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.2f} s"


# --- migration figures ------------------------------------------------------------------------------


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
    needed = ("at", "total", *_OUTCOMES)
    if _missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No progress recorded yet: the run has not processed any item.")
    data = downsample(_by_time(progress), max_points)
    x = _times(data["at"])
    fig = go.Figure()
    for outcome in _OUTCOMES:
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
    return _style(fig, title, "Time (UTC)", "Items (count)", hovermode="x unified")


def rate_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return the processing rate over time: the recent (smoothed) rate against the whole-run average."""
    title = "Processing rate over time"
    needed = ("at", "files_per_s_recent", "files_per_s_overall")
    if _missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No rate yet: the run has not finished enough items to measure one.")
    data = downsample(_by_time(progress), max_points)
    x = _times(data["at"])
    fig = go.Figure()
    for column, name, color, dash in (
        ("files_per_s_recent", "recent", _RECENT_COLOR, "solid"),
        ("files_per_s_overall", "overall average", _OVERALL_COLOR, "dash"),
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
    return _style(fig, title, "Time (UTC)", "Rate (items per second)", hovermode="x unified")


def eta_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return the estimated time remaining over time, with its 80 % interval as a band."""
    title = "Estimated time remaining"
    needed = ("at", "eta_s", "eta_low_s", "eta_high_s")
    if _missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No estimate yet: the run has not processed any item.")
    data = downsample(_by_time(progress), max_points)
    if data["eta_s"].isna().all():
        return empty_figure(
            title, "No estimate yet: not enough items had finished to estimate a rate (or the run was short)."
        )
    divisor, unit = _duration_unit(float(data[["eta_s", "eta_high_s"]].max().max()))
    x = _times(data["at"])
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
            line={"color": _RECENT_COLOR},
            customdata=list(zip(low, high, strict=True)),
            hovertemplate=(
                f"%{{x|%H:%M:%S}} UTC<br>ETA %{{y:.1f}} {unit} "
                f"(range %{{customdata[0]:.1f}} to %{{customdata[1]:.1f}} {unit})<extra></extra>"
            ),
        )
    )
    return _style(fig, title, "Time (UTC)", f"Time remaining ({unit})")


def eta_honesty_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return, for a finished run, the ETA shown at each moment beside the time that actually remained.

    The actual remaining time at a sample is the run's final active time minus the active time then
    (``elapsed_s``), the same clock the ETA counts in; the interval's legend gives the share of samples
    whose interval contained it. A run not finished yet gives a figure that says so.
    """
    title = "How honest was the ETA"
    needed = ("at", "elapsed_s", "pending", "in_progress", "eta_s", "eta_low_s", "eta_high_s")
    if _missing(progress, needed) or progress is None or progress.empty:
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
    divisor, unit = _duration_unit(float(shown[["actual_s", "eta_s", "eta_high_s"]].max().max()))
    x = _times(shown["at"])
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
            name=f"80 % interval shown (held it at {coverage:.0f} % of moments)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["eta_s"] / divisor,
            name="ETA shown",
            mode="lines",
            line={"color": _RECENT_COLOR},
            hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>ETA shown %{{y:.1f}} {unit}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown["actual_s"] / divisor,
            name="actually remained",
            mode="lines",
            line={"color": "#2b2b2b", "dash": "dash"},
            hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>actually remained %{{y:.1f}} {unit}<extra></extra>",
        )
    )
    return _style(fig, title, "Time (UTC)", f"Time remaining ({unit})")


def _bucket_batches(batches: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Merge consecutive batches into at most ``max_points`` groups: worst duration, pooled success rate."""
    n = len(batches)
    if n <= max_points:
        out = batches.copy()
        out["label"] = [_esc(b) for b in batches["batch_id"]]
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
    out["label"] = [f"{_esc(a)} … {_esc(b)}" for a, b in zip(out["first"], out["last"], strict=True)]
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
    if _missing(batches, needed) or batches is None or batches.empty:
        return empty_figure(title, "No batches yet: the run has not opened any batch.")
    data = _bucket_batches(batches.sort_values("opened_at", kind="stable"), max_points)
    x = _times(data["opened_at"])
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
            marker={"color": _RECENT_COLOR},
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
    _style(fig, title, "Batch opened at (UTC)", "Duration (seconds)")
    fig.update_layout(
        yaxis2={
            "title": {"text": "Success rate (%)"},
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


def errors_by_type_figure(files: pd.DataFrame | None, *, top: int = 15) -> go.Figure:
    """Return how many items hit each error type: failed for good vs recovered after a retry."""
    title = "Errors by type"
    needed = ("status", "error_type", "error_message")
    if _missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    errored = files[files["error_type"].notna() & (files["error_type"].astype(str) != "")]
    if errored.empty:
        return empty_figure(title, "No errors: every attempt so far succeeded.")
    status = errored["status"].map(_status_value)
    kind = status.where(status == "failed", "recovered")
    counts = pd.crosstab(errored["error_type"].astype(str), kind)
    for column in ("failed", "recovered"):
        if column not in counts.columns:
            counts[column] = 0
    counts["all"] = counts["failed"] + counts["recovered"]
    counts = counts.sort_values("all", ascending=True).tail(top)
    samples = errored.groupby(errored["error_type"].astype(str))["error_message"].first()
    labels = [_esc(_shorten(name, 40)) for name in counts.index]
    sample_text = [_esc(_shorten(str(samples.get(name, "")), 120)) for name in counts.index]
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
    _style(fig, title, "Items (count)", "Error type", barmode="stack", bargap=0.35)
    fig.update_layout(height=max(_HEIGHT, 120 + 28 * len(counts)), legend={"traceorder": "normal"})
    _count_axis(fig, "x", float(counts["all"].max()))
    return fig


def slowest_items_figure(files: pd.DataFrame | None, *, top: int = 20) -> go.Figure:
    """Return the ``top`` slowest items by processing time, coloured by outcome."""
    title = f"Slowest {top} items"
    needed = ("path", "status", "duration_s", "attempts", "size")
    if _missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    timed = files[files["duration_s"].notna()]
    if timed.empty:
        return empty_figure(title, "No item has finished yet, so none has a duration.")
    slowest = timed.nlargest(top, "duration_s").iloc[::-1]
    fig = go.Figure()
    # one trace per outcome keeps the legend and the colours consistent with the other figures
    statuses = slowest["status"].map(_status_value)
    labels = _unique([_esc(_shorten(str(p))) for p in slowest["path"]])
    for outcome in dict.fromkeys(statuses):
        mask = (statuses == outcome).to_numpy()
        part = slowest[mask]
        fig.add_trace(
            go.Bar(
                y=[label for label, keep in zip(labels, mask, strict=True) if keep],
                x=part["duration_s"],
                name=outcome,
                orientation="h",
                marker={"color": _color(OUTCOME_COLORS, outcome)},
                customdata=list(
                    zip(
                        [_esc(p) for p in part["path"]],
                        part["attempts"],
                        part["size"],
                        [_esc(_shorten(str(e or ""), 120)) for e in _column(part, "error_message")],
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "%{customdata[0]}<br>%{x:.2f} s, %{customdata[1]} attempt(s), %{customdata[2]:,} bytes"
                    f"<br>{outcome} %{{customdata[3]}}<extra></extra>"
                ),
            )
        )
    _style(fig, title, "Processing time (seconds)", "Item")
    fig.update_layout(
        height=max(_HEIGHT, 120 + 24 * len(slowest)),
        yaxis={"categoryorder": "array", "categoryarray": labels},
    )
    return fig


def retry_histogram_figure(files: pd.DataFrame | None) -> go.Figure:
    """Return how many items needed 1, 2, 3, ... attempts, stacked by outcome."""
    title = "Attempts per item"
    needed = ("status", "attempts")
    if _missing(files, needed) or files is None or files.empty:
        return empty_figure(title, "No items yet.")
    tried = files[files["attempts"].fillna(0) > 0]
    if tried.empty:
        return empty_figure(title, "No item has been attempted yet.")
    table = pd.crosstab(tried["attempts"].astype(int), tried["status"].map(_status_value))
    fig = go.Figure()
    for outcome in table.columns:
        fig.add_trace(
            go.Bar(
                x=[str(a) for a in table.index],
                y=table[outcome],
                name=str(outcome),
                marker={"color": _color(OUTCOME_COLORS, outcome)},
                hovertemplate=f"%{{x}} attempt(s)<br>{outcome}: %{{y:,}} items<extra></extra>",
            )
        )
    _style(fig, title, "Attempts (count)", "Items (count)", barmode="stack", bargap=0.35)
    _count_axis(fig, "y", float(table.sum(axis=1).max()))
    return fig


# --- health figures ---------------------------------------------------------------------------------

_HEALTH_COLUMNS = ("taken_at", "name", "status")


def _status_segments(history: pd.DataFrame) -> pd.DataFrame:
    """Run-length encode each dependency's status: one row per stretch of equal status.

    A result holds from its snapshot until the next snapshot of *any* check (so a check that stopped
    being run does not stretch to the end); the last snapshot is drawn one typical interval wide
    (the median gap between snapshots, at most a minute).
    """
    moments = sorted(set(_times(history["taken_at"]).tolist()))
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    tail = min(pd.Series(gaps).median(), pd.Timedelta(seconds=60)) if gaps else pd.Timedelta(seconds=60)
    following = dict(itertools.pairwise([*moments, moments[-1] + tail]))
    rows: list[dict[str, Any]] = []
    data = history.sort_values(["name", "taken_at"], kind="stable")
    for name, group in data.groupby("name", sort=True):
        times = _times(group["taken_at"]).tolist()
        statuses = group["status"].map(_status_value).tolist()
        errors = group["error"].tolist() if "error" in group.columns else [None] * len(group)
        start = 0
        for i in range(1, len(times) + 1):
            # a new stretch when the status changes or the check skipped a snapshot (a gap)
            if i == len(times) or statuses[i] != statuses[start] or following[times[i - 1]] != times[i]:
                rows.append(
                    {
                        "name": str(name),
                        "status": statuses[start],
                        "start": times[start],
                        "end": following[times[i - 1]],
                        "snapshots": i - start,
                        "error": errors[i - 1],
                    }
                )
                start = i
    return pd.DataFrame(rows)


def health_timeline_figure(history: pd.DataFrame | None) -> go.Figure:
    """Return each dependency's status over time as coloured stretches, one row per dependency."""
    title = "Health status timeline per dependency"
    if _missing(history, _HEALTH_COLUMNS) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    segments = _status_segments(history)
    fig = go.Figure()
    for status in dict.fromkeys(segments["status"]):
        part = segments[segments["status"] == status]
        duration_ms = (part["end"] - part["start"]).dt.total_seconds() * 1000.0
        fig.add_trace(
            go.Bar(
                y=[_esc(n) for n in part["name"]],
                x=duration_ms,
                base=part["start"],
                orientation="h",
                name=status,
                marker={"color": _color(HEALTH_COLORS, status)},
                customdata=list(
                    zip(
                        part["end"],
                        part["snapshots"],
                        [_esc(_shorten(str(e or ""), 120)) for e in part["error"]],
                        strict=True,
                    )
                ),
                hovertemplate=(
                    f"%{{y}}: {status}<br>%{{base|%Y-%m-%d %H:%M:%S}} → %{{customdata[0]|%H:%M:%S}} UTC"
                    "<br>%{customdata[1]} snapshot(s)<br>%{customdata[2]}<extra></extra>"
                ),
            )
        )
    names = sorted(segments["name"].unique())
    _style(fig, title, "Time (UTC)", "Dependency", barmode="overlay")
    fig.update_xaxes(type="date")
    fig.update_layout(height=max(_HEIGHT, 140 + 34 * len(names)))
    return fig


def latency_percentiles_figure(
    history: pd.DataFrame | None, *, percentiles: Sequence[float] = (50, 90, 99)
) -> go.Figure:
    """Return latency percentiles (milliseconds) per dependency as grouped bars."""
    title = "Check latency percentiles per dependency"
    if _missing(history, ("name", "latency_ms")) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    timed = history[history["latency_ms"].notna()]
    if timed.empty:
        return empty_figure(title, "No check recorded a latency.")
    grouped = timed.groupby("name", sort=True)["latency_ms"]
    counts = grouped.count()
    names = [_esc(n) for n in counts.index]
    shades = ("#9ecae1", "#4292c6", "#08519c", "#08306b")
    fig = go.Figure()
    for i, p in enumerate(percentiles):
        values = grouped.quantile(p / 100.0)
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                name=f"p{p:g}",
                marker={"color": shades[min(i, len(shades) - 1)]},
                customdata=counts.to_numpy(),
                hovertemplate=(
                    f"%{{x}}<br>p{p:g}: %{{y:.1f}} ms<br>from %{{customdata}} checks<extra></extra>"
                ),
            )
        )
    return _style(fig, title, "Dependency", "Latency (milliseconds)", barmode="group")


def flapping_figure(history: pd.DataFrame | None, *, threshold: int = 3) -> go.Figure:
    """Return how often each dependency changed status; ``threshold`` or more changes is flapping (red)."""
    title = "Flapping: status changes per dependency"
    if _missing(history, _HEALTH_COLUMNS) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    data = history.sort_values(["name", "taken_at"], kind="stable")
    status = data["status"].map(_status_value)
    changed = status.ne(status.groupby(data["name"]).shift()) & data["name"].eq(data["name"].shift())
    changes = changed.groupby(data["name"]).sum().astype(int)
    snapshots = data.groupby("name").size()
    times = _times(data["taken_at"])
    span_h = (times.groupby(data["name"]).max() - times.groupby(data["name"]).min()).dt.total_seconds() / 3600
    per_hour = (changes / span_h.where(span_h > 0)).fillna(0.0)
    colors = [OUTCOME_COLORS["failed"] if c >= threshold else "#1f77b4" for c in changes]
    fig = go.Figure(
        go.Bar(
            x=[_esc(n) for n in changes.index],
            y=changes.to_numpy(),
            marker={"color": colors},
            customdata=list(
                zip(snapshots.reindex(changes.index), per_hour.reindex(changes.index), strict=True)
            ),
            hovertemplate=(
                "%{x}<br>%{y} status change(s) in %{customdata[0]} snapshots"
                "<br>%{customdata[1]:.2f} changes per hour<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.add_hline(
        y=threshold,
        line={"dash": "dot", "color": OUTCOME_COLORS["failed"]},
        annotation_text=f"flapping at {threshold}+ changes",
        annotation_position="top left",
    )
    _style(fig, title, "Dependency", "Status changes (count)", bargap=0.35)
    _count_axis(fig, "y", float(max(int(changes.max()), threshold)))
    return fig


_PERCENT_UNITS = frozenset({"percent", "%", "pct"})


def host_resources_figure(history: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return host resource utilisation (CPU, memory, disk, ... in percent) over time, one line each.

    Uses the history rows whose ``observed_unit`` is a percentage (the resource checks').
    """
    title = "Host resources over time"
    needed = ("taken_at", "name", "observed_value", "observed_unit")
    if _missing(history, needed) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    units = history["observed_unit"].astype("string").str.lower()
    usage = history[units.isin(_PERCENT_UNITS).fillna(False) & history["observed_value"].notna()]
    if usage.empty:
        return empty_figure(title, "No resource measurements recorded (no check reports a percentage).")
    palette = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
    fig = go.Figure()
    ordered = usage.sort_values("taken_at", kind="stable")
    for i, (name, group) in enumerate(ordered.groupby("name", sort=True)):
        part = downsample(group, max_points)
        label = _esc(name)
        fig.add_trace(
            go.Scatter(
                x=_times(part["taken_at"]),
                y=part["observed_value"],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": palette[i % len(palette)]},
                hovertemplate=f"{label}<br>%{{x|%H:%M:%S}} UTC<br>%{{y:.1f}}%<extra></extra>",
            )
        )
    _style(fig, title, "Time (UTC)", "Utilisation (%)", hovermode="x unified")
    fig.update_yaxes(range=[0, 100])
    return fig
