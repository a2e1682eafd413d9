"""Reports without a kernel: HTML rendering, escaping, the index, collecting, and the CLI's bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.errors import ConfigError, NotebookParameterError
from omnimemory_kit.notebook.params import (
    HealthParams,
    MigrationParams,
    MigrationReportParams,
    parameter_model,
    parse_cli_parameters,
)
from omnimemory_kit.notebook.record import RECORD_MIMETYPE, read_records, to_record_value
from omnimemory_kit.notebook.runtime import ReportRenderer
from omnimemory_kit.reports import (
    STATIC_DIR,
    collect_reports,
    find_notebook,
    plotly_js_name,
    prune_reports,
    render_html,
    write_index,
)

ROOT = Path(__file__).resolve().parent.parent
EVIL = "<script>alert(1)</script>"


def executed_notebook(folder: Path, stem: str, *, status: str = "succeeded", **facts: Any) -> Path:
    """Write a small executed notebook as ``run_report`` leaves it, with hostile text everywhere."""
    metadata = {
        "notebook": "migration_report",
        "parameters": {"run_id": EVIL},
        "status": status,
        "error": f"ValueError: {EVIL}" if status == "failed" else None,
        "started_at": f"2026-11-27T10:{stem[-3:-1]}:00+00:00",
        "duration_s": 1.5,
        "user": EVIL,
        "host": "host-1",
        "html": f"{stem}.html",
        **facts,
    }
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"omnimemory_kit": metadata,
                     "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
        "cells": [
            {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "source": "x = 1",
             "outputs": [
                 {"output_type": "display_data", "metadata": {},
                  "data": {RECORD_MIMETYPE: {"name": "failed_files", "value": 3}}},
                 {"output_type": "display_data", "metadata": {},
                  "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "m"},
                           "text/plain": "VBox()"}},
                 {"output_type": "stream", "name": "stdout", "text": f"file {EVIL}\n"},
             ]},
        ],
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


class TestRenderHtml:
    def test_page_has_no_cdn_script_and_no_widget_state(self, tmp_path: Path) -> None:
        """The page loads no script from the network and carries no widget manager or state."""
        page = render_html(executed_notebook(tmp_path / "r", "20261127T100001Z"), tmp_path / "out.html")
        text = page.read_text(encoding="utf-8")
        assert '<script src="http' not in text
        assert "require.js" not in text
        assert "widget-state+json" not in text
        assert "widget-view+json" not in text
        assert "An interactive widget was here" in text
        assert "VBox()" not in text

    def test_user_text_is_escaped_in_banner_and_outputs(self, tmp_path: Path) -> None:
        """A hostile parameter, user, error and output line are shown escaped, never as a script."""
        source = executed_notebook(tmp_path / "r", "20261127T100002Z", status="failed")
        text = render_html(source, tmp_path / "out.html").read_text(encoding="utf-8")
        assert EVIL not in text
        assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
        assert 'class="omk-banner failed"' in text

    def test_no_input_hides_code(self, tmp_path: Path) -> None:
        """With no_input the cell's code is left out of the page."""
        source = executed_notebook(tmp_path / "r", "20261127T100003Z")
        with_code = render_html(source, tmp_path / "a.html").read_text(encoding="utf-8")
        without = render_html(source, tmp_path / "b.html", no_input=True).read_text(encoding="utf-8")
        assert '<div class="jp-Cell-inputWrapper' in with_code
        assert '<div class="jp-Cell-inputWrapper' not in without


