"""A fresh run past ``follow_counters_above`` items is worked leanly, as a joined worker is.

Sized sources (a list, a manifest) decide before adding; a generator's run switches once its additions
cross the size. Either way the tracker ends holding only this worker's events, as hashes, while the
summary, the progress reports and the final status count the whole run from the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import EventKind, MigrationStatus
from omnimemory_kit.migration import store_link
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, ManifestSource, MigrationItem, WorkSource
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, open_store

SIZE = 50  # follow_counters_above in these tests
BATCH = 10


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JournalStore]:
    """A SQLite store in the test's folder."""
    with open_store(tmp_path / "journal.db") as opened:
        yield opened


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Add items 10 at a time, so a generator's additions cross the size after a few chunks."""
    monkeypatch.setattr(store_link, "ADD_CHUNK", 10)


def keys(count: int) -> list[str]:
    """Return ``count`` keys, every 7th of which ``flaky`` fails."""
    return [f"k{i:04d}" for i in range(count)]


def flaky(item: MigrationItem) -> None:
    """Fail the items whose number is a multiple of 7."""
    if int(item.key[1:]) % 7 == 0:
        raise ValueError(f"bad {item.key}")


def generated(count: int) -> IterableSource:
    """A source of ``count`` keys from a generator: its size is unknown until it is read."""
    return IterableSource((key for key in keys(count)), name="gen")


def listed(count: int) -> IterableSource:
    """A source of ``count`` keys from a list: its size is known before adding."""
    return IterableSource(keys(count), name="gen")


def runner_for(store: JournalStore, source: WorkSource, **options: object) -> MigrationRunner:
    """Return a runner of ``flaky`` over ``source`` with the test's size and batch size."""
    options.setdefault("follow_counters_above", SIZE)
    return MigrationRunner(
        store, "r", source, flaky, function_id="m:f", batch_size=BATCH, concurrency=2,
        retry=RetryPolicy(max_attempts=1), **options,  # type: ignore[arg-type]
    )  # fmt: skip


def failing(count: int) -> int:
    """Return how many of the first ``count`` keys ``flaky`` fails."""
    return len(range(0, count, 7))


