"""Run a batch of checks: ``check_items`` checks work items with a validate function, one verdict each.

``check_into`` does the same into a ``Verdicts``: the valid verdicts (nearly all) kept as keys and times,
which a batch journals as one run, the others as events; ``check_items`` returns every verdict as its event.

A sync check runs on lanes of daemon threads (``check_threads``), an async one on the loop, in checker
tasks that take the items in turn. Each item gets exactly one verdict, or none (it stays pending):

- a check that ends (returns or raises anything, ``SystemExit`` and ``KeyboardInterrupt`` too): its
  verdict (``validation_verdicts``);
- a check past ``limit``: cancelled, an error (``ValidationTimeout``); one that goes on when cancelled is
  given ``GRACE`` (at most the limit) to end, then its checker is detached (``detachable``), the item is
  an error (``CheckNotStopped``) and whatever the check does later is dropped; a new checker takes the
  items left;
- ``stop`` set: no check starts any more, the ones in flight end as above; the items not checked have no
  verdict (pending, for a later pass);
- the caller cancelled (a real cancellation: ``Task.cancelling()``): checkers are cancelled and those still
  running after the grace detached; the checks in flight get no verdict. ``found`` keeps the verdicts
  made until then, for a caller that journals them anyway.

Time limits of async checks run on the loop's clock (timer handles), those of sync checks on the injected
clock (``check_threads``).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, cast

from omnimemory_kit.clock import Clock
from omnimemory_kit.events import Event
from omnimemory_kit.migration.check_threads import Checked, run_sync_checks
from omnimemory_kit.migration.detachable import GRACE, detach, stop_tasks
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation_verdicts import (
    CheckNotStopped,
    ValidationTimeout,
    Verdicts,
)
from omnimemory_kit.store.base import WorkItem

__all__ = ["CHECK_TIMEOUT", "check_into", "check_items"]

CHECK_TIMEOUT: Final = 60.0
"""Seconds a check may take by default: pipelined (``MigrationRunner(check_timeout=)``) and in a separate
pass (``validate_run(item_timeout=)``, ``validate --timeout``)."""


class _Checker:
    """One checker task's state: the item it checks now, its deadline, and whether it was given up."""

    __slots__ = ("deadline", "detached", "expired", "task", "work")

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.work: WorkItem | None = None  # the item whose check runs now
        self.deadline = 0.0  # of the check awaited now (loop time)
        self.expired = False  # its time limit cancelled the check awaited now
        self.detached = False  # given up: whatever it does from now on is dropped


async def check_items(
    fn: Callable[[MigrationItem], Any],
    works: Sequence[WorkItem],
    resolve: Callable[[WorkItem], MigrationItem] | None,
    *,
    concurrency: int,
    limit: float | None,
    clock: Clock,
    is_async: bool | None = None,
    worker_id: str | None = None,
    stop: asyncio.Event | None = None,
    found: list[Event] | None = None,
    grace: float | None = None,
) -> list[Event]:
    """Check ``works``, ``concurrency`` at a time, each within ``limit`` seconds; return their verdicts.

    A sync ``fn`` runs on lanes of daemon threads (``check_threads``). For an async one, the first checker
    starts at once and the others only once it gives the loop a turn (its check waits for something):
    checks that never wait (a no-op, a lookup in memory) then cost one task per call, not one per check,
    while checks that wait have the whole concurrency from the first wait on. Every checker is a task
    running in a copy of the caller's context, as the lanes of sync checks are: a check that sets a
    context variable and leaves it set changes nothing for the caller. Verdicts come in the order the
    checks end, each stamped when its check ended.

    Args:
        fn: the validate function.
        works: the items to check.
        resolve: turns each work item into what ``fn`` receives; None when ``works`` are those items
            already (``MigrationItem``s the migration resolved).
        concurrency: checks in flight at once.
        limit: seconds per check (None: no limit).
        clock: stamps the verdicts (and times sync checks).
        is_async: whether ``fn`` is a coroutine function (None: find out).
        worker_id: recorded with each verdict.
        stop: once set, no further check starts; the items not checked get no verdict.
        found: the list the verdicts are appended to (returned); a caller cancelled midway still has
            those made until then.
        grace: seconds an async check gets to end once cancelled before its checker is detached
            (default: ``detachable.GRACE``, at most ``limit``).
    """
    found = [] if found is None else found
    verdicts = Verdicts(worker_id)
    try:
        await check_into(
            verdicts, fn, works, resolve, concurrency=concurrency, limit=limit, clock=clock,
            is_async=is_async, stop=stop, grace=grace,
        )  # fmt: skip
    finally:  # cancelled midway too: the verdicts made until then
        found.extend(verdicts.events())
    return found


