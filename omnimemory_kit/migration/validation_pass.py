"""The separate validation pass: check a migrated run's items with a function, after the run.

``validate_run`` checks the succeeded items still pending (or, to revalidate, the mismatched ones, the
errored ones, or one key), ``concurrency`` at a time. Verdicts are appended in chunks (each written while the
next is checked, one write at a time): a crash (even SIGKILL) loses at most the verdicts not written yet,
whose items are checked again by the next pass, so the journal holds one verdict per item and pass. A pass
takes no leases: run one pass of a run at a time (``MigrationRunner(validate=...)`` checks under leases,
pipelined with the migration: ``validation_pipeline``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation import (
    ValidationLedger,
    ValidationState,
    ValidationSummary,
    check_items,
)
from omnimemory_kit.migration.worker import RecordedSource
from omnimemory_kit.store.base import JournalStore, WorkItem
from omnimemory_kit.text import printable

__all__ = ["CHUNK", "validate_run"]

CHUNK: Final = 256
"""Verdicts appended per store write (and at most lost, to be checked again, by a crash)."""


def _select(
    ledger: ValidationLedger,
    run_id: str,
    only: Literal["mismatched", "error", "all"] | None,
    key: str | None,
) -> list[str]:
    if key is not None:
        if key not in ledger.succeeded:
            raise ConfigError(f"run {run_id!r} has no succeeded item '{printable(key)}' to validate")
        return [key]
    if only == "all":
        return list(ledger.succeeded)
    wanted = ValidationState(only) if only is not None else ValidationState.PENDING
    return [k for k in ledger.succeeded if ledger.state(k) is wanted]


async def validate_run(
    store: JournalStore,
    run_id: str,
    validate_fn: Callable[[MigrationItem], Any],
    *,
    only: Literal["mismatched", "error", "all"] | None = None,
    key: str | None = None,
    concurrency: int = 8,
    item_timeout: float | None = 60.0,
    clock: Clock = SYSTEM_CLOCK,
) -> ValidationSummary:
    """Validate the run's succeeded items not validated yet (or revalidate: ``only`` a state, or one ``key``).

    ``only="all"`` revalidates every succeeded item, whatever its state.

    Raises:
        RunNotFoundError: no such run.
        ConfigError: ``concurrency`` below 1, ``item_timeout`` not positive, ``only`` unknown, or
            ``key`` not a succeeded item of the run.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
    if item_timeout is not None and not item_timeout > 0:
        raise ConfigError(f"item_timeout must be a positive number of seconds, not {item_timeout}")
    if only not in (None, "mismatched", "error", "all"):
        raise ConfigError(f"only must be 'mismatched', 'error' or 'all', not {only!r}")
    record = await asyncio.to_thread(store.get_run, run_id)
    source = RecordedSource(record.source)
    ledger = ValidationLedger()
    ledger.apply(await asyncio.to_thread(lambda: list(store.read_events(run_id))))
    keys = _select(ledger, run_id, only, key)

    succeeded = ledger.succeeded

    async def check_all(chunk: Sequence[str]) -> list[Event]:
        works = [WorkItem(name, succeeded[name]) for name in chunk]
        return await check_items(
            validate_fn, works, source.resolve, concurrency=concurrency, limit=item_timeout, clock=clock
        )

    writing: asyncio.Future[int] | None = None
    try:
        for start in range(0, len(keys), CHUNK):
            verdicts = await check_all(keys[start : start + CHUNK])
            if writing is not None:
                await writing  # the previous chunk is durable before this one is written
            # Written while the next chunk is checked; a crash loses at most the unwritten verdicts, whose
            # items the next pass checks again.
            writing = asyncio.ensure_future(asyncio.to_thread(store.append, run_id, verdicts))
            ledger.apply(verdicts)
    finally:
        if writing is not None:
            await writing
    return ledger.summary(checked_now=len(keys))
