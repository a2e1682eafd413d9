"""A journal holding an event kind this version does not know: a clean refusal, the store untouched.

Such a row comes from a newer omnimemory-kit or from tampering. Each test writes one with raw SQL into a real
store (a SQLite file, or an own schema on the real PostgreSQL server) and runs the real CLI in a process.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.errors import StoreCorruptError, UnknownEventKindError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.store import RunRecord, WorkItem, open_store
from tests.conftest import PG_DSN

ROOT = Path(__file__).resolve().parents[2]
KIND = "file_teleported"

FUNCTIONS = """
def ok(item):
    return item.key
"""


@dataclass
class Journal:
    """A real store of one backend, with raw access to its tables."""

    url: str
    insert_event: Callable[[str, str], int]  # (run_id, kind) -> the seq it was written at
    fingerprint: Callable[[], str]  # everything stored, as one comparable value


def _sqlite_journal(path: Path) -> Journal:
    url = f"sqlite:///{path}"

    def insert_event(run_id: str, kind: str) -> int:
        with sqlite3.connect(path) as conn:
            run_no, last = conn.execute(
                "SELECT run_no, last_seq FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO events (run_no, seq, kind, at) VALUES (?, ?, ?, 1.8e9)", (run_no, last + 1, kind)
            )
            conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (last + 1, run_no))
        conn.close()
        return int(last) + 1

    def fingerprint() -> str:
        digest = hashlib.sha256()
        for name in (path.name, f"{path.name}-wal"):
            file = path.parent / name
            # A read-only reader may leave an empty -wal beside the file: no commit, the same store.
            content = file.read_bytes() if file.exists() else b""
            digest.update(content or b"<absent or empty>")
        return digest.hexdigest()

    return Journal(url, insert_event, fingerprint)


def _postgres_journal(schema: str) -> Journal:
    url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"

    def insert_event(run_id: str, kind: str) -> int:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"SET search_path TO {schema}")
            with conn.transaction():
                row = conn.execute("SELECT last_seq FROM runs WHERE run_id = %s", (run_id,)).fetchone()
                assert row is not None
                seq = int(row[0]) + 1
                conn.execute(
                    "INSERT INTO events (run_id, seq, kind, at) VALUES (%s, %s, %s, 1.8e9)",
                    (run_id, seq, kind),
                )
                conn.execute("UPDATE runs SET last_seq = %s WHERE run_id = %s", (seq, run_id))
        return seq

    def fingerprint() -> str:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"SET search_path TO {schema}")
            tables = ("runs", "events", "items", "leases", "workers")
            return repr([conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables])

    return Journal(url, insert_event, fingerprint)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    """A real store of each backend (a PostgreSQL schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield _sqlite_journal(tmp_path / "journal.db")
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        yield _postgres_journal(schema)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder of three files and a file of migration functions beside it."""
    root = tmp_path / "src"
    root.mkdir()
    for i in range(3):
        (root / f"f{i}.py").write_text(f"x = {i}\n", encoding="utf-8")
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    return root


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def migrate(source: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``migrate`` of ``source`` (with the ``ok`` function beside it) as run ``r1``."""
    fns = f"{source.parent / 'fns.py'}:ok"
    return cli("migrate", str(source), "--function", fns, "--store", url, "--run-id", "r1", *extra)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return stderr, asserting it is exactly one line."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


class TestStoresRefuseUnknownKinds:
    """Reading a journal decodes every kind through one table and refuses the ones it lacks."""

    def test_read_events_names_kind_run_and_seq(self, journal: Journal) -> None:
        """``read_events`` raises the corrupt-store error carrying the kind, the run and the seq."""
        store = open_store(journal.url)
        try:
            store.create_run(RunRecord(run_id="r1", name="r1", priority="normal", created_at=1.8e9))
            store.add_items("r1", [WorkItem("a", 1)], at=1.8e9)
            seq = journal.insert_event("r1", KIND)
            with pytest.raises(UnknownEventKindError) as caught:
                list(store.read_events("r1"))
        finally:
            store.close()
        error = caught.value
        assert isinstance(error, StoreCorruptError)
        assert (error.kind, error.run_id, error.seq) == (KIND, "r1", seq)
        assert f"unknown kind {KIND!r} at seq {seq}" in str(error)

    def test_events_before_the_unknown_one_are_read(self, journal: Journal) -> None:
        """A reader that stops before the unknown row reads the journal as before."""
        store = open_store(journal.url)
        try:
            store.create_run(RunRecord(run_id="r1", name="r1", priority="normal", created_at=1.8e9))
            last = store.append("r1", [Event(EventKind.RUN_STARTED, 1.8e9)])
            journal.insert_event("r1", KIND)
            kinds = [event.kind for event in store.read_events("r1", limit=last)]
        finally:
            store.close()
        assert kinds == [EventKind.RUN_CREATED, EventKind.RUN_STARTED]


class TestCommandsRefuseUnknownKinds:
    """``status`` and ``migrate`` exit 2 with one line naming the kind and where, and change nothing."""

    def test_status_refuses_and_leaves_the_store_untouched(self, journal: Journal, source: Path) -> None:
        """``status`` of a run whose journal holds an unknown kind exits 2 naming it; nothing is written."""
        done = migrate(source, journal.url)
        assert done.returncode == 0, done.stderr
        seq = journal.insert_event("r1", KIND)
        before = journal.fingerprint()
        for args in (
            ("status", "r1", "--store", journal.url),
            ("status", "r1", "--store", journal.url, "--json"),
        ):
            result = cli(*args)
            assert result.returncode == 2, result.stderr
            line = one_line(result)
            assert line.startswith("error: ")
            assert f"run 'r1' has an event of unknown kind {KIND!r} at seq {seq}" in line
            assert result.stdout == ""
        assert journal.fingerprint() == before

    def test_migrate_refuses_before_writing_anything(self, journal: Journal, source: Path) -> None:
        """Resuming an unfinished run exits 2 naming the kind; new source files are not even added."""
        created = migrate(source, journal.url, "--create-only")
        assert created.returncode == 0, created.stderr
        seq = journal.insert_event("r1", KIND)
        (source / "new.py").write_text("y = 1\n", encoding="utf-8")
        before = journal.fingerprint()
        result = migrate(source, journal.url)
        assert result.returncode == 2, result.stderr
        assert f"unknown kind {KIND!r} at seq {seq}" in one_line(result)
        assert journal.fingerprint() == before

    def test_a_worker_joining_refuses_too(self, journal: Journal, source: Path) -> None:
        """A worker joining the run gets the same refusal and registers nothing."""
        created = migrate(source, journal.url, "--create-only")
        assert created.returncode == 0, created.stderr
        journal.insert_event("r1", KIND)
        before = journal.fingerprint()
        result = cli("worker", "--store", journal.url, "--run-id", "r1")
        assert result.returncode == 2, result.stderr
        assert f"unknown kind {KIND!r}" in one_line(result)
        assert journal.fingerprint() == before
