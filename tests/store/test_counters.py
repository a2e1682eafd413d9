"""Store-kept run counters: exact after every kind of write, on every backend, and after an upgrade.

The reference is ``JournalStore.run_counters``'s own default, which derives the counters from the items and
the journal; each backend keeps them as it writes, and must always agree with it.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import JournalStore, RunRecord, WorkItem, open_store
from omnimemory_kit.store.counters import OutcomeMinute, RunCounters, add_run_minutes, minute_rows
from tests.conftest import PG_DSN
from tests.store.old_schema import downgrade_postgres_to_version_3, downgrade_to_version_3

from .conftest import StoreFactory

RUN = "run-1"
WORKER = "host-a:101:aaaa"
K = EventKind


def derived(store: JournalStore, run_id: str = RUN, since: float | None = None) -> RunCounters:
    """Return the counters as the journal and the items table say they are."""
    return JournalStore.run_counters(store, run_id, since=since)


def workload(store: JournalStore, clock_at: float = 1000.0) -> None:
    """Write a run through every writing method: adds, claims, outcomes, retries, releases, appends."""
    store.create_run(RunRecord(run_id=RUN, name="counted"))
    store.add_items(RUN, [WorkItem(f"k{i:02d}", i) for i in range(20)], at=clock_at)
    first = store.claim(RUN, WORKER, 6, 30)
    assert first is not None
    a, b, c, d = (item.key for item in first.items[:4])
    store.report(
        first,
        [
            Event(K.FILE_SUCCEEDED, at=clock_at + 10, path=a),
            Event(K.FILE_RETRIED, at=clock_at + 61, path=b),
            Event(K.FILE_FAILED, at=clock_at + 62, path=b),
            Event(K.FILE_SKIPPED, at=clock_at + 130, path=c, reason="empty"),
        ],
    )
    store.report_and_release(
        first,
        [Event(K.FILE_SUCCEEDED, at=clock_at + 131, path=d)],
        [Event(K.BATCH_CLOSED, at=clock_at + 132)],
    )
    second = store.claim(RUN, WORKER, 3, 30)
    assert second is not None
    store.release(second)  # every item back to pending
    # a lease-less writer (a single process journaling directly): new items, a start, outcomes
    store.append(
        RUN,
        [
            Event(K.FILE_ADDED, at=clock_at + 200, path="extra", size=5),
            Event(K.FILE_STARTED, at=clock_at + 201, path="extra"),
            Event(K.FILE_FAILED, at=clock_at + 202, path="extra", error_type="E"),
            Event(K.FILE_RETRIED, at=clock_at + 203, path="extra"),  # a failed item requeued
            Event(K.FILE_STARTED, at=clock_at + 204, path="k19"),
        ],
    )


class TestKeptCounters:
    def test_counters_match_the_journal_after_every_kind_of_write(self, store: JournalStore) -> None:
        """Statuses, starts, retries, outcome times and minute buckets equal what the journal derives."""
        workload(store)
        kept = store.run_counters(RUN)
        assert kept == derived(store)
        assert kept.counts() == store.item_counts(RUN)
        assert (kept.succeeded, kept.failed, kept.skipped, kept.in_progress) == (2, 1, 1, 1)
        assert kept.total == 21
        assert kept.retried == 2
        assert kept.first_outcome_at == 1010.0
        assert kept.last_outcome_at == 1202.0

    def test_since_keeps_the_totals_and_drops_older_minutes(self, store: JournalStore) -> None:
        """``since`` limits the buckets returned, never the run's totals."""
        workload(store)
        everything = store.run_counters(RUN)
        recent = store.run_counters(RUN, since=1130.0)
        assert recent == derived(store, since=1130.0)
        assert recent.started == everything.started
        assert recent.first_outcome_at == everything.first_outcome_at
        assert all(m.start >= 1080.0 for m in recent.minutes)
        assert len(recent.minutes) < len(everything.minutes)

    def test_a_new_run_counts_zero(self, store: JournalStore) -> None:
        """A run without items has all-zero counters and no buckets."""
        store.create_run(RunRecord(run_id=RUN, name="empty"))
        assert store.run_counters(RUN) == RunCounters(RUN)

    def test_concurrent_writers_count_exactly(self, store_factory: StoreFactory) -> None:
        """Workers on their own connections claiming and reporting at once leave exact counters."""
        setup = store_factory()
        setup.create_run(RunRecord(run_id=RUN, name="shared"))
        setup.add_items(RUN, [WorkItem(f"k{i:03d}", 1) for i in range(120)], at=5.0)
        stores = [store_factory() for _ in range(3)]
        errors: list[BaseException] = []

        def work(store: JournalStore, worker: str) -> None:
            try:
                while (lease := store.claim(RUN, worker, 7, 60)) is not None:
                    outcomes = [Event(K.FILE_SUCCEEDED, at=70.0, path=item.key) for item in lease.items]
                    store.report_and_release(lease, outcomes, [Event(K.BATCH_CLOSED, at=71.0)])
            except BaseException as exc:  # reported below: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(s, f"h:{n}:w")) for n, s in enumerate(stores)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        kept = setup.run_counters(RUN)
        assert kept == derived(setup)
        assert (kept.succeeded, kept.started, kept.pending) == (120, 120, 0)


