"""The item state machine, written once (``store.projection``): checked against the tracker's own reduction,
entry by entry, and over generated journals appended in random chunks to real SQLite and PostgreSQL stores."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store import RunRecord, Store, WorkItem, open_store, sqlite_items
from omnimemory_kit.store.projection import TRANSITIONS, UNIFORM, Hold, Item, effect_of, fold, step
from tests.store.conftest import StoreFactory, postgres_backend

K = EventKind
S = FileStatus

# Events that bring a freshly added item "a" to each status.
_REACH: dict[FileStatus, list[Event]] = {
    S.PENDING: [],
    S.IN_PROGRESS: [Event(K.FILE_STARTED, at=2.0, path="a", batch_id="b0")],
    S.SUCCEEDED: [Event(K.FILE_STARTED, at=2.0, path="a"), Event(K.FILE_SUCCEEDED, at=3.0, path="a")],
    S.FAILED: [Event(K.FILE_STARTED, at=2.0, path="a"), Event(K.FILE_FAILED, at=3.0, path="a")],
    S.SKIPPED: [Event(K.FILE_SKIPPED, at=3.0, path="a")],
}


def tracker_of(events: list[Event]) -> MigrationProgressTracker:
    """Return an in-memory tracker that has folded ``events``."""
    tracker = MigrationProgressTracker("projection", clock=FakeClock())
    tracker.apply_many(events)
    return tracker


class TestTheTable:
    @pytest.mark.parametrize("kind", sorted(TRANSITIONS))
    @pytest.mark.parametrize("status", list(FileStatus))
    def test_each_entry_is_the_trackers_reduction(self, kind: EventKind, status: FileStatus) -> None:
        """For every kind and status, the table's effect is what the tracker does to the file's status and
        attempts (no entry: the tracker leaves the file as it was)."""
        tracker = tracker_of([Event(K.FILE_ADDED, at=1.0, path="a", size=5), *_REACH[status]])
        before = tracker.get_file_info("a")
        assert before.status is status
        tracker.apply(Event(kind, at=4.0, path="a", batch_id="b1"))
        after = tracker.get_file_info("a")
        effect = effect_of(kind, status)
        if effect is None:
            assert (after.status, after.attempts) == (before.status, before.attempts)
        else:
            assert (after.status, after.attempts) == (effect.status, before.attempts + effect.attempts)

    def test_uniform_kinds_are_the_starts_and_outcomes(self) -> None:
        """The kinds a set-based write may apply blind are exactly those whose effect ignores the status."""
        assert set(UNIFORM) == {K.FILE_STARTED, K.FILE_SUCCEEDED, K.FILE_FAILED, K.FILE_SKIPPED}
        assert set(TRANSITIONS) - set(UNIFORM) == {K.FILE_RETRIED, K.FILE_INTERRUPTED, K.FILE_REQUEUED}


class TestStep:
    def test_a_start_takes_the_writers_lease_batch_and_worker(self) -> None:
        """A start sets in progress, adds an attempt and takes the writer's lease, batch and worker."""
        item = Item("a", 5, S.FAILED, 2, None, "b0", "w0", ordinal=1)
        started = step(
            item, Event(K.FILE_STARTED, at=1.0, path="a", batch_id="b1", worker_id="w1"), lease_id="L"
        )
        assert started == Item("a", 5, S.IN_PROGRESS, 3, "L", "b1", "w1", ordinal=1)

    def test_a_retry_in_progress_keeps_the_lease_and_a_retry_of_a_failure_drops_it(self) -> None:
        """An attempt failing keeps the item's lease; a failed item requeued loses it (and no attempt)."""
        leased = Item("a", 0, S.IN_PROGRESS, 1, "L", "b0", "w0")
        retried = Event(K.FILE_RETRIED, at=1.0, path="a")
        assert step(leased, retried) == Item("a", 0, S.IN_PROGRESS, 2, "L", "b0", "w0")
        failed = Item("a", 0, S.FAILED, 1, None, "b0", "w0")
        assert step(failed, retried) == Item("a", 0, S.PENDING, 1, None, "b0", "w0")

    def test_a_requeue_sends_only_a_finished_item_back_to_pending(self) -> None:
        """FILE_REQUEUED undoes a finished item's outcome (no attempt, no lease); others stay as they are."""
        requeued = Event(K.FILE_REQUEUED, at=1.0, path="a", reason="rerun")
        for status in (S.SUCCEEDED, S.FAILED, S.SKIPPED):
            item = Item("a", 3, status, 2, None, "b0", "w0")
            assert step(item, requeued) == Item("a", 3, S.PENDING, 2, None, "b0", "w0")
        for status in (S.PENDING, S.IN_PROGRESS):
            item = Item("a", 3, status, 1, "L", "b0", "w0")
            assert step(item, requeued) is item

    def test_an_event_that_changes_nothing_returns_the_same_item(self) -> None:
        """Interrupting a pending item, or adding a known one again, returns the very same object."""
        item = Item("a", 5)
        assert step(item, Event(K.FILE_INTERRUPTED, at=1.0, path="a")) is item
        assert step(item, Event(K.FILE_ADDED, at=1.0, path="a", size=9)) is item

    def test_an_unknown_item_is_only_created_by_its_addition(self) -> None:
        """Events for an item the run does not have change nothing; FILE_ADDED creates it at its seq."""
        assert step(None, Event(K.FILE_STARTED, at=1.0, path="a")) is None
        assert step(None, Event(K.FILE_ADDED, at=1.0, path="a", size=3), seq=7) == Item("a", 3, ordinal=7)

    def test_fold_returns_only_what_changed_in_first_change_order(self) -> None:
        """``fold`` reports new and changed items, final state only, and leaves its input alone."""
        items = {"a": Item("a", 1, ordinal=1), "b": Item("b", 2, ordinal=2)}
        events = [
            Event(K.FILE_ADDED, at=1.0, path="c", size=3),
            Event(K.FILE_STARTED, at=1.0, path="a"),
            Event(K.FILE_INTERRUPTED, at=1.0, path="b"),
            Event(K.FILE_SUCCEEDED, at=1.0, path="a"),
        ]
        changed = fold(items, events, first_seq=10)
        assert list(changed) == ["c", "a"]
        assert changed["c"] == Item("c", 3, ordinal=10)
        assert changed["a"] == Item("a", 1, S.SUCCEEDED, 1, None, None, None, ordinal=1)
        assert items["a"] == Item("a", 1, ordinal=1)
        assert changed["a"].lease_id is None
        assert Hold.DROP is TRANSITIONS[K.FILE_SUCCEEDED][S.IN_PROGRESS].hold


