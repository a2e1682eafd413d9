"""The control widgets both migration panels share: what operators see of a run's control, and ask of it.

``ControlWidgets`` holds the controls that act through the run's control stream (``RunControl``):
throttle and unthrottle, concurrency and batch size, approving a gate, a reason journaled with each
command, a message line for a refused command, and the command history. ``MigrationPanel`` (the run
executes in this kernel) and ``AttachedPanel`` (it executes elsewhere) both lay them out; every runner
of the run applies a command within a second, wherever it runs.

``control_line`` renders the control state and the settings in force; ``history_table`` the commands.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

import ipywidgets as widgets

from omnimemory_kit.errors import KitError
from omnimemory_kit.migration.control import ControlState
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.summary import RunSettings

__all__ = ["ControlWidgets", "control_line", "history_table"]


def control_line(control_state: str | None, settings: RunSettings | None) -> str:
    """Return the control state and the settings in force as one line of HTML ("" when neither is known)."""
    parts = []
    if control_state is not None:
        parts.append(f"control: <b>{html.escape(control_state)}</b>")
    if settings is not None:
        parts.append(html.escape(settings.describe()))
    return "; ".join(parts)


def history_table(state: ControlState, *, last: int = 20) -> str:
    """Return the last ``last`` commands as an HTML table (UTC time, who, command, reason)."""
    rows = "".join(
        f"<tr><td>{time.strftime('%H:%M:%S', time.gmtime(c.at))}</td><td>{html.escape(c.who)}</td>"
        f"<td>{html.escape(c.describe())}</td><td>{html.escape(c.reason or '')}</td></tr>"
        for c in state.history[-last:]
    )
    return f"<table><tr><th>UTC</th><th>who</th><th>command</th><th>reason</th></tr>{rows}</table>"


class ControlWidgets:
    """Throttle, settings and approval controls over a run's ``RunControl``, with a reason and a message.

    Args:
        control: returns the run's ``RunControl`` (called at each press: a panel may build it only once
            the run exists; a ``KitError`` it raises is shown like a refused command).
        after: called after every press (the panel refreshes).
        concurrency: the concurrency box's first value.
        batch_size: the batch-size box's first value.
    """

    def __init__(
        self,
        control: Callable[[], RunControl],
        *,
        after: Callable[[], None],
        concurrency: int = 8,
        batch_size: int = 100,
    ) -> None:
        self._control = control
        self._after = after
        self.reason = widgets.Text(placeholder="reason (journaled)", layout={"width": "16em"})
        self.throttle_button = self.button(
            "Throttle",
            "hourglass",
            "Hold new items until unthrottled",
            lambda c: c.throttle(reason=self.why()),
        )
        self.unthrottle_button = self.button(
            "Unthrottle", "forward", "End the throttle", lambda c: c.unthrottle(reason=self.why())
        )
        self.concurrency = widgets.BoundedIntText(
            value=concurrency, min=1, max=10_000, description="concurrency"
        )
        self.batch_size = widgets.BoundedIntText(
            value=batch_size, min=1, max=1_000_000, description="batch size"
        )
        self.apply_button = self.button("Apply", "check", "Set concurrency and batch size", self._apply)
        self.gate = widgets.Text(placeholder="gate (cut-over)", layout={"width": "12em"})
        self.approver = widgets.Text(placeholder="approved by", layout={"width": "12em"})
        self.approve_button = self.button(
            "Approve", "thumbs-up", "Let the postponed finalize run", self._approve
        )
        self.message = widgets.HTML()
        self.history = widgets.HTML()

    def button(
        self, label: str, icon: str, tip: str, action: Callable[[RunControl], object]
    ) -> widgets.Button:
        """Return a button that gives ``action(run_control)`` as a command when pressed."""
        pressed = widgets.Button(description=label, icon=icon, tooltip=tip)
        pressed.on_click(lambda _: self.give(action))
        return pressed

    def rows(self, *lead: widgets.Widget) -> list[widgets.Widget]:
        """Return the controls' rows; ``lead`` widgets (a panel's own buttons) open the first."""
        return [
            widgets.HBox([*lead, self.throttle_button, self.unthrottle_button, self.reason]),
            widgets.HBox([self.concurrency, self.batch_size, self.apply_button]),
            widgets.HBox([self.gate, self.approver, self.approve_button]),
        ]

    def why(self) -> str | None:
        """Return the reason typed, or None."""
        return self.reason.value.strip() or None

    def _apply(self, control: RunControl) -> object:
        return control.set(
            concurrency=self.concurrency.value, batch_size=self.batch_size.value, reason=self.why()
        )

    def _approve(self, control: RunControl) -> object:
        return control.approve(self.gate.value.strip(), by=self.approver.value.strip(), reason=self.why())

    def give(self, action: Callable[[RunControl], object]) -> None:
        """Give a command; a refused one shows its one-line reason instead of raising into the kernel."""
        try:
            control = self._control()
            try:
                action(control)
            finally:
                control.close()  # its notification channel (a PostgreSQL connection) is not kept open
        except KitError as exc:
            self.message.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
        else:
            self.message.value = ""
        self._after()

    def show_history(self, state: ControlState) -> None:
        """Show the last commands given to the run."""
        self.history.value = history_table(state)
