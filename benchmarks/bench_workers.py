"""Many workers: items/s with 1 to 8 worker processes, PostgreSQL beside SQLite.

Two migrations: a no-op (the store and the workers' own bookkeeping are all there is: CPU-bound; 1, 2 and
4 workers on both backends) and one that waits 10 ms per item (like a call to another service: the case
many workers are for; 1, 4 and 8 workers on PostgreSQL). Targets: one PostgreSQL worker at least 15,000
no-op items/s; 1 -> 4 no-op workers on PostgreSQL not slower (at least 1.0x); 1 -> 8 waiting workers at
least 6x. Each
configuration creates a run (``prepare_run``), starts N ``omnimemory-kit worker`` processes, holds them at
a gate until all have joined (so process start-up is not measured), then opens the gate. The measured
window runs from the gate to the last outcome in the journal. Claims per second counts the batches claimed
in that window. Workers size their batches as they do by default (``default_batch_size`` of their
concurrency: 512 at 32, 128 at 8); one PostgreSQL worker is also measured at batches of 100.
``OMNIMEMORY_BENCH_QUICK=1`` uses a tenth of the items.

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
from omnimemory_kit.migration.options import default_batch_size
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.store import open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
SMALL_BATCH = 100  # one PostgreSQL worker is also measured at this fixed size (the default before)
DELAY_ENV = "OMNIMEMORY_BENCH_DELAY"


@dataclass(frozen=True)
class Scenario:
    """One migration to measure: how long an item waits, how many run at once per worker, how many items,
    with how many workers on which backends, and the scaling target (1 -> the most workers, PostgreSQL)."""

    name: str
    delay: float
    concurrency: int
    items: int
    workers: tuple[int, ...]
    backends: tuple[str, ...]
    scaling_target: float


SCENARIOS = (
    # 60,000 no-op items: about 117 batches of 512, so four workers still share many batches each
    Scenario("no-op", 0.0, 32, 6_000 if QUICK else 60_000, (1, 2, 4), ("PostgreSQL", "SQLite"), 1.0),
    Scenario("10 ms wait per item", 0.010, 8, 1_600 if QUICK else 16_000, (1, 4, 8), ("PostgreSQL",), 6.0),
)
SINGLE_TARGET = 15_000.0  # one PostgreSQL worker, no-op items/s
PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
GATE_ENV = "OMNIMEMORY_BENCH_GATE"

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


def measure(
    url: str, scenario: Scenario, workers: int, folder: Path, batch_size: int | None = None
) -> tuple[float, float]:
    """Return (items/s, claims/s) of ``workers`` processes working a fresh run of the scenario's items.

    ``batch_size`` is recorded with the run; None records none (each worker's default for its concurrency).
    """
    run_id = f"bench-{workers}-{uuid.uuid4().hex[:6]}"
    gate = folder / f"{run_id}.gate"
    items = scenario.items
    with open_store(url) as store:
        prepare_run(store, run_id, IterableSource((f"item-{i:06d}" for i in range(items)), name=run_id),
                    "benchmarks.bench_workers:migrate", batch_size=batch_size)  # fmt: skip
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


def _section(
    scenario: Scenario, results: dict[tuple[str, int], tuple[float, float]], small: float | None = None
) -> str:
    rows: list[list[object]] = []
    for workers in scenario.workers:
        row: list[object] = [workers]
        for name in scenario.backends:
            rate, claims = results[name, workers]
            row += [f"{rate:,.0f}", f"{claims:,.1f}"]
        rows.append(row)
    first, most = scenario.workers[0], scenario.workers[-1]
    ratio_rows = []
    for name in scenario.backends:
        ratios = [f"{results[name, n][0] / results[name, first][0]:.2f}x" for n in scenario.workers[1:]]
        met = verdict(results[name, most][0] / results[name, first][0] >= scenario.scaling_target)
        ratio_rows.append([name, *ratios, met if name == "PostgreSQL" else "-"])
    heads = ["workers"]
    for name in scenario.backends:
        heads += [f"{name} items/s", f"{name} claims/s"]
    ratio_heads = ["backend", *(f"scaling {first} → {n}" for n in scenario.workers[1:])]
    ratio_heads.append(f"target {first} → {most} ≥ {scenario.scaling_target:g}x")
    text = (
        f"### {scenario.name}: {scenario.items:,} items, concurrency {scenario.concurrency} per worker\n\n"
        + table(heads, rows)
        + "\n\n"
        + table(ratio_heads, ratio_rows)
    )
    if scenario.delay == 0:
        single = results["PostgreSQL", 1][0]
        text += (
            f"\n\nOne PostgreSQL worker: {single:,.0f} items/s at its default batch size "
            f"({default_batch_size(scenario.concurrency)} at concurrency {scenario.concurrency}; target "
            f"≥ {SINGLE_TARGET:,.0f}: {verdict(single >= SINGLE_TARGET)})"
        )
        if small is not None:
            text += f"; at batches of {SMALL_BATCH}: {small:,.0f} items/s"
        text += "."
    return text


def run() -> str:
    """Measure and return the Markdown section."""
    sections = []
    pg_url, schema = _postgres_url()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        urls = {"PostgreSQL": pg_url, "SQLite": f"sqlite:///{folder / 'bench.db'}"}
        try:
            for scenario in SCENARIOS:
                results: dict[tuple[str, int], tuple[float, float]] = {}
                small: float | None = None
                for workers in scenario.workers:  # interleaved, so drift on a shared machine hits both
                    for name in scenario.backends:
                        results[name, workers] = measure(urls[name], scenario, workers, folder)
                    if workers == 1 and scenario.delay == 0:
                        small = measure(urls["PostgreSQL"], scenario, 1, folder, SMALL_BATCH)[0]
                sections.append(_section(scenario, results, small))
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return (
        "## Workers: one run shared by worker processes\n\n"
        "`omnimemory-kit worker` processes (batches of each worker's default size for its concurrency) on "
        f"one machine with {os.cpu_count()} "
        "cores, PostgreSQL on the same machine, measured from the moment every worker has joined to the "
        "last outcome journaled. Every item is claimed under a lease and reported durably; each worker "
        "folds only its own events, and takes the run's totals from the store's counters. Claims/s counts "
        "claimed batches. Reproduce: `.venv/bin/python -m benchmarks workers`.\n\n"
        + "\n\n".join(sections)
        + "\n"
    )


if __name__ == "__main__":
    print(run())
