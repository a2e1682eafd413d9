"""A dry run: what a real run would face, worked out without calling the function or writing anything."""

from __future__ import annotations

import logging

from omnimemory_kit.errors import RunMismatchError, RunNotFoundError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.sources import WorkSource
from omnimemory_kit.migration.store_link import StoreLink
from omnimemory_kit.migration.tracker import MigrationProgressTracker

__all__ = ["dry_run"]


async def dry_run(
    link: StoreLink,
    source: WorkSource,
    function_id: str,
    tracker: MigrationProgressTracker,
    at: float,
    log: logging.LoggerAdapter[logging.Logger],
) -> MigrationProgressTracker:
    """Fold the run's journal (if any) and the source's new items (added ``at``) into ``tracker``; return it.

    Items already recorded keep their state; new ones are pending. Reads only.

    Raises:
        RunMismatchError: the run exists with another source or function.
    """
    store, run_id = link.store, link.run_id
    try:
        record = await link.call(store.get_run, run_id)
    except RunNotFoundError:
        record = None
    if record is not None:
        for field, given in (("source", source.identity), ("function", function_id)):
            if getattr(record, field) != given:
                raise RunMismatchError(run_id, field, getattr(record, field), given)
        events = await link.call(lambda: list(store.read_events(run_id)))
        tracker.apply_many(events)
    new = 0
    for item in source:
        if item.key not in tracker:
            tracker.apply(Event(EventKind.FILE_ADDED, at=at, path=item.key, size=item.size))
            new += 1
            log.debug("run %r: dry run: would add %r (%d bytes)", run_id, item.key, item.size)
    log.info("run %r: dry run: %d new item(s), nothing written", run_id, new)
    return tracker
