"""``migrate --create-only`` of a 10-million-line CSV manifest on SQLite, beside its floor and its parts.

Each row a separate process, in one temporary folder (deleted afterwards), CPU time (user + system, every
thread) and wall time from the process's parent, so they are comparable on a shared machine:

1. ``omnimemory-kit migrate MANIFEST --create-only`` as a user runs it (imports, reading the manifest and
   adding every item with its FILE_ADDED event included);
2. the floor: a bare ``executemany`` of the same ``(key, size)`` rows into a one-table SQLite file
   (``bench_scale._bare_insert``);
3. reading the manifest alone, as create-only reads it (``ManifestSource.blocks``), to show its share;
4. ``omnimemory-kit --help``: the fixed cost of starting the CLI.

The manifest has sorted keys, as an object-store listing gives them (``bench_scale._write_manifest``).

    python -m benchmarks create_only                      10,000,000 items (OMNIMEMORY_BENCH_SCALE_ITEMS=N)
    python -m benchmarks.bench_create_only --items 1000000  a smaller run
    python -m benchmarks.bench_create_only --manifest items.csv   an existing key,size manifest
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks._util import table, verdict
from benchmarks.bench_scale import ITEMS, REPO, TARGET_RATE, Measured, _cli, _measure, _write_manifest

_BARE = "import sys; from pathlib import Path; from benchmarks.bench_scale import _bare_insert; " \
    "_bare_insert(Path(sys.argv[1]), int(sys.argv[2]))"  # fmt: skip
_READ = "import sys; from omnimemory_kit.migration.sources import ManifestSource; " \
    "print(sum(len(b) for b in ManifestSource(sys.argv[1]).blocks()))"  # fmt: skip


def _row(step: str, items: int, run: Measured, floor: Measured | None = None) -> list[str]:
    beside = ""
    if floor is not None:
        wall, cpu = run.seconds / floor.seconds, run.cpu_seconds / floor.cpu_seconds
        beside = f"{wall:.2f}x the floor's wall, {cpu:.2f}x its CPU"
    return [
        step,
        f"{run.seconds:.1f} s",
        f"{items / run.seconds:,.0f} items/s" if items else "-",
        f"{run.cpu_seconds:.1f} s",
        f"{items / run.cpu_seconds:,.0f}" if items else "-",
        f"{run.peak_mb:,.0f} MB",
        beside,
    ]


def measure(items: int, manifest: Path | None = None) -> str:
    """Measure create-only of ``items`` items (or of ``manifest``); return the Markdown section."""
    root = Path(tempfile.mkdtemp(prefix="bench-create-only-"))
    try:
        return _measure_in(root, items, manifest)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure_in(root: Path, items: int, manifest: Path | None) -> str:
    (root / "scale_fns.py").write_text("def noop(item):\n    return None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(root)])}
    if manifest is None:
        manifest = root / "items.csv"
        _write_manifest(manifest, items)
    else:
        with manifest.open("rb") as handle:
            items = sum(1 for _ in handle) - 1
    load_before = os.getloadavg()[0]
    bare = _measure([sys.executable, "-c", _BARE, str(root / "bare.db"), str(items)], env)
    (root / "bare.db").unlink()
    db = root / "s.db"
    created = _measure(
        _cli("migrate", str(manifest), "--function", "scale_fns:noop", "--store", str(db),
             "--run-id", "scale", "--batch-size", "1000", "--create-only"),
        env,
    )  # fmt: skip
    if created.code != 0:
        raise RuntimeError(f"create-only failed: {created.stderr}")
    db_mb = db.stat().st_size / 2**20
    db.unlink()
    read = _measure([sys.executable, "-c", _READ, str(manifest)], env)
    starting = _measure(_cli("--help"), env)
    load_after = os.getloadavg()[0]
    rate, cpu_rate = items / created.seconds, items / created.cpu_seconds
    rows = [
        _row("`migrate --create-only`", items, created, bare),
        _row("floor: bare `executemany` of (key, size)", items, bare),
        _row("reading the manifest alone (`ManifestSource.blocks`)", items, read),
        _row("`omnimemory-kit --help` (starting the CLI)", 0, starting),
    ]
    head = ["step", "wall", "items/s", "CPU", "items per CPU second", "peak RSS", "beside the floor"]
    return (
        f"## Create-only: a {items:,}-line manifest on SQLite\n\n"
        f"`omnimemory-kit migrate MANIFEST --create-only` of {items:,} sorted keys (see "
        "`benchmarks/bench_create_only.py`), each row a separate process; CPU is user + system time of all "
        "its threads. Create-only reads the manifest once, a block of about 28,000 lines at a time, in a "
        "thread ahead of the store, and adds every item and its FILE_ADDED event in one transaction (a bad "
        f"line adds nothing). The store file holds {db_mb:,.0f} MB afterwards. Load average "
        f"{load_before:.1f} before, {load_after:.1f} after (2 cores). Reproduce with "
        "`python -m benchmarks create_only`.\n\n"
        + table(head, rows)
        + "\n\nTarget ≥ 200,000 items/s (wall clock, imports and manifest reading included): "
        f"{verdict(rate >= TARGET_RATE)} ({rate:,.0f} items/s; per CPU second {cpu_rate:,.0f}: "
        f"{verdict(cpu_rate >= TARGET_RATE)}).\n"
    )


def run() -> str:
    """Return the Markdown section for BENCHMARKS.md."""
    return measure(ITEMS)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--manifest", type=Path, default=None, help="an existing key,size CSV manifest")
    args = parser.parse_args(argv)
    print(measure(args.items, args.manifest))


if __name__ == "__main__":
    main(sys.argv[1:])