# --- every backend agrees with the tracker -----------------------------------------------------------------

KEYS = ("a", "b", "c", "d")
FILE_KINDS = [K.FILE_ADDED, *TRANSITIONS]
STEPS = st.lists(
    st.tuples(st.integers(0, len(KEYS) - 1), st.sampled_from(FILE_KINDS), st.integers(0, 2)), max_size=40
)
CHUNKS = st.lists(st.integers(1, 8), min_size=1, max_size=12)


def journal(steps: list[tuple[int, EventKind, int]]) -> list[Event]:
    """Turn generated steps into a valid journal: an item's first event is its addition."""
    added: set[str] = set()
    events = []
    for at, (index, kind, n) in enumerate(steps, 1):
        key = KEYS[index]
        if key not in added:
            kind = K.FILE_ADDED
            added.add(key)
        if kind is K.FILE_ADDED:
            events.append(Event(kind, at=float(at), path=key, size=10 * n))
        elif kind is K.FILE_STARTED:
            batch = None if n == 0 else f"b{n}"
            events.append(Event(kind, at=float(at), path=key, batch_id=batch, worker_id=f"w{n}"))
        else:
            events.append(Event(kind, at=float(at), path=key, error_type="E" if n else None))
    return events


def chunked(events: list[Event], sizes: list[int]) -> Iterator[list[Event]]:
    """Split ``events`` into consecutive chunks of the given sizes (the last size repeats)."""
    start = 0
    index = 0
    while start < len(events):
        size = sizes[min(index, len(sizes) - 1)]
        yield events[start : start + size]
        start += size
        index += 1


