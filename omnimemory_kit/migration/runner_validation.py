"""The runner's pipelined validation: each closed batch is checked while the next batches run.

``MigrationRunner`` inherits this. With ``validate=fn``, every closed batch's items go to the run's
validation queue (``validation_pipeline``) and a background checker works the queue while batches run,
with the run's concurrency, item timeout and lease length. Before the run completes (where ``finalize``
runs) every worker drains the queue, so a completed run has every succeeded item checked; a run shared
by several workers shares the queue, whose leases keep any item from being checked twice at once.
Seam: checking the migrated items, apart from running them (``runner_batches``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.batch import LeasedBatch
from omnimemory_kit.migration.loader import function_identity
from omnimemory_kit.migration.runner_batches import BatchExecution
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.migration.validation_pipeline import PipelinedValidator, queue_keys

__all__ = ["PipelinedValidation"]


class PipelinedValidation(BatchExecution):
    """The validation half of ``MigrationRunner`` (which sets every attribute declared here)."""

    validate_fn: Callable[..., Any] | None
    _validator: PipelinedValidator | None
    _validating: asyncio.Task[None] | None

    extra_params: dict[str, Any]

    def _init_validation(self, validate: Callable[..., Any] | None) -> None:
        """Take the ``validate`` argument (recorded with a new run as ``params["validate"]``)."""
        if validate is not None and not callable(validate):
            raise ConfigError(f"validate must be callable, not {type(validate).__name__}")
        self.validate_fn = validate
        if validate is not None:
            self.extra_params.setdefault("validate", function_identity(validate))
        self._validator = None
        self._validating = None

    async def _start_validation(self) -> None:
        """Start checking the queue in the background (with ``validate``; a no-op without)."""
        if self.validate_fn is None or self._validating is not None:
            return
        validator = PipelinedValidator(
            self._link, self.source, self.validate_fn, worker_id=self.worker_id, host=self.host,
            concurrency=self.concurrency, timeout=self.item_timeout, lease_seconds=self.lease_seconds,
            clock=self.clock, log=self._log,
        )  # fmt: skip
        await validator.prepare()
        self._validator = validator
        self._validating = asyncio.ensure_future(validator.run())

    async def _stop_validation(self) -> None:
        """Stop the background checker (what it checked is journaled; the rest stays queued)."""
        task, self._validating = self._validating, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _close_batch(self, batch: LeasedBatch) -> None:
        await super()._close_batch(batch)
        validator = self._validator
        if validator is not None and not batch.lost:
            keys = [item.key for item in batch.lease.items]
            await self._link.call(queue_keys, self.store, self.run_id, keys, at=self.clock.time())
            validator.wake()

    async def _finalize(self) -> bool:
        validator = self._validator
        if validator is not None:
            task, self._validating = self._validating, None
            if task is not None:  # the chunk in hand is checked and reported, then this worker drains
                validator.stop()
                await task  # a failure of the background checker (a store error) fails the run
            await validator.drain()  # every item checked before the run completes
            await self._link.call(validator.refresh)  # others' verdicts too, for the summary
        return await super()._finalize()

    def validation_summary(self) -> ValidationSummary | None:
        """Return the validation summary (with the mismatch table) as this runner last read the journal.

        None without ``validate``. Complete once ``run()`` has returned a completed run.
        """
        validator = self._validator
        return None if validator is None else validator.ledger.summary(checked_now=validator.checked)

    def _with_validation(self, summary: MigrationProgressSummary) -> MigrationProgressSummary:
        """Return ``summary`` with the validation counts (O(1)), or as it is without ``validate``."""
        validator = self._validator
        if validator is None:
            return summary
        return summary.model_copy(update={"validation": validator.ledger.counts()})
