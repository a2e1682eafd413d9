"""The store contract (``omnimemory_kit/store/base.py``), run against every backend in ``BACKENDS``.

Nothing here knows which backend it talks to: only the ``store`` / ``store_factory`` fixtures do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from omnimemory_kit.errors import (
    ConfigError,
    InvalidTransitionError,
    LeaseLostError,
    RunMismatchError,
    RunNotFoundError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import (
    HealthAlertRow,
    HealthCheckRow,
    HealthHistoryStore,
    HealthRollupRow,
    HealthSnapshotRow,
    HeartbeatRow,
    JournalStore,
    Lease,
    RunRecord,
    Store,
    WorkItem,
)
from omnimemory_kit.store.base import ERROR_MESSAGE_LIMIT, EVENT_COLUMNS

from .conftest import StoreFactory

ROOT = Path(__file__).resolve().parents[2]
RUN = "run-1"
WORKER = "host-a:101:aaaa"
OTHER = "host-b:202:bbbb"
K = EventKind


def make_run(store: JournalStore, run_id: str = RUN, **fields: object) -> RunRecord:
    """Create a run with a fixed source and function."""
    record = RunRecord(run_id=run_id, name=f"migration {run_id}", source="/src", function="mod:fn")
    return store.create_run(RunRecord(**{**_fields(record), **fields}))  # type: ignore[arg-type]


def _fields(record: RunRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in RunRecord.__dataclass_fields__}


def with_items(store: JournalStore, *keys: str, run_id: str = RUN) -> None:
    """Create the run (if needed) and add items of 10 bytes each."""
    make_run(store, run_id)
    store.add_items(run_id, [WorkItem(key, 10) for key in keys], at=1.0)


def kinds(store: JournalStore, after_seq: int = 0, run_id: str = RUN) -> list[EventKind]:
    """Return the kinds of the run's events after ``after_seq``."""
    return [e.kind for e in store.read_events(run_id, after_seq)]


def counts(store: JournalStore, run_id: str = RUN) -> dict[str, int]:
    """Return item counts by status value, zeros dropped."""
    return {status.value: n for status, n in store.item_counts(run_id).items() if n}


def ok(lease: Lease, *keys: str, at: float = 5.0) -> list[Event]:
    """Return FILE_SUCCEEDED events for keys of a lease."""
    return [Event(K.FILE_SUCCEEDED, at=at, path=key, worker_id=lease.worker_id) for key in keys]


class TestRuns:
    def test_create_then_get_returns_the_same_record(self, store: JournalStore) -> None:
        """A created run reads back with every field, including params."""
        created = make_run(store, priority="high", params={"batch_size": 50, "retries": 3}, created_at=12.5)
        assert store.get_run(RUN) == created
        assert created == RunRecord(
            run_id=RUN,
            name=f"migration {RUN}",
            priority="high",
            source="/src",
            function="mod:fn",
            created_at=12.5,
            params={"batch_size": 50, "retries": 3},
        )

    def test_created_at_defaults_to_the_store_clock(self, store_factory: StoreFactory) -> None:
        """A run created without a time is stamped with the store clock's wall time."""
        store = store_factory()
        store_factory.clock.advance(42)
        assert make_run(store).created_at == store_factory.clock.time()

    def test_create_is_idempotent_and_journals_once(self, store: JournalStore) -> None:
        """Creating an existing run returns the stored record and appends no second RUN_CREATED."""
        first = make_run(store, created_at=5.0)
        again = make_run(store, created_at=9.0, name="other name")
        assert again == first
        assert kinds(store) == [K.RUN_CREATED]

    @pytest.mark.parametrize("field", ["source", "function"])
    def test_reusing_a_run_id_with_another_source_or_function_is_refused(
        self, store: JournalStore, field: str
    ) -> None:
        """A run id reused with a different source or function raises RunMismatchError naming the field."""
        make_run(store)
        with pytest.raises(RunMismatchError) as caught:
            make_run(store, **{field: "different"})
        assert caught.value.field == field
        assert caught.value.given == "different"

    def test_unknown_run_is_not_found(self, store: JournalStore) -> None:
        """Every per-run method raises RunNotFoundError for a run that does not exist."""
        with pytest.raises(RunNotFoundError):
            store.get_run("nope")
        with pytest.raises(RunNotFoundError):
            store.append("nope", [Event(K.RUN_STARTED, at=1.0)])
        with pytest.raises(RunNotFoundError):
            store.last_seq("nope")
        with pytest.raises(RunNotFoundError):
            list(store.read_events("nope"))
        with pytest.raises(RunNotFoundError):
            store.claim("nope", WORKER, 5, 30)
        with pytest.raises(RunNotFoundError):
            store.add_items("nope", [WorkItem("a")], at=1.0)

    def test_list_runs_oldest_first(self, store: JournalStore) -> None:
        """list_runs returns every run in creation order."""
        make_run(store, "b", created_at=2.0)
        make_run(store, "a", created_at=3.0)
        make_run(store, "c", created_at=1.0)
        assert [r.run_id for r in store.list_runs()] == ["c", "b", "a"]


