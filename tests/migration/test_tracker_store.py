"""The tracker bound to real journals (SQLite and PostgreSQL): durable appends, replay, tailing, restarts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from omnimemory_kit import (
    EventKind,
    FakeClock,
    FileStatus,
    InvalidTransitionError,
    MigrationPriority,
    MigrationProgressTracker,
    MigrationStatus,
)
from omnimemory_kit.errors import RunNotFoundError
from omnimemory_kit.events import Event
from omnimemory_kit.store.base import JournalStore, RunRecord, WorkItem
from tests.store.conftest import BACKENDS, StoreFactory


@pytest.fixture(params=sorted(BACKENDS))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """Open stores on one backing database of one backend (each test runs once per backend)."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        try:
            yield factory
        finally:
            factory.close_all()


@pytest.fixture
def store(store_factory: StoreFactory) -> JournalStore:
    """The writer's connection to the journal."""
    return store_factory()


@pytest.fixture
def reader_store(store_factory: StoreFactory, store: JournalStore) -> JournalStore:
    """A second connection to the same journal, as a notebook process would open it."""
    return store_factory()


def kinds(store: JournalStore, run_id: str) -> list[EventKind]:
    """Return the kinds of a run's journaled events, in order."""
    return [event.kind for event in store.read_events(run_id)]


def busy_run(tracker: MigrationProgressTracker, clock: FakeClock) -> None:
    """Drive a tracker through every kind of event a real run produces."""
    tracker.add_files([(f"/src/tool_{i:03}.py", 100 + i) for i in range(30)])
    tracker.start()
    for batch in range(3):
        batch_id = f"batch_{batch}"
        tracker.open_batch(batch_id)
        for i in range(batch * 8, batch * 8 + 8):
            path = f"/src/tool_{i:03}.py"
            tracker.start_file_processing(path, batch_id=batch_id)
            clock.advance(0.5)
            if i % 7 == 3:
                tracker.record_attempt_failure(path, TimeoutError("slow target"))
                clock.advance(0.5)
            if i % 5 == 4:
                tracker.complete_file_processing(path, success=False, error=ValueError(f"bad field {i}"))
            elif i % 11 == 10:
                tracker.skip_file(path, "generated")
            else:
                tracker.complete_file_processing(path)
        tracker.close_batch(batch_id)
        if batch == 1:
            tracker.pause("maintenance window")
            clock.advance(120)
            tracker.resume()
    tracker.retry_file("/src/tool_004.py")
    tracker.breaker_opened()
    clock.advance(30)
    tracker.breaker_closed()
    tracker.start_file_processing("/src/tool_004.py", batch_id="batch_retry")
    tracker.start_file_processing("/src/tool_024.py", batch_id="batch_retry")
    clock.advance(2)
    tracker.complete_file_processing("/src/tool_004.py")


