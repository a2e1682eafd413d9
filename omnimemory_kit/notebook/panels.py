"""The interactive migration panel: controls, a progress bar, a live rate/ETA chart and a failures table.

Besides the runner's own buttons (Start, Pause, Step, Resume, Retry failed, Cancel), the panel has the
control widgets it shares with ``AttachedPanel`` (``control_widgets``): throttle, concurrency, batch
size and approving a gate, given as control commands, so they reach every worker of the run.

A widget callback cannot run while a cell is executing, so ``Start`` launches ``runner.run()`` as a task
on the kernel's loop and returns at once: the kernel stays free, the buttons keep working, and the
runner's ``on_progress`` feeds the bar and the live ``FigureWidget``. (Headless runs must ``await
runner.run()`` instead: a task left running is killed when papermill shuts the kernel down.)

Button presses may arrive on another thread. JupyterLab (4.4 and later) sends widget comm messages on a
kernel subshell when the kernel supports them (ipykernel 7 does), and a subshell is a thread with its own
event loop: a callback that set the runner's asyncio event from there scheduled its waiters on the
kernel's loop without waking it, so Resume took effect only when the next timer (the lease heartbeat,
up to 20 s later) woke the loop. Every control therefore runs on the loop the panel was built on,
handed over with ``call_soon_threadsafe`` when pressed from anywhere else.

Everything here is plain Python over ipywidgets objects, so it is tested without Jupyter by pressing the
buttons (``button.click()``) and awaiting ``panel.task``; ``tests/notebook/test_live_kernel.py`` presses
them through the widget comm of a real kernel, on a subshell as JupyterLab does.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from omnimemory_kit.errors import ConfigError, RunNotFoundError
from omnimemory_kit.events import FINISHED_RUN_STATUSES
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.rates import EtaUnavailableReason
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import source_from_spec
from omnimemory_kit.migration.summary import MigrationProgressSummary, percent_text
from omnimemory_kit.migration.tracker import FILES_COLUMNS, MigrationProgressTracker
from omnimemory_kit.notebook import figures
from omnimemory_kit.notebook.control_widgets import ControlWidgets, control_line
from omnimemory_kit.notebook.figures import LEGEND, OUTCOME_COLORS
from omnimemory_kit.notebook.params import MigrationParams
from omnimemory_kit.notebook.tables import failures_table, table_html
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store.base import JournalStore

__all__ = ["MigrationPanel", "build_runner", "tracked_files"]

_ETA_REASONS = {
    EtaUnavailableReason.NOT_STARTED: "ETA: not started",
    EtaUnavailableReason.NOTHING_LEFT: "nothing to migrate",
    EtaUnavailableReason.STOPPED: "ETA: none, the run stopped with work left",
    EtaUnavailableReason.PAUSED: "ETA: paused",
    EtaUnavailableReason.BREAKER_OPEN: "ETA: waiting for the circuit breaker",
    EtaUnavailableReason.WARMING_UP: "ETA: not yet (gathering evidence)",
    EtaUnavailableReason.NO_PROGRESS: "ETA: no progress yet",
}


def build_runner(store: JournalStore, params: MigrationParams, **options: Any) -> MigrationRunner:
    """Return a runner for the migration notebook's validated parameters (``options`` go to the runner).

    Raises:
        ConfigError: the source or the function cannot be found (naming it).
    """
    if params.health_config is not None and "throttle" not in options:
        from omnimemory_kit.health.config import load_health_config
        from omnimemory_kit.migration.throttle_shared import HealthConfigGate

        options["throttle"] = HealthConfigGate(load_health_config(params.health_config))
    return MigrationRunner(
        store,
        params.run_id,
        source_from_spec(params.source),
        load_function(params.migration_function),
        function_id=params.migration_function,
        batch_size=params.batch_size,
        concurrency=params.concurrency,
        retry=RetryPolicy(max_attempts=params.retries + 1, base_delay=0.5, max_delay=30.0),
        dry_run=params.dry_run,
        validate=None if params.validate_function is None else load_function(params.validate_function),
        **options,
    )


def _live_figure() -> go.FigureWidget:
    """Return the live chart: rates on top, ETA with its 80 % interval below, sharing the time axis."""
    base = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=("Processing rate", "Estimated time remaining"),
    )
    base.add_trace(go.Scatter(name="recent", mode="lines", line={"color": "#1f77b4"}), row=1, col=1)
    base.add_trace(
        go.Scatter(name="overall average", mode="lines", line={"color": "#9467bd", "dash": "dash"}),
        row=1,
        col=1,
    )
    base.add_trace(
        go.Scatter(name="ETA high", mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
        row=2,
        col=1,
    )
    base.add_trace(
        go.Scatter(
            name="ETA 80 % interval",
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31,119,180,0.18)",
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    base.add_trace(go.Scatter(name="ETA", mode="lines", line={"color": "#1f77b4"}), row=2, col=1)
    base.update_layout(
        template="plotly_white",
        height=460,
        margin={"l": 70, "r": 20, "t": 50, "b": 50},
        legend=LEGEND,  # beside the plots: above them it covered the "Processing rate" title
    )
    base.update_yaxes(title_text="items per second", row=1, col=1, rangemode="tozero")
    base.update_yaxes(title_text="minutes", row=2, col=1, rangemode="tozero")
    base.update_xaxes(title_text="active time (seconds)", row=2, col=1)
    return go.FigureWidget(base)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def _eta_text(summary: MigrationProgressSummary) -> str:
    """Return the status line's ETA: its 80 % interval while one is known, otherwise why there is none."""
    if summary.eta_seconds is not None and math.isfinite(summary.eta_seconds):
        return (
            f"ETA {summary.eta_seconds / 60:.1f} min (80 %: {(summary.eta_low_seconds or 0) / 60:.1f}"
            f" to {(summary.eta_high_seconds or 0) / 60:.1f} min)"
        )
    reason = summary.eta_unavailable_reason
    if reason is EtaUnavailableReason.NOTHING_LEFT and summary.total_files:
        return f"finished in {summary.elapsed_seconds:.1f} s of active time"
    return _ETA_REASONS.get(reason, "ETA: not yet") if reason is not None else "ETA: not yet"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class MigrationPanel:
    """Buttons, a progress bar, a live Plotly chart and a failures table around one ``MigrationRunner``.

    ``panel.widget`` is what a notebook displays. Pressing Start runs the migration as a task (``.task``)
    and returns; Pause, Step, Resume, Retry failed and Cancel drive the same runner. The runner's
    ``on_progress`` is chained (an existing callback still gets every summary).

    Args:
        runner: the runner to drive (not yet running).
        max_points: how many progress points the live chart keeps.
    """

    def __init__(self, runner: MigrationRunner, *, max_points: int = 500) -> None:
        self.runner = runner
        self.max_points = max_points
        self._figures: widgets.Output | None = None
        self._figures_every = 5.0
        self._figures_drawn_at = -math.inf
        # the loop that owns the runner: every control runs there, whichever thread a press arrives on
        self._loop = _running_loop()
        self.task: asyncio.Task[Any] | None = None
        self.error: BaseException | None = None
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._points: deque[tuple[float, float, float, float | None, float | None, float | None]] = deque(
            maxlen=max(2, max_points)
        )
        self._chained = runner.on_progress
        runner.on_progress = self._on_progress

        def button(label: str, icon: str, tip: str, style: str = "") -> widgets.Button:
            return widgets.Button(description=label, icon=icon, tooltip=tip, button_style=style)

        self.start_button = button("Start", "play", "Run (or resume) the migration to its end", "success")
        self.pause_button = button("Pause", "pause", "Stop starting new items; in-flight ones finish")
        self.step_button = button("Step", "step-forward", "Run one batch, then pause")
        self.resume_button = button("Resume", "play-circle", "Start items again after a pause")
        self.retry_button = button("Retry failed", "redo", "Requeue failed items and run them", "warning")
        self.cancel_button = button(
            "Cancel", "stop", "Stop; unstarted items stay pending for later", "danger"
        )
        for pressed, control in (
            (self.start_button, self.start),
            (self.pause_button, self.pause),
            (self.step_button, self.step),
            (self.resume_button, self.resume),
            (self.retry_button, self.retry_failed),
            (self.cancel_button, self.cancel),
        ):
            pressed.on_click(self._on_owner_loop(control))
        self._control: RunControl | None = None
        self.controls = ControlWidgets(
            self._run_control,
            after=self.refresh,
            concurrency=runner.concurrency,
            batch_size=runner.batch_size,
        )
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description="0%", bar_style="info", layout={"width": "100%"}
        )
        self.status = widgets.HTML()
        self.chart = _live_figure()
        self.failures = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [
                        self.start_button,
                        self.pause_button,
                        self.step_button,
                        self.resume_button,
                        self.retry_button,
                        self.cancel_button,
                    ]
                ),
                *self.controls.rows(),
                self.controls.message,
                self.progress,
                self.status,
                self.controls.history,
                self.chart,
                widgets.HTML("<b>Failed items</b>"),
                self.failures,
            ]
        )
        self.refresh()

    # --- controls -------------------------------------------------------------------------------------

    def _run_control(self) -> RunControl:
        """Return the run's ``RunControl`` (the run must exist: Start or Step creates it)."""
        if self._control is None:
            try:
                self._control = RunControl(self.runner.store, self.runner.run_id)
            except RunNotFoundError:
                raise ConfigError(
                    f"run {self.runner.run_id!r} does not exist yet: press Start or Step first"
                ) from None
        return self._control

    def _on_owner_loop(self, control: Callable[[], object]) -> Callable[[widgets.Button], None]:
        """Return a click handler running ``control`` on the panel's loop, whichever thread calls it."""

        def handler(_: widgets.Button) -> None:
            loop = self._loop
            if loop is None or loop.is_closed() or _running_loop() is loop:
                control()
            else:  # a subshell's thread (JupyterLab's comms): hand over, waking the owner loop
                loop.call_soon_threadsafe(control)

        return handler

    @property
    def busy(self) -> bool:
        """Return whether a run, step or retry task is executing."""
        return self.task is not None and not self.task.done()

    def start(self) -> asyncio.Task[Any] | None:
        """Run the migration to its end as a task on the running loop; None if it is already running.

        Start means "to the end", also after Step left the run paused: the pause is lifted first.
        """
        if self.busy:
            return None
        if self.runner.paused:
            self.runner.resume()
        return self._launch(self.runner.run())

    def step(self) -> asyncio.Task[Any] | None:
        """Run one batch, then pause (through the running task if there is one)."""
        if self.busy:
            side = asyncio.get_running_loop().create_task(self.runner.step())
            self._side_tasks.add(side)  # keep a reference until it is done
            side.add_done_callback(self._side_tasks.discard)
            return self.task
        return self._launch(self.runner.step())

    def pause(self) -> None:
        """Pause the run: no new items start."""
        self.runner.pause()
        self.refresh()

    def resume(self) -> asyncio.Task[Any] | None:
        """Resume a paused run; when nothing is running (a Step finished), run it to its end like Start."""
        if not self.busy:
            return self.start()
        self.runner.resume()
        self.refresh()
        return self.task

    def cancel(self) -> None:
        """Cancel the run: in-flight items finish, the rest stay pending."""
        self.runner.cancel()
        self.refresh()

    def retry_failed(self) -> asyncio.Task[Any] | None:
        """Requeue the failed items and run them (as a task); None while a run is executing."""
        if self.busy:
            return None

        async def retry_then_run() -> MigrationProgressSummary:
            await self.runner.retry_failed()
            if self.runner.paused:  # left paused by a Step: retrying means running them now
                self.runner.resume()
            return await self.runner.run()

        return self._launch(retry_then_run())

    def _launch(self, work: Any) -> asyncio.Task[Any]:
        self.error = None
        self.task = asyncio.get_running_loop().create_task(work)
        self.task.add_done_callback(self._on_done)
        self.refresh()
        return self.task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.error = task.exception()
        self.refresh()
        self.draw_figures()

    # --- display --------------------------------------------------------------------------------------

    def figures_view(self, *, every: float = 5.0) -> widgets.Output:
        """Return the figures section (progress, rate, ETA, errors) as a widget that redraws itself.

        It redraws on progress at most every ``every`` seconds while a run goes on, and once more when
        the run ends, so the section never needs re-running by hand.
        """
        if self._figures is None:
            self._figures = widgets.Output(layout={"width": "100%"})
        self._figures_every = max(0.0, float(every))
        self.draw_figures()
        return self._figures

    def draw_figures(self) -> None:
        """Redraw the figures section from the tracker (nothing to do until ``figures_view()`` is shown)."""
        if self._figures is None:
            return
        self._figures_drawn_at = self.runner.clock.monotonic()
        progress = self.runner.progress_dataframe()  # the run's, also when the runner is lean
        files = tracked_files(self.runner.tracker)
        drawn = (
            figures.progress_figure(progress, max_points=self.max_points),
            figures.rate_figure(progress, max_points=self.max_points),
            figures.eta_figure(progress, max_points=self.max_points),
            figures.errors_by_type_figure(files),
        )
        # Plotly's own mimetype, drawn by JupyterLab; set as outputs, so it works from any task
        self._figures.outputs = tuple(
            {
                "output_type": "display_data",
                "data": {
                    "application/vnd.plotly.v1+json": json.loads(figure.to_json()),
                    "text/plain": f"<{figure.layout.title.text or 'figure'}>",
                },
                "metadata": {},
            }
            for figure in drawn
        )

    def _on_progress(self, summary: MigrationProgressSummary) -> object:
        self._record(summary)
        self.refresh(summary)
        due = self.runner.clock.monotonic() - self._figures_drawn_at >= self._figures_every
        if self._figures is not None and due:
            self.draw_figures()
        return self._chained(summary) if self._chained is not None else None

    def _record(self, summary: MigrationProgressSummary) -> None:
        rates = summary.processing_rates
        self._points.append(
            (
                summary.elapsed_seconds,
                rates.files_per_second_recent,
                rates.files_per_second_overall,
                _minutes(summary.eta_seconds),
                _minutes(summary.eta_low_seconds),
                _minutes(summary.eta_high_seconds),
            )
        )
        columns = list(zip(*self._points, strict=True))
        with self.chart.batch_update():
            for index, values in (
                (0, columns[1]),
                (1, columns[2]),
                (2, columns[5]),
                (3, columns[4]),
                (4, columns[3]),
            ):
                self.chart.data[index].x = columns[0]
                self.chart.data[index].y = values

    def refresh(self, summary: MigrationProgressSummary | None = None) -> None:
        """Bring the bar, the status line, the buttons and the failures table up to date."""
        summary = summary or self.runner.summary()
        total = max(summary.total_files, 1)
        self.progress.max = total
        self.progress.value = summary.finished_files
        self.progress.description = f"{percent_text(summary.completion_percentage, 0)}%"
        failed = summary.failed_files > 0
        self.progress.bar_style = (
            "warning" if failed else ("success" if summary.remaining_files == 0 else "info")
        )
        status = self.runner.status
        busy = self.busy
        paused = self.runner.paused and status not in FINISHED_RUN_STATUSES
        state = str(status.value)
        if paused:  # always say how to go on: Resume continues a paused task, Start/Resume after a Step
            state = "paused: press Resume to continue" if busy else "paused: press Start or Resume to run on"
        if summary.store_unavailable_since is not None:  # the runner is riding out a store outage
            state += f", store unavailable since {summary.store_unavailable_since:%Y-%m-%d %H:%M:%SZ}"
        colors = OUTCOME_COLORS
        line = (
            f"<b>{html.escape(summary.name)}</b> — {html.escape(state)} · "
            f"<span style='color:{colors['succeeded']}'>{summary.succeeded_files:,} succeeded</span> · "
            f"<span style='color:{colors['failed']}'>{summary.failed_files:,} failed</span> · "
            f"<span style='color:{colors['skipped']}'>{summary.skipped_files:,} skipped</span> · "
            f"{summary.pending_files:,} pending · "
            f"{summary.processing_rates.files_per_second_recent:.1f} items/s · "
            f"{html.escape(_eta_text(summary))}"
        )
        shown = control_line(summary.control_state, summary.settings)
        if shown:
            line += f"<br>{shown}"
        if self.error is not None:
            line += (
                f"<br><span style='color:{colors['failed']}'>error: {html.escape(repr(self.error))}</span>"
            )
        self.status.value = line
        link = self.runner.control
        if link is not None:  # the runner's own view of the commands: no store read per progress report
            self.controls.show_history(link.state)
        self.start_button.disabled = busy
        self.retry_button.disabled = busy or summary.failed_files == 0
        self.pause_button.disabled = not busy or self.runner.paused
        self.resume_button.disabled = not self.runner.paused
        self.step_button.disabled = status in FINISHED_RUN_STATUSES and summary.pending_files == 0
        self.cancel_button.disabled = not busy
        if not busy or summary.failed_files != getattr(self, "_failures_shown", -1):
            self._failures_shown = summary.failed_files
            table = failures_table(tracked_files(self.runner.tracker), limit=20)
            self.failures.value = "<i>No failed items.</i>" if table.empty else table_html(table)

    def __repr__(self) -> str:
        summary = self.runner.summary()
        return (
            f"<MigrationPanel run={self.runner.run_id!r} {self.runner.status.value}"
            f"{' paused' if self.runner.paused else ''} busy={self.busy} "
            f"{summary.finished_files}/{summary.total_files} finished>"
        )


def tracked_files(tracker: MigrationProgressTracker) -> pd.DataFrame:
    """Return the tracker's files frame (``to_dataframe``), whatever the tracker keeps.

    A tracker keeping only hashes of its keys (a worker's, or a runner resuming a run of more than 100,000
    items) cannot list every file: it gives its failed files alone, the rows the failures table and the
    errors figure need, where ``to_dataframe`` would raise.
    """
    if tracker.keep_paths:
        return tracker.to_dataframe()
    rows = []
    for key in tracker.failed_paths():
        info = tracker.get_file_info(key)
        rows.append(
            [info.path, info.size, info.status.value, info.attempts, info.batch_id, info.started_at,
             info.finished_at, info.duration_seconds, info.error_type, info.error_message]
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(FILES_COLUMNS))
