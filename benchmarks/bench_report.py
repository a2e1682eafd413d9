"""The migration report over a run of 1,000,000 journal events: end-to-end time, its phases, HTML size;
plotly.js shared beside the reports (the default) against the single-file page (``self_contained=True``).

A SQLite journal is filled with one run of about ``EVENTS`` events (files added, started, retried,
succeeded / failed / skipped, in batches, over two simulated hours), then ``run_report("migration_report",
...)`` executes the bundled notebook in a fresh kernel and renders the HTML, exactly as
``omnimemory-kit report`` does. The phases come from papermill's per-cell timings in the executed notebook:

- kernel start: from the start of execution to the first cell starting (papermill + kernel boot);
- queries: the cells that read the store (run list, the run's frames from the store's sums);
- figures: the cells that build and display figures and tables;
- HTML rendering: ``render_html`` of the executed notebook.

Baseline, same run and pipeline: the report of an empty store (a notebook with nothing to read), i.e. the
fixed cost of a kernel, papermill and nbconvert. Beside it, in this process: the CPU seconds of reading
the run's frames from the store's sums (``data.load_migration``) against replaying its whole journal into a
tracker (``data._replay``, what the report did before and still does for a store that cannot sum), best of
``ROUNDS`` each, interleaved. The big report runs ``ROUNDS`` times in each form,
interleaved (shared, single file, shared, ...); the best of each counts. Its HTML rendering is timed
apart, ``RENDERINGS`` times each way, interleaved, best of each.

Targets: at most 20 s end to end; the shared form at most 300 KB (plus the one shared plotly.js) and no
slower than the single file. The two forms run the same kernel and the same cells and differ only in
rendering the HTML, so that is the target; the end-to-end ratio is shown too, but on a busy machine it
mostly measures the noise of kernel starts and queries. The single file at most 8 MB.

``OMNIMEMORY_BENCH_QUICK=1`` uses 100,000 events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._util import table, verdict
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.notebook import data
from omnimemory_kit.reports import STATIC_DIR, ReportResult, plotly_js_name, render_html, run_report
from omnimemory_kit.store import RunRecord, open_store

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
EVENTS = 100_000 if QUICK else 1_000_000
BATCH_FILES = 500
TARGET_SECONDS = 20.0
TARGET_BYTES = 8 * 2**20
TARGET_SHARED_BYTES = 300 * 1024
ROUNDS = 3
RENDERINGS = 10
_QUERY_MARKERS = ("runs_frame", "load_migration")
_FIGURE_MARKERS = ("show(", "show_table(")


def _events(target: int, start: float) -> list[Event]:
    """Return about ``target`` events of one run: batches of files, some retried, some failing."""
    files = target * 10 // 31  # ~3.1 events per file, plus batch and run events
    events: list[Event] = [Event(EventKind.RUN_STARTED, at=start)]
    span = 2 * 3600.0
    events += [
        Event(
            EventKind.FILE_ADDED,
            at=start,
            path=f"/legacy/tools/pkg_{i % 97:02d}/tool_{i:07d}.py",
            size=800 + i % 5000,
        )
        for i in range(files)
    ]
    for first in range(0, files, BATCH_FILES):
        batch = f"batch-{first // BATCH_FILES:05d}"
        at = start + span * first / files
        events.append(Event(EventKind.BATCH_OPENED, at=at, batch_id=batch))
        for i in range(first, min(first + BATCH_FILES, files)):
            path = f"/legacy/tools/pkg_{i % 97:02d}/tool_{i:07d}.py"
            at += span / files
            events.append(Event(EventKind.FILE_STARTED, at=at, path=path, batch_id=batch, worker_id="bench"))
            if i % 10 == 3:
                events.append(
                    Event(
                        EventKind.FILE_RETRIED,
                        at=at + 0.1,
                        path=path,
                        error_type="TimeoutError",
                        error_message="slow",
                    )
                )
            if i % 50 == 7:
                events.append(
                    Event(
                        EventKind.FILE_FAILED,
                        at=at + 0.2,
                        path=path,
                        error_type="SyntaxError",
                        error_message=f"line {i % 300}",
                    )
                )
            elif i % 200 == 11:
                events.append(Event(EventKind.FILE_SKIPPED, at=at + 0.1, path=path, reason="empty"))
            else:
                events.append(Event(EventKind.FILE_SUCCEEDED, at=at + 0.05 + (i % 13) * 0.01, path=path))
        events.append(Event(EventKind.BATCH_CLOSED, at=at + 0.3, batch_id=batch))
    events.append(Event(EventKind.RUN_COMPLETED, at=start + span + 1.0))
    return events


def _build_store(path: Path, target: int) -> int:
    """Write one run of about ``target`` events into a new journal; return the journal's length."""
    clock = FakeClock(wall_start=1_800_000_000.0)
    with open_store(path, clock=clock) as store:
        store.create_run(RunRecord(run_id="big", name="Benchmark migration", created_at=clock.time()))
        events = _events(target - 1, clock.time())
        for start in range(0, len(events), 50_000):
            store.append("big", events[start : start + 50_000])
        return store.last_seq("big")


