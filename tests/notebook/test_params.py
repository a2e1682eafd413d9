"""Notebook parameters: where relative paths resolve, papermill's misspelt names, headless or interactive."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import NotebookParameterError, RunIncompleteError
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.notebook.headless import HeadlessRun, choose_interactive, frontend_connected
from omnimemory_kit.notebook.params import (
    BASE_DIR_ENV,
    HealthParams,
    MigrationParams,
    MigrationReportParams,
    injected_names,
    notebook_base_dir,
)
from omnimemory_kit.notebook.runtime import REPORT_ENV
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store
from tests.notebook.test_panels import drive

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with the demo's output, and no base directory configured."""
    monkeypatch.delenv(BASE_DIR_ENV, raising=False)
    (tmp_path / "demo-output" / "legacy_tools").mkdir(parents=True)
    open_store(tmp_path / "demo-output" / "omnimemory-demo.db").close()
    return tmp_path


class TestBaseDirectory:
    def test_relative_paths_resolve_against_the_current_directory(
        self, project: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """From the command line, the defaults resolve where the command runs."""
        monkeypatch.chdir(project)
        params = MigrationReportParams.validate_parameters({"store_url": "demo-output/omnimemory-demo.db"})
        assert params.store_url == str(project / "demo-output" / "omnimemory-demo.db")

    def test_the_environment_names_the_base(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """With OMNIMEMORY_KIT_BASE set (dev.py lab), relative paths resolve there, wherever the kernel is."""
        elsewhere = project / "notebooks"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        monkeypatch.setenv(BASE_DIR_ENV, str(project))
        params = MigrationParams.validate_parameters(
            {
                "store_url": "sqlite:///demo-output/omnimemory-demo.db?timeout=5",
                "source": "demo-output/legacy_tools",
            }
        )
        assert params.store_url == f"sqlite:///{project}/demo-output/omnimemory-demo.db?timeout=5"
        assert params.source == str(project / "demo-output" / "legacy_tools")

    def test_the_kits_own_notebooks_folder_resolves_to_the_project_root(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A kernel JupyterLab starts beside the kit's notebooks resolves against the project root."""
        monkeypatch.delenv(BASE_DIR_ENV, raising=False)
        monkeypatch.chdir(ROOT / "notebooks")
        assert notebook_base_dir() == ROOT

    def test_missing_store_names_the_directory_it_was_resolved_against(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A report's store that is not there is refused, naming the path as given and the base directory."""
        monkeypatch.delenv(BASE_DIR_ENV, raising=False)
        monkeypatch.chdir(tmp_path)
        with pytest.raises(NotebookParameterError) as caught:
            MigrationReportParams.validate_parameters({"store_url": "demo-output/omnimemory-demo.db"})
        message = str(caught.value)
        assert "no store at 'demo-output/omnimemory-demo.db'" in message
        assert f"relative paths resolve against {tmp_path.resolve()}" in message

    def test_a_new_store_needs_its_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Health may create its store, but not the folder: the error names the folder and the base."""
        monkeypatch.delenv(BASE_DIR_ENV, raising=False)
        monkeypatch.chdir(tmp_path)
        with pytest.raises(NotebookParameterError, match=r"no folder .* against "):
            HealthParams.validate_parameters({"store_url": "nowhere/history.db"})
        created = HealthParams.validate_parameters({"store_url": "history.db"})
        assert created.store_url == str(tmp_path.resolve() / "history.db")

    @pytest.mark.parametrize(
        "url", ["sqlite://", "sqlite:///:memory:", ":memory:", "postgresql://u:pw@db.internal/ops"]
    )
    def test_urls_without_a_local_file_are_kept(self, url: str) -> None:
        """In-memory SQLite and PostgreSQL URLs are left as given."""
        assert HealthParams.validate_parameters({"store_url": url}).store_url == url

    def test_absolute_paths_say_nothing_about_a_base(self, tmp_path: Path) -> None:
        """An absolute path that is missing is named alone: no base directory was involved."""
        with pytest.raises(NotebookParameterError) as caught:
            MigrationParams.validate_parameters({"source": str(tmp_path / "gone")})
        assert "resolve against" not in str(caught.value)


class TestInjectedNames:
    def test_names_come_from_papermills_cell(self) -> None:
        """The last executed cell opening with '# Parameters' is papermill's: its assigned names are read."""
        history = ["", "x = 1", '# Parameters\nrunid = "demo"\nslowest = 5\n', "params = ..."]
        assert injected_names({"In": history}) == ["runid", "slowest"]

    def test_no_injection_no_names(self) -> None:
        """In JupyterLab, or outside IPython, nothing was injected."""
        assert injected_names({"In": ["", "x = 1"]}) == []
        assert injected_names({}) == []

    def test_a_misspelt_name_is_refused_listing_the_valid_ones(self, project: Path) -> None:
        """from_namespace refuses an injected name the notebook lacks, though the namespace holds it."""
        namespace = {
            "In": ["", '# Parameters\nrunid = "demo"\n'],
            "runid": "demo",
            "store_url": str(project / "demo-output" / "omnimemory-demo.db"),
        }
        with pytest.raises(NotebookParameterError) as caught:
            MigrationReportParams.from_namespace(namespace)
        assert caught.value.parameter == "runid"
        assert "the parameters are store_url, run_id, slowest, failures, max_points" in str(caught.value)

    def test_other_names_in_the_namespace_are_ignored(self, project: Path) -> None:
        """Names a notebook defines itself (not injected) never count as parameters."""
        namespace = {
            "In": ["", '# Parameters\nrun_id = "demo"\n'],
            "run_id": "demo",
            "store_url": str(project / "demo-output" / "omnimemory-demo.db"),
            "name": "a loop variable",
        }
        assert MigrationReportParams.from_namespace(namespace).run_id == "demo"


class TestHeadlessDecision:
    def test_outside_a_kernel_is_headless(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Plain Python has no frontend: None means run to the end, True is refused naming the parameter."""
        monkeypatch.delenv(REPORT_ENV, raising=False)
        assert not frontend_connected()
        assert choose_interactive(None) is False
        assert choose_interactive(False) is False
        with pytest.raises(NotebookParameterError, match=r"'interactive'.*headless"):
            choose_interactive(True)

    def test_a_report_kernel_is_headless(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """OMNIMEMORY_KIT_REPORT=1 (omnimemory-kit report) is headless whatever else holds."""
        monkeypatch.setenv(REPORT_ENV, "1")
        assert not frontend_connected()


class TestHeadlessRun:
    async def test_counts_what_this_execution_did_and_refuses_leftovers(self, tmp_path: Path) -> None:
        """A rerun processes nothing new; failed items make check() raise with the counts."""
        clock = FakeClock()

        def migrate(item: MigrationItem) -> None:
            if item.key == "bad":
                raise ValueError("cannot")

        with open_store(tmp_path / "j.db", clock=clock) as store:
            keys = IterableSource(["a", "b", "bad"])
            retry = RetryPolicy(max_attempts=1)
            runner = MigrationRunner(store, "r", keys, migrate, retry=retry, clock=clock)
            summary = await drive(runner, clock, runner.run())
            first = HeadlessRun("r", {"succeeded": 0, "failed": 0, "skipped": 0}, summary)
            assert (first.processed, first.already_done) == (3, 0)
            with pytest.raises(RunIncompleteError, match="1 failed item") as caught:
                first.check()
            assert (caught.value.failed, caught.value.unfinished, caught.value.processed) == (1, 0, 3)
            again = HeadlessRun("r", {"succeeded": 2, "failed": 1, "skipped": 0}, summary)
            assert (again.processed, again.already_done) == (0, 3)
            frame = again.to_frame().set_index("outcome")
            assert frame.loc["succeeded", "by this execution"] == 0
            assert frame.loc["succeeded", "before this execution"] == 2

    def test_a_dry_run_is_never_incomplete(self, tmp_path: Path) -> None:
        """A dry run processes nothing on purpose: check() passes and processed is 0."""
        from omnimemory_kit.migration.tracker import MigrationProgressTracker

        tracker = MigrationProgressTracker("dry")
        tracker.add_files([("a.py", 1)])
        outcome = HeadlessRun("dry", {}, tracker.get_progress_summary(), dry_run=True)
        outcome.check()
        assert outcome.processed == 0


class TestHealthConfigParameter:
    """``health_config`` gates the notebook's run on a [throttle] table, refused early when wrong."""

    def test_bad_rule_is_named(self, tmp_path: Path) -> None:
        """A rule naming an unknown metric fails validation with one error naming the rule."""
        config = tmp_path / "health.toml"
        config.write_text(
            '[[check]]\nname = "disk"\ntype = "disk"\n\n[throttle]\n[[throttle.rule]]\nname = "hot"\n'
            'metric = "temperature"\nabove = 1\n',
            encoding="utf-8",
        )
        source = tmp_path / "src"
        source.mkdir()
        with pytest.raises(NotebookParameterError, match="rule 'hot': metric: unknown metric"):
            MigrationParams.validate_parameters({"source": str(source), "health_config": str(config)})

    def test_runner_gets_the_gate(self, tmp_path: Path) -> None:
        """A good file gives the runner a HealthConfigGate over its rules."""
        from omnimemory_kit.migration.throttle_shared import HealthConfigGate
        from omnimemory_kit.notebook.panels import build_runner

        config = tmp_path / "health.toml"
        config.write_text(
            '[[check]]\nname = "disk"\ntype = "disk"\n\n[throttle]\ncheck_interval = 2\n[[throttle.rule]]\n'
            'name = "full"\ncheck = "disk"\nstatus = "unhealthy"\n',
            encoding="utf-8",
        )
        source = tmp_path / "src"
        source.mkdir()
        params = MigrationParams.validate_parameters(
            {
                "source": str(source),
                "health_config": str(config),
                "migration_function": "omnimemory_kit.migration.demo:migrate_legacy_tool",
            }
        )
        with open_store(tmp_path / "run.db") as store:
            runner = build_runner(store, params)
            assert isinstance(runner.throttle, HealthConfigGate)
            assert runner.throttle.policy.check_interval == 2.0