class TestJournal:
    def test_append_returns_dense_seqs(self, store: JournalStore) -> None:
        """Seqs start at 1 (RUN_CREATED), have no gaps, and append returns the last one."""
        make_run(store)
        assert store.append(RUN, [Event(K.RUN_STARTED, at=1.0), Event(K.RUN_PAUSED, at=2.0)]) == 3
        assert store.append(RUN, [Event(K.RUN_RESUMED, at=3.0)]) == 4
        assert store.append(RUN, []) == 4
        assert [e.seq for e in store.read_events(RUN)] == [1, 2, 3, 4]
        assert store.last_seq(RUN) == 4

    def test_seqs_are_per_run(self, store: JournalStore) -> None:
        """Two runs interleaved each keep their own dense seqs."""
        make_run(store, "x")
        make_run(store, "y")
        store.append("x", [Event(K.RUN_STARTED, at=1.0)])
        store.append("y", [Event(K.RUN_STARTED, at=1.0)] * 3)
        store.append("x", [Event(K.RUN_PAUSED, at=2.0)])
        assert [e.seq for e in store.read_events("x")] == [1, 2, 3]
        assert [e.seq for e in store.read_events("y")] == [1, 2, 3, 4]

    def test_events_round_trip_every_field(self, store: JournalStore) -> None:
        """Each Event field reads back exactly, with the seq the store assigned."""
        make_run(store)
        sent = [
            Event(K.FILE_ADDED, at=1.25, path="/src/ünï cödé.py", size=1024),
            Event(K.FILE_STARTED, at=2.5, path="/src/ünï cödé.py", batch_id="b1", worker_id=WORKER),
            Event(
                K.FILE_FAILED,
                at=3.75,
                path="/src/ünï cödé.py",
                error_type="json.decoder.JSONDecodeError",
                error_message="Expecting value: line 1 column 1 (char 0)",
                worker_id=WORKER,
            ),
            Event(K.FILE_SKIPPED, at=4.0, path="/src/other.py", reason="binary file"),
            Event(K.RUN_PAUSED, at=5.0, reason="operator asked"),
        ]
        store.append(RUN, sent)
        got = list(store.read_events(RUN, after_seq=1))
        assert got == [Event(**{**_event_fields(e), "seq": i}) for i, e in enumerate(sent, start=2)]
        assert all(type(e.kind) is EventKind for e in got)

    def test_plain_outcomes_keep_order_times_and_keys_in_runs_of_any_length(
        self, store: JournalStore
    ) -> None:
        """Outcomes with nothing but a key and a time, in runs of kinds and workers short and long, read
        back in order with their seqs, their exact times and their keys (escapes and non-ASCII included)."""
        make_run(store)
        keys = ["plain", 'quo"te', "back\\slash", "tab\tnew\nline", "ünï", "emoji \U0001f600", "€"]
        at = 1_733_000_000.123456789
        for pattern in ([K.FILE_SUCCEEDED] * 20, [K.FILE_SUCCEEDED, K.FILE_SKIPPED] * 12):
            before = store.last_seq(RUN)
            sent = [
                Event(
                    kind,
                    at=at + i / 7,
                    path=f"{keys[i % len(keys)]}-{i}",
                    worker_id=(WORKER, None)[i // 9 % 2],
                )
                for i, kind in enumerate(pattern)
            ]
            store.append(RUN, sent)
            got = list(store.read_events(RUN, after_seq=before))
            assert got == [
                Event(**{**_event_fields(e), "seq": s}) for s, e in enumerate(sent, start=before + 1)
            ]

    def test_a_mix_of_plain_and_detailed_events_keeps_order_and_counts(self, store: JournalStore) -> None:
        """Plain events in stretches between detailed ones (a batch's verdicts, failures, its close) read
        back in order with their seqs, and the minute counters count every counted kind once."""
        make_run(store)
        at = 1_733_000_000.5
        sent: list[Event] = []
        for i in range(30):
            if i % 7 == 3:
                sent.append(Event(K.FILE_FAILED, at=at + i, path=f"f{i}", error_type="E", error_message="m"))
            elif i % 11 == 5:
                sent.append(Event(K.BATCH_CLOSED, at=at + i, batch_id=f"b{i}", worker_id=WORKER))
            else:
                kind = (K.FILE_SUCCEEDED, K.ITEM_VALIDATED, K.FILE_SKIPPED)[i % 3]
                sent.append(Event(kind, at=at + i, path=f"k{i}", worker_id=(WORKER, None)[i // 4 % 2]))
        before = store.last_seq(RUN)
        store.append(RUN, sent)
        got = list(store.read_events(RUN, after_seq=before))
        assert got == [Event(**{**_event_fields(e), "seq": s}) for s, e in enumerate(sent, start=before + 1)]
        counters = store.run_counters(RUN)
        minutes = counters.minutes
        assert sum(m.succeeded for m in minutes) == sum(e.kind is K.FILE_SUCCEEDED for e in sent)
        assert sum(m.failed for m in minutes) == sum(e.kind is K.FILE_FAILED for e in sent)
        assert sum(m.skipped for m in minutes) == sum(e.kind is K.FILE_SKIPPED for e in sent)

    def test_read_after_seq_tails_without_skipping(self, store: JournalStore) -> None:
        """Reading after the last seen seq returns exactly the new events, across many read chunks."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=f"f{i}", size=i) for i in range(12_345)])
        seen = [e.seq for e in store.read_events(RUN, after_seq=3)]
        assert seen == list(range(4, 12_347))
        store.append(RUN, [Event(K.RUN_STARTED, at=2.0)])
        assert [e.seq for e in store.read_events(RUN, after_seq=seen[-1])] == [12_347]
        assert [e.seq for e in store.read_events(RUN, after_seq=10, limit=3)] == [11, 12, 13]
        assert list(store.read_events(RUN, after_seq=12_347)) == []

    def test_read_event_rows_matches_read_events(self, store: JournalStore) -> None:
        """The tuple fast path yields the same data as read_events, in EVENT_COLUMNS order."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=f"f{i}", size=i) for i in range(7)])
        rows = list(store.read_event_rows(RUN, after_seq=2))
        expected = [
            tuple(str(v) if c == "kind" else v for c, v in zip(EVENT_COLUMNS, _row(e), strict=True))
            for e in store.read_events(RUN, after_seq=2)
        ]
        assert rows == expected
        assert rows[0][EVENT_COLUMNS.index("seq")] == 3

    def test_huge_error_message_is_truncated(self, store: JournalStore) -> None:
        """An enormous error message is stored cut to the one limit, keeping its start, marked as cut."""
        make_run(store)
        store.append(
            RUN, [Event(K.FILE_FAILED, at=1.0, path="a", error_type="E", error_message="x" * 1_000_000)]
        )
        (event,) = store.read_events(RUN, after_seq=1)
        assert event.error_message is not None
        assert len(event.error_message) == ERROR_MESSAGE_LIMIT
        assert event.error_message.startswith("x" * 100)
        assert event.error_message.endswith("… [truncated]")

    def test_events_survive_close_and_reopen(self, store_factory: StoreFactory) -> None:
        """What was appended before close reads back identically from a new store object."""
        store = store_factory()
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=f"f{i}", size=i) for i in range(100)])
        before = list(store.read_events(RUN))
        store.close()
        reopened = store_factory()
        assert list(reopened.read_events(RUN)) == before
        assert reopened.get_run(RUN).source == "/src"
        assert counts(reopened) == {"pending": 100}

    def test_second_connection_reads_what_the_first_just_wrote(self, store_factory: StoreFactory) -> None:
        """Another store object (a notebook) sees each append as soon as append returns."""
        writer, reader = store_factory(), store_factory()
        make_run(writer)
        for i in range(5):
            seq = writer.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=f"f{i}", size=1)])
            assert reader.last_seq(RUN) == seq
            assert [e.path for e in reader.read_events(RUN, after_seq=seq - 1)] == [f"f{i}"]

    def test_concurrent_appenders_keep_seqs_dense(self, store_factory: StoreFactory) -> None:
        """Threads appending through separate store objects never collide: seqs stay dense and complete."""
        make_run(store_factory())
        stores = [store_factory() for _ in range(4)]

        def write(n: int, store: JournalStore) -> None:
            for i in range(25):
                store.append(RUN, [Event(K.RUN_RESUMED, at=1.0, reason=f"{n}-{i}")] * 2)

        threads = [threading.Thread(target=write, args=(n, s)) for n, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        events = list(stores[0].read_events(RUN))
        assert [e.seq for e in events] == list(range(1, 202))
        for n in range(4):  # each writer's events appear in the order it wrote them
            mine = [e.reason for e in events if e.reason and e.reason.startswith(f"{n}-")]
            assert mine == [f"{n}-{i}" for i in range(25) for _ in range(2)]


def _event_fields(event: Event) -> dict[str, object]:
    return {name: getattr(event, name) for name in Event.__dataclass_fields__}


def _row(event: Event) -> tuple[object, ...]:
    return tuple(getattr(event, column) for column in EVENT_COLUMNS)


class TestItemsProjection:
    def test_add_items_is_idempotent_by_key(self, store: JournalStore) -> None:
        """Re-adding known keys adds nothing and journals FILE_ADDED only for new keys."""
        make_run(store)
        assert store.add_items(RUN, [WorkItem("a", 1), WorkItem("b", 2), WorkItem("a", 9)], at=1.0) == 2
        assert store.add_items(RUN, [WorkItem("b", 2), WorkItem("c", 3)], at=2.0) == 1
        assert store.add_items(RUN, [], at=3.0) == 0
        added = [(e.path, e.size) for e in store.read_events(RUN) if e.kind is K.FILE_ADDED]
        assert added == [("a", 1), ("b", 2), ("c", 3)]
        assert counts(store) == {"pending": 3}

    def test_negative_size_is_refused_and_nothing_added(self, store: JournalStore) -> None:
        """An item with a negative size is a ConfigError naming it, and none of the batch is added."""
        make_run(store)
        with pytest.raises(ConfigError, match="'bad'"):
            store.add_items(RUN, [WorkItem("good", 1), WorkItem("bad", -1)], at=1.0)
        assert store.last_seq(RUN) == 1
        assert counts(store) == {}

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (WorkItem("bad", 1.5), "'bad' has a size that is not a whole number"),  # type: ignore[arg-type]
            (WorkItem("bad", "7"), "'bad' has a size that is not a whole number"),  # type: ignore[arg-type]
            (WorkItem("bad", True), "'bad' has a size that is not a whole number"),
            (WorkItem(7, 1), "item 7 has a key that is not text"),  # type: ignore[arg-type]
        ],
    )
    def test_an_item_of_the_wrong_types_is_refused_and_nothing_added(
        self, store: JournalStore, bad: WorkItem, message: str
    ) -> None:
        """A size that is not a whole number, or a key that is not text, is a ConfigError naming the item
        (not a TypeError from deep inside, nor a size silently rounded), and none of the batch is added."""
        make_run(store)
        with pytest.raises(ConfigError, match=message):
            store.add_items(RUN, [WorkItem("good", 1), bad], at=1.0)
        assert store.last_seq(RUN) == 1
        assert counts(store) == {}

    def test_size_beyond_64_bits_is_refused_and_nothing_added(self, store: JournalStore) -> None:
        """A size no store column holds is a ConfigError naming the item, and none of the batch is added."""
        make_run(store)
        with pytest.raises(ConfigError, match="'huge'"):
            store.add_items(RUN, [WorkItem("good", 1), WorkItem("huge", 2**63)], at=1.0)
        assert store.last_seq(RUN) == 1
        assert counts(store) == {}
        assert store.add_items(RUN, [WorkItem("largest", 2**63 - 1)], at=2.0) == 1
        assert [(e.path, e.size) for e in store.read_events(RUN, after_seq=1)] == [("largest", 2**63 - 1)]

    def test_item_counts_lists_every_status(self, store: JournalStore) -> None:
        """item_counts has a key for every FileStatus, zeros included."""
        make_run(store)
        assert store.item_counts(RUN) == dict.fromkeys(FileStatus, 0)

    def test_appended_file_events_drive_the_items(self, store: JournalStore) -> None:
        """FILE_* events appended directly move items between statuses as the tracker would."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=p, size=1) for p in "abcde"])
        store.append(
            RUN,
            [
                Event(K.FILE_STARTED, at=2.0, path="a", batch_id="b1"),
                Event(K.FILE_STARTED, at=2.0, path="b", batch_id="b1"),
                Event(K.FILE_STARTED, at=2.0, path="c", batch_id="b1"),
                Event(K.FILE_SUCCEEDED, at=3.0, path="a"),
                Event(K.FILE_FAILED, at=3.0, path="b", error_type="E", error_message="boom"),
                Event(K.FILE_SKIPPED, at=3.0, path="d", reason="not needed"),
            ],
        )
        assert counts(store) == {"succeeded": 1, "failed": 1, "in_progress": 1, "skipped": 1, "pending": 1}
        store.append(
            RUN,
            [
                Event(K.FILE_RETRIED, at=4.0, path="b"),  # from FAILED: back to pending
                Event(K.FILE_RETRIED, at=4.0, path="c", error_type="E"),  # from IN_PROGRESS: stays
            ],
        )
        assert counts(store) == {"succeeded": 1, "in_progress": 1, "skipped": 1, "pending": 2}
        store.append(RUN, [Event(K.FILE_INTERRUPTED, at=5.0, path="c")])
        assert counts(store) == {"succeeded": 1, "skipped": 1, "pending": 3}

    def test_added_started_and_finished_in_one_append(self, store: JournalStore) -> None:
        """A whole item lifecycle inside one append call lands in its final status."""
        make_run(store)
        store.append(
            RUN,
            [
                Event(K.FILE_ADDED, at=1.0, path="a", size=4),
                Event(K.FILE_STARTED, at=1.0, path="a"),
                Event(K.FILE_SUCCEEDED, at=1.0, path="a"),
                Event(K.FILE_ADDED, at=1.0, path="b", size=4),
                Event(K.FILE_STARTED, at=1.0, path="b"),
            ],
        )
        assert counts(store) == {"succeeded": 1, "in_progress": 1}

    def test_one_append_applies_its_events_in_event_order(self, store: JournalStore) -> None:
        """An interruption followed by a new start of the same item, in one append, leaves it in progress."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=p, size=1) for p in "ab"])
        store.append(RUN, [Event(K.FILE_STARTED, at=2.0, path="a")])
        store.append(
            RUN,
            [
                Event(K.FILE_STARTED, at=3.0, path="b"),
                Event(K.FILE_INTERRUPTED, at=3.0, path="a"),
                Event(K.FILE_STARTED, at=3.0, path="a"),
            ],
        )
        assert counts(store) == {"in_progress": 2}

    def test_interrupting_an_item_not_in_progress_changes_nothing(self, store: JournalStore) -> None:
        """FILE_INTERRUPTED requeues only an item in progress: a finished or pending one stays as it is."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=p, size=1) for p in "ab"])
        store.append(
            RUN, [Event(K.FILE_STARTED, at=2.0, path="a"), Event(K.FILE_SUCCEEDED, at=2.0, path="a")]
        )
        store.append(RUN, [Event(K.FILE_INTERRUPTED, at=3.0, path=p) for p in "ab"])
        assert counts(store) == {"succeeded": 1, "pending": 1}
        assert store.claim(RUN, WORKER, 10, 30) is not None
        assert counts(store) == {"succeeded": 1, "in_progress": 1}

    def test_a_requeued_finished_item_is_claimed_again_and_counted_once(self, store: JournalStore) -> None:
        """FILE_REQUEUED sends a finished item back to pending (its outcome leaves the counts); claimed and
        finished again, it is counted once; a requeue of a pending item changes nothing."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=p, size=1) for p in "abc"])
        store.append(
            RUN,
            [Event(K.FILE_STARTED, at=2.0, path="a"), Event(K.FILE_SUCCEEDED, at=2.0, path="a"),
             Event(K.FILE_STARTED, at=2.0, path="b"), Event(K.FILE_SKIPPED, at=2.0, path="b")],
        )  # fmt: skip
        store.append(RUN, [Event(K.FILE_REQUEUED, at=3.0, path=p, reason="rerun") for p in "abc"])
        assert counts(store) == {"pending": 3}
        lease = store.claim(RUN, WORKER, 10, 30)
        assert lease is not None
        assert sorted(item.key for item in lease.items) == ["a", "b", "c"]
        store.report(lease, [Event(K.FILE_SUCCEEDED, at=4.0, path=p) for p in "abc"])
        assert counts(store) == {"succeeded": 3}

    def test_items_added_by_append_are_claimable_in_order(self, store: JournalStore) -> None:
        """Items journaled with FILE_ADDED through append are claimed like add_items ones, oldest first."""
        make_run(store)
        store.append(RUN, [Event(K.FILE_ADDED, at=1.0, path=p, size=3) for p in ["z", "y"]])
        store.add_items(RUN, [WorkItem("x", 3)], at=2.0)
        lease = store.claim(RUN, WORKER, 10, 30)
        assert lease is not None
        assert [item.key for item in lease.items] == ["z", "y", "x"]
        assert lease.items[0] == WorkItem("z", 3)


