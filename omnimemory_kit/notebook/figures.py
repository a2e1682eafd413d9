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

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "HEALTH_COLORS",
    "LEGEND",
    "NO_DATA",
    "OUTCOME_COLORS",
    "OVERALL_ROW",
    "batches_figure",
    "downsample",
    "empty_figure",
    "errors_by_type_figure",
    "eta_figure",
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


_EPOCH = pd.Timestamp(0, tz="UTC")


def _time_axis(series: pd.Series[Any]) -> np.ndarray[Any, Any]:
    """Return times as UTC epoch milliseconds, what a Plotly date axis reads as dates.

    A number array travels as base64 in the page (11 characters a point) where datetimes travel as ISO
    strings (32): a million-event report stays under 300 KB. The figure sets ``xaxis.type="date"``.
    """
    return ((_times(series) - _EPOCH) / pd.Timedelta(milliseconds=1)).to_numpy(dtype="float64")


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """Return a column as a list, or Nones when the frame lacks it."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _missing(frame: pd.DataFrame | None, columns: Iterable[str]) -> list[str]:
    if frame is None:
        return list(columns)
    return [c for c in columns if c not in frame.columns]


#: Where every figure's legend goes: a column right of the plot, from its top down. A legend in the top
#: margin shared that band with the title and covered it on a narrow page (the report or a Lab column);
#: beside the plot it only takes width, which Plotly's automatic margins make room for.
LEGEND: dict[str, Any] = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=_HEIGHT,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        legend=LEGEND,
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
    x = _time_axis(data["at"])
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
    _style(fig, title, "Time (UTC)", "Items (count)", hovermode="x unified")
    return fig.update_xaxes(type="date")


def rate_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return the processing rate over time: the recent (smoothed) rate against the whole-run average."""
    title = "Processing rate over time"
    needed = ("at", "files_per_s_recent", "files_per_s_overall")
    if _missing(progress, needed) or progress is None or progress.empty:
        return empty_figure(title, "No rate yet: the run has not finished enough items to measure one.")
    data = downsample(_by_time(progress), max_points)
    x = _time_axis(data["at"])
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
    _style(fig, title, "Time (UTC)", "Rate (items per second)", hovermode="x unified")
    return fig.update_xaxes(type="date")


