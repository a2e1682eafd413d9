"""What ``status`` needs to know of a run, read from the store without replaying its journal.

A run of millions of items has a journal of tens of millions of events, nearly all of them one per item and
step (added, started, succeeded, skipped, retried): the counters (``store.counters``) already sum those.
Everything else a status shows comes from the *rare* events: the run's lifecycle, its breaker and throttle,
stuck calls, batches opened and closed, failures for good, interruptions, re-runs and validation verdicts.
Backends keep a partial index over exactly those kinds
(``RARE_KINDS_SQL``), so reading them costs their number, not the journal's length.

``RunStatusFacts`` is the snapshot a backend returns (``JournalStore.status_facts``);
``migration.run_status`` turns it into a run summary. ``facts_from_events`` derives the same facts from a
full read of the journal (the contract's default, and what the backends are tested against); its items
follow ``store.projection``, the state machine the backends' items tables keep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from omnimemory_kit.events import STRING_ERROR_TYPE, Event, EventKind, FileStatus
from omnimemory_kit.store.counters import RunCounters, counters_from, minute_rows
from omnimemory_kit.store.projection import ITEM_KINDS, Item, step

__all__ = [
    "COMMON_KINDS",
    "LIFECYCLE_KINDS",
    "QUIET_KINDS",
    "RARE_KINDS_SQL",
    "VERDICT_KINDS",
    "RunStatusFacts",
    "facts_from_events",
    "kinds_sql",
]

COMMON_KINDS: Final = (
    EventKind.FILE_ADDED,
    EventKind.FILE_STARTED,
    EventKind.FILE_SUCCEEDED,
    EventKind.FILE_SKIPPED,
    EventKind.FILE_RETRIED,
)
"""The kinds a run journals about once per item (or per attempt): left out of the rare-events index.