async def check_into(
    verdicts: Verdicts,
    fn: Callable[[MigrationItem], Any],
    works: Sequence[WorkItem],
    resolve: Callable[[WorkItem], MigrationItem] | None,
    *,
    concurrency: int,
    limit: float | None,
    clock: Clock,
    is_async: bool | None = None,
    stop: asyncio.Event | None = None,
    grace: float | None = None,
) -> Verdicts:
    """Check ``works`` as ``check_items`` does, collecting the verdicts into ``verdicts`` (returned).

    The valid ones go in as keys and times (journaled as one run, no event built per item), the others as
    events; a caller cancelled midway still has those made until then.
    """
    if not works:
        return verdicts
    if is_async is None:
        is_async = inspect.iscoroutinefunction(fn)
    if not is_async:  # on lanes of daemon threads, never one thread per check (``check_threads``)
        await _check_sync(fn, works, resolve, concurrency, limit, clock, stop, verdicts)
        return verdicts
    if grace is None:
        grace = GRACE if limit is None else min(limit, GRACE)
    await _AsyncChecks(fn, works, resolve, limit, grace, clock, stop, verdicts).run(concurrency)
    return verdicts


class _AsyncChecks:
    """The checker tasks of one ``check_items`` call with an async ``fn``."""

    def __init__(
        self,
        fn: Callable[[MigrationItem], Any],
        works: Sequence[WorkItem],
        resolve: Callable[[WorkItem], MigrationItem] | None,
        limit: float | None,
        grace: float,
        clock: Clock,
        stop: asyncio.Event | None,
        verdicts: Verdicts,
    ) -> None:
        self.fn = fn
        self.works = works
        self.limit = limit
        self.grace = grace
        self.clock = clock
        self.stop = stop
        self.verdicts = verdicts
        items = cast("Sequence[MigrationItem]", works) if resolve is None else map(resolve, works)
        self.pending: Iterator[tuple[WorkItem, MigrationItem]] = zip(works, items, strict=True)
        self.loop = asyncio.get_running_loop()
        self.live: dict[asyncio.Task[None], _Checker] = {}
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.failure: BaseException | None = None  # a checker's own failure (not a check's: a verdict)
        self.closing = False  # the call ends (cancelled, or a checker failed): no check starts any more

    def take(self) -> tuple[WorkItem, MigrationItem] | None:
        """Return the next item to check, or None when there is none or ``stop`` is set."""
        stop = self.stop
        if self.closing or (stop is not None and stop.is_set()):
            return None
        return next(self.pending, None)

    def spawn(self) -> None:
        """Start a checker (a task, in a copy of the caller's context)."""
        checker = _Checker()
        check = self._direct if self.limit is None else self._timed
        task = asyncio.ensure_future(check(checker))
        checker.task = task
        self.live[task] = checker
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        checker = self.live.pop(task, None)
        if checker is None:  # a detached checker: nobody waits for it
            return
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()
        if (not self.live or self.failure is not None) and not self.done.done():
            self.done.set_result(None)

    async def run(self, concurrency: int) -> None:
        works = self.works
        self.spawn()
        extra = min(concurrency, len(works)) - 1
        spreading: asyncio.Handle | None = None
        if extra > 0:

            def spread() -> None:  # after the first checker's first step: it gave the loop a turn (or ended)
                if self.done.done():
                    return
                for _ in range(min(extra, len(works) - self.made() - 1)):
                    self.spawn()

            spreading = self.loop.call_soon(spread)
        try:
            await self.done
        except BaseException:
            self.closing = True
            try:
                await stop_tasks(list(self.live), self.grace)  # checks in flight get no verdict
            finally:  # stopped again meanwhile too: nothing a checker does from now on reaches ``verdicts``
                self._give_up_all()
            raise
        finally:
            if spreading is not None:
                spreading.cancel()
        if self.failure is not None:
            self.closing = True
            try:
                await stop_tasks(list(self.live), self.grace)
            finally:
                self._give_up_all()
            raise self.failure

    def made(self) -> int:
        """Return how many verdicts were made so far."""
        return len(self.verdicts)

    def _give_up_all(self) -> None:
        for checker in self.live.values():
            checker.detached = True
        self.live.clear()

    def _give_up(self, checker: _Checker) -> None:
        """Detach a checker whose check went on past its limit and its cancellation; its item is an error."""
        task, work = checker.task, checker.work
        assert task is not None
        assert work is not None
        checker.detached = True
        self.live.pop(task, None)
        detach(task)
        seconds = f"{self.limit:g}"
        stopped = CheckNotStopped(f"validation took longer than {seconds} s and did not stop when cancelled")
        self.verdicts.add(work.key, stopped, self.clock.time())
        if not self.closing:
            self.spawn()  # takes the items left (ends at once when there are none)

    async def _timed(self, checker: _Checker) -> None:
        # Each check's time limit, kept by one timer per checker that is moved on only when it fires
        # (asyncio.timeout per check would cost a timer and a context per check, more than a no-op check).
        limit = self.limit
        assert limit is not None
        task = checker.task or asyncio.current_task()
        assert task is not None
        loop, fn, now, verdicts = self.loop, self.fn, self.clock.time, self.verdicts
        pending, stop = self.pending, self.stop
        # the loop's clock: asyncio's own loop reads time.monotonic, called directly (no frame per check)
        monotonic = time.monotonic if type(loop).time is asyncio.BaseEventLoop.time else loop.time
        add_key, add_at = verdicts.valid.append, verdicts.ats.append  # valid ones as key and time
        timer: asyncio.TimerHandle | None = None

        def watch() -> None:
            nonlocal timer
            timer = None
            if checker.detached:
                return
            if checker.expired:  # cancelled at its limit a grace ago and still running: give it up
                self._give_up(checker)
                return
            at = loop.time()
            if at >= checker.deadline:  # the check awaited now ran past its limit: stop it
                checker.expired = True
                task.cancel()
                timer = loop.call_at(at + self.grace, watch)
            else:  # that check ended in time; watch the one awaited now
                timer = loop.call_at(checker.deadline, watch)

        try:
            while True:  # the hot path of a pipelined check: take() and the common verdict inlined
                if self.closing or (stop is not None and stop.is_set()):
                    return
                taken = next(pending, None)
                if taken is None:
                    return
                work, item = taken
                checker.work = work
                checker.deadline = monotonic() + limit
                if timer is None:
                    timer = loop.call_at(checker.deadline, watch)
                outcome: object
                try:
                    outcome = await fn(item)
                except asyncio.CancelledError as exc:
                    if checker.detached:
                        return
                    if checker.expired:
                        if task.uncancel() > 0:  # cancelled from outside too: the caller's
                            raise
                        outcome = ValidationTimeout(f"validation took longer than {limit:g} s")
                    elif task.cancelling() > 0:  # the caller's cancellation
                        raise
                    else:  # the check's own CancelledError (it awaited something cancelled): its error
                        outcome = exc
                except (
                    BaseException
                ) as exc:  # SystemExit, KeyboardInterrupt... raised by the check: its error
                    outcome = exc
                    if checker.expired and task.uncancel() > 0 and not checker.detached:
                        raise asyncio.CancelledError from None  # an outside cancel waits behind it
                else:
                    if checker.expired and task.uncancel() > 0 and not checker.detached:
                        raise asyncio.CancelledError  # the check swallowed its stop; an outside one waits
                if checker.detached:  # given up meanwhile: its item has its verdict already
                    return
                checker.expired = False
                if outcome is None or outcome is True:  # the common verdict, ``Verdicts.add`` inlined
                    add_key(work.key)
                    add_at(now())
                else:
                    verdicts.add(work.key, outcome, now())
        finally:
            if timer is not None:
                timer.cancel()

    async def _direct(self, checker: _Checker) -> None:
        # an async check without a time limit: the check awaited directly, the common verdict built inline
        task = checker.task or asyncio.current_task()
        assert task is not None
        fn, now, verdicts = self.fn, self.clock.time, self.verdicts
        while True:
            taken = self.take()
            if taken is None:
                return
            work, item = taken
            outcome: object
            try:
                outcome = await fn(item)
            except asyncio.CancelledError as exc:
                if checker.detached or task.cancelling() > 0:  # the caller's cancellation
                    raise
                outcome = exc  # the check's own CancelledError: its error
            except BaseException as exc:  # SystemExit, KeyboardInterrupt... raised by the check: its error
                outcome = exc
            if checker.detached:
                return
            verdicts.add(work.key, outcome, now())


async def _check_sync(
    fn: Callable[[MigrationItem], Any],
    works: Sequence[WorkItem],
    resolve: Callable[[WorkItem], MigrationItem] | None,
    concurrency: int,
    limit: float | None,
    clock: Clock,
    stop: asyncio.Event | None,
    verdicts: Verdicts,
) -> None:
    def timed_out() -> ValidationTimeout:
        return ValidationTimeout(f"validation took longer than {limit:g} s")

    items = cast("Sequence[MigrationItem]", works) if resolve is None else [resolve(w) for w in works]
    checked: list[Checked] = []
    try:
        await run_sync_checks(
            fn, items, concurrency=concurrency, limit=limit, clock=clock, on_timeout=timed_out, stop=stop,
            results=checked,
        )  # fmt: skip
    finally:  # cancelled midway too: the lanes are stopped, what they checked is kept
        for index, outcome, at in checked:
            verdicts.add(works[index].key, outcome, at)
