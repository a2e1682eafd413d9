"""The runner's pipelined validation: each batch is checked within its lease while the next batch runs.

``MigrationRunner`` inherits this. With ``validate=fn``, closing a batch (which runs while the next batch
runs) checks its succeeded items (as the item loop kept them: resolved once, for the migration and the
check) under the batch's lease, kept alive by heartbeats, with the run's concurrency, each check within
``check_timeout`` (``CHECK_TIMEOUT``, 60 s, by default: a hung check is its item's error, never a stalled
run); the verdicts are journaled with the batch's release, after its last outcomes, in one trip
(``validation_pipeline``). Stopping the run (``cancel()``, a cancel or panic command, the task cancelled)
starts no further check: the checks in flight end (or time out) as usual, the items not checked stay
pending for ``validate RUN``. Before the run completes (where ``finalize`` runs) every worker drains
what the batches left through the run's validation queue, so a completed run has every succeeded item
checked once. The validation state is a ``ValidationLedger`` fed by the runner's fold.
Seam: checking the migrated items, apart from running them (``runner_batches``).
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from typing import Any

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event
from omnimemory_kit.migration.batch import LeasedBatch
from omnimemory_kit.migration.loader import function_identity
from omnimemory_kit.migration.runner_batches import BatchExecution
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.validation import ValidationLedger, ValidationSummary
from omnimemory_kit.migration.validation_checks import CHECK_TIMEOUT
from omnimemory_kit.migration.validation_pipeline import PipelinedValidator
from omnimemory_kit.store.base import Lease

__all__ = ["CHECK_TIMEOUT", "PipelinedValidation"]

_key = operator.attrgetter("key")


class PipelinedValidation(BatchExecution):
    """The validation half of ``MigrationRunner`` (which sets every attribute declared here)."""

    extra_params: dict[str, Any]
    validate_fn: Callable[..., Any] | None
    check_timeout: float | None
    _checks: ValidationLedger | None
    _validator: PipelinedValidator | None

    def _init_validation(self, validate: Callable[..., Any] | None, check_timeout: float | None) -> None:
        """Take the ``validate`` argument (recorded with a new run as ``params["validate"]``)."""
        if validate is not None and not callable(validate):
            raise ConfigError(f"validate must be callable, not {type(validate).__name__}")
        if check_timeout is not None and (
            isinstance(check_timeout, bool)
            or not isinstance(check_timeout, int | float)
            or not 0 < check_timeout < float("inf")
        ):
            raise ConfigError(
                f"check_timeout must be a positive number of seconds or None, not {check_timeout!r}"
            )
        self.validate_fn = validate
        self.check_timeout = None if check_timeout is None else float(check_timeout)
        if validate is not None:
            self.extra_params.setdefault("validate", function_identity(validate))
        # fed by the fold from the first event on, as the tracker is
        self._checks = None if validate is None else ValidationLedger()
        self._validator = None

    def _fold_checks(self, events: list[Event]) -> None:
        checks = self._checks
        if checks is not None:
            checks.apply(events)

    async def _start_validation(self) -> None:
        """Set up checking (with ``validate``; a no-op without): the queue, and dead checkers' chunks back."""
        if self._validator is not None:
            self._validator.stop.clear()  # a run after a stopped one checks again
            return
        if self.validate_fn is None or self._checks is None:
            return
        validator = PipelinedValidator(
            self._link, self._checks, self.source, self.validate_fn, worker_id=self.worker_id,
            host=self.host, concurrency=self.concurrency, timeout=self.check_timeout,
            lease_seconds=self.lease_seconds, clock=self.clock, log=self._log,
        )  # fmt: skip
        await validator.prepare()
        self._validator = validator

    def _stop_checks(self) -> None:
        """Start no further check (the run stops): those in flight end or time out, the rest stay pending."""
        if self._validator is not None:
            self._validator.stop.set()

    async def _close_batch(self, batch: LeasedBatch, claim_next: bool = False) -> LeasedBatch | bool | None:
        validator = self._validator
        if validator is not None and not batch.lost:
            await self._check_batch(validator, batch)
        seen = self._verdicts_seen()  # before the claim: whatever is folded from here on may be about it
        claimed = await super()._close_batch(batch, claim_next)
        if isinstance(claimed, LeasedBatch):
            claimed.verdicts_seen = seen
        return claimed

    async def _claim_batch(self) -> LeasedBatch | None:
        seen = self._verdicts_seen()
        batch = await super()._claim_batch()
        if batch is not None:
            batch.verdicts_seen = seen
        return batch

    def _verdicts_seen(self) -> int:
        return -1 if self._checks is None else self._checks.event_verdicts

    def _leased(self, lease: Lease) -> LeasedBatch:
        batch = super()._leased(lease)
        if self._checks is not None:  # its item loop keeps the items that succeeded, resolved, for the check
            batch.succeeded = []
        return batch

    async def _check_batch(self, validator: PipelinedValidator, batch: LeasedBatch) -> None:
        """Check a batch's succeeded items within its lease; the verdicts go with its release.

        The items are those the item loop kept as it ran them (resolved once, for the migration and the
        check). Its last outcomes are reported in the same trip, before the verdicts: a crash loses both
        or neither, and a lease lost meanwhile loses the verdicts (the drain checks those items again).
        """
        if batch.flush_task is not None:  # an outcome report in flight lands (and is folded) first
            await asyncio.gather(batch.flush_task, return_exceptions=True)  # close() re-raises a failure
        items, batch.succeeded = batch.succeeded or [], []  # the batch keeps them no longer than the check
        # No verdict since the claim's FILE_STARTED, unless checked elsewhere: a verdict from elsewhere is
        # folded from events, so while the ledger's count of those stands still, none came (no lookups).
        ledger = validator.ledger
        if ledger.event_verdicts != batch.verdicts_seen and ledger.any_verdict(map(_key, items)):
            judged = ledger.verdicts
            items = [item for item in items if item.key not in judged]
        if batch.lost or not items:
            return
        heartbeat = asyncio.ensure_future(batch.heartbeat(self.lease_seconds))
        try:
            verdicts = await validator.check(items, resolved=True)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        # the valid verdicts as one run (journaled as one row, folded by keys), where the store takes runs
        batch.closing.extend(verdicts.journal() if self.store.takes_verdict_runs else verdicts.events())
        validator.checked += len(verdicts)

    async def _finalize(self) -> bool:
        validator = self._validator
        if validator is not None and not await validator.drain():  # every item checked before completing
            return False  # stopped meanwhile: the run is cancelled, its unchecked items pending
        return await super()._finalize()

    def validation_summary(self) -> ValidationSummary | None:
        """Return the validation summary (with the mismatch table) as this runner last read the journal.

        None without ``validate``. Complete once ``run()`` has returned a completed run.
        """
        checks = self._checks
        if checks is None:
            return None
        return checks.summary(checked_now=0 if self._validator is None else self._validator.checked)

    def _with_validation(self, summary: MigrationProgressSummary) -> MigrationProgressSummary:
        """Return ``summary`` with the validation counts (O(1)), or as it is without ``validate``."""
        checks = self._checks
        return summary if checks is None else summary.model_copy(update={"validation": checks.counts()})
