"""What only the SQLite backend does: the file, its pragmas, refusing foreign files, sharing it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import (
    ConfigError,
    InvalidTransitionError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import (
    SCHEMA_VERSION,
    HealthCheckRow,
    HealthRollupRow,
    HealthSnapshotRow,
    JournalStore,
    Lease,
    RunRecord,
    SQLiteStore,
    WorkItem,
    open_store,
    sqlite_items,
)
from omnimemory_kit.store.base import ERROR_MESSAGE_LIMIT
from omnimemory_kit.store.sqlite_health import SQLiteHealthHistory
from omnimemory_kit.store.sqlite_status import StoreConnection, has_rare_index
from tests.store.old_schema import downgrade_to_version_1, downgrade_to_version_4

ROOT = Path(__file__).resolve().parents[2]
RUN = "run-1"


def open_sqlite(url: str | Path, clock: FakeClock | None = None, **kwargs: bool) -> SQLiteStore:
    """Open a SQLite store (typed as such)."""
    store = open_store(url, clock=clock or FakeClock(), **kwargs)
    assert isinstance(store, SQLiteStore)
    return store


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """Return a file's bytes, mtime and the folder's listing, to prove nothing was touched."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def pragma(store: SQLiteStore, name: str) -> object:
    """Read a pragma on the store's own connection."""
    return store._conn.execute(f"PRAGMA {name}").fetchone()[0]


def recount(store: SQLiteStore, run_id: str = RUN) -> dict[FileStatus, int]:
    """Count items by status from the items table itself (what the kept counters must equal)."""
    counts = dict.fromkeys(FileStatus, 0)
    (run_no,) = store._conn.execute("SELECT run_no FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    for status, n in store._conn.execute(
        "SELECT status, count(*) FROM items WHERE run_no = ? GROUP BY status", (run_no,)
    ):
        counts[FileStatus(status)] = n
    return counts


def two_leases(store: SQLiteStore) -> tuple[Lease, Lease]:
    """Create run ``RUN`` with six items k0..k5 and claim them as two leases of three (two workers)."""
    store.create_run(RunRecord(run_id=RUN, name="r"))
    store.add_items(RUN, [WorkItem(f"k{i}", i) for i in range(6)], at=1.0)
    first = store.claim(RUN, "host:1:a", 3, 60.0)
    second = store.claim(RUN, "host:2:b", 3, 60.0)
    assert first is not None
    assert second is not None
    return first, second


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter importing the code under test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, check=False
    )


