"""``omnimemory-kit report --heartbeat NAME``: a report that succeeds feeds a push check's heartbeat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.store import open_store


def notebook(tmp_path: Path, source: str) -> Path:
    """Write a one-cell notebook running ``source``; return its path."""
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    cells = [{"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "outputs": [],
              "source": source}]  # fmt: skip
    path = tmp_path / "job.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": kernel, "cells": cells}))
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    """Run `report ...` in-process; return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, ["report", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.notebook
class TestHeartbeat:
    def test_a_report_that_succeeds_records_the_heartbeat(self, tmp_path: Path) -> None:
        """After the notebook runs to its end, the heartbeat is in the store with the notebook's name."""
        url = f"sqlite:///{tmp_path}/health.db"
        open_store(url).close()
        code, out, err = invoke(
            str(notebook(tmp_path, "x = 1")), "--out", str(tmp_path / "reports"), "--heartbeat", "nightly",
            "--heartbeat-store", url,
        )  # fmt: skip
        assert code == 0, err
        assert "heartbeat: nightly" in out
        with open_store(url, create=False) as store:
            beat = store.last_heartbeat("nightly")
        assert beat is not None
        assert beat.message == "report job ok"

    def test_a_report_that_fails_sends_no_heartbeat(self, tmp_path: Path) -> None:
        """A notebook that raises exits 1 and leaves the push check without a heartbeat."""
        url = f"sqlite:///{tmp_path}/health.db"
        open_store(url).close()
        code, _, _ = invoke(
            str(notebook(tmp_path, "raise RuntimeError('boom')")), "--out", str(tmp_path / "reports"),
            "--heartbeat", "nightly", "--heartbeat-store", url,
        )  # fmt: skip
        assert code == 1
        with open_store(url, create=False) as store:
            assert store.last_heartbeat("nightly") is None


class TestBadHeartbeatStore:
    def test_a_missing_store_is_refused_before_the_notebook_runs(self, tmp_path: Path) -> None:
        """A heartbeat store that does not exist exits 3 at once; no report is written, no store made."""
        code, _, err = invoke(
            str(notebook(tmp_path, "x = 1")), "--out", str(tmp_path / "reports"), "--heartbeat", "nightly",
            "--heartbeat-store", f"sqlite:///{tmp_path}/nope.db",
        )  # fmt: skip
        assert code == 3
        assert err.startswith("error: --heartbeat-store: ")
        assert not (tmp_path / "reports").exists()
        assert not (tmp_path / "nope.db").exists()
