"""The migration report from the store's sums: what the replay of the whole journal shows, on every backend.

The reference is the replay (``data._replay``: the journal folded into a tracker, which a store that cannot
sum its journal still gets). A run written through the store's own calls (claims, outcomes, retries,
failures, a skip, a pause, a throttle, a requeue, a release) must read the same through both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, MigrationStatus
from omnimemory_kit.notebook import data, tables
from omnimemory_kit.notebook.data import MigrationData
from omnimemory_kit.store import JournalStore, RunRecord, SQLiteStore, WorkItem
from omnimemory_kit.store.postgres import PostgresStore
from omnimemory_kit.store.report_reads import POSTGRES, read_report
from tests.notebook.frames import EVIL
from tests.store.conftest import BACKEND_MARKS, BACKENDS

RUN = "r1"
K = EventKind
T0 = 1_800_000_000.0


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A store of each backend (the test runs once per backend)."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        try:
            yield factory()
        finally:
            factory.close_all()


def journal_a_run(store: JournalStore, *, finish: bool = True) -> None:
    """Write a run of 40 items through the store's calls, with every kind of item and run event."""
    store.create_run(RunRecord(run_id=RUN, name="rich", created_at=T0))
    store.append(RUN, [Event(K.RUN_STARTED, at=T0)])
    store.add_items(RUN, [WorkItem(f"dir/item-{i:02d}.py", 100 + i) for i in range(38)], at=T0)
    store.add_items(RUN, [WorkItem("dir/\u00e9t\u00e9 \u2603.py", 7), WorkItem(f"dir/{EVIL}.py", 9)], at=T0)
    at = T0 + 1.0
    for number in range(6):
        worker = f"host:{number % 2}:w"
        lease = store.claim(RUN, worker, 6, 600)
        assert lease is not None
        outcomes: list[Event] = []
        for i, item in enumerate(lease.items):
            at += 0.5 + (i * 7 + number) % 5 * 0.3
            if (i + number) % 5 == 1:
                outcomes.append(Event(K.FILE_RETRIED, at=at, path=item.key, error_type="TimeoutError",
                                      error_message="slow"))  # fmt: skip
                at += 0.2
            if (i + number) % 7 == 3:
                error = "ValueError" if i % 2 else "OSError"
                outcomes.append(Event(K.FILE_FAILED, at=at, path=item.key, error_type=error,
                                      error_message=f"{EVIL} #{i}"))  # fmt: skip
            elif (i + number) % 11 == 4:
                outcomes.append(Event(K.FILE_SKIPPED, at=at, path=item.key, reason="empty"))
            else:
                outcomes.append(Event(K.FILE_SUCCEEDED, at=at, path=item.key))
        if number == 5:  # the last batch: half reported, the rest back to pending
            store.report(lease, outcomes[:3])
            store.release(lease, [Event(K.BATCH_CLOSED, at=at + 0.1, batch_id=lease.batch_id)])
        else:
            store.report_and_release(
                lease, outcomes, [Event(K.BATCH_CLOSED, at=at + 0.1, batch_id=lease.batch_id)]
            )
        if number == 1:
            store.append(
                RUN, [Event(K.RUN_PAUSED, at=at + 1, reason="lunch"), Event(K.RUN_RESUMED, at=at + 31)]
            )
            at += 31
        if number == 3:
            store.append(
                RUN,
                [
                    Event(K.RUN_THROTTLED, at=at + 1, reason="redis unhealthy", worker_id="host:0:w"),
                    Event(K.RUN_UNTHROTTLED, at=at + 9, worker_id="host:0:w"),
                ],
            )
            at += 9
    store.append(RUN, [Event(K.FILE_REQUEUED, at=at + 1, path="dir/item-00.py", reason="rerun")])
    if finish:
        lease = store.claim(RUN, "host:0:w", 100, 600)
        assert lease is not None
        store.report_and_release(
            lease,
            [
                Event(K.FILE_SUCCEEDED, at=at + 2 + n * 0.01, path=item.key)
                for n, item in enumerate(lease.items)
            ],
            [Event(K.BATCH_CLOSED, at=at + 3, batch_id=lease.batch_id)],
        )
        store.append(RUN, [Event(K.RUN_COMPLETED, at=at + 4)])