class TestClaim:
    def test_claim_is_fifo_and_none_when_empty(self, store: JournalStore) -> None:
        """Claims hand out pending items oldest first and return None once nothing is pending."""
        with_items(store, "a", "b", "c", "d", "e")
        leases = [store.claim(RUN, worker, 2, 30) for worker in (WORKER, OTHER, WORKER)]
        assert [[i.key for i in lease.items] if lease else None for lease in leases] == [
            ["a", "b"],
            ["c", "d"],
            ["e"],
        ]
        assert store.claim(RUN, WORKER, 2, 30) is None
        assert counts(store) == {"in_progress": 5}

    @pytest.mark.parametrize(("limit", "lease_seconds"), [(0, 30.0), (-1, 30.0), (5, 0.0), (5, -3.0)])
    def test_bad_claim_arguments_are_refused(
        self, store: JournalStore, limit: int, lease_seconds: float
    ) -> None:
        """A limit below 1 or a non-positive lease is a ConfigError and claims nothing."""
        with_items(store, "a")
        with pytest.raises(ConfigError):
            store.claim(RUN, WORKER, limit, lease_seconds)
        assert counts(store) == {"pending": 1}

    def test_claim_returns_a_lease_on_the_store_clock(self, store_factory: StoreFactory) -> None:
        """The lease names the run, worker, a batch, and expires lease_seconds after the clock's now."""
        store = store_factory()
        with_items(store, "a")
        store_factory.clock.advance(100)
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        assert (lease.run_id, lease.worker_id) == (RUN, WORKER)
        assert lease.expires_at == store_factory.clock.time() + 30
        opened = [e.batch_id for e in store.read_events(RUN) if e.kind is K.BATCH_OPENED]
        assert opened == [lease.batch_id]  # the batch the claim journaled
        assert lease.batch_id.startswith("batch-")
        assert store.leases(RUN) == [lease]

    def test_claim_journals_batch_opened_and_file_started(self, store: JournalStore) -> None:
        """A claim appends BATCH_OPENED then one FILE_STARTED per item, with batch and worker."""
        with_items(store, "a", "b")
        before = store.last_seq(RUN)
        lease = store.claim(RUN, WORKER, 5, 30)
        assert lease is not None
        events = list(store.read_events(RUN, after_seq=before))
        assert [(e.kind, e.path) for e in events] == [
            (K.BATCH_OPENED, None),
            (K.FILE_STARTED, "a"),
            (K.FILE_STARTED, "b"),
        ]
        assert {(e.batch_id, e.worker_id) for e in events} == {(lease.batch_id, WORKER)}

    def test_batch_ids_are_unique(self, store: JournalStore) -> None:
        """Every claim opens a batch with an id of its own."""
        with_items(store, *[f"k{i}" for i in range(6)])
        ids = [lease.batch_id for lease in (store.claim(RUN, WORKER, 1, 30) for _ in range(6)) if lease]
        assert len(set(ids)) == 6

    def test_concurrent_claimers_never_overlap(self, store_factory: StoreFactory) -> None:
        """Workers claiming at once through separate store objects never get the same item."""
        keys = [f"item-{i:04d}" for i in range(600)]
        with_items(store_factory(), *keys)
        got: dict[str, list[str]] = {}

        def work(worker: str, store: JournalStore) -> None:
            mine = got.setdefault(worker, [])
            while (lease := store.claim(RUN, worker, 7, 300)) is not None:
                mine += [item.key for item in lease.items]
                store.report(lease, ok(lease, *[item.key for item in lease.items]))
                store.release(lease)

        workers = [(f"host:{n}:t", store_factory()) for n in range(4)]
        threads = [threading.Thread(target=work, args=pair) for pair in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        claimed = [key for mine in got.values() for key in mine]
        assert sorted(claimed) == keys  # every item exactly once
        store = workers[0][1]
        assert counts(store) == {"succeeded": 600}
        assert sum(w.items_done for w in store.workers(RUN)) == 600


class TestReport:
    def test_report_on_a_live_lease_updates_items(self, store: JournalStore) -> None:
        """Outcomes reported under a live lease are journaled and move items to their final status."""
        with_items(store, "a", "b", "c", "d")
        lease = store.claim(RUN, WORKER, 4, 30)
        assert lease is not None
        before = store.last_seq(RUN)
        last = store.report(
            lease,
            [
                Event(K.FILE_SUCCEEDED, at=5.0, path="a"),
                Event(K.FILE_FAILED, at=5.0, path="b", error_type="ValueError", error_message="bad"),
                Event(K.FILE_SKIPPED, at=5.0, path="c", reason="empty"),
                Event(K.FILE_RETRIED, at=5.0, path="d", error_type="TimeoutError"),
            ],
        )
        assert last == before + 4 == store.last_seq(RUN)
        assert counts(store) == {"succeeded": 1, "failed": 1, "skipped": 1, "in_progress": 1}
        assert [i.key for i in store.leases(RUN)[0].items] == ["d"]  # retried: still held

    def test_report_on_an_expired_lease_records_nothing(self, store_factory: StoreFactory) -> None:
        """Once the clock passes expires_at, report raises LeaseLostError and the journal is unchanged."""
        store = store_factory()
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        store_factory.clock.advance(30.001)
        before = store.last_seq(RUN)
        with pytest.raises(LeaseLostError) as caught:
            store.report(lease, ok(lease, "a"))
        assert caught.value.lease_id == lease.lease_id
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1}

    def test_report_after_reclaim_is_rejected(self, store_factory: StoreFactory) -> None:
        """A late report from a worker whose lease was reclaimed (item re-claimed by another) is rejected."""
        store = store_factory()
        with_items(store, "a")
        stale = store.claim(RUN, WORKER, 1, 30)
        assert stale is not None
        store_factory.clock.advance(31)
        assert store.reclaim(RUN) == 1
        fresh = store.claim(RUN, OTHER, 1, 30)
        assert fresh is not None
        with pytest.raises(LeaseLostError):
            store.report(stale, ok(stale, "a"))
        store.report(fresh, ok(fresh, "a"))
        succeeded = [e for e in store.read_events(RUN) if e.kind is K.FILE_SUCCEEDED]
        assert len(succeeded) == 1
        assert counts(store) == {"succeeded": 1}

    def test_report_from_another_worker_is_rejected(self, store: JournalStore) -> None:
        """A lease presented under another worker id is not that worker's: LeaseLostError."""
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        forged = Lease(lease.lease_id, RUN, OTHER, lease.batch_id, lease.items, lease.expires_at)
        with pytest.raises(LeaseLostError):
            store.report(forged, ok(forged, "a"))

    def test_report_on_an_item_the_lease_does_not_hold_records_nothing(self, store: JournalStore) -> None:
        """An outcome for an item outside the lease (or already finished) is refused, nothing recorded."""
        with_items(store, "a", "b")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        before = store.last_seq(RUN)
        with pytest.raises(InvalidTransitionError):
            store.report(lease, [*ok(lease, "a"), *ok(lease, "b")])
        with pytest.raises(InvalidTransitionError):
            store.report(lease, [*ok(lease, "a"), *ok(lease, "a")])
        with pytest.raises(InvalidTransitionError):
            store.report(lease, [Event(K.FILE_ADDED, at=1.0, path="a")])
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1, "pending": 1}

    def test_a_refused_report_undoes_its_valid_outcomes_too(self, store: JournalStore) -> None:
        """When one item of a report is not held, the report's outcomes for held items are not kept."""
        with_items(store, "a", "b", "c")
        lease = store.claim(RUN, WORKER, 2, 30)
        assert lease is not None
        before = store.last_seq(RUN)
        with pytest.raises(InvalidTransitionError, match="'c'"):
            store.report(
                lease,
                [
                    Event(K.FILE_RETRIED, at=5.0, path="a", error_type="TimeoutError"),
                    Event(K.FILE_SUCCEEDED, at=5.0, path="a"),
                    Event(K.FILE_FAILED, at=5.0, path="b", error_type="ValueError"),
                    Event(K.FILE_SKIPPED, at=5.0, path="c", reason="not leased"),
                ],
            )
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 2, "pending": 1}
        assert [i.key for i in store.leases(RUN)[0].items] == ["a", "b"]
        assert store.workers(RUN)[0].items_done == 0

    def test_retried_then_finished_in_one_report_counts_once(self, store: JournalStore) -> None:
        """A retry and the item's outcome in one report finish the item once and count one item done."""
        with_items(store, "a", "b")
        lease = store.claim(RUN, WORKER, 2, 30)
        assert lease is not None
        store.report(
            lease,
            [
                Event(K.FILE_RETRIED, at=5.0, path="a", error_type="TimeoutError"),
                Event(K.FILE_RETRIED, at=5.0, path="b", error_type="TimeoutError"),
                Event(K.FILE_SUCCEEDED, at=5.0, path="a"),
            ],
        )
        assert counts(store) == {"succeeded": 1, "in_progress": 1}
        assert [i.key for i in store.leases(RUN)[0].items] == ["b"]
        assert store.workers(RUN)[0].items_done == 1


