"""Where a synchronous migration function runs: threads the runner owns, each stuck call accounted for.

A thread cannot be cancelled. When a sync call outlives its timeout, the item's attempt fails, but the
thread stays busy inside the call: that slot is *stuck*. ``ThreadCalls`` keeps running with the rest:

- each call's timeout counts from the moment a thread actually starts it, never while it waits for a free
  thread, so one item's hang never times out another item;
- a stuck slot is handed to ``on_stuck`` (the runner journals it) and replaced by a new thread, at most
  ``spare`` replacements in all; past that the run goes on with the slots left, and when none is left an
  attempt fails at once with ``StuckCallsError`` instead of waiting for ever;
- a stuck call that returns frees its slot again (``on_freed``);
- the threads are daemon threads and nobody joins them: a hung call never keeps the process alive once
  the run's outcome is journaled.

``omnimemory_kit.migration.isolation`` offers the other answer, a process per slot that can be killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

from omnimemory_kit.clock import Clock
from omnimemory_kit.migration.attempt import check_returned
from omnimemory_kit.migration.sources import MigrationItem

__all__ = ["StuckCallsError", "ThreadCalls"]

_names = itertools.count(1)


class StuckCallsError(RuntimeError):
    """Every thread for the migration function is stuck in a call that timed out; none is left to run it."""

    def __init__(self, stuck: int) -> None:
        self.stuck = stuck
        super().__init__(
            f"no thread left for the migration function: {stuck} call(s) are stuck after timing out "
            f"(run it with isolate='process' / --isolate process so hung calls can be killed)"
        )


class _Job:
    """One call handed to a thread: its item, the caller's context, and futures for its start and end."""

    __slots__ = ("abandoned", "context", "done", "finished", "item", "loop", "started", "stuck")

    def __init__(self, loop: asyncio.AbstractEventLoop, item: MigrationItem) -> None:
        self.loop = loop
        self.item = item
        self.context = contextvars.copy_context()  # correlation ids reach the function's logs
        self.started: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[Any] = loop.create_future()
        self.abandoned = False  # the caller stopped waiting before the call started: skip it
        self.stuck = False  # the call timed out while running: its thread is stuck in it
        self.finished = False  # the call returned (set under the lock, so stuck and finished never race)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        loop.call_soon_threadsafe(callback, *args)


class ThreadCalls:
    """Run ``fn`` on up to ``size`` daemon threads, replacing stuck ones up to ``spare`` times.

    Args:
        fn: the sync migration function.
        size: threads running calls at once (the runner's concurrency).
        clock: times each call from its real start.
        spare: threads allowed beyond ``size`` to replace stuck ones (default: twice ``size``, at least 8,
            enough for a few hung items retried a few times).
        on_stuck: called on the loop thread with the item whose call timed out and is still running.
        on_freed: called on the loop thread with the item whose stuck call finally returned.
    """

    def __init__(
        self,
        fn: Callable[[MigrationItem], Any],
        size: int,
        clock: Clock,
        *,
        spare: int | None = None,
        on_stuck: Callable[[MigrationItem], object] | None = None,
        on_freed: Callable[[MigrationItem], object] | None = None,
    ) -> None:
        self._fn = fn
        self.size = size
        self.spare = max(8, 2 * size) if spare is None else spare
        self._clock = clock
        self._on_stuck = on_stuck
        self._on_freed = on_freed
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0  # alive, stuck ones included
        self._idle = 0  # waiting for a job
        self._queued = 0  # jobs no thread has taken yet
        self._stuck = 0
        self._closed = False

    @property
    def stuck(self) -> int:
        """Return how many threads are stuck in calls that timed out."""
        return self._stuck

    @property
    def threads(self) -> int:
        """Return how many threads are alive (stuck ones included)."""
        return self._threads

    async def call(self, item: MigrationItem, time_limit: float | None) -> Any:
        """Return ``fn(item)`` run on a thread; raise ``TimeoutError`` ``time_limit`` s after it started.

        Raises:
            StuckCallsError: every thread is stuck and no replacement is left.
        """
        job = _Job(asyncio.get_running_loop(), item)
        with self._lock:
            if self._closed:
                raise RuntimeError("the migration function's threads are closed")
            live = self._threads - self._stuck
            if live <= 0 and self._threads >= self.size + self.spare:
                raise StuckCallsError(self._stuck)
            self._queued += 1
            self._jobs.put(job)
            self._grow()
        try:
            await job.started  # waiting for a free thread is not part of the call's time
        except BaseException:
            job.abandoned = True
            raise
        if time_limit is None:
            return await job.done
        try:
            async with self._clock.timeout(time_limit):
                return await job.done
        except TimeoutError:
            self._mark_stuck(job)
            raise

    def close(self) -> None:
        """Let idle threads exit; stuck ones are left behind (daemon threads, never joined)."""
        with self._lock:
            self._closed = True
            for _ in range(self._threads):
                self._jobs.put(None)

    def _mark_stuck(self, job: _Job) -> None:
        with self._lock:
            if job.finished:
                return  # it returned just as the timeout fired: not stuck
            job.stuck = True
            self._stuck += 1
            self._grow()
        if self._on_stuck is not None:
            self._on_stuck(job.item)

    def _grow(self) -> None:
        """Under the lock: start a thread when jobs wait and a live slot (or a spare) is free."""
        if (
            self._queued > self._idle
            and self._threads - self._stuck < self.size
            and self._threads < self.size + self.spare
        ):
            self._threads += 1
            self._idle += 1
            name = f"omnimemory-migrate-{next(_names)}"
            threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                with self._lock:
                    self._threads -= 1
                    self._idle -= 1
                return
            with self._lock:
                self._queued -= 1
                self._idle -= 1
            if job.abandoned:
                with self._lock:
                    self._idle += 1
                continue
            _post(job.loop, _settle, job.started, None, None)
            result: Any = None
            error: BaseException | None = None
            try:
                result = check_returned(job.context.run(self._fn, job.item))
            except BaseException as exc:  # SystemExit too: it is the item's failure, delivered as such
                error = exc
            with self._lock:
                job.finished = True
                freed = job.stuck
                if freed:
                    self._stuck -= 1
                # A replacement took this thread's place while it was stuck: one of them can go.
                retire = self._threads - self._stuck > self.size or self._closed
                if retire:
                    self._threads -= 1
                else:
                    self._idle += 1
            _post(job.loop, _settle, job.done, result, error)
            if freed and self._on_freed is not None:
                _post(job.loop, self._on_freed, job.item)
            if retire:
                return
