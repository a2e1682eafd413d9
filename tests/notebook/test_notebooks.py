"""The bundled notebooks, executed through papermill with small parameters and rendered to HTML.

Each kernel start costs seconds, so each notebook runs once per module (fixtures) and several tests read
the result. The kernel imports this worktree's code: ``run_report`` puts the package root on the
kernel's PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, item_events
from omnimemory_kit.migration import runner_lifecycle
from omnimemory_kit.migration.control import control_event
from omnimemory_kit.migration.run_control import RunControl, ensure_control_stream
from omnimemory_kit.migration.sources import ManifestSource
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.validation import Mismatch, verdict_of
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.notebook.record import read_records
from omnimemory_kit.reports import ReportResult, collect_reports, run_report
from omnimemory_kit.store import open_store
from tests.conftest import PG_DSN, REDIS_URL
from tests.notebook.frames import EVIL

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
HOSTILE_FILE = "<img src=x onerror=alert(1)>.py"
MIGRATION_REPORT_TITLES = (
    "Cumulative progress by outcome",
    "Processing rate over time",
    "Estimated time remaining",
    "How honest was the ETA",
    "Batch durations and success rates",
    "Batches by outcome",
    "Errors by type",
    "Slowest 5 items",
    "Attempts per item",
)
HEALTH_TITLES = (
    "Health status timeline per dependency",
    "Check latency percentiles per dependency",
    "Flapping: status changes per dependency",
    "Host resources over time",
    "Incidents (non-healthy intervals)",
    "Check latency over time (p50 solid, p99 dotted)",
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the journal and the reports of this module."""
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="module")
def journal(workdir: Path) -> Path:
    """A SQLite journal with one small run: successes, a retry, a skip and a failure with hostile text."""
    path = workdir / "journal.db"
    clock = FakeClock()
    with open_store(path, clock=clock) as store:
        tracker = MigrationProgressTracker("small run", store=store, run_id="small", clock=clock)
        tracker.add_files([("a.py", 100), ("b.py", 200), (f"dir/{EVIL}.py", 300), ("d.py", 0), ("e.py", 50)])
        tracker.start()
        for batch, paths in (("b1", ["a.py", "b.py", f"dir/{EVIL}.py"]), ("b2", ["d.py", "e.py"])):
            for p in paths:
                tracker.start_file_processing(p, batch)
            clock.advance(1.5)
            for p in paths:
                if p == "d.py":
                    tracker.skip_file(p, "empty file")
                elif p == f"dir/{EVIL}.py":
                    tracker.record_attempt_failure(p, TimeoutError("slow"))
                    clock.advance(2.0)
                    tracker.complete_file_processing(p, success=False, error=ValueError(EVIL))
                else:
                    tracker.complete_file_processing(p)
                clock.advance(0.5)
            tracker.close_batch(batch)
            if batch == "b1":  # operators steer the run between its batches, and approve its cut-over
                control = RunControl(store, "small", clock=clock, who="ann@db1")
                control.set(concurrency=2, reason=EVIL)
                control.throttle(for_seconds=60, reason="peak hours")
                stream = ensure_control_stream(store, "small", at=clock.time())
                waiting = control_event(
                    EventKind.GATE_WAITING, at=clock.time(), who="w", args={"gate": "cut-over"}
                )
                store.append(stream, [waiting])
                control.approve("cut-over", by="carol", reason="checked the target")
                control.close()
        tracker.complete()
        # checked afterwards: one copy is right, one differs (its detail is hostile text), one is unchecked
        store.append(
            "small",
            [
                verdict_of("a.py", True, clock.time()),
                verdict_of("b.py", Mismatch(EVIL, expected="9f86d0", actual="e3b0c4"), clock.time()),
            ],
        )
    return path


def html_of(result: ReportResult) -> str:
    return result.html.read_text(encoding="utf-8")


def assert_offline(page: str) -> None:
    """The page links the shared plotly.js by a relative path, carries no copy, loads nothing from the web."""
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)
    assert re.search(r'<script src="\.\./_static/plotly-[0-9.]+\.min\.js"></script>', page)
    assert "plotly.js v" not in page  # the bundle's banner comment: no inlined copy
    assert "Plotly.newPlot" in page


