"""Operators in reports: command history and approvals as tables, commands as markers on the rate chart."""

from __future__ import annotations

import plotly.graph_objects as go

from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.control import ControlState, control_event, fold
from omnimemory_kit.notebook.control_figures import approvals_frame, history_frame, mark_commands
from tests.notebook.frames import EVIL


def state() -> ControlState:
    return fold(
        [
            control_event(
                EventKind.CONTROL_SET, at=100.0, who="ann@db1", reason=EVIL, args={"max-rate": 50.0}
            ),
            control_event(EventKind.GATE_WAITING, at=110.0, who="w1", args={"gate": "cut-over"}),
            control_event(
                EventKind.CONTROL_APPROVE, at=120.0, who="bo@ops", args={"gate": "cut-over", "by": "carol"}
            ),
        ]
    )


class TestTables:
    def test_history_lists_when_who_command_args_and_reason(self) -> None:
        """Each command is a row; the runner's own gate report is not a command."""
        frame = history_frame(state())
        assert list(frame.columns) == ["when (UTC)", "who", "command", "args", "reason"]
        assert frame["command"].tolist() == ["set", "approve"]
        assert frame["args"].tolist() == ["max-rate=50", "by=carol gate=cut-over"]
        assert str(frame["when (UTC)"].iloc[0]) == "1970-01-01 00:01:40+00:00"

    def test_approvals_say_gate_who_and_when(self) -> None:
        """An approval names the gate, the approver, when, and who gave the command."""
        frame = approvals_frame(state())
        assert frame[["gate", "approved by", "given by"]].values.tolist() == [["cut-over", "carol", "bo@ops"]]
        assert approvals_frame(ControlState()).empty


class TestMarkers:
    def test_a_marker_per_command_with_escaped_hover(self) -> None:
        """The rate chart gains one marker per command; operators' text is escaped in the hover."""
        fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2]))
        marked = mark_commands(fig, state())
        trace = marked.data[-1]
        assert trace.name == "operator commands"
        assert list(trace.text) == ["set", "approve"]
        assert EVIL not in "".join(trace.hovertext)
        assert "&lt;script&gt;" in trace.hovertext[0]

    def test_no_commands_or_no_chart_leaves_the_figure(self) -> None:
        """Without commands, or on an empty placeholder figure, nothing is added."""
        assert len(mark_commands(go.Figure(go.Scatter(x=[0], y=[0])), ControlState()).data) == 1
        assert len(mark_commands(go.Figure(), state()).data) == 0