def with_figure(path: Path, *, bundle: bool = False) -> Path:
    """Add a figure output as a report kernel writes it (and optionally a plotly.js copy) to a notebook."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    nb = json.loads(path.read_text(encoding="utf-8"))
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"title": {"text": "A figure"}})
    outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": ReportRenderer().to_mimebundle(figure.to_dict()),
        }
    ]
    if bundle:  # what plotly's own notebook renderer writes once per notebook
        config = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
        script = f"{config}<script>{get_plotlyjs()}</script>"
        outputs.insert(0, {"output_type": "display_data", "metadata": {}, "data": {"text/html": script}})
    nb["cells"].append({"cell_type": "code", "id": "fig", "metadata": {}, "execution_count": 2,
                        "source": "show(fig)", "outputs": outputs})  # fmt: skip
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


class TestPlotlyJs:
    def test_shared_copy_is_linked_relatively_and_written_once(self, tmp_path: Path) -> None:
        """With a static folder the page links its plotly.js by a relative path and stays small."""
        source = with_figure(executed_notebook(tmp_path / "reports" / "migration_report", "20261127T100001Z"))
        static = tmp_path / "reports" / STATIC_DIR
        text = render_html(source, source.with_suffix(".html"), static_dir=static).read_text(encoding="utf-8")
        assert f'<script src="../{STATIC_DIR}/{plotly_js_name()}"></script>' in text
        assert "plotly.js v" not in text
        assert len(text.encode()) < 100_000
        shared = static / plotly_js_name()
        assert "plotly.js v" in shared.read_text(encoding="utf-8")[:300]
        written = shared.stat().st_mtime_ns
        render_html(source, tmp_path / "reports" / "again.html", static_dir=static)
        assert shared.stat().st_mtime_ns == written
        assert text.index(plotly_js_name()) < text.index("Plotly.newPlot")

    def test_an_incomplete_shared_copy_is_rewritten(self, tmp_path: Path) -> None:
        """A truncated shared plotly.js (a copy interrupted) is replaced by a whole one."""
        source = with_figure(executed_notebook(tmp_path / "r", "20261127T100001Z"))
        (tmp_path / "s").mkdir()
        (tmp_path / "s" / plotly_js_name()).write_text("/* half */")
        render_html(source, tmp_path / "out.html", static_dir=tmp_path / "s")
        assert (tmp_path / "s" / plotly_js_name()).stat().st_size > 1_000_000

    def test_self_contained_page_inlines_plotly_once(self, tmp_path: Path) -> None:
        """Without a static folder the page carries plotly.js inline, once, and links nothing."""
        source = with_figure(executed_notebook(tmp_path / "r", "20261127T100001Z"), bundle=True)
        text = render_html(source, tmp_path / "out.html").read_text(encoding="utf-8")
        assert "<script src=" not in text
        assert text.count("plotly.js v") == 1
        assert text.index("plotly.js v") < text.index("Plotly.newPlot")

    def test_old_notebook_with_its_own_copy_is_not_doubled(self, tmp_path: Path) -> None:
        """A notebook executed with plotly.js inlined renders with the shared copy only."""
        source = with_figure(executed_notebook(tmp_path / "r", "20261127T100001Z"), bundle=True)
        text = render_html(source, tmp_path / "out.html", static_dir=tmp_path / "s").read_text(
            encoding="utf-8"
        )
        assert "plotly.js v" not in text
        assert len(text.encode()) < 100_000

    def test_page_without_figures_brings_no_plotly(self, tmp_path: Path) -> None:
        """A notebook that draws no figure gets neither the library nor a link to it."""
        source = executed_notebook(tmp_path / "r", "20261127T100001Z")
        text = render_html(source, tmp_path / "out.html").read_text(encoding="utf-8")
        assert "plotly" not in text.lower()


def report_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.ipynb"))


class TestRetention:
    def make(self, root: Path) -> None:
        """Three migration reports (10:01, 10:02, 10:03 UTC) and one health report (10:04), with pages."""
        for notebook, stem in (
            ("migration_report", "20261127T100001Z"),
            ("migration_report", "20261127T100002Z"),
            ("migration_report", "20261127T100003Z"),
            ("health", "20261127T100004Z"),
        ):
            path = executed_notebook(root / notebook, stem, notebook=notebook)
            path.with_suffix(".html").write_text("page")

    def test_keep_keeps_the_newest_of_each_notebook(self, tmp_path: Path) -> None:
        """keep=2 deletes the oldest migration report and its page, keeps the health one, re-indexes."""
        self.make(tmp_path)
        deleted = prune_reports(tmp_path, keep=2)
        assert sorted(p.name for p in deleted) == ["20261127T100001Z.html", "20261127T100001Z.ipynb"]
        assert report_files(tmp_path / "migration_report") == [
            "20261127T100002Z.ipynb",
            "20261127T100003Z.ipynb",
        ]
        assert report_files(tmp_path / "health") == ["20261127T100004Z.ipynb"]
        index = (tmp_path / "index.html").read_text(encoding="utf-8")
        assert "20261127T100001Z" not in index
        assert index.count("<tr><td>") == 3

    def test_keep_of_one_notebook_leaves_the_others(self, tmp_path: Path) -> None:
        """keep with a notebook named prunes that notebook's reports only."""
        self.make(tmp_path)
        prune_reports(tmp_path, keep=1, notebook="health")
        assert len(report_files(tmp_path / "migration_report")) == 3

    def test_max_age_deletes_what_is_older_than_the_cutoff(self, tmp_path: Path) -> None:
        """max_age_days deletes every report started before now minus the age, of any notebook."""
        self.make(tmp_path)
        now = dt.datetime(2026, 11, 28, 10, 2, 30, tzinfo=dt.UTC)  # one day after 10:02:30
        prune_reports(tmp_path, max_age_days=1, now=now)
        assert report_files(tmp_path / "migration_report") == ["20261127T100003Z.ipynb"]
        assert report_files(tmp_path / "health") == ["20261127T100004Z.ipynb"]

    def test_a_stale_shared_plotly_goes_once_no_page_links_it(self, tmp_path: Path) -> None:
        """plotly.js of an older version is deleted when unused, kept while a page links it."""
        self.make(tmp_path)
        static = tmp_path / STATIC_DIR
        static.mkdir()
        (static / "plotly-0.1.0.min.js").write_text("old")
        (static / "plotly-0.2.0.min.js").write_text("old")
        (static / plotly_js_name()).write_text("current")
        (tmp_path / "health" / "20261127T100004Z.html").write_text(
            f'<script src="../{STATIC_DIR}/plotly-0.2.0.min.js">'
        )
        prune_reports(tmp_path, keep=5)
        assert sorted(p.name for p in static.iterdir()) == sorted(["plotly-0.2.0.min.js", plotly_js_name()])

    @pytest.mark.parametrize(
        ("keep", "max_age", "match"),
        [(0, None, "keep"), (2.5, None, "keep"), (True, None, "keep"), (None, 0, "max_age_days"),
         (None, -1.0, "max_age_days"), (None, float("nan"), "max_age_days")],
    )  # fmt: skip
    def test_bad_settings_are_refused_before_anything_is_deleted(
        self, tmp_path: Path, keep: Any, max_age: Any, match: str
    ) -> None:
        """A keep below 1 or not whole, or an age not positive, is a config error and deletes nothing."""
        self.make(tmp_path)
        with pytest.raises(ConfigError, match=match):
            prune_reports(tmp_path, keep=keep, max_age_days=max_age)
        assert len(report_files(tmp_path / "migration_report")) == 3


