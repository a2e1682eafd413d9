"""Many workers: items/s of a no-op migration with 1, 2 and 4 worker processes, PostgreSQL beside SQLite.

Each configuration creates a run (``prepare_run``), starts N ``omnimemory-kit worker`` processes, holds them
at a gate until all have joined (so process start-up is not measured), then opens the gate. The measured
window runs from the gate to the last outcome in the journal. Claims per second counts the batches claimed
in that window. ``OMNIMEMORY_BENCH_QUICK=1`` uses 2,000 items instead of 20,000.

The machine's core count bounds the scaling: every worker process, and PostgreSQL itself, share them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from benchmarks._util import table, verdict
from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
ITEMS = 2_000 if QUICK else 20_000
WORKERS = (1, 2, 4)
BATCH_SIZE = 100
CONCURRENCY = 32
PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
GATE_ENV = "OMNIMEMORY_BENCH_GATE"
SCALING_TARGET = 1.5  # 1 -> 4 workers; a 2-core machine caps it well below 4

_gate_open = False


async def noop(item: MigrationItem) -> None:
    """The migration: nothing, once the benchmark's gate file exists (all workers have joined)."""
    global _gate_open
    if not _gate_open:
        gate = os.environ.get(GATE_ENV)
        while gate and not os.path.exists(gate):
            await asyncio.sleep(0.002)
        _gate_open = True


def measure(url: str, workers: int, folder: Path) -> tuple[float, float]:
    """Return (items/s, claims/s) of ``workers`` processes working a fresh run of ITEMS no-op items."""
    run_id = f"bench-{workers}-{uuid.uuid4().hex[:6]}"
    gate = folder / f"{run_id}.gate"
    with open_store(url) as store:
        prepare_run(store, run_id, IterableSource((f"item-{i:06d}" for i in range(ITEMS)), name=run_id),
                    "benchmarks.bench_workers:noop", batch_size=BATCH_SIZE)  # fmt: skip
        cmd = [sys.executable, "-m", "omnimemory_kit", "worker", "--store", url, "--run-id", run_id]
        cmd += ["--concurrency", str(CONCURRENCY)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), GATE_ENV: str(gate)}
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(workers)
        ]
        try:
            deadline = time.monotonic() + 120
            while len(store.workers(run_id)) < workers:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"workers did not all join run {run_id}")
                time.sleep(0.01)
            started = time.time()
            gate.touch()
            for proc in procs:
                _, stderr = proc.communicate(timeout=600)
                if proc.returncode != 0:
                    raise RuntimeError(f"a worker exited {proc.returncode}: {stderr.decode()[-500:]}")
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        assert store.item_counts(run_id)[FileStatus.SUCCEEDED] == ITEMS
        events = list(store.read_events(run_id))
    finished = max(e.at for e in events if e.kind is EventKind.FILE_SUCCEEDED)
    claims = sum(1 for e in events if e.kind is EventKind.BATCH_OPENED)
    elapsed = max(finished - started, 1e-9)
    return ITEMS / elapsed, claims / elapsed


def _postgres_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}", schema


def run() -> str:
    """Measure and return the Markdown section."""
    results: dict[tuple[str, int], tuple[float, float]] = {}
    pg_url, schema = _postgres_url()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        backends = {"PostgreSQL": pg_url, "SQLite": f"sqlite:///{folder / 'bench.db'}"}
        try:
            for workers in WORKERS:  # interleaved, so drift on a shared machine hits both backends alike
                for name, url in backends.items():
                    results[name, workers] = measure(url, workers, folder)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    rows: list[list[object]] = []
    for workers in WORKERS:
        row: list[object] = [workers]
        for name in ("PostgreSQL", "SQLite"):
            rate, claims = results[name, workers]
            row += [f"{rate:,.0f}", f"{claims:,.1f}"]
        rows.append(row)
    scaling = {name: results[name, 4][0] / results[name, 1][0] for name in ("PostgreSQL", "SQLite")}
    scaling2 = {name: results[name, 2][0] / results[name, 1][0] for name in ("PostgreSQL", "SQLite")}
    ratio_rows = [
        [name, f"{scaling2[name]:.2f}x", f"{scaling[name]:.2f}x", verdict(scaling[name] >= SCALING_TARGET)]
        for name in ("PostgreSQL", "SQLite")
    ]
    return (
        f"## Workers: a no-op migration of {ITEMS:,} items shared by worker processes\n\n"
        f"`omnimemory-kit worker` processes (concurrency {CONCURRENCY}, batches of {BATCH_SIZE}) on one "
        f"machine with {os.cpu_count()} cores, PostgreSQL on the same machine, measured from the moment "
        "every worker has joined to the last outcome journaled. Every item is claimed under a lease, "
        "reported durably and folded into each worker's live tracker. Claims/s counts claimed batches.\n\n"
        + table(
            ["workers", "PostgreSQL items/s", "PostgreSQL claims/s", "SQLite items/s", "SQLite claims/s"],
            rows,
        )
        + "\n\n"
        + table(
            ["backend", "scaling 1 → 2", "scaling 1 → 4", f"target 1 → 4 ≥ {SCALING_TARGET}x"],
            ratio_rows,
        )
        + "\n\nWith more worker processes than cores, workers and the database compete for the same CPUs: "
        "the ratio from 1 to 4 shows what the machine allows, not what the protocol does. SQLite "
        "serializes writers on one file lock, so it scales only while workers spend their time "
        "outside the store.\n"
    )


if __name__ == "__main__":
    print(run())
