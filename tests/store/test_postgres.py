"""PostgreSQL-only behaviour: opening, schema versions, clear errors, and claims under real concurrency."""

from __future__ import annotations

import socket
import threading
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
from omnimemory_kit.store.base import RunRecord, WorkItem
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
