"""Backend errors translated at the boundary: an outage is StoreUnavailableError, damage StoreCorruptError.

Real failures only: a throwaway PostgreSQL cluster stopped and started again, a SQLite file locked by another
connection, a SQLite file on a tmpfs that fills up, a table dropped from a real schema.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.errors import StoreCorruptError, StoreUnavailableError
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import RunRecord, WorkItem, open_store
from tests.conftest import PG_DSN
from tests.servers import ThrowawayPostgres, throwaway_postgres, tiny_tmpfs

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cluster() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster of this test's own, free to stop."""
    with throwaway_postgres() as server:
        yield server


@pytest.mark.postgres
class TestPostgresOutage:
    def test_stopped_server_is_unavailable_then_the_same_store_works_again(
        self, cluster: ThrowawayPostgres
    ) -> None:
        """A stopped server raises StoreUnavailableError (no PoolTimeout), and the store recovers after it."""
        store = open_store(f"{cluster.dsn}?pool_timeout=0.5&connect_timeout=1")
        try:
            store.create_run(RunRecord("r", "r"))
            store.add_items("r", [WorkItem("a"), WorkItem("b")], at=1.0)
            cluster.stop()
            for _ in range(3):  # a broken pooled connection first, then no connection within the timeout
                with pytest.raises(StoreUnavailableError, match="unavailable") as raised:
                    store.item_counts("r")
                assert store.url in str(raised.value)
                assert "\n" not in str(raised.value)
            assert "no connection within 0.5s" in str(raised.value)
            cluster.start()
            counts = None
            for _ in range(20):  # the pool reconnects on its own; each try waits at most the pool timeout
                try:
                    counts = store.item_counts("r")
                    break
                except StoreUnavailableError:
                    continue
            assert counts is not None
            assert counts[FileStatus.PENDING] == 2
        finally:
            store.close()

    def test_dropped_table_is_damage(self) -> None:
        """A table gone from the schema is StoreCorruptError: no amount of waiting brings it back."""
        schema = f"test_{uuid.uuid4().hex[:12]}"
        store = open_store(f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}")
        try:
            store.create_run(RunRecord("r", "r"))
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP TABLE {schema}.items CASCADE")
            with pytest.raises(StoreCorruptError, match="damaged"):
                store.claim("r", "h:1:w", 1, 30)  # reads the items (item_counts reads the counters)
        finally:
            store.close()
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class TestSQLiteLocked:
    def test_write_lock_held_elsewhere_is_unavailable_until_released(self, tmp_path: Path) -> None:
        """A write lock held elsewhere past the busy timeout makes writes unavailable until released."""
        path = tmp_path / "j.db"
        store = open_store(f"sqlite:///{path}?timeout=0.05")
        try:
            store.create_run(RunRecord("r", "r"))
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreUnavailableError, match="database is locked"):
                store.append("r", [Event(EventKind.RUN_STARTED, at=1.0)])
            other.execute("ROLLBACK")
            other.close()
            assert store.append("r", [Event(EventKind.RUN_STARTED, at=1.0)]) == 2
        finally:
            store.close()


class TestSQLiteDiskFull:
    def test_full_disk_is_unavailable_keeps_what_was_written_and_recovers(self) -> None:
        """A full disk fails writes as unavailable; committed items stay; freeing space heals."""
        with tiny_tmpfs("1m") as folder:
            store = open_store(f"sqlite:///{folder / 'j.db'}")
            try:
                store.create_run(RunRecord("r", "r"))
                filler = folder / "filler"
                with filler.open("wb") as out:  # leave a few pages free
                    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
                    out.write(b"\0" * max(0, free - 96 * 1024))
                added = 0
                failure: StoreUnavailableError | None = None
                for chunk in range(1000):
                    keys = [WorkItem(f"item-{chunk}-{n}-" + "x" * 200) for n in range(50)]
                    try:
                        added += store.add_items("r", keys, at=1.0)
                    except StoreUnavailableError as exc:
                        failure = exc
                        break
                assert failure is not None
                assert "disk is full" in str(failure)
                assert sum(store.item_counts("r").values()) == added > 0
                filler.unlink()
                assert store.add_items("r", [WorkItem("after")], at=2.0) == 1
                assert sum(store.item_counts("r").values()) == added + 1
            finally:
                store.close()


class TestSQLiteReadOnly:
    def test_store_that_cannot_be_written_is_unavailable_not_damage(self, tmp_path: Path) -> None:
        """A write SQLite refuses as read-only is unavailable (the file is fine), and works once allowed."""
        store = open_store(f"sqlite:///{tmp_path / 'j.db'}")
        try:
            store.create_run(RunRecord("r", "r"))
            # Failure injection: SQLite itself refuses writes on this connection (SQLITE_READONLY), as it
            # does for a volume that went read-only under an open store.
            store._conn.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]
            with pytest.raises(StoreUnavailableError, match="readonly"):
                store.add_items("r", [WorkItem("a")], at=1.0)
            store._conn.execute("PRAGMA query_only = OFF")  # type: ignore[attr-defined]
            assert store.add_items("r", [WorkItem("a")], at=1.0) == 1
        finally:
            store.close()
