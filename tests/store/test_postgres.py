"""PostgreSQL-only behaviour: opening, schema versions, clear errors, and claims under real concurrency."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import (
    ConfigError,
    LeaseLostError,
    SchemaVersionError,
    StoreCorruptError,
    StoreUnavailableError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store.base import Lease, RunRecord, WorkItem
from omnimemory_kit.store.blocks import encode_block
from omnimemory_kit.store.postgres import PostgresStore
from omnimemory_kit.store.postgres_writes import ReportPlan, report_plan

pytestmark = pytest.mark.postgres


def _with_query(dsn: str, **params: str) -> str:
    joiner = "&" if "?" in dsn else "?"
    return dsn + joiner + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.fixture
def schema(pg_dsn: str) -> Iterator[str]:
    """A fresh schema name, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def store(pg_dsn: str, schema: str, clock: FakeClock) -> Iterator[PostgresStore]:
    """A PostgreSQL store in its own schema, on the fake clock."""
    opened = PostgresStore(_with_query(pg_dsn, schema=schema), clock=clock)
    yield opened
    opened.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestOpening:
    def test_missing_database_is_unavailable_and_redacted(self) -> None:
        """A database that does not exist is named in the error, and the password never appears."""
        with pytest.raises(StoreUnavailableError) as caught:
            PostgresStore("postgresql://postgres:s3cret-pw@127.0.0.1:5432/no_such_db_omk")
        message = str(caught.value)
        assert "no_such_db_omk" in message
        assert "s3cret-pw" not in message

    def test_unknown_role_is_unavailable(self) -> None:
        """A role the server does not know ends in a clear StoreUnavailableError."""
        with pytest.raises(StoreUnavailableError, match="nobody_omk"):
            PostgresStore("postgresql://nobody_omk:pw@127.0.0.1:5432/test")

    def test_unreachable_server_is_unavailable(self) -> None:
        """A closed port fails fast with StoreUnavailableError naming the store."""
        port = _closed_port()
        with pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{port}"):
            PostgresStore(f"postgresql://postgres:pw@127.0.0.1:{port}/test", connect_timeout=2)

    @pytest.mark.parametrize(
        ("url", "needle"),
        [
            ("postgresql://127.0.0.1:5432", "names no database"),
            ("postgresql://127.0.0.1/test?schema=Bad-Name", "lower-case"),
            ("postgresql://127.0.0.1/test?pool_max=0", "pool_max"),
        ],
    )
    def test_malformed_urls_are_config_errors(self, url: str, needle: str) -> None:
        """Malformed URLs are refused before any connection, naming what is wrong."""
        with pytest.raises(ConfigError, match=needle):
            PostgresStore(url)

    def test_newer_schema_version_is_refused(self, pg_dsn: str, schema: str) -> None:
        """A store written by a newer schema version is refused, and left untouched."""
        PostgresStore(_with_query(pg_dsn, schema=schema)).close()
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f"UPDATE {schema}.meta SET value = '99' WHERE key = 'schema_version'")
        with pytest.raises(SchemaVersionError) as caught:
            PostgresStore(_with_query(pg_dsn, schema=schema))
        assert caught.value.found == 99
        with psycopg.connect(pg_dsn) as conn:
            row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'").fetchone()
        assert row == ("99",)

    def test_an_older_store_loses_the_journal_key_to_runs_when_opened(self, pg_dsn: str, schema: str) -> None:
        """The journal's per-row foreign key to runs is dropped on open; its journal stays writable."""
        url = _with_query(pg_dsn, schema=schema)
        PostgresStore(url).close()
        key = (
            "SELECT count(*) FROM pg_constraint "
            "WHERE conname = 'events_run_id_fkey' AND connamespace = %s::regnamespace"
        )
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            assert conn.execute(key, (schema,)).fetchone() == (0,)  # a new store has none
            conn.execute(  # as the stores of schema version 4 were made
                f"ALTER TABLE {schema}.events ADD CONSTRAINT events_run_id_fkey "
                f"FOREIGN KEY (run_id) REFERENCES {schema}.runs ON DELETE CASCADE"
            )
        PostgresStore(url, create=False).close()  # a reader's open leaves the journal alone
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute(key, (schema,)).fetchone() == (1,)
        store = PostgresStore(url)
        try:
            with psycopg.connect(pg_dsn) as conn:
                assert conn.execute(key, (schema,)).fetchone() == (0,)
            store.create_run(RunRecord("r", "r", "normal", "s", "f", 1.0))
            assert store.append("r", [Event(EventKind.RUN_STARTED, at=2.0)]) == 2
        finally:
            store.close()

    def test_missing_store_without_create_is_unavailable(self, pg_dsn: str, schema: str) -> None:
        """Opening with create=False does not create a store, and says none is there."""
        with pytest.raises(StoreUnavailableError, match="no omnimemory-kit store"):
            PostgresStore(_with_query(pg_dsn, schema=schema), create=False)
        with psycopg.connect(pg_dsn) as conn:
            row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        assert row is None

    def test_foreign_schema_is_refused(self, pg_dsn: str, schema: str) -> None:
        """A schema holding someone else's tables is not taken over."""
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"CREATE TABLE {schema}.customers (id int)")
        with pytest.raises(StoreCorruptError, match="customers"):
            PostgresStore(_with_query(pg_dsn, schema=schema))

    def test_concurrent_openers_migrate_once(self, pg_dsn: str, schema: str) -> None:
        """Workers opening a fresh store together all succeed (the migration runs under a lock)."""
        errors: list[BaseException] = []

        def open_one() -> None:
            try:
                PostgresStore(_with_query(pg_dsn, schema=schema)).close()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    def test_repr_and_url_hide_the_password(self, pg_dsn: str, schema: str) -> None:
        """The store's url and repr are safe to log."""
        url = _with_query(pg_dsn.replace("postgres@", "postgres:topsecret@"), schema=schema)
        with PostgresStore(url) as opened:
            assert "topsecret" not in opened.url
            assert "topsecret" not in repr(opened)