class TestFile:
    def test_new_store_is_wal_with_normal_sync_and_foreign_keys(self, tmp_path: Path) -> None:
        """A new file is in WAL mode, synchronous NORMAL, foreign keys on, a busy timeout set."""
        with open_sqlite(tmp_path / "run.db") as store:
            assert pragma(store, "journal_mode") == "wal"
            assert pragma(store, "synchronous") == 1  # NORMAL
            assert pragma(store, "foreign_keys") == 1
            assert pragma(store, "busy_timeout") == 30_000

    def test_url_options_set_full_sync_and_timeout(self, tmp_path: Path) -> None:
        """?synchronous=full&timeout=5 reach the connection."""
        with open_sqlite(f"sqlite:///{tmp_path}/run.db?synchronous=full&timeout=5") as store:
            assert pragma(store, "synchronous") == 2  # FULL
            assert pragma(store, "busy_timeout") == 5000
            assert "synchronous=full" in repr(store)

    def test_schema_version_is_recorded(self, tmp_path: Path) -> None:
        """The meta table names the application and the schema version."""
        open_sqlite(tmp_path / "run.db").close()
        with sqlite3.connect(tmp_path / "run.db") as raw:
            meta = dict(raw.execute("SELECT key, value FROM meta"))
        raw.close()
        assert meta == {"application": "omnimemory-kit", "schema_version": str(SCHEMA_VERSION)}

    def test_in_memory_stores_are_private(self) -> None:
        """Each in-memory store is its own database."""
        with open_sqlite("sqlite://") as one, open_sqlite("sqlite:///:memory:") as two:
            one.create_run(RunRecord(run_id=RUN, name="x"))
            assert [r.run_id for r in one.list_runs()] == [RUN]
            assert two.list_runs() == []

    def test_closed_store_refuses_work(self, tmp_path: Path) -> None:
        """Using a closed store raises StoreError saying it is closed; repr says closed."""
        store = open_sqlite(tmp_path / "run.db")
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.list_runs()
        assert "closed" in repr(store)

    def test_error_message_is_cut_at_the_limit_and_marked(self) -> None:
        """A long message is stored at exactly ERROR_MESSAGE_LIMIT characters, marked as truncated."""
        with open_sqlite("sqlite://") as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))
            fits = "y" * ERROR_MESSAGE_LIMIT
            store.append(RUN, [Event(EventKind.FILE_FAILED, at=1.0, path="a", error_message="z" * 10_000)])
            store.append(RUN, [Event(EventKind.FILE_FAILED, at=1.0, path="b", error_message=fits)])
            cut, whole = (e.error_message for e in store.read_events(RUN, after_seq=1))
        assert cut is not None
        assert len(cut) == ERROR_MESSAGE_LIMIT
        assert cut.endswith("[truncated]")
        assert whole == fits

    def test_plain_events_beside_others_keep_their_order_and_fields(self) -> None:
        """An append mixing plain events (a key, a worker) with others reads back in order, field by field."""
        with open_sqlite("sqlite://") as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))
            sent = [
                Event(EventKind.FILE_INTERRUPTED, at=1.0, path="a", batch_id="b1", reason="released"),
                Event(EventKind.ITEM_VALIDATED, at=2.0, path="a", worker_id="w1"),
                Event(EventKind.ITEM_MISMATCHED, at=3.0, path="b", error_message="z" * 10_000, reason="{}"),
                Event(EventKind.ITEM_VALIDATED, at=4.0, path="c"),
                Event(EventKind.BATCH_CLOSED, at=5.0, batch_id="b1", worker_id="w1"),
            ]
            store.append(RUN, sent)
            got = list(store.read_events(RUN, after_seq=1))
        fields = [
            (e.kind, e.at, e.path, e.size, e.batch_id, e.error_type, e.reason, e.worker_id) for e in got
        ]
        assert fields == [
            (e.kind, e.at, e.path, e.size, e.batch_id, e.error_type, e.reason, e.worker_id) for e in sent
        ]
        assert [e.seq for e in got] == [2, 3, 4, 5, 6]
        assert [len(e.error_message or "") for e in got] == [0, 0, ERROR_MESSAGE_LIMIT, 0, 0]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        events=st.lists(
            st.tuples(
                st.sampled_from([EventKind.FILE_SUCCEEDED, EventKind.FILE_RETRIED, EventKind.ITEM_VALIDATED]),
                st.text(min_size=1, max_size=12) | st.sampled_from(["a", "b", '"q"', "back\\slash", "é✓"]),
                st.floats(min_value=0, max_value=4e9, allow_nan=False) | st.sampled_from([0.1, 1e-7]),
                st.sampled_from(["w1", "w2", None]),
            ),
            min_size=1,
            max_size=40,
        )
    )
    def test_runs_of_plain_events_read_back_exactly(
        self, events: list[tuple[EventKind, str, float, str | None]]
    ) -> None:
        """Runs of plain events (a key repeated within a run, odd characters, any time) keep key, time, kind,
        worker and order exactly, whichever form SQLite reads them in (members of an object or pairs)."""
        with open_sqlite("sqlite://") as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))
            sent = [Event(kind, at=at, path=key, worker_id=worker) for kind, key, at, worker in events]
            store.append(RUN, sent)
            got = list(store.read_events(RUN, after_seq=1))
        assert [(e.kind, e.path, e.at, e.worker_id) for e in got] == list(events)
        assert [e.seq for e in got] == list(range(2, 2 + len(events)))


