"""The migration panel in a real kernel, its buttons pressed through the widget comm as JupyterLab does.

JupyterLab 4.4+ sends widget comm messages on a kernel subshell (another thread, another event loop), so
every press here goes through one. One kernel serves the module (a start costs about a second), started
as ``python3 dev.py lab`` has JupyterLab start it: in a project's ``notebooks/`` folder, with
``OMNIMEMORY_KIT_BASE`` naming the project; each test uses its own run id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.notebook.params import BASE_DIR_ENV
from tests.notebook.live_kernel import ROOT, LiveKernel

pytestmark = pytest.mark.notebook

# A lease of 600 s puts the first heartbeat 200 s after a claim: a wake-up that only a timer delivers
# would stall far past every wait below.
PANEL_CODE = """
import json, time
from omnimemory_kit import open_store
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource
from omnimemory_kit.notebook.panels import MigrationPanel

def live_panel(run_id, items, seconds):
    def migrate(item):
        time.sleep(seconds)

    runner = MigrationRunner(
        open_store("journal.db"), run_id, IterableSource([f"k{i}" for i in range(items)]), migrate,
        batch_size=10, concurrency=4, lease_seconds=600,
    )
    panel = MigrationPanel(runner)
    display(panel.widget)
    return panel

def model_ids(panel):
    names = ("start_button", "pause_button", "step_button", "resume_button", "progress", "status")
    print(json.dumps({name: getattr(panel, name).model_id for name in names}))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder as ``python3 dev.py demo`` leaves it: ``demo-output/`` with tools to migrate."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    tools = root / "demo-output" / "legacy_tools"
    tools.mkdir(parents=True)
    for i in range(6):
        (tools / f"tool_{i}.py").write_text(
            f'"""Tool {i}."""\nTOOL = {{"name": "t{i}"}}\n\ndef run(query):\n    return query\n'
        )
    return root


@pytest.fixture(scope="module")
def kernel(project: Path) -> Iterator[LiveKernel]:
    """A live kernel started as JupyterLab starts it from ``dev.py lab``, with the panel helpers defined."""
    env = {BASE_DIR_ENV: str(project), "OMNIMEMORY_DEMO_OUT": str(project / "demo-output" / "migrated")}
    live = LiveKernel(project / "notebooks", env)
    try:
        live.execute(PANEL_CODE)
        yield live
    finally:
        live.close()


@pytest.fixture(scope="module")
def subshell(kernel: LiveKernel) -> str:
    """The subshell JupyterLab would send the widgets' comm messages on."""
    return kernel.create_subshell()


def show_panel(kernel: LiveKernel, name: str, run_id: str, items: int, seconds: float) -> dict[str, str]:
    """Display a panel over a fresh run in the kernel; return its widgets' model ids by attribute name."""
    printed = kernel.execute(f"{name} = live_panel({run_id!r}, {items}, {seconds})\nmodel_ids({name})")
    ids: dict[str, str] = json.loads(printed.strip().splitlines()[-1])
    return ids


class TestPauseResume:
    def test_resume_pressed_on_a_subshell_restarts_items_at_once(
        self, kernel: LiveKernel, subshell: str
    ) -> None:
        """After Pause then Resume from a subshell, items finish again within seconds, not at a heartbeat."""
        ids = show_panel(kernel, "paused_panel", "pause-resume", items=80, seconds=0.1)
        value = lambda: int(kernel.widgets[ids["progress"]].get("value", 0))  # noqa: E731
        status = lambda: str(kernel.widgets[ids["status"]].get("value", ""))  # noqa: E731
        kernel.click(ids["start_button"], subshell_id=subshell)
        assert kernel.wait_for(lambda: value() >= 4, timeout=20), status()
        kernel.click(ids["pause_button"], subshell_id=subshell)
        assert kernel.wait_for(lambda: "paused" in status(), timeout=10), status()
        # let the items in flight at the pause finish: then nothing but the resume can wake the loop
        kernel.execute(
            "import asyncio\n"
            "while 'in_flight=0' not in repr(paused_panel.runner):\n"
            "    await asyncio.sleep(0.02)"
        )
        finished_while_paused = value()
        assert finished_while_paused < 80
        kernel.click(ids["resume_button"], subshell_id=subshell)
        assert kernel.wait_for(lambda: value() > finished_while_paused, timeout=10), status()
        assert kernel.wait_for(lambda: value() == 80, timeout=20), status()
        assert kernel.wait_for(lambda: "completed" in status(), timeout=10), status()
        assert "finished in" in status()