class TestHeartbeat:
    def test_heartbeat_extends_the_lease(self, store_factory: StoreFactory) -> None:
        """A heartbeat moves expires_at to now + lease_seconds, so a report past the old expiry succeeds."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        clock.advance(20)
        extended = store.heartbeat(lease, 30)
        assert extended.expires_at == clock.time() + 30
        assert extended.items == lease.items
        clock.advance(25)  # past the original expiry, within the extension
        store.report(extended, ok(extended, "a"))
        assert counts(store) == {"succeeded": 1}

    def test_heartbeat_on_an_expired_lease_is_rejected(self, store_factory: StoreFactory) -> None:
        """A late heartbeat raises LeaseLostError instead of reviving the lease."""
        store = store_factory()
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        store_factory.clock.advance(30)
        with pytest.raises(LeaseLostError):
            store.heartbeat(lease, 30)
        assert store.leases(RUN)[0].expires_at == lease.expires_at


class TestRelease:
    def test_release_requeues_unfinished_items(self, store: JournalStore) -> None:
        """Releasing a lease sends its unfinished items back to pending with FILE_INTERRUPTED."""
        with_items(store, "a", "b", "c")
        lease = store.claim(RUN, WORKER, 3, 30)
        assert lease is not None
        store.report(lease, ok(lease, "a"))
        before = store.last_seq(RUN)
        store.release(lease, [Event(K.BATCH_CLOSED, at=6.0, batch_id=lease.batch_id, worker_id=WORKER)])
        events = list(store.read_events(RUN, after_seq=before))
        assert [(e.kind, e.path) for e in events] == [
            (K.FILE_INTERRUPTED, "b"),
            (K.FILE_INTERRUPTED, "c"),
            (K.BATCH_CLOSED, None),
        ]
        assert counts(store) == {"succeeded": 1, "pending": 2}
        assert store.leases(RUN) == []
        again = store.claim(RUN, OTHER, 5, 30)
        assert again is not None
        assert [i.key for i in again.items] == ["b", "c"]

    def test_release_twice_is_rejected(self, store: JournalStore) -> None:
        """A lease already released is gone: releasing it again raises LeaseLostError."""
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        store.release(lease)
        with pytest.raises(LeaseLostError):
            store.release(lease)


class TestReportAndRelease:
    def test_outcomes_then_close_in_journal_order(self, store: JournalStore) -> None:
        """Outcomes, then FILE_INTERRUPTED for the unfinished items, then the closing events; lease gone."""
        with_items(store, "a", "b", "c")
        lease = store.claim(RUN, WORKER, 3, 30)
        assert lease is not None
        before = store.last_seq(RUN)
        closed = Event(K.BATCH_CLOSED, at=6.0, batch_id=lease.batch_id, worker_id=WORKER)
        last = store.report_and_release(lease, ok(lease, "a", "b"), [closed])
        events = list(store.read_events(RUN, after_seq=before))
        assert [(e.kind, e.path) for e in events] == [
            (K.FILE_SUCCEEDED, "a"),
            (K.FILE_SUCCEEDED, "b"),
            (K.FILE_INTERRUPTED, "c"),
            (K.BATCH_CLOSED, None),
        ]
        assert last == store.last_seq(RUN) == before + 4
        assert counts(store) == {"succeeded": 2, "pending": 1}
        assert store.leases(RUN) == []
        assert next(w for w in store.workers(RUN) if w.worker_id == WORKER).items_done == 2

    def test_a_bad_outcome_records_nothing_and_keeps_the_lease(self, store: JournalStore) -> None:
        """An outcome for an item the lease does not hold raises, records nothing, releases nothing."""
        with_items(store, "a", "b")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        before = store.last_seq(RUN)
        stray = [Event(K.FILE_SUCCEEDED, at=5.0, path="b", worker_id=WORKER)]
        with pytest.raises(InvalidTransitionError):
            store.report_and_release(lease, ok(lease, "a") + stray, [])
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1, "pending": 1}
        assert [held.lease_id for held in store.leases(RUN)] == [lease.lease_id]

    def test_an_expired_lease_records_nothing(self, store_factory: StoreFactory) -> None:
        """Past expires_at the report part raises LeaseLostError: nothing is recorded or released."""
        store = store_factory()
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        store_factory.clock.advance(30.001)
        before = store.last_seq(RUN)
        with pytest.raises(LeaseLostError):
            store.report_and_release(lease, ok(lease, "a"))
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1}


class TestAppendStart:
    """A runner's start is journaled unless the run is done (completed, nothing left): then nothing is."""

    def _done(self, store: JournalStore) -> None:
        with_items(store, "a")
        lease = store.claim(RUN, WORKER, 1, 30)
        assert lease is not None
        store.report_and_release(lease, ok(lease, "a"))
        store.append(RUN, [Event(K.RUN_COMPLETED, at=9.0, worker_id=WORKER)])

    def test_a_run_not_completed_is_started(self, store: JournalStore) -> None:
        with_items(store, "a")
        seq = store.append_start(RUN, Event(K.RUN_STARTED, at=2.0, worker_id=WORKER))
        assert seq == store.last_seq(RUN)
        assert kinds(store)[-1] is K.RUN_STARTED

    def test_a_done_run_is_not_started_again(self, store: JournalStore) -> None:
        self._done(store)
        before = store.last_seq(RUN)
        assert store.append_start(RUN, Event(K.RUN_STARTED, at=10.0, worker_id=OTHER)) is None
        assert store.append_start(RUN, Event(K.RUN_RESUMED, at=10.0, worker_id=OTHER)) is None
        assert store.last_seq(RUN) == before

    def test_a_completed_run_with_work_again_is_started(self, store: JournalStore) -> None:
        """Completed, then an item requeued for a re-run: the run has work, so it starts again."""
        self._done(store)
        store.append(RUN, [Event(K.FILE_REQUEUED, at=10.0, path="a", reason="rerun")])
        seq = store.append_start(RUN, Event(K.RUN_STARTED, at=11.0, worker_id=OTHER))
        assert seq == store.last_seq(RUN)
        assert kinds(store)[-1] is K.RUN_STARTED

    def test_an_unknown_run_is_not_found(self, store: JournalStore) -> None:
        with pytest.raises(RunNotFoundError):
            store.append_start("nope", Event(K.RUN_STARTED, at=1.0))