class TestHealthOnly:
    def test_a_health_history_store_reads_what_the_full_store_recorded(self, tmp_path: Path) -> None:
        """SQLiteHealthHistory opens a kit store for the health history alone: it reads what SQLiteStore
        recorded, records its own, and offers none of the journal contract."""
        path = tmp_path / "kit.db"
        check = HealthCheckRow(name="db", status="healthy", critical=True, latency_ms=1.5)
        with SQLiteStore(path) as full:
            full.record_health(HealthSnapshotRow(taken_at=10.0, status="healthy", checks=(check,)))
        with SQLiteHealthHistory(path, create=False) as health:
            assert not isinstance(health, JournalStore)
            assert not hasattr(health, "append")
            health.record_health(HealthSnapshotRow(taken_at=20.0, status="healthy", checks=(check,)))
            assert [snapshot.taken_at for snapshot, _ in health.health_history(name="db")] == [10.0, 20.0]
            assert repr(health).startswith("<SQLiteHealthHistory ")


class TestRefusals:
    def test_missing_folder_is_unavailable_and_not_created(self, tmp_path: Path) -> None:
        """A path in a missing folder names the folder and says folders are not created."""
        with pytest.raises(StoreUnavailableError) as caught:
            open_sqlite(tmp_path / "nope" / "run.db")
        assert str(tmp_path / "nope") in str(caught.value)
        assert "create the folder first" in str(caught.value)
        assert not (tmp_path / "nope").exists()

    def test_folder_that_is_a_file_is_unavailable(self, tmp_path: Path) -> None:
        """A path under a regular file is refused naming it."""
        (tmp_path / "plain").write_text("x")
        with pytest.raises(StoreUnavailableError, match="not a folder"):
            open_sqlite(tmp_path / "plain" / "run.db")

    @pytest.mark.parametrize("read_only", [False, True])
    def test_path_that_is_a_folder_is_bad_input(self, tmp_path: Path, read_only: bool) -> None:
        """A directory is not a store file: the caller's mistake (ConfigError), and nothing is made."""
        with pytest.raises(ConfigError, match="it is a directory, not a store file"):
            open_sqlite(tmp_path, read_only=read_only)
        assert os.listdir(tmp_path) == []

    def test_unwritable_folder_is_unavailable(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A folder the process may not write to is named in the error (injected: tests run as root)."""
        monkeypatch.setattr("omnimemory_kit.store.sqlite.os.access", lambda path, mode: False)
        with pytest.raises(StoreUnavailableError, match="is not writable") as caught:
            open_sqlite(tmp_path / "run.db")
        assert str(tmp_path) in str(caught.value)
        assert os.listdir(tmp_path) == []

    def test_folder_where_files_cannot_be_created_is_unavailable(self) -> None:
        """When SQLite cannot create the file (here: /proc), the error names the folder."""
        with pytest.raises(StoreUnavailableError, match="in folder '/proc'"):
            open_sqlite("/proc/omnimemory-kit-test.db")

    def test_create_false_does_not_create(self, tmp_path: Path) -> None:
        """With create=False a missing file is an error and no file appears."""
        with pytest.raises(StoreUnavailableError, match="does not exist"):
            open_sqlite(tmp_path / "run.db", create=False)
        assert os.listdir(tmp_path) == []

    def test_text_file_is_corrupt_and_untouched(self, tmp_path: Path) -> None:
        """A text file is not a store: StoreCorruptError, and the file and folder are unchanged."""
        path = tmp_path / "notes.db"
        path.write_text("these are my notes, not a database\n" * 10)
        before = snapshot(path)
        with pytest.raises(StoreCorruptError, match="not a SQLite database"):
            open_sqlite(path)
        assert snapshot(path) == before

    def test_foreign_sqlite_file_is_corrupt_and_untouched(self, tmp_path: Path) -> None:
        """A SQLite file of another application is refused, names its tables, and is not modified."""
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as raw:
            raw.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
            raw.execute("INSERT INTO customers VALUES (1, 'Ada')")
        raw.close()
        before = snapshot(path)
        with pytest.raises(StoreCorruptError, match=r"not an omnimemory-kit store.*customers"):
            open_sqlite(path)
        assert snapshot(path) == before

    def test_version_1_store_is_upgraded_keeping_its_records(self, tmp_path: Path) -> None:
        """A store from before the health rollups gets their tables on open; its runs and snapshots stay."""
        path = tmp_path / "run.db"
        with open_sqlite(path) as store:
            store.create_run(RunRecord(run_id=RUN, name="old"))
            check = HealthCheckRow(name="db", status="healthy", critical=True)
            store.record_health(HealthSnapshotRow(taken_at=5.0, status="healthy", checks=(check,)))
        downgrade_to_version_1(path)
        with open_sqlite(path) as store:
            assert store.get_run(RUN).name == "old"
            assert [(s.taken_at, c.name) for s, c in store.health_history()] == [(5.0, "db")]
            store.add_health_rollups([HealthRollupRow("db", "minute", 0.0, total=1, up=1)])
            assert store.summarize_health_rollups(resolution="minute", since=0.0)[0].up == 1
        with sqlite3.connect(path) as raw:
            version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        raw.close()
        assert version == str(SCHEMA_VERSION)

    def test_leases_taken_before_version_5_are_worked_after_the_upgrade(self, tmp_path: Path) -> None:
        """A version-4 store with live leases: read-only it lists their items by its old index; opened to
        write, each lease learns its keys, and reports, releases and reclaims find its items as before."""
        path = tmp_path / "run.db"
        clock = FakeClock()
        with open_sqlite(path, clock) as store:
            first, _ = two_leases(store)
        downgrade_to_version_4(path)
        with open_sqlite(path, clock, read_only=True) as old:
            assert old.schema_version == 4
            assert [[item.key for item in lease.items] for lease in old.leases(RUN)] == [
                ["k0", "k1", "k2"],
                ["k3", "k4", "k5"],
            ]
        with open_sqlite(path, clock) as store:
            with sqlite3.connect(path) as raw:
                indexes = {
                    row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
                }
            raw.close()
            assert "items_leased" not in indexes
            store.report(first, [Event(EventKind.FILE_SUCCEEDED, at=2.0, path="k0")])
            assert [item.key for item in store.leases(RUN)[0].items] == ["k1", "k2"]
            store.release(first)  # the unfinished two go back
            clock.advance(61.0)
            assert store.reclaim(RUN) == 3  # the second lease expired: its three go back
            counts = recount(store)
            assert (counts[FileStatus.PENDING], counts[FileStatus.SUCCEEDED]) == (5, 1)
            assert store.leases(RUN) == []
            interrupted = [e.path for e in store.read_events(RUN) if e.kind is EventKind.FILE_INTERRUPTED]
            assert interrupted == ["k1", "k2", "k3", "k4", "k5"]

    def test_a_lease_an_older_process_took_after_the_upgrade_is_still_taken_back(
        self, tmp_path: Path
    ) -> None:
        """A process of the previous version, still running when another upgraded the store, claims without
        listing the keys: its lease's items are still listed, reported, released and reclaimed."""
        path = tmp_path / "run.db"
        clock = FakeClock()
        with open_sqlite(path, clock) as store:
            old, _ = two_leases(store)
            # as the previous version inserts a lease: no keys, no sizes
            store._conn.execute("UPDATE leases SET keys = '[]', sizes = NULL, bytes = NULL, unsized = NULL")
            assert [[item.key for item in lease.items] for lease in store.leases(RUN)] == [
                ["k0", "k1", "k2"],
                ["k3", "k4", "k5"],
            ]
            store.report(old, [Event(EventKind.FILE_SUCCEEDED, at=2.0, path="k1")])
            store.release(old)  # k0 and k2 go back
            clock.advance(61.0)
            assert store.reclaim(RUN) == 3  # the other lease expired: its three go back
            counts = recount(store)
            assert (counts[FileStatus.PENDING], counts[FileStatus.SUCCEEDED]) == (5, 1)
            interrupted = [e.path for e in store.read_events(RUN) if e.kind is EventKind.FILE_INTERRUPTED]
            assert interrupted == ["k0", "k2", "k3", "k4", "k5"]

    def test_newer_schema_is_refused_and_untouched(self, tmp_path: Path) -> None:
        """A store written by a newer schema raises SchemaVersionError with both versions."""
        path = tmp_path / "run.db"
        open_sqlite(path).close()
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
        raw.close()
        before = snapshot(path)
        with pytest.raises(SchemaVersionError) as caught:
            open_sqlite(path)
        assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
        assert str(path) in str(caught.value)
        assert snapshot(path) == before

    def test_store_missing_tables_is_damaged(self, tmp_path: Path) -> None:
        """A kit store that lost a table is reported as damaged, naming the table."""
        path = tmp_path / "run.db"
        open_sqlite(path).close()
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TABLE leases")
        raw.close()
        with pytest.raises(StoreCorruptError, match=r"damaged.*leases"):
            open_sqlite(path)

    def test_empty_file_becomes_a_store(self, tmp_path: Path) -> None:
        """A zero-byte file (e.g. from touch) is initialized like a new store."""
        path = tmp_path / "run.db"
        path.touch()
        with open_sqlite(path) as store:
            assert store.list_runs() == []


class TestSharing:
    def test_one_store_object_shared_by_threads(self) -> None:
        """Threads appending through one store object get dense seqs and lose nothing."""
        with open_sqlite("sqlite://") as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))

            def write() -> None:
                for _ in range(50):
                    store.append(RUN, [Event(EventKind.RUN_RESUMED, at=1.0)] * 3)

            threads = [threading.Thread(target=write) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [e.seq for e in store.read_events(RUN)] == list(range(1, 602))

    def test_readers_are_not_blocked_by_an_open_write(self, tmp_path: Path) -> None:
        """While another connection holds the write lock, a reader in another process reads committed data,
        and a writer with timeout=0 fails fast as unavailable."""
        path = tmp_path / "run.db"
        with open_sqlite(path) as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))
            store.add_items(RUN, [WorkItem("a"), WorkItem("b")], at=1.0)
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("UPDATE runs SET name = 'uncommitted'")
            result = run_python(
                f"""
                from omnimemory_kit.store import open_store
                store = open_store({str(path)!r})
                print(store.last_seq({RUN!r}), store.get_run({RUN!r}).name)
                """
            )
            assert result.returncode == 0, result.stderr
            assert result.stdout.split() == ["3", "x"]
            with open_sqlite(f"sqlite:///{path}?timeout=0") as impatient:
                with pytest.raises(StoreUnavailableError, match="locked"):
                    impatient.append(RUN, [Event(EventKind.RUN_STARTED, at=2.0)])
                assert impatient.last_seq(RUN) == 3
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    def test_processes_claiming_at_once_never_overlap(self, tmp_path: Path) -> None:
        """Three processes claiming from one file each get distinct items, and together all of them."""
        path = tmp_path / "run.db"
        keys = [f"k{i:04d}" for i in range(900)]
        with open_sqlite(path) as store:
            store.create_run(RunRecord(run_id=RUN, name="x"))
            store.add_items(RUN, [WorkItem(k) for k in keys], at=1.0)
        code = f"""
            import sys
            from omnimemory_kit.events import Event, EventKind
            from omnimemory_kit.store import open_store
            store = open_store({str(path)!r})
            worker = "host:" + sys.argv[1] + ":t"
            while (lease := store.claim({RUN!r}, worker, 9, 300)) is not None:
                done = [Event(EventKind.FILE_SUCCEEDED, at=2.0, path=i.key) for i in lease.items]
                store.report(lease, done)
                store.release(lease)
                print(*[i.key for i in lease.items], flush=True)
            """
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        children = [
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(code), str(n)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for n in range(3)
        ]
        claimed: list[str] = []
        for child in children:
            out, err = child.communicate()
            assert child.returncode == 0, err
            claimed += out.split()
        assert sorted(claimed) == keys
        with open_sqlite(path) as store:
            assert store.item_counts(RUN)[next(iter(store.item_counts(RUN)))] == 0  # nothing pending
            assert sum(w.items_done for w in store.workers(RUN)) == 900
            assert store.leases(RUN) == []


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "claim", "report", "release", "expire", "append", "retry_failed"]),
        st.integers(min_value=0, max_value=12),
    ),
    max_size=40,
)
APPENDS = st.lists(
    st.tuples(
        st.sampled_from(
            [EventKind.FILE_STARTED] * 3
            + [EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED] * 2
            + [
                EventKind.FILE_RETRIED,
                EventKind.FILE_INTERRUPTED,
                EventKind.FILE_ADDED,
                EventKind.BATCH_OPENED,
            ]
        ),
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=1, max_value=8),
    ),
    max_size=40,
)
OUTCOMES = [EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_RETRIED]


