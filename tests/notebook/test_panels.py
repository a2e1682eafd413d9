"""The migration panel, driven without Jupyter: buttons start tasks, the bar, chart and table follow."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, MigrationError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.worker import join_run, prepare_run
from omnimemory_kit.notebook.panels import MigrationPanel, build_runner, tracked_files
from omnimemory_kit.notebook.params import MigrationParams
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, open_store
from tests.notebook.frames import EVIL

T = TypeVar("T")


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A fresh SQLite journal on the fake clock."""
    journal = open_store(tmp_path / "journal.db", clock=clock)
    yield journal
    journal.close()


async def drive(runner: MigrationRunner, clock: FakeClock, work: Awaitable[T]) -> T:
    """Await ``work``, moving the fake clock whenever the runner waits only on it."""
    task = asyncio.ensure_future(work)
    for _ in range(100_000):
        for _ in range(3):
            await asyncio.sleep(0)
        if task.done():
            await asyncio.sleep(0)  # let done-callbacks (the panel's refresh) run
            return task.result()
        if runner.store_calls_in_flight == 0 and clock.pending_timers:
            clock.advance(0.25)
    task.cancel()
    raise AssertionError("the task did not finish")


def make_runner(
    store: JournalStore, clock: FakeClock, keys: list[str], fail: set[str] | None = None
) -> MigrationRunner:
    """A runner over ``keys`` whose function fails (once per item in ``fail``) then succeeds."""
    failing = set(fail or ())

    async def migrate(item: MigrationItem) -> None:
        if item.key in failing:
            failing.discard(item.key)
            raise ValueError(f"cannot migrate {item.key}")

    return MigrationRunner(
        store,
        "panel",
        IterableSource(keys),
        migrate,
        batch_size=5,
        retry=RetryPolicy(max_attempts=1),
        clock=clock,
    )


