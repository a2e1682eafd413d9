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

import ipywidgets as widgets

from omnimemory_kit.migration.control import summary_fields
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.notebook.control_widgets import ControlWidgets, control_line
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

        self.controls = ControlWidgets(lambda: self.control, after=self.refresh)
        shared = self.controls
        self.pause_button = shared.button(
            "Pause", "pause", "No new items start", lambda c: c.pause(reason=shared.why())
        )
        self.resume_button = shared.button(
            "Resume", "play", "Start items again", lambda c: c.resume(reason=shared.why())
        )
        # the shared widgets, under the names the panel has always had
        self.reason, self.message, self.history = shared.reason, shared.message, shared.history
        self.throttle_button, self.unthrottle_button = shared.throttle_button, shared.unthrottle_button
        self.concurrency, self.batch_size, self.apply_button = (
            shared.concurrency, shared.batch_size, shared.apply_button
        )  # fmt: skip
        self.gate, self.approver, self.approve_button = shared.gate, shared.approver, shared.approve_button
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout={"width": "100%"})
        self.status = widgets.HTML()
        self.widget = widgets.VBox(
            [
                *shared.rows(self.pause_button, self.resume_button),
                self.progress,
                self.status,
                self.message,
                self.history,
            ]
        )
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
        self.controls.show_history(state)

    async def follow(self, every: float = 1.0) -> None:
        """Refresh every ``every`` seconds until cancelled (start it as a task to keep the kernel free)."""
        while True:
            await asyncio.to_thread(self.refresh)
            await asyncio.sleep(every)

    def __repr__(self) -> str:
        return f"<AttachedPanel run={self.run_id!r} {self.control.describe()}>"