def drive(store: SQLiteStore, clock: FakeClock, operations: list[tuple[str, int]]) -> Iterator[None]:
    """Apply a mix of adds, claims, outcomes, releases, reclaims and appends; yield after each."""
    store.create_run(RunRecord(run_id=RUN, name="x"))
    leases: list[Lease] = []
    for op, n in operations:
        if op == "add":
            store.add_items(RUN, [WorkItem(f"k{(n * 7 + i) % 30}", i) for i in range(n)], at=1.0)
        elif op == "claim":
            lease = store.claim(RUN, f"h:{n % 3}:t", n + 1, 10)
            if lease is not None:
                leases.append(lease)
        elif op == "report" and leases:
            lease = leases[n % len(leases)]
            held = [i.key for x in store.leases(RUN) if x.lease_id == lease.lease_id for i in x.items]
            events = [Event(OUTCOMES[(n + j) % 4], at=2.0, path=key) for j, key in enumerate(held[:2])]
            if n % 2 and held:  # an attempt retried, then its outcome, in one report
                events = [Event(EventKind.FILE_RETRIED, at=2.0, path=held[0]), *events]
            if n % 5 == 4:  # an item the lease does not hold: refused, nothing recorded
                events.append(Event(EventKind.FILE_SUCCEEDED, at=2.0, path="not-held"))
            if events and lease.expires_at > clock.time():
                before = store.last_seq(RUN)
                try:
                    store.report(lease, events)
                except InvalidTransitionError:
                    assert n % 5 == 4
                    assert store.last_seq(RUN) == before
        elif op == "release" and leases:
            lease = leases.pop(n % len(leases))
            if any(x.lease_id == lease.lease_id for x in store.leases(RUN)):
                store.release(lease)
        elif op == "expire":
            clock.advance(n)
            store.reclaim(RUN)
        elif op == "append":
            key = f"k{n % 30}"
            store.append(RUN, [Event(EventKind.FILE_STARTED, at=3.0, path=key)])
        elif op == "retry_failed":
            store.append(RUN, [Event(EventKind.FILE_RETRIED, at=3.0, path=f"k{n % 30}")])
        yield