class TestIndexAndCollect:
    def test_index_lists_every_report_escaped_with_links(self, tmp_path: Path) -> None:
        """index.html has one linked row per report, newest first, every value escaped."""
        executed_notebook(tmp_path / "migration_report", "20261127T100001Z")
        executed_notebook(tmp_path / "migration_report", "20261127T100002Z", status="failed")
        text = write_index(tmp_path).read_text(encoding="utf-8")
        assert text.count("<tr><td>") == 2
        assert 'href="migration_report/20261127T100002Z.html"' in text
        assert text.index("20261127T100002Z") < text.index("20261127T100001Z")
        assert EVIL not in text
        assert "host-1" in text
        assert 'class="failed"' in text
        assert "nan" not in text  # a report without an error shows none

    def test_empty_index_says_how_to_make_a_report(self, tmp_path: Path) -> None:
        """With no reports the index explains how to produce one."""
        assert "No reports yet" in write_index(tmp_path / "none").read_text(encoding="utf-8")

    def test_collect_gathers_parameters_status_duration_and_records(self, tmp_path: Path) -> None:
        """collect_reports returns one row per report with its parameters and recorded values."""
        executed_notebook(tmp_path / "migration_report", "20261127T100001Z")
        executed_notebook(tmp_path / "migration_report", "20261127T100002Z", status="failed")
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
        frame = collect_reports(tmp_path)
        assert list(frame["status"]) == ["failed", "succeeded"]
        assert list(frame["record.failed_files"]) == [3, 3]
        assert list(frame["param.run_id"]) == [EVIL, EVIL]
        assert list(frame["duration_s"]) == [1.5, 1.5]

    def test_collect_of_a_missing_folder_is_empty(self, tmp_path: Path) -> None:
        """A reports folder that does not exist yields an empty frame with the documented columns."""
        frame = collect_reports(tmp_path / "missing")
        assert frame.empty
        assert {"notebook", "status", "parameters", "records"} <= set(frame.columns)