@pytest.fixture(scope="module")
def migration_report(workdir: Path, journal: Path) -> ReportResult:
    """The migration report of the small run."""
    return run_report(
        "migration_report",
        {"store_url": str(journal), "run_id": "small", "slowest": 5},
        out_dir=workdir / "reports",
    )


NO_LEGACY_CALLS = """
import os
from pathlib import Path

from omnimemory_kit import Mismatch


def no_legacy_calls(item):
    migrated = Path(os.environ["OMNIMEMORY_DEMO_OUT"]) / "tools" / item.key.removesuffix(".py") / "tool.py"
    for number, line in enumerate(migrated.read_text(encoding="utf-8").splitlines(), 1):
        if "legacy_api(" in line:
            return Mismatch("still calls legacy_api", expected="no legacy_api call", actual=f"line {number}")
    return True
"""

SECRET = "s3cret-pw"


def with_password(dsn: str) -> str:
    """Return the DSN with a password (the test server trusts local connections, so any one works)."""
    scheme, rest = dsn.split("://", 1)
    userinfo, host = rest.split("@", 1) if "@" in rest else ("postgres", rest)
    return f"{scheme}://{userinfo.split(':', 1)[0]}:{SECRET}@{host}"


@pytest.fixture(scope="module")
def health_report(workdir: Path) -> ReportResult:
    """The health report against the real PostgreSQL (DSN with a password) and Redis, into a fresh store."""
    return run_report(
        "health",
        {
            "store_url": str(workdir / "health.db"),
            "postgres_dsn": with_password(PG_DSN),
            "redis_url": REDIS_URL,
        },
        out_dir=workdir / "reports",
    )


class TestMigrationReport:
    def test_runs_to_the_end_and_records_the_counts(self, migration_report: ReportResult) -> None:
        """The notebook succeeds and records the run's counts for --collect."""
        assert migration_report.status == "succeeded", migration_report.error
        assert migration_report.records["run_id"] == "small"
        assert migration_report.records["total_files"] == 5
        assert migration_report.records["succeeded_files"] == 3
        assert migration_report.records["failed_files"] == 1
        assert migration_report.records["skipped_files"] == 1

    def test_html_has_every_figure_and_renders_offline(self, migration_report: ReportResult) -> None:
        """Each figure is a plotly div with its title, plotly.js is inlined, nothing comes from a CDN."""
        page = html_of(migration_report)
        assert page.count('class="plotly-graph-div"') == len(MIGRATION_REPORT_TITLES)
        for title in MIGRATION_REPORT_TITLES:
            assert f'"text":"{title}"' in page, title
        assert_offline(page)
        assert migration_report.html.stat().st_size <= 300 * 1024

    def test_operators_commands_and_approvals_are_shown(self, migration_report: ReportResult) -> None:
        """The history table and the approvals table list who did what, and the rate chart marks each."""
        page = html_of(migration_report)
        assert migration_report.records["control_commands"] == 3
        for text in (
            "ann@db1",
            "set",
            "<td>concurrency=2</td>",
            "for=60",
            "throttle",
            "peak hours",
            "approve",
        ):
            assert text in page, text
        assert re.search(r"<td>cut-over</td>\s*<td>carol</td>", page)
        assert "checked the target" in page
        assert '"name":"operator commands"' in page  # the markers on the rate chart

    def test_hostile_file_name_and_error_are_escaped(self, migration_report: ReportResult) -> None:
        """The failed item's name and message appear in tables and figures, escaped, never as a script."""
        page = html_of(migration_report)
        assert EVIL not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_validation_counts_and_mismatch_table_are_in_the_html(
        self, migration_report: ReportResult
    ) -> None:
        """The report's validation section shows the status and counts, then the mismatch table (key, state,
        detail, expected, actual, when) with the hostile detail escaped."""
        page = html_of(migration_report)
        section = page[page.index('id="Validation"') :]
        for header in ("status", "validated", "mismatched", "pending", "key", "detail", "expected", "actual"):
            assert f"<th>{header}</th>" in section, header
        assert "<th>when</th>" in section
        assert "<td>completed, 1 mismatched</td>" not in section  # one item is still unchecked
        assert "<td>1 item(s) not validated yet</td>" in section
        row = section[section.index("<td>b.py</td>") :]
        assert row.index("&lt;script&gt;alert(1)&lt;/script&gt;") < row.index("<td>9f86d0</td>")
        assert row.index("<td>9f86d0</td>") < row.index("<td>e3b0c4</td>") < row.index("</tr>")
        assert migration_report.records["validation_status"] == "1 item(s) not validated yet"
        assert migration_report.records["mismatched"] == 1

    def test_parameters_are_recorded_in_the_notebook(self, migration_report: ReportResult) -> None:
        """The executed notebook carries the injected parameters and the kit's report facts."""
        nb = json.loads(migration_report.ipynb.read_text(encoding="utf-8"))
        assert nb["metadata"]["papermill"]["parameters"]["run_id"] == "small"
        facts = nb["metadata"]["omnimemory_kit"]
        assert facts["parameters"]["slowest"] == 5
        assert facts["status"] == "succeeded"


