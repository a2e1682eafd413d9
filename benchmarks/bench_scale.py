"""A 10-million-item run on SQLite: adding it, following it, reporting on it, and a worker's memory.

Steps, each a separate process as a user would run it, in one temporary folder (deleted afterwards):

1. ``omnimemory-kit migrate MANIFEST --create-only`` of ``ITEMS`` items from a CSV manifest (sorted keys,
   as an object-store listing gives them): wall time, CPU time and peak RSS of the command (imports and
   reading the manifest included). Beside it, in the same run, the floor: a bare ``executemany`` of
   the same ``(key, size)`` rows into a one-table SQLite file.
2. ``omnimemory-kit worker`` on that run (no-op function, concurrency 64) for ``WORKER_SECONDS``, then
   Ctrl-C: its peak RSS, and how many items it finished meanwhile.
   Beside them, a fresh ``omnimemory-kit migrate MANIFEST`` (no ``--create-only``) of the same manifest
   into a store of its own: adding the items and working them for ``WORKER_SECONDS`` in one process
   (its function sends Ctrl-C that long after its first item): its peak RSS, and again at half the items,
   so the growth per million items is the difference between the two (the interpreter's and the imports'
   fixed share cancels out).
3. The rest of the run is completed in bulk through the store's public API, not by running millions of
   no-op items: ``claim`` a batch of ``COMPLETE_CHUNK`` pending items, ``report`` their outcomes (1 in 500
   failed, 1 in 100 retried once, the rest succeeded), ``release`` it with BATCH_CLOSED, on a fake clock
   advancing at ``SIMULATED_RATE`` items/s; then RUN_COMPLETED. This writes exactly what workers write.
4. ``omnimemory-kit status RUN`` of the completed run: wall time and peak RSS, beside the fixed cost of
   starting the CLI (``omnimemory-kit --help``); then ``status RUN --json`` (with the item bytes per
   status), the same.
5. The migration report (``run_report("migration_report")``, as ``omnimemory-kit report`` runs it) of a
   second run built the same way with about ``REPORT_EVENTS`` journal events: time and HTML size.

Peak RSS of a child comes from ``getrusage(RUSAGE_CHILDREN)`` in a small parent of its own, so each
measurement sees only its child.

    python -m benchmarks scale                       10,000,000 items (OMNIMEMORY_BENCH_SCALE_ITEMS=N)
    python -m benchmarks.bench_scale --items 200000  a quick run (also OMNIMEMORY_BENCH_QUICK=1)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._util import table, verdict
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.runner_lifecycle import FOLLOW_COUNTERS_ABOVE
from omnimemory_kit.reports import run_report
from omnimemory_kit.store import JournalStore, RunRecord, open_store
from omnimemory_kit.store.base import WorkItem

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = int(os.environ.get("OMNIMEMORY_BENCH_SCALE_ITEMS", 200_000 if QUICK else 10_000_000))
REPORT_EVENTS_TARGET = 10_000_000
WORKER_SECONDS = 5.0 if QUICK else 20.0
COMPLETE_CHUNK = 20_000
SIMULATED_RATE = 2_000.0  # items/s of event time while the run is completed in bulk
TARGET_RATE = 200_000.0
STATUS_TIMEOUT = 900.0
TARGET_STATUS_SECONDS = 1.0
TARGET_STATUS_MB = 200.0
TARGET_REPORT_SECONDS = 60.0
TARGET_REPORT_BYTES = 10 * 2**20
TARGET_WORKER_MB = 500.0
REPO = Path(__file__).resolve().parent.parent
RUN = "scale"
REPORT_RUN = "report"

_MEASURE = """
import resource, subprocess, sys, tempfile, time
argv, timeout, interrupt_after = sys.argv[3:], float(sys.argv[1]), float(sys.argv[2])
errors = tempfile.TemporaryFile()  # a pipe nobody reads would block a chatty child
started = time.perf_counter()
child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
try:
    child.wait(interrupt_after if interrupt_after > 0 else timeout)
except subprocess.TimeoutExpired:
    child.send_signal(2 if interrupt_after > 0 else 9)  # Ctrl-C: the worker stops cleanly
    child.wait(timeout)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
errors.seek(0)
err = errors.read().decode(errors="replace")[-500:]
print(repr((seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, child.returncode, err)))
"""


@dataclass(frozen=True, slots=True)
class Measured:
    """One child process: wall seconds, peak RSS in MB, CPU seconds, exit code and its stderr's tail."""

    seconds: float
    peak_mb: float
    cpu_seconds: float
    code: int
    stderr: str