def items_rows(store: SQLiteStore) -> list[tuple[object, ...]]:
    """Return the items table of RUN (everything but the lease id, which the journal does not carry)."""
    (run_no,) = store._conn.execute("SELECT run_no FROM runs WHERE run_id = ?", (RUN,)).fetchone()
    return store._conn.execute(
        "SELECT key, ordinal, size, status, attempts, batch_id, worker_id FROM items WHERE run_no = ? "
        "ORDER BY key",
        (run_no,),
    ).fetchall()


class TestItemCounters:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(operations=OPERATIONS)
    def test_counters_always_match_a_recount(self, operations: list[tuple[str, int]]) -> None:
        """Whatever mix of adds, claims, outcomes, releases, reclaims and appends, the kept per-status
        counters equal a recount of the items table."""
        clock = FakeClock()
        with open_sqlite("sqlite://", clock) as store:
            for _ in drive(store, clock, operations):
                assert store.item_counts(RUN) == recount(store)


class TestAddingSortedChunks:
    def test_known_keys_are_found_inside_and_outside_a_chunks_range(self) -> None:
        """A chunk whose key range holds stored keys looks each key up; one past every stored key adds all."""
        with open_sqlite("sqlite://", FakeClock()) as store:
            store.create_run(RunRecord(run_id=RUN, name=RUN))
            assert store.add_items(RUN, [WorkItem(k) for k in ("b", "d", "f")], at=1.0) == 3
            # "d" is known; "c" and "e" are new though no stored key equals the range's ends
            assert store.add_items(RUN, [WorkItem(k) for k in ("c", "d", "e")], at=2.0) == 2
            assert store.add_items(RUN, [WorkItem(k) for k in ("a", "f")], at=3.0) == 1  # the range's ends
            assert store.add_items(RUN, [WorkItem(k) for k in ("g", "h")], at=4.0) == 2  # past them all
            added = [e.path for e in store.read_events(RUN) if e.kind is EventKind.FILE_ADDED]
            assert added == ["b", "d", "f", "c", "e", "a", "g", "h"]
            assert store.item_counts(RUN)[FileStatus.PENDING] == 8


