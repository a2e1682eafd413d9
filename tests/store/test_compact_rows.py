"""A run of item events kept as one SQLite row (schema versions 7 and 8) reads as the events it stands for.

The reference is the same journal written a row per event: a PostgreSQL store, or the SQLite file taken
back to version 6 (``old_schema.downgrade_to_version_6`` expands every run's row) and opened read-only.
Every read (``read_events`` with any cursor and limit, ``read_events_matching`` with any range, kind and
worker, ``read_event_rows``, the report's sums) must give the same events, seqs dense.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnimemory_kit.events import Event, EventKind, ItemRun
from omnimemory_kit.store import RunRecord, WorkItem, open_store
from omnimemory_kit.store.blocks import encode_block
from omnimemory_kit.store.sqlite import SQLiteStore
from omnimemory_kit.text import to_stored
from tests.store.old_schema import downgrade_to_version_6, downgrade_to_version_7

RUN = "run-1"
K = EventKind


def _journal(store: SQLiteStore) -> None:
    """Adds (a chunk and a block), claims, reports of runs of successes from two workers, odd events."""
    store.create_run(RunRecord(run_id=RUN, name="compact"))
    store.add_items(RUN, [WorkItem(f"k{i:02d}", i) for i in range(12)], at=100.0)
    store.add_item_blocks(RUN, [encode_block([(f"b{i:02d}", 3 * i) for i in range(8)])], at=101.0)
    store.add_items(RUN, [WorkItem("caf\udce9", 1)], at=102.0)  # a key in its stored form
    for worker, at in (("w1", 200.0), ("w2", 300.0)):
        lease = store.claim(RUN, worker, 7, 60)
        assert lease is not None
        keys = [item.key for item in lease.items]
        outcomes = [
            Event(K.FILE_SUCCEEDED, at=at + i, path=key, worker_id=worker) for i, key in enumerate(keys)
        ]
        outcomes[2] = Event(K.FILE_FAILED, at=at + 2, path=keys[2], error_type="E", worker_id=worker)
        store.report_and_release(lease, outcomes, [Event(K.BATCH_CLOSED, at=at + 9, worker_id=worker)])
    lease = store.claim(RUN, "w1", 100, 60)
    assert lease is not None
    store.report(
        lease, [Event(K.FILE_SUCCEEDED, at=400.0 + i, path=item.key) for i, item in enumerate(lease.items)]
    )
    # verdicts (version 8): a worker's run of them, a mismatch within it, another worker's run over part of
    # the same items, then a fixed item validated again and a validated one found mismatched since
    done = [e.path for e in store.read_events(RUN) if e.kind is K.FILE_SUCCEEDED and e.path is not None]
    verdicts = [Event(K.ITEM_VALIDATED, at=500.0 + i, path=key, worker_id="v1") for i, key in enumerate(done)]
    verdicts = verdicts[:8]
    verdicts[3] = Event(K.ITEM_MISMATCHED, at=503.0, path=done[3], error_message="differs",
                        reason='{"expected": 1, "actual": 2}', worker_id="v1")  # fmt: skip
    store.append(RUN, verdicts)
    store.append(RUN, [Event(K.ITEM_VALIDATED, at=600.0 + i, path=key, worker_id="v2")
                       for i, key in enumerate(done[5:12])])  # fmt: skip
    store.append(
        RUN,
        [
            Event(K.ITEM_VALIDATED, at=700.0, path=done[3], worker_id="v1"),
            Event(K.ITEM_VALIDATION_ERROR, at=701.0, path=done[0], error_type="OSError", worker_id="v1"),
        ],
    )


@pytest.fixture
def compact(tmp_path: Path) -> tuple[Path, Path]:
    """A SQLite journal as version 7 writes it, and the same journal taken back to a row per event."""
    path = tmp_path / "compact.db"
    with open_store(path) as store:
        assert isinstance(store, SQLiteStore)
        _journal(store)
    expanded = tmp_path / "expanded.db"
    shutil.copy(path, expanded)
    downgrade_to_version_6(expanded)
    return path, expanded


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def test_runs_of_item_events_take_one_row_each(compact: tuple[Path, Path]) -> None:
    """Each chunk of adds, each claim's starts and each run of successes is one row, not one per event."""
    path, expanded = compact
    with open_store(path, read_only=True) as store:
        events = list(store.read_events(RUN))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert _rows(expanded) == len(events)
    assert _rows(path) < len(events) / 3


