"""Sync checks of a batch on lanes: daemon threads that each check items one after the other.

A thread per check costs far more than a cheap check itself, and handing each check to a pool costs two
wake-ups of the loop. ``run_sync_checks`` starts one lane (a daemon thread) that takes the items in turn;
when the checks are not done within ``SPREAD`` seconds (they wait for disks or networks), it starts lanes up
to the concurrency. The loop wakes once, when the last lane is done, and at the time limits:

Every duration (the spread, each check's limit) is measured and waited for on the injected clock, so
tests drive them with a ``FakeClock`` instead of real seconds.

- each check's time counts from the moment a lane starts it; one that outlives ``limit`` is the item's
  ``ValidationTimeout``, its lane is abandoned (never joined: a hung check cannot keep the process alive,
  and whatever it returns later is dropped), and a new lane takes the items left;
- a lane takes an item and records its outcome under one lock, so an item is either timed out or
  checked, never both.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeAlias

from omnimemory_kit.clock import Clock
from omnimemory_kit.migration.sources import MigrationItem

__all__ = ["SPREAD", "Checked", "run_sync_checks"]

SPREAD: Final = 0.005
"""Seconds the first lane checks alone before lanes up to the concurrency join it."""

Checked: TypeAlias = tuple[int, object, float]
"""An item's position, what its check returned or raised, and when it ended (clock time)."""


class _Lane:
    """One daemon thread's share of the checks: the item it checks now, since when (clock monotonic)."""

    __slots__ = ("abandoned", "current", "since")

    def __init__(self) -> None:
        self.current = -1  # the item's position while a check runs, -1 between checks
        self.since = 0.0
        self.abandoned = False


class _Checks:
    """The shared state of one batch's lanes; every field is read and written under ``lock``."""

    def __init__(
        self,
        fn: Callable[[MigrationItem], Any],
        items: Sequence[MigrationItem],
        clock: Clock,
        stop: asyncio.Event | None = None,
        results: list[Checked] | None = None,
    ) -> None:
        self.fn = fn
        self.items = items
        self.clock = clock
        self.stop = stop  # read by the lanes: a bool behind the event, never waited on from a thread
        self.lock = threading.Lock()
        self.next = 0  # the next item a lane takes
        self.results: list[Checked] = [] if results is None else results
        self.lanes: list[_Lane] = []
        self.running = 0  # lanes not done and not abandoned
        self.loop = asyncio.get_running_loop()
        self.finished: asyncio.Future[None] = self.loop.create_future()

    def start_lane(self) -> None:
        """Under the lock: start a lane (in a copy of the caller's context: its logs keep their ids)."""
        lane = _Lane()
        self.lanes.append(lane)
        self.running += 1
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(self._work, lane), daemon=True)
        thread.name = "omnimemory-validate"
        thread.start()

    def _work(self, lane: _Lane) -> None:
        fn, items, lock = self.fn, self.items, self.lock
        monotonic, now = self.clock.monotonic, self.clock.time
        add = self.results.append
        stop = self.stop
        lock.acquire()
        try:
            while not lane.abandoned and self.next < len(items) and (stop is None or not stop.is_set()):
                index = lane.current = self.next
                self.next += 1
                lane.since = monotonic()
                lock.release()
                try:
                    outcome: object = fn(items[index])
                except BaseException as exc:  # SystemExit too: the check failed, the item's error
                    outcome = exc
                lock.acquire()
                if lane.abandoned:  # timed out meanwhile: its verdict is written already
                    return
                lane.current = -1
                add((index, outcome, now()))
            if not lane.abandoned:
                self.running -= 1
                if self.running == 0:
                    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                        self.loop.call_soon_threadsafe(_settle, self.finished)
        finally:
            lock.release()

    def time_out(self, limit: float, timeout: Callable[[], object]) -> float:
        """Time out the checks older than ``limit`` (a new lane takes over); return when to look again."""
        now = self.clock.monotonic()
        wake: float | None = None
        with self.lock:
            for lane in list(self.lanes):
                if lane.abandoned or lane.current < 0:
                    continue
                due = lane.since + limit
                if due <= now:
                    lane.abandoned = True
                    self.lanes.remove(lane)
                    self.running -= 1
                    self.results.append((lane.current, timeout(), self.clock.time()))
                    if self.next < len(self.items) and (self.stop is None or not self.stop.is_set()):
                        self.start_lane()
                    elif self.running == 0:
                        _settle(self.finished)
                elif wake is None or due < wake:
                    wake = due
        return now + limit if wake is None else wake  # none running: a check started from now is due then

    def abandon(self) -> None:
        """Stop every lane after its current check (the caller stopped waiting)."""
        with self.lock:
            for lane in self.lanes:
                lane.abandoned = True


async def _wait(finished: asyncio.Future[None], clock: Clock, seconds: float | None) -> None:
    """Wait until ``finished`` is done or ``seconds`` of the clock's time passed (None: no limit)."""
    with contextlib.suppress(TimeoutError):
        async with clock.timeout(seconds):
            await asyncio.shield(finished)  # the timeout cancels the wait, never the future


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def run_sync_checks(
    fn: Callable[[MigrationItem], Any],
    items: Sequence[MigrationItem],
    *,
    concurrency: int,
    limit: float | None,
    clock: Clock,
    on_timeout: Callable[[], object],
    spread: float = SPREAD,
    stop: asyncio.Event | None = None,
    results: list[Checked] | None = None,
) -> list[Checked]:
    """Check ``items`` with the sync ``fn`` on lanes; return each one's outcome (in the order they ended).

    Args:
        fn: the check.
        items: what it checks.
        concurrency: lanes at most.
        limit: seconds per check from its start (None: no limit).
        clock: stamps each outcome; measures the limit and the spread, and waits for them.
        on_timeout: builds the outcome of a check past ``limit`` (a ``ValidationTimeout``).
        spread: seconds the first lane checks alone.
        stop: once set, lanes take no further item (those in flight end, or time out, as usual).
        results: the list outcomes are appended to (returned); cancelled midway, the caller still has
            those recorded until then (the lanes are stopped first: nothing is added afterwards).
    """
    if not items:
        return [] if results is None else results
    checks = _Checks(fn, items, clock, stop, results)
    lanes = min(concurrency, len(items))
    with checks.lock:
        checks.start_lane()
    finished = checks.finished
    try:
        if lanes > 1:
            await _wait(finished, clock, spread)
            if not finished.done() and (stop is None or not stop.is_set()):
                with checks.lock:
                    for _ in range(min(lanes - len(checks.lanes), len(items) - checks.next)):
                        checks.start_lane()
        while not finished.done():
            wake = None if limit is None else checks.time_out(limit, on_timeout)
            if finished.done():
                break
            wait = None if wake is None else max(0.0, wake - clock.monotonic())
            await _wait(finished, clock, wait)
    except BaseException:
        checks.abandon()
        raise
    return checks.results