def _measure(
    argv: list[str], env: dict[str, str], *, timeout: float = 3600.0, interrupt_after: float = 0.0
) -> Measured:
    """Run ``argv`` under a parent of its own and return what it cost (Ctrl-C after ``interrupt_after`` s)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(timeout), str(interrupt_after), *argv],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak, cpu, code, err = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return Measured(seconds, peak, cpu, code, err)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "omnimemory_kit", *args]


def _key(i: int) -> str:
    return f"bucket/{i // 1000:05d}/obj-{i:08d}.json"


def _write_manifest(path: Path, items: int) -> None:
    """Write a CSV manifest of ``items`` sorted keys with sizes."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("key,size\n")
        write = handle.write
        for first in range(0, items, 100_000):
            write("".join(f"{_key(i)},{100 + i % 5000}\n" for i in range(first, min(first + 100_000, items))))


def _bare_insert(path: Path, items: int) -> float:
    """Return the seconds a bare ``executemany`` of the rows takes into a one-table file (the floor)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE items (key TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID")
    started = time.perf_counter()
    for first in range(0, items, 5000):
        rows = [(_key(i), 100 + i % 5000) for i in range(first, min(first + 5000, items))]
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO items VALUES (?, ?)", rows)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def _outcome(item: WorkItem, index: int, at: float) -> list[Event]:
    """Return one item's outcome events: mostly success, some retried once, a few failures."""
    events = []
    if index % 100 == 7:
        events.append(
            Event(EventKind.FILE_RETRIED, at, item.key, error_type="TimeoutError", error_message="slow")
        )
    if index % 500 == 3:
        events.append(
            Event(
                EventKind.FILE_FAILED, at, item.key, error_type="ValueError", error_message=f"bad {index % 7}"
            )
        )
    else:
        events.append(Event(EventKind.FILE_SUCCEEDED, at, item.key))
    return events


def _complete(store: JournalStore, clock: FakeClock, run_id: str) -> int:
    """Work every pending item of the run in bulk (claim, report, release); return how many."""
    worker = "bench:1:bulk"
    done = 0
    store.append(run_id, [Event(EventKind.RUN_RESUMED, clock.time())])
    while (lease := store.claim(run_id, worker, COMPLETE_CHUNK, 3600.0)) is not None:
        step = 1.0 / SIMULATED_RATE
        events: list[Event] = []
        for index, item in enumerate(lease.items, done):
            clock.advance(step)
            events += _outcome(item, index, clock.time())
        store.report(lease, events)
        store.release(
            lease, [Event(EventKind.BATCH_CLOSED, clock.time(), batch_id=lease.batch_id, worker_id=worker)]
        )
        done += len(lease.items)
    store.append(run_id, [Event(EventKind.RUN_COMPLETED, clock.time())])
    return done


def _build_report_run(store: JournalStore, clock: FakeClock, items: int) -> int:
    """Create the report's run with ``items`` items, complete it in bulk; return its journal length."""
    store.create_run(RunRecord(run_id=REPORT_RUN, name="Report at scale", created_at=clock.time()))
    store.append(REPORT_RUN, [Event(EventKind.RUN_STARTED, clock.time())])
    for first in range(0, items, 5000):
        chunk = [WorkItem(_key(i), 100 + i % 5000) for i in range(first, min(first + 5000, items))]
        store.add_items(REPORT_RUN, chunk, at=clock.time())
    _complete(store, clock, REPORT_RUN)
    return store.last_seq(REPORT_RUN)


def _mb(size: float) -> str:
    return f"{size:,.0f} MB"


def _rate(items: int, seconds: float) -> str:
    return f"{items / seconds:,.0f} items/s" if seconds > 0 else "-"


def measure(items: int) -> str:
    """Run every step at ``items`` items; return the Markdown section."""
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        return _measure_in(root, items)
    finally:
        shutil.rmtree(root, ignore_errors=True)


_FUNCTIONS = """
import os, signal, threading

def noop(item):
    return None

_timer = []

def stop_later(item):
    # Ctrl-C WORKER_SECONDS after the first item: the items were all added before it
    if not _timer:
        _timer.append(threading.Timer(float(os.environ["BENCH_STOP_AFTER"]), os.kill, (os.getpid(), 2)))
        _timer[0].start()
"""


@dataclass(frozen=True, slots=True)
class Fresh:
    """A fresh ``migrate`` of the manifest: what it cost, how many items it added and finished."""

    measured: Measured
    added: int
    done: int