@dataclass
class Backends:
    """One real SQLite file and one real PostgreSQL schema, each holding one run per example."""

    sqlite: Store
    sqlite_path: Path
    postgres: Store
    postgres_url: str
    postgres_schema: str


@pytest.fixture
def backends(tmp_path: Path) -> Iterator[Backends]:
    """Open both backends once for all of a test's examples (every example writes its own runs)."""
    clock = FakeClock()
    path = tmp_path / "projection.db"
    with postgres_backend(tmp_path, clock) as factory:
        sqlite = open_store(path, clock=clock)
        postgres = factory()
        try:
            schema = factory.url.rpartition("schema=")[2]
            yield Backends(sqlite, path, postgres, factory.url, schema)
        finally:
            sqlite.close()
            factory.close_all()


def sqlite_items_of(path: Path, run_id: str) -> list[tuple[object, ...]]:
    """Read a run's items from the SQLite file itself, in the order they were added."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT i.key, i.size, i.status, i.attempts, i.lease_id, i.batch_id FROM items i "
            "JOIN runs r ON r.run_no = i.run_no WHERE r.run_id = ? ORDER BY i.ordinal",
            (run_id,),
        ).fetchall()


def postgres_items_of(backends: Backends, run_id: str) -> list[tuple[object, ...]]:
    """Read a run's items from the PostgreSQL schema itself, in the order they were added."""
    with psycopg.connect(backends.postgres_url.partition("?")[0]) as conn:
        return conn.execute(
            f"SELECT key, size, status, attempts, lease_id FROM {backends.postgres_schema}.items "
            "WHERE run_id = %s ORDER BY ord",
            (run_id,),
        ).fetchall()


@pytest.mark.postgres
class TestEveryBackendAgreesWithTheTracker:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(steps=STEPS, sizes=CHUNKS)
    def test_items_tables_equal_the_trackers_files(
        self, backends: Backends, steps: list[tuple[int, EventKind, int]], sizes: list[int]
    ) -> None:
        """Whatever the journal and however it is split into appends, SQLite (set-based and folded) and
        PostgreSQL keep exactly the items, statuses, attempts, sizes and counts the tracker reduces, and the
        bytes per status they keep beside the counts weigh those items."""
        events = journal(steps)
        tracker = tracker_of(events)
        expected = [
            (info.path, info.size, info.status.value, info.attempts, None, info.batch_id)
            for info in (tracker.get_file_info(path) for path in tracker.to_dataframe()["path"])
        ]
        runs = {}
        for name, set_based in (("set-based", True), ("fold", False)):
            run_id = runs[name] = f"{name}-{uuid.uuid4().hex[:8]}"
            backends.sqlite.create_run(RunRecord(run_id=run_id, name=name))
            with patch.object(sqlite_items, "_SET_BASED_PROJECTION", set_based):
                for chunk in chunked(events, sizes):
                    backends.sqlite.append(run_id, chunk)
        run_id = runs["postgres"] = f"pg-{uuid.uuid4().hex[:8]}"
        backends.postgres.create_run(RunRecord(run_id=run_id, name="pg"))
        for chunk in chunked(events, sizes):
            backends.postgres.append(run_id, chunk)

        assert sqlite_items_of(backends.sqlite_path, runs["set-based"]) == expected
        assert sqlite_items_of(backends.sqlite_path, runs["fold"]) == expected
        assert postgres_items_of(backends, runs["postgres"]) == [row[:5] for row in expected]
        for name in ("set-based", "fold"):
            assert backends.sqlite.item_counts(runs[name]) == tracker.counts()
        assert backends.postgres.item_counts(runs["postgres"]) == tracker.counts()
        weighed = dict.fromkeys(FileStatus, 0)
        for _, size, status, *_ in expected:
            weighed[FileStatus(status)] += size
        unsized = sum(1 for row in expected if not row[1])
        for store, run_id in (
            (backends.sqlite, runs["set-based"]),
            (backends.sqlite, runs["fold"]),
            (backends.postgres, runs["postgres"]),
        ):
            facts = store.status_facts(run_id, with_bytes=True)
            assert (facts.bytes_by_status, facts.unsized) == (weighed, unsized)