class TestParameters:
    def test_cli_strings_become_typed_values(self) -> None:
        """Command-line strings are converted to the declared types; 'none' gives None where allowed."""
        values = parse_cli_parameters(MigrationReportParams, [("run_id", "none"), ("slowest", "7")])
        assert values == {"run_id": None, "slowest": 7}
        flags = parse_cli_parameters(MigrationParams, [("interactive", "false"), ("batch_size", "10")])
        assert flags == {"interactive": False, "batch_size": 10}

    @pytest.mark.parametrize(
        ("model", "pairs", "parameter", "problem"),
        [
            (MigrationParams, [("batch_size", "0")], "batch_size", "greater than or equal to 1"),
            (MigrationParams, [("batch_size", "ten")], "batch_size", "valid integer"),
            (MigrationParams, [("migration_function", "no-colon")], "migration_function", "module:function"),
            (MigrationReportParams, [("runid", "x")], "runid", "unknown parameter"),
            (HealthParams, [("since_hours", "-1")], "since_hours", "greater than 0"),
            (HealthParams, [("store_url", "mysql://u:secret@h/db")], "store_url", "postgresql"),
        ],
    )
    def test_bad_value_names_the_parameter(
        self, model: Any, pairs: list[tuple[str, str]], parameter: str, problem: str
    ) -> None:
        """A bad value raises one NotebookParameterError naming the notebook, the parameter and the issue."""
        with pytest.raises(NotebookParameterError) as caught:
            parse_cli_parameters(model, pairs)
        assert caught.value.parameter == parameter
        assert caught.value.notebook == model.notebook
        assert problem in str(caught.value)
        assert "secret" not in str(caught.value)

    def test_repr_hides_passwords(self) -> None:
        """A notebook shows its validated parameters; passwords in URLs and DSNs never appear."""
        params = HealthParams(
            postgres_dsn="postgresql://app:s3cret@db:5432/app", redis_url="redis://:pw9@r:6379/0"
        )
        assert "s3cret" not in repr(params)
        assert "pw9" not in repr(params)
        assert "db:5432/app" in repr(params)

    def test_notebook_namespace_validation_ignores_other_names(self) -> None:
        """from_namespace reads only the model's fields out of a notebook's globals."""
        params = MigrationReportParams.from_namespace({"run_id": "r", "slowest": 3, "In": [], "_": None})
        assert (params.run_id, params.slowest) == ("r", 3)

    def test_models_match_the_notebooks_parameter_cells(self) -> None:
        """Every parameter in a bundled notebook's parameters cell is a field of its model, and back."""
        import papermill

        for name in ("migration", "migration_report", "health"):
            declared = set(papermill.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb")))
            model = parameter_model(name)
            assert model is not None
            assert declared == set(model.model_fields), name


class TestRecord:
    def test_values_become_plain_json(self) -> None:
        """numpy scalars, DataFrames and NaN are turned into plain JSON values."""
        import numpy as np
        import pandas as pd

        assert to_record_value("n", np.int64(3)) == 3
        assert to_record_value("nan", float("nan")) is None
        assert to_record_value("df", pd.DataFrame({"a": [1, 2]})) == [{"a": 1}, {"a": 2}]

    def test_unrepresentable_value_is_refused_naming_it(self) -> None:
        """A value that is not JSON-like raises ConfigError naming the record."""
        with pytest.raises(ConfigError, match="'handle'"):
            to_record_value("handle", object())

    def test_read_records_last_value_wins(self) -> None:
        """Reading a notebook returns each recorded name once, with its last value."""

        def out(name: str, value: Any) -> dict[str, Any]:
            return {"output_type": "display_data", "data": {RECORD_MIMETYPE: {"name": name, "value": value}}}

        nb = {"cells": [{"cell_type": "code", "outputs": [out("a", 1), out("b", 2)]},
                        {"cell_type": "code", "outputs": [out("a", 3)]}]}  # fmt: skip
        assert read_records(nb) == {"a": 3, "b": 2}


class TestOwnNotebooks:
    def test_unknown_parameter_of_a_notebook_without_a_model_is_refused(self, tmp_path: Path) -> None:
        """For a user's notebook the names in its parameters cell are the ones accepted."""
        from omnimemory_kit.reports import run_report

        kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": kernel, "cells": [
            {"cell_type": "code", "id": "p", "metadata": {"tags": ["parameters"]}, "execution_count": None,
             "outputs": [], "source": "limit: int = 3  # how many"}]}  # fmt: skip
        path = tmp_path / "mine.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        with pytest.raises(NotebookParameterError, match="'limt'"):
            run_report(path, {"limt": 4}, out_dir=tmp_path / "out")
        assert not (tmp_path / "out").exists()


