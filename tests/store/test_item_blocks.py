"""Bulk adds of item blocks (``add_item_blocks``) on every backend: the same journal as ``add_items``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError, RunMismatchError, RunNotFoundError
from omnimemory_kit.events import EventKind
from omnimemory_kit.store import JournalStore, RunRecord, SQLiteStore, WorkItem, open_store
from omnimemory_kit.store.blocks import decode_block, encode_block, item_blocks

LATIN1 = os.fsdecode(b"caf\xe9.py")
# keys the SQLite block statement takes as they are, and keys it leaves to the checked path
PLAIN = [f"bucket/{i:04d}.json" for i in range(40)] + ["caf\u00e9.txt", "\u65e5\u672c.txt", "123"]
ODD = [LATIN1, "nul\x00.txt", "\ufffdmarker.py", "back\\slash.py", 'quo"te.py', "new\nline.py"]


def _run(store: JournalStore, run_id: str) -> None:
    store.create_run(RunRecord(run_id=run_id, name=run_id, source="/src", function="m:f"))


def _added(store: JournalStore, run_id: str) -> list[tuple[int, str | None, int | None]]:
    """Return (seq, key, size) of the run's FILE_ADDED events."""
    return [(e.seq, e.path, e.size) for e in store.read_events(run_id) if e.kind is EventKind.FILE_ADDED]


def _counts(store: JournalStore, run_id: str) -> dict[str, int]:
    return {status.value: n for status, n in store.item_counts(run_id).items() if n}


def _claimed(store: JournalStore, run_id: str) -> list[tuple[str, int]]:
    lease = store.claim(run_id, "host:1:t", limit=1000, lease_seconds=60)
    assert lease is not None
    return [(item.key, item.size) for item in lease.items]


def _same_as_add_items(store: JournalStore, batches: list[list[tuple[str, int]]], per_block: int) -> None:
    """Add ``batches`` through add_items (one call each) and through blocks; compare all they wrote."""
    _run(store, "items")
    _run(store, "blocks")
    by_items = [store.add_items("items", [WorkItem(k, s) for k, s in batch], at=1.0) for batch in batches]
    by_blocks = [store.add_item_blocks("blocks", item_blocks(batch, per_block), at=1.0) for batch in batches]
    assert by_blocks == by_items
    assert _added(store, "blocks") == _added(store, "items")
    assert _counts(store, "blocks") == _counts(store, "items")
    assert store.last_seq("blocks") == store.last_seq("items")
    assert _claimed(store, "blocks") == _claimed(store, "items")


class TestLikeAddItems:
    """Blocks write exactly what add_items writes for the same items."""

    def test_new_keys_in_blocks_of_any_size(self, store: JournalStore) -> None:
        """Plain keys (non-ASCII, digits only) in several blocks journal one FILE_ADDED each, in order."""
        _same_as_add_items(store, [[(k, i) for i, k in enumerate(PLAIN)]], per_block=7)

    def test_repeated_and_known_keys_are_added_once(self, store: JournalStore) -> None:
        """A key repeated in a block or a later one, or already in the run, counts once (first size wins)."""
        first = [("a", 1), ("b", 2), ("a", 9), ("c", 3)]
        second = [("d", 4), ("b", 8), ("e", 5), ("e", 6), ("f", 7)]
        _same_as_add_items(store, [first, second, second], per_block=3)

    def test_odd_keys_are_stored_as_add_items_stores_them(self, store: JournalStore) -> None:
        """Undecodable, NUL, marker, backslash, quote and newline keys among plain ones round-trip exactly."""
        keys = [k for pair in zip(PLAIN, ODD, strict=False) for k in pair]
        _same_as_add_items(store, [[(k, 1) for k in keys]], per_block=4)
        assert {key for _, key, _ in _added(store, "blocks")} >= set(ODD)

    def test_adding_again_adds_nothing(self, store: JournalStore) -> None:
        """The same blocks added again (a resumed create-only) add nothing and journal nothing."""
        _run(store, "r")
        pairs = [(k, 1) for k in PLAIN]
        assert store.add_item_blocks("r", item_blocks(pairs, 10), at=1.0) == len(PLAIN)
        last = store.last_seq("r")
        assert store.add_item_blocks("r", item_blocks(pairs, 10), at=2.0) == 0
        assert store.last_seq("r") == last
        assert store.add_item_blocks("r", iter([]), at=3.0) == 0