class TestHealthReport:
    def test_runs_checks_and_draws_the_history(self, health_report: ReportResult) -> None:
        """The checks run against the real services, the snapshot is recorded and every figure drawn."""
        assert health_report.status == "succeeded", health_report.error
        assert health_report.records["snapshots"] == 1
        page = html_of(health_report)
        for title in HEALTH_TITLES:
            assert f'"text":"{title}"' in page, title
        for dependency in ("disk", "store", "postgresql", "redis"):
            assert f"<td>{dependency}</td>" in page
        assert "<th>24h</th>" in page  # the uptime table, read from the rollups the snapshot made
        assert health_report.records["incidents"] == 0
        assert "No alerts sent in this period." in page
        assert_offline(page)

    def test_password_in_a_parameter_is_never_written(self, health_report: ReportResult) -> None:
        """The DSN's password appears nowhere: not in the HTML, the executed notebook or the index."""
        assert SECRET not in html_of(health_report)
        assert SECRET not in health_report.ipynb.read_text(encoding="utf-8")
        assert SECRET not in (health_report.html.parent.parent / "index.html").read_text(encoding="utf-8")
        assert health_report.parameters["postgres_dsn"].startswith("postgresql://postgres:")


class TestMigrationHeadless:
    def test_default_runs_to_the_end_and_says_what_this_execution_did(
        self, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Under a report, the default (interactive unset) migrates every item; a rerun processes none."""
        source = workdir / "legacy"
        source.mkdir()
        for name in ("one.py", "two.py", HOSTILE_FILE):
            (source / name).write_text(
                '"""A tool."""\nTOOL = {"name": "t"}\n\ndef run(query):\n    return query\n'
            )
        monkeypatch.setenv("OMNIMEMORY_DEMO_OUT", str(workdir / "migrated"))  # the kernel inherits it
        given = {
            "store_url": str(workdir / "migration.db"),
            "run_id": "headless",
            "source": str(source),
            "batch_size": 2,
        }
        result = run_report("migration", given, out_dir=workdir / "reports")
        assert result.status == "succeeded", result.error
        assert result.records["total_files"] == 3
        assert result.records["succeeded_files"] == 3
        assert (result.records["processed"], result.records["already_done"]) == (3, 0)
        page = html_of(result)
        assert "widget-view+json" not in page
        assert "onerror=alert(1)" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
        assert '"text":"Cumulative progress by outcome"' in page
        assert "by this execution" in page
        assert_offline(page)
        again = run_report("migration", given, out_dir=workdir / "reports")
        assert again.status == "succeeded", again.error
        assert (again.records["processed"], again.records["already_done"]) == (0, 3)

    def test_validate_function_checks_each_batch_and_the_mismatch_table_shows(
        self, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With validate_function the run checks each migrated tool after its batch; the notebook's
        validation section shows the counts and the mismatch (key, detail, expected, actual, when)."""
        source = workdir / "legacy-checked"
        source.mkdir()
        body = '"""A tool."""\nTOOL = {"name": "t"}\n\ndef run(query):\n    return {}\n'
        for name in ("one.py", "two.py", "three.py"):
            call = "legacy_api(query)" if name == "two.py" else "query"
            (source / name).write_text(body.replace("{}", call), encoding="utf-8")
        checks = workdir / "checks"
        checks.mkdir()
        (checks / "nbchecks.py").write_text(NO_LEGACY_CALLS, encoding="utf-8")
        monkeypatch.setenv("PYTHONPATH", str(checks))  # the kernel imports the check from there
        monkeypatch.setenv("OMNIMEMORY_DEMO_OUT", str(workdir / "checked-migrated"))
        given = {
            "store_url": str(workdir / "checked.db"),
            "run_id": "checked",
            "source": str(source),
            "batch_size": 1,
            "validate_function": "nbchecks:no_legacy_calls",
        }
        result = run_report("migration", given, out_dir=workdir / "checked-reports")
        assert result.status == "succeeded", result.error
        page = html_of(result)
        section = page[page.index('id="Validation"') :]
        assert "<td>completed, 1 mismatched</td>" in section
        row = section[section.index("<td>two.py</td>") :]
        cells = ["<td>mismatched</td>", "<td>still calls legacy_api</td>", "<td>no legacy_api call</td>",
                 "<td>line "]  # fmt: skip
        assert [row.index(cell) for cell in cells] == sorted(row.index(cell) for cell in cells)
        assert row.index(cells[-1]) < row.index("</tr>")
        with open_store(workdir / "checked.db", read_only=True) as store:
            assert store.get_run("checked").params["validate"] == "nbchecks:no_legacy_calls"

    def test_interactive_true_in_a_headless_kernel_fails_clearly(self, workdir: Path) -> None:
        """interactive=True under a report fails naming the parameter; the index lists the report failed."""
        source = workdir / "interactive-src"
        source.mkdir()
        (source / "one.py").write_text('"""A tool."""\n')
        result = run_report(
            "migration",
            {
                "store_url": str(workdir / "interactive.db"),
                "run_id": "lab",
                "source": str(source),
                "interactive": True,
            },
            out_dir=workdir / "interactive-reports",
        )
        assert result.status == "failed"
        assert result.error is not None
        assert "NotebookParameterError" in result.error
        assert "'interactive'" in result.error
        assert "headless" in result.error
        assert "total_files" not in result.records
        index = (workdir / "interactive-reports" / "index.html").read_text(encoding="utf-8")
        assert index.count('class="failed"') == 1
        assert 'class="succeeded"' not in index

    def test_items_left_failed_fail_the_notebook_after_the_figures(
        self, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A headless run whose items fail ends in RunIncompleteError, after the figures were drawn."""
        monkeypatch.setenv("OMNIMEMORY_DEMO_OUT", str(workdir / "failing-migrated"))
        source = workdir / "failing-src"
        source.mkdir()
        (source / "broken.py").write_text("def broken(:\n")  # the demo migration cannot parse it
        result = run_report(
            "migration",
            {
                "store_url": str(workdir / "failing.db"),
                "run_id": "failing",
                "source": str(source),
                "retries": 0,
            },
            out_dir=workdir / "failing-reports",
        )
        assert result.status == "failed"
        assert result.error is not None
        assert "RunIncompleteError" in result.error
        assert "1 failed" in result.error
        assert result.records["failed_files"] == 1
        assert '"text":"Errors by type"' in html_of(result)


class TestMigrationHeadlessLean:
    def test_a_resumed_run_past_the_lean_threshold_draws_its_failures(
        self, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A run of more than FOLLOW_COUNTERS_ABOVE items resumed headless keeps only hashes of its keys;
        the notebook still draws the errors figure and lists this execution's failed item, escaped.

        Executes the notebook's own calls (``tracked_files`` where ``to_dataframe`` would raise): a
        broken call fails the notebook before its last cell, with another error than the check's.
        """
        done = runner_lifecycle.FOLLOW_COUNTERS_ABOVE
        manifest = workdir / "lean.csv"
        keys = [f"k{i:06d}" for i in range(done)] + ["left-1", "left-2", HOSTILE_FILE]
        manifest.write_text("key,size\n" + "".join(f"{key},1\n" for key in keys), encoding="utf-8")
        modules = workdir / "lean-modules"
        modules.mkdir()
        functions = modules / "lean_fns.py"
        functions.write_text(
            "def migrate(item):\n"
            "    if item.key.startswith('<'):\n"
            "        raise ValueError(f'cannot migrate {item.key}')\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("PYTHONPATH", str(modules))  # the kernel imports the function from there
        spec = "lean_fns:migrate"
        store_path = workdir / "lean.db"
        with open_store(store_path) as store:  # all but the last three items done before the notebook
            prepare_run(store, "lean", ManifestSource(manifest), spec)
            lease = store.claim("lean", "earlier:1:w", done, 3600.0)
            assert lease is not None
            store.report(lease, item_events(EventKind.FILE_SUCCEEDED, 1.0, [i.key for i in lease.items]))
            store.release(lease, [Event(EventKind.BATCH_CLOSED, 1.0, batch_id=lease.batch_id)])
        given = {
            "store_url": str(store_path),
            "run_id": "lean",
            "source": str(manifest),
            "migration_function": spec,
            "retries": 0,
            "batch_size": 2,
        }
        result = run_report("migration", given, out_dir=workdir / "lean-reports", timeout=300)
        assert result.status == "failed"
        assert result.error is not None
        assert "RunIncompleteError" in result.error  # the last cell's check, not an earlier cell
        assert (result.records["processed"], result.records["already_done"]) == (3, done)
        assert (result.records["total_files"], result.records["failed_files"]) == (done + 3, 1)
        page = html_of(result)
        assert '"text":"Errors by type"' in page
        assert "<td>&lt;img src=x onerror=alert(1)&gt;.py</td>" in page
        assert "<td>ValueError</td>" in page
        assert "onerror=alert(1)" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")


class TestFailures:
    def test_bad_parameter_fails_in_the_validation_cell_with_html(self, workdir: Path, journal: Path) -> None:
        """Run directly (no pre-validation), a bad value stops at the validation cell; the HTML shows it."""
        result = run_report(
            "migration_report",
            {"store_url": str(journal), "slowest": 0},
            out_dir=workdir / "bad",
            validate=False,
        )
        assert result.status == "failed"
        assert result.error is not None
        assert "NotebookParameterError" in result.error
        assert "'slowest'" in result.error
        assert "parameter &#x27;slowest&#x27;" in html_of(result) or "parameter 'slowest'" in html_of(result)
        assert (workdir / "bad" / "index.html").read_text(encoding="utf-8").count('class="failed"') == 1

    def test_failing_notebook_exits_1_and_still_renders(self, workdir: Path) -> None:
        """A notebook that raises exits 1, writes its HTML with the error, and is indexed.

        (A migration report on an unknown run no longer gets that far: it is bad input, exit 2, refused
        before a kernel starts; tests/cli/test_bad_input.py.)
        """
        import nbformat

        failing = nbformat.v4.new_notebook(
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            }
        )
        parameters = nbformat.v4.new_code_cell('run_id = "demo"')
        parameters.metadata["tags"] = ["parameters"]
        failing.cells = [
            parameters,
            nbformat.v4.new_code_cell('raise RuntimeError(f"no usable run {run_id}")'),
        ]
        nbformat.write(failing, str(workdir / "failing.ipynb"))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        completed = subprocess.run(
            [sys.executable, "-m", "omnimemory_kit", "report", str(workdir / "failing.ipynb"),
             "-p", "run_id", "nope", "--out", "cli", "--no-input"],
            capture_output=True, text=True, env=env, cwd=workdir, timeout=110,
        )  # fmt: skip
        assert completed.returncode == 1, completed.stderr
        assert "RuntimeError" in completed.stderr
        pages = list((workdir / "cli" / "failing").glob("*.html"))
        assert len(pages) == 1
        assert "no usable run nope" in pages[0].read_text(encoding="utf-8")
        frame = collect_reports(workdir / "cli")
        assert list(frame["status"]) == ["failed"]
        assert frame["param.run_id"].iloc[0] == "nope"


class TestStoredNotebooks:
    @pytest.mark.parametrize("name", ["migration", "migration_report", "health"])
    def test_stored_without_outputs_and_with_a_tagged_parameters_cell(self, name: str) -> None:
        """Notebooks are stored clean: no outputs or counts; one 'parameters' cell, validated next."""
        nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c.get("outputs") == [] for c in code)
        assert all(c.get("execution_count") is None for c in code)
        tagged = [
            i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", [])
        ]
        assert len(tagged) == 1
        following = "".join(nb["cells"][tagged[0] + 1]["source"])
        assert ".from_namespace(globals())" in following
        for line in "".join(nb["cells"][tagged[0]]["source"]).splitlines():
            if "=" in line:
                assert re.match(r"^\w+: [\w\[\]]+ = .+  # \S", line), line


def plain_papermill(notebook: str, out: Path, cwd: Path, **parameters: object) -> tuple[str | None, Path]:
    """Execute a bundled notebook with plain papermill, as a scheduler calls it; return (error, output)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    target = out / f"{notebook}-{len(list(out.glob('*.ipynb')))}.ipynb"
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS / f"{notebook}.ipynb"),
            str(target),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}", target
    return None, target


@pytest.fixture
def plain_kernel_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment a scheduler's kernel has: this kit importable, no report mode, no base directory."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("OMNIMEMORY_KIT_REPORT", raising=False)
    monkeypatch.delenv("OMNIMEMORY_KIT_BASE", raising=False)
    monkeypatch.setenv("OMNIMEMORY_DEMO_OUT", str(tmp_path / "migrated"))
    out = tmp_path / "executed"
    out.mkdir()
    return out


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory, journal: Path) -> Path:
    """A folder as ``omnimemory-kit demo`` leaves it: the demo store (one run) and tools to migrate."""
    root = tmp_path_factory.mktemp("demo-project")
    tools = root / "demo-output" / "legacy_tools"
    tools.mkdir(parents=True)
    for name in ("a.py", "b.py", "c.py"):
        (tools / name).write_text(
            '"""A tool."""\nTOOL = {"name": "t"}\n\ndef run(query):\n    return query\n'
        )
    (root / "demo-output" / "omnimemory-demo.db").write_bytes(journal.read_bytes())
    return root


class TestPlainPapermillDefaults:
    @pytest.mark.parametrize(
        ("notebook", "recorded"),
        [
            ("migration", ("processed", 3)),
            ("migration_report", ("total_files", 3)),
            ("health", ("snapshots", 1)),
        ],
    )
    def test_defaults_do_the_work(
        self, notebook: str, recorded: tuple[str, int], demo_project: Path, plain_kernel_env: Path
    ) -> None:
        """Plain papermill with no parameters, beside demo-output/, does the notebook's work to its end."""
        error, executed = plain_papermill(notebook, plain_kernel_env, demo_project)
        assert error is None
        records = read_records(json.loads(executed.read_text(encoding="utf-8")))
        name, at_least = recorded
        assert records[name] >= at_least, records

    def test_defaults_without_the_demo_fail_naming_the_directory(
        self, tmp_path: Path, plain_kernel_env: Path
    ) -> None:
        """Where no demo-output/ exists, the migration fails at validation, naming where it looked.

        (The other notebooks validate with the same code: tests/notebook/test_params.py covers them.)
        """
        empty = tmp_path / "elsewhere"
        empty.mkdir()
        error, executed = plain_papermill("migration", plain_kernel_env, empty)
        assert error is not None
        assert error.startswith("NotebookParameterError")
        assert "demo-output" in error
        assert f"relative paths resolve against {empty.resolve()}" in error
        assert "processed" not in read_records(json.loads(executed.read_text(encoding="utf-8")))

    def test_misspelt_parameter_fails_listing_the_valid_names(
        self, demo_project: Path, plain_kernel_env: Path
    ) -> None:
        """-p runid demo (for run_id) fails the validation cell instead of reporting on the newest run."""
        error, executed = plain_papermill("migration_report", plain_kernel_env, demo_project, runid="demo")
        assert error is not None
        assert "parameter 'runid': unknown parameter; the parameters are store_url, run_id," in error
        assert "run_id" not in read_records(json.loads(executed.read_text(encoding="utf-8")))


class TestSecretsInErrors:
    def test_password_in_an_exception_is_redacted_everywhere(
        self, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An exception quoting a DSN with its password fails the report without writing the password."""
        import nbformat

        monkeypatch.setenv("LEAKY_DSN", "postgresql://app:hunter2@db:5432/app")  # the kernel inherits it
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        code = 'import os\n\nraise ConnectionError("cannot reach " + os.environ["LEAKY_DSN"])'
        nb.cells = [nbformat.v4.new_code_cell(code)]
        path = workdir / "leaky.ipynb"
        nbformat.write(nb, str(path))
        result = run_report(path, out_dir=workdir / "leaky-reports")
        assert result.status == "failed"
        assert result.error is not None
        assert "hunter2" not in result.error
        assert "db:5432/app" in result.error
        assert "hunter2" not in result.ipynb.read_text(encoding="utf-8")
        assert "hunter2" not in html_of(result)