class TestStart:
    async def test_start_returns_a_task_at_once_and_the_bar_follows(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Start launches the run as a task without awaiting it; at the end the bar is full and green."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.start_button.click()
        assert panel.task is not None
        assert not panel.task.done()
        assert panel.start_button.disabled
        assert not panel.cancel_button.disabled
        summary = await drive(runner, clock, panel.task)
        assert summary.succeeded_files == 12
        assert (panel.progress.value, panel.progress.max) == (12, 12)
        assert panel.progress.bar_style == "success"
        assert not panel.start_button.disabled
        assert panel.cancel_button.disabled
        assert "12 succeeded" in panel.status.value
        assert "control: <b>running</b>; concurrency 8, batch size 5, max-rate none" in panel.status.value

    async def test_live_chart_gets_a_point_per_progress_report(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Each progress report adds a point to the rate and ETA traces of the FigureWidget."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(15)])
        panel = MigrationPanel(runner, max_points=50)
        await drive(runner, clock, panel.start())
        recent, overall, _high, _low, eta = panel.chart.data
        assert len(recent.x) >= 3
        assert len(recent.x) == len(overall.y) == len(eta.y)
        assert list(recent.x) == sorted(recent.x)

    async def test_existing_progress_callback_still_called(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A callback the runner already had keeps receiving summaries through the panel."""
        seen: list[float] = []
        runner = make_runner(store, clock, [f"k{i}" for i in range(5)])
        runner.on_progress = lambda summary: seen.append(summary.completion_percentage)
        panel = MigrationPanel(runner)
        await drive(runner, clock, panel.start())
        assert seen == sorted(seen)  # every summary, in order: progress never goes back
        assert seen[-1] == 100.0


class TestFailuresAndRetry:
    async def test_failures_table_escapes_names_and_retry_reruns_them(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A failed item with a hostile name is listed escaped; Retry failed requeues and migrates it."""
        keys = ["a", EVIL, "c"]
        runner = make_runner(store, clock, keys, fail={EVIL})
        panel = MigrationPanel(runner)
        await drive(runner, clock, panel.start())
        assert "&lt;script&gt;" in panel.failures.value
        assert "<script>" not in panel.failures.value
        assert panel.progress.bar_style == "warning"
        assert not panel.retry_button.disabled
        panel.retry_button.click()
        summary = await drive(runner, clock, panel.task)
        assert (summary.succeeded_files, summary.failed_files) == (3, 0)
        assert panel.failures.value == "<i>No failed items.</i>"
        assert panel.retry_button.disabled

    async def test_a_workers_panel_lists_its_failures_from_hashed_keys(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A joined worker keeps hashes of its keys, yet its panel lists its failed items, escaped."""
        keys = ["a", EVIL, "c"]
        prepare_run(store, "panel", IterableSource(keys), "m:f", clock=clock)
        failing = {EVIL}

        async def migrate(item: MigrationItem) -> None:
            if item.key in failing:
                failing.discard(item.key)
                raise ValueError(f"cannot migrate {item.key}")

        runner = join_run(store, "panel", migrate, function_id="m:f", batch_size=5, clock=clock,
                          retry=RetryPolicy(max_attempts=1))  # fmt: skip
        assert not runner.tracker.keep_paths
        panel = MigrationPanel(runner)
        panel.figures_view()
        started = panel.start()
        assert started is not None
        await drive(runner, clock, started)
        assert "&lt;script&gt;" in panel.failures.value
        assert "ValueError" in panel.failures.value
        # the notebook's tables read the same rows (the whole files frame cannot be listed from hashes)
        with pytest.raises(MigrationError):
            runner.tracker.to_dataframe()
        files = tracked_files(runner.tracker)
        assert list(files["path"]) == [EVIL]
        assert list(files["error_type"]) == ["ValueError"]
        panel.retry_button.click()
        assert panel.task is not None
        summary = await drive(runner, clock, panel.task)
        assert (summary.succeeded_files, summary.failed_files) == (3, 0)
        assert panel.failures.value == "<i>No failed items.</i>"


class TestLeanRun:
    async def test_figures_of_a_fresh_lean_run_show_the_whole_run(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A fresh run past the lean size draws its progress figure from the run's counts, every item."""
        runner = MigrationRunner(store, "panel", IterableSource([f"k{i:03d}" for i in range(40)]),
                                 lambda item: None, batch_size=5, clock=clock,
                                 follow_counters_above=10)  # fmt: skip
        panel = MigrationPanel(runner)
        panel.figures_view()
        started = panel.start()
        assert started is not None
        summary = await drive(runner, clock, started)
        assert runner.own_events_only
        assert (summary.total_files, summary.succeeded_files) == (40, 40)
        assert (panel.progress.value, panel.progress.max) == (40, 40)
        assert panel._figures is not None
        drawn = panel._figures.outputs[0]["data"]["application/vnd.plotly.v1+json"]
        (total,) = [trace["y"] for trace in drawn["data"] if trace.get("name") == "total"]
        if isinstance(total, dict):  # plotly's typed array: base64 of the values
            total = numpy.frombuffer(base64.b64decode(total["bdata"]), dtype=total["dtype"]).tolist()
        assert set(total) == {40}  # the claimed share would have grown 5 by 5


class TestPauseStepCancel:
    async def test_step_runs_one_batch_then_pauses(self, store: JournalStore, clock: FakeClock) -> None:
        """Step on an idle run migrates one batch (five items) and leaves the rest pending."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.step_button.click()
        summary = await drive(runner, clock, panel.task)
        assert summary.finished_files == 5
        assert summary.pending_files == 7

    async def test_start_after_step_runs_to_the_end(self, store: JournalStore, clock: FakeClock) -> None:
        """After an idle Step, Start is offered and runs every remaining item; the status says so."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.step_button.click()
        await drive(runner, clock, panel.task)
        assert "press Start or Resume" in panel.status.value
        assert not panel.start_button.disabled
        assert not panel.resume_button.disabled
        panel.start_button.click()
        summary = await drive(runner, clock, panel.task)
        assert summary.finished_files == 12
        assert summary.status is MigrationStatus.COMPLETED

    async def test_resume_after_step_runs_to_the_end(self, store: JournalStore, clock: FakeClock) -> None:
        """Resume on an idle panel after a Step starts the run instead of only lifting the pause."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.step_button.click()
        await drive(runner, clock, panel.task)
        panel.resume_button.click()
        assert panel.busy
        summary = await drive(runner, clock, panel.task)
        assert summary.finished_files == 12

    async def test_retry_after_step_runs_to_the_end(self, store: JournalStore, clock: FakeClock) -> None:
        """Retry failed after a Step that left a failure requeues it and runs everything to the end."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(8)], fail={"k0"})
        panel = MigrationPanel(runner)
        panel.step_button.click()
        stepped = await drive(runner, clock, panel.task)
        assert stepped.failed_files == 1
        panel.retry_button.click()
        summary = await drive(runner, clock, panel.task)
        assert (summary.succeeded_files, summary.failed_files, summary.pending_files) == (8, 0, 0)

    async def test_pause_then_resume_finishes(self, store: JournalStore, clock: FakeClock) -> None:
        """Pause stops new items and enables Resume; Resume lets the run finish."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(20)])
        panel = MigrationPanel(runner)
        task = panel.start()
        assert task is not None
        panel.pause()
        assert runner.paused
        assert not panel.resume_button.disabled
        assert panel.pause_button.disabled
        panel.resume()
        summary = await drive(runner, clock, task)
        assert summary.succeeded_files == 20

    async def test_cancel_stops_the_run(self, store: JournalStore, clock: FakeClock) -> None:
        """Cancel ends the run as cancelled, with unstarted items still pending."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(40)])
        panel = MigrationPanel(runner)
        task = panel.start()
        assert task is not None
        while not runner.running:
            await asyncio.sleep(0)
        panel.cancel_button.click()
        summary = await drive(runner, clock, task)
        assert summary.status is MigrationStatus.CANCELLED
        assert summary.pending_files > 0
        assert "cancelled" in repr(panel)


class TestStatusLineAndFigures:
    async def test_eta_after_completion_says_finished(self, store: JournalStore, clock: FakeClock) -> None:
        """Once every item finished, the status line says so instead of 'ETA: not yet'."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(5)])
        panel = MigrationPanel(runner)
        assert "ETA: not started" in panel.status.value
        await drive(runner, clock, panel.start())
        assert "finished in" in panel.status.value
        assert "not yet" not in panel.status.value

    async def test_figures_view_redraws_while_the_run_goes_on(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """The figures view holds four figures, redrawn every `every` seconds of progress and at the end."""

        async def slow(item: MigrationItem) -> None:
            await clock.sleep(0.1)  # fake time passes while items run, whatever the machine's load

        runner = MigrationRunner(store, "panel", IterableSource([f"k{i}" for i in range(40)]), slow,
                                 batch_size=5, concurrency=2, clock=clock)  # fmt: skip
        runner.progress_interval = 0.0
        panel = MigrationPanel(runner)
        drawn: list[float] = []
        draw = panel.draw_figures

        def counting_draw() -> None:
            drawn.append(clock.monotonic())
            draw()

        panel.draw_figures = counting_draw  # type: ignore[method-assign]
        view = panel.figures_view(every=0.5)
        assert len(view.outputs) == 4
        await drive(runner, clock, panel.start())
        assert len(drawn) >= 3  # the first draw, at least one while running, the last at the end
        assert all(b - a >= 0.5 for a, b in itertools.pairwise(drawn[:-1]))  # the last: at the end
        first = view.outputs[0]["data"]["application/vnd.plotly.v1+json"]
        assert sum(len(trace.get("x", ())) for trace in first["data"]) > 0


class TestBuildRunner:
    def test_builds_from_validated_parameters(self, store: JournalStore, tmp_path: Path) -> None:
        """The notebook's parameters become the runner's batch size, concurrency and retry attempts."""
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "a.py").write_text("x = 1\n")
        params = MigrationParams(source=str(tmp_path / "src"), batch_size=7, concurrency=3, retries=4)
        runner = build_runner(store, params)
        assert (runner.batch_size, runner.concurrency, runner.retry.max_attempts) == (7, 3, 5)

    def test_missing_source_is_a_config_error(self, store: JournalStore, tmp_path: Path) -> None:
        """A source that does not exist is refused, naming it (by the parameters, or by the runner)."""
        with pytest.raises(ConfigError, match="nowhere"):
            MigrationParams.validate_parameters({"source": str(tmp_path / "nowhere")})
        unchecked = MigrationParams.model_construct(source=str(tmp_path / "nowhere"))
        with pytest.raises(ConfigError, match="nowhere"):
            build_runner(store, unchecked)


class TestStoreOutage:
    async def test_status_line_says_since_when_the_store_is_unavailable(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """While the runner rides out an outage, the status line says since when; afterwards it does not."""
        from datetime import UTC, datetime

        runner = make_runner(store, clock, ["a", "b"])
        panel = MigrationPanel(runner)
        since = datetime(2026, 12, 4, 15, 0, 5, tzinfo=UTC)
        panel.refresh(runner.summary().model_copy(update={"store_unavailable_since": since}))
        assert "store unavailable since 2026-12-04 15:00:05Z" in panel.status.value
        panel.refresh(runner.summary())
        assert "store unavailable" not in panel.status.value


class TestProgressText:
    async def test_the_bar_says_100_only_when_done(self, store: JournalStore, clock: FakeClock) -> None:
        """99.6 % finished shows as 99%, not the 100% rounding gave; every item finished shows 100%."""
        panel = MigrationPanel(make_runner(store, clock, ["a", "b"]))
        summary = panel.runner.summary()
        panel.refresh(summary.model_copy(update={"completion_percentage": 99.6}))
        assert panel.progress.description == "99%"
        panel.refresh(summary.model_copy(update={"completion_percentage": 100.0}))
        assert panel.progress.description == "100%"


class TestRunControls:
    """Throttle, concurrency, batch size and approve: control commands, shared with the attached panel."""

    async def test_a_command_before_the_run_exists_is_refused_in_the_message(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Before Start or Step there is no run to command: the message line says so, nothing raises."""
        panel = MigrationPanel(make_runner(store, clock, ["k0"]))
        panel.controls.throttle_button.click()
        assert "does not exist yet: press Start or Step first" in panel.controls.message.value

    async def test_settings_and_a_refused_approve_reach_the_run(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Apply sets concurrency and batch size for the run; approving a gate nobody waits at is refused."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        assert (panel.controls.concurrency.value, panel.controls.batch_size.value) == (8, 5)
        panel.step_button.click()
        await drive(runner, clock, panel.task)
        panel.controls.concurrency.value, panel.controls.batch_size.value = 1, 2
        panel.controls.reason.value = "the target struggles"
        panel.controls.apply_button.click()
        assert panel.controls.message.value == ""
        panel.controls.gate.value, panel.controls.approver.value = "cut-over", "carol"
        panel.controls.approve_button.click()
        assert "does not wait at gate" in panel.controls.message.value
        panel.start_button.click()
        summary = await drive(runner, clock, panel.task)
        assert summary.status is MigrationStatus.COMPLETED
        assert summary.settings is not None
        assert (summary.settings.concurrency, summary.settings.batch_size) == (1, 2)
        files = runner.tracker.to_dataframe()
        later = files[files.batch_id != files.batch_id.iloc[0]].groupby("batch_id").size()
        assert later.max() <= 2  # every batch after the step claimed two items at most
        assert "set batch-size=2 concurrency=1" in panel.controls.history.value
        assert "the target struggles" in panel.controls.history.value

    async def test_throttle_holds_the_run_until_unthrottled(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A throttled run starts nothing; Unthrottle lets it finish; the status line says throttled."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.step_button.click()
        await drive(runner, clock, panel.task)
        panel.controls.throttle_button.click()
        panel.start_button.click()
        assert panel.task is not None
        for _ in range(500):  # the run starts (on the store thread), reads the throttle, and holds
            link = runner.control
            if runner.running and link is not None and link.throttle_reason is not None:
                break
            await runner.store_idle()
            await asyncio.sleep(0)
        panel.refresh()
        assert "control: <b>throttled until unthrottled</b>" in panel.status.value
        assert runner.summary().finished_files == 5
        panel.controls.unthrottle_button.click()
        summary = await drive(runner, clock, panel.task)
        assert summary.finished_files == 12