class TestClaims:
    def test_concurrent_claimers_never_share_an_item(self, pg_dsn: str, schema: str) -> None:
        """Threads claiming through separate stores (separate connections) never get the same item twice."""
        url = _with_query(pg_dsn, schema=schema)
        with PostgresStore(url) as setup:
            setup.create_run(RunRecord("r", "shared", source="s", function="f"))
            setup.add_items("r", (WorkItem(f"k{i:04d}") for i in range(600)), at=0.0)
        claimed: list[list[str]] = [[] for _ in range(4)]

        def worker(index: int) -> None:
            with PostgresStore(url) as mine:
                while lease := mine.claim("r", f"w{index}", 7, 60):
                    claimed[index].extend(item.key for item in lease.items)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        everything = [key for keys in claimed for key in keys]
        assert len(everything) == 600
        assert len(set(everything)) == 600

    def test_report_after_reclaim_is_rejected(self, store: PostgresStore, clock: FakeClock) -> None:
        """A worker whose lease expired and was reclaimed cannot account its items a second time."""
        store.create_run(RunRecord("r", "late", source="s", function="f"))
        store.add_items("r", [WorkItem("a"), WorkItem("b")], at=clock.time())
        lease = store.claim("r", "w1", 10, lease_seconds=30)
        assert lease is not None
        clock.advance(31)
        assert store.reclaim("r") == 2
        again = store.claim("r", "w2", 10, lease_seconds=30)
        assert again is not None
        done = [Event(EventKind.FILE_SUCCEEDED, at=clock.time(), path="a")]
        with pytest.raises(LeaseLostError):
            store.report(lease, done)
        store.report(again, done)
        succeeded = [e.path for e in store.read_events("r") if e.kind is EventKind.FILE_SUCCEEDED]
        assert succeeded == ["a"]
        assert store.item_counts("r")[FileStatus.SUCCEEDED] == 1

    def test_server_clock_is_used_without_an_injected_clock(self, pg_dsn: str, schema: str) -> None:
        """With the system clock, lease expiry comes from the database server's clock."""
        with PostgresStore(_with_query(pg_dsn, schema=schema)) as real:
            real.create_run(RunRecord("r", "clock", source="s", function="f"))
            real.add_items("r", [WorkItem("a")], at=0.0)
            lease = real.claim("r", "w", 1, lease_seconds=3600)
            assert lease is not None
            with psycopg.connect(pg_dsn) as conn:
                row = conn.execute("SELECT extract(epoch from clock_timestamp())").fetchone()
            assert row is not None
            assert 3590 < lease.expires_at - float(row[0]) <= 3600


def _stalled_claim(stack: contextlib.ExitStack, stalled: PostgresStore, run_id: str, worker_id: str) -> Lease:
    """Claim in a transaction left open, as a worker stopped (SIGSTOP) before its commit leaves it."""
    conn = stack.enter_context(stalled._conn())
    stack.enter_context(conn.transaction())
    lease, _ = stalled._claim_locked(conn, run_id, worker_id, 5, 60.0)  # holds its items and the run row
    assert lease is not None
    return lease