def _then_fail(blocks: list[str]) -> Iterator[str]:
    yield from blocks
    raise ConfigError("manifest 'm.csv' line 99: size 'x' is not a whole number of bytes")


class TestAllOrNothing:
    """A bad block, or a stream of blocks that raises, adds nothing at all."""

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ('{"x":-1}', "negative size"),
            ('{"x":1.5}', "not a whole number"),
            ('{"x":"7"}', "not a whole number"),
            ('{"x":[1]}', "not a whole number"),
            ('{"x":true}', "not a whole number"),
            ('{"x":null}', "not a whole number"),
            ('{"":1}', "empty key"),
            ('{"x":99999999999999999999}', "larger than any file"),
            ('{"x":1', "not JSON"),
            ('[["x",1]]', "JSON object"),
        ],
    )
    def test_a_malformed_block_after_good_ones(self, store: JournalStore, bad: str, message: str) -> None:
        """The error names what is wrong; the good blocks before it are not added either."""
        _run(store, "r")
        with pytest.raises(ConfigError, match=message):
            store.add_item_blocks("r", [encode_block([("a", 1), ("b", 2)]), bad], at=1.0)
        assert store.last_seq("r") == 1
        assert _counts(store, "r") == {}

    def test_a_stream_that_raises(self, store: JournalStore) -> None:
        """The source's error (a bad manifest line) comes through as it was, and nothing is added."""
        _run(store, "r")
        store.add_items("r", [WorkItem("old", 1)], at=1.0)
        with pytest.raises(ConfigError, match="line 99"):
            store.add_item_blocks("r", _then_fail(list(item_blocks([(k, 1) for k in PLAIN], 5))), at=2.0)
        assert [key for _, key, _ in _added(store, "r")] == ["old"]
        assert _counts(store, "r") == {"pending": 1}


class TestCreatedWithItems:
    """create_run_with_blocks records a new run and its items together, or neither."""

    def test_a_new_run_and_its_items(self, store: JournalStore) -> None:
        """RUN_CREATED comes first, then one FILE_ADDED per new item; the count says how many were new."""
        record = RunRecord(run_id="r", name="r", source="/src", function="m:f", created_at=5.0)
        pairs = [(k, i) for i, k in enumerate(PLAIN)] + [(PLAIN[0], 99)]
        created, added = store.create_run_with_blocks(record, item_blocks(pairs, 10), at=6.0)
        assert (created.run_id, created.source, created.created_at, added) == ("r", "/src", 5.0, len(PLAIN))
        assert store.get_run("r").function == "m:f"
        events = list(store.read_events("r"))
        assert (events[0].kind, events[0].seq, events[0].at) == (EventKind.RUN_CREATED, 1, 5.0)
        assert [(seq, key, size) for seq, key, size in _added(store, "r")] == [
            (i + 2, k, i) for i, k in enumerate(PLAIN)
        ]
        assert _counts(store, "r") == {"pending": len(PLAIN)}

    def test_a_bad_block_records_no_run(self, store: JournalStore) -> None:
        """A stream that raises after good blocks leaves no run; the id is free for a later creation."""
        record = RunRecord(run_id="r", name="r", source="/src", function="m:f")
        good = list(item_blocks([(k, 1) for k in PLAIN], 5))
        with pytest.raises(ConfigError, match="line 99"):
            store.create_run_with_blocks(record, _then_fail(good), at=1.0)
        with pytest.raises(ConfigError, match="negative size"):
            store.create_run_with_blocks(record, [*good, '{"x":-1}'], at=1.0)
        assert store.list_runs() == []
        with pytest.raises(RunNotFoundError):
            store.get_run("r")
        # another run takes the place the rolled-back one had: "r" must not be confused with it
        _run(store, "other")
        with pytest.raises(RunNotFoundError):
            store.item_counts("r")
        _, added = store.create_run_with_blocks(record, good[:1], at=2.0)
        assert added == 5
        assert [run.run_id for run in store.list_runs()] == ["other", "r"]
        assert [key for _, key, _ in _added(store, "r")] == PLAIN[:5]
        assert _added(store, "other") == []
        assert _counts(store, "other") == {}

    def test_an_existing_run_is_topped_up_all_or_nothing(self, store: JournalStore) -> None:
        """An existing run gets only its new items; a bad block leaves it as it was."""
        record = RunRecord(run_id="r", name="r", source="/src", function="m:f")
        store.create_run_with_blocks(record, [encode_block([("a", 1)])], at=1.0)
        with pytest.raises(ConfigError, match="line 99"):
            store.create_run_with_blocks(record, _then_fail([encode_block([("b", 2)])]), at=2.0)
        assert [key for _, key, _ in _added(store, "r")] == ["a"]
        again, added = store.create_run_with_blocks(record, [encode_block([("a", 7), ("c", 3)])], at=3.0)
        assert (again.run_id, added) == ("r", 1)
        assert [(key, size) for _, key, size in _added(store, "r")] == [("a", 1), ("c", 3)]
        assert [e.kind for e in store.read_events("r")].count(EventKind.RUN_CREATED) == 1
        assert _counts(store, "r") == {"pending": 2}

    def test_another_source_is_refused_before_the_blocks_are_read(self, store: JournalStore) -> None:
        """A reused run id with another source raises RunMismatchError and reads none of the blocks."""
        _run(store, "r")
        read: list[str] = []

        def blocks() -> Iterator[str]:
            read.append("read")
            yield encode_block([("a", 1)])

        other = RunRecord(run_id="r", name="r", source="/elsewhere", function="m:f")
        with pytest.raises(RunMismatchError, match="source"):
            store.create_run_with_blocks(other, blocks(), at=1.0)
        assert read == []
        assert _counts(store, "r") == {}


