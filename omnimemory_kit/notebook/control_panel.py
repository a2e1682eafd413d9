"""A panel that attaches to a run executed elsewhere (a CLI process, workers on other machines).

``AttachedPanel(store, run_id)`` watches and steers without executing items: it follows the run's journal
(``MigrationProgressTracker.refresh``) and control state, and its buttons give control commands through
``RunControl`` (pause, resume, throttle, unthrottle, concurrency and batch size, approve a gate), which
every runner of the run applies within a second. Call ``refresh()`` (or ``await follow()``) to update it.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable

import ipywidgets as widgets

from omnimemory_kit.errors import KitError
from omnimemory_kit.migration.control import summary_fields
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.notebook.control_widgets import control_line, history_table
from omnimemory_kit.store.base import JournalStore

__all__ = ["AttachedPanel"]


class AttachedPanel:
    """Watch and control a run another process executes.

    Args:
        store: the run's store.
        run_id: the run.
        who: who gives the commands (default ``user@host`` of the kernel).

    Raises:
        RunNotFoundError: the store has no such run.
    """

    def __init__(self, store: JournalStore, run_id: str, *, who: str | None = None) -> None:
        self.control = RunControl(store, run_id, who=who)
        self.tracker = MigrationProgressTracker.from_store(store, run_id)
        self.params = store.get_run(run_id).params  # the settings the run was created with
        self.run_id = run_id

        def button(label: str, icon: str, tip: str, action: Callable[[], object]) -> widgets.Button:
            pressed = widgets.Button(description=label, icon=icon, tooltip=tip)
            pressed.on_click(lambda _: self._give(action))
            return pressed

        reason = widgets.Text(placeholder="reason (journaled)", layout={"width": "16em"})
        self.reason = reason
        self.pause_button = button(
            "Pause", "pause", "No new items start", lambda: self.control.pause(reason=self._why())
        )
        self.resume_button = button(
            "Resume", "play", "Start items again", lambda: self.control.resume(reason=self._why())
        )
        self.throttle_button = button(
            "Throttle",
            "hourglass",
            "Hold new items until unthrottled",
            lambda: self.control.throttle(reason=self._why()),
        )
        self.unthrottle_button = button(
            "Unthrottle", "forward", "End the throttle", lambda: self.control.unthrottle(reason=self._why())
        )
        self.concurrency = widgets.BoundedIntText(value=8, min=1, max=10_000, description="concurrency")
        self.batch_size = widgets.BoundedIntText(value=100, min=1, max=1_000_000, description="batch size")
        self.apply_button = button("Apply", "check", "Set concurrency and batch size", self._apply)
        self.gate = widgets.Text(placeholder="gate (cut-over)", layout={"width": "12em"})
        self.approver = widgets.Text(placeholder="approved by", layout={"width": "12em"})
        self.approve_button = button("Approve", "thumbs-up", "Let the postponed finalize run", self._approve)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout={"width": "100%"})
        self.status = widgets.HTML()
        self.message = widgets.HTML()
        self.history = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.pause_button, self.resume_button, self.throttle_button,
                              self.unthrottle_button, reason]),
                widgets.HBox([self.concurrency, self.batch_size, self.apply_button]),
                widgets.HBox([self.gate, self.approver, self.approve_button]),
                self.progress,
                self.status,
                self.message,
                self.history,
            ]
        )  # fmt: skip
        self.refresh()

    def _why(self) -> str | None:
        return self.reason.value.strip() or None

    def _apply(self) -> object:
        return self.control.set(
            concurrency=self.concurrency.value, batch_size=self.batch_size.value, reason=self._why()
        )

    def _approve(self) -> object:
        return self.control.approve(
            self.gate.value.strip(), by=self.approver.value.strip(), reason=self._why()
        )

    def _give(self, action: Callable[[], object]) -> None:
        """Give a command; a refused one shows its one-line reason instead of raising into the kernel."""
        try:
            action()
        except KitError as exc:
            self.message.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
        else:
            self.message.value = ""
        self.refresh()

    def refresh(self) -> None:
        """Read what the run and its operators did since the last refresh, and show it."""
        self.tracker.refresh()
        summary = self.tracker.get_progress_summary()
        state = self.control.state()
        self.progress.max = max(1, summary.total_files)
        self.progress.value = summary.finished_files
        fields = summary_fields(state, self.params, time.time())
        self.status.value = (
            f"<b>{html.escape(self.run_id)}</b>: {summary.status.value}, "
            f"{summary.finished_files}/{summary.total_files} done; "
            f"{control_line(fields['control_state'], fields['settings'])}"
        )
        self.history.value = history_table(state)

    async def follow(self, every: float = 1.0) -> None:
        """Refresh every ``every`` seconds until cancelled (start it as a task to keep the kernel free)."""
        while True:
            await asyncio.to_thread(self.refresh)
            await asyncio.sleep(every)

    def __repr__(self) -> str:
        return f"<AttachedPanel run={self.run_id!r} {self.control.describe()}>"
