"""Store-kept item bytes: exact after every kind of transition, on every backend, and after an upgrade.

``status --json`` shows the items' bytes per status. Backends keep them beside the item counts, in the same
statements (SQLite's ``item_counts``, PostgreSQL's ``run_counts``), so the status reads O(statuses) rows.
The reference is a recount over the items table itself; the kept figures are read from their own columns,
so a transition that forgets to move them fails here even though ``status_facts`` would look right on a
store that summed its items.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.rerun import requeue
from omnimemory_kit.store import JournalStore, RunRecord, WorkItem, open_store
from omnimemory_kit.store.blocks import encode_block
from tests.conftest import PG_DSN
from tests.store.old_schema import downgrade_postgres_to_version_5, downgrade_to_version_5

from .conftest import StoreFactory

RUN = "run-1"
K = EventKind
S = FileStatus
Weighed = tuple[dict[FileStatus, int], int]


def _size(i: int) -> int:
    return 0 if i % 5 == 0 else 7 * i + 3  # every fifth item without a size; no two sums alike


def _weighed(rows: Iterator[tuple[str, object, object]] | list[tuple[str, object, object]]) -> Weighed:
    nbytes = dict.fromkeys(FileStatus, 0)
    unsized = 0
    for status, size, zero in rows:
        nbytes[FileStatus(status)] += int(str(size or 0))
        unsized += int(str(zero or 0))
    return nbytes, unsized


def _split(url: str) -> tuple[str, str]:
    base, _, schema = url.partition("?schema=")
    return base, schema


def recount(url: str, run_id: str = RUN) -> Weighed:
    """Weigh the run's items from the items table of the backing database (bytes per status, unsized)."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(
                "SELECT i.status, sum(i.size), sum(i.size = 0) FROM items i "
                "JOIN runs r ON r.run_no = i.run_no WHERE r.run_id = ? GROUP BY i.status",
                (run_id,),
            ).fetchall()
        return _weighed(rows)
    base, schema = _split(url)
    with psycopg.connect(base) as conn:
        rows = conn.execute(
            f"SELECT status, sum(size), count(*) FILTER (WHERE size = 0) FROM {schema}.items "
            "WHERE run_id = %s GROUP BY status",
            (run_id,),
        ).fetchall()
    return _weighed(rows)