class TestStepThenStart:
    def test_start_after_step_runs_to_the_end(self, kernel: LiveKernel, subshell: str) -> None:
        """Step runs one batch and says how to go on; Start then runs every remaining item."""
        ids = show_panel(kernel, "stepped_panel", "step-start", items=30, seconds=0.01)
        value = lambda: int(kernel.widgets[ids["progress"]].get("value", 0))  # noqa: E731
        status = lambda: str(kernel.widgets[ids["status"]].get("value", ""))  # noqa: E731
        kernel.click(ids["step_button"], subshell_id=subshell)
        offered = lambda: value() == 10 and "press Start or Resume" in status()  # noqa: E731
        assert kernel.wait_for(offered, timeout=20), status()
        enabled = lambda name: kernel.widgets[ids[name]]["disabled"] is False  # noqa: E731
        assert kernel.wait_for(lambda: enabled("start_button") and enabled("resume_button"), timeout=5)
        kernel.click(ids["start_button"], subshell_id=subshell)
        assert kernel.wait_for(lambda: value() == 30, timeout=20), status()
        assert kernel.wait_for(lambda: "completed" in status(), timeout=10), status()

    def test_resume_after_step_runs_to_the_end(self, kernel: LiveKernel, subshell: str) -> None:
        """After an idle Step, Resume also runs the rest (it offers the same way forward as Start)."""
        ids = show_panel(kernel, "resumed_panel", "step-resume", items=20, seconds=0.01)
        value = lambda: int(kernel.widgets[ids["progress"]].get("value", 0))  # noqa: E731
        status = lambda: str(kernel.widgets[ids["status"]].get("value", ""))  # noqa: E731
        kernel.click(ids["step_button"], subshell_id=subshell)
        offered = lambda: value() == 10 and "press Start or Resume" in status()  # noqa: E731
        assert kernel.wait_for(offered, timeout=20), status()
        kernel.click(ids["resume_button"], subshell_id=subshell)
        assert kernel.wait_for(lambda: value() == 20 and "completed" in status(), timeout=20), status()


class TestLabDefaults:
    def test_notebooks_with_their_defaults_work_from_lab(
        self, kernel: LiveKernel, subshell: str, project: Path
    ) -> None:
        """In Lab's kernel (cwd notebooks/) the defaults find the project's demo-output/ and Start runs."""
        kernel.run_notebook_cells(ROOT / "notebooks" / "migration.ipynb", until="MigrationPanel(runner")
        printed = kernel.execute(
            "print(interactive, params.store_url)\n"
            "print(panel.start_button.model_id, panel.progress.model_id, panel.status.model_id)"
        )
        mode, store_url, *_ = printed.split()
        start, progress, status = printed.split()[-3:]
        assert mode == "True"  # a frontend that allows stdin: the widget panel
        assert store_url == str(project / "demo-output" / "omnimemory-demo.db")
        kernel.click(start, subshell_id=subshell)
        done = lambda: "completed" in str(kernel.widgets[status].get("value", ""))  # noqa: E731
        assert kernel.wait_for(done, timeout=30), kernel.widgets[status].get("value")
        assert kernel.widgets[progress]["value"] == 6
        assert len(list((project / "demo-output" / "migrated").rglob("*"))) > 0
        report = ROOT / "notebooks" / "migration_report.ipynb"
        kernel.run_notebook_cells(report)  # defaults: the demo store at the project root, newest run
        assert kernel.execute("print(run_id, report.summary.succeeded_files)").split() == ["notebook", "6"]

    def test_figures_section_redraws_itself_while_the_run_goes_on(
        self, kernel: LiveKernel, subshell: str
    ) -> None:
        """The panel's figures view holds the four figures and redraws them by itself as the run ends."""
        ids = show_panel(kernel, "figures_panel", "figures", items=12, seconds=0.01)
        count_points = (
            "def points(view):\n"
            "    first = view.outputs[0]['data']['application/vnd.plotly.v1+json']\n"
            "    return sum(len(trace.get('x', ())) for trace in first['data'])\n"
        )
        before = kernel.execute(
            f"{count_points}view = figures_panel.figures_view()\nprint(len(view.outputs), points(view))"
        )
        assert before.split() == ["4", "0"]
        kernel.click(ids["start_button"], subshell_id=subshell)
        status = lambda: str(kernel.widgets[ids["status"]].get("value", ""))  # noqa: E731
        assert kernel.wait_for(lambda: "completed" in status(), timeout=20), status()
        after = kernel.execute("print(len(view.outputs), points(view) > 0)")
        assert after.split() == ["4", "True"]
