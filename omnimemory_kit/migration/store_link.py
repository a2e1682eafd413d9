"""The runner's link to its journal store: one thread, ordered calls, and folding only what is durable.

Every store call a runner makes goes through one ``StoreLink``: the calls run one after another on a single
thread of their own (so the event loop never blocks on the store and the calls stay in order), and every
event the store commits (the runner's own and, on a shared store, other workers') is folded into the
tracker in journal order, and only once the store acknowledged it.

The rule, "fold only what is durable, in order", is kept like this: the store thread remembers the last
journal seq it has seen (``_tail_seq``). After a write it either knows exactly which events the write
appended (the returned seq is ``_tail_seq`` plus their count: nobody else wrote in between) and queues
them as written, or it reads the journal back past ``_tail_seq``. Queued events land in ``_inbox`` in seq
order and are folded on the loop thread by ``drain()`` after each write returns. A claim's events are
queued as a function that builds them, so neither the store thread nor the batch waits to build them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from omnimemory_kit.clock import Clock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.store.base import JournalStore, Lease, WorkItem

__all__ = ["ADD_CHUNK", "StoreLink", "WriteStep", "chunks"]

ADD_CHUNK = 5_000
"""Items added to the store per transaction while a run is prepared."""

T = TypeVar("T")

_RUN_LIFECYCLE = frozenset(
    {
        EventKind.RUN_STARTED,
        EventKind.RUN_RESUMED,
        EventKind.RUN_PAUSED,
        EventKind.RUN_COMPLETED,
        EventKind.RUN_FAILED,
        EventKind.RUN_CANCELLED,
    }
)

WriteStep = tuple[Callable[[], int], list[Event]]
"""A write that appends exactly ``events`` and returns the journal's last seq, with those events."""


