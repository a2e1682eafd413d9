"""The HTML reports in a real browser: headless Chromium opens each kind with the network blocked.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) is driven by Playwright from PyPI; no
browser is downloaded. Every request that is not ``file://`` is aborted and recorded, so a page that needs
the network shows it. Each page must draw every figure (plotly.js built its ``_fullLayout`` and SVG), raise
no script error and log no console error; figure titles and legends must not overlap, and table headers
must sit over their columns. Without Chromium or Playwright the module fails when ``CI=true`` (a CI that
cannot see a page must not pass) and is skipped on a workstation.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.notebook import tables
from omnimemory_kit.reports import ReportResult, run_report
from omnimemory_kit.store import open_store

pytestmark = pytest.mark.notebook

CHROMIUM = os.environ.get("OMNIMEMORY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MIGRATION_FIGURES = 9
HEALTH_FIGURES = 6


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the module, launched through Playwright."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """What one page did when opened: its figures, errors, and requests that tried the network."""

    figures: list[dict[str, Any]]
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    tables: list[list[dict[str, str]]] = field(default_factory=list)


_FIGURES_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null; };
  return {drawn: !!div._fullLayout, svgs: div.querySelectorAll('.main-svg').length,
          title: div._fullLayout && div._fullLayout.title ? String(div._fullLayout.title.text) : '',
          titleBoxes: [div.querySelector('.gtitle'), ...div.querySelectorAll('g.annotation'),
                       ...div.querySelectorAll('.g-ytitle, .g-y2title')].map(box),
          legendBox: box(div.querySelector('g.legend'))};
})"""

# for each table, per column: the header's and the first row's computed alignment, and the header text
_TABLES_JS = """() => Array.from(document.querySelectorAll('table.dataframe')).map(table => {
  const heads = Array.from(table.querySelectorAll('thead th'));
  const cells = Array.from(table.querySelectorAll('tbody tr:first-child td'));
  return heads.map((th, i) => ({name: th.textContent.trim(), head: getComputedStyle(th).textAlign,
                                cell: cells[i] ? getComputedStyle(cells[i]).textAlign : ''}));
})"""


