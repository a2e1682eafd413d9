"""Durable journal on SQLite: ``SQLiteStore.append`` against raw ``sqlite3.executemany`` of the same rows.

Both write the same event rows, in batches of ``BATCH`` per transaction, into a file in WAL mode with
``synchronous=NORMAL`` (committed = survives a crash of the process) and a same-shaped events table. The
store also converts ``Event`` objects to rows and keeps the items projection up to date in the same
transaction; the baseline gets ready-made tuples and writes nothing else. Also measured: claim + report +
release of batches of 100 items (the multi-worker path), and reading the journal back.

``OMNIMEMORY_BENCH_QUICK=1`` runs small sizes.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._util import best_of, table, verdict
from omnimemory_kit.clock import SYSTEM_CLOCK
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.store import RunRecord, SQLiteStore, WorkItem, open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
EVENTS = 20_000 if QUICK else 200_000
CLAIM_ITEMS = 2_000 if QUICK else 20_000
BATCH = 1_000
CLAIM_BATCH = 100
REPEATS = 2 if QUICK else 3
TARGET_RATE = 100_000
TARGET_RATIO = 0.5

_BASELINE_SCHEMA = """
CREATE TABLE events (
    run_no INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, at REAL NOT NULL, path TEXT,
    size INTEGER, batch_id TEXT, error_type TEXT, error_message TEXT, reason TEXT, worker_id TEXT,
    PRIMARY KEY (run_no, seq)
) WITHOUT ROWID
"""


def journal(n: int) -> list[Event]:
    """Return a realistic journal of about ``n`` events: files added, then batches started and finished."""
    files = n // 3
    events = [
        Event(EventKind.FILE_ADDED, at=1.0, path=f"/src/tools/tool_{i:07d}.py", size=1024)
        for i in range(files)
    ]
    for start in range(0, files, 100):
        batch_id = f"batch-{start // 100}"
        for i in range(start, min(start + 100, files)):
            path = f"/src/tools/tool_{i:07d}.py"
            events.append(Event(EventKind.FILE_STARTED, at=2.0, path=path, batch_id=batch_id, worker_id="w"))
            if i % 20 == 19:
                events.append(
                    Event(
                        EventKind.FILE_FAILED, at=3.0, path=path, error_type="ValueError", error_message="bad"
                    )
                )
            else:
                events.append(Event(EventKind.FILE_SUCCEEDED, at=3.0, path=path))
    return events


def rows_of(events: list[Event]) -> list[tuple[object, ...]]:
    """Return the rows the store would write for these events, as plain tuples."""
    return [
        (
            1,
            seq,
            e.kind.value,
            e.at,
            e.path,
            e.size,
            e.batch_id,
            e.error_type,
            e.error_message,
            e.reason,
            e.worker_id,
        )
        for seq, e in enumerate(events, 1)
    ]


def once(prepare: Callable[[Path], Callable[[], None]]) -> float:
    """Return the wall time of a write job on a fresh file."""
    with tempfile.TemporaryDirectory() as folder:
        job = prepare(Path(folder))
        gc.collect()
        start = time.perf_counter()
        job()
        return time.perf_counter() - start


def timed_side_by_side(*jobs: Callable[[Path], Callable[[], None]]) -> list[float]:
    """Return each job's best time, the jobs interleaved in every round so load drifts hit them alike."""
    best = [float("inf")] * len(jobs)
    for _ in range(REPEATS):
        for i, job in enumerate(jobs):
            best[i] = min(best[i], once(job))
    return best


def store_append(events: list[Event], synchronous: str = "normal") -> Callable[[Path], Callable[[], None]]:
    """Prepare appending ``events`` through the store in batches of BATCH."""

    def prepare(folder: Path) -> Callable[[], None]:
        store = open_store(f"sqlite:///{folder / 'journal.db'}?synchronous={synchronous}", clock=SYSTEM_CLOCK)
        store.create_run(RunRecord(run_id="bench", name="bench"))

        def job() -> None:
            for i in range(0, len(events), BATCH):
                store.append("bench", events[i : i + BATCH])
            store.close()

        return job

    return prepare


def raw_executemany(rows: list[tuple[object, ...]]) -> Callable[[Path], Callable[[], None]]:
    """Prepare inserting ready-made rows with executemany, one transaction per BATCH rows."""

    def prepare(folder: Path) -> Callable[[], None]:
        conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(_BASELINE_SCHEMA)

        def job() -> None:
            for i in range(0, len(rows), BATCH):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[i : i + BATCH]
                )
                conn.execute("COMMIT")
            conn.close()

        return job

    return prepare


class _Recorder:
    """Stands in for the store's connection and records every statement with its parameters."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.calls: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.calls.append((sql, [params]))
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        self.calls.append((sql, rows))
        return self.conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def recorded_sql(events: list[Event]) -> list[tuple[str, list[Any]]]:
    """Return the statements (with their rows) the store runs to append ``events`` in batches of BATCH."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "record.db", clock=SYSTEM_CLOCK)
        assert isinstance(store, SQLiteStore)
        store.create_run(RunRecord(run_id="bench", name="bench"))
        recorder = _Recorder(store._conn)
        store._conn = recorder  # type: ignore[assignment]
        for i in range(0, len(events), BATCH):
            store.append("bench", events[i : i + BATCH])
        store._conn = recorder.conn
        store.close()
    return recorder.calls


