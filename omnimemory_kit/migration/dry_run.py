"""A dry run: what a real run would face, worked out without calling the function or writing anything.

Its memory does not grow with the journal: the journal is folded a slice at a time, and a run larger than
the runner's lean size (``follow_counters_above``) is not replayed at all: its item counts come from the
store's counters, its state from its lifecycle events, and the source's keys are looked up in the store a
chunk at a time. A tracker asked for lean (``keep_paths=False``) holds 64-bit hashes of the new keys.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from omnimemory_kit.errors import RunMismatchError, RunNotFoundError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.sources import WorkSource
from omnimemory_kit.migration.store_link import RUN_LIFECYCLE, StoreLink, chunks
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store.base import WorkItem
from omnimemory_kit.store.counters import RunCounters

__all__ = ["DryRun", "dry_run"]

_READ_SLICE = 50_000
"""Journal events read and folded at a time."""
_LOOKUP_CHUNK = 5_000
"""Source keys looked up in the store at a time (a large run)."""


@dataclass(frozen=True)
class DryRun:
    """What a dry run found.

    Attributes:
        tracker: the run's state with the source's new items pending (a large run's: its lifecycle only,
            and the new items).
        counters: a large run's counters with the new items counted as pending; None when ``tracker``
            holds every item.
        new: how many of the source's items the run does not have yet.
    """

    tracker: MigrationProgressTracker
    counters: RunCounters | None
    new: int


async def dry_run(
    link: StoreLink,
    source: WorkSource,
    function_id: str,
    tracker: MigrationProgressTracker,
    at: float,
    log: logging.LoggerAdapter[logging.Logger],
    *,
    lean_above: int,
) -> DryRun:
    """Fold the run's journal (if any) and the source's new items (added ``at``) into ``tracker``.

    Items already recorded keep their state; new ones are pending. Reads only. A run of more than
    ``lean_above`` items is not replayed (see the module); pass a lean ``tracker`` for it, or for a source
    that large.

    Raises:
        RunMismatchError: the run exists with another source or function.
    """
    store, run_id = link.store, link.run_id
    try:
        record = await link.call(store.get_run, run_id)
    except RunNotFoundError:
        record = None
    counters: RunCounters | None = None
    if record is not None:
        for field, given in (("source", source.identity), ("function", function_id)):
            if getattr(record, field) != given:
                raise RunMismatchError(run_id, field, getattr(record, field), given)
        counters = await link.call(store.run_counters, run_id)
        if counters.total > lean_above:
            return await _large(link, source, tracker, counters, at, log)
        counters = None
        await _fold_journal(link, tracker)
    new = 0
    for item in source:
        if item.key not in tracker:
            _add(tracker, item, at, log, run_id)
            new += 1
    log.info("run %r: dry run: %d new item(s), nothing written", run_id, new)
    return DryRun(tracker, counters, new)


async def _fold_journal(link: StoreLink, tracker: MigrationProgressTracker) -> None:
    """Fold the run's whole journal into ``tracker``, a slice at a time."""
    after = 0
    while True:
        events = await link.call(
            lambda after=after: list(link.store.read_events(link.run_id, after_seq=after, limit=_READ_SLICE))
        )
        if not events:
            return
        tracker.apply_many(events)
        after = events[-1].seq


async def _large(
    link: StoreLink,
    source: WorkSource,
    tracker: MigrationProgressTracker,
    counters: RunCounters,
    at: float,
    log: logging.LoggerAdapter[logging.Logger],
) -> DryRun:
    """A large run: its lifecycle into ``tracker``, the source's keys looked up in the store by chunk."""
    store, run_id = link.store, link.run_id
    lifecycle = await link.call(
        lambda: list(store.read_events_matching(run_id, after_seq=0, kinds=RUN_LIFECYCLE))
    )
    tracker.apply_many(lifecycle)
    new = 0
    stream = iter(source)
    for chunk in chunks(stream, _LOOKUP_CHUNK):
        keys = [item.key for item in chunk]
        known = await link.call(lambda keys=keys: store.item_statuses(run_id, keys=keys))
        for item in chunk:
            if item.key not in known and item.key not in tracker:  # a key repeated counts once
                _add(tracker, item, at, log, run_id)
                new += 1
    log.info(
        "run %r: dry run of a run of %d items (not replayed): %d new item(s), nothing written",
        run_id,
        counters.total,
        new,
    )
    return DryRun(tracker, dataclasses.replace(counters, pending=counters.pending + new), new)


def _add(
    tracker: MigrationProgressTracker,
    item: WorkItem,
    at: float,
    log: logging.LoggerAdapter[logging.Logger],
    run_id: str,
) -> None:
    tracker.apply(Event(EventKind.FILE_ADDED, at=at, path=item.key, size=item.size))
    log.debug("run %r: dry run: would add %r (%d bytes)", run_id, item.key, item.size)