def _per_million(small: Fresh, large: Fresh) -> float:
    """Return the peak RSS the fresh ``migrate`` gains per million more items (MB)."""
    more = large.added - small.added
    return (large.measured.peak_mb - small.measured.peak_mb) / more * 1e6 if more > 0 else 0.0


def measure_fresh(root: Path, manifest: Path, env: dict[str, str]) -> Fresh:
    """Run a fresh ``migrate`` of ``manifest`` into a store of its own, stopped after ``WORKER_SECONDS``
    of work; return its cost and how far it got (the store is deleted afterwards)."""
    db = root / "fresh.db"
    measured = _measure(
        _cli("migrate", str(manifest), "--function", "scale_fns:stop_later", "--store", str(db), "--run-id",
             "fresh", "--batch-size", "1000", "--concurrency", "64"),
        {**env, "BENCH_STOP_AFTER": str(WORKER_SECONDS)},
    )  # fmt: skip
    if measured.code not in (0, 130):  # 130: stopped by its Ctrl-C, as asked
        raise RuntimeError(f"fresh migrate failed: {measured.stderr}")
    with open_store(db) as store:
        counts = store.item_counts("fresh")
    for path in root.glob("fresh.db*"):
        path.unlink()
    done = sum(counts[s] for s in (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED))
    return Fresh(measured, sum(counts.values()), done)