class TestBlocks:
    """The block format: encode and decode are inverses; repeated keys are kept in order."""

    def test_round_trip(self) -> None:
        """Every key (odd ones included) and size comes back, repeats in place."""
        pairs = [(k, i) for i, k in enumerate(PLAIN + ODD)] + [("a", 1), ("a", 2)]
        assert decode_block(encode_block(pairs)) == pairs
        assert decode_block("{}") == []

    def test_blocks_of_a_size(self) -> None:
        """item_blocks cuts a stream into blocks of the given size; the last one is shorter."""
        blocks = list(item_blocks([(str(i), i) for i in range(7)], 3))
        assert [len(decode_block(b)) for b in blocks] == [3, 3, 1]
        assert list(item_blocks([], 3)) == []


class TestSQLiteStatements:
    """SQLite adds a plain block's items with a statement read in C and journals it as one row; only an odd
    block goes row by row."""

    def test_plain_blocks_take_no_row_by_row_insert(self, tmp_path: Path) -> None:
        """Manifest-like blocks (non-ASCII keys unescaped) never bind a row per item; a repeat does."""
        with open_store(tmp_path / "j.db") as store:
            assert isinstance(store, SQLiteStore)
            _run(store, "r")
            statements: list[str] = []
            store._conn.set_trace_callback(statements.append)
            plain = ['{"caf\u00e9":1,"b":2}', '{"c":3,"\u65e5\u672c":4}']
            assert store.add_item_blocks("r", plain, at=1.0) == 4
            assert sum("json_each" in s and s.startswith("INSERT INTO items") for s in statements) == 2
            assert sum(s.startswith("INSERT INTO events") for s in statements) == 2  # a row per block
            statements.clear()
            assert store.add_item_blocks("r", ['{"d":5,"b":6}'], at=2.0) == 1  # "b" is known: checked path
            assert any("ROLLBACK TO" in s for s in statements)
            assert [(key, size) for _, key, size in _added(store, "r")] == [
                ("caf\u00e9", 1), ("b", 2), ("c", 3), ("\u65e5\u672c", 4), ("d", 5)
            ]  # fmt: skip