class StoreLink:
    """Make a runner's store calls on one thread and fold every committed event into the tracker in order.

    Args:
        store: the journal.
        run_id: the run whose journal is tailed.
        fold: called on the loop thread with each list of newly durable events, in journal order.
    """

    def __init__(self, store: JournalStore, run_id: str, fold: Callable[[list[Event]], None]) -> None:
        self.store = store
        self.run_id = run_id
        self._fold = fold
        self._executor: ThreadPoolExecutor | None = None
        self._tail_seq = 0  # touched only by the store thread
        self._inbox: deque[list[Event] | Callable[[], list[Event]]] = deque()
        self._calls = 0  # store calls in flight
        self._idle: asyncio.Event | None = None
        self._last_lifecycle: EventKind | None = None  # touched only by the store thread
        self._last_closer: str | None = None  # worker of the last BATCH_CLOSED read (store thread)

    @property
    def calls_in_flight(self) -> int:
        """Return how many store calls are running on the store thread right now."""
        return self._calls

    @property
    def open(self) -> bool:
        """Return whether a session is open (store calls can be made)."""
        return self._executor is not None

    async def idle(self) -> None:
        """Wait until no store call is in flight (at once when none is)."""
        while self._calls:
            if self._idle is None:
                self._idle = asyncio.Event()
            await self._idle.wait()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[bool]:
        """Open the store thread for the block; yield whether this call opened it (sessions nest)."""
        owned = self._executor is None
        if owned:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="omnimemory-store")
            self._idle = None  # an asyncio.Event binds to the loop that first waits on it
        try:
            yield owned
        finally:
            if owned:
                executor, self._executor = self._executor, None
                assert executor is not None
                executor.shutdown(wait=False)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call on the store thread (reads: nothing to fold into the tracker)."""
        executor = self._executor
        assert executor is not None, "store calls happen inside a store session"
        loop = asyncio.get_running_loop()
        self._calls += 1
        try:
            return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))
        finally:
            self._calls -= 1
            if not self._calls and self._idle is not None:
                self._idle.set()
                self._idle = None

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store write on the store thread, then fold every newly committed event into the tracker."""

        def job() -> T:
            result = fn(*args, **kwargs)
            self.tail()
            return result

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def write_own(self, *steps: WriteStep) -> int:
        """Run writes that each append exactly their events and return the last seq; skip reading back.

        When a returned seq shows nobody else appended in between, the events are folded as written
        (the common case, and most of the journal's volume); otherwise the journal is read back in order.
        The steps run in one trip to the store thread; one that raises stops the rest (already folded
        steps stay folded: they are durable).
        """

        def job() -> int:
            last = 0
            for write, events in steps:
                last = write()
                if last == self._tail_seq + len(events):
                    self._tail_seq = last
                    self._inbox.append(events)
                    if events and events[-1].kind is EventKind.BATCH_CLOSED:  # a release
                        self._last_closer = events[-1].worker_id
                else:
                    self.tail()
            return last

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def journal(self, event: Event) -> None:
        """Append one event and fold it (with anything else committed meanwhile)."""
        await self.write(self.store.append, self.run_id, [event])

    async def add(self, chunk: list[WorkItem], at: float) -> int:
        """Add a chunk of items; when all were new, fold their FILE_ADDED events without reading them back."""

        def job() -> int:
            added = self.store.add_items(self.run_id, chunk, at=at)
            if added == len(chunk) and self.store.last_seq(self.run_id) == self._tail_seq + added:
                self._tail_seq += added
                kind = EventKind.FILE_ADDED
                self._inbox.append([Event(kind, at, path=item.key, size=item.size) for item in chunk])
            else:
                self.tail()
            return added

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def add_all(self, items: Iterable[MigrationItem], clock: Clock) -> int:
        """Add every item a chunk at a time, reading the next while one is added; return how many were new."""
        added = 0
        adding: asyncio.Future[int] | None = None
        try:
            for chunk in chunks(items, ADD_CHUNK):
                if adding is not None:
                    added += await adding
                adding = asyncio.ensure_future(self.add(chunk, clock.time()))
        finally:
            if adding is not None:
                added += await adding
        return added

    async def claim(self, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Claim a batch; fold its BATCH_OPENED and FILE_STARTED events without reading them back.

        The events are built and folded on the loop by the next write's drain (the batch's close, which
        runs while the next batch does), not here: the store thread and the batch both wait on a claim.
        """

        def job() -> Lease | None:
            lease = self.store.claim(self.run_id, worker_id, limit, lease_seconds)
            if lease is None:
                return None
            expected = self._tail_seq + 1 + len(lease.items)
            if self.store.last_seq(self.run_id) == expected:
                self._tail_seq = expected
                self._inbox.append(functools.partial(claimed_events, lease, lease_seconds))
            else:
                self.tail()
            return lease

        try:
            lease = await self.call(job)
        except BaseException:
            self.drain()
            raise
        if lease is None:
            self.drain()
        return lease

    def drain(self) -> None:
        """On the loop thread: fold every queued durable event into the tracker, in journal order."""
        while self._inbox:
            events = self._inbox.popleft()
            self._fold(events() if callable(events) else events)

    def tail(self) -> None:
        """On the store thread: read the journal past what was read so far, in seq order."""
        events = list(self.store.read_events(self.run_id, after_seq=self._tail_seq))
        if events:
            self._tail_seq = events[-1].seq
            self._inbox.append(events)
            # Run lifecycle events reach the link only through here (reports and claims carry none).
            for event in events:
                kind = event.kind
                if kind in _RUN_LIFECYCLE:
                    self._last_lifecycle = kind
                    if kind is EventKind.RUN_STARTED or kind is EventKind.RUN_RESUMED:
                        self._last_closer = None  # a closer from before this start does not decide
                elif kind is EventKind.BATCH_CLOSED:
                    self._last_closer = event.worker_id

    def should_complete(self, worker_id: str) -> bool:
        """On the store thread, once no item is left: return whether ``worker_id`` journals RUN_COMPLETED.

        Every worker of a shared run sees the run finish; one journals it, chosen by the journal itself so
        no two can both decide yes: nobody while a lease is still open (its holder is still closing the
        last batch, and decides after), nobody once RUN_COMPLETED follows the run's last start, and
        otherwise only the worker that closed the last batch. With every lease released all workers read
        the same last BATCH_CLOSED. Expired leases are reclaimed first, so a holder that died after its
        last report but before its release does not keep the run from being completed. When no batch was
        closed since the run's last start (it was left finished but not journaled so), any worker may.
        """
        self.store.reclaim(self.run_id)
        if self.store.leases(self.run_id):
            return False
        self.tail()
        if self._last_lifecycle is EventKind.RUN_COMPLETED:
            return False
        return self._last_closer in (None, worker_id)


def claimed_events(lease: Lease, lease_seconds: float) -> list[Event]:
    """Return exactly the events ``claim()`` appended: stamped with the store's clock at claim time."""
    at = lease.expires_at - lease_seconds
    batch, worker = lease.batch_id, lease.worker_id
    started = EventKind.FILE_STARTED
    events = [Event(EventKind.BATCH_OPENED, at, batch_id=batch, worker_id=worker)]
    events += [Event(started, at, path=item.key, batch_id=batch, worker_id=worker) for item in lease.items]
    return events


def chunks(items: Iterable[MigrationItem], size: int) -> Iterator[list[WorkItem]]:
    """Yield the items as lists of at most ``size`` ``WorkItem``s."""
    chunk: list[WorkItem] = []
    for item in items:
        chunk.append(WorkItem(item.key, item.size))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
