"""``migrate --create-only`` reads the manifest once and records the run with all of it, or nothing at all."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import Result
from psycopg import sql

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.store import JournalStore, open_store
from tests.cli.cli_helpers import invoke
from tests.conftest import PG_DSN
from tests.store.conftest import BACKEND_MARKS, BACKENDS

ROOT = Path(__file__).resolve().parents[2]

Peek = tuple[bool, int, bool]
"""Whether run r1 is committed, how many of its items are, and whether an add is under way."""


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A file with the function the run records."""
    path = tmp_path / "fns.py"
    path.write_text("def ok(item):\n    return None\n", encoding="utf-8")
    return path


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


def lines(keys: range, size: int = 1) -> str:
    return "".join(f"bucket/k{i:06d},{size}\n" for i in keys)


def create(manifest: Path, fns: Path, store_url: str) -> Result:
    return invoke(
        "migrate", str(manifest), "--function", f"{fns}:ok", "--store", store_url, "--run-id", "r1",
        "--create-only",
    )  # fmt: skip


def added(store: JournalStore) -> list[tuple[int, str | None, int | None]]:
    return [(e.seq, e.path, e.size) for e in store.read_events("r1") if e.kind is EventKind.FILE_ADDED]


class TestCreateOnly:
    """Good manifests are added once; a bad line adds nothing; running it again adds only what is new."""

    def test_items_repeats_and_a_second_run(self, tmp_path: Path, fns: Path, store_url: str) -> None:
        """Repeats count once (first size); running again adds nothing; a longer manifest adds the rest."""
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + lines(range(3_000)) + lines(range(10), size=9), encoding="utf-8")
        result = create(manifest, fns, store_url)
        assert result.exit_code == 0, result.stderr
        assert "run 'r1' created with 3000 item(s)" in result.stdout
        again = create(manifest, fns, store_url)
        assert again.exit_code == 0
        assert "added 0 new item(s) (3000 already present)" in again.stdout
        assert "created" not in again.stdout
        with manifest.open("a", encoding="utf-8") as handle:
            handle.write(lines(range(3_000, 3_005)) + '"quoted,key",4\n')
        topped = create(manifest, fns, store_url)
        assert topped.exit_code == 0
        assert "added 6 new item(s) (3000 already present)" in topped.stdout
        with open_store(store_url, create=False) as store:
            rows = added(store)
            assert store.item_counts("r1")[FileStatus.PENDING] == 3_006
        assert [seq for seq, _, _ in rows] == list(range(2, 3_008))
        assert {size for _, _, size in rows[:3_000]} == {1}
        assert [key for _, key, _ in rows[-6:]] == [f"bucket/k{i:06d}" for i in range(3_000, 3_005)] + [
            "quoted,key"
        ]

    @pytest.mark.parametrize(
        ("name", "bad", "message"),
        [
            ("m.csv", b"bucket/x,lots\n", "line 3002: size 'lots'"),
            ("m.csv", b",5\n", "line 3002: needs a non-empty 'key'"),
            ("m.csv", b"bucket/\xff,5\n", "line 3002: not UTF-8 text"),  # past the first buffer read
            ("m.jsonl", b'{"key": "x", "size": \n', "line 3001: not valid JSON"),
        ],
    )
    def test_a_bad_last_line_leaves_no_run(
        self, tmp_path: Path, fns: Path, store_url: str, name: str, bad: bytes, message: str
    ) -> None:
        """A bad line past 3,000 good ones exits 2 naming it, and no run is recorded; fixed, it adds all."""
        manifest = tmp_path / name
        if name.endswith(".csv"):
            good = ("key,size\n" + lines(range(3_000))).encode()
        else:
            good = "".join(f'{{"key": "bucket/k{i:06d}", "size": 1}}\n' for i in range(3_000)).encode()
        manifest.write_bytes(good + bad)
        result = create(manifest, fns, store_url)
        assert result.exit_code == 2
        assert message in result.stderr
        if store_url.startswith("sqlite"):
            # the store file the command created (and its -wal, -shm) is gone again
            assert sorted(os.listdir(tmp_path)) == sorted([name, "fns.py"])
        else:
            listed = invoke("runs", "--store", store_url)
            assert listed.exit_code == 0
            assert listed.stdout.strip() == "no runs yet"
        manifest.write_bytes(good)
        assert create(manifest, fns, store_url).exit_code == 0  # fixed, the same command adds all of it
        with open_store(store_url, create=False) as store:
            assert [run.run_id for run in store.list_runs()] == ["r1"]
            assert store.item_counts("r1")[FileStatus.PENDING] == 3_000
            assert [seq for seq, _, _ in added(store)] == list(range(2, 3_002))

    def test_a_bad_line_added_to_a_created_run_adds_nothing(
        self, tmp_path: Path, fns: Path, store_url: str
    ) -> None:
        """Topping up a created run with a manifest gone bad exits 2 and leaves the run as it was."""
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + lines(range(10)), encoding="utf-8")
        assert create(manifest, fns, store_url).exit_code == 0
        with manifest.open("a", encoding="utf-8") as handle:
            handle.write(lines(range(10, 20)) + "bucket/y,-1\n")
        result = create(manifest, fns, store_url)
        assert result.exit_code == 2
        assert "line 22: size -1 is negative" in result.stderr
        with open_store(store_url, create=False) as store:
            assert [run.run_id for run in store.list_runs()] == ["r1"]
            assert store.item_counts("r1")[FileStatus.PENDING] == 10
            assert len(added(store)) == 10