Validation verdicts stay in it although a validated run has one per item: their counts need each item's
latest one, and only a validated run pays for them."""


def kinds_sql(kinds: Iterable[EventKind]) -> str:
    """Return ``kinds`` as an SQL list of literals (for ``kind IN (…)``; the values are the enum's own)."""
    return ", ".join(f"'{kind.value}'" for kind in kinds)


RARE_KINDS_SQL: Final = f"kind NOT IN ({kinds_sql(COMMON_KINDS)})"
"""The rare-events index's predicate. A query repeats it word for word, so the planner may use the index."""

LIFECYCLE_KINDS: Final = (
    EventKind.RUN_CREATED,
    EventKind.RUN_STARTED,
    EventKind.RUN_PAUSED,
    EventKind.RUN_RESUMED,
    EventKind.RUN_COMPLETED,
    EventKind.RUN_FAILED,
    EventKind.RUN_CANCELLED,
    EventKind.BREAKER_OPENED,
    EventKind.BREAKER_CLOSED,
    EventKind.RUN_THROTTLED,
    EventKind.RUN_UNTHROTTLED,
    EventKind.CALL_STUCK,
    EventKind.CALL_FREED,
)
"""The kinds that decide a run's status and time accounting, read in full."""

QUIET_KINDS: Final = (
    EventKind.CALL_STUCK,
    EventKind.CALL_FREED,
    EventKind.ITEM_VALIDATED,
    EventKind.ITEM_MISMATCHED,
    EventKind.ITEM_VALIDATION_ERROR,
)
"""Kinds that do not move the run's "last activity" time (the tracker's fold leaves it where it was)."""

VERDICT_KINDS: Final = (EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR)
_RESTARTS: Final = frozenset({EventKind.RUN_STARTED, EventKind.RUN_RESUMED})


@dataclass(frozen=True, slots=True)
class RunStatusFacts:
    """A run as the store knows it without its journal: counters, lifecycle, and the rare events' tallies.

    Attributes:
        counters: the store-kept counters (items per status, per-minute activity).
        lifecycle: the run's events of ``LIFECYCLE_KINDS``, in seq order.
        before: for each RUN_STARTED and RUN_RESUMED in ``lifecycle`` (by seq), the time of the last event
            before it that moves the activity time (a restart after a crash closes the dead process's time
            there); absent when there is none.
        last_at: the time of the run's last event that moves the activity time (None: no such event).
        first_start: (seq, at) of the first FILE_STARTED when the journal has no RUN_STARTED or
            RUN_RESUMED before it (a tracker used directly starts its run with its first file); else None.
        bytes_by_status: item bytes per status, when asked for (it costs a pass over the items).
        unsized: items added without a size, when bytes were asked for.
        open_batches: batches opened and not closed.
        errors_by_type: items failed for good now, by the type of their last failure.
        interrupted: FILE_INTERRUPTED events (items put back because their worker died).
        requeued: FILE_REQUEUED events (finished items put back for a re-run).
        verdicts: the succeeded items' latest verdicts, counted by kind (items re-run since are not counted).
        flagged: the latest verdict of each succeeded item whose verdict is a mismatch or an error.
        any_verdict: whether the run has any validation verdict at all.
    """

    counters: RunCounters
    lifecycle: tuple[Event, ...] = ()
    before: Mapping[int, float] = field(default_factory=dict)
    last_at: float | None = None
    first_start: tuple[int, float] | None = None
    bytes_by_status: Mapping[FileStatus, int] | None = None
    unsized: int = 0
    open_batches: int = 0
    errors_by_type: Mapping[str, int] = field(default_factory=dict)
    interrupted: int = 0
    requeued: int = 0
    verdicts: Mapping[EventKind, int] = field(default_factory=dict)
    flagged: tuple[Event, ...] = ()
    any_verdict: bool = False


def facts_from_events(
    run_id: str, counts: Mapping[FileStatus, int], events: Iterable[Event], *, with_bytes: bool = False
) -> RunStatusFacts:
    """Derive a run's status facts from its whole journal, read once (O(events), for small or old stores)."""
    lifecycle: list[Event] = []
    before: dict[int, float] = {}
    last_at: float | None = None
    first_start: tuple[int, float] | None = None
    started = False
    items: dict[str, Item] = {}
    opened: set[str] = set()
    closed: set[str] = set()
    failure: dict[str, str] = {}
    verdict: dict[str, Event] = {}
    requeued_at: dict[str, int] = {}
    interrupted = requeued = 0
    buckets: list[tuple[str, float]] = []
    quiet, lifecycle_kinds = frozenset(QUIET_KINDS), frozenset(LIFECYCLE_KINDS)
    for event in events:
        kind, key = event.kind, event.path
        buckets.append((kind.value, event.at))
        if kind in lifecycle_kinds:
            if kind in _RESTARTS:
                started = True
                if last_at is not None:
                    before[event.seq] = last_at
            lifecycle.append(event)
        if kind not in quiet:
            last_at = event.at
        if kind is EventKind.BATCH_OPENED and event.batch_id is not None:
            opened.add(event.batch_id)
        elif kind is EventKind.BATCH_CLOSED and event.batch_id is not None:
            closed.add(event.batch_id)
        elif kind is EventKind.FILE_INTERRUPTED:
            interrupted += 1
        elif kind is EventKind.FILE_REQUEUED and key is not None:
            requeued += 1
            requeued_at[key] = event.seq
        elif kind in VERDICT_KINDS and key is not None:
            verdict[key] = event
        if key is None:
            continue
        if kind is EventKind.FILE_STARTED:
            if first_start is None and not started:
                first_start = (event.seq, event.at)
            if event.batch_id is not None:
                opened.add(event.batch_id)
        elif kind is EventKind.FILE_FAILED:
            failure[key] = event.error_type or STRING_ERROR_TYPE
        if kind in ITEM_KINDS:  # the items projection's one state machine, as the backends' items tables
            item = step(items.get(key), event, seq=event.seq)
            if item is not None:
                items[key] = item
    status_of = {key: item.status for key, item in items.items()}
    errors = Counter(failure[key] for key, status in status_of.items() if status is FileStatus.FAILED)
    tally: Counter[EventKind] = Counter()
    flagged = []
    for key, event in verdict.items():
        if status_of.get(key) is FileStatus.SUCCEEDED and requeued_at.get(key, 0) < event.seq:
            tally[event.kind] += 1
            if event.kind is not EventKind.ITEM_VALIDATED:
                flagged.append(event)
    nbytes: dict[FileStatus, int] | None = None
    if with_bytes:
        nbytes = dict.fromkeys(FileStatus, 0)
        for item in items.values():
            nbytes[item.status] += item.size
    minutes = minute_rows(buckets)
    return RunStatusFacts(
        counters=counters_from(run_id, counts, ((start, *row) for start, row in minutes.items())),
        lifecycle=tuple(lifecycle),
        before=before,
        last_at=last_at,
        first_start=first_start,
        bytes_by_status=nbytes,
        unsized=sum(1 for item in items.values() if not item.size) if with_bytes else 0,
        open_batches=len(opened - closed),
        errors_by_type=dict(errors),
        interrupted=interrupted,
        requeued=requeued,
        verdicts=dict(tally),
        flagged=tuple(sorted(flagged, key=lambda e: e.seq)),
        any_verdict=bool(verdict),
    )
