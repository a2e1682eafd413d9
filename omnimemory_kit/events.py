"""The migration journal's vocabulary: what can happen to a run, a batch and a file.

A migration is an append-only log of these events. The tracker's state is a reduction of the log
(``MigrationProgressTracker.apply``), resume after a crash is a replay, and reports are queries over it.
Events are small frozen slotted dataclasses rather than pydantic models: the tracker folds hundreds of
thousands of them per second, and the store writes them as rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from itertools import repeat
from types import MappingProxyType
from typing import Any, Final, cast

__all__ = [
    "CONTROL_KINDS",
    "EVENT_KINDS",
    "FILE_STATUSES",
    "FINISHED_RUN_STATUSES",
    "MAX_ERROR_MESSAGE",
    "STRING_ERROR_TYPE",
    "Event",
    "EventKind",
    "FileStatus",
    "ItemRun",
    "JournalEntry",
    "MigrationPriority",
    "MigrationStatus",
    "error_message",
    "error_type_name",
    "events_of_rows",
    "expand_runs",
    "has_runs",
    "item_event",
    "item_events",
    "journal_length",
]

MAX_ERROR_MESSAGE: Final = 2000
"""Characters of an error message an event keeps (longer ones end in an ellipsis)."""

STRING_ERROR_TYPE: Final = "Error"
"""The error type recorded when a failure is given as a message rather than an exception."""


class EventKind(StrEnum):
    """Everything the journal records. The string values are stored; never rename them."""

    # run lifecycle
    RUN_CREATED = "run_created"
    RUN_STARTED = "run_started"
    RUN_PAUSED = "run_paused"
    RUN_RESUMED = "run_resumed"
    RUN_COMPLETED = "run_completed"
    RUN_FAILED = "run_failed"
    RUN_CANCELLED = "run_cancelled"
    # batches
    BATCH_OPENED = "batch_opened"
    BATCH_CLOSED = "batch_closed"
    # files (work items)
    FILE_ADDED = "file_added"  # size
    FILE_STARTED = "file_started"  # batch_id, worker_id
    FILE_SUCCEEDED = "file_succeeded"
    FILE_FAILED = "file_failed"  # error_type, error_message: failed for good (until retry_file)
    FILE_RETRIED = "file_retried"  # from IN_PROGRESS: an attempt failed and will be retried (error_*);
    #                                 from FAILED: requeued to PENDING by retry_file()
    FILE_SKIPPED = "file_skipped"  # reason
    FILE_INTERRUPTED = "file_interrupted"  # in progress when its worker died: back to PENDING
    FILE_REQUEUED = "file_requeued"  # a finished item (succeeded, failed, skipped) requeued for a re-run
    #                                   (reason: why, e.g. "rerun"): back to PENDING, its outcome undone
    # the circuit breaker around the migration target (time with it open is excluded from rates)
    BREAKER_OPENED = "breaker_opened"
    BREAKER_CLOSED = "breaker_closed"
    # control of a running run, kept in the run's control stream (``migration/control.py``): ``worker_id``
    # says who (``user@host``), ``reason`` why, ``path`` the arguments as a JSON object
    CONTROL_PAUSE = "control_pause"
    CONTROL_RESUME = "control_resume"
    CONTROL_THROTTLE = "control_throttle"  # {"for": seconds} or {}
    CONTROL_UNTHROTTLE = "control_unthrottle"
    CONTROL_SET = (
        "control_set"  # {"concurrency": 4, "batch-size": 50, "max-rate": 20.0, "item-timeout": 30.0}
    )
    CONTROL_RETRY_FAILED = "control_retry_failed"
    CONTROL_RERUN = "control_rerun"  # {"what": "batch:ID" | "failed" | "keys", "requeued": n}: done at once
    CONTROL_CANCEL = "control_cancel"
    CONTROL_APPROVE = "control_approve"  # {"gate": "cut-over"}; worker_id is the approver
    CONTROL_PANIC = "control_panic"
    GATE_WAITING = "gate_waiting"  # {"gate": "cut-over"}: every item is done, finalize waits for approval
    # health gating: claiming stopped because the run's health rules said so (reason: why; error_message:
    # the compact health snapshot, JSON), and claiming allowed again (time throttled is excluded from rates)
    RUN_THROTTLED = "run_throttled"
    RUN_UNTHROTTLED = "run_unthrottled"
    # a sync call that outlived its timeout and still holds its thread (path, worker_id), and its return
    CALL_STUCK = "call_stuck"
    CALL_FREED = "call_freed"
    # validation of a finished item (``migration/validation.py``): the latest of these for a key is its state
    ITEM_VALIDATED = "item_validated"  # path
    ITEM_MISMATCHED = "item_mismatched"  # path, error_message (detail), reason (expected/actual as JSON)
    ITEM_VALIDATION_ERROR = "item_validation_error"  # path, error_type, error_message (raised or timed out)


EVENT_KINDS: Final[Mapping[str, EventKind]] = MappingProxyType({kind.value: kind for kind in EventKind})
"""The stored value of every kind this version knows. A store decodes a row's kind through it and refuses a
value it lacks (``UnknownEventKindError``): a journal written by a newer version, or damaged, is never
half-read."""


class MigrationStatus(StrEnum):
    """A run's lifecycle: pending → running ⇄ paused → completed / failed / cancelled."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_RUN_STATUSES: Final = frozenset(
    {MigrationStatus.COMPLETED, MigrationStatus.FAILED, MigrationStatus.CANCELLED}
)
"""The statuses a run ends in: nothing runs until it is started (or requeued) again."""