def test_every_read_gives_the_events_a_row_each_gives(compact: tuple[Path, Path]) -> None:
    """The whole journal, its rows for reports, and its store-summed report, event for event."""
    path, expanded = compact
    with open_store(path, read_only=True) as new, open_store(expanded, read_only=True) as old:
        assert list(new.read_events(RUN)) == list(old.read_events(RUN))
        assert list(new.read_event_rows(RUN)) == list(old.read_event_rows(RUN))
        assert new.report_aggregates(RUN, origin=0.0, bucket_seconds=7.0, top=5) == old.report_aggregates(
            RUN, origin=0.0, bucket_seconds=7.0, top=5
        )
        assert new.status_facts(RUN, with_bytes=True) == old.status_facts(RUN, with_bytes=True)


@settings(max_examples=60, deadline=None)
@given(after=st.integers(0, 90), limit=st.one_of(st.none(), st.integers(1, 20)), data=st.data())
def test_reads_from_inside_a_row(tmp_path_factory: pytest.TempPathFactory, after: int, limit: int | None,
                                 data: st.DataObject) -> None:  # fmt: skip
    """A cursor, a limit or a range that falls inside a run's row reads exactly the events it names."""
    folder = tmp_path_factory.mktemp("inside")
    path = folder / "compact.db"
    with open_store(path) as store:
        assert isinstance(store, SQLiteStore)
        _journal(store)
    with open_store(path, read_only=True) as store:
        every = list(store.read_events(RUN))
        picked = list(store.read_events(RUN, after_seq=after, limit=limit))
        wanted = [e for e in every if e.seq > after]
        assert picked == (wanted if limit is None else wanted[:limit])
        until = data.draw(st.one_of(st.none(), st.integers(after, 100)))
        worker = data.draw(st.sampled_from([None, "w1", "w2", "v1", "v2"]))
        kinds = data.draw(st.one_of(st.none(), st.sets(st.sampled_from(list(K)), min_size=1)))
        matching = list(store.read_events_matching(RUN, after_seq=after, until_seq=until, worker_id=worker,
                                                   kinds=kinds))  # fmt: skip
        assert matching == [
            e
            for e in every
            if e.seq > after
            and (until is None or e.seq <= until)
            and (worker is None or e.worker_id == worker)
            and (kinds is None or e.kind in kinds)
        ]


def test_an_upgraded_store_reads_old_rows_and_writes_new_ones(compact: tuple[Path, Path]) -> None:
    """A version 6 journal opened to write keeps its rows, and what follows is written in runs."""
    path, expanded = compact
    with open_store(path, read_only=True) as store:
        before = list(store.read_events(RUN))
    with open_store(expanded) as store:
        assert list(store.read_events(RUN)) == before
        rows = _rows(expanded)
        store.add_items(RUN, [WorkItem(f"n{i}", i) for i in range(5)], at=500.0)
        lease = store.claim(RUN, "w3", 50, 60)
        assert lease is not None
        after = list(store.read_events(RUN, after_seq=before[-1].seq))
    assert _rows(expanded) == rows + 3  # one row each: the adds, the BATCH_OPENED, the starts
    assert [e.seq for e in after] == list(range(before[-1].seq + 1, before[-1].seq + len(after) + 1))
    assert [e.kind for e in after].count(K.FILE_STARTED) == len(lease.items)
    assert {e.path for e in after if e.kind is K.FILE_STARTED} == {item.key for item in lease.items}