# --- the lease paths (claim, report, release, reclaim) keep what their own journal says -----------------


def items_of(factory: StoreFactory, run_id: str) -> list[tuple[object, ...]]:
    """Read a run's items (key, size, status, attempts, leased) from the backing database, in added order."""
    if factory.url.startswith("sqlite:"):
        with sqlite3.connect(factory.url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(
                "SELECT i.key, i.size, i.status, i.attempts, i.lease_id IS NOT NULL FROM items i "
                "JOIN runs r ON r.run_no = i.run_no WHERE r.run_id = ? ORDER BY i.ordinal",
                (run_id,),
            ).fetchall()
        return [(*row[:4], bool(row[4])) for row in rows]
    base, _, schema = factory.url.partition("?schema=")
    with psycopg.connect(base) as conn:
        return conn.execute(
            f"SELECT key, size, status, attempts, lease_id IS NOT NULL FROM {schema}.items "
            "WHERE run_id = %s ORDER BY ord",
            (run_id,),
        ).fetchall()


class TestLeasePathsAgreeWithTheTracker:
    def test_claims_reports_releases_and_reclaims_keep_what_the_journal_says(
        self, store_factory: StoreFactory, clock: FakeClock
    ) -> None:
        """After claims, a report with a retry, a release, a reclaim and a requeue, the items table is the
        tracker's reduction of the store's own journal: statuses, attempts, and a lease only in progress."""
        store = store_factory()
        run = "leases"
        store.create_run(RunRecord(run_id=run, name="leases"))
        store.add_items(run, [WorkItem(key, 1) for key in "abcdef"], at=0.0)
        first = store.claim(run, "host:1:aaaa", 3, 30.0)
        assert first is not None
        store.report(
            first,
            [
                Event(K.FILE_RETRIED, at=1.0, path="a", error_type="E"),
                Event(K.FILE_SUCCEEDED, at=1.0, path="a"),
                Event(K.FILE_FAILED, at=1.0, path="b", error_type="E"),
            ],
        )
        store.release(first)  # c back to pending
        second = store.claim(run, "host:2:bbbb", 10, 30.0)  # c again, then d, e, f
        assert second is not None
        store.report(second, [Event(K.FILE_SKIPPED, at=2.0, path="c", reason="empty")])
        clock.advance(60.0)
        assert store.reclaim(run) == 3  # d, e, f
        store.append(run, [Event(K.FILE_RETRIED, at=3.0, path="b")])  # failed b requeued
        third = store.claim(run, "host:3:cccc", 1, 30.0)
        assert third is not None
        assert [item.key for item in third.items] == ["b"]

        tracker = tracker_of(list(store.read_events(run)))
        expected = [
            (info.path, info.size, info.status.value, info.attempts, info.status is S.IN_PROGRESS)
            for info in (tracker.get_file_info(key) for key in "abcdef")
        ]
        assert items_of(store_factory, run) == expected
        assert expected[:3] == [
            ("a", 1, "succeeded", 2, False),
            ("b", 1, "in_progress", 2, True),
            ("c", 1, "skipped", 2, False),
        ]
        assert store.item_counts(run) == tracker.counts()