def _phases(result: ReportResult) -> dict[str, float]:
    """Split the execution into kernel start, queries and figures from papermill's cell timings."""
    nb = json.loads(result.ipynb.read_text(encoding="utf-8"))
    started = dt.datetime.fromisoformat(nb["metadata"]["papermill"]["start_time"])
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = dt.datetime.fromisoformat(cells[0]["metadata"]["papermill"]["start_time"])
    phases = {
        "kernel start": (first - started).total_seconds(),
        "queries": 0.0,
        "figures": 0.0,
        "imports and setup": 0.0,
    }
    for cell in cells:
        source = "".join(cell["source"])
        seconds = float(cell["metadata"]["papermill"].get("duration") or 0.0)
        if any(marker in source for marker in _QUERY_MARKERS):
            phases["queries"] += seconds
        elif any(marker in source for marker in _FIGURE_MARKERS):
            phases["figures"] += seconds
        else:
            phases["imports and setup"] += seconds
    return phases


def _report(
    store: Path, out: Path, run_id: str | None, *, self_contained: bool = False
) -> tuple[ReportResult, float, float]:
    """Run the report; return it, the end-to-end seconds and a fresh rendering of its HTML."""
    started = time.perf_counter()
    result = run_report(
        "migration_report",
        {"store_url": str(store), "run_id": run_id},
        out_dir=out,
        no_input=True,
        self_contained=self_contained,
    )
    total = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the benchmark report failed: {result.error}")
    return result, total, _render_seconds(result.ipynb, out, self_contained=self_contained)


def _render_seconds(ipynb: Path, out: Path, *, self_contained: bool) -> float:
    """Return how long rendering ``ipynb`` to HTML takes, shared plotly.js or inlined."""
    static = None if self_contained else out / STATIC_DIR
    started = time.perf_counter()
    render_html(ipynb, out / "render-again.html", no_input=True, static_dir=static)
    return time.perf_counter() - started


def _load_cpu(path: Path) -> tuple[float, float]:
    """Return the best CPU seconds of loading the run's frames from the sums and by the replay."""
    sums: list[float] = []
    replays: list[float] = []
    with open_store(path, read_only=True) as store:
        run = store.get_run("big")
        first, last = data._ends(store, "big")
        config = data.report_rate_config(last - first)
        for _ in range(ROUNDS):
            started = time.process_time()
            data.load_migration(store, "big")
            sums.append(time.process_time() - started)
            started = time.process_time()
            data._replay(store, run, max((last - first) / 2000, 0.01), config, FakeClock(wall_start=last))
            replays.append(time.process_time() - started)
    return min(sums), min(replays)


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 2**20 else f"{size / 2**20:.2f} MB"