def both(store: JournalStore, clock: FakeClock) -> tuple[MigrationData, MigrationData]:
    """Return the report's data from the store's sums and from the replay."""
    summed = data.load_migration(store, RUN, clock=clock)
    first, last = data._ends(store, RUN)
    config = data.report_rate_config(last - first)
    replayed = data._replay(store, store.get_run(RUN), max((last - first) / 2000, 0.01), config, clock)
    return summed, replayed


_SAME_SUMMARY = (
    "status", "total_files", "succeeded_files", "failed_files", "skipped_files", "in_progress_files",
    "pending_files", "finished_files", "remaining_files", "total_bytes", "processed_bytes", "succeeded_bytes",
    "remaining_bytes", "completion_percentage", "success_rate", "elapsed_seconds", "paused_seconds",
    "throttled_seconds", "breaker_open_seconds", "created_at", "started_at", "finished_at", "errors_by_type",
    "open_batches", "interrupted", "last_activity_at", "eta_unavailable_reason",
)  # fmt: skip


def frame_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


class TestSameAsTheReplay:
    def test_the_summary_counts_times_and_errors(self, store: JournalStore, clock: FakeClock) -> None:
        """Counts, bytes, active, paused and throttled time, the errors and retries equal the replay's."""
        journal_a_run(store)
        summed, replayed = both(store, clock)
        for name in _SAME_SUMMARY:
            assert getattr(summed.summary, name) == getattr(replayed.summary, name), name
        assert summed.summary.retry_count == replayed.summary.retry_count
        assert summed.summary.processing_rates.files_per_second_overall == pytest.approx(
            replayed.summary.processing_rates.files_per_second_overall
        )
        assert summed.summary.failed_files > 0
        assert summed.summary.paused_seconds == 30.0

    def test_an_unfinished_run_reads_the_same(self, store: JournalStore, clock: FakeClock) -> None:
        """A run still running (items pending and in progress) has the replay's counts and status."""
        journal_a_run(store, finish=False)
        summed, replayed = both(store, clock)
        for name in ("status", "pending_files", "in_progress_files", "failed_files", "elapsed_seconds"):
            assert getattr(summed.summary, name) == getattr(replayed.summary, name), name
        assert summed.summary.pending_files > 0

    def test_errors_attempts_throttles_and_failures(self, store: JournalStore, clock: FakeClock) -> None:
        """The counted frames, the throttle timeline and the failures table equal the replay's."""
        journal_a_run(store)
        summed, replayed = both(store, clock)
        assert summed.errors is not None
        assert replayed.errors is not None
        assert sorted(frame_rows(summed.errors, ["error_type", "status", "items"])) == sorted(
            frame_rows(replayed.errors, ["error_type", "status", "items"])
        )
        assert summed.attempts is not None
        assert replayed.attempts is not None
        assert sorted(frame_rows(summed.attempts, ["attempts", "status", "items"])) == sorted(
            frame_rows(replayed.attempts, ["attempts", "status", "items"])
        )
        assert summed.throttles is not None
        assert replayed.throttles is not None
        pd.testing.assert_frame_equal(summed.throttles, replayed.throttles)
        pd.testing.assert_frame_equal(
            tables.failures_table(summed.files, limit=50), tables.failures_table(replayed.files, limit=50)
        )

    def test_the_slowest_items(self, store: JournalStore, clock: FakeClock) -> None:
        """The slowest items, their durations and outcomes, are the replay's."""
        journal_a_run(store)
        summed, replayed = both(store, clock)
        columns = ["path", "status", "attempts", "size"]
        expected = (
            replayed.files.dropna(subset=["duration_s"])
            .sort_values(["duration_s", "path"], ascending=[False, True])
            .head(10)
        )
        got = (
            summed.files.dropna(subset=["duration_s"])
            .sort_values(["duration_s", "path"], ascending=[False, True])
            .head(10)
        )
        assert frame_rows(got, columns) == frame_rows(expected, columns)
        assert got["duration_s"].tolist() == pytest.approx(expected["duration_s"].tolist())

    def test_the_batches(self, store: JournalStore, clock: FakeClock) -> None:
        """Each batch's id, times, items, outcomes and worker are the replay's, in the order opened (items
        interrupted and re-run included)."""
        journal_a_run(store)
        summed, replayed = both(store, clock)
        columns = ["batch_id", "opened_at", "closed_at", "files", "succeeded", "failed", "skipped", "outcome",
                   "worker_id"]  # fmt: skip
        assert frame_rows(summed.batches, columns) == frame_rows(replayed.batches, columns)
        assert summed.batches["outcome"].tolist().count("interrupted") == 1

    def test_the_progress_series_ends_where_the_run_does(self, store: JournalStore, clock: FakeClock) -> None:
        """The series never goes back in time, ends with the run's counts and active time, shows an ETA."""
        journal_a_run(store)
        summed, replayed = both(store, clock)
        progress = summed.progress
        assert progress["at"].is_monotonic_increasing
        columns = ["total", "succeeded", "failed", "skipped", "in_progress", "pending"]
        assert frame_rows(progress.tail(1), [*columns, "elapsed_s"]) == frame_rows(
            replayed.progress.tail(1), [*columns, "elapsed_s"]
        )
        assert progress["eta_s"].notna().any()
        assert (progress[columns[1:]].sum(axis=1) == progress["total"]).all()