def eta_figure(progress: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return the estimated time remaining over time, with its range (recent vs overall rate) as a band."""
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
    x = _time_axis(data["at"])
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
            name="range",
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
            customdata=np.column_stack([low.to_numpy(dtype="float64"), high.to_numpy(dtype="float64")]),
            hovertemplate=(
                f"%{{x|%H:%M:%S}} UTC<br>ETA %{{y:.1f}} {unit} "
                f"(range %{{customdata[0]:.1f}} to %{{customdata[1]:.1f}} {unit})<extra></extra>"
            ),
        )
    )
    _style(fig, title, "Time (UTC)", f"Time remaining ({unit})")
    return fig.update_xaxes(type="date")


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
    x = _time_axis(data["opened_at"])
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
    fig.update_xaxes(type="date")
    # two axes, each titled in its series' colour, say what the legend would; a legend beside the plot
    # would sit on the right-hand axis's title
    fig.update_yaxes(title_font={"color": _RECENT_COLOR})
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

#: The status drawn where no snapshot vouches for a dependency (a gap in the history).
NO_DATA = "no data"
#: The timeline's first row: the whole response's status per snapshot (``overall_status``).
OVERALL_ROW = "overall"
_NO_DATA_COLOR = "#e6e6e6"
_MAX_HOLD = pd.Timedelta(minutes=5)
_SINGLE_HOLD = pd.Timedelta(seconds=60)


def _hold(moments: list[pd.Timestamp], hold_s: float | None) -> pd.Timedelta:
    """Return how long one snapshot vouches for a status: ``hold_s``, else 1.5 typical intervals.

    The typical interval is the lower median of the gaps between snapshots (the schedule's interval; the
    lower one so that the very gaps in question cannot stretch it); half an interval more absorbs jitter.
    At most five minutes: a history of ad-hoc snapshots (someone ran the notebook now and then) must not
    show a status for the long stretches nobody looked; one snapshot alone holds a minute.
    """
    if hold_s is not None:
        return pd.Timedelta(seconds=hold_s)
    gaps = sorted(b - a for a, b in itertools.pairwise(moments))
    if not gaps:
        return _SINGLE_HOLD
    return min(gaps[(len(gaps) - 1) // 2] * 1.5, _MAX_HOLD)


def _status_segments(history: pd.DataFrame, hold: pd.Timedelta) -> pd.DataFrame:
    """Run-length encode each dependency's status: one row per stretch of equal status or of no data.

    A result holds from its snapshot until the next snapshot of *any* check, but never longer than
    ``hold``: past that nothing vouches for the dependency, and the stretch until its next result is
    ``no data`` (a check left out of later snapshots just ends). So one snapshot is never drawn as
    eleven green minutes.
    """
    moments = sorted(set(_times(history["taken_at"]).tolist()))
    following = dict(itertools.pairwise([*moments, moments[-1] + hold]))
    rows: list[dict[str, Any]] = []
    data = history.sort_values(["name", "taken_at"], kind="stable")
    for name, group in data.groupby("name", sort=True):
        times = _times(group["taken_at"]).tolist()
        statuses = group["status"].map(_status_value).tolist()
        errors = group["error"].tolist() if "error" in group.columns else [None] * len(group)
        ends = [min(following[t], t + hold) for t in times]
        start = 0
        for i in range(1, len(times) + 1):
            # a new stretch when the status changes or this result stopped vouching before the next one
            if i == len(times) or statuses[i] != statuses[start] or ends[i - 1] != times[i]:
                rows.append(
                    {
                        "name": str(name),
                        "status": statuses[start],
                        "start": times[start],
                        "end": ends[i - 1],
                        "snapshots": i - start,
                        "error": errors[i - 1],
                    }
                )
                if i < len(times) and ends[i - 1] < times[i]:
                    rows.append(
                        {
                            "name": str(name),
                            "status": NO_DATA,
                            "start": ends[i - 1],
                            "end": times[i],
                            "snapshots": 0,
                            "error": "no snapshot in this stretch",
                        }
                    )
                start = i
    return pd.DataFrame(rows)


def _overall_rows(history: pd.DataFrame) -> pd.DataFrame:
    """Return one row per snapshot with the response's overall status, named ``overall``."""
    if "overall_status" not in history.columns:
        return history.iloc[0:0][["taken_at"]].assign(name=OVERALL_ROW, status="unknown")
    key = "snapshot_id" if "snapshot_id" in history.columns else "taken_at"
    snapshots = history.drop_duplicates(subset=key, keep="first")
    snapshots = snapshots[snapshots["overall_status"].notna()]
    return pd.DataFrame(
        {"taken_at": snapshots["taken_at"], "name": OVERALL_ROW, "status": snapshots["overall_status"]}
    )


def health_timeline_figure(history: pd.DataFrame | None, *, hold_s: float | None = None) -> go.Figure:
    """Return each dependency's status over time as coloured stretches, one row per dependency.

    The top row is the overall status of each snapshot. A result counts for ``hold_s`` seconds at most
    (default: one and a half typical intervals between snapshots, at most five minutes); longer gaps are
    drawn as ``no data`` in grey, never as the last status carried on.
    """
    title = "Health status timeline per dependency"
    if _missing(history, _HEALTH_COLUMNS) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    hold = _hold(sorted(set(_times(history["taken_at"]).tolist())), hold_s)
    checks = history[history["name"].astype(str) != OVERALL_ROW]
    overall = _overall_rows(history)
    segments = pd.concat(
        [_status_segments(checks, hold), _status_segments(overall, hold) if not overall.empty else None]
    )
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
                marker={
                    "color": _NO_DATA_COLOR if status == NO_DATA else _color(HEALTH_COLORS, status),
                    "pattern": {"shape": "/", "fgcolor": "#b0b0b0"} if status == NO_DATA else {},
                },
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
    names = sorted(set(segments["name"]) - {OVERALL_ROW})
    _style(fig, title, "Time (UTC)", "Dependency", barmode="overlay")
    fig.update_xaxes(type="date")
    # the first category is drawn at the bottom: dependencies A..Z from the top, the overall row above them
    order = [_esc(n) for n in reversed(names)] + ([OVERALL_ROW] if not overall.empty else [])
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_layout(height=max(_HEIGHT, 140 + 34 * len(order)))
    return fig


_TIMEOUT_COLOR = "#d62728"


def _timed_out(history: pd.DataFrame) -> pd.Series[bool]:
    """Return which rows are checks that gave no answer in time (error ``TimeoutError: ...``)."""
    if "error" not in history.columns:
        return pd.Series(False, index=history.index)
    return history["error"].astype("string").str.startswith("TimeoutError").fillna(False).astype(bool)


def latency_percentiles_figure(
    history: pd.DataFrame | None, *, percentiles: Sequence[float] = (50, 90, 99)
) -> go.Figure:
    """Return latency percentiles (milliseconds) per dependency as grouped bars, timeouts apart.

    A check that timed out has no latency, only the time it was waited for: counted in the percentiles
    one 2 s timeout made a p99 of 1.5 s out of answers of 2 ms. The percentiles are of the answers;
    each dependency's timeouts are counted apart, in red under its name.
    """
    title = "Check latency percentiles per dependency"
    if _missing(history, ("name", "latency_ms")) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    timeouts = _timed_out(history)
    timed = history[history["latency_ms"].notna() & ~timeouts]
    timeout_counts = history[timeouts].groupby("name", sort=True).size()
    if timed.empty and timeout_counts.empty:
        return empty_figure(title, "No check recorded a latency.")
    grouped = timed.groupby("name", sort=True)["latency_ms"]
    counts = grouped.count()
    every = sorted(set(counts.index) | set(timeout_counts.index))
    missed = timeout_counts.reindex(every, fill_value=0)
    names = [_esc(n) for n in every]
    answered = counts.reindex(every, fill_value=0)
    shades = ("#9ecae1", "#4292c6", "#08519c", "#08306b")
    fig = go.Figure()
    for i, p in enumerate(percentiles):
        values = grouped.quantile(p / 100.0).reindex(every)
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                name=f"p{p:g}",
                marker={"color": shades[min(i, len(shades) - 1)]},
                customdata=list(zip(answered, missed, strict=True)),
                hovertemplate=(
                    f"%{{x}}<br>p{p:g}: %{{y:.1f}} ms<br>of %{{customdata[0]}} answers"
                    "<br>%{customdata[1]} timeout(s) not counted<extra></extra>"
                ),
            )
        )
    labels = [
        name
        if n == 0
        else f'{name}<br><span style="color:{_TIMEOUT_COLOR}">{n} timeout{"s" * (n != 1)}</span>'
        for name, n in zip(names, missed, strict=True)
    ]
    fig.update_xaxes(tickmode="array", tickvals=names, ticktext=labels)
    return _style(fig, title, "Dependency", "Latency of answers (milliseconds)", barmode="group")


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

    Uses the history rows whose ``observed_unit`` is a percentage (the resource checks'). The axis runs
    from 0 to 100 %, or higher when a value is (a process's CPU counts each core as 100 %).
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
                x=_time_axis(part["taken_at"]),
                y=part["observed_value"],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": palette[i % len(palette)]},
                hovertemplate=f"{label}<br>%{{x|%H:%M:%S}} UTC<br>%{{y:.1f}}%<extra></extra>",
            )
        )
    _style(fig, title, "Time (UTC)", "Utilisation (%)", hovermode="x unified")
    fig.update_xaxes(type="date")
    # a process on several cores goes past 100 % (200 % = two cores busy): never cut it off
    top = float(usage["observed_value"].max())
    fig.update_yaxes(range=[0, 100 if top <= 100 else top * 1.05])
    return fig
