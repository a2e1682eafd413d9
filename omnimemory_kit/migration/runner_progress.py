"""The runner's progress reports: ``on_progress`` and the metrics, fed from what the tracker folded.

``MigrationRunner`` inherits this: a batch's reports and close ask ``_progress``, an outage's start and end
``_on_outage``. A report first lets the store calls in flight land (a batch claimed ahead may be committing)
and folds them, so what it shows is the journal as it stands. Seam: telling the outside how the run goes,
apart from running it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from omnimemory_kit.clock import Clock
from omnimemory_kit.migration.runner_phase import HOLDING, Phase
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.summary import MigrationProgressSummary

if TYPE_CHECKING:  # prometheus_client is imported only by those who ask for metrics
    from omnimemory_kit.migration.metrics import RunMetrics

__all__ = ["ProgressReports"]


class ProgressReports:
    """The progress half of ``MigrationRunner`` (which sets every attribute declared here)."""

    run_id: str
    clock: Clock
    on_progress: Callable[[MigrationProgressSummary], object] | None
    metrics: RunMetrics | None
    progress_interval: float
    _link: StoreLink
    _phase: Phase
    _running: bool
    _last_progress: float
    _log: logging.LoggerAdapter[logging.Logger]

    def summary(self) -> MigrationProgressSummary:
        raise NotImplementedError  # the runner's

    def _spawn(self, coro: Any) -> None:
        raise NotImplementedError  # the runner's

    def _on_outage(self, since: float | None) -> None:
        """Show an outage (and its end) to ``on_progress`` at once: no outcome arrives meanwhile."""
        if self._running:
            self._spawn(self._report_progress(force=True))

    async def _progress(self, force: bool) -> None:
        await self._report_progress(force=force)

    async def _report_progress(self, *, force: bool) -> None:
        if self.on_progress is None and self.metrics is None:
            return
        now = self.clock.monotonic()
        if not force and now - self._last_progress < self.progress_interval:
            return
        self._last_progress = now
        await self._link.settle()
        if self.metrics is not None:
            self.metrics.progress(self.summary())
            self.metrics.paused(None if self._phase not in HOLDING else self._phase.value)
        if self.on_progress is None:
            return
        try:
            outcome = self.on_progress(self.summary())
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            self._log.exception("run %r: on_progress callback raised; ignored", self.run_id)