def run() -> str:
    """Measure the report of a big run (shared plotly.js and single file) against an empty store's."""
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        root = Path(folder)
        build_started = time.perf_counter()
        length = _build_store(root / "big.db", EVENTS)
        build_seconds = time.perf_counter() - build_started
        with open_store(root / "empty.db"):
            pass
        empty, empty_total, empty_render = _report(root / "empty.db", root / "empty-reports", None)
        runs: dict[bool, list[tuple[ReportResult, float, float]]] = {False: [], True: []}
        for _ in range(ROUNDS):
            for self_contained in (False, True):
                out = root / ("single" if self_contained else "shared")
                measured = _report(root / "big.db", out, "big", self_contained=self_contained)
                runs[self_contained].append(measured)
        shared, shared_total, _ = min(runs[False], key=lambda r: r[1])
        single, single_total, _ = min(runs[True], key=lambda r: r[1])
        # the one step the forms differ in, side by side on one notebook: best of RENDERINGS, interleaved
        renders: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(RENDERINGS):
            for self_contained in (False, True):
                seconds = _render_seconds(shared.ipynb, root / "shared", self_contained=self_contained)
                renders[self_contained].append(seconds)
        shared_render, single_render = min(renders[False]), min(renders[True])
        rows: list[list[Any]] = []
        empty_phases, shared_phases, single_phases = _phases(empty), _phases(shared), _phases(single)
        for phase in ("kernel start", "queries", "figures", "imports and setup"):
            rows.append(
                [
                    phase,
                    f"{empty_phases[phase]:.2f} s",
                    f"{shared_phases[phase]:.2f} s",
                    f"{single_phases[phase]:.2f} s",
                    "",
                ]
            )
        rendered = [f"{seconds:.2f} s" for seconds in (empty_render, shared_render, single_render)]
        render_verdict = f"shared ≤ single file: {verdict(shared_render <= single_render)}"
        rows.append(["HTML rendering", *rendered, render_verdict])
        ratio = shared_total / single_total
        rows.append(
            [
                "**end to end**",
                f"{empty_total:.2f} s",
                f"**{shared_total:.2f} s**",
                f"**{single_total:.2f} s**",
                f"≤ {TARGET_SECONDS:.0f} s: {verdict(max(shared_total, single_total) <= TARGET_SECONDS)} "
                f"(shared / single file {ratio:.2f}x)",
            ]
        )
        shared_size = shared.html.stat().st_size
        single_size = single.html.stat().st_size
        static_size = (root / "shared" / STATIC_DIR / plotly_js_name()).stat().st_size
        rows.append(
            [
                "HTML size",
                _kb(empty.html.stat().st_size),
                f"**{_kb(shared_size)}** (+ {_kb(static_size)} shared once)",
                _kb(single_size),
                f"shared ≤ 300 KB: {verdict(shared_size <= TARGET_SHARED_BYTES)}; "
                f"single ≤ 8 MB: {verdict(single_size <= TARGET_BYTES)}",
            ]
        )
        notebook_sizes = f"{_kb(shared.ipynb.stat().st_size)} / {_kb(single.ipynb.stat().st_size)}"
        sums_cpu, replay_cpu = _load_cpu(root / "big.db")
        rows.append(
            [
                "the run's frames, in process (CPU)",
                "",
                f"from the store's sums **{sums_cpu:.2f} s**",
                f"replaying the journal {replay_cpu:.2f} s",
                f"sums / replay {sums_cpu / replay_cpu:.2f}x",
            ]
        )
    return (
        f"## Migration report over {length:,} journal events\n\n"
        '`run_report("migration_report")` end to end (papermill, a fresh kernel, the bundled notebook, '
        "HTML), plotly.js shared in `reports/_static/` (the default) against the single-file page "
        f"(`--self-contained`), best of {ROUNDS} interleaved runs each, and the same report of an empty "
        "store (the fixed cost). Phases from papermill's cell timings; building the journal took "
        f"{build_seconds:.1f} s and is not counted. The executed notebooks weigh {notebook_sizes} "
        "(shared / single file; the kernel no longer writes plotly.js into them). HTML rendering is the best "
        f"of {RENDERINGS} interleaved renderings of the big report each way. Reproduce with "
        "`python3 dev.py bench report`.\n\n"
        + table(
            ["phase", "empty store (baseline)", f"{length:,} events, shared", "single file", "target"], rows
        )
        + "\n"
    )


if __name__ == "__main__":
    print(run())