class TestProjection:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(operations=OPERATIONS)
    def test_items_equal_a_replay_of_the_journal(self, operations: list[tuple[str, int]]) -> None:
        """The items that claim, report and release write set-based equal the journal replayed through
        append into a fresh store (status, attempts, batch and worker of every item)."""
        clock = FakeClock()
        with open_sqlite("sqlite://", clock) as live, open_sqlite("sqlite://", clock) as replayed:
            # Start with items under two leases, so the generated reports and releases have work to do.
            for _ in drive(live, clock, [("add", 12), ("claim", 4), ("claim", 4), *operations]):
                pass
            replayed.create_run(RunRecord(run_id=RUN, name="x"))
            replayed.append(RUN, list(live.read_events(RUN, after_seq=1)))
            assert items_rows(replayed) == items_rows(live)
            assert replayed.item_counts(RUN) == live.item_counts(RUN)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=APPENDS)
    def test_set_based_append_equals_the_row_by_row_fold(
        self, steps: list[tuple[EventKind, int, int]]
    ) -> None:
        """Appending starts and outcomes set-based leaves the same items and counters as folding each
        row, whatever the events, their items (known or not) and how they are split into calls."""
        events = [
            # a path even on BATCH_OPENED (odd keys): an event of another kind naming an item changes nothing
            Event(kind, at=1.0, path=None if kind is EventKind.BATCH_OPENED and i % 2 == 0 else f"k{i}",
                  batch_id=f"b{i % 3}", worker_id=f"w{i % 2}")
            for kind, i, _ in steps
        ]  # fmt: skip
        chunks, start = [], 0
        for _, _, size in steps:
            if start < len(events):
                chunks.append(events[start : start + size])
                start += size
        stores = []
        for set_based in (True, False):
            with patch.object(sqlite_items, "_SET_BASED_PROJECTION", set_based):
                store = open_sqlite("sqlite://", FakeClock())
                store.create_run(RunRecord(run_id=RUN, name="x"))
                store.add_items(RUN, [WorkItem(f"k{i}", i) for i in range(4)], at=0.5)  # k4, k5 unknown
                for chunk in chunks:
                    store.append(RUN, chunk)
                stores.append(store)
        fast, fold = stores
        assert items_rows(fast) == items_rows(fold)
        assert fast.item_counts(RUN) == fold.item_counts(RUN) == recount(fast)
        for store in stores:
            store.close()