def test_runs_of_verdicts_take_one_row_and_count_as_verdicts(compact: tuple[Path, Path]) -> None:
    """Version 8: a worker's run of ITEM_VALIDATED is one row; status counts each item's latest verdict."""
    path, expanded = compact
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT count(*) FROM events WHERE kind = 'item_validated'").fetchone()[0]
    with open_store(path, read_only=True) as store:
        validated = [e for e in store.read_events(RUN) if e.kind is K.ITEM_VALIDATED]
        facts = store.status_facts(RUN)
        judged = [K.ITEM_VALIDATED, K.ITEM_MISMATCHED]
        latest = list(store.read_events_matching(RUN, after_seq=0, kinds=judged))
    # v1's runs of 3 and 4 (its mismatch between them is a row of its own), v2's run of 7, and a lone one
    assert len(validated) == 15
    assert rows == 4
    with open_store(expanded, read_only=True) as old:
        assert latest == [e for e in old.read_events(RUN) if e.kind in judged]
    # 12 items judged: done[0] errored since, done[3] fixed, the rest validated
    assert facts.verdicts == {K.ITEM_VALIDATED: 11, K.ITEM_VALIDATION_ERROR: 1}
    assert [(e.kind, e.error_type) for e in facts.flagged] == [(K.ITEM_VALIDATION_ERROR, "OSError")]


def test_a_version_7_store_reads_its_verdict_rows_and_writes_runs_of_them(compact: tuple[Path, Path]) -> None:
    """A store of version 7 (a row per verdict) reads the same, and is upgraded to write runs of verdicts."""
    path, _ = compact
    with open_store(path, read_only=True) as store:
        before = list(store.read_events(RUN))
        facts = store.status_facts(RUN)
    downgrade_to_version_7(path)
    with open_store(path, read_only=True) as store:
        assert list(store.read_events(RUN)) == before
        assert store.status_facts(RUN) == facts
    rows = _rows(path)
    with open_store(path) as store:
        assert store.schema_version == 8
        done = [e.path for e in before if e.kind is K.FILE_SUCCEEDED and e.path is not None]
        store.append(RUN, [Event(K.ITEM_VALIDATED, at=800.0 + i, path=key, worker_id="v3")
                           for i, key in enumerate(done)])  # fmt: skip
        assert store.status_facts(RUN).verdicts == {K.ITEM_VALIDATED: len(done)}
    assert _rows(path) == rows + 1


def test_a_mix_of_many_short_stretches_goes_in_row_by_row(tmp_path: Path) -> None:
    """Starts and outcomes alternating (a journal appended event by event) are a row each, read back as
    appended; a statement per stretch of one plain event would cost more than the row."""
    path = tmp_path / "mix.db"
    with open_store(path) as store:
        store.create_run(RunRecord(run_id=RUN, name="mix"))
        store.add_items(RUN, [WorkItem(f"k{i:02d}") for i in range(20)], at=1.0)
        rows = _rows(path)
        mix: list[Event] = []
        for i in range(20):
            mix.append(Event(K.FILE_STARTED, at=2.0, path=f"k{i:02d}", batch_id="b", worker_id="w"))
            mix.append(Event(K.FILE_SUCCEEDED, at=3.0 + i, path=f"k{i:02d}", worker_id="w"))
        last = store.append(RUN, mix)
        back = list(store.read_events(RUN, after_seq=last - len(mix)))
    assert _rows(path) == rows + len(mix)
    assert [(e.kind, e.at, e.path, e.batch_id, e.worker_id) for e in back] == [
        (e.kind, e.at, e.path, e.batch_id, e.worker_id) for e in mix
    ]


