"""Health figures: the recorded history (``HealthHistory(store).frame()``) in, a Plotly figure out.

``taken_at, name, status, critical, latency_ms, error, observed_value, observed_unit, breaker_state,
overall_status`` rows, one per check per snapshot. The timeline draws what each snapshot vouches for and
grey "no data" where none does, under an overall-status row; latency percentiles are of the answers, with
timeouts counted apart; flapping counts status changes; host resources draw every percentage.
Pure functions (no I/O, no clock reads); empty input gives a figure that says why.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.notebook.figure_style import (
    HEALTH_COLORS,
    HEIGHT,
    OUTCOME_COLORS,
    color_of,
    count_axis,
    downsample,
    empty_figure,
    esc,
    missing,
    shorten,
    status_value,
    style,
    time_axis,
    utc_times,
)

__all__ = [
    "NO_DATA",
    "OVERALL_ROW",
    "flapping_figure",
    "health_timeline_figure",
    "host_resources_figure",
    "latency_percentiles_figure",
]

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
    moments = sorted(set(utc_times(history["taken_at"]).tolist()))
    following = dict(itertools.pairwise([*moments, moments[-1] + hold]))
    rows: list[dict[str, Any]] = []
    data = history.sort_values(["name", "taken_at"], kind="stable")
    for name, group in data.groupby("name", sort=True):
        times = utc_times(group["taken_at"]).tolist()
        statuses = group["status"].map(status_value).tolist()
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
    if missing(history, _HEALTH_COLUMNS) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    hold = _hold(sorted(set(utc_times(history["taken_at"]).tolist())), hold_s)
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
                y=[esc(n) for n in part["name"]],
                x=duration_ms,
                base=part["start"],
                orientation="h",
                name=status,
                marker={
                    "color": _NO_DATA_COLOR if status == NO_DATA else color_of(HEALTH_COLORS, status),
                    "pattern": {"shape": "/", "fgcolor": "#b0b0b0"} if status == NO_DATA else {},
                },
                customdata=list(
                    zip(
                        part["end"],
                        part["snapshots"],
                        [esc(shorten(str(e or ""), 120)) for e in part["error"]],
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
    style(fig, title, "Time (UTC)", "Dependency", barmode="overlay")
    fig.update_xaxes(type="date")
    # the first category is drawn at the bottom: dependencies A..Z from the top, the overall row above them
    order = [esc(n) for n in reversed(names)] + ([OVERALL_ROW] if not overall.empty else [])
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_layout(height=max(HEIGHT, 140 + 34 * len(order)))
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
    if missing(history, ("name", "latency_ms")) or history is None or history.empty:
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
    names = [esc(n) for n in every]
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
    return style(fig, title, "Dependency", "Latency of answers (milliseconds)", barmode="group")


def flapping_figure(history: pd.DataFrame | None, *, threshold: int = 3) -> go.Figure:
    """Return how often each dependency changed status; ``threshold`` or more changes is flapping (red)."""
    title = "Flapping: status changes per dependency"
    if missing(history, _HEALTH_COLUMNS) or history is None or history.empty:
        return empty_figure(title, "No health history recorded yet: run the checks to record a snapshot.")
    data = history.sort_values(["name", "taken_at"], kind="stable")
    status = data["status"].map(status_value)
    changed = status.ne(status.groupby(data["name"]).shift()) & data["name"].eq(data["name"].shift())
    changes = changed.groupby(data["name"]).sum().astype(int)
    snapshots = data.groupby("name").size()
    times = utc_times(data["taken_at"])
    span_h = (times.groupby(data["name"]).max() - times.groupby(data["name"]).min()).dt.total_seconds() / 3600
    per_hour = (changes / span_h.where(span_h > 0)).fillna(0.0)
    colors = [OUTCOME_COLORS["failed"] if c >= threshold else "#1f77b4" for c in changes]
    fig = go.Figure(
        go.Bar(
            x=[esc(n) for n in changes.index],
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
    style(fig, title, "Dependency", "Status changes (count)", bargap=0.35)
    count_axis(fig, "y", float(max(int(changes.max()), threshold)))
    return fig


_PERCENT_UNITS = frozenset({"percent", "%", "pct"})


def host_resources_figure(history: pd.DataFrame | None, *, max_points: int = 500) -> go.Figure:
    """Return host resource utilisation (CPU, memory, disk, ... in percent) over time, one line each.

    Uses the history rows whose ``observed_unit`` is a percentage (the resource checks'). The axis runs
    from 0 to 100 %, or higher when a value is (a process's CPU counts each core as 100 %).
    """
    title = "Host resources over time"
    needed = ("taken_at", "name", "observed_value", "observed_unit")
    if missing(history, needed) or history is None or history.empty:
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
        label = esc(name)
        fig.add_trace(
            go.Scatter(
                x=time_axis(part["taken_at"]),
                y=part["observed_value"],
                name=label,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": palette[i % len(palette)]},
                hovertemplate=f"{label}<br>%{{x|%H:%M:%S}} UTC<br>%{{y:.1f}}%<extra></extra>",
            )
        )
    style(fig, title, "Time (UTC)", "Utilisation (%)", hovermode="x unified")
    fig.update_xaxes(type="date")
    # a process on several cores goes past 100 % (200 % = two cores busy): never cut it off
    top = float(usage["observed_value"].max())
    fig.update_yaxes(range=[0, 100 if top <= 100 else top * 1.05])
    return fig