class TestRareIndexSighting:
    """The rare-events index is looked up until a connection has seen it, then never again."""

    def test_reads_of_a_store_with_the_index_never_ask_for_it(self, tmp_path: Path) -> None:
        """Status and rare reads on an open store run no catalog lookup (the open saw the index)."""
        store = open_store(f"sqlite:///{tmp_path / 'j.db'}")
        assert isinstance(store, SQLiteStore)
        try:
            store.create_run(RunRecord(run_id="r", name="n", created_at=1.0))
            seen: list[str] = []
            store._conn.set_trace_callback(seen.append)
            for _ in range(2):
                store.status_facts("r")
                store.check_event_kinds("r")
                list(store.read_events_matching("r", after_seq=0, kinds=[EventKind.BATCH_OPENED]))
            store._conn.set_trace_callback(None)
            assert seen, "the reads were traced"
            assert not [sql for sql in seen if "sqlite_master" in sql]
        finally:
            store.close()

    def test_an_index_built_later_is_seen(self, tmp_path: Path) -> None:
        """Absence is not remembered: another writer may build the index while this connection lives."""
        conn = sqlite3.connect(tmp_path / "j.db", factory=StoreConnection)
        try:
            conn.execute("CREATE TABLE events (run_no, kind, batch_id)")
            assert not has_rare_index(conn)
            conn.execute("CREATE INDEX events_rare ON events (run_no, kind, batch_id)")
            assert has_rare_index(conn)
            conn.execute("DROP INDEX events_rare")  # never done to a store: shows the sighting is kept
            assert has_rare_index(conn)
        finally:
            conn.close()