def error_type_name(error: BaseException | str | None) -> str:
    """Return the qualified type name recorded for an error.

    Builtins keep their bare name (``ValueError``); others are qualified by module
    (``json.decoder.JSONDecodeError``). A message given as a string (or no error at all) is recorded as
    ``STRING_ERROR_TYPE`` (``"Error"``).
    """
    if isinstance(error, BaseException):
        kind = type(error)
        if kind.__module__ == "builtins":
            return kind.__qualname__
        return f"{kind.__module__}.{kind.__qualname__}"
    return STRING_ERROR_TYPE


def error_message(error: BaseException | str | None) -> str:
    """Return the message recorded for an error, cut to ``MAX_ERROR_MESSAGE`` characters.

    An exception without a message is recorded by its type name, so a failure never reads as blank.
    """
    if isinstance(error, BaseException):
        message = str(error) or type(error).__name__
    else:
        message = "" if error is None else str(error)
    if len(message) > MAX_ERROR_MESSAGE:
        message = message[: MAX_ERROR_MESSAGE - 1] + "…"
    return message


class MigrationPriority(StrEnum):
    """How urgent a migration is (informational; recorded with the run)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class FileStatus(StrEnum):
    """Where one work item stands. Finished = SUCCEEDED + FAILED + SKIPPED."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


FILE_STATUSES: Final[Mapping[str, FileStatus]] = MappingProxyType(
    {status.value: status for status in FileStatus}
)
"""Every item status by its stored value (a store decodes its items' status column through it)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One journal entry.

    Attributes:
        kind: what happened.
        at: wall-clock time (epoch seconds) from the tracker's or runner's clock.
        path: the work item's key, for FILE_* events; the arguments as a JSON object, for CONTROL_* events.
        size: bytes, for FILE_ADDED.
        batch_id: the batch, for BATCH_* and FILE_STARTED.
        error_type: the exception's qualified type name, for FILE_FAILED / FILE_RETRIED.
        error_message: the exception's message (truncated by the store if huge).
        reason: free text: skip reason, pause reason, run failure reason.
        worker_id: who did it, for multi-worker runs (``host:pid:token``).
        seq: position in the run's journal, assigned by the store (0 until appended).
    """

    kind: EventKind
    at: float
    path: str | None = None
    size: int | None = None
    batch_id: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    reason: str | None = None
    worker_id: str | None = None
    seq: int = 0


CONTROL_KINDS = frozenset(kind for kind in EventKind if kind.value.startswith("control_"))
"""The commands an operator can give a run (``GATE_WAITING`` is the runner's, not a command)."""

# The slots' setters, in field order: events built in bulk below set each slot once through them, which
# costs half of what the frozen dataclass's __init__ does (an object.__setattr__ call per field).
_SETTERS: Final = tuple(getattr(Event, f.name).__set__ for f in fields(Event))
assert [f.name for f in fields(Event)] == [
    "kind", "at", "path", "size", "batch_id", "error_type", "error_message", "reason", "worker_id", "seq"
], "item_events sets Event's fields by position"  # fmt: skip


def item_events(
    kind: EventKind,
    at: float,
    keys: Iterable[str],
    *,
    sizes: Iterable[int] | None = None,
    batch_id: str | None = None,
    worker_id: str | None = None,
) -> list[Event]:
    """Return ``[Event(kind, at, path=key, size=size, batch_id=..., worker_id=...) for each key]``, faster.

    The hot paths of a run (the items it adds, each claim's starts, each outcome) build hundreds of
    thousands of these; the events are equal to those the constructor builds, and just as frozen.
    """
    new = Event.__new__
    s_kind, s_at, s_path, s_size, s_batch, s_type, s_message, s_reason, s_worker, s_seq = _SETTERS
    events: list[Event] = []
    append = events.append
    pairs = zip(keys, repeat(None)) if sizes is None else zip(keys, sizes, strict=True)
    for key, size in pairs:
        event = new(Event)
        s_kind(event, kind)
        s_at(event, at)
        s_path(event, key)
        s_size(event, size)
        s_batch(event, batch_id)
        s_type(event, None)
        s_message(event, None)
        s_reason(event, None)
        s_worker(event, worker_id)
        s_seq(event, 0)
        append(event)
    return events


