"""The items projection: one state machine for a work item, written once for every store backend.

A store keeps one row per work item (status, attempts, lease, the batch and worker that last started it)
as a projection of the journal's FILE_* events. The rule is written once, here, as a table:
``TRANSITIONS[kind][status]`` is the ``Effect`` an event of ``kind`` has on an item in ``status`` (no entry:
the event leaves the item as it is). FILE_ADDED is the one kind outside the table: it inserts an item the
run does not have yet and changes nothing otherwise (the first size wins). An event naming an item the
run does not have changes nothing.

The rule is the tracker's reduction (``MigrationProgressTracker``'s ``_on_file_*`` handlers), restricted to
what the items table keeps; ``tests/store/test_projection.py`` checks the two against each other, entry by
entry and over generated journals appended to every backend.

``step`` applies one event to one item (a pure function); ``fold`` applies a journal segment to the rows it
touches. Backends may take set-based shortcuts only where ``UNIFORM`` says an event's effect does not
depend on the item's status, and must then write exactly what ``fold`` would.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from omnimemory_kit.events import Event, EventKind, FileStatus

__all__ = [
    "ITEM_KINDS",
    "TRANSITIONS",
    "UNIFORM",
    "Effect",
    "Hold",
    "Item",
    "effect_of",
    "fold",
    "step",
]


class Hold(enum.Enum):
    """What an event does to the item's lease (and, for a start, to its batch and worker)."""

    TAKE = "take"  # the writer's lease (None through ``append``), the event's batch and worker
    KEEP = "keep"  # unchanged
    DROP = "drop"  # no lease; batch and worker stay as the last start left them


class Effect(NamedTuple):
    """An event's effect on an item: its new status, attempts added, and what happens to its lease."""

    status: FileStatus
    attempts: int
    hold: Hold


_STARTED: Final = Effect(FileStatus.IN_PROGRESS, 1, Hold.TAKE)
TRANSITIONS: Final[Mapping[EventKind, Mapping[FileStatus, Effect]]] = {
    # A start from any status: in progress again, one more attempt (a start over a start included).
    EventKind.FILE_STARTED: dict.fromkeys(FileStatus, _STARTED),
    # An outcome from any status (a finished item may change its outcome).
    EventKind.FILE_SUCCEEDED: dict.fromkeys(FileStatus, Effect(FileStatus.SUCCEEDED, 0, Hold.DROP)),
    EventKind.FILE_FAILED: dict.fromkeys(FileStatus, Effect(FileStatus.FAILED, 0, Hold.DROP)),
    EventKind.FILE_SKIPPED: dict.fromkeys(FileStatus, Effect(FileStatus.SKIPPED, 0, Hold.DROP)),
    # In progress: an attempt failed and the next one follows under the same lease. Failed: requeued.
    EventKind.FILE_RETRIED: {
        FileStatus.IN_PROGRESS: Effect(FileStatus.IN_PROGRESS, 1, Hold.KEEP),
        FileStatus.FAILED: Effect(FileStatus.PENDING, 0, Hold.DROP),
    },
    # Only an item in progress is interrupted (its worker died or let go): back to pending.
    EventKind.FILE_INTERRUPTED: {FileStatus.IN_PROGRESS: Effect(FileStatus.PENDING, 0, Hold.DROP)},
    # Only a finished item is requeued for a re-run: its outcome is undone (pending or in progress: as is).
    EventKind.FILE_REQUEUED: dict.fromkeys(
        (FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED),
        Effect(FileStatus.PENDING, 0, Hold.DROP),
    ),
}
"""``TRANSITIONS[kind][status]``: the effect of a FILE_* event (FILE_ADDED aside) on an item in ``status``."""

ITEM_KINDS: Final = frozenset({EventKind.FILE_ADDED, *TRANSITIONS})
"""The kinds that can change an item; any other kind naming an item changes nothing."""


def _uniform(by_status: Mapping[FileStatus, Effect]) -> Effect | None:
    effects = {by_status.get(status) for status in FileStatus}
    return effects.pop() if len(effects) == 1 else None


UNIFORM: Final[Mapping[EventKind, Effect]] = {
    kind: effect for kind, by_status in TRANSITIONS.items() if (effect := _uniform(by_status)) is not None
}
"""The kinds whose effect is the same whatever the item's status (what a set-based write may apply)."""


def effect_of(kind: EventKind, status: FileStatus) -> Effect | None:
    """Return the effect of an event of ``kind`` on an item in ``status`` (None: it changes nothing)."""
    by_status = TRANSITIONS.get(kind)
    return None if by_status is None else by_status.get(status)


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the items projection, as far as the journal decides it.

    ``ordinal`` is the seq of the item's FILE_ADDED event (backends may number items their own way, in
    the same order).
    """

    key: str
    size: int = 0
    status: FileStatus = FileStatus.PENDING
    attempts: int = 0
    lease_id: str | None = None
    batch_id: str | None = None
    worker_id: str | None = None
    ordinal: int = 0


def step(item: Item | None, event: Event, *, seq: int = 0, lease_id: str | None = None) -> Item | None:
    """Return ``item`` after ``event`` (None: the run has no such item); the same object if unchanged.

    Args:
        item: the item the event names, or None when the run does not have it.
        event: any journal event (only FILE_* events naming an item change anything).
        seq: the event's seq (the ordinal of an item it adds).
        lease_id: the lease the writer holds (``claim``), None for ``append``.
    """
    key = event.path
    kind = event.kind
    if item is None:
        if kind is EventKind.FILE_ADDED and key is not None:
            return Item(key, event.size or 0, ordinal=seq)
        return None
    effect = effect_of(kind, item.status)
    if effect is None:
        return item
    status, attempts, hold = effect
    if hold is Hold.TAKE:
        return Item(
            item.key, item.size, status, item.attempts + attempts, lease_id, event.batch_id, event.worker_id,
            item.ordinal,
        )  # fmt: skip
    lease = item.lease_id if hold is Hold.KEEP else None
    return Item(
        item.key, item.size, status, item.attempts + attempts, lease, item.batch_id, item.worker_id,
        item.ordinal,
    )  # fmt: skip


def fold(
    items: Mapping[str, Item], events: Sequence[Event], *, first_seq: int = 1, lease_id: str | None = None
) -> dict[str, Item]:
    """Apply events (seqs from ``first_seq``) to the items they name; return the items that changed.

    ``items`` holds the current rows of (at least) every key the events name; it is not modified. The
    result maps each new or changed key to its final row, in the order the events first changed them.
    """
    current = dict(items)
    changed: dict[str, Item] = {}
    for seq, event in enumerate(events, first_seq):
        key = event.path
        if key is None or event.kind not in ITEM_KINDS:
            continue
        before = current.get(key)
        after = step(before, event, seq=seq, lease_id=lease_id)
        if after is not before and after is not None:
            current[key] = changed[key] = after
    return changed
