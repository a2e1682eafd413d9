"""Many workers: items/s with 1, 2 and 4 worker processes, PostgreSQL beside SQLite.

Two migrations: a no-op (the store and the workers' own bookkeeping are all there is: CPU-bound) and one
that waits 5 ms per item (like a call to another service: the case many workers are for). Each
configuration creates a run (``prepare_run``), starts N ``omnimemory-kit worker`` processes, holds them at
a gate until all have joined (so process start-up is not measured), then opens the gate. The measured
window runs from the gate to the last outcome in the journal. Claims per second counts the batches claimed
in that window. ``OMNIMEMORY_BENCH_QUICK=1`` uses a tenth of the items.

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
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks._util import table, verdict
from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
WORKERS = (1, 2, 4)
BATCH_SIZE = 100
BACKENDS = ("PostgreSQL", "SQLite")
DELAY_ENV = "OMNIMEMORY_BENCH_DELAY"


@dataclass(frozen=True)
class Scenario:
    """One migration to measure: how long an item waits, how many run at once per worker, how many items."""

    name: str
    delay: float
    concurrency: int
    items: int


SCENARIOS = (
    Scenario("no-op", 0.0, 32, 2_000 if QUICK else 20_000),
    Scenario("5 ms wait per item", 0.005, 8, 1_000 if QUICK else 10_000),
)
PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
GATE_ENV = "OMNIMEMORY_BENCH_GATE"
SCALING_TARGET = 2.0  # 1 -> 4 workers, PostgreSQL, waiting migration; 2 cores cap the no-op well below

_gate_open = False


async def migrate(item: MigrationItem) -> None:
    """The migration: wait the scenario's delay (none for the no-op), once all workers have joined."""
    global _gate_open
    if not _gate_open:
        gate = os.environ.get(GATE_ENV)
        while gate and not os.path.exists(gate):
            await asyncio.sleep(0.002)
        _gate_open = True
    delay = float(os.environ.get(DELAY_ENV, "0"))
    if delay:
        await asyncio.sleep(delay)


def measure(url: str, scenario: Scenario, workers: int, folder: Path) -> tuple[float, float]:
    """Return (items/s, claims/s) of ``workers`` processes working a fresh run of the scenario's items."""
    run_id = f"bench-{workers}-{uuid.uuid4().hex[:6]}"
    gate = folder / f"{run_id}.gate"
    items = scenario.items
    with open_store(url) as store:
        prepare_run(store, run_id, IterableSource((f"item-{i:06d}" for i in range(items)), name=run_id),
                    "benchmarks.bench_workers:migrate", batch_size=BATCH_SIZE)  # fmt: skip
        cmd = [sys.executable, "-m", "omnimemory_kit", "worker", "--store", url, "--run-id", run_id]
        cmd += ["--concurrency", str(scenario.concurrency)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), GATE_ENV: str(gate), DELAY_ENV: str(scenario.delay)}
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
        assert store.item_counts(run_id)[FileStatus.SUCCEEDED] == items
        events = list(store.read_events(run_id))
    finished = max(e.at for e in events if e.kind is EventKind.FILE_SUCCEEDED)
    claims = sum(1 for e in events if e.kind is EventKind.BATCH_OPENED)
    elapsed = max(finished - started, 1e-9)
    return items / elapsed, claims / elapsed


def _postgres_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}", schema


def _section(scenario: Scenario, results: dict[tuple[str, int], tuple[float, float]]) -> str:
    rows: list[list[object]] = []
    for workers in WORKERS:
        row: list[object] = [workers]
        for name in BACKENDS:
            rate, claims = results[name, workers]
            row += [f"{rate:,.0f}", f"{claims:,.1f}"]
        rows.append(row)
    targeted = scenario.delay > 0
    ratio_rows = []
    for name in BACKENDS:
        two = results[name, 2][0] / results[name, 1][0]
        four = results[name, 4][0] / results[name, 1][0]
        met = verdict(four >= SCALING_TARGET) if targeted and name == "PostgreSQL" else "-"
        ratio_rows.append([name, f"{two:.2f}x", f"{four:.2f}x", met])
    return (
        f"### {scenario.name}: {scenario.items:,} items, concurrency {scenario.concurrency} per worker\n\n"
        + table(
            ["workers", "PostgreSQL items/s", "PostgreSQL claims/s", "SQLite items/s", "SQLite claims/s"],
            rows,
        )
        + "\n\n"
        + table(
            ["backend", "scaling 1 → 2", "scaling 1 → 4", f"target 1 → 4 ≥ {SCALING_TARGET:g}x"], ratio_rows
        )
    )


def run() -> str:
    """Measure and return the Markdown section."""
    sections = []
    pg_url, schema = _postgres_url()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        backends = {"PostgreSQL": pg_url, "SQLite": f"sqlite:///{folder / 'bench.db'}"}
        try:
            for scenario in SCENARIOS:
                results: dict[tuple[str, int], tuple[float, float]] = {}
                for workers in WORKERS:  # interleaved, so drift on a shared machine hits both backends
                    for name, url in backends.items():
                        results[name, workers] = measure(url, scenario, workers, folder)
                sections.append(_section(scenario, results))
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return (
        "## Workers: one run shared by worker processes\n\n"
        f"`omnimemory-kit worker` processes (batches of {BATCH_SIZE}) on one machine with {os.cpu_count()} "
        "cores, PostgreSQL on the same machine, measured from the moment every worker has joined to the "
        "last outcome journaled. Every item is claimed under a lease, reported durably and folded into "
        "every worker's live tracker. Claims/s counts claimed batches. Target: with a migration that "
        "waits (the case many workers are for), 1 → 4 workers on PostgreSQL at least "
        f"{SCALING_TARGET:g}x.\n\n"
        + "\n\n".join(sections)
        + "\n\nThe no-op shows the ceiling of the machine, not of the protocol: with more busy processes "
        "than cores, workers and the database compete for the same CPUs, and each worker also folds the "
        "other workers' journal events into its own live tracker. SQLite serializes writers on one file "
        "lock, so it scales only while workers spend their time outside the store.\n"
    )


if __name__ == "__main__":
    print(run())