def item_event(kind: EventKind, at: float, key: str, worker_id: str | None) -> Event:
    """Return ``Event(kind, at, path=key, worker_id=worker_id)``, built like ``item_events`` (an outcome)."""
    event = Event.__new__(Event)
    s_kind, s_at, s_path, s_size, s_batch, s_type, s_message, s_reason, s_worker, s_seq = _SETTERS
    s_kind(event, kind)
    s_at(event, at)
    s_path(event, key)
    s_size(event, None)
    s_batch(event, None)
    s_type(event, None)
    s_message(event, None)
    s_reason(event, None)
    s_worker(event, worker_id)
    s_seq(event, 0)
    return event


def events_of_rows(rows: Iterable[Sequence[Any]], kinds: Mapping[str, EventKind]) -> list[Event]:
    """Return the events of journal rows ``(kind, at, path, size, batch_id, error_type, error_message, reason,
    worker_id, seq)`` (kinds by stored value), built as ``item_events`` builds them: a replay reads
    millions, and the frozen dataclass's own ``__init__`` is half of what reading one costs.

    Raises:
        KeyError: a row's kind is not in ``kinds`` (the caller names the row).
    """
    new = Event.__new__
    s_kind, s_at, s_path, s_size, s_batch, s_type, s_message, s_reason, s_worker, s_seq = _SETTERS
    events: list[Event] = []
    append = events.append
    for kind, at, path, size, batch_id, error_type, error_message, reason, worker_id, seq in rows:
        event = new(Event)
        s_kind(event, kinds[kind])
        s_at(event, at)
        s_path(event, path)
        s_size(event, size)
        s_batch(event, batch_id)
        s_type(event, error_type)
        s_message(event, error_message)
        s_reason(event, reason)
        s_worker(event, worker_id)
        s_seq(event, seq)
        append(event)
    return events


@dataclass(frozen=True, slots=True)
class ItemRun:
    """A run of item events of one kind, given by their keys (``item_events``' arguments).

    What a chunk of additions, a claim's starts or a batch's valid verdicts journal, kept as keys: a fold
    that can take keys (``RunState.fold_item_run``, ``ValidationLedger.apply_item_run``) spares building an
    ``Event`` per item; ``events()`` builds them for the folds that cannot. Their seq is 0 (not read back
    from the store).

    Attributes:
        ats: each key's own time, where the events were not all at once (a batch's verdicts, each stamped
            when its check ended); ``at`` is then the latest. None: every event is at ``at``.
    """

    kind: EventKind
    at: float
    keys: list[str]
    sizes: list[int] | None = None
    batch_id: str | None = None
    worker_id: str | None = None
    ats: list[float] | None = None

    def events(self) -> list[Event]:
        """Return the run's events, as ``item_events`` builds them."""
        if self.ats is None:
            return item_events(
                self.kind, self.at, self.keys, sizes=self.sizes, batch_id=self.batch_id,
                worker_id=self.worker_id,
            )  # fmt: skip
        sizes = [None] * len(self.keys) if self.sizes is None else self.sizes
        kind, batch_id, worker_id = self.kind, self.batch_id, self.worker_id
        return [
            Event(kind, at, path=key, size=size, batch_id=batch_id, worker_id=worker_id)
            for key, at, size in zip(self.keys, self.ats, sizes, strict=True)
        ]


JournalEntry = Event | ItemRun
"""What a write hands the journal: an event, or a run of item events given by their keys."""


def has_runs(entries: Iterable[JournalEntry]) -> bool:
    """Tell whether ``entries`` hold a run (one pass in C: a thousand outcomes cost no Python loop)."""
    return ItemRun in set(map(type, entries))


def journal_length(entries: Sequence[JournalEntry]) -> int:
    """Return how many journal events ``entries`` stand for (a run counts its keys)."""
    if not has_runs(entries):
        return len(entries)
    return sum(1 if isinstance(entry, Event) else len(entry.keys) for entry in entries)


def expand_runs(entries: Sequence[JournalEntry]) -> list[Event]:
    """Return ``entries`` as events, in order, each run's built (a list of events is returned as it is)."""
    if not has_runs(entries):
        return cast("list[Event]", entries if isinstance(entries, list) else list(entries))
    events: list[Event] = []
    for entry in entries:
        if isinstance(entry, Event):
            events.append(entry)
        else:
            events.extend(entry.events())
    return events
