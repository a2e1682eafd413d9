"""Headless or interactive: how the migration notebook knows whether a person is at it, and what a
headless execution did.

A kernel cannot see its frontend, so the decision rests on what a kernel can observe, in this order:

1. ``omnimemory-kit report`` sets ``OMNIMEMORY_KIT_REPORT=1`` in the kernel's environment: headless.
2. No IPython kernel at all (plain Python, a script): headless.
3. The cell being executed does not allow stdin: headless. papermill, nbclient and ``nbconvert
   --execute`` send every execute request with ``allow_stdin`` false, since nobody is there to answer
   ``input()``; JupyterLab, Jupyter Notebook and VS Code allow it.

``interactive=None`` (the default) follows that decision; ``False`` always runs to the end; ``True`` in a
headless kernel is refused: a widget nobody can press would leave the work undone while the report
says it succeeded.

A headless execution awaits the run to its end (a task left running dies with the kernel) and reports
what *this* execution processed beside what was already done before it; ``HeadlessRun.check()`` raises
``RunIncompleteError`` when items are left unfinished or failed, so the notebook, and the report that
runs it, fails instead of listing work that was not done as succeeded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pandas as pd

from omnimemory_kit.errors import NotebookParameterError, RunIncompleteError, RunNotFoundError
from omnimemory_kit.events import FileStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.notebook.runtime import in_report

__all__ = ["HeadlessRun", "choose_interactive", "frontend_connected", "run_to_end"]

_OUTCOMES = (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED)


def frontend_connected() -> bool:
    """Return whether a person's notebook frontend sent the cell being executed (see the module doc)."""
    if in_report():
        return False
    try:
        from IPython import get_ipython  # late: plain Python use never needs it
    except ImportError:  # pragma: no cover - IPython comes with ipykernel, a dependency
        return False
    shell: Any = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(getattr(kernel, "_allow_stdin", False))


def choose_interactive(requested: bool | None) -> bool:
    """Return whether to show the widget panel: ``requested``, or whether a frontend is connected (None).

    Raises:
        NotebookParameterError: ``interactive=True`` in a headless kernel (papermill, a report).
    """
    connected = frontend_connected()
    if requested is None:
        return connected
    if requested and not connected:
        raise NotebookParameterError(
            "migration",
            "interactive",
            "True needs a notebook frontend to press the buttons, and this kernel is headless (papermill "
            "or a report): leave interactive unset (or False) to run the migration to its end",
        )
    return requested


@dataclass(frozen=True, slots=True)
class HeadlessRun:
    """What one headless execution of a migration did.

    Attributes:
        run_id: the run.
        before: items finished before this execution, by outcome (``succeeded``, ``failed``, ``skipped``).
        summary: the run's summary after this execution.
        dry_run: whether this was a dry run (nothing is processed on purpose).
    """

    run_id: str
    before: dict[str, int]
    summary: MigrationProgressSummary
    dry_run: bool = False

    @property
    def already_done(self) -> int:
        """Return how many items were finished before this execution."""
        return sum(self.before.values())

    @property
    def processed(self) -> int:
        """Return how many items this execution finished."""
        return 0 if self.dry_run else max(0, self.summary.finished_files - self.already_done)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per outcome: before this execution, by this execution, and now."""
        now = {
            "succeeded": self.summary.succeeded_files,
            "failed": self.summary.failed_files,
            "skipped": self.summary.skipped_files,
        }
        rows = [
            {
                "outcome": name,
                "before this execution": self.before.get(name, 0),
                "by this execution": 0 if self.dry_run else max(0, count - self.before.get(name, 0)),
                "now": count,
            }
            for name, count in now.items()
        ]
        rows.append(
            {
                "outcome": "unfinished",
                "before this execution": None,
                "by this execution": None,
                "now": self.summary.remaining_files,
            }
        )
        return pd.DataFrame(rows)

    def check(self) -> None:
        """Raise ``RunIncompleteError`` when items are left unfinished or failed (never for a dry run)."""
        if self.dry_run:
            return
        unfinished, failed = self.summary.remaining_files, self.summary.failed_files
        if unfinished or failed:
            raise RunIncompleteError(
                self.run_id, processed=self.processed, unfinished=unfinished, failed=failed
            )


def _finished_before(runner: MigrationRunner) -> dict[str, int]:
    try:
        counts = runner.store.item_counts(runner.run_id)
    except RunNotFoundError:
        return {status.value: 0 for status in _OUTCOMES}
    return {status.value: int(counts.get(status, 0)) for status in _OUTCOMES}


async def run_to_end(runner: MigrationRunner) -> HeadlessRun:
    """Await ``runner.run()`` to its end and return what this execution did beside what was done before."""
    before = await asyncio.to_thread(_finished_before, runner)
    summary = await runner.run()
    return HeadlessRun(runner.run_id, before, summary, dry_run=runner.dry_run)
