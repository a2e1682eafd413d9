"""The operators' side of a run in reports: the commands they gave, the gates they approved, and where.

``history_frame`` is the command history as a table (when, who as ``user@host``, command, arguments,
reason); ``approvals_frame`` the approved gates (gate, approved by, when, given by); ``mark_commands``
puts a marker on the rate chart at each command, so a change of rate can be read against what was asked.
All read a ``ControlState`` (``run_control.read_control``); text from operators is escaped for Plotly's
labels here and by the tables' renderer.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.control import ControlState
from omnimemory_kit.notebook.figure_style import esc, time_axis

__all__ = ["approvals_frame", "history_frame", "mark_commands"]

COMMAND_COLOR = "#ff7f0e"
HISTORY_COLUMNS = ("when (UTC)", "who", "command", "args", "reason")
APPROVAL_COLUMNS = ("gate", "approved by", "when (UTC)", "given by", "reason")


def _when(at: float) -> pd.Timestamp:
    return pd.Timestamp(at, unit="s", tz="UTC").floor("s")


def _value(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def history_frame(state: ControlState) -> pd.DataFrame:
    """Return every command given to the run, oldest first: when, who, command, args, reason."""
    rows = [
        (
            _when(c.at),
            c.who,
            c.verb,
            " ".join(
                f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                for key, value in c.args.items()
            ),
            c.reason or "",
        )
        for c in state.history
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def approvals_frame(state: ControlState) -> pd.DataFrame:
    """Return each approval: the gate, who approved it (``--by``), when, who gave the command, and why."""
    rows = [
        (str(c.args.get("gate", "")), str(c.args.get("by") or c.who), _when(c.at), c.who, c.reason or "")
        for c in state.history
        if c.kind is EventKind.CONTROL_APPROVE
    ]
    return pd.DataFrame(rows, columns=list(APPROVAL_COLUMNS))


def mark_commands(fig: go.Figure, state: ControlState | None) -> go.Figure:
    """Add a marker at each command's time along the bottom of a time-axis figure (the rate chart).

    Hovering a marker tells who gave which command and why; a figure without a time axis (an empty
    placeholder) is returned unchanged.
    """
    if state is None or not state.history or not fig.data:
        return fig
    commands = state.history
    x = time_axis(pd.Series([c.at for c in commands], dtype="float64"))
    hover = [
        f"{_when(c.at):%H:%M:%S} UTC<br>{esc(c.who)}: {esc(c.describe())}"
        + (f"<br>{esc(c.reason)}" if c.reason else "")
        for c in commands
    ]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[0.0] * len(commands),
            name="operator commands",
            mode="markers+text",
            marker={"symbol": "triangle-up", "size": 11, "color": COMMAND_COLOR},
            text=[esc(c.verb) for c in commands],
            textposition="top center",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    return fig
