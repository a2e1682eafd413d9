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

A worker sharing a run with others (``own_events_of=`` its worker id) folds only its own events: its
writes are folded as written even when others wrote in between (the seq jumps over their events), a
release, which may requeue unfinished items, and any other write are read back filtered to this worker's
events on the server (``read_events_matching``), and the journal written before it joined is not read at all.
Its tracker then holds only the items it claimed (each claim adds them, FILE_ADDED being idempotent); the
run-wide figures come from the store's counters (``JournalStore.run_counters``). Deciding who journals
the run's completion reads every worker's lifecycle events and batch closes since this worker joined.

Outages: every call passes through an ``OutageGate``, which attempts it again while the store is
unavailable (and gives up after the outage timeout). So every job here is safe to repeat: it remembers how
far it got (a write whose tail failed is not written again), and a write that failed may have committed all
the same (its acknowledgement lost with the connection), so before writing again it looks in the journal
for its own events (``_landed``) and a failed claim looks for the lease it may have taken. No outcome is
ever reported twice, and a claim is never left behind unseen.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar, cast

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import RunNotFoundError
from omnimemory_kit.events import (
    Event,
    EventKind,
    ItemRun,
    JournalEntry,
    has_runs,
    item_events,
    journal_length,
)
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT, OutageGate
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.store.base import JournalStore, Lease, RunRecord, WorkItem
from omnimemory_kit.store.blocks import check_items, encode_block

__all__ = ["ADD_CHUNK", "RUN_LIFECYCLE", "StoreLink", "WriteStep", "chunks"]

ADD_CHUNK = 5_000
"""Items added to the store per transaction while a run is prepared."""

T = TypeVar("T")

RUN_LIFECYCLE: Final = frozenset(
    {
        EventKind.RUN_STARTED,
        EventKind.RUN_RESUMED,
        EventKind.RUN_PAUSED,
        EventKind.RUN_COMPLETED,
        EventKind.RUN_FAILED,
        EventKind.RUN_CANCELLED,
    }
)

_DECIDING = RUN_LIFECYCLE | {EventKind.BATCH_CLOSED}  # what should_complete reads of every worker

WriteStep = tuple[Callable[[], int], Sequence[JournalEntry]]
"""A write that appends exactly ``events`` (a run of verdicts among them, where the store takes those) and
returns the journal's last seq, with those events."""