class TestNoStoreLeftBehind:
    """An input error found after migrate created its SQLite store removes that store, never an older one."""

    @pytest.fixture
    def bad_manifest(self, tmp_path: Path) -> Path:
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + lines(range(5)) + "bucket/x,lots\n", encoding="utf-8")
        return manifest

    def test_create_only_with_a_bad_line(self, tmp_path: Path, fns: Path, bad_manifest: Path) -> None:
        """The new store file and its -wal and -shm files are removed; the error is the manifest's."""
        store = tmp_path / "new.db"
        result = create(bad_manifest, fns, str(store))
        assert result.exit_code == 2
        assert "line 7: size 'lots'" in result.stderr
        assert sorted(os.listdir(tmp_path)) == ["fns.py", "m.csv"]

    def test_rerun_of_a_run_that_is_not_there(self, tmp_path: Path, fns: Path) -> None:
        """--rerun on a store that did not exist exits 2 (no such run) and leaves no file."""
        (tmp_path / "src").mkdir()
        result = invoke(
            "migrate", str(tmp_path / "src"), "--function", f"{fns}:ok", "--store", f"sqlite:///{tmp_path}/n.db",
            "--rerun", "failed",
        )  # fmt: skip
        assert result.exit_code == 2
        assert "no run" in result.stderr
        assert sorted(os.listdir(tmp_path)) == ["fns.py", "src"]

    def test_metrics_port_in_use(self, tmp_path: Path, fns: Path) -> None:
        """A --metrics-port another socket holds is found after the store is open: exit 2, no file left."""
        import socket

        (tmp_path / "src").mkdir()
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            store = str(tmp_path / "n.db")
            result = invoke(
                "migrate", str(tmp_path / "src"), "--function", f"{fns}:ok", "--store", store,
                "--metrics-port", str(port),
            )  # fmt: skip
        assert result.exit_code == 2
        assert "cannot listen" in result.stderr
        assert sorted(os.listdir(tmp_path)) == ["fns.py", "src"]

    def test_an_existing_empty_store_is_kept(self, tmp_path: Path, fns: Path, bad_manifest: Path) -> None:
        """A store that was there before the command, empty or not, is never removed."""
        store = tmp_path / "old.db"
        open_store(store).close()
        result = create(bad_manifest, fns, str(store))
        assert result.exit_code == 2
        with open_store(store, create=False) as opened:
            assert opened.list_runs() == []

    def test_a_store_that_gained_a_run_is_kept(self, tmp_path: Path, fns: Path) -> None:
        """A new store that holds a run when the command fails (items failed: exit 1) stays."""
        fails = tmp_path / "fails.py"
        fails.write_text("def bad(item):\n    raise ValueError('no')\n", encoding="utf-8")
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + lines(range(2)), encoding="utf-8")
        store = tmp_path / "new.db"
        result = invoke(
            "migrate", str(manifest), "--function", f"{fails}:bad", "--store", str(store), "--run-id", "r1",
            "--retries", "0",
        )  # fmt: skip
        assert result.exit_code == 1
        with open_store(store, create=False) as opened:
            assert opened.item_counts("r1")[FileStatus.FAILED] == 2


class TestABadLineAfterManyBlocks:
    """A bad line after blocks already written into the transaction still records nothing."""

    @pytest.mark.parametrize(("name", "count"), [("m.csv", 100_000), ("m.jsonl", 50_000)])
    def test_a_bad_last_line_of_a_large_manifest_leaves_no_run(
        self, tmp_path: Path, fns: Path, store_url: str, name: str, count: int
    ) -> None:
        """Several blocks' worth of good lines, then a bad one: exit 2 naming it, and no run at all."""
        manifest = tmp_path / name
        with manifest.open("w", encoding="utf-8") as handle:
            if name.endswith(".csv"):
                handle.write("key,size\n" + lines(range(count)) + "bucket/x,-5\n")
                bad_line = count + 2
            else:
                handle.writelines(f'{{"key": "bucket/k{i:06d}", "size": 1}}\n' for i in range(count))
                handle.write('{"key": "bucket/x"}{\n')
                bad_line = count + 1
        result = create(manifest, fns, store_url)
        assert result.exit_code == 2
        assert f"line {bad_line}" in result.stderr
        if store_url.startswith("sqlite"):  # the store file the command created is gone again
            assert sorted(os.listdir(tmp_path)) == sorted(["fns.py", name])
            return
        with open_store(store_url, create=False) as store:
            assert store.list_runs() == []