def test_verdicts_with_a_mismatch_now_and_then_keep_their_runs_of_validated_items(tmp_path: Path) -> None:
    """A batch's verdicts with a mismatch every tenth item: each run of validated items is still one row."""
    path = tmp_path / "verdicts.db"
    keys = [f"k{i:02d}" for i in range(50)]
    with open_store(path) as store:
        store.create_run(RunRecord(run_id=RUN, name="verdicts"))
        rows = _rows(path)
        verdicts = [
            Event(K.ITEM_MISMATCHED, at=5.0 + i, path=key, error_message="differs", worker_id="w")
            if i % 10 == 9
            else Event(K.ITEM_VALIDATED, at=5.0 + i, path=key, worker_id="w")
            for i, key in enumerate(keys)
        ]
        last = store.append(RUN, [*verdicts, Event(K.BATCH_CLOSED, at=60.0, batch_id="b", worker_id="w")])
        back = list(store.read_events(RUN, after_seq=last - len(verdicts) - 1))
    assert _rows(path) == rows + 5 + 5 + 1  # five runs of nine validated, five mismatches, the close
    assert [(e.kind, e.at, e.path) for e in back[:-1]] == [(e.kind, e.at, e.path) for e in verdicts]


def test_a_released_run_of_verdicts_is_one_row_that_reads_back_as_its_events(tmp_path: Path) -> None:
    """A batch's valid verdicts handed as keys (``ItemRun``) take one row beside the close, read back in
    order with each key's own time; a run of one verdict is a row like any lone event."""
    path = tmp_path / "run.db"
    keys = [f"k{i:02d}" for i in range(6)]
    with open_store(path) as store:
        assert store.takes_verdict_runs
        store.create_run(RunRecord(run_id=RUN, name="verdict runs"))
        store.add_items(RUN, [WorkItem(key) for key in keys], at=1.0)
        for pick in (keys[:5], keys[5:]):
            lease = store.claim(RUN, "w", len(pick), 60)
            assert lease is not None
            ats = [10.0 + i for i in range(len(pick))]
            run = ItemRun(K.ITEM_VALIDATED, max(ats), pick, worker_id="w", ats=ats)
            rows = _rows(path)
            before = store.last_seq(RUN)
            store.report_and_release(
                lease,
                [Event(K.FILE_SUCCEEDED, at=5.0, path=key, worker_id="w") for key in pick],
                [run, Event(K.BATCH_CLOSED, at=20.0, batch_id=lease.batch_id, worker_id="w")],
            )
            back = list(store.read_events(RUN, after_seq=before))
            # the successes' row, the verdicts' row (or the lone verdict's), the close
            assert _rows(path) == rows + 3
            assert [(e.kind, e.path, e.at) for e in back[len(pick) : -1]] == [
                (K.ITEM_VALIDATED, key, at) for key, at in zip(pick, ats, strict=True)
            ]
            assert [e.seq for e in back] == list(range(before + 1, before + 2 * len(pick) + 2))
        assert store.status_facts(RUN).verdicts == {K.ITEM_VALIDATED: 6}


@pytest.mark.parametrize("odd", ["caf\udce9.txt", "nul\x00key", "snow☃"])
def test_a_run_of_verdicts_keeps_keys_the_store_escapes(tmp_path: Path, odd: str) -> None:
    """A run of verdicts whose keys include one the store escapes (not valid UTF-8, a NUL) or one that is
    not ASCII is stored with each key in the store's form and reads back with every key as given."""
    keys = ["plain-1", odd, "plain-2"]
    with open_store(tmp_path / "run.db") as store:
        store.create_run(RunRecord(run_id=RUN, name="odd verdict keys"))
        store.add_items(RUN, [WorkItem(key) for key in keys], at=1.0)
        lease = store.claim(RUN, "w", len(keys), 60)
        assert lease is not None
        ats = [10.0, 11.0, 12.0]
        store.report_and_release(
            lease,
            [Event(K.FILE_SUCCEEDED, at=5.0, path=key, worker_id="w") for key in keys],
            [ItemRun(K.ITEM_VALIDATED, 12.0, keys, worker_id="w", ats=ats)],
        )
        back = [e for e in store.read_events(RUN) if e.kind is K.ITEM_VALIDATED]
    assert [(e.path, e.at) for e in back] == list(zip(keys, ats, strict=True))
    with sqlite3.connect(tmp_path / "run.db") as db:  # kept as the store keeps those keys everywhere
        (members,) = db.execute("SELECT members FROM events WHERE kind = 'item_validated'").fetchone()
    assert list(json.loads(members)) == [to_stored(key) for key in keys]