def kept(url: str, run_id: str = RUN) -> Weighed:
    """Read the bytes the store keeps, from their own columns (never from the items)."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(
                "SELECT c.status, c.bytes, c.unsized FROM item_counts c JOIN runs r ON r.run_no = c.run_no "
                "WHERE r.run_id = ?",
                (run_id,),
            ).fetchall()
        return _weighed(rows)
    base, schema = _split(url)
    statuses = [status.value for status in FileStatus]
    with psycopg.connect(base) as conn:
        row = conn.execute(
            "SELECT " + ", ".join(f"sum({status}_bytes)" for status in statuses) + ", sum(unsized) "
            f"FROM {schema}.run_counts WHERE run_id = %s",
            (run_id,),
        ).fetchone()
    assert row is not None
    return {FileStatus(s): int(n or 0) for s, n in zip(statuses, row[:5], strict=True)}, int(row[5] or 0)


def shown(store: JournalStore, run_id: str = RUN) -> Weighed:
    """Return the bytes ``status_facts`` gives (what ``status --json`` shows)."""
    facts = store.status_facts(run_id, with_bytes=True)
    assert facts.bytes_by_status is not None
    return dict(facts.bytes_by_status), facts.unsized


class Steps:
    """Write a run through every transition, checking after each that the kept bytes are the recount."""

    def __init__(self, store: JournalStore, url: str, clock: FakeClock) -> None:
        self.store, self.url, self.clock = store, url, clock
        self.checked: list[str] = []

    def check(self, what: str) -> None:
        weighed = recount(self.url)
        assert kept(self.url) == weighed, what
        assert shown(self.store) == weighed, what
        self.checked.append(what)

    def claim(self, worker: str, limit: int) -> list[str]:
        lease = self.store.claim(RUN, worker, limit, 30.0)
        assert lease is not None
        self.check(f"claim by {worker}")
        return [item.key for item in lease.items]

    def run(self) -> None:
        store, clock, at = self.store, self.clock, self.clock.time()
        store.create_run(RunRecord(run_id=RUN, name="weighed"))
        store.add_items(RUN, [WorkItem(f"k{i:02d}", _size(i)) for i in range(30)], at=at)
        self.check("add_items")
        store.add_items(RUN, [WorkItem("k00", 999), WorkItem("n00", 11), WorkItem("n01", 0)], at=at)
        self.check("add_items of a known key")
        store.add_item_blocks(RUN, [encode_block([(f"b{i:02d}", _size(i)) for i in range(10)])], at=at)
        self.check("a plain block")
        store.add_item_blocks(RUN, [encode_block([("c0", 5), ("c0", 50), ("k01", 500), ("c1", 0)])], at=at)
        self.check("a block with a repeated and a known key")
        store.append(
            RUN,
            [Event(K.FILE_ADDED, at, "a0", size=13), Event(K.FILE_ADDED, at, "k02", size=77)],
        )
        self.check("FILE_ADDED appended (one key known)")

        lease = store.claim(RUN, "h:1:one", 6, 30.0)
        assert lease is not None
        self.check("claim")
        a, b, c, d, e, _ = (item.key for item in lease.items)
        store.report(
            lease,
            [
                Event(K.FILE_SUCCEEDED, at, a),
                Event(K.FILE_FAILED, at, b, error_type="E"),
                Event(K.FILE_SKIPPED, at, c, reason="empty"),
                Event(K.FILE_RETRIED, at, d, error_type="Timeout"),  # still in progress
            ],
        )
        self.check("report: success, failure, skip, retry")
        store.report_and_release(lease, [Event(K.FILE_SUCCEEDED, at, d)], [Event(K.BATCH_CLOSED, at)])
        self.check("report and release of unfinished items")
        assert store.item_statuses(RUN, keys=[e])[e] is S.PENDING

        lease = store.claim(RUN, "h:1:one", 4, 30.0)
        assert lease is not None
        keys = [item.key for item in lease.items]
        _, claimed = store.report_release_and_claim(
            lease,
            [Event(K.FILE_SUCCEEDED, at, keys[0]), Event(K.FILE_FAILED, at, keys[1], error_type="E")],
            [Event(K.BATCH_CLOSED, at)],
            limit=5,
            lease_seconds=30.0,
        )
        assert claimed is not None
        self.check("report, release and claim in one")
        store.release(claimed)
        self.check("release of a whole lease")
        lease = store.claim(RUN, "h:1:one", 3, 30.0)
        assert lease is not None
        store.report_and_release(lease, [Event(K.FILE_SKIPPED, at, item.key) for item in lease.items])
        self.check("one outcome for every item of a lease")

        self.claim("h:2:dead", 3)
        assert store.reclaim(RUN, worker_id="h:2:dead") == 3
        self.check("reclaim of a dead worker's lease")
        self.claim("h:3:slow", 2)
        clock.advance(60.0)
        assert store.reclaim(RUN) == 2
        self.check("reclaim of an expired lease")

        pending = sorted(store.item_statuses(RUN, status=S.PENDING))
        store.append(
            RUN,
            [
                Event(K.FILE_STARTED, at, pending[0]),
                Event(K.FILE_SUCCEEDED, at, pending[0]),
                Event(K.FILE_STARTED, at, pending[1]),
                Event(K.FILE_SKIPPED, at, pending[2], reason="empty"),
                Event(K.FILE_STARTED, at, pending[3]),
            ],
        )
        self.check("lease-less starts and outcomes")
        assert store.reclaim(RUN) == 2  # pending[1] and pending[3], in progress at a crash
        self.check("reclaim of items in progress without a lease")

        failed = sorted(store.item_statuses(RUN, status=S.FAILED))
        store.append(RUN, [Event(K.FILE_RETRIED, at, failed[0])])
        self.check("retry of a failed item")
        finished = sorted(store.item_statuses(RUN, status=S.SUCCEEDED))
        assert requeue(store, RUN, [finished[0], failed[1]], at=at) == 2
        self.check("rerun of finished items")
        store.append(
            RUN,
            [
                Event(K.ITEM_VALIDATED, at, finished[1]),
                Event(K.ITEM_MISMATCHED, at, finished[2], error_message="differs"),
            ],
        )
        self.check("validation verdicts")
        store.append(
            RUN,
            [
                Event(K.FILE_ADDED, at, "late", size=21),
                Event(K.FILE_STARTED, at, "late"),
                Event(K.FILE_FAILED, at, "late", error_type="E"),
                Event(K.FILE_INTERRUPTED, at, finished[3]),  # a finished item: not interrupted
            ],
        )
        self.check("an addition and its outcome in one append")
        self.claim("h:4:last", 4)  # left in progress


class TestKeptBytes:
    def test_kept_bytes_are_the_items_after_every_transition(self, store_factory: StoreFactory) -> None:
        """After adds, claims, outcomes, retries, releases, reclaims, re-runs, skips and verdicts, the bytes
        and unsized items kept per status are what the items table sums to."""
        steps = Steps(store_factory(), store_factory.url, store_factory.clock)
        steps.run()
        assert len(steps.checked) == 22
        nbytes, unsized = recount(store_factory.url)
        assert all(nbytes[status] > 0 for status in FileStatus), nbytes  # every status was weighed
        assert unsized == 10  # k00, k05 .. k25, n01, b00, b05, c1

    def test_status_reads_the_kept_figures_not_the_items(self, store_factory: StoreFactory) -> None:
        """What ``status_facts`` shows comes from the kept columns: changed there, it changes."""
        store = store_factory()
        store.create_run(RunRecord(run_id=RUN, name="kept"))
        store.add_items(RUN, [WorkItem("a", 5), WorkItem("b", 0)], at=1.0)
        base, schema = _split(store_factory.url)
        if base.startswith("sqlite:"):
            with sqlite3.connect(base.removeprefix("sqlite:///")) as conn:
                conn.execute("UPDATE item_counts SET bytes = bytes + 1000, unsized = unsized + 3")
        else:
            with psycopg.connect(base) as conn:
                conn.execute(
                    f"UPDATE {schema}.run_counts SET pending_bytes = pending_bytes + 1000, "
                    f"unsized = unsized + 3 WHERE shard = (SELECT min(shard) FROM {schema}.run_counts)"
                )
        nbytes, unsized = shown(store)
        assert nbytes[S.PENDING] == 1005
        assert unsized == 4


class TestOlderStores:
    def test_a_sqlite_store_without_bytes_answers_read_only_and_is_weighed_on_upgrade(
        self, tmp_path: Path, clock: FakeClock
    ) -> None:
        """A version 5 store (no bytes kept) shows the right bytes read-only (one pass over its items,
        nothing written); opened to write, it is weighed once and kept exact afterwards, also through a
        report on a lease claimed before the upgrade (which kept no sizes)."""
        path = tmp_path / "old.db"
        url = f"sqlite:///{path}"
        with open_store(url, clock=clock) as store:
            Steps(store, url, clock).run()
        expected = recount(url)
        downgrade_to_version_5(path)
        with open_store(url, read_only=True) as old:
            assert old.schema_version == 5
            assert shown(old) == expected
        with sqlite3.connect(path) as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(item_counts)")}
        assert "bytes" not in columns  # the read-only open wrote nothing
        with open_store(url, clock=clock) as store:
            assert kept(url) == expected
            assert shown(store) == expected
            (older,) = store.leases(RUN)  # claimed before the downgrade: its sizes went with it
            store.report(older, [Event(K.FILE_FAILED, 1.0, older.items[0].key, error_type="E")])
            assert kept(url) == recount(url) != expected
            lease = store.claim(RUN, "h:9:new", 3, 30.0)
            assert lease is not None
            store.report_and_release(lease, [Event(K.FILE_SUCCEEDED, 1.0, lease.items[0].key)])
            assert kept(url) == recount(url)

    @pytest.mark.postgres
    def test_a_postgres_store_without_bytes_is_weighed_on_upgrade(self, clock: FakeClock) -> None:
        """A version 5 PostgreSQL store (old trigger, no bytes columns) is weighed when opened, then kept."""
        schema = f"test_{uuid.uuid4().hex[:12]}"
        url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
        try:
            with open_store(url, clock=clock) as store:
                Steps(store, url, clock).run()
            expected = recount(url)
            downgrade_postgres_to_version_5(PG_DSN, schema)
            with open_store(url, clock=clock) as store:
                assert kept(url) == expected
                assert shown(store) == expected
                lease = store.claim(RUN, "h:9:new", 3, 30.0)
                assert lease is not None
                store.report_and_release(lease, [Event(K.FILE_SUCCEEDED, 1.0, lease.items[0].key)])
                assert kept(url) == recount(url) != expected
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