class TestSelectingItems:
    """``item_statuses`` and ``batch_items`` read the items table; each must agree with a journal replay."""

    ODD = "caf\udce9.txt"  # a file name that is not valid UTF-8

    def _ran(self, store: JournalStore) -> tuple[str, str, str]:
        """Batch 1 ran a, b (b failed), c went back; batch 2 ran c, d (failed), e (held); b re-ran last."""
        with_items(store, "a", "b", "c", "d", "e", self.ODD)
        first = store.claim(RUN, WORKER, 3, 30)
        assert first is not None
        failed_b = Event(K.FILE_FAILED, at=5.0, path="b", error_type="E", worker_id=WORKER)
        store.report_and_release(first, [*ok(first, "a"), failed_b])
        second = store.claim(RUN, WORKER, 3, 30)
        assert second is not None
        assert [i.key for i in second.items] == ["c", "d", "e"]
        failed_d = Event(K.FILE_FAILED, at=5.0, path="d", error_type="E", worker_id=WORKER)
        store.report(second, [*ok(second, "c"), failed_d])
        third = store.claim(RUN, OTHER, 5, 30)
        assert third is not None
        assert [i.key for i in third.items] == [self.ODD]
        store.report_and_release(third, ok(third, self.ODD))
        store.append(RUN, [Event(K.FILE_REQUEUED, at=7.0, path="b", reason="rerun")])
        fourth = store.claim(RUN, OTHER, 5, 30)
        assert fourth is not None
        assert [i.key for i in fourth.items] == ["b"]
        store.report_and_release(fourth, ok(fourth, "b"))
        return first.batch_id, second.batch_id, fourth.batch_id

    def test_by_status_and_by_key(self, store: JournalStore) -> None:
        """Failed items by status; listed keys with their status (unknown keys left out, odd names kept)."""
        self._ran(store)
        assert store.item_statuses(RUN, status=FileStatus.FAILED) == {"d": FileStatus.FAILED}
        assert store.item_statuses(RUN, keys=["a", "zz", "e", self.ODD]) == {
            "a": FileStatus.SUCCEEDED,
            "e": FileStatus.IN_PROGRESS,
            self.ODD: FileStatus.SUCCEEDED,
        }
        assert store.item_statuses(RUN) == JournalStore.item_statuses(store, RUN)
        assert len(store.item_statuses(RUN)) == 6

    def test_a_batch_holds_the_items_it_last_started(self, store: JournalStore) -> None:
        """An item started again in a later batch belongs to that batch; an unknown batch is None."""
        first, second, fourth = self._ran(store)
        assert store.batch_items(RUN, first) == {"a": FileStatus.SUCCEEDED}
        assert store.batch_items(RUN, second) == {
            "c": FileStatus.SUCCEEDED,
            "d": FileStatus.FAILED,
            "e": FileStatus.IN_PROGRESS,
        }
        assert store.batch_items(RUN, fourth) == {"b": FileStatus.SUCCEEDED}
        for batch in (first, second, fourth, "no-such-batch"):
            assert store.batch_items(RUN, batch) == JournalStore.batch_items(store, RUN, batch)
        assert store.batch_items(RUN, "no-such-batch") is None

    def test_a_batch_whose_items_all_ran_again_is_known_but_empty(self, store: JournalStore) -> None:
        """Every item of the batch started again later: the batch exists, it holds nothing now."""
        first, _, _ = self._ran(store)
        store.append(RUN, [Event(K.FILE_REQUEUED, at=8.0, path="a", reason="rerun")])
        again = store.claim(RUN, WORKER, 1, 30)
        assert again is not None
        assert [i.key for i in again.items] == ["a"]
        assert store.batch_items(RUN, first) == {} == JournalStore.batch_items(store, RUN, first)

    def test_an_unknown_run_is_not_found(self, store: JournalStore) -> None:
        with pytest.raises(RunNotFoundError):
            store.item_statuses("nope")
        with pytest.raises(RunNotFoundError):
            store.batch_items("nope", "b")