def raw_replay(calls: list[tuple[str, list[Any]]]) -> Callable[[Path], Callable[[], None]]:
    """Prepare replaying the store's own statements and rows with raw execute/executemany on its schema."""

    def prepare(folder: Path) -> Callable[[], None]:
        store = open_store(folder / "replay.db", clock=SYSTEM_CLOCK)
        store.create_run(RunRecord(run_id="bench", name="bench"))
        store.close()
        conn = sqlite3.connect(folder / "replay.db", isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -32768")

        def job() -> None:
            for sql, rows in calls:
                if len(rows) == 1:
                    conn.execute(sql, rows[0])
                else:
                    conn.executemany(sql, rows)
            conn.close()

        return job

    return prepare


def claim_cycle(items: int) -> Callable[[Path], Callable[[], None]]:
    """Prepare claiming, reporting and releasing every item in batches of CLAIM_BATCH."""

    def prepare(folder: Path) -> Callable[[], None]:
        store = open_store(folder / "claims.db", clock=SYSTEM_CLOCK)
        store.create_run(RunRecord(run_id="bench", name="bench"))
        store.add_items("bench", [WorkItem(f"/src/{i:07d}.py", 10) for i in range(items)], at=1.0)

        def job() -> None:
            while (lease := store.claim("bench", "host:1:w", CLAIM_BATCH, 60)) is not None:
                store.report(
                    lease, [Event(EventKind.FILE_SUCCEEDED, at=2.0, path=i.key) for i in lease.items]
                )
                store.release(lease, [Event(EventKind.BATCH_CLOSED, at=2.0, batch_id=lease.batch_id)])
            store.close()

        return job

    return prepare


def read_rates(events: list[Event]) -> tuple[float, float]:
    """Return events/s reading the journal back as Event objects and as plain rows."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "read.db")
        store.create_run(RunRecord(run_id="bench", name="bench"))
        for i in range(0, len(events), BATCH):
            store.append("bench", events[i : i + BATCH])
        total = len(events) + 1

        def read_objects() -> float:
            start = time.perf_counter()
            assert sum(1 for _ in store.read_events("bench")) == total
            return time.perf_counter() - start

        def read_rows() -> float:
            start = time.perf_counter()
            assert sum(1 for _ in store.read_event_rows("bench")) == total
            return time.perf_counter() - start

        objects, rows = best_of(REPEATS, read_objects), best_of(REPEATS, read_rows)
        store.close()
    return total / objects, total / rows


def run() -> str:
    """Measure and return the Markdown section."""
    events = journal(EVENTS)
    rows = rows_of(events)
    n = len(events)
    raw_time, ours_time, replay_time, full_time = timed_side_by_side(
        raw_executemany(rows),
        store_append(events),
        raw_replay(recorded_sql(events)),
        store_append(events, "full"),
    )
    raw, ours, replay, full = n / raw_time, n / ours_time, n / replay_time, n / full_time
    (claim_time,) = timed_side_by_side(claim_cycle(CLAIM_ITEMS))
    claims = CLAIM_ITEMS / claim_time
    read_objects, read_rows = read_rates(events)
    ratio = ours / raw
    measurements = table(
        ["what", "rate", "notes"],
        [
            [
                "raw `sqlite3.executemany` (baseline)",
                f"{raw:,.0f} events/s",
                "ready-made tuples, events table only",
            ],
            [
                "`SQLiteStore.append`",
                f"{ours:,.0f} events/s",
                f"{ratio:.2f}x raw; rows built from Events + items projection",
            ],
            [
                "raw replay of the store's own SQL (informational)",
                f"{replay:,.0f} events/s",
                f"events + items rows, no Python layer: the store runs at {ours / replay:.2f}x of it",
            ],
            ["`SQLiteStore.append`, `synchronous=full`", f"{full:,.0f} events/s", "survives power loss"],
            [
                f"claim + report + release, batches of {CLAIM_BATCH}",
                f"{claims:,.0f} items/s",
                f"{claims / CLAIM_BATCH:,.0f} claims/s",
            ],
            ["`read_events`", f"{read_objects:,.0f} events/s", "Event objects"],
            ["`read_event_rows`", f"{read_rows:,.0f} events/s", "plain tuples"],
        ],
    )
    targets = table(
        ["target", "measured", "verdict"],
        [
            [f"append ≥ {TARGET_RATE:,} events/s durable", f"{ours:,.0f}", verdict(ours >= TARGET_RATE)],
            [f"append ≥ {TARGET_RATIO}x raw executemany", f"{ratio:.2f}x", verdict(ratio >= TARGET_RATIO)],
        ],
    )
    return (
        "## Durable journal (SQLite)\n\n"
        f"{n:,} events ({n // 3:,} files added, started, finished) appended {BATCH:,} per call "
        f"(one transaction each), WAL, `synchronous=NORMAL`; best of {REPEATS} rounds, "
        "the store and the baseline interleaved in each round.\n\n"
        f"{measurements}\n\n{targets}\n"
    )


if __name__ == "__main__":
    print(run())
