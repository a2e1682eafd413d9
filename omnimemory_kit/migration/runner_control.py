"""The runner's control wiring: live settings, the control link's start and stop, once-per-run work.

``MigrationRunner`` inherits this: the batch loop asks ``_concurrency_now()`` and ``_batch_size_now()``
between claims, ``_on_control`` applies what needs no loop (the item timeout, retry-failed requests), and
``_finalize`` runs the gate and the finalize step once across the run's workers. An operator's pause and
throttle (and this worker's throttle file) are mirrored into the run's journal (``control_journal``), so
their time is excluded from rates and the ETA like ``pause()``'s. Kept apart so the runner's module stays
about executing items.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from omnimemory_kit.clock import Clock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.attempt import Attempts, is_async_function
from omnimemory_kit.migration.control import ControlState
from omnimemory_kit.migration.control_journal import MirrorMarks, mirror
from omnimemory_kit.migration.control_link import ControlLink
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.telemetry import RunTelemetry
from omnimemory_kit.migration.throttle import GateDecision
from omnimemory_kit.store.base import JournalStore

__all__ = ["ControlledRun"]


class ControlledRun:
    """The control half of ``MigrationRunner`` (which sets every attribute declared here)."""

    store: JournalStore
    run_id: str
    worker_id: str
    host: str
    clock: Clock
    concurrency: int
    batch_size: int
    item_timeout: float | None
    lease_seconds: float
    finalize: Callable[[], Any] | None
    approve_before_finalize: str | None
    throttle_file: str | os.PathLike[str] | None
    panic_file: str | os.PathLike[str] | None
    control: ControlLink | None
    _gate: GateDecision
    _attempts: Attempts | None
    _retries_done: int
    _log: logging.LoggerAdapter[logging.Logger]
    telemetry: RunTelemetry
    _control_seq_traced: int  # the last control command put on the run span
    _link: StoreLink
    _mirror_marks: MirrorMarks = MirrorMarks()  # the pause and throttle mirrored into the run's journal
    _file_throttle_journaled: bool = False
    _mirror_lock: asyncio.Lock | None = None
    _mirror_anew: bool = False  # journal the holds in force directly (not once per run): at start

    def _spawn(self, coro: Any) -> None:
        raise NotImplementedError  # the runner's

    async def retry_failed(self) -> int:
        raise NotImplementedError  # the runner's

    def _concurrency_now(self) -> int:
        ctl = self.control
        setting = ctl.state.settings.concurrency if ctl is not None else None
        pace = self._gate.concurrency  # a "slow" health rule lowers the items in flight
        limit = setting or self.concurrency
        return min(limit, pace) if pace else limit

    def _control_fields(self) -> dict[str, Any]:
        """Return the summary's control state and settings in force, as this runner applies them."""
        ctl = self.control
        state = ctl.state if ctl is not None else ControlState()
        attempts = self._attempts
        settings = state.settings.in_force(
            concurrency=self._concurrency_now(),
            batch_size=self._batch_size_now(),
            item_timeout=attempts.timeout if attempts is not None else self.item_timeout,
        )
        return {"control_state": ctl.describe() if ctl is not None else None, "settings": settings}

    def _batch_size_now(self) -> int:
        ctl = self.control
        setting = ctl.state.settings.batch_size if ctl is not None else None
        return setting or self.batch_size

    async def _start_control(self) -> None:
        # on the store thread, through a store outage like any read (a runner starting mid-outage waits)
        self.control = await self._link.call(
            ControlLink, self.store, self.run_id, worker_id=self.worker_id, host=self.host, clock=self.clock,
            throttle_file=self.throttle_file, panic_file=self.panic_file, lease_seconds=self.lease_seconds,
        )  # fmt: skip
        self._mirror_marks, self._mirror_lock = MirrorMarks(), asyncio.Lock()
        self._file_throttle_journaled = False
        self.control.add_listener(self._on_control)
        self.control.start()
        # This runner's RUN_STARTED (or RUN_RESUMED) just reopened the run in the journal: a pause or
        # throttle already in force is journaled again, by this runner, so its time stays excluded.
        self._mirror_anew = True
        try:
            self._on_control(self.control.state)
        finally:
            self._mirror_anew = False

    async def _stop_control(self) -> None:
        ctl, self.control = self.control, None
        if ctl is not None:
            await ctl.stop()
            self.control = ctl  # keep the last state readable (panicked, settings) after the run

    def _on_control(self, state: ControlState) -> None:
        for command in state.history:  # each command once on the run span, in the order it was given
            if command.seq > self._control_seq_traced:
                self._control_seq_traced = command.seq
                self.telemetry.run_event("control.command", command=command.kind.value, by=command.who,
                                         reason=command.reason or "")  # fmt: skip
        attempts = self._attempts
        if attempts is not None:
            attempts.timeout = state.settings.item_timeout or self.item_timeout
        if state.retry_requests > self._retries_done and self.control is not None:
            number, self._retries_done = state.retry_requests, state.retry_requests
            self._spawn(self._retry_once(number))
        self._mirror_holds(state)

    def _mirror_holds(self, state: ControlState) -> None:
        """Journal an operator's pause or throttle (once per run) and this worker's throttle file."""
        ctl = self.control
        if ctl is None:
            return
        now = self.clock.time()
        due, self._mirror_marks = mirror(state, now, self._mirror_marks)
        steps: list[tuple[str | None, Event]] = [
            (
                None if self._mirror_anew else key,
                event if event.worker_id else dataclasses.replace(event, worker_id=self.worker_id),
            )
            for key, event in due
        ]
        if ctl.file_throttled != self._file_throttle_journaled:
            self._file_throttle_journaled = ctl.file_throttled
            kind = EventKind.RUN_THROTTLED if ctl.file_throttled else EventKind.RUN_UNTHROTTLED
            reason = f"manual: throttle file {ctl.throttle_file}"
            steps.append((None, Event(kind, now, reason=reason, worker_id=f"{self.worker_id} throttle-file")))
        if steps:
            self._spawn(self._journal_holds(steps))

    async def _journal_holds(self, steps: list[tuple[str | None, Event]]) -> None:
        lock = self._mirror_lock
        assert lock is not None  # set when control starts, before any listener call
        async with lock:  # in the order seen: a pause before its resume
            for key, event in steps:
                ctl = self.control
                if key is None:
                    await self._link.journal(event)
                elif ctl is not None:
                    await ctl.claim_once(key, functools.partial(self._link.journal, event))

    async def _retry_once(self, number: int) -> None:
        ctl = self.control
        if ctl is not None:
            await ctl.claim_once(f"retry-failed:{number}", self.retry_failed)

    async def _finalize(self) -> bool:
        """Run the gate and ``finalize`` (once across workers); False when stopped while waiting."""
        if self.finalize is None:
            return True
        ctl = self.control
        if ctl is None:  # not following control: no gate can be approved, so none is waited at
            await self._call_finalize()
            return True
        return await ctl.pass_gate(self.approve_before_finalize, self._call_finalize)

    async def _call_finalize(self) -> None:
        fn = self.finalize
        assert fn is not None
        if is_async_function(fn):
            await fn()
        else:
            await asyncio.to_thread(fn)