def _measure_in(root: Path, items: int) -> str:
    (root / "scale_fns.py").write_text(_FUNCTIONS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(root)])}
    manifest, db = root / "items.csv", root / "scale.db"
    _write_manifest(manifest, items)
    bare = _bare_insert(root / "bare.db", items)
    (root / "bare.db").unlink()
    store_arg = str(db)
    created = _measure(
        _cli("migrate", str(manifest), "--function", "scale_fns:noop", "--store", store_arg, "--run-id", RUN,
             "--batch-size", "1000", "--create-only"),
        env,
    )  # fmt: skip
    if created.code != 0:
        raise RuntimeError(f"create-only failed: {created.stderr}")
    db_mb = db.stat().st_size / 2**20
    worker = _measure(
        _cli("worker", "--store", store_arg, "--run-id", RUN, "--concurrency", "64", "--batch-size", "1000"),
        env,
        interrupt_after=WORKER_SECONDS,
    )
    starting = _measure(_cli("--help"), env)
    fresh = measure_fresh(root, manifest, env)
    fresh_half: Fresh | None = None
    if items // 2 > FOLLOW_COUNTERS_ABOVE:  # both runs lean: the difference is what items cost
        half = root / "half.csv"
        _write_manifest(half, items // 2)
        fresh_half = measure_fresh(root, half, env)
        half.unlink()
    clock = FakeClock(wall_start=time.time())
    with open_store(db, clock=clock) as store:
        counts = store.item_counts(RUN)
        worked = sum(counts[s] for s in (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED))
        completed_started = time.perf_counter()
        bulk = _complete(store, clock, RUN)
        completed_seconds = time.perf_counter() - completed_started
        run_events = store.last_seq(RUN)
        report_items = min(items, REPORT_EVENTS_TARGET) * 10 // 31  # ~3.1 events per item
        report_started = time.perf_counter()
        report_events = _build_report_run(store, clock, report_items)
        report_build = time.perf_counter() - report_started
    status = _measure(_cli("status", RUN, "--store", store_arg), env, timeout=STATUS_TIMEOUT)
    if status.code not in (0, -signal.SIGKILL):
        raise RuntimeError(f"status failed: {status.stderr}")
    status_note = "" if status.code == 0 else f" (killed: no answer within {STATUS_TIMEOUT:.0f} s)"
    status_json = _measure(_cli("status", RUN, "--store", store_arg, "--json"), env, timeout=STATUS_TIMEOUT)
    if status_json.code not in (0, -signal.SIGKILL):
        raise RuntimeError(f"status --json failed: {status_json.stderr}")
    json_note = "" if status_json.code == 0 else f" (killed: no answer within {STATUS_TIMEOUT:.0f} s)"
    started = time.perf_counter()
    result = run_report(
        "migration_report",
        {"store_url": store_arg, "run_id": REPORT_RUN},
        out_dir=root / "reports",
        no_input=True,
    )
    report_seconds = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the report failed: {result.error}")
    html_bytes = result.html.stat().st_size
    rate = items / created.seconds
    cpu_rate = items / created.cpu_seconds
    rows: list[list[Any]] = [
        [
            f"`migrate --create-only`, {items:,} items",
            f"{created.seconds:.1f} s, **{_rate(items, created.seconds)}** "
            f"({_rate(items, created.cpu_seconds)} per CPU second), peak {_mb(created.peak_mb)}",
            f"bare `executemany` of (key, size): {bare:.1f} s, {_rate(items, bare)}; "
            f"create-only / bare {bare / created.seconds:.2f}x",
            f"≥ 200k items/s: {verdict(rate >= TARGET_RATE)} "
            f"(per CPU second: {verdict(cpu_rate >= TARGET_RATE)})",
        ],
        [
            f"`worker`, {WORKER_SECONDS:.0f} s on the {items:,}-item run, then Ctrl-C",
            f"peak **{_mb(worker.peak_mb)}**, {worked:,} items done (exit {worker.code})",
            "",
            f"≤ 500 MB: {verdict(worker.peak_mb <= TARGET_WORKER_MB)}",
        ],
        [
            f"fresh `migrate` (no `--create-only`), {items:,} items, {WORKER_SECONDS:.0f} s of work",
            f"peak **{_mb(fresh.measured.peak_mb)}**, "
            f"{fresh.added:,} items added, {fresh.done:,} done (exit {fresh.measured.code})"
            + (
                ""
                if fresh_half is None
                else f"; **{_per_million(fresh_half, fresh):+,.0f} MB per million items**"
            ),
            "(per million: needs a run of more than twice the lean size)"
            if fresh_half is None
            else f"at {fresh_half.added:,} items: peak {_mb(fresh_half.measured.peak_mb)}",
            f"≤ 500 MB: {verdict(fresh.measured.peak_mb <= TARGET_WORKER_MB)}",
        ],
        [
            f"`status` of the completed run ({run_events:,} events)",
            f"**{status.seconds:.2f} s**, peak **{_mb(status.peak_mb)}**{status_note}",
            f"`omnimemory-kit --help`: {starting.seconds:.2f} s, peak {_mb(starting.peak_mb)}",
            f"≤ 1 s: {verdict(status.seconds <= TARGET_STATUS_SECONDS)}; "
            f"≤ 200 MB: {verdict(status.peak_mb <= TARGET_STATUS_MB)}",
        ],
        [
            "`status --json` of the same run (with the item bytes per status)",
            f"**{status_json.seconds:.2f} s**, peak **{_mb(status_json.peak_mb)}**{json_note}",
            "the bytes the store keeps beside its item counts, no pass over the items",
            f"≤ 1 s: {verdict(status_json.seconds <= TARGET_STATUS_SECONDS)}; "
            f"≤ 200 MB: {verdict(status_json.peak_mb <= TARGET_STATUS_MB)}",
        ],
        [
            f"migration report of a run of {report_events:,} events",
            f"**{report_seconds:.1f} s**, HTML **{html_bytes / 2**20:.2f} MB** (+ plotly.js shared once)",
            "",
            f"≤ 60 s: {verdict(report_seconds <= TARGET_REPORT_SECONDS)}; "
            f"≤ 10 MB: {verdict(html_bytes <= TARGET_REPORT_BYTES)}",
        ],
    ]
    return (
        f"## Scale: a {items:,}-item run on SQLite\n\n"
        "Each step a separate process as a user runs it (see `benchmarks/bench_scale.py`): create-only from "
        "a CSV manifest of sorted keys (imports and reading the manifest included), a worker for "
        f"{WORKER_SECONDS:.0f} s, a fresh `migrate` of the same manifest and of half of it (adding and "
        "working in one process, a store of its own), `status` and `status --json`, and the migration "
        "report of a second run. The run is completed "
        f"in bulk through the store's public `claim` / `report` / `release` ({bulk:,} items in "
        f"{completed_seconds:.0f} s), not by running millions of no-op items; the report's run was built "
        f"the same way in {report_build:.0f} s. The store file holds {db_mb:,.0f} MB after create-only. "
        f"Reproduce with `python -m benchmarks scale` (`python -m benchmarks.bench_scale --items N` for a "
        "quick run).\n\n" + table(["step", "measured", "beside it, same run", "target"], rows) + "\n"
    )


def run() -> str:
    """Measure at ``ITEMS`` items (the benchmark runner's entry point)."""
    return measure(ITEMS)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--items", type=int, default=ITEMS, help="items in the run (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.items < 1:
        parser.error("--items must be at least 1")
    print(json.dumps({"items": args.items}), file=sys.stderr)
    print(measure(args.items))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main(sys.argv[1:])