class TestLatestBatches:
    """``latest_batches``: the last batches opened, oldest first, and how many there are."""

    def test_the_latest_opened_come_oldest_first_with_the_count(self, store: JournalStore) -> None:
        """Four batches opened by two workers: each limit gives the last ones in open order, the count 4."""
        with_items(store, *(f"k{i}" for i in range(8)))
        opened = []
        for worker in (WORKER, OTHER, WORKER, OTHER):
            lease = store.claim(RUN, worker, 2, 30)
            assert lease is not None
            opened.append(lease.batch_id)
        seqs = {e.batch_id: e.seq for e in store.read_events(RUN) if e.kind is K.BATCH_OPENED}
        every = [(batch, seqs[batch]) for batch in opened]
        for limit in (1, 3, 4, 10):
            assert store.latest_batches(RUN, limit) == (every[-limit:], 4)
            assert JournalStore.latest_batches(store, RUN, limit) == (every[-limit:], 4)
        assert store.latest_batches(RUN, 0) == ([], 4)

    def test_a_run_without_batches_has_none(self, store: JournalStore) -> None:
        """Items added but never claimed: no batch, a count of 0."""
        with_items(store, "a")
        assert store.latest_batches(RUN, 5) == ([], 0)

    def test_an_unknown_run_is_not_found(self, store: JournalStore) -> None:
        with pytest.raises(RunNotFoundError):
            store.latest_batches("nope", 5)


class TestReclaim:
    def test_reclaim_takes_back_expired_leases_only(self, store_factory: StoreFactory) -> None:
        """Expired leases lose their items to pending; a lease still live is untouched."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a", "b", "c")
        old = store.claim(RUN, WORKER, 2, 10)
        assert old is not None
        live = store.claim(RUN, OTHER, 1, 60)
        assert live is not None
        assert store.reclaim(RUN) == 0
        clock.advance(11)
        before = store.last_seq(RUN)
        assert store.reclaim(RUN) == 2
        events = list(store.read_events(RUN, after_seq=before))
        assert [(e.kind, e.path) for e in events if e.kind is K.FILE_INTERRUPTED] == [
            (K.FILE_INTERRUPTED, "a"),
            (K.FILE_INTERRUPTED, "b"),
        ]
        assert [e.batch_id for e in events if e.kind is K.BATCH_CLOSED] == [old.batch_id]
        assert [lease.lease_id for lease in store.leases(RUN)] == [live.lease_id]
        assert counts(store) == {"pending": 2, "in_progress": 1}

    def test_reclaim_by_dead_worker_takes_its_live_leases(self, store: JournalStore) -> None:
        """reclaim(worker_id=...) takes every lease of that worker, live or not, and no one else's."""
        with_items(store, "a", "b", "c")
        store.claim(RUN, WORKER, 1, 300)
        store.claim(RUN, WORKER, 1, 300)
        theirs = store.claim(RUN, OTHER, 1, 300)
        assert theirs is not None
        assert store.reclaim(RUN, worker_id=WORKER) == 2
        assert [lease.worker_id for lease in store.leases(RUN)] == [OTHER]
        assert counts(store) == {"pending": 2, "in_progress": 1}

    def test_reclaim_requeues_items_started_without_a_lease(self, store: JournalStore) -> None:
        """Items a crashed tracker journaled as started (no lease) go back to pending on reclaim(run_id)."""
        with_items(store, "a", "b")
        store.append(RUN, [Event(K.FILE_STARTED, at=2.0, path="a", batch_id="b1")])
        assert store.reclaim(RUN, worker_id=WORKER) == 0  # a named worker only loses its own leases
        assert store.reclaim(RUN) == 1
        assert counts(store) == {"pending": 2}
        assert kinds(store)[-1] is K.FILE_INTERRUPTED

    def test_reclaimed_items_are_claimed_again(self, store_factory: StoreFactory) -> None:
        """After a reclaim the requeued items are handed to the next claimer, oldest first."""
        store = store_factory()
        with_items(store, "a", "b", "c")
        store.claim(RUN, WORKER, 2, 10)
        store_factory.clock.advance(10)
        store.reclaim(RUN)
        lease = store.claim(RUN, OTHER, 5, 10)
        assert lease is not None
        assert [i.key for i in lease.items] == ["a", "b", "c"]


