"""``JournalStore.status_facts`` and ``migration.run_status``: a run's status without a replay."""

from __future__ import annotations

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.run_status import status_summary, status_validation
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store import JournalStore, RunRecord
from omnimemory_kit.store.base import WorkItem
from omnimemory_kit.store.status_facts import facts_from_events

from .conftest import StoreFactory

RUN = "r1"


def _journal(store: JournalStore, clock: FakeClock) -> None:
    """Write a run with most of what a status shows: pauses, a restart, failures, re-runs and verdicts."""
    store.create_run(RunRecord(run_id=RUN, name="facts", created_at=clock.time()))
    store.add_items(RUN, [WorkItem(f"k{i}", 10 + i) for i in range(12)], at=clock.time())
    store.append(RUN, [Event(EventKind.RUN_STARTED, clock.time())])
    lease = store.claim(RUN, "h:1:a", 6, 60.0)
    assert lease is not None
    clock.advance(5)
    outcomes = [
        Event(EventKind.FILE_RETRIED, clock.time(), "k0", error_type="TimeoutError"),
        Event(EventKind.FILE_SUCCEEDED, clock.time(), "k0"),
        Event(EventKind.FILE_FAILED, clock.time(), "k1", error_type="ValueError", error_message="bad"),
        Event(EventKind.FILE_FAILED, clock.time(), "k2", error_type="KeyError"),
        Event(EventKind.FILE_SUCCEEDED, clock.time(), "k3"),
        Event(EventKind.FILE_SKIPPED, clock.time(), "k4", reason="empty"),
    ]
    store.report(lease, outcomes)
    clock.advance(1)
    store.append(RUN, [Event(EventKind.RUN_PAUSED, clock.time(), reason="ops")])
    clock.advance(30)
    store.append(RUN, [Event(EventKind.RUN_RESUMED, clock.time())])
    clock.advance(2)
    store.append(
        RUN,
        [
            Event(EventKind.ITEM_VALIDATED, clock.time(), "k0"),
            Event(EventKind.ITEM_MISMATCHED, clock.time(), "k3", error_message="differs"),
            Event(EventKind.FILE_REQUEUED, clock.time(), "k2", reason="rerun"),
            Event(EventKind.RUN_THROTTLED, clock.time(), reason="db slow", worker_id="h:1:a"),
        ],
    )
    clock.advance(4)
    # the process dies here: a new one resumes, and its first RUN_RESUMED closes the dead time
    clock.advance(100)
    store.append(RUN, [Event(EventKind.RUN_RESUMED, clock.time())])
    store.reclaim(RUN)
    clock.advance(3)


def _replayed(store: JournalStore, clock: FakeClock) -> MigrationProgressTracker:
    tracker = MigrationProgressTracker("facts", run_id=RUN, clock=clock)
    tracker.apply_many(store.read_events(RUN))
    return tracker


