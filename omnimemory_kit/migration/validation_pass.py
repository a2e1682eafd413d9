"""The separate validation pass: check a migrated run's items with a function, after the run.

``validate_run`` checks the succeeded items still pending (or, to revalidate, the mismatched ones, the
errored ones, or one key), ``concurrency`` at a time. Verdicts are appended in chunks (each written while the
next is checked, one write at a time): a crash (even SIGKILL) loses at most the verdicts not written yet,
whose items are checked again by the next pass, so the journal holds one verdict per item and pass. A pass
that is interrupted (Ctrl-C, its task cancelled) writes the verdicts it made before it stops: the next
pass checks only the rest.

One pass of a run at a time: a pass holds the run's pass lease (``validation_lease``) from before it reads
the journal until its last verdict is written; a second one raises ``ValidationBusyError``.
(``MigrationRunner(validate=...)`` checks under the batches' leases, pipelined with the migration:
``validation_pipeline``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final, Literal

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation import ValidationLedger, ValidationState, ValidationSummary
from omnimemory_kit.migration.validation_checks import CHECK_TIMEOUT, check_items
from omnimemory_kit.migration.validation_lease import LEASE_SECONDS, hold_pass_lease
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
    if only is None:
        return ledger.owed()
    wanted = ValidationState(only)
    return [k for k in ledger.succeeded if ledger.state(k) is wanted]


async def validate_run(
    store: JournalStore,
    run_id: str,
    validate_fn: Callable[[MigrationItem], Any],
    *,
    only: Literal["mismatched", "error", "all"] | None = None,
    key: str | None = None,
    concurrency: int = 8,
    item_timeout: float | None = CHECK_TIMEOUT,
    clock: Clock = SYSTEM_CLOCK,
    worker_id: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> ValidationSummary:
    """Validate the run's succeeded items not validated yet (or revalidate: ``only`` a state, or one ``key``).

    ``worker_id`` names this pass in its lease (default ``host:pid:token``); ``lease_seconds`` is how long
    the lease lasts between renewals (how long a pass that died keeps the run busy, on another host).
    ``only="all"`` revalidates every succeeded item, whatever its state.

    Raises:
        RunNotFoundError: no such run.
        ConfigError: ``concurrency`` below 1, ``item_timeout`` or ``lease_seconds`` not positive, ``only``
            unknown, or ``key`` not a succeeded item of the run.
        ValidationBusyError: another pass of the run is under way (nothing was checked or written).
        LeaseLostError: this pass lost its lease midway (stalled past it); what it wrote is kept.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
    if item_timeout is not None and not item_timeout > 0:
        raise ConfigError(f"item_timeout must be a positive number of seconds, not {item_timeout}")
    if not lease_seconds > 0:
        raise ConfigError(f"lease_seconds must be a positive number of seconds, not {lease_seconds}")
    if only not in (None, "mismatched", "error", "all"):
        raise ConfigError(f"only must be 'mismatched', 'error' or 'all', not {only!r}")
    record = await asyncio.to_thread(store.get_run, run_id)
    source = RecordedSource(record.source)
    async with hold_pass_lease(
        store, run_id, clock=clock, worker_id=worker_id, lease_seconds=lease_seconds
    ) as lease:
        ledger = ValidationLedger()
        ledger.apply(await asyncio.to_thread(lambda: list(store.read_events(run_id))))
        keys = _select(ledger, run_id, only, key)
        size_of = ledger.size_of

        def append(verdicts: list[Event]) -> int:
            lease.renew()  # lost: another pass may check these items now; theirs are the verdicts
            return store.append(run_id, verdicts)

        writing: asyncio.Future[int] | None = None
        found: list[Event] = []  # the chunk being checked: its verdicts so far
        unwritten: list[Event] = []  # checked chunks' verdicts waiting for the write in flight to end
        try:
            for start in range(0, len(keys), CHUNK):
                found = []
                works = [WorkItem(name, size_of(name)) for name in keys[start : start + CHUNK]]
                await check_items(
                    validate_fn, works, source.resolve, concurrency=concurrency, limit=item_timeout,
                    clock=clock, found=found,
                )  # fmt: skip
                unwritten += found
                found = []
                if writing is not None and not writing.done():
                    continue  # checked on while the write lands: the next write takes these too
                if writing is not None:
                    await writing  # the previous verdicts are durable before these are written (or raise)
                # Written while the next chunks are checked, as one append (one transaction) however many
                # chunks were checked meanwhile; a crash loses at most the unwritten verdicts, whose items
                # the next pass checks again.
                verdicts, unwritten = unwritten, []
                writing = asyncio.ensure_future(asyncio.to_thread(append, verdicts))
                ledger.apply(verdicts)
        finally:
            # also when interrupted: the write in flight lands, then the verdicts not written yet, those of
            # the chunk being checked made so far included (its other items stay pending for the next pass)
            if writing is not None:
                await asyncio.shield(writing)
            rest = unwritten + found
            if rest:
                await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(append, rest)))
                ledger.apply(rest)
    return ledger.summary(checked_now=len(keys))