def peek_sqlite(db: Path) -> tuple[bool, int, bool]:
    """Return whether run r1 is committed, how many of its items are, and whether a write is spilling.

    Read beside the writer. A write transaction spills its pages into the WAL long before it commits:
    past 2 MiB (the schema takes a few pages), the add is under way.
    """
    if not db.exists():
        return False, 0, False
    wal = db.with_name(db.name + "-wal")
    spilling = wal.exists() and wal.stat().st_size > 2**21
    uri = f"file:{db}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            runs = conn.execute("SELECT run_no FROM runs WHERE run_id = 'r1'").fetchall()
            if not runs:
                return False, 0, spilling
            (items,) = conn.execute("SELECT count(*) FROM items WHERE run_no = ?", runs[0]).fetchone()
    except sqlite3.OperationalError:  # the schema is not written yet
        return False, 0, spilling
    return True, int(items), spilling


def peek_postgres(schema: str) -> tuple[bool, int, bool]:
    """Return whether run r1 is committed, how many of its items are, and whether items are being inserted.

    An INSERT into the schema's items table holds a RowExclusiveLock on it until its transaction ends.
    """
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        (locks,) = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'items' AND l.mode = 'RowExclusiveLock' AND l.granted",
            (schema,),
        ).fetchone()
        try:
            (runs,) = conn.execute(
                sql.SQL("SELECT count(*) FROM {}.runs WHERE run_id = 'r1'").format(sql.Identifier(schema))
            ).fetchone()
            (items,) = conn.execute(
                sql.SQL("SELECT count(*) FROM {}.items WHERE run_id = 'r1'").format(sql.Identifier(schema))
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # the schema is not written yet
            return False, 0, locks > 0
    return runs > 0, int(items), locks > 0


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def peeked_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Callable[[], Peek]]]:
    """A store URL of one backend, and how to look at it beside a writer."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        if request.param == "sqlite":
            db = tmp_path / "journal.db"
            yield factory.url, lambda: peek_sqlite(db)
        else:
            schema = factory.url.rpartition("schema=")[2]
            yield factory.url, lambda: peek_postgres(schema)


class TestKilledCreateOnly:
    """Create-only killed while adding leaves no run at all; running it again adds every item once."""

    def test_sigkill_mid_add_then_again(
        self, tmp_path: Path, fns: Path, peeked_store: tuple[str, Callable[[], Peek]]
    ) -> None:
        """SIGKILL with the creating transaction open: no run is recorded; running again adds all.

        The run and its items are one transaction. The kill comes only on evidence that the add is under
        way (SQLite: its pages spill into the WAL; PostgreSQL: it holds its insert lock on the items) and,
        with the process stopped (SIGSTOP), still no run is visible, so the kill lands mid-add.
        """
        url, peek = peeked_store
        count = 400_000 if url.startswith("sqlite") else 200_000
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + lines(range(count)), encoding="utf-8")
        argv = [
            sys.executable, "-m", "omnimemory_kit", "migrate", str(manifest), "--function", f"{fns}:ok",
            "--store", url, "--run-id", "r1", "--create-only",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll = threading.Event()  # waits between looks, never a fixed sleep before the kill
        killed_mid_add = False
        try:
            deadline = time.monotonic() + 120
            while not killed_mid_add:
                assert child.poll() is None, "create-only finished before the add was seen under way"
                assert time.monotonic() < deadline, "no sign of the add within 120 s"
                created, items, under_way = peek()
                assert (created, items) == (False, 0), "the run was committed before its items were"
                if under_way:
                    child.send_signal(signal.SIGSTOP)
                    killed_mid_add = peek() == (False, 0, True)  # frozen mid-add, nothing committed
                    child.send_signal(signal.SIGKILL if killed_mid_add else signal.SIGCONT)
                poll.wait(0.005)
        finally:
            if child.poll() is None and not killed_mid_add:
                child.kill()
            child.wait(30)
        assert child.returncode == -signal.SIGKILL
        with open_store(url, create=False) as store:
            assert store.list_runs() == []  # all or nothing: neither the run nor an item
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert f"{count} item(s)" in done.stdout
        with open_store(url, create=False) as store:
            rows = added(store)
            assert [run.run_id for run in store.list_runs()] == ["r1"]
            assert store.item_counts("r1")[FileStatus.PENDING] == count
        assert [seq for seq, _, _ in rows] == list(range(2, count + 2))  # after the run's RUN_CREATED, once