class TestStalls:
    """A process stopped inside a store transaction cannot stop the others: the server ends it in time."""

    def test_sessions_carry_the_stall_and_lock_bounds(self, pg_dsn: str, schema: str) -> None:
        """Each pooled connection has the URL's bounds in PostgreSQL's settings (10 s and 20 s by default)."""
        with PostgresStore(_with_query(pg_dsn, schema=schema)) as default, default._conn() as conn:
            shown = [conn.execute(f"SHOW {name}").fetchone() for name in _SETTINGS]
        assert shown == [("10s",), ("20s",)]
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0.25", lock_timeout="0")
        with PostgresStore(url) as tuned, tuned._conn() as conn:
            shown = [conn.execute(f"SHOW {name}").fetchone() for name in _SETTINGS]
        assert shown == [("250ms",), ("0",)]

    def test_a_claim_stalled_before_its_commit_is_ended_and_others_claim(
        self, pg_dsn: str, schema: str, clock: FakeClock
    ) -> None:
        """Another claim waits only until the stall bound ends the stalled one, which committed nothing."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0.3", lock_timeout="30")
        with PostgresStore(url, clock=clock) as going, PostgresStore(url, clock=clock) as stalled:
            going.create_run(RunRecord("r", "stall", source="s", function="f"))
            going.add_items("r", [WorkItem(f"k{i:02d}") for i in range(20)], at=clock.time())
            before = going.last_seq("r")
            with contextlib.ExitStack() as stack:
                held = _stalled_claim(stack, stalled, "r", "stopped:1:w")
                started = time.monotonic()
                lease = going.claim("r", "going:2:w", 10, 60.0)  # needs the run row the stalled claim holds
                waited = time.monotonic() - started
                assert lease is not None
                assert 0.3 <= waited < 10, "it waited for the stall bound, not the lock's"
                # its items were locked by the stalled pick: skipped, and free again once it was rolled back
                assert not {item.key for item in held.items} & {item.key for item in lease.items}
                assert going.append_start("r", Event(EventKind.BATCH_OPENED, at=clock.time())) is not None
                with pytest.raises(StoreUnavailableError, match=r"stall_timeout=0\.3s; nothing of it"):
                    stack.close()  # the stopped process goes on: its commit finds the connection ended
            events = list(going.read_events("r", after_seq=before))
            assert [e.seq for e in events] == list(range(before + 1, before + len(events) + 1))
            assert {e.worker_id for e in events if e.worker_id} == {"going:2:w"}
            assert [lease.lease_id for lease in going.leases("r")] == [lease.lease_id]
            counts = going.item_counts("r")
            assert (counts[FileStatus.PENDING], counts[FileStatus.IN_PROGRESS]) == (10, 10)
            # the stalled store goes on: its pool gave it a fresh connection
            assert stalled.claim("r", "stopped:1:w", 5, 60.0) is not None

    def test_a_report_stalled_mid_transaction_loses_its_lease_and_counts_nothing(
        self, pg_dsn: str, schema: str, clock: FakeClock
    ) -> None:
        """A stall inside a report: its lease expires and is reclaimed meanwhile; the report is refused."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0.3", lock_timeout="30")
        with PostgresStore(url, clock=clock) as going, PostgresStore(url, clock=clock) as stalled:
            going.create_run(RunRecord("r", "stall", source="s", function="f"))
            going.add_items("r", [WorkItem(f"k{i}") for i in range(4)], at=clock.time())
            lease = stalled.claim("r", "stopped:1:w", 4, 30.0)
            assert lease is not None
            outcomes = [Event(EventKind.FILE_SUCCEEDED, at=clock.time(), path=i.key) for i in lease.items]
            with contextlib.ExitStack() as stack:
                conn = stack.enter_context(stalled._conn())
                stack.enter_context(conn.transaction())
                stalled._lock_live_lease(conn, lease)
                stalled._append_locked(conn, "r", outcomes)  # the report's events, the run row locked
                clock.advance(31)
                assert going.reclaim("r") == 4  # waits for the stall bound, then takes the expired lease back
                with pytest.raises(StoreUnavailableError, match="stall_timeout"):
                    stack.close()
            with pytest.raises(LeaseLostError):  # made again, as a runner does after an outage
                stalled.report(lease, outcomes)
            again = going.claim("r", "going:2:w", 4, 30.0)
            assert again is not None
            going.report(again, outcomes)
            succeeded = [e.path for e in going.read_events("r") if e.kind is EventKind.FILE_SUCCEEDED]
            assert sorted(succeeded) == ["k0", "k1", "k2", "k3"]
            assert going.item_counts("r")[FileStatus.SUCCEEDED] == 4

    def test_a_lock_held_past_the_lock_bound_fails_the_call_and_commits_nothing(
        self, pg_dsn: str, schema: str, clock: FakeClock
    ) -> None:
        """A lock wait is bounded whatever the holder does: the call fails, keeps nothing, can go again."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0", lock_timeout="0.2")
        with PostgresStore(url, clock=clock) as store:
            store.create_run(RunRecord("r", "lock", source="s", function="f"))
            before = store.last_seq("r")
            event = Event(EventKind.RUN_PAUSED, at=clock.time())
            with psycopg.connect(pg_dsn) as holder:  # not a kit session: no stall bound ends it
                holder.execute(f"SELECT 1 FROM {schema}.runs WHERE run_id = 'r' FOR UPDATE")
                with pytest.raises(
                    StoreUnavailableError, match=r"busy: waited longer than lock_timeout=0\.2s"
                ):
                    store.append("r", [event])
                assert store.last_seq("r") == before
                holder.rollback()
            assert store.append("r", [event]) == before + 1

    def test_adding_items_already_there_leaves_the_run_row_alone(
        self, pg_dsn: str, schema: str, clock: FakeClock
    ) -> None:
        """Preparing a run again while others hold its row adds nothing and waits on nobody."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0", lock_timeout="0.2")
        with PostgresStore(url, clock=clock) as store:
            store.create_run(RunRecord("r", "again", source="s", function="f"))
            items = [WorkItem(f"k{i}") for i in range(3)]
            assert store.add_items("r", items, at=clock.time()) == 3
            before = store.last_seq("r")
            with psycopg.connect(pg_dsn) as holder:  # a worker mid-append
                holder.execute(f"SELECT 1 FROM {schema}.runs WHERE run_id = 'r' FOR UPDATE")
                assert store.add_items("r", iter(items), at=clock.time()) == 0
            assert store.last_seq("r") == before

    def test_a_streamed_read_may_wait_on_its_reader(self, pg_dsn: str, schema: str, clock: FakeClock) -> None:
        """A read streamed to a slow reader is not ended by the stall bound (it holds no row lock)."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0.1")
        with PostgresStore(url, clock=clock) as store:
            store.create_run(RunRecord("r", "read", source="s", function="f"))
            store.add_items("r", [WorkItem(f"k{i}") for i in range(3)], at=clock.time())
            for read in (store.read_events, store.read_event_rows):
                stream = read("r")
                first = next(stream)
                _wait_on_the_server(pg_dsn, 0.4)  # the reader is busy with the first one, past the bound
                assert 1 + len(list(stream)) == 4, first

    def test_items_from_a_slow_source_are_added_past_the_stall_bound(
        self, pg_dsn: str, schema: str, clock: FakeClock
    ) -> None:
        """An addition from a lazy iterable waits on it as long as it takes (a source on a slow mount)."""
        url = _with_query(pg_dsn, schema=schema, stall_timeout="0.1")

        def slow_source() -> Iterator[WorkItem]:
            for i in range(6000):  # past one written chunk (5,000), so the transaction is under way
                if i == 5500:
                    _wait_on_the_server(pg_dsn, 0.4)
                yield WorkItem(f"k{i:05d}")

        with PostgresStore(url, clock=clock) as store:
            store.create_run(RunRecord("r", "slow", source="s", function="f"))
            assert store.add_items("r", slow_source(), at=clock.time()) == 6000
            record, added = store.create_run_with_blocks(
                RunRecord("r2", "slow", source="s", function="f"),
                (encode_block([(item.key, item.size)]) for item in slow_source()),
                at=clock.time(),
            )
            assert (record.run_id, added) == ("r2", 6000)
            assert store.item_counts("r2")[FileStatus.PENDING] == 6000


_SETTINGS = ("idle_in_transaction_session_timeout", "lock_timeout")


def _wait_on_the_server(dsn: str, seconds: float) -> None:
    """Let ``seconds`` pass on the server's side, as a caller busy elsewhere would (longer than a bound)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_sleep(%s)", (seconds,))