class TestFailureIndexes:
    """Failed items per error type are counted from two small covering indexes, built once on older stores."""

    @staticmethod
    def _failing_run(store: SQLiteStore) -> None:
        """r: 6 items; k0 fails twice (TypeError, then ValueError), k1 once (no type), k2 fails then is
        requeued and succeeds, k3 succeeds."""
        store.create_run(RunRecord(run_id="r", name="n", created_at=1.0))
        store.add_items("r", [WorkItem(f"k{i}") for i in range(6)], at=1.0)
        lease = store.claim("r", "w", 4, 60)
        assert lease is not None
        store.report(lease, [
            Event(EventKind.FILE_FAILED, at=2.0, path="k0", error_type="TypeError"),
            Event(EventKind.FILE_FAILED, at=2.0, path="k1", error_type=""),
            Event(EventKind.FILE_FAILED, at=2.0, path="k2", error_type="OSError"),
            Event(EventKind.FILE_SUCCEEDED, at=2.0, path="k3"),
        ])  # fmt: skip
        store.release(lease)
        store.append(
            "r", [Event(EventKind.FILE_REQUEUED, at=3.0, path=key, reason="rerun") for key in ("k0", "k2")]
        )
        lease = store.claim("r", "w", 10, 60)
        assert lease is not None
        store.report(lease, [
            Event(EventKind.FILE_FAILED, at=4.0, path="k0", error_type="ValueError"),
            Event(EventKind.FILE_SUCCEEDED, at=4.0, path="k2"),
        ])  # fmt: skip

    def test_errors_by_type_read_only_the_indexes(self, tmp_path: Path) -> None:
        """The count is each failed item's last failure's type, and its plan reads no table row."""
        with open_store(tmp_path / "j.db") as store:
            assert isinstance(store, SQLiteStore)
            self._failing_run(store)
            assert store.status_facts("r").errors_by_type == {"ValueError": 1, "Error": 1}
            plans: list[str] = []
            for sql in [s for s in self._traced(store) if "items_failed" in s]:
                plans += [row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql, {"run": 1})]
            assert plans, "the count went through the failure indexes"
            assert all(
                "COVERING INDEX" in plan or "TEMP B-TREE" in plan or "SUBQUERY" in plan for plan in plans
            ), plans

    @staticmethod
    def _traced(store: SQLiteStore) -> list[str]:
        seen: list[str] = []
        store._conn.set_trace_callback(seen.append)
        try:
            store.status_facts("r")
        finally:
            store._conn.set_trace_callback(None)
        return seen

    def test_a_store_without_them_counts_the_same_and_gains_them_when_opened_to_write(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "j.db"
        with open_store(path) as store:
            assert isinstance(store, SQLiteStore)
            self._failing_run(store)
            expected = store.status_facts("r")
        with sqlite3.connect(path) as conn:
            conn.execute("DROP INDEX events_failed")
            conn.execute("DROP INDEX items_failed")
        with open_store(path, read_only=True) as store:  # never builds: the rare-events index is used
            assert store.status_facts("r") == expected
        with open_store(path) as store:
            assert store.status_facts("r") == expected
        with sqlite3.connect(path) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"events_failed", "items_failed"} <= names
