"""The look every figure shares: colours, the legend's place, escaping, time axes, empty and long data.

Figures of migrations (``figures``) and of health (``health_figures``) build on these, so an outcome or a
status keeps one colour everywhere, every title and legend sit in the same places, user text is always
escaped and times always reach the page as compact UTC epoch milliseconds. Pure functions, no I/O.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.text import printable

__all__ = [
    "FALLBACK_COLOR",
    "HEALTH_COLORS",
    "HEIGHT",
    "LEGEND",
    "OUTCOMES",
    "OUTCOME_COLORS",
    "OVERALL_COLOR",
    "RECENT_COLOR",
    "color_of",
    "column_or_none",
    "count_axis",
    "downsample",
    "duration_unit",
    "empty_figure",
    "esc",
    "missing",
    "shorten",
    "status_value",
    "style",
    "time_axis",
    "unique",
    "utc_times",
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

RECENT_COLOR = "#1f77b4"
OVERALL_COLOR = "#9467bd"
FALLBACK_COLOR = "#8c564b"
OUTCOMES = ("succeeded", "failed", "skipped")
HEIGHT = 380
MAX_LABEL = 60


# --- shared helpers ---------------------------------------------------------------------------------


def esc(value: object) -> str:
    """Escape user-controlled text for Plotly's pseudo-HTML labels (shown literally, never interpreted)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(printable(str(value)), quote=True)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """Keep the end of a long path (the file name is the telling part)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def unique(labels: list[str]) -> list[str]:
    """Number repeated labels (two long paths can shorten alike; a category axis would merge them)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def status_value(value: object) -> str:
    """Return an enum's value or the text itself, lower-cased."""
    return str(getattr(value, "value", value)).lower()


def color_of(palette: dict[str, str], key: object) -> str:
    return palette.get(status_value(key), FALLBACK_COLOR)


def utc_times(series: pd.Series[Any]) -> pd.Series[Any]:
    """Return a series of UTC datetimes from epoch seconds or datetimes."""
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_datetime(series.astype("float64"), unit="s", utc=True)
    return pd.to_datetime(series, utc=True)


_EPOCH = pd.Timestamp(0, tz="UTC")


def time_axis(series: pd.Series[Any]) -> np.ndarray[Any, Any]:
    """Return times as UTC epoch milliseconds, what a Plotly date axis reads as dates.

    A number array travels as base64 in the page (11 characters a point) where datetimes travel as ISO
    strings (32): a million-event report stays under 300 KB. The figure sets ``xaxis.type="date"``.
    """
    return ((utc_times(series) - _EPOCH) / pd.Timedelta(milliseconds=1)).to_numpy(dtype="float64")


def column_or_none(frame: pd.DataFrame, name: str) -> list[Any]:
    """Return a column as a list, or Nones when the frame lacks it."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def missing(frame: pd.DataFrame | None, columns: Iterable[str]) -> list[str]:
    if frame is None:
        return list(columns)
    return [c for c in columns if c not in frame.columns]


#: Where every figure's legend goes: a column right of the plot, from its top down. A legend in the top
#: margin shared that band with the title and covered it on a narrow page (the report or a Lab column);
#: beside the plot it only takes width, which Plotly's automatic margins make room for.
LEGEND: dict[str, Any] = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}


def style(fig: go.Figure, title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=HEIGHT,
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        legend=LEGEND,
        hoverlabel={"namelength": -1},
        **layout,
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def count_axis(fig: go.Figure, axis: str, largest: float) -> None:
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
        height=HEIGHT,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": esc(message),
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


def duration_unit(seconds: float) -> tuple[float, str]:
    """Return a divisor and unit name that keep ``seconds`` readable."""
    if seconds >= 2 * 3600:
        return 3600.0, "hours"
    if seconds >= 2 * 60:
        return 60.0, "minutes"
    return 1.0, "seconds"