class TestWorkers:
    def test_register_then_refresh(self, store_factory: StoreFactory) -> None:
        """Registering records host, pid and times; registering again keeps started_at, moves last_seen."""
        store, clock = store_factory(), store_factory.clock
        make_run(store)
        first = store.register_worker(RUN, WORKER, host="host-a", pid=101)
        assert (first.worker_id, first.run_id, first.host, first.pid) == (WORKER, RUN, "host-a", 101)
        assert first.started_at == first.last_seen == clock.time()
        clock.advance(5)
        again = store.register_worker(RUN, WORKER, host="host-a", pid=101)
        assert (again.started_at, again.last_seen) == (first.started_at, first.started_at + 5)
        assert store.workers(RUN) == [again]

    def test_workers_show_live_leases_and_items_done(self, store_factory: StoreFactory) -> None:
        """workers() counts each worker's unexpired leases and the items it finished."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a", "b", "c", "d")
        store.register_worker(RUN, WORKER, host="host-a", pid=101)
        clock.advance(1)
        store.register_worker(RUN, OTHER, host="host-b", pid=202)
        mine = store.claim(RUN, WORKER, 2, 100)
        assert mine is not None
        store.claim(RUN, WORKER, 1, 10)
        store.report(mine, ok(mine, "a", "b"))
        clock.advance(10)  # the second lease expires
        by_id = {w.worker_id: w for w in store.workers(RUN)}
        assert [w.worker_id for w in store.workers(RUN)] == [WORKER, OTHER]
        assert (by_id[WORKER].leases, by_id[WORKER].items_done) == (1, 2)
        assert (by_id[OTHER].leases, by_id[OTHER].items_done) == (0, 0)

    def test_first_claim_registers_the_worker(self, store: JournalStore) -> None:
        """A worker that claims before registering appears in workers() with host and pid from its id."""
        with_items(store, "a")
        store.claim(RUN, WORKER, 1, 30)
        (worker,) = store.workers(RUN)
        assert (worker.worker_id, worker.host, worker.pid, worker.leases) == (WORKER, "host-a", 101, 1)


def snapshot(at: float, *checks: tuple[str, str], payload: str = "{}") -> HealthSnapshotRow:
    """Build a snapshot whose checks have the given names and statuses."""
    rows = tuple(
        HealthCheckRow(name=name, status=status, critical=name == "db", latency_ms=1.5)
        for name, status in checks
    )
    return HealthSnapshotRow(taken_at=at, status="healthy", checks=rows, payload_json=payload)


class TestHealthHistory:
    def test_every_backend_keeps_both_contracts(self, store: HealthHistoryStore) -> None:
        """A backend is a journal store and a health-history store at once (what open_store returns)."""
        assert isinstance(store, JournalStore)
        assert isinstance(store, HealthHistoryStore)
        assert isinstance(store, Store)

    def test_record_and_read_back_every_field(self, store: HealthHistoryStore) -> None:
        """A recorded snapshot reads back with its id, payload and every check field."""
        check = HealthCheckRow(
            name="db",
            status="degraded",
            critical=True,
            latency_ms=12.5,
            error="slow",
            observed_value=87.5,
            observed_unit="percent",
            breaker_state="half_open",
        )
        sent = HealthSnapshotRow(taken_at=100.0, status="degraded", checks=(check,), payload_json='{"a": 1}')
        snapshot_id = store.record_health(sent)
        ((got, got_check),) = store.health_history()
        assert got_check == check
        assert got == HealthSnapshotRow(
            taken_at=100.0,
            status="degraded",
            checks=(check,),
            payload_json='{"a": 1}',
            snapshot_id=snapshot_id,
        )

    def test_history_filters_by_time_and_name(self, store: HealthHistoryStore) -> None:
        """History is in time order, bounded by since/until inclusive, and narrowed to one check name."""
        for at in (30.0, 10.0, 20.0):
            store.record_health(snapshot(at, ("db", "healthy"), ("cache", "unhealthy")))
        everything = store.health_history()
        assert [(s.taken_at, c.name) for s, c in everything] == [
            (10.0, "db"),
            (10.0, "cache"),
            (20.0, "db"),
            (20.0, "cache"),
            (30.0, "db"),
            (30.0, "cache"),
        ]
        assert [s.taken_at for s, _ in store.health_history(since=20.0, name="cache")] == [20.0, 30.0]
        assert [s.taken_at for s, _ in store.health_history(until=20.0, name="db")] == [10.0, 20.0]
        assert store.health_history(name="queue") == []
        assert store.health_history(since=31.0) == []
        pairs = store.health_history(since=15.0, until=25.0, name="db")
        assert [(s.taken_at, c.name) for s, c in pairs] == [(20.0, "db")]
        assert len(pairs[0][0].checks) == 2  # the snapshot keeps all its checks

    def test_a_nan_latency_or_observed_value_reads_back_as_none(self, store: HealthHistoryStore) -> None:
        """NaN (which SQLite cannot keep) is stored as none by every backend; infinity is kept."""
        nan, inf = float("nan"), float("inf")
        checks = (
            HealthCheckRow(name="db", status="healthy", critical=True, latency_ms=nan, observed_value=nan),
            HealthCheckRow(
                name="disk", status="degraded", critical=False, latency_ms=2.5, observed_value=inf
            ),
        )
        store.record_health(HealthSnapshotRow(taken_at=1.0, status="degraded", checks=checks))
        got = {c.name: (c.latency_ms, c.observed_value) for _, c in store.health_history()}
        assert got == {"db": (None, None), "disk": (2.5, inf)}

    def test_a_huge_check_error_is_clipped(self, store: HealthHistoryStore) -> None:
        """A check's error message is kept to ERROR_MESSAGE_LIMIT characters by every backend."""
        check = HealthCheckRow(name="db", status="unhealthy", critical=True, error="x" * 100_000)
        store.record_health(HealthSnapshotRow(taken_at=1.0, status="unhealthy", checks=(check,)))
        ((_, got),) = store.health_history()
        assert got.error is not None
        assert got.error.startswith("xxx")
        assert len(got.error) <= ERROR_MESSAGE_LIMIT

    def test_prune_deletes_older_snapshots(self, store: HealthHistoryStore) -> None:
        """Pruning removes snapshots taken before the cutoff with their checks, and says how many."""
        ids = [store.record_health(snapshot(at, ("db", "healthy"))) for at in (1.0, 2.0, 3.0)]
        assert len(set(ids)) == 3
        assert store.prune_health(older_than=3.0) == 2
        assert [s.taken_at for s, _ in store.health_history()] == [3.0]
        assert store.prune_health(older_than=3.0) == 0


def rollup(name: str, resolution: str, start: float, **fields: object) -> HealthRollupRow:
    """Build a rollup row (counts default to zero)."""
    return HealthRollupRow(name, resolution, start, **fields)  # type: ignore[arg-type]