class TestUpgrade:
    def test_a_sqlite_store_from_version_3_gets_its_counters_counted(self, tmp_path: Path) -> None:
        """Opening a version 3 SQLite store counts the run's minutes from its journal, then keeps them."""
        url = f"sqlite:///{tmp_path / 'old.db'}"
        with open_store(url) as store:
            workload(store)
        downgrade_to_version_3(tmp_path / "old.db")
        with open_store(url, read_only=True) as old:
            assert old.run_counters(RUN) == derived(old)  # read-only: derived, nothing written
        with open_store(url) as store:
            assert store.run_counters(RUN) == derived(store)
            lease = store.claim(RUN, WORKER, 2, 30)
            assert lease is not None
            store.report(lease, [Event(K.FILE_SUCCEEDED, at=2000.0, path=lease.items[0].key)])
            assert store.run_counters(RUN) == derived(store)

    @pytest.mark.postgres
    def test_a_postgres_store_from_version_3_gets_its_counters_counted(self) -> None:
        """Opening a version 3 PostgreSQL store counts statuses and minutes, then keeps them."""
        schema = f"test_{uuid.uuid4().hex[:12]}"
        url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
        try:
            with open_store(url) as store:
                workload(store)
            downgrade_postgres_to_version_3(PG_DSN, schema)
            with open_store(url) as store:
                assert store.run_counters(RUN) == derived(store)
                lease = store.claim(RUN, WORKER, 2, 30)
                assert lease is not None
                store.report(lease, [Event(K.FILE_SUCCEEDED, at=2000.0, path=lease.items[0].key)])
                assert store.run_counters(RUN) == derived(store)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class TestRates:
    def test_minute_rows_bucket_counted_kinds_only(self) -> None:
        """Starts, outcomes and retries land in their minute; other kinds are not counted."""
        rows = minute_rows(
            [
                Event(K.FILE_STARTED, at=59.0, path="a"),
                Event(K.FILE_SUCCEEDED, at=61.0, path="a"),
                Event(K.FILE_FAILED, at=119.5, path="b"),
                Event(K.BATCH_CLOSED, at=70.0),
            ]
        )
        assert rows == {0.0: [1, 0, 0, 0, 0, None, None], 60.0: [0, 1, 1, 0, 0, 61.0, 119.5]}

    def test_minute_rows_out_of_order_and_as_pairs(self) -> None:
        """Events back and forth between minutes keep each minute's first and last outcome; pairs alike."""
        events = [
            Event(K.FILE_SUCCEEDED, at=65.0, path="a"),
            Event(K.FILE_RETRIED, at=10.0, path="b"),
            Event(K.FILE_SKIPPED, at=62.0, path="c"),
            Event(K.FILE_SUCCEEDED, at=5.0, path="d"),
            Event(K.FILE_FAILED, at=70.0, path="e"),
            Event(K.FILE_SUCCEEDED, at=66.0, path="f"),
        ]
        expected = {60.0: [0, 2, 1, 1, 0, 62.0, 70.0], 0.0: [0, 1, 0, 0, 1, 5.0, 5.0]}
        assert minute_rows(events) == expected
        assert minute_rows((e.kind.value, e.at) for e in events) == expected

    @given(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["file_started", "file_succeeded", "file_failed", "file_retried", "batch_closed"]
                ),
                st.lists(st.floats(min_value=0, max_value=150, allow_nan=False), min_size=1, max_size=6),
            ),
            max_size=8,
        )
    )
    def test_runs_of_one_kind_count_as_event_by_event(self, runs: list[tuple[str, list[float]]]) -> None:
        """Runs added whole (in one minute) or spread (across minutes) leave the buckets minute_rows
        leaves for the same events one by one, whichever buckets the runs before them filled."""
        buckets: dict[float, list[Any]] = {}
        for kind, ats in runs:
            add_run_minutes(buckets, kind, ats)
        assert buckets == minute_rows([(kind, at) for kind, ats in runs for at in ats])

    def test_recent_and_lifetime_rates(self) -> None:
        """The recent rate counts the window's minutes; the lifetime rate spans first to last outcome."""
        counters = RunCounters(
            RUN,
            succeeded=30,
            first_outcome_at=0.0,
            last_outcome_at=150.0,
            minutes=(
                OutcomeMinute(0.0, succeeded=10, first_outcome_at=0.0, last_outcome_at=50.0),
                OutcomeMinute(120.0, succeeded=20, first_outcome_at=120.0, last_outcome_at=150.0),
            ),
        )
        assert counters.lifetime_rate() == pytest.approx(30 / 150)
        assert counters.recent_rate(60.0, now=160.0) == pytest.approx(20 / 40)
        assert counters.recent_rate(60.0, now=1000.0) is None
        assert RunCounters(RUN).lifetime_rate() is None
        assert counters.counts()[FileStatus.SUCCEEDED] == 30