def visit(browser: Any, page_path: Path, *, width: int = 1000) -> Visit:
    """Open a report with every non-file request aborted; wait until each figure has drawn."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    seen = Visit(figures=[])
    page.on("pageerror", lambda error: seen.errors.append(f"pageerror: {error}"))
    page.on(
        "console", lambda msg: seen.errors.append(f"console: {msg.text}") if msg.type == "error" else None
    )

    def route(handle: Any) -> None:
        if handle.request.url.startswith("file://"):
            handle.continue_()
        else:
            seen.blocked.append(handle.request.url)
            handle.abort()

    page.route("**/*", route)
    try:
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        # Plotly.newPlot draws asynchronously: wait for every figure (or time out and report what is missing)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d._fullLayout)",
            timeout=15_000,
        )
        seen.figures = page.evaluate(_FIGURES_JS)
        seen.tables = page.evaluate(_TABLES_JS)
    finally:
        context.close()
    return seen


@pytest.fixture(scope="module")
def visits(browser: Any) -> Any:
    """``visits(page, width)``: open a page once per width for the whole module (page loads are slow)."""
    seen: dict[tuple[Path, int], Visit] = {}

    def opened(page_path: Path, width: int = 1000) -> Visit:
        if (page_path, width) not in seen:
            seen[page_path, width] = visit(browser, page_path, width=width)
        return seen[page_path, width]

    return opened


def overlap(a: list[float] | None, b: list[float] | None) -> bool:
    """Return whether two [left, top, right, bottom] boxes intersect."""
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the journal and the reports of this module."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def journal(workdir: Path) -> Path:
    """A journal with one run: successes over several batches, a retry, a skip and two failures."""
    path = workdir / "journal.db"
    clock = FakeClock()
    with open_store(path, clock=clock) as store:
        tracker = MigrationProgressTracker("browser run", store=store, run_id="run", clock=clock)
        names = [f"pkg/tool_{i:02d}.py" for i in range(40)]
        tracker.add_files([(name, 100 + i) for i, name in enumerate(names)])
        tracker.start()
        for first in range(0, len(names), 8):
            batch = f"b{first // 8}"
            for name in names[first : first + 8]:
                tracker.start_file_processing(name, batch)
                clock.advance(0.7)
                if name.endswith(("07.py", "23.py")):
                    tracker.record_attempt_failure(name, TimeoutError("slow"))
                    tracker.complete_file_processing(name, success=False, error=ValueError("bad header"))
                elif name.endswith("11.py"):
                    tracker.skip_file(name, "empty file")
                else:
                    tracker.complete_file_processing(name)
            tracker.close_batch(batch)
        tracker.complete()
    return path


@pytest.fixture(scope="module")
def migration_report(workdir: Path, journal: Path) -> ReportResult:
    """The migration report, plotly.js shared."""
    return run_report(
        "migration_report", {"store_url": str(journal), "run_id": "run"}, out_dir=workdir / "reports"
    )


@pytest.fixture(scope="module")
def health_report(workdir: Path) -> ReportResult:
    """The health report (this machine's disk and the store), plotly.js shared."""
    return run_report("health", {"store_url": str(workdir / "health.db")}, out_dir=workdir / "reports")


@pytest.fixture(scope="module")
def mailed_report(workdir: Path, migration_report: ReportResult) -> Path:
    """The migration report rendered self-contained, copied alone into an empty folder (as if mailed)."""
    from omnimemory_kit.reports import render_html

    alone = workdir / "mailbox"
    alone.mkdir()
    return render_html(migration_report.ipynb, alone / "report.html")


def assert_drew_everything(seen: Visit, count: int) -> None:
    """Every figure drew, nothing failed, nothing tried the network."""
    assert seen.errors == []
    assert seen.blocked == []
    assert len(seen.figures) == count
    for figure in seen.figures:
        assert figure["drawn"], figure["title"]
        assert figure["svgs"] >= 1, figure["title"]


class TestEveryReportDraws:
    def test_migration_report_draws_every_figure_offline(
        self, visits: Any, migration_report: ReportResult
    ) -> None:
        """The migration report, plotly.js shared beside it, draws its eight figures with no network."""
        assert migration_report.ok, migration_report.error
        assert_drew_everything(visits(migration_report.html), MIGRATION_FIGURES)

    def test_health_report_draws_every_figure_offline(self, visits: Any, health_report: ReportResult) -> None:
        """The health report, plotly.js shared beside it, draws its four figures with no network."""
        assert health_report.ok, health_report.error
        assert_drew_everything(visits(health_report.html), HEALTH_FIGURES)

    def test_self_contained_report_draws_alone(self, visits: Any, mailed_report: Path) -> None:
        """A self-contained report, alone in a folder without the shared plotly.js, still draws."""
        assert not (mailed_report.parent / "_static").exists()
        assert_drew_everything(visits(mailed_report), MIGRATION_FIGURES)


class TestLayout:
    @pytest.mark.parametrize("width", [480, 1000])
    def test_titles_and_legends_never_overlap(
        self, visits: Any, migration_report: ReportResult, health_report: ReportResult, width: int
    ) -> None:
        """At narrow and wide widths no report figure's legend covers its title or an axis title."""
        for report in (migration_report, health_report):
            for figure in visits(report.html, width).figures:
                assert figure["legendBox"] is None or figure["titleBoxes"][0] is not None, figure["title"]
                for title in figure["titleBoxes"]:
                    assert not overlap(title, figure["legendBox"]), (width, figure["title"])

    @pytest.mark.parametrize("width", [480, 1000])
    def test_the_live_panel_chart_keeps_processing_rate_readable(
        self, browser: Any, tmp_path: Path, width: int
    ) -> None:
        """The panel's live chart: its legend never covers the "Processing rate" subplot title."""
        import plotly.graph_objects as go
        import plotly.io as pio

        from omnimemory_kit.notebook.panels import _live_figure

        figure = go.Figure(_live_figure())
        for index, values in ((0, [3.0, 4.0, 5.0]), (1, [2.5, 3.0, 3.5]), (4, [9.0, 6.0, 3.0])):
            figure.data[index].update(x=[1, 2, 3], y=values)
        page = tmp_path / "panel.html"
        page.write_text(pio.to_html(figure, include_plotlyjs=True, full_html=True), encoding="utf-8")
        seen = visit(browser, page, width=width)
        assert_drew_everything(seen, 1)
        (chart,) = seen.figures
        assert chart["legendBox"] is not None
        assert len([b for b in chart["titleBoxes"] if b is not None]) >= 2  # subplot and axis titles
        for title in chart["titleBoxes"]:
            assert not overlap(title, chart["legendBox"]), width

    def test_table_headers_sit_over_their_columns(self, visits: Any, migration_report: ReportResult) -> None:
        """In every table each header is aligned as its column; text left, numbers right."""
        columns = [c for table in visits(migration_report.html).tables for c in table]
        assert any(c["name"] == "error_message" for c in columns)  # the failed-items table is there
        for column in columns:
            assert column["head"] == column["cell"], column
        aligned = {c["name"]: c["cell"] for c in columns}
        assert aligned["path"] == "left"
        assert aligned["error_type"] == "left"
        assert aligned["attempts"] == "right"

    def test_headers_line_up_without_any_stylesheet(self, browser: Any) -> None:
        """A table shown in a widget (no notebook stylesheet, browser defaults) keeps headers over columns."""
        import pandas as pd

        frame = pd.DataFrame({"path": ["a/b.py"], "attempts": [2], "batch_id": ["b1"], "error_type": ["E"]})
        context = browser.new_context()
        page = context.new_page()
        try:
            page.set_content(f"<html><body>{tables.table_html(frame)}</body></html>")
            columns = page.evaluate(_TABLES_JS)[0]
        finally:
            context.close()
        assert [(c["name"], c["head"], c["cell"]) for c in columns] == [
            ("path", "left", "left"),
            ("attempts", "right", "right"),
            ("batch_id", "left", "left"),
            ("error_type", "left", "left"),
        ]
