"""Reports and the run ledger: a report made from a run is recorded with it and linked from the index."""

from __future__ import annotations

import json
from pathlib import Path

from omnimemory_kit.reports import run_report, write_index
from omnimemory_kit.store import open_store
from omnimemory_kit.store.ledger import ledger
from tests.test_reports import EVIL, executed_notebook

# A notebook that starts a run itself (so the ledger records the notebook as its origin).
_CELL = """
from omnimemory_kit.migration.sources import IterableSource
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.store import open_store

with open_store(store_url) as store:
    prepare_run(store, run_id, IterableSource(["a", "b"], name="two"), "tools:migrate")
"""


def own_notebook(path: Path) -> Path:
    """Write a notebook whose parameters name a run and its store."""
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": kernel, "cells": [
        {"cell_type": "code", "id": "p", "metadata": {"tags": ["parameters"]}, "execution_count": None,
         "outputs": [], "source": 'run_id = "x"\nstore_url = ""'},
        {"cell_type": "code", "id": "w", "metadata": {}, "execution_count": None, "outputs": [],
         "source": _CELL}]}  # fmt: skip
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


class TestReportsOfARun:
    def test_a_report_is_recorded_with_its_run_and_linked_from_the_index(self, tmp_path: Path) -> None:
        """The store lists the report under its run, whose origin is the notebook; the index links the two."""
        notebook = own_notebook(tmp_path / "nightly.ipynb")
        store_url = f"sqlite:///{tmp_path / 'journal.db'}"
        result = run_report(notebook, {"run_id": "night-1", "store_url": store_url}, out_dir=tmp_path / "out")
        assert result.ok, result.error
        with open_store(store_url, read_only=True) as store:
            [entry] = ledger(store)
        assert entry.origin == f"notebook {notebook}"
        assert [r.path for r in entry.reports] == [str(result.html)]
        index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
        link = index[index.index('<a href="#run-') :].split('"')[1]
        assert f'<tr id="{link[1:]}"><td>night-1</td>' in index

    def test_a_report_without_a_reachable_run_is_still_written(self, tmp_path: Path) -> None:
        """A report whose run is not in the store is written all the same, linked to no run."""
        notebook = own_notebook(tmp_path / "nightly.ipynb")
        store_url = f"sqlite:///{tmp_path / 'missing' / 'journal.db'}"
        result = run_report(notebook, {"run_id": "r", "store_url": store_url}, out_dir=tmp_path / "out")
        assert result.html.exists()
        assert "#run-" not in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


class TestIndexLedger:
    def test_run_facts_in_the_index_are_escaped(self, tmp_path: Path) -> None:
        """The index's run table escapes every fact and each run appears once, however many reports."""
        run = {"run_id": EVIL, "operator": EVIL, "origin": EVIL, "function": "m:f", "params_hash": "ab" * 32,
               "correlation_id": "c", "previous_run": None, "next_run": EVIL}  # fmt: skip
        executed_notebook(tmp_path / "migration_report", "20261127T100001Z", run=run)
        executed_notebook(tmp_path / "migration_report", "20261127T100002Z", run=run)
        text = write_index(tmp_path).read_text(encoding="utf-8")
        assert EVIL not in text
        assert text.count("<tr id=") == 1
        assert text.count('<a href="#run-') == 2