_RUN_EVENTS = "AND NOT (kind"  # what tells the read of the run's own events from the report's other reads


def _run_events_plan(store: JournalStore) -> str:
    """Return the query plan of the report's read of the run's own events, as the store runs it."""
    if isinstance(store, SQLiteStore):
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        try:
            store.report_aggregates(RUN, origin=T0, bucket_seconds=60.0, top=5)
        finally:
            store._conn.set_trace_callback(None)
        (sql,) = [s for s in statements if _RUN_EVENTS in s]
        return repr(store._conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
    assert isinstance(store, PostgresStore)
    with store._conn() as conn:
        read: list[tuple[str, Sequence[Any]]] = []

        def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
            read.append((sql, params))
            return conn.execute(sql, params).fetchall()

        read_report(query, POSTGRES, RUN, RUN, origin=T0, bucket_seconds=60.0, top=5, where="test")
        (sql, params) = next((s, p) for s, p in read if _RUN_EVENTS in s)
        # A tiny table is best scanned whole; with scans ruled out, the planner picks an index.
        conn.execute("SET enable_seqscan = off")
        return repr(conn.execute(f"EXPLAIN {sql}", params).fetchall())


class TestReadsSums:
    def test_the_report_reads_no_item_event_one_by_one(self, store: JournalStore, clock: FakeClock) -> None:
        """Loading the report decodes at most the two events that date the run, and the run's own events."""
        journal_a_run(store)
        decoded: list[Event] = []
        reading = store.read_events

        def counting(*args: Any, **kwargs: Any) -> Iterator[Event]:
            for event in reading(*args, **kwargs):
                decoded.append(event)
                yield event

        matched: list[Event] = []
        reading_matching = store.read_events_matching

        def counting_matching(*args: Any, **kwargs: Any) -> Iterator[Event]:
            for event in reading_matching(*args, **kwargs):
                matched.append(event)
                yield event

        store.read_events = counting  # type: ignore[method-assign]
        store.read_events_matching = counting_matching  # type: ignore[method-assign]
        loaded = data.load_migration(store, RUN, clock=clock)
        assert len(decoded) <= 2
        assert [e.kind for e in matched if not e.kind.value.startswith("run_")] == []  # nor read by kind
        assert loaded.summary.total_files == 40

    def test_the_run_events_are_read_through_the_rare_events_index(self, store: JournalStore) -> None:
        """The run's own events come from the rare-events index, never a walk of the run's whole journal."""
        journal_a_run(store)
        plan = _run_events_plan(store)
        assert "events_rare" in plan, plan

    def test_the_per_item_tables_are_capped(self, store: JournalStore, clock: FakeClock) -> None:
        """``top`` bounds the items read: at most ``top`` slowest and ``top`` failed."""
        journal_a_run(store)
        loaded = data.load_migration(store, RUN, clock=clock, top=2)
        assert loaded.summary.failed_files > 2
        assert list(loaded.files["status"]).count("failed") == 2  # of the run's more failed items
        assert len(loaded.files) == 4  # here the two slowest items are not failed ones

    def test_validation_of_a_run_never_validated_is_none(self, store: JournalStore) -> None:
        """A run without verdicts or a validate function has no validation (read by kind)."""
        journal_a_run(store)
        assert data.load_validation(store, RUN) is None


class TestReadEventsMatching:
    def test_kinds_worker_and_range_filter_in_order(self, store: JournalStore) -> None:
        """Only events of the kinds, of the worker and in the seq range are yielded, in seq order."""
        journal_a_run(store)
        everything = list(store.read_events(RUN))
        kinds = {K.BATCH_OPENED, K.FILE_FAILED}
        got = list(store.read_events_matching(RUN, after_seq=3, until_seq=len(everything) - 5, kinds=kinds))
        assert got == [e for e in everything if e.kind in kinds and 3 < e.seq <= len(everything) - 5]
        mine = list(store.read_events_matching(RUN, after_seq=0, worker_id="host:1:w"))
        assert mine
        assert mine == [e for e in everything if e.worker_id == "host:1:w"]
        assert [e.path for e in store.read_events_matching(RUN, after_seq=0, kinds={K.FILE_ADDED})][-2:] == [
            "dir/\u00e9t\u00e9 \u2603.py",
            f"dir/{EVIL}.py",
        ]


def test_a_store_that_cannot_sum_gets_the_replay(tmp_path: Path, clock: FakeClock) -> None:
    """A store without sums (the contract's default) is replayed, and reads the same."""
    from omnimemory_kit.store import open_store

    with open_store(tmp_path / "j.db", clock=clock) as store:
        journal_a_run(store)
        summed = data.load_migration(store, RUN, clock=clock, top=5)
        store.report_aggregates = lambda *a, **k: None  # type: ignore[method-assign]
        replayed = data.load_migration(store, RUN, clock=clock)
    assert len(replayed.files) == 40 > len(summed.files)
    assert replayed.summary.failed_files == summed.summary.failed_files


def test_a_run_started_by_its_first_item_is_judged_as_the_replay_judges_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A journal without RUN_STARTED runs from its first start; whether anybody works it is asked the same."""
    from omnimemory_kit.store import open_store

    with open_store(tmp_path / "j.db", clock=clock) as store:
        store.create_run(RunRecord(run_id=RUN, name="implicit", created_at=T0))
        store.append(
            RUN,
            [
                Event(K.FILE_ADDED, at=T0, path="a", size=1),
                Event(K.FILE_ADDED, at=T0, path="b", size=1),
                Event(K.FILE_STARTED, at=T0 + 1, path="a", batch_id="b1"),
                Event(K.FILE_SUCCEEDED, at=T0 + 3, path="a"),
                Event(K.FILE_STARTED, at=T0 + 4, path="b", batch_id="b1"),
            ],
        )
        clock.advance(3600)
        summed, replayed = both(store, clock)
    assert summed.summary.status is replayed.summary.status is MigrationStatus.RUNNING
    assert summed.summary.interrupted is replayed.summary.interrupted
    assert summed.summary.elapsed_seconds == replayed.summary.elapsed_seconds == 3599.0