class TestFindNotebook:
    def test_bundled_name_resolves(self) -> None:
        """A bundled notebook is found by its bare name."""
        assert find_notebook("health") == (ROOT / "notebooks" / "health.ipynb").resolve()

    def test_unknown_notebook_is_a_config_error(self) -> None:
        """An unknown notebook name is refused, naming it."""
        with pytest.raises(ConfigError, match="'nope'"):
            find_notebook("nope")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``omnimemory-kit`` from this worktree."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


class TestCliBadInput:
    def test_bad_parameter_exits_2_naming_it_without_running(self, tmp_path: Path) -> None:
        """A bad -p value exits 2 with one line naming it, before any kernel starts or file is written."""
        result = run_cli("report", "migration_report", "-p", "slowest", "0", "--out", "out", cwd=tmp_path)
        assert result.returncode == 2
        assert "parameter 'slowest'" in result.stderr
        assert not (tmp_path / "out" / "migration_report").exists()

    def test_unknown_notebook_exits_2(self, tmp_path: Path) -> None:
        """An unknown notebook exits 2 naming it."""
        result = run_cli("report", "nope", cwd=tmp_path)
        assert result.returncode == 2
        assert "'nope'" in result.stderr

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [("--keep", "0", "--keep must be a whole number"), ("--keep", "two", "--keep must be a whole number"),
         ("--max-age", "-3", "--max-age must be a positive number"),
         ("--max-age", "inf", "--max-age must be a positive number")],
    )  # fmt: skip
    def test_bad_retention_exits_2_with_one_line(
        self, tmp_path: Path, option: str, value: str, message: str
    ) -> None:
        """A bad --keep or --max-age exits 2 with one line naming it; nothing runs and nothing is deleted."""
        executed_notebook(tmp_path / "reports" / "migration_report", "20261127T100001Z")
        result = run_cli("report", "migration_report", option, value, cwd=tmp_path)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"error: {message}")
        assert repr(value) in lines[0]
        assert report_files(tmp_path / "reports" / "migration_report") == ["20261127T100001Z.ipynb"]

    def test_collect_with_keep_prunes_and_lists_what_is_left(self, tmp_path: Path) -> None:
        """report --collect --keep 1 deletes all but the newest report of each notebook, then lists them."""
        for stem in ("20261127T100001Z", "20261127T100002Z"):
            executed_notebook(tmp_path / "reports" / "migration_report", stem)
        result = run_cli("report", "--collect", "--json", "--keep", "1", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "pruned 1 report(s)" in result.stderr
        assert [Path(r["ipynb"]).name for r in json.loads(result.stdout)] == ["20261127T100002Z.ipynb"]

    def test_collect_prints_json_records(self, tmp_path: Path) -> None:
        """report --collect --json prints the collected reports as JSON with their records."""
        executed_notebook(tmp_path / "reports" / "migration_report", "20261127T100001Z")
        result = run_cli("report", "--collect", "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)
        assert rows[0]["records"] == {"failed_files": 3}
        assert (tmp_path / "reports" / "index.html").exists()