@pytest.mark.usefixtures("small_chunks")
class TestFreshRunPastTheSize:
    """A fresh run of more than the size ends lean, with the run's own figures."""

    @pytest.mark.parametrize("source", [listed, generated], ids=["sized", "generator"])
    async def test_the_tracker_holds_its_own_events_only(self, store: JournalStore, source: object) -> None:
        """After one batch the tracker holds that batch alone, as hashes; the summary shows the run."""
        runner = runner_for(store, source(300))  # type: ignore[operator]
        stepped = await runner.step()
        assert runner.own_events_only
        assert not runner.tracker.keep_paths  # hashes of the keys, not the keys
        assert runner.tracker.total_files == BATCH  # no FILE_ADDED folded for the other 290
        assert (stepped.total_files, stepped.finished_files, stepped.pending_files) == (300, BATCH, 290)
        added = [e for e in store.read_events("r") if e.kind is EventKind.FILE_ADDED]
        assert len(added) == 300  # every item added all the same

    @pytest.mark.parametrize("source", [listed, generated], ids=["sized", "generator"])
    async def test_the_final_summary_counts_the_whole_run(self, store: JournalStore, source: object) -> None:
        """Run to its end, the summary and the status are those of the whole run, each item run once."""
        done: Counter[str] = Counter()

        def counted(item: MigrationItem) -> None:
            done[item.key] += 1
            flaky(item)

        runner = runner_for(store, source(300))  # type: ignore[operator]
        runner.migrate_fn = counted
        summary = await runner.run()
        assert runner.own_events_only
        assert summary.status is MigrationStatus.COMPLETED
        assert runner.status is MigrationStatus.COMPLETED
        fields = (summary.total_files, summary.succeeded_files, summary.failed_files, summary.remaining_files)
        assert fields == (300, 300 - failing(300), failing(300), 0)
        assert summary.completion_percentage == 100.0
        assert set(done.values()) == {1}
        assert len(done) == 300
        assert sorted(runner.tracker.failed_paths()) == [k for k in keys(300) if int(k[1:]) % 7 == 0]
        assert [e.kind for e in store.read_events("r")].count(EventKind.RUN_COMPLETED) == 1

    async def test_progress_reports_show_the_whole_run(self, store: JournalStore) -> None:
        """Every on_progress summary counts all 300 items; the finished count only grows, to 300."""
        seen: list[MigrationProgressSummary] = []
        runner = runner_for(store, generated(300), on_progress=seen.append, progress_interval=0)
        await runner.run()
        assert seen
        assert {s.total_files for s in seen} == {300}
        finished = [s.finished_files for s in seen]
        assert finished == sorted(finished)
        assert finished[-1] == 300
        running = [s for s in seen if s.status is MigrationStatus.RUNNING and s.remaining_files]
        assert running  # while items are left, the ETA (or why there is none) is the run's
        assert all(s.eta_seconds is not None or s.eta_unavailable_reason is not None for s in running)

    async def test_the_progress_series_is_the_runs(self, store: JournalStore) -> None:
        """progress_dataframe() of a lean runner counts the whole run in every row, not its claimed share."""
        runner = runner_for(store, generated(300))
        await runner.run()
        frame = runner.progress_dataframe()
        assert list(frame.columns) == list(runner.tracker.progress_dataframe().columns)
        assert len(frame) >= 2  # at the start and at the end at least
        assert set(frame["total"]) == {300}
        finished = frame["succeeded"] + frame["failed"] + frame["skipped"]
        assert list(finished) == sorted(finished)
        assert int(finished.iloc[-1]) == 300
        assert int(frame["pending"].iloc[0]) == 300  # before the first claim

    async def test_a_manifest_is_known_large_before_adding(
        self, store: JournalStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A manifest of more rows than the size goes lean before adding anything."""
        manifest = tmp_path / "items.csv"
        manifest.write_text("key,size\n" + "".join(f"{k},3\n" for k in keys(120)), encoding="utf-8")
        caplog.set_level("INFO", logger="omnimemory_kit.migration")
        runner = runner_for(store, ManifestSource(manifest))
        stepped = await runner.step()
        assert runner.tracker.total_files == BATCH
        assert (stepped.total_files, stepped.finished_files) == (120, BATCH)
        said = [r.getMessage() for r in caplog.records]
        assert any("creating it from a source of more than 50 items" in m for m in said), said
        assert not any("the rest of the items are added without tracking each" in m for m in said)

    async def test_a_generator_switches_once_its_additions_cross(
        self, store: JournalStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A generator's run is tracked in full until its additions pass the size, then leanly."""
        caplog.set_level("INFO", logger="omnimemory_kit.migration")
        runner = runner_for(store, generated(300))
        await runner.step()
        said = [r.getMessage() for r in caplog.records]
        assert any("the rest of the items are added without tracking each" in m for m in said), said
        assert not any("creating it from a source" in m for m in said)

    async def test_a_resume_goes_on_leanly(self, store: JournalStore) -> None:
        """A second runner over the same generator resumes the lean run to its end, every item once."""
        done: Counter[str] = Counter()

        def counted(item: MigrationItem) -> None:
            done[item.key] += 1
            flaky(item)

        first = runner_for(store, generated(300))
        first.migrate_fn = counted
        await first.step()
        second = runner_for(store, generated(300))
        second.migrate_fn = counted
        summary = await second.run()
        assert second.own_events_only
        assert second.tracker.total_files == 300 - BATCH  # what it ran, no replay of the journal
        assert summary.status is MigrationStatus.COMPLETED
        assert (summary.total_files, summary.failed_files, summary.remaining_files) == (300, failing(300), 0)
        assert set(done.values()) == {1}
        assert len(done) == 300


@pytest.mark.usefixtures("small_chunks")
class TestRunAtTheSize:
    """A run of exactly the size is tracked in full, as every run was before."""

    @pytest.mark.parametrize("source", [listed, generated], ids=["sized", "generator"])
    async def test_every_item_is_listed(self, store: JournalStore, source: object) -> None:
        """The tracker keeps every key: the files frame lists all of them."""
        runner = runner_for(store, source(SIZE))  # type: ignore[operator]
        summary = await runner.run()
        assert not runner.own_events_only
        assert runner.tracker.keep_paths
        frame = runner.tracker.to_dataframe()
        assert sorted(frame["path"]) == keys(SIZE)
        progress = runner.progress_dataframe()  # the tracker's own series, as before
        assert progress.equals(runner.tracker.progress_dataframe())
        assert len(runner.run_series) == 0
        assert (summary.total_files, summary.failed_files) == (SIZE, failing(SIZE))


class TestSetting:
    """``follow_counters_above`` is checked like every other argument."""

    @pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
    def test_a_bad_size_is_refused(self, store: JournalStore, bad: object) -> None:
        """Anything but a whole number of at least 0 is a ConfigError naming the argument."""
        with pytest.raises(ConfigError, match="follow_counters_above must be a whole number of at least 0"):
            runner_for(store, listed(1), follow_counters_above=bad)