class TestBatchItems:
    def test_a_batch_is_read_from_its_open_on(
        self, store: PostgresStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Its open comes through the rare-events index; its starts by seq from there, never the whole run."""
        store.create_run(RunRecord("r", "batches", source="s", function="f"))
        store.add_items("r", [WorkItem(f"k{i}") for i in range(9)], at=clock.time())
        leases = [store.claim("r", "w", 3, 60) for _ in range(3)]
        assert all(lease is not None for lease in leases)
        second = leases[1]
        assert second is not None
        statements: list[tuple[str, Any]] = []
        execute = psycopg.Connection.execute

        def recording(conn: psycopg.Connection[Any], query: Any, params: Any = None, **kw: Any) -> Any:
            statements.append((query, params))
            return execute(conn, query, params, **kw)

        monkeypatch.setattr(psycopg.Connection, "execute", recording)
        assert store.batch_items("r", second.batch_id) == dict.fromkeys(
            (item.key for item in second.items), FileStatus.IN_PROGRESS
        )
        monkeypatch.undo()
        reads = [(sql, params) for sql, params in statements if "FROM events" in str(sql)]
        assert reads
        with store._conn() as conn:
            conn.execute("SET enable_seqscan = off")  # a tiny table is best scanned whole: rule that out
            for sql, params in reads:
                plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}", params))
                for line, cond in zip(plan.splitlines(), plan.splitlines()[1:], strict=False):
                    if "events_pkey" in line:
                        assert "seq >" in cond, plan
                assert "events_pkey" in plan or "events_rare" in plan, plan


class TestReportPlan:
    def test_a_batch_whose_items_all_succeeded_is_one_update(self) -> None:
        """Every item of a report ending the same way shares one shape: the report is one UPDATE."""
        events = [Event(EventKind.FILE_SUCCEEDED, at=1.0, path=key) for key in ("a", "b", "c")]
        plan = report_plan(events)
        assert plan == ReportPlan({("succeeded", 0, False): ["a", "b", "c"]}, items=3, finished=3)

    def test_items_are_grouped_by_their_final_state(self) -> None:
        """A retry keeps the item and its lease and adds an attempt; outcomes group by status."""
        events = [
            Event(EventKind.FILE_RETRIED, at=1.0, path="a", error_type="E"),
            Event(EventKind.FILE_RETRIED, at=1.0, path="b", error_type="E"),
            Event(EventKind.FILE_SUCCEEDED, at=2.0, path="a"),
            Event(EventKind.FILE_FAILED, at=2.0, path="c", error_type="E"),
            Event(EventKind.FILE_SUCCEEDED, at=2.0, path="d"),
        ]
        plan = report_plan(events)
        assert plan is not None
        assert plan.shapes == {
            ("succeeded", 1, False): ["a"],
            ("in_progress", 1, True): ["b"],
            ("failed", 0, False): ["c"],
            ("succeeded", 0, False): ["d"],
        }
        assert (plan.items, plan.finished) == (4, 3)

    def test_an_event_after_an_outcome_takes_the_checked_path(self) -> None:
        """A second outcome for an item is not planned: the checked path names the error."""
        events = [
            Event(EventKind.FILE_SUCCEEDED, at=1.0, path="a"),
            Event(EventKind.FILE_FAILED, at=1.0, path="a"),
        ]
        assert report_plan(events) is None

    def test_a_report_of_many_shapes_applies_each(self, store: PostgresStore) -> None:
        """A report mixing outcomes and retries lands each item in its own final state, once."""
        run = "r-shapes"
        store.create_run(RunRecord(run, run, "normal", "s", "f", 1.0))
        store.add_items(run, [WorkItem(key, 1) for key in "abcd"], at=1.0)
        lease = store.claim(run, "w", 4, 30)
        assert lease is not None
        store.report(
            lease,
            [
                Event(EventKind.FILE_RETRIED, at=2.0, path="a", error_type="E"),
                Event(EventKind.FILE_SUCCEEDED, at=2.0, path="b"),
                Event(EventKind.FILE_FAILED, at=2.0, path="c", error_type="E"),
                Event(EventKind.FILE_SKIPPED, at=2.0, path="d", reason="why"),
            ],
        )
        counts = store.item_counts(run)
        assert (counts[FileStatus.IN_PROGRESS], counts[FileStatus.SUCCEEDED]) == (1, 1)
        assert (counts[FileStatus.FAILED], counts[FileStatus.SKIPPED]) == (1, 1)
        assert [item.key for item in store.leases(run)[0].items] == ["a"]
        assert store.workers(run)[0].items_done == 3