class TestFacts:
    """A backend's facts are those a read of the whole journal gives."""

    def test_backend_facts_match_the_journal(self, store_factory: StoreFactory) -> None:
        """Counters aside (compared elsewhere), every fact read through the index equals the full read's."""
        store, clock = store_factory(), store_factory.clock
        _journal(store, clock)
        fast = store.status_facts(RUN, with_bytes=True)
        full = facts_from_events(RUN, store.item_counts(RUN), store.read_events(RUN), with_bytes=True)
        for name in (
            "lifecycle", "last_at", "first_start", "bytes_by_status", "unsized", "open_batches",
            "errors_by_type", "interrupted", "requeued", "verdicts", "flagged", "any_verdict",
        ):  # fmt: skip
            assert getattr(fast, name) == getattr(full, name), name
        assert dict(fast.before) == dict(full.before)
        assert fast.counters.counts() == full.counters.counts()
        assert fast.counters.retried == full.counters.retried == 1

    def test_events_the_items_projection_ignores_change_no_item(self, store_factory: StoreFactory) -> None:
        """Interrupting a finished item, requeuing one in progress, failing an unknown one: all no-ops."""
        store, clock = store_factory(), store_factory.clock
        store.create_run(RunRecord(run_id=RUN, name="stray", created_at=clock.time()))
        store.add_items(RUN, [WorkItem("a", 5), WorkItem("b", 0)], at=clock.time())
        lease = store.claim(RUN, "h:1:a", 2, 60.0)
        assert lease is not None
        store.report(lease, [Event(EventKind.FILE_SUCCEEDED, clock.time(), "a")])
        store.append(
            RUN,
            [
                Event(EventKind.FILE_INTERRUPTED, clock.time(), "a", reason="late"),
                Event(EventKind.FILE_REQUEUED, clock.time(), "b", reason="rerun"),
                Event(EventKind.FILE_FAILED, clock.time(), "ghost", error_type="KeyError"),
                Event(EventKind.ITEM_VALIDATED, clock.time(), "a"),
            ],
        )
        fast = store.status_facts(RUN, with_bytes=True)
        full = facts_from_events(RUN, store.item_counts(RUN), store.read_events(RUN), with_bytes=True)
        assert full.bytes_by_status == fast.bytes_by_status
        assert full.bytes_by_status is not None
        assert full.bytes_by_status[FileStatus.SUCCEEDED] == 5
        assert full.errors_by_type == fast.errors_by_type == {}
        assert full.verdicts == fast.verdicts == {EventKind.ITEM_VALIDATED: 1}
        assert full.unsized == fast.unsized == 1

    def test_summary_matches_a_replay(self, store_factory: StoreFactory) -> None:
        """Status, counts, time accounting, errors and retries are the replay's."""
        store, clock = store_factory(), store_factory.clock
        _journal(store, clock)
        record = store.get_run(RUN)
        fast = status_summary(record, store.status_facts(RUN, with_bytes=True), clock.time())
        slow = _replayed(store, clock).get_progress_summary()
        for name in (
            "status",
            "total_files",
            "succeeded_files",
            "failed_files",
            "skipped_files",
            "in_progress_files",
            "pending_files",
            "total_bytes",
            "processed_bytes",
            "succeeded_bytes",
            "elapsed_seconds",
            "paused_seconds",
            "throttled_seconds",
            "throttle_reason",
            "started_at",
            "errors_by_type",
            "open_batches",
            "requeued_count",
            "attempt_failures",
            "interrupted_count",
            "last_activity_at",
        ):  # fmt: skip (the ETA is the counters' as a worker's, not the replay's estimator)
            assert getattr(fast, name) == getattr(slow, name), name
        rates = (fast.processing_rates, slow.processing_rates)
        assert rates[0].files_per_second_overall == rates[1].files_per_second_overall

    def test_validation_counts_skip_items_re_run_since(self, store_factory: StoreFactory) -> None:
        """The validated item counts, the mismatch is listed, and the run is validated."""
        store, clock = store_factory(), store_factory.clock
        _journal(store, clock)
        checked = status_validation(store.status_facts(RUN), {})
        assert checked is not None
        assert (checked.items, checked.validated, checked.mismatched, checked.pending) == (2, 1, 1, 0)
        assert [row.key for row in checked.mismatches] == ["k3"]
        assert checked.mismatches[0].detail == "differs"

    def test_a_run_never_validated_has_no_validation(self, store_factory: StoreFactory) -> None:
        """No verdict and no check in the params: no validation section."""
        store = store_factory()
        store.create_run(RunRecord(run_id=RUN, name="plain", created_at=store_factory.clock.time()))
        assert status_validation(store.status_facts(RUN), {}) is None


class TestRareEvents:
    """Reading rare kinds alone goes through their index and finds what a filtered full read finds."""

    def test_matching_rare_kinds_equals_the_filtered_journal(self, store_factory: StoreFactory) -> None:
        """Batch opens, lifecycle and failures, in a seq range and of one worker, as the default filter."""
        store, clock = store_factory(), store_factory.clock
        _journal(store, clock)
        kinds = [EventKind.BATCH_OPENED, EventKind.RUN_RESUMED, EventKind.FILE_FAILED]
        for after, until, worker in ((0, None, None), (3, 20, None), (0, None, "h:1:a")):
            fast = list(
                store.read_events_matching(
                    RUN, after_seq=after, until_seq=until, worker_id=worker, kinds=kinds
                )
            )
            full = list(
                JournalStore.read_events_matching(
                    store, RUN, after_seq=after, until_seq=until, worker_id=worker, kinds=kinds
                )
            )
            assert fast == full
            assert fast or worker is not None