class StoreLink:
    """Make a runner's store calls on one thread and fold every committed event into the tracker in order.

    Args:
        store: the journal.
        run_id: the run whose journal is tailed.
        fold: called on the loop thread with each list of newly durable events, in journal order.
        outage_timeout: seconds to ride out a store outage before calls fail (see ``OutageGate``).
        clock: where the outage's waits and deadline come from.
        on_outage: called with the "unavailable since" stamp when an outage begins, None when it ends.
        own_events_of: fold only the events of this worker id (a worker sharing a run); None: every event.
    """

    def __init__(
        self,
        store: JournalStore,
        run_id: str,
        fold: Callable[[list[Event]], None],
        *,
        outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        clock: Clock = SYSTEM_CLOCK,
        on_outage: Callable[[float | None], object] | None = None,
        own_events_of: str | None = None,
        fold_run: Callable[[ItemRun], bool] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self._fold = fold
        self._fold_run = fold_run
        self.outage = OutageGate(store.url, timeout=outage_timeout, clock=clock, on_change=on_outage)
        self._executor: ThreadPoolExecutor | None = None
        self._tail_seq = 0  # touched only by the store thread
        self._inbox: deque[list[Event] | ItemRun | Callable[[], list[Event]]] = deque()
        self._calls = 0  # store calls in flight
        self._idle: asyncio.Event | None = None
        self._last_lifecycle: EventKind | None = None  # touched only by the store thread
        self._last_closer: str | None = None  # worker of the last BATCH_CLOSED read (store thread)
        self._own = own_events_of
        self._joined = False  # own mode: the journal's end when this worker joined is known (store thread)
        self._life_seq = 0  # own mode: how far every worker's events were read for should_complete
        self._folded = False  # whether any event was folded (loop thread)
        # The batches this link's claims returned lately (store thread), so that a claim looking for what
        # it took before its acknowledgement was lost does not take another claim's batch. A claim's
        # retries end long before 256 more batches are claimed.
        self._handed: deque[str] = deque(maxlen=256)
        # Set when a job failed (store thread): a write whose acknowledgement was lost may have landed, and
        # in own mode the tail then must not jump over this worker's events (``_past_others``).
        self._unsure = False

    @property
    def calls_in_flight(self) -> int:
        """Return how many store calls are running on the store thread right now."""
        return self._calls

    @property
    def own_events_only(self) -> bool:
        """Whether only this worker's events are folded (a worker sharing a run), not the whole run's."""
        return self._own is not None

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
        """Run a store call on the store thread (reads: nothing to fold into the tracker).

        During a store outage the call is made again until it gets through (``fn`` must be safe to
        repeat) or the outage timeout passes (``StoreUnavailableError``).
        """
        return await self._run(lambda: fn(*args, **kwargs), ride_out=True)

    async def _run(self, job: Callable[[], T], *, ride_out: bool) -> T:
        executor = self._executor
        assert executor is not None, "store calls happen inside a store session"
        loop = asyncio.get_running_loop()
        self._calls += 1

        def noted() -> T:
            try:
                return job()
            except BaseException:
                self._unsure = True
                raise

        try:
            if not ride_out:
                return await loop.run_in_executor(executor, noted)
            return await self.outage.call(lambda: loop.run_in_executor(executor, noted))
        finally:
            self._calls -= 1
            if not self._calls and self._idle is not None:
                self._idle.set()
                self._idle = None

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store write on the store thread, then fold every newly committed event into the tracker."""

        done: list[T] = []

        def job() -> T:
            if not done:  # repeated because the tail failed: written already
                done.append(fn(*args, **kwargs))
            self.tail()
            return done[0]

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def write_own(self, *steps: WriteStep) -> int:
        """Run writes that each append exactly their events and return the last seq; skip reading back.

        When a returned seq shows nobody else appended in between, the events are folded as written
        (the common case, and most of the journal's volume); otherwise the journal is read back in order.
        The steps run in one trip to the store thread; one that raises stops the rest (already folded
        steps stay folded: they are durable). Repeated after an outage, the job goes on from the step
        that failed, and skips it if its events are in the journal all the same.
        """
        next_step = 0
        tried: int | None = None  # where the journal stood when the next step was tried and failed
        last = 0

        def job() -> int:
            nonlocal next_step, tried, last
            while next_step < len(steps):
                write, events = steps[next_step]
                if tried is None or not self._landed(events, tried):
                    tried = self._tail_seq
                    last = write()
                    released = bool(events) and events[-1].kind is EventKind.BATCH_CLOSED
                    count = journal_length(events)
                    if last == self._tail_seq + count or (self._own is not None and not released):
                        if self._own is not None:
                            self._past_others(last - count + 1)
                        self._tail_seq = last
                        self._queue(events)
                        if released:
                            self._last_closer = events[-1].worker_id
                    elif self._own is not None:
                        self._read_own(last)  # a release may have requeued items: read back what it wrote
                        self._last_closer = events[-1].worker_id
                    else:
                        self.tail()
                next_step += 1
                tried = None
            return last

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def journal(self, event: Event) -> None:
        """Append one event and fold it (with anything else committed meanwhile)."""
        await self.append([event])

    async def journal_start(self, event: Event) -> bool:
        """Journal the runner's start unless the run is done (``store.append_start``); return whether it was.

        Exactly once across outages: repeated after one, a start whose commit was not acknowledged is
        found in the journal instead of being written again.
        """
        tried: int | None = None

        def job() -> bool:
            nonlocal tried
            if tried is not None and self._landed([event], tried):
                return True
            tried = self._tail_seq
            last = self.store.append_start(self.run_id, event)
            if last is None:  # fold what completed it, so the runner's state says completed
                if self._own is not None:
                    self._fold_lifecycle()
                else:
                    self.tail()
                return False
            self._note_lifecycle([event])
            if last == self._tail_seq + 1 or self._own is not None:
                self._tail_seq = last
                self._inbox.append([event])
            else:
                self.tail()
            return True

        try:
            return await self.call(job)
        finally:
            self.drain()

    async def journal_last_word(self, event: Event) -> None:
        """Try once to journal ``event`` (a run's failure), even after the outage gate gave up.

        Raises whatever the store raises: the caller decides whether a last word that failed matters.
        """

        def job() -> None:
            self.store.append(self.run_id, [event])
            self.tail()

        try:
            await self._run(job, ride_out=False)
        finally:
            self.drain()

    async def append(self, events: list[Event]) -> None:
        """Append events (exactly once, outages included) and fold them."""

        def write() -> int:
            last = self.store.append(self.run_id, events)
            self._note_lifecycle(events)
            return last

        await self.write_own((write, events))

    async def add(self, chunk: list[WorkItem], at: float) -> int:
        """Add a chunk of items; when all were new, fold their FILE_ADDED events without reading them back."""
        try:
            return await self._add(chunk, at)
        finally:
            self.drain()

    async def _add(self, chunk: list[WorkItem], at: float) -> int:
        """Add a chunk of items and queue their events (``drain()`` folds them)."""

        def job() -> int:
            added = self.store.add_items(self.run_id, chunk, at=at)
            if self._own is not None:  # additions are nobody's own events: skip them
                self._past_others(self.store.last_seq(self.run_id) + 1)
            elif added == len(chunk) and self.store.last_seq(self.run_id) == self._tail_seq + added:
                self._tail_seq += added
                # built when folded, on the loop: the store thread is the busier one
                self._inbox.append(_added_run(chunk, at))
            else:
                self.tail()
            return added

        return await self.call(job)

    async def add_all(
        self, items: Iterable[MigrationItem], clock: Clock, *, until: Callable[[], bool] | None = None
    ) -> int:
        """Add every item a chunk at a time; return how many were new.

        The store adds one chunk while the loop reads the next and folds the one before (the fold waits
        until the next add has reached the store thread, so the store is not idle meanwhile).

        ``until``, asked after each fold, stops the adding once it returns True: the chunk in flight lands
        and is folded, and an iterator passed as ``items`` keeps the rest, unread, for another call (after
        ``follow_own_from_here``, say).
        """
        added = 0
        adding: asyncio.Future[int] | None = None
        try:
            for chunk in chunks(items, ADD_CHUNK):
                if adding is not None:
                    added += await adding
                adding = asyncio.ensure_future(self._add(chunk, clock.time()))
                await asyncio.sleep(0)  # the add's job reaches the store thread
                # and the interpreter's lock with it: the store thread begins the add (mostly SQLite's own
                # work, without the lock) while the loop folds the chunk before and reads the next
                time.sleep(0)  # noqa: ASYNC251 - returns at once; the lock is the point
                self.drain()
                if until is not None and until():
                    break
        finally:
            try:
                if adding is not None:
                    added += await adding
            finally:
                self.drain()
        return added

    async def create_and_add_all(
        self,
        record: RunRecord,
        items: Iterable[MigrationItem],
        clock: Clock,
        *,
        until: Callable[[], bool] | None = None,
    ) -> int:
        """Create (or reopen) the run with its first chunk of items, add the rest; return how many were new.

        The run and the first chunk are one transaction (``create_run_with_blocks``), so a source that
        fails before its first chunk is read, or within it, leaves no new run behind; every later chunk is
        a transaction of its own (``add_all``): a source failing further on leaves the run with the chunks
        before. ``until`` is ``add_all``'s (asked after the first chunk too).
        """
        stream = iter(items)
        first = list[WorkItem](itertools.islice(stream, ADD_CHUNK))  # a source failing here: no run yet
        # checked here, not by the store: a block would turn a float size into an int (later chunks go
        # through add_items, which checks them itself)
        check_items(first)
        # An item block holds no empty key, which add_items takes: such a chunk follows the run's creation.
        in_blocks = all(item.key for item in first)
        try:
            added = await self._create(record, first if in_blocks else [], clock.time())
        finally:
            self.drain()
        if not in_blocks:
            added += await self.add(first, clock.time())
        if len(first) < ADD_CHUNK or (until is not None and until()):
            return added
        return added + await self.add_all(stream, clock, until=until)

    async def _create(self, record: RunRecord, first: list[WorkItem], at: float) -> int:
        """Create the run with ``first`` and queue the events; a new run's items are folded as written.

        When the journal grew by exactly the chunk (every item new), and for a run read from its start by
        one event more (its RUN_CREATED, always first), that event is read back and the items' FILE_ADDED
        events are built on the loop: reading 5,000 events back costs several times building them. A
        reopened run gains no RUN_CREATED: an event more there is another worker's, perhaps after the chunk.
        """
        blocks = [encode_block([(item.key, item.size) for item in first])] if first else []
        done: list[int] = []

        def job() -> int:
            if done:  # created, then a read below failed: read back instead
                self.tail()
                return done[0]
            if not self._folded and self._run_exists():
                # reopened: its journal is read first, as before anything of a run is added, so one this
                # version cannot read (an unknown kind) stops the runner before it writes anything
                self.tail()
            before = self._tail_seq
            _, added = self.store.create_run_with_blocks(record, blocks, at=at)
            done.append(added)
            if self._own is None and added == len(first):
                last = self.store.last_seq(self.run_id)
                created = 1 if before == 0 else 0  # seq 1 is RUN_CREATED, whoever wrote it
                if last == before + created + added:
                    head = (
                        list(self.store.read_events(self.run_id, after_seq=before, limit=1))
                        if created
                        else []
                    )
                    self._tail_seq = last
                    self._note_lifecycle(head)
                    self._inbox.append(head)
                    self._inbox.append(_added_run(first, at))
                    return added
            self.tail()
            return added

        return await self.call(job)

    def _run_exists(self) -> bool:
        """On the store thread: whether the store has the run already."""
        try:
            self.store.get_run(self.run_id)
        except RunNotFoundError:
            return False
        return True

    async def claim(self, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Claim a batch; fold its BATCH_OPENED and FILE_STARTED events without reading them back.

        The events are built and folded on the loop by the next write's drain (the batch's close, which
        runs while the next batch does), not here: the store thread and the batch both wait on a claim.
        """

        claimed: list[Lease] = []
        tried: int | None = None

        def job() -> Lease | None:
            nonlocal tried
            if claimed:  # claimed, then the check below failed: read back instead
                self.tail()
                return claimed[0]
            if tried is not None:  # a failed claim may have committed: take its lease up, not leave it
                taken = self._claimed_meanwhile(worker_id, tried)
                if taken is not None:
                    return taken
            tried = self._tail_seq
            lease = self.store.claim(self.run_id, worker_id, limit, lease_seconds)
            if lease is None:
                return None
            claimed.append(lease)
            self._handed.append(lease.batch_id)
            self._fold_claim(lease, lease_seconds)
            return lease

        try:
            lease = await self.call(job)
        except BaseException:
            self.drain()
            raise
        if lease is None:
            self.drain()
        return lease

    async def close_and_claim(
        self,
        lease: Lease,
        outcomes: list[Event],
        closing: list[JournalEntry],
        limit: int,
        lease_seconds: float,
    ) -> Lease | None:
        """Report a batch's last outcomes, release its lease with ``closing``, and claim the next batch.

        One trip to the store thread and, where the store offers it (``release_and_claim_atomic``), one
        transaction: one commit per batch boundary. The close's events are folded as ``write_own`` folds
        a write's (read back when the release requeued items), the claim's as ``claim`` folds them.
        Repeated after an outage, it goes on from where it got: a close that landed is not written again,
        and a claim that landed with it (or after it) is taken up, not left behind.

        Returns the new lease, or None when nothing was pending.

        Raises:
            LeaseLostError: the lease was lost: nothing was recorded and nothing claimed.
        """
        events: list[JournalEntry] = [*outcomes, *closing]
        worker_id = lease.worker_id
        tried: int | None = None  # where the journal stood when the last try began
        closed = False  # the close is in the journal (its events read or folded)
        taken: list[Lease] = []

        def job() -> Lease | None:
            nonlocal tried, closed
            if taken:  # claimed, then folding failed: read back instead
                self.tail()
                return taken[0]
            if tried is not None:  # a failed try may have committed all or part of it
                closed = closed or self._landed(events, tried)
                if closed:
                    found = self._claimed_meanwhile(worker_id, tried)
                    if found is not None:
                        return found
            tried = self._tail_seq
            if closed:  # the close landed, its claim did not (the calls were made one by one): claim now
                new = self.store.claim(self.run_id, worker_id, limit, lease_seconds)
            else:
                last, new = self.store.report_release_and_claim(
                    lease, outcomes, closing, limit=limit, lease_seconds=lease_seconds
                )
                closed = True
                self._fold_closed(events, last)
            if new is not None:
                taken.append(new)
                self._handed.append(new.batch_id)
                self._fold_claim(new, lease_seconds)
            return new

        try:
            return await self.call(job)
        finally:
            self.drain()

    def _fold_closed(self, events: list[JournalEntry], last: int) -> None:
        """On the store thread: queue a release's events (``write_own``'s rule), or read them back."""
        worker = events[-1].worker_id
        if last == self._tail_seq + journal_length(events):
            self._tail_seq = last
            self._queue(events)
            self._last_closer = worker
        elif self._own is not None:
            self._read_own(last)  # the release requeued items: read back what it wrote
            self._last_closer = worker
        else:
            self.tail()

    def _fold_claim(self, lease: Lease, lease_seconds: float) -> None:
        """On the store thread: queue a claim's events as built from its lease, or read them back."""
        if self._own is not None:  # its events are exactly what the claim appended; skip others'
            if lease.seq is not None:
                self._past_others(lease.seq - len(lease.items))
            self._tail_seq = max(self._tail_seq, lease.seq or self.store.last_seq(self.run_id))
            self._inbox.append(functools.partial(claimed_events, lease, lease_seconds, True))
            return
        expected = self._tail_seq + 1 + len(lease.items)
        # a backend that returns the seq the claim ended at spares the link a query
        if (lease.seq or self.store.last_seq(self.run_id)) == expected:
            self._tail_seq = expected
            at = lease.expires_at - lease_seconds  # the claim's time, as claimed_events stamps it
            batch, worker = lease.batch_id, lease.worker_id
            self._inbox.append([Event(EventKind.BATCH_OPENED, at, batch_id=batch, worker_id=worker)])
            self._inbox.append(
                ItemRun(EventKind.FILE_STARTED, at, [item.key for item in lease.items],
                        batch_id=batch, worker_id=worker)
            )  # fmt: skip
        else:
            self.tail()  # (reads nothing twice: a tail of the close read the claim's events already)

    async def settle(self) -> None:
        """Let the store calls in flight land and fold what they committed (at once during an outage, or
        outside a session: then what is folded already is all there is)."""
        if self._executor is not None and self.outage.unavailable_since is None:
            await self.idle()
            self.drain()

    def _queue(self, entries: Sequence[JournalEntry]) -> None:
        """On the store thread: queue a write's entries for the fold, in order (a run as it is)."""
        if not has_runs(entries):
            self._inbox.append(cast("list[Event]", entries if isinstance(entries, list) else list(entries)))
            return
        events: list[Event] = []
        for entry in entries:
            if isinstance(entry, Event):
                events.append(entry)
                continue
            if events:
                self._inbox.append(events)
                events = []
            self._inbox.append(entry)
        if events:
            self._inbox.append(events)

    def drain(self) -> None:
        """On the loop thread: fold every queued durable event into the tracker, in journal order."""
        fold_run = self._fold_run
        while self._inbox:
            self._folded = True
            events = self._inbox.popleft()
            if isinstance(events, ItemRun):
                if fold_run is None or not fold_run(events):
                    self._fold(events.events())
            else:
                self._fold(events() if callable(events) else events)
            if self._calls:  # between two folds, let the store thread take the lock for its next statement
                time.sleep(0)  # returns at once: the lock is the point

    def tail(self) -> None:
        """On the store thread: read the journal past what was read so far, in seq order.

        In own mode: only this worker's events (and none written before it joined).
        """
        if self._own is not None:
            self._read_own(self.store.last_seq(self.run_id))
            return
        events = list(self.store.read_events(self.run_id, after_seq=self._tail_seq))
        if events:
            self._tail_seq = events[-1].seq
            self._inbox.append(events)
            self._note_lifecycle(events)

    def catch_up(self) -> None:
        """On the store thread, before anything was folded: read every worker's run lifecycle events.

        For a worker in own mode that finds nothing left to do: the run's state (completed or not) is then
        the journal's, as for any other runner, without reading the items' events (30M in a 10M-item run).
        """
        if self._folded:
            return  # the tracker holds events already: reading them again would count them twice
        self.tail()
        until = self._tail_seq
        found = self.store.read_events_matching(self.run_id, after_seq=0, until_seq=until, kinds=_DECIDING)
        seen = list(found)
        self._note_lifecycle(seen)  # the last closer too, as should_complete reads it
        lifecycle = [event for event in seen if event.kind in RUN_LIFECYCLE]
        if lifecycle:
            self._inbox.append(lifecycle)

    def follow_own(self, worker_id: str) -> None:
        """Fold only ``worker_id``'s events from now on (own mode); only before anything was read."""
        assert not self._folded, "own mode is chosen before anything is folded"
        assert self._tail_seq == 0, "own mode is chosen before the journal is read"
        self._own = worker_id

    async def follow_own_from_here(self, worker_id: str) -> None:
        """Fold only ``worker_id``'s events from now on, into a tracker that starts afresh (own mode).

        Unlike ``follow_own``, after the link has folded every event so far (a runner whose additions
        crossed into lean mode): the journal read so far is not read again, and this worker, which has
        only added items, has no events of its own in it. What the run's lifecycle was is kept for
        ``should_complete``; ``catch_up`` may read it again into the new tracker.
        """

        def job() -> None:
            self._own = worker_id
            self._joined = True
            self._life_seq = self._tail_seq

        self.drain()
        await self.call(job)
        self._folded = False  # the tracker the events go to from now on is empty

    def _past_others(self, first: int) -> None:
        """Own mode, store thread: before the tail jumps to a write of this worker's starting at seq
        ``first`` (the events before it are others', skipped), read this worker's own among them if a
        failed write may have landed there (its acknowledgement lost): those are folded, not skipped."""
        if self._unsure and first - 1 > self._tail_seq:
            self._read_own(first - 1)
        self._unsure = False

    def _read_own(self, last: int) -> None:
        """Own mode, store thread: queue this worker's events up to seq ``last``, skipping the others'."""
        if not self._joined:  # a worker's id is new when it joins: nothing before is its own
            self._joined = True
            self._tail_seq = self._life_seq = last
            return
        if last <= self._tail_seq:
            return
        own = self._own
        assert own is not None
        after = self._tail_seq
        found = self.store.read_events_matching(self.run_id, after_seq=after, until_seq=last, worker_id=own)
        mine = list(found)
        self._tail_seq = last
        if mine:
            self._note_lifecycle(mine)
            self._inbox.append(with_additions(mine))

    def _fold_lifecycle(self) -> None:
        """In own mode: note every worker's lifecycle and closes since this one last looked, and fold the
        others' lifecycle events (the run's state is every worker's; this worker's own are folded)."""
        seen = list(self.store.read_events_matching(self.run_id, after_seq=self._life_seq, kinds=_DECIDING))
        if seen:
            self._life_seq = seen[-1].seq
            self._note_lifecycle(seen)
            theirs = [e for e in seen if e.kind in RUN_LIFECYCLE and e.worker_id != self._own]
            if theirs:
                self._inbox.append(theirs)

    def _note_lifecycle(self, events: list[Event]) -> None:
        # Run lifecycle events reach the link only through the tail and append() (reports and claims
        # carry none).
        for event in events:
            kind = event.kind
            if kind in RUN_LIFECYCLE:
                self._last_lifecycle = kind
                if kind is EventKind.RUN_STARTED or kind is EventKind.RUN_RESUMED:
                    self._last_closer = None  # a closer from before this start does not decide
            elif kind is EventKind.BATCH_CLOSED:
                self._last_closer = event.worker_id

    def _landed(self, events: Sequence[JournalEntry], after_seq: int) -> bool:
        """On the store thread, after a write failed: return whether it committed all the same.

        A write whose acknowledgement was lost (the connection died during commit) may be in the journal,
        past ``after_seq`` (where it stood when the write was tried). It landed if its last event is there:
        the runner stamps its events with its worker id and clock, so no other writer's match. Whatever
        was committed meanwhile is folded either way.
        """
        self.tail()
        if not events:
            return False
        last = events[-1]
        mark = _identity(last if isinstance(last, Event) else last.events()[-1])
        return any(_identity(e) == mark for e in self.store.read_events(self.run_id, after_seq=after_seq))

    def _claimed_meanwhile(self, worker_id: str, after_seq: int) -> Lease | None:
        """On the store thread, after a claim failed: return the lease it took if it committed after all."""
        self.tail()
        batches = {
            event.batch_id
            for event in self.store.read_events(self.run_id, after_seq=after_seq)
            if event.kind is EventKind.BATCH_OPENED and event.worker_id == worker_id
        }
        # Another claim of this link (two may be in flight: the loop's and a close's) may have landed
        # meanwhile: its batch is that claim's, never this one's.
        batches.difference_update(self._handed)
        if not batches:
            return None
        taken = next((lease for lease in self.store.leases(self.run_id) if lease.batch_id in batches), None)
        if taken is not None:
            self._handed.append(taken.batch_id)
        return taken

    def completed(self) -> bool:
        """Whether RUN_COMPLETED follows the run's last start in what this link has read (after a call)."""
        return self._last_lifecycle is EventKind.RUN_COMPLETED

    def should_complete(self, worker_id: str, stand_in: Callable[[str | None], bool] | None = None) -> bool:
        """On the store thread, once no item is left: return whether ``worker_id`` journals RUN_COMPLETED.

        Every worker of a shared run sees the run finish; one journals it, chosen by the journal itself so
        no two can both decide yes: nobody while a lease is still open (its holder is still closing the
        last batch, and decides after), nobody once RUN_COMPLETED follows the run's last start, and
        otherwise only the worker that closed the last batch. With every lease released all workers read
        the same last BATCH_CLOSED. Expired leases are reclaimed first, so a holder that died after its
        last report but before its release does not keep the run from being completed. When no batch was
        closed since the run's last start (it was left finished but not journaled so), any worker may.
        ``stand_in(closer)`` chooses one worker instead: when no batch was closed since the last start
        (None), or the closer died before journaling it; without it, any worker may in the first case.
        """
        self.store.reclaim(self.run_id)
        if self.store.leases(self.run_id):
            return False
        self.tail()
        if self._own is not None:
            self._fold_lifecycle()
        if self._last_lifecycle is EventKind.RUN_COMPLETED:
            return False
        if self._last_closer == worker_id:
            return True
        if stand_in is None:
            return self._last_closer is None
        # No closer since the last start, or one that died before journaling it: one live worker does.
        return stand_in(self._last_closer)


def _identity(event: Event) -> tuple[object, ...]:
    """Return what tells one of a runner's events from any other (its seq aside)."""
    return (event.kind, event.at, event.path, event.batch_id, event.worker_id, event.reason)


def claimed_events(lease: Lease, lease_seconds: float, adding: bool = False) -> list[Event]:
    """Return exactly the events ``claim()`` appended: stamped with the store's clock at claim time.

    ``adding`` puts a FILE_ADDED before them for each item (idempotent in a tracker that has it), for a
    tracker that follows only its own worker's events and so never read the items' additions.
    """
    at = lease.expires_at - lease_seconds
    batch, worker = lease.batch_id, lease.worker_id
    keys = [item.key for item in lease.items]
    events = []
    if adding:
        sizes = [item.size for item in lease.items]
        events += item_events(EventKind.FILE_ADDED, at, keys, sizes=sizes)
    events.append(Event(EventKind.BATCH_OPENED, at, batch_id=batch, worker_id=worker))
    events += item_events(EventKind.FILE_STARTED, at, keys, batch_id=batch, worker_id=worker)
    return events


def with_additions(events: list[Event]) -> list[Event]:
    """Return a worker's own events with a FILE_ADDED (seq 0) before each start, for an own-mode tracker."""
    if not any(event.kind is EventKind.FILE_STARTED for event in events):
        return events
    out: list[Event] = []
    for event in events:
        if event.kind is EventKind.FILE_STARTED:
            out.append(Event(EventKind.FILE_ADDED, event.at, path=event.path))
        out.append(event)
    return out


def chunks(items: Iterable[MigrationItem], size: int) -> Iterator[list[WorkItem]]:
    """Yield the items as lists of at most ``size`` (streamed: one chunk held at a time)."""
    stream = iter(items)
    while chunk := list[WorkItem](itertools.islice(stream, size)):
        yield chunk


def _added_run(chunk: list[WorkItem], at: float) -> ItemRun:
    """Return the FILE_ADDED events of a chunk whose items were all new, as a run of keys."""
    return ItemRun(EventKind.FILE_ADDED, at, [item.key for item in chunk], [item.size for item in chunk])
