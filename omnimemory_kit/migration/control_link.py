"""The runner's end of the control channel: follow the run's control stream, and act on it once.

``ControlLink`` keeps the runner's view of what operators asked (a ``ControlState``) current: a background
task waits on the store's journal watch (LISTEN/NOTIFY on PostgreSQL, the change counter on SQLite, in a
worker thread so the loop never blocks), folds new commands, and sets ``changed`` so the batch loop and
its workers look again. Flag files (``throttle_file``, ``panic_file``) are checked on the same beat.

It also carries the two run-wide duties of a shared run:

- ``max-rate`` is one limit for the whole run: each live worker takes a share (re-shared as workers join
  and leave, and borrowing what the others leave unused: ``rate_share``) and spaces its item starts by
  it (``pace``);
- work that must happen once however many workers share the run (``finalize`` behind a gate, a
  ``retry-failed`` request) is an item of the control stream: whoever claims it does it (``claim_once``).
  Its lease (``lease_seconds``) is renewed while the work runs; when the worker doing it dies, the lease
  is taken back (at once when its process is gone from this host, else once it expires) and another live
  worker does it again. The claim (FILE_STARTED) and the outcome are journaled, so the work is recorded
  done exactly once, while the work itself is done *at least* once: a re-run after a crash is logged
  with its attempt number.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import LeaseLostError, MigrationError, RunNotFoundError, StoreUnavailableError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.control import (
    ControlState,
    control_event,
    control_stream_id,
    finalize_key,
    fold,
)
from omnimemory_kit.migration.rate_share import RateShare
from omnimemory_kit.migration.run_control import ensure_control_stream
from omnimemory_kit.migration.worker_liveness import dead_workers_on_host, other_live_workers
from omnimemory_kit.store.base import JournalStore, Lease, WorkItem
from omnimemory_kit.store.changes import JournalWatch, watch

__all__ = ["ControlLink"]


_log = logging.getLogger("omnimemory_kit.migration")
_CATCH_UP = 0.5
_RESHARE = 0.5  # seconds between looks at the run's workers while a max-rate is in force


class ControlLink:
    """Follow one run's control stream for one runner.

    Args:
        store: the run's store (used from worker threads; stores are thread-safe).
        run_id: the run.
        worker_id: this runner's id (who claims once-work, who waits at a gate).
        host: this runner's host (for counting live workers).
        clock: wall time for throttle ends and event stamps.
        poll: seconds between checks when nothing notifies (SQLite's counter poll is finer, inside the watch).
        throttle_file: while this file exists the runner is throttled.
        panic_file: when this file appears the runner panics.
        lease_seconds: how recently a worker must have been seen to share the rate.
    """

    def __init__(
        self,
        store: JournalStore,
        run_id: str,
        *,
        worker_id: str,
        host: str,
        clock: Clock,
        poll: float = 0.25,
        throttle_file: str | os.PathLike[str] | None = None,
        panic_file: str | os.PathLike[str] | None = None,
        lease_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.worker_id = worker_id
        self.host = host
        self.clock = clock
        self.poll = poll
        self.throttle_file = Path(throttle_file) if throttle_file is not None else None
        self.panic_file = Path(panic_file) if panic_file is not None else None
        self.lease_seconds = lease_seconds
        self.stream_id = control_stream_id(run_id)  # created by the first command or gate, not here
        self.state = fold(self._read_after(0))
        self.file_throttled = False
        self.file_panicked = False
        self._open: ControlState | None = None  # a state that allows claims whatever the time
        self.changed = asyncio.Event()
        self.share = 1  # live workers sharing max-rate
        self.rate_share = RateShare()
        self._reshared_at: float | None = None
        self._next_start: float | None = None
        self._watch: JournalWatch = watch(store, self.stream_id)
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[ControlState], None]] = []
        self._check_files()
        self._throttled = self.state.is_throttled(clock.time())
        if self.state.settings.max_rate:  # pace the first items by the run's workers already
            self._count_workers(self.state.settings.max_rate)

    # --- following --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start following in the background (on the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        """Stop following and close the watch."""
        self._watch.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def add_listener(self, listener: Callable[[ControlState], None]) -> None:
        """Call ``listener(state)`` on the loop after every change."""
        self._listeners.append(listener)

    async def _follow(self) -> None:
        quiet = False  # an outage was reported once already
        while True:
            try:
                seq = await asyncio.to_thread(self._watch.wait, self.state.seq, self.poll)
                changed = False
                if seq > self.state.seq:
                    events = await asyncio.to_thread(self._read_after, self.state.seq)
                    self.state = fold(events, self.state)
                    changed = True
                changed = self._check_files() or changed
                throttled = self.state.is_throttled(self.clock.time())
                changed = changed or throttled != self._throttled  # a `throttle --for` ran out
                self._throttled = throttled
                changed = await self._reshare() or changed
            except asyncio.CancelledError:
                raise
            except StoreUnavailableError as exc:  # an outage: the runner rides it out, and says so itself
                if not quiet:
                    _log.info(
                        "run %r: control commands unreadable while the store is away: %s", self.run_id, exc
                    )
                quiet = True
                await self.clock.sleep(self.poll)
                continue
            except Exception:  # a store hiccup must not stop the run: the next beat tries again
                _log.warning("run %r: reading control commands failed; retrying", self.run_id, exc_info=True)
                await self.clock.sleep(self.poll)
                continue
            quiet = False
            if changed:
                self._notify()

    def _read_after(self, seq: int) -> list[Event]:
        try:
            return list(self.store.read_events(self.stream_id, after_seq=seq))
        except RunNotFoundError:  # no command given yet
            return []

    def _check_files(self) -> bool:
        throttled = self.throttle_file is not None and self.throttle_file.exists()
        panicked = self.file_panicked or (self.panic_file is not None and self.panic_file.exists())
        changed = (throttled, panicked) != (self.file_throttled, self.file_panicked)
        self.file_throttled, self.file_panicked = throttled, panicked
        return changed

    async def _reshare(self) -> bool:
        """Every ``_RESHARE`` s while a max-rate is in force: re-count live workers, re-pace this one."""
        limit = self.state.settings.max_rate
        now = self.clock.monotonic()
        if not limit:
            self.rate_share.update(now, None, self.share, 0)
            self._reshared_at = None
            return False
        seen = self._reshared_at
        if limit == self.rate_share.limit and seen is not None and now - seen < _RESHARE:
            return False
        share = self.share
        await asyncio.to_thread(self._count_workers, limit)
        return share != self.share

    def _count_workers(self, limit: float) -> None:
        now = self.clock.monotonic()
        self._reshared_at = now
        workers = self.store.workers(self.run_id)
        self.share = 1 + other_live_workers(workers, self.worker_id, self.host, self.lease_seconds)
        self.rate_share.update(now, limit, self.share, sum(worker.items_done for worker in workers))

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()
        for listener in self._listeners:
            try:
                listener(self.state)
            except Exception:
                _log.exception("run %r: control listener raised; ignored", self.run_id)

    async def refresh(self) -> ControlState:
        """Read commands now (not waiting for the next beat); return the state."""
        events = await asyncio.to_thread(self._read_after, self.state.seq)
        if events:
            self.state = fold(events, self.state)
            self._notify()
        return self.state

    # --- what the runner asks -----------------------------------------------------------------------

    def claims_allowed(self) -> bool:
        """Tell whether new items may start now (pause, throttle, flag files, cancel and panic say no)."""
        if self.file_throttled or self.file_panicked:
            return False
        state = self.state
        if state is self._open:  # asked before every item: the common answer without reading the clock
            return True
        if not state.claims_allowed(self.clock.time()):
            return False
        if not state.throttled:  # only a throttle's end depends on the time; this state allows for good
            self._open = state
        return True

    @property
    def panicked(self) -> bool:
        """Whether a panic command or the panic file stopped the run."""
        return self.state.panicked or self.file_panicked

    @property
    def throttle_reason(self) -> str | None:
        """Why the run is throttled now, or None."""
        if self.file_throttled:
            return f"throttle file {self.throttle_file}"
        if self.state.is_throttled(self.clock.time()):
            return self.state.throttle_reason or "throttled"
        return None

    def describe(self) -> str:
        """Say the control state as people read it, flag files included (``throttled by throttle file …``)."""
        if self.file_panicked and not self.state.panicked:
            return f"panicked (panic file {self.panic_file})"
        if self.file_throttled and self.state.phase(self.clock.time()) == "running":
            return f"throttled by throttle file {self.throttle_file}"
        return self.state.describe(self.clock.time())

    async def wait_for_change(self, at_most: float | None = None) -> None:
        """Wait until the state changes, a throttle runs out by itself, or ``at_most`` seconds pass."""
        changed = self.changed
        timeout = at_most
        until = self.state.throttled_until
        if until is not None:
            left = max(0.0, until - self.clock.time()) + 0.01
            timeout = left if timeout is None else min(timeout, left)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await changed.wait()

    async def pace(self, max_rate: float | None) -> None:
        """Space this worker's item starts so the run as a whole starts at most ``max_rate`` items/s."""
        if not max_rate:
            self._next_start = None
            return
        now = self.clock.monotonic()
        mine = self.rate_share.rate if self.rate_share.limit == max_rate else None
        interval = 1.0 / mine if mine else self.share / max_rate  # before the first look: an equal share
        if self._next_start is None:
            self._next_start = now
        # Slots missed while the runner claimed or closed a batch may be caught up for up to _CATCH_UP
        # seconds (a token bucket's burst), so the rate holds on average across batch boundaries.
        start = max(now - _CATCH_UP, self._next_start)
        self._next_start = start + interval
        if start > now:
            await self.clock.sleep(start - now)

    # --- once per run -------------------------------------------------------------------------------

    def _ensure_stream(self) -> None:
        ensure_control_stream(self.store, self.run_id, at=self.clock.time())

    async def journal(self, kind: EventKind, args: dict[str, Any]) -> None:
        """Append a runner event (GATE_WAITING) to the control stream and notify the watchers."""
        event = control_event(kind, at=self.clock.time(), who=self.worker_id, args=args)
        await asyncio.to_thread(
            functools.partial(ensure_control_stream, self.store, self.run_id, at=event.at)
        )
        await asyncio.to_thread(self.store.append, self.stream_id, [event])
        await asyncio.to_thread(self._watch.notify)

    async def claim_once(self, key: str, action: Callable[[], Any]) -> bool:
        """Do ``action`` if this worker is the one to claim ``key`` in the control stream.

        The claim's lease is renewed while ``action`` runs. A claim after another worker's claim was taken
        back (it died doing it) is a re-run, logged with its attempt number.

        Returns:
            True when this worker did it (its outcome journaled), False when another worker has it, did
            it, or took it over after this worker's lease was lost.

        Raises:
            Exception: whatever ``action`` raised (journaled as the item's failure first).
        """
        store = self.store
        await asyncio.to_thread(
            functools.partial(ensure_control_stream, store, self.run_id, at=self.clock.time())
        )
        await asyncio.to_thread(store.add_items, self.stream_id, [WorkItem(key)], at=self.clock.time())
        lease = await asyncio.to_thread(store.claim, self.stream_id, self.worker_id, 1, self.lease_seconds)
        if lease is None:
            return False
        claimed = lease.items[0].key
        if claimed != key:  # someone else's once-work is older: give it back
            await asyncio.to_thread(store.release, lease)
            return False
        await self.refresh()
        attempt = self.state.attempts.get(key, 1)
        if attempt > 1:
            _log.warning(
                "run %r: %s again, attempt %d: the worker doing it before stopped before it ended "
                "(such work runs at least once)", self.run_id, key, attempt,
            )  # fmt: skip
        held = [lease]
        keeper = asyncio.create_task(self._keep_lease(held, key))
        try:
            outcome = action()
            if asyncio.iscoroutine(outcome):
                await outcome
        except Exception as exc:
            failed = Event(EventKind.FILE_FAILED, self.clock.time(), path=key, error_type=type(exc).__name__,
                           error_message=str(exc), worker_id=self.worker_id)  # fmt: skip
            await self._end_once(keeper, held, failed)
            raise
        done = Event(EventKind.FILE_SUCCEEDED, self.clock.time(), path=key, worker_id=self.worker_id)
        ended = await self._end_once(keeper, held, done)
        await asyncio.to_thread(self._watch.notify)
        return ended

    async def _keep_lease(self, held: list[Lease], key: str) -> None:
        """Renew the once-work's lease every third of its length until cancelled (or lost)."""
        while True:
            await self.clock.sleep(self.lease_seconds / 3)
            try:
                held[0] = await asyncio.to_thread(self.store.heartbeat, held[0], self.lease_seconds)
            except LeaseLostError:
                _log.warning(
                    "run %r: the lease on %s was lost; another worker may do it again", self.run_id, key
                )
                return
            except Exception:  # a store hiccup: the next beat tries again, well before the lease ends
                _log.warning("run %r: renewing the lease on %s failed", self.run_id, key, exc_info=True)

    async def _end_once(self, keeper: asyncio.Task[None], held: list[Lease], outcome: Event) -> bool:
        """Stop renewing, journal the outcome and release; False when the lease was lost meanwhile."""
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
        lease = held[0]
        try:
            await asyncio.to_thread(functools.partial(self.store.report, lease, [outcome]))
            await asyncio.to_thread(self.store.release, lease)
        except LeaseLostError:  # taken over: the other worker's run of it is the one recorded
            _log.warning("run %r: %s ended here after its lease was lost", self.run_id, outcome.path)
            return False
        return True

    async def _take_over(self, key: str) -> None:
        """Take back the once-work ``key`` from a worker that died doing it (the caller then claims it).

        A lease of a process gone from this host is taken back at once, an expired one (its worker
        stopped renewing it, on any machine) when seen; then ``claim_once`` decides who does it.
        """

        def reclaim() -> int:
            dead = dead_workers_on_host(self.store.workers(self.run_id), self.worker_id, self.host)
            taken = sum(self.store.reclaim(self.stream_id, worker_id=worker) for worker in dead)
            return taken + self.store.reclaim(self.stream_id)

        if await asyncio.to_thread(reclaim):
            _log.info("run %r: took back %s from a worker that stopped", self.run_id, key)

    async def pass_gate(self, gate: str | None, finalize: Callable[[], Any]) -> bool:
        """Hold until ``gate`` is approved (journaling that the run waits), then see ``finalize`` done once.

        Every worker of the run calls this when the run's items are all done; one of them runs
        ``finalize``, the others wait until it has succeeded.

        Returns:
            True once finalize succeeded; False when the run was cancelled or panicked while waiting.

        Raises:
            MigrationError: finalize failed (here or on another worker).
        """
        name = gate or "finalize"
        await self.refresh()
        if gate is not None:
            if gate not in self.state.gates_waiting:
                await self.journal(EventKind.GATE_WAITING, {"gate": gate})
                await self.refresh()
            _log.info("run %r: awaiting approval: %s", self.run_id, gate)
            while gate not in self.state.approvals:
                if self.panicked or self.state.cancelled:
                    return False
                await self.wait_for_change()
        key = finalize_key(name)
        await self.claim_once(key, finalize)
        while name not in self.state.finalized:
            if name in self.state.finalize_failed:
                raise MigrationError(
                    f"run {self.run_id!r}: finalize behind {name!r} failed on another worker"
                )
            if self.panicked or self.state.cancelled:
                return False
            await self.refresh()
            if name in self.state.finalized:
                break
            # The worker doing it may have died: take it back when its lease is gone, and do it here.
            await self._take_over(key)
            await self.claim_once(key, finalize)
            await self.wait_for_change(at_most=min(1.0, self.lease_seconds / 4))
        return True

    def __repr__(self) -> str:
        return f"<ControlLink run={self.run_id!r} {self.describe()} share={self.share} {self.rate_share!r}>"
