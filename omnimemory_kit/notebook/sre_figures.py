"""Health as an SRE sees it: uptime and SLO tables, the incident timeline, latency percentiles over time,
the alert log. Pure functions: rows or frames in, a DataFrame or a ``plotly.graph_objects.Figure`` out.

(The history figures of ``health.ipynb``, timeline, flapping and host resources, live beside the migration
figures; these read the rollups, incidents and alerts of ``health serve``.)

Inputs come from the library: ``uptime_table`` and ``slo_table`` rows (``health.uptime``,
``health.slo``), ``incidents_frame`` (``health.incidents``), ``HealthHistoryStore.health_rollups`` rows
and ``health_alerts`` rows. Empty input gives a figure or table that says why it is empty; names and
errors are HTML-escaped before Plotly renders them.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.health.incidents import INCIDENT_COLUMNS
from omnimemory_kit.health.slo import SloStatus
from omnimemory_kit.health.uptime import WINDOWS, WindowUptime, percentile
from omnimemory_kit.notebook.figures import HEALTH_COLORS, empty_figure
from omnimemory_kit.store.base import HealthAlertRow, HealthRollupRow

__all__ = [
    "ALERT_COLUMNS",
    "alert_log_table",
    "incident_timeline_figure",
    "latency_over_time_figure",
    "rollup_percentiles_frame",
    "uptime_slo_table",
]

ALERT_COLUMNS = ("at", "check", "kind", "webhook", "outcome", "attempts", "error")
"""The columns of ``alert_log_table``."""


def _esc(value: object) -> str:
    """Escape user text (check names, errors) before Plotly renders it as HTML."""
    return html.escape(str(value))


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title}, xaxis_title=x_title, yaxis_title=y_title, template="plotly_white", **layout
    )
    return fig


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.3f}%"


def uptime_slo_table(uptime: Sequence[WindowUptime], slos: Sequence[SloStatus] = ()) -> pd.DataFrame:
    """Return one row per check: uptime per window, then its SLO, budget left and burn alerts.

    Uptime cells are percentages as text ("" where the window has no sample); checks without an SLO have
    empty SLO cells.
    """
    by_check: dict[str, dict[str, str]] = {}
    windows = [window for window in WINDOWS if any(row.window == window for row in uptime)]
    for row in uptime:
        by_check.setdefault(row.name, {})[row.window] = _percent(row.uptime)
    for listed in slos:
        by_check.setdefault(listed.name, {})
    standings = {listed.name: listed for listed in slos}
    records = []
    for name, cells in by_check.items():
        standing = standings.get(name)
        alert = ""
        if standing is not None:
            alert = "fast burn" if standing.fast_burn else "slow burn" if standing.slow_burn else "ok"
        records.append(
            {
                "check": name,
                **{window: cells.get(window, "") for window in windows},
                "slo": f"{standing.slo:g}%" if standing is not None else "",
                "budget left": _percent(standing.budget_remaining) if standing is not None else "",
                "burn": alert,
            }
        )
    return pd.DataFrame(records, columns=["check", *windows, "slo", "budget left", "burn"])


def incident_timeline_figure(incidents: pd.DataFrame | None, *, now: dt.datetime | None = None) -> go.Figure:
    """Return incidents as bars on a time axis, one row per check, coloured by worst status.

    Args:
        incidents: ``incidents_frame`` output.
        now: where open incidents end on the chart (their last start when None).
    """
    title = "Incidents (non-healthy intervals)"
    if incidents is None or incidents.empty or any(c not in incidents for c in INCIDENT_COLUMNS):
        return empty_figure(title, "No incidents in this period.")
    frame = incidents.copy()
    end_of_open = pd.Timestamp(now) if now is not None else frame["start"].max()
    frame["shown_end"] = frame["end"].fillna(end_of_open)
    fig = go.Figure()
    for status, group in frame.groupby("worst_status", sort=True):
        starts = pd.to_datetime(group["start"], utc=True)
        ends = pd.to_datetime(group["shown_end"], utc=True)
        widths = (ends - starts).dt.total_seconds().clip(lower=1.0) * 1000.0
        fig.add_trace(
            go.Bar(
                y=[_esc(name) for name in group["name"]],
                x=widths,
                base=starts,
                orientation="h",
                name=str(status),
                marker={"color": HEALTH_COLORS.get(str(status), "#7f7f7f")},
                customdata=[
                    [_esc(error or ""), "open" if pd.isna(end) else f"{seconds:.0f} s"]
                    for error, end, seconds in zip(
                        group["first_error"], group["end"], group["duration_s"].fillna(0.0), strict=True
                    )
                ],
                hovertemplate="%{y}<br>%{base|%Y-%m-%d %H:%M:%S} UTC, %{customdata[1]}<br>"
                "%{customdata[0]}<extra></extra>",
            )
        )
    fig.update_xaxes(type="date")
    return _style(fig, title, "Time (UTC)", "Check", barmode="overlay")


def rollup_percentiles_frame(rows: Sequence[HealthRollupRow]) -> pd.DataFrame:
    """Return latency p50/p95/p99 and uptime per check per rollup bucket.

    Columns: ``name, at`` (the bucket's start, UTC), ``samples, uptime, p50_ms, p95_ms, p99_ms``.
    """
    records = [
        (
            row.name,
            dt.datetime.fromtimestamp(row.bucket_start, dt.UTC),
            row.total,
            row.up / row.total if row.total else None,
            percentile(row.latency_bins, 0.50),
            percentile(row.latency_bins, 0.95),
            percentile(row.latency_bins, 0.99),
        )
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=["name", "at", "samples", "uptime", "p50_ms", "p95_ms", "p99_ms"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    for column in ("uptime", "p50_ms", "p95_ms", "p99_ms"):
        frame[column] = frame[column].astype("float64")
    return frame


def latency_over_time_figure(percentiles: pd.DataFrame | None) -> go.Figure:
    """Return p50 (solid) and p99 (dotted) latency over time per check, from ``rollup_percentiles_frame``."""
    title = "Check latency over time (p50 solid, p99 dotted)"
    if percentiles is None or percentiles.empty or percentiles["p50_ms"].isna().all():
        return empty_figure(title, "No latencies recorded in this period.")
    fig = go.Figure()
    for name, group in percentiles.groupby("name", sort=True):
        label = _esc(name)
        for column, dash in (("p50_ms", "solid"), ("p99_ms", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=group["at"],
                    y=group[column],
                    mode="lines",
                    name=f"{label} {column.removesuffix('_ms')}",
                    line={"dash": dash},
                    legendgroup=label,
                    hovertemplate=f"{label}<br>%{{x|%Y-%m-%d %H:%M}} UTC<br>"
                    f"{column.removesuffix('_ms')}: %{{y:.1f}} ms<extra></extra>",
                )
            )
    return _style(fig, title, "Time (UTC)", "Latency (milliseconds)")


def alert_log_table(alerts: Sequence[HealthAlertRow]) -> pd.DataFrame:
    """Return the alerts sent, failed or muted, newest first (columns: ``ALERT_COLUMNS``)."""
    records = [
        (
            dt.datetime.fromtimestamp(alert.at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            alert.name,
            alert.kind,
            alert.webhook,
            alert.outcome,
            alert.attempts,
            alert.error or "",
        )
        for alert in sorted(alerts, key=lambda a: (a.at, a.alert_id), reverse=True)
    ]
    return pd.DataFrame(records, columns=list(ALERT_COLUMNS))