class TestHealthRollups:
    def test_adding_a_bucket_twice_adds_counts_and_bins(self, store: HealthHistoryStore) -> None:
        """Two rows of one check and bucket sum every count, the latency sum and each latency bin."""
        store.add_health_rollups(
            [rollup("db", "minute", 60.0, total=2, up=1, latency_count=2, latency_sum_ms=3.0,
                    latency_bins=((5, 1), (9, 1)))]
        )  # fmt: skip
        store.add_health_rollups(
            [rollup("db", "minute", 60.0, total=1, up=1, maintenance=4, latency_count=1, latency_sum_ms=2.5,
                    latency_bins=((9, 1), (12, 1)))]
        )  # fmt: skip
        assert store.health_rollups(resolution="minute") == [
            rollup("db", "minute", 60.0, total=3, up=2, maintenance=4, latency_count=3, latency_sum_ms=5.5,
                   latency_bins=((5, 1), (9, 2), (12, 1)))
        ]  # fmt: skip

    def test_rollups_filter_by_resolution_range_and_name(self, store: HealthHistoryStore) -> None:
        """Reading returns one resolution, since <= bucket_start < until, one name, by name then time."""
        store.add_health_rollups(
            [rollup(name, res, start, total=1) for name in ("web", "db") for res in ("minute", "hour")
             for start in (0.0, 3600.0, 7200.0)]
        )  # fmt: skip
        got = store.health_rollups(resolution="hour", since=3600.0, until=7200.0)
        assert [(r.name, r.resolution, r.bucket_start) for r in got] == [
            ("db", "hour", 3600.0),
            ("web", "hour", 3600.0),
        ]
        assert [r.bucket_start for r in store.health_rollups(resolution="minute", name="web")] == [
            0.0,
            3600.0,
            7200.0,
        ]

    def test_summary_adds_a_range_per_check(self, store: HealthHistoryStore) -> None:
        """The summary of a range is one row per check with counts and bins added over its buckets."""
        store.add_health_rollups(
            [
                rollup("db", "hour", 0.0, total=5, up=5, latency_count=1, latency_sum_ms=1.0,
                       latency_bins=((1, 1),)),
                rollup("db", "hour", 3600.0, total=4, up=1, latency_count=2, latency_sum_ms=4.0,
                       latency_bins=((1, 1), (3, 1))),
                rollup("db", "hour", 7200.0, total=3, up=3),
                rollup("web", "hour", 3600.0, total=2, up=0, maintenance=1),
                rollup("web", "day", 0.0, total=99),
            ]
        )  # fmt: skip
        assert store.summarize_health_rollups(resolution="hour", since=0.0, until=7200.0) == [
            rollup("db", "hour", 0.0, total=9, up=6, latency_count=3, latency_sum_ms=5.0,
                   latency_bins=((1, 2), (3, 1))),
            rollup("web", "hour", 0.0, total=2, up=0, maintenance=1),
        ]  # fmt: skip
        assert store.summarize_health_rollups(resolution="minute", since=0.0) == []

    def test_prune_deletes_one_resolution_before_the_cutoff(self, store: HealthHistoryStore) -> None:
        """Pruning minutes before a cutoff keeps later minutes and every hour, and says how many went."""
        store.add_health_rollups(
            [rollup("db", res, start, total=1, latency_count=1, latency_sum_ms=1.0, latency_bins=((2, 1),))
             for res in ("minute", "hour") for start in (0.0, 60.0, 120.0)]
        )  # fmt: skip
        assert store.prune_health_rollups("minute", 120.0) == 2
        assert [r.bucket_start for r in store.health_rollups(resolution="minute")] == [120.0]
        assert len(store.health_rollups(resolution="hour")) == 3
        summary = store.summarize_health_rollups(resolution="minute", since=0.0)
        assert summary[0].latency_bins == ((2, 1),)  # the pruned buckets' bins went with them


class TestHealthAlerts:
    def test_alerts_read_back_in_time_order_filtered(self, store: HealthHistoryStore) -> None:
        """Recorded alerts come back oldest first with their ids, narrowed by time and check name."""
        first = HealthAlertRow(20.0, "db", "resolved", "ops", "sent", 1)
        second = HealthAlertRow(10.0, "db", "down", "ops", "failed", 3, "timed out after 2s")
        third = HealthAlertRow(15.0, "web", "down", "ops", "muted")
        ids = [store.record_health_alert(alert) for alert in (first, second, third)]
        assert len(set(ids)) == 3
        got = store.health_alerts()
        assert [(a.at, a.name, a.kind, a.outcome, a.attempts, a.error) for a in got] == [
            (10.0, "db", "down", "failed", 3, "timed out after 2s"),
            (15.0, "web", "down", "muted", 0, None),
            (20.0, "db", "resolved", "sent", 1, None),
        ]
        assert got[0].alert_id == ids[1]
        assert [a.at for a in store.health_alerts(name="db", since=15.0)] == [20.0]
        assert [a.at for a in store.health_alerts(until=15.0)] == [10.0, 15.0]

    def test_pruning_the_history_prunes_old_alerts(self, store: HealthHistoryStore) -> None:
        """prune_health deletes alerts from before the cutoff too."""
        for at in (1.0, 5.0):
            store.record_health_alert(HealthAlertRow(at, "db", "down", "ops", "sent", 1))
        store.prune_health(older_than=3.0)
        assert [a.at for a in store.health_alerts()] == [5.0]


class TestHeartbeats:
    def test_the_latest_heartbeat_is_kept_and_beats_counted(self, store: HealthHistoryStore) -> None:
        """Three heartbeats, one arriving late with an older time: the newest time and its message stay."""
        assert store.last_heartbeat("nightly") is None
        store.record_heartbeat("nightly", 10.0, "first")
        store.record_heartbeat("nightly", 30.0, "third")
        store.record_heartbeat("nightly", 20.0, "second, late")
        store.record_heartbeat("other", 5.0)
        assert store.last_heartbeat("nightly") == HeartbeatRow("nightly", 30.0, "third", 3)
        assert store.last_heartbeat("other") == HeartbeatRow("other", 5.0, None, 1)


class TestLifecycle:
    def test_close_is_idempotent_and_context_manager_closes(self, store_factory: StoreFactory) -> None:
        """close() can be called twice; leaving a with-block closes the store and data stays."""
        with store_factory() as store:
            make_run(store)
        store.close()
        assert store_factory().get_run(RUN).run_id == RUN


class TestDurability:
    def test_sigkill_loses_nothing_acknowledged(self, store_factory: StoreFactory) -> None:
        """A writer killed with SIGKILL mid-stream loses no event whose append had returned."""
        make_run(store_factory())
        script = textwrap.dedent(
            f"""
            import sys
            from omnimemory_kit.events import Event, EventKind
            from omnimemory_kit.store import open_store
            store = open_store({store_factory.url!r})
            n = 0
            while True:
                batch = [Event(EventKind.FILE_ADDED, at=1.0, path=f"f{{n + i}}", size=1) for i in range(50)]
                seq = store.append({RUN!r}, batch)
                n += 50
                print(seq, flush=True)
            """
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True
        ) as child:
            assert child.stdout is not None
            acknowledged = 0
            for _ in range(40):
                acknowledged = int(child.stdout.readline())
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        reopened = store_factory()
        events = list(reopened.read_events(RUN))
        assert len(events) >= acknowledged
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert [e.path for e in events[1:acknowledged]] == [f"f{i}" for i in range(acknowledged - 1)]
        assert counts(reopened) == {"pending": len(events) - 1}