class TestDurableBinding:
    def test_each_call_is_journaled_before_it_is_applied(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """The origin example appends its events to the journal, where another connection reads them."""
        tracker = MigrationProgressTracker(
            name="Legacy Tool Migration",
            priority=MigrationPriority.HIGH,
            clock=clock,
            store=store,
            run_id="r1",
        )
        tracker.add_file("/path/to/tool.py", file_size=1024)
        tracker.start_file_processing("/path/to/tool.py", batch_id="batch_001")
        tracker.complete_file_processing("/path/to/tool.py", success=True)
        assert kinds(reader_store, "r1") == [
            EventKind.RUN_CREATED,
            EventKind.FILE_ADDED,
            EventKind.RUN_STARTED,
            EventKind.BATCH_OPENED,
            EventKind.FILE_STARTED,
            EventKind.FILE_SUCCEEDED,
        ]
        assert tracker.last_seq == reader_store.last_seq("r1") == 6
        assert reader_store.get_run("r1").priority == "high"
        assert reader_store.item_counts("r1")[FileStatus.SUCCEEDED] == 1

    def test_refused_and_idempotent_calls_journal_nothing(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A duplicate add or an invalid transition leaves the journal untouched."""
        tracker = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        tracker.add_file("/a", file_size=1)
        before = store.last_seq("r1")
        assert tracker.add_file("/a", file_size=1) is False
        with pytest.raises(InvalidTransitionError):
            tracker.complete_file_processing("/a")
        tracker.breaker_closed()  # not open: a no-op
        assert store.last_seq("r1") == before

    def test_store_projection_agrees_with_the_tracker(self, store: JournalStore, clock: FakeClock) -> None:
        """The store's items table and the tracker's counters tell the same story."""
        tracker = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        busy_run(tracker, clock)
        assert store.item_counts("r1") == tracker.counts()

    def test_generates_a_run_id(self, store: JournalStore, clock: FakeClock) -> None:
        """A bound tracker without a run id gets a fresh one, and the run exists in the store."""
        tracker = MigrationProgressTracker("m", clock=clock, store=store)
        other = MigrationProgressTracker("m", clock=clock, store=store)
        assert re.fullmatch(r"[0-9a-f]{32}", tracker.run_id)  # a uuid4, hex
        assert other.run_id != tracker.run_id
        assert store.get_run(tracker.run_id).name == "m"

    def test_binding_to_an_existing_run_catches_up(self, store: JournalStore, clock: FakeClock) -> None:
        """Constructing a tracker on a run that has events replays them, and the stored name wins."""
        first = MigrationProgressTracker("original", clock=clock, store=store, run_id="r1")
        first.add_file("/a", file_size=3)
        second = MigrationProgressTracker("other name", clock=clock, store=store, run_id="r1")
        assert second.name == "original"
        assert second.total_files == 1


class TestReplay:
    def test_from_store_follows_a_run_created_with_a_source_and_function(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """A tracker joins a run a runner created (with its source and function) instead of refusing it."""
        store.create_run(
            RunRecord(run_id="cli-run", name="from the CLI", source="directory:/src:*", function="m:f")
        )
        store.add_items("cli-run", [WorkItem("a.py", 3), WorkItem("b.py", 4)], at=clock.time())
        follower = MigrationProgressTracker.from_store(reader_store, "cli-run", clock=clock)
        summary = follower.get_progress_summary()
        assert (summary.name, summary.total_files, summary.total_bytes) == ("from the CLI", 2, 7)
        assert store.get_run("cli-run").source == "directory:/src:*"

    def test_replayed_tracker_equals_the_live_one(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """Rebuilding from the journal gives the same summary and the same DataFrames as the live tracker."""
        live = MigrationProgressTracker("m", MigrationPriority.LOW, clock=clock, store=store, run_id="r1")
        busy_run(live, clock)
        clock.advance(3)
        replayed = MigrationProgressTracker.from_store(reader_store, "r1", clock=clock)
        assert replayed.get_progress_summary() == live.get_progress_summary()
        pd.testing.assert_frame_equal(replayed.to_dataframe(), live.to_dataframe())
        pd.testing.assert_frame_equal(replayed.progress_dataframe(), live.progress_dataframe())
        pd.testing.assert_frame_equal(replayed.batches_dataframe(), live.batches_dataframe())
        summary = replayed.get_progress_summary()
        assert summary.retry_count == 4  # three failed attempts and one requeue
        assert summary.paused_seconds == 120.0
        assert summary.breaker_open_seconds == 30.0

    def test_apply_many_reproduces_the_state(self, store: JournalStore, clock: FakeClock) -> None:
        """Folding the journal's events into a fresh in-memory tracker reproduces the live summary."""
        live = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        busy_run(live, clock)
        fresh = MigrationProgressTracker("m", clock=clock, run_id="r1")
        assert fresh.apply_many(store.read_events("r1")) == store.last_seq("r1")
        assert fresh.get_progress_summary() == live.get_progress_summary()

    def test_unknown_run(self, store: JournalStore, clock: FakeClock) -> None:
        """Rebuilding a run the store does not have raises RunNotFoundError."""
        with pytest.raises(RunNotFoundError, match="no run 'missing'"):
            MigrationProgressTracker.from_store(store, "missing", clock=clock)

    def test_in_progress_files_stay_in_progress_until_reclaimed(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """Replay leaves files in progress as they were; the store's reclaim journals them back to pending."""
        live = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        live.add_files(["/a", "/b"])
        live.start_file_processing("/a", batch_id="b1")
        replayed = MigrationProgressTracker.from_store(reader_store, "r1", clock=clock)
        assert replayed.get_file_info("/a").status is FileStatus.IN_PROGRESS
        assert reader_store.reclaim("r1") == 1
        assert replayed.refresh() == 1
        summary = replayed.get_progress_summary()
        assert (summary.in_progress_files, summary.pending_files, summary.interrupted_count) == (0, 2, 1)


class TestOrchestratorWrites:
    def test_apply_journaled_follows_direct_store_writes(self, store: JournalStore, clock: FakeClock) -> None:
        """Events a runner appends through the store itself are applied once, without reading them back."""
        tracker = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        tracker.add_files(["/a", "/b"])
        tracker.start()
        lease = store.claim("r1", "host:1:t", limit=2, lease_seconds=60)
        assert lease is not None
        assert tracker.refresh() == 3  # BATCH_OPENED and two FILE_STARTED, journaled by claim
        done = [Event(EventKind.FILE_SUCCEEDED, clock.time(), path="/a")]
        last = store.report(lease, done)
        assert tracker.apply_journaled(done, last) == 1
        assert tracker.last_seq == last
        assert tracker.refresh() == 0
        assert tracker.get_progress_summary().succeeded_files == 1

    def test_apply_journaled_catches_up_when_others_wrote(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """If other events landed first, apply_journaled reads the journal in order instead."""
        tracker = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        other = MigrationProgressTracker.from_store(reader_store, "r1", clock=clock)
        other.add_file("/x")
        mine = [Event(EventKind.FILE_ADDED, clock.time(), path="/y", size=1)]
        last = store.append("r1", mine)
        assert tracker.apply_journaled(mine, last) == 2
        assert tracker.total_files == 2
        assert tracker.last_seq == last

    def test_apply_skips_events_already_applied(self, store: JournalStore, clock: FakeClock) -> None:
        """Applying an overlapping journal segment again counts each event once."""
        live = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        busy_run(live, clock)
        events = list(store.read_events("r1"))
        fresh = MigrationProgressTracker("m", clock=clock, run_id="r1")
        fresh.apply_many(events[: len(events) // 2])
        assert fresh.apply_many(events) == len(events) - len(events) // 2
        for event in events[:5]:
            fresh.apply(event)
        assert fresh.get_progress_summary() == live.get_progress_summary()


class TestFollowing:
    def test_refresh_tails_a_run_another_connection_writes(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """A follower applies exactly the events appended since its last refresh."""
        writer = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        follower = MigrationProgressTracker.from_store(reader_store, "r1", clock=clock)
        writer.add_files(["/a", "/b"])
        writer.start_file_processing("/a")
        assert follower.total_files == 0
        assert follower.refresh() == 4  # two adds, run started, file started
        assert follower.refresh() == 0
        writer.complete_file_processing("/a")
        assert follower.refresh() == 1
        assert follower.get_progress_summary() == writer.get_progress_summary()

    def test_interleaved_writers_apply_the_journal_order(
        self, store: JournalStore, reader_store: JournalStore, clock: FakeClock
    ) -> None:
        """When another writer appended first, a tracker's own append also brings in the events it missed."""
        one = MigrationProgressTracker("m", clock=clock, store=store, run_id="r1")
        two = MigrationProgressTracker.from_store(reader_store, "r1", clock=clock)
        one.add_file("/a")
        two.add_file("/b")
        assert two.total_files == 2
        assert two.last_seq == store.last_seq("r1")
        one.refresh()
        assert one.get_progress_summary() == two.get_progress_summary()

    def test_in_memory_tracker_has_nothing_to_refresh(self, clock: FakeClock) -> None:
        """refresh() on an unbound tracker applies nothing."""
        tracker = MigrationProgressTracker("m", clock=clock)
        assert tracker.refresh() == 0
        assert tracker.store is None


class TestRestart:
    def test_dead_time_after_a_crash_is_not_counted(
        self, store_factory: StoreFactory, clock: FakeClock
    ) -> None:
        """A run left running by a dead process restarts with start(); the time it was dead is excluded."""
        with store_factory() as first_store:
            crashed = MigrationProgressTracker("m", clock=clock, store=first_store, run_id="r1")
            crashed.add_files(["/a", "/b"])
            crashed.start()
            clock.advance(10)
            crashed.start_file_processing("/a")
            clock.advance(5)
            crashed.complete_file_processing("/a")
        clock.advance(3600)  # the process is dead for an hour
        with store_factory() as second_store:
            resumed = MigrationProgressTracker.from_store(second_store, "r1", clock=clock)
            assert resumed.status is MigrationStatus.RUNNING
            resumed.start()
            clock.advance(4)
            assert resumed.get_progress_summary().elapsed_seconds == 19.0
            with pytest.raises(InvalidTransitionError):
                resumed.start()  # only once: it is simply running now
            again = MigrationProgressTracker.from_store(second_store, "r1", clock=clock)
            assert again.get_progress_summary().elapsed_seconds == 19.0
            assert kinds(second_store, "r1")[-1] is EventKind.RUN_RESUMED

    def test_restart_forgets_the_dead_process_breaker(
        self, store_factory: StoreFactory, clock: FakeClock
    ) -> None:
        """A breaker left open by a dead process does not keep the restarted run's time excluded."""
        with store_factory() as first_store:
            crashed = MigrationProgressTracker("m", clock=clock, store=first_store, run_id="r1")
            crashed.start()
            clock.advance(2)
            crashed.breaker_opened()
            clock.advance(3)
        clock.advance(100)
        with store_factory() as second_store:
            resumed = MigrationProgressTracker.from_store(second_store, "r1", clock=clock)
            assert resumed.breaker_open is True
            resumed.resume()
            clock.advance(6)
            summary = resumed.get_progress_summary()
            assert summary.breaker_open is False
            assert (summary.elapsed_seconds, summary.breaker_open_seconds) == (8.0, 0.0)
