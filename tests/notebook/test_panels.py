"""The migration panel, driven without Jupyter: buttons start tasks, the bar, chart and table follow."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.notebook.panels import MigrationPanel, build_runner
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
        assert seen
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


class TestPauseStepCancel:
    async def test_step_runs_one_batch_then_pauses(self, store: JournalStore, clock: FakeClock) -> None:
        """Step on an idle run migrates one batch (five items) and leaves the rest pending."""
        runner = make_runner(store, clock, [f"k{i}" for i in range(12)])
        panel = MigrationPanel(runner)
        panel.step_button.click()
        summary = await drive(runner, clock, panel.task)
        assert summary.finished_files == 5
        assert summary.pending_files == 7

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


class TestBuildRunner:
    def test_builds_from_validated_parameters(self, store: JournalStore, tmp_path: Path) -> None:
        """The notebook's parameters become the runner's batch size, concurrency and retry attempts."""
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "a.py").write_text("x = 1\n")
        params = MigrationParams(source=str(tmp_path / "src"), batch_size=7, concurrency=3, retries=4)
        runner = build_runner(store, params)
        assert (runner.batch_size, runner.concurrency, runner.retry.max_attempts) == (7, 3, 5)

    def test_missing_source_is_a_config_error(self, store: JournalStore, tmp_path: Path) -> None:
        """A source that does not exist is refused, naming it."""
        with pytest.raises(ConfigError, match="nowhere"):
            build_runner(store, MigrationParams(source=str(tmp_path / "nowhere")))


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
