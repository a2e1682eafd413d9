"""What a check said, as its journal event: ``verdict_of`` turns a validate function's outcome into one.

A validate function is user code: what it returns or raises may be any object. ``verdict_of`` never raises
on it and always yields the item's verdict:

- ``True`` or ``None``: ITEM_VALIDATED;
- a ``Mismatch``: ITEM_MISMATCHED, its ``detail`` as the message and ``expected``/``actual`` as a JSON
  object (a value JSON cannot hold is kept as its text);
- an exception, whatever its class (``SystemExit`` and ``KeyboardInterrupt`` raised by a check are the check's
  failure, not a request to stop): ITEM_VALIDATION_ERROR naming its type;
- anything else: ITEM_VALIDATION_ERROR saying what was returned.

Every text taken from such an object is ``safe_text``: ``str()`` of it, or its ``repr()`` if that fails, or
``<unprintable TYPE>``; cut to a bounded length, so one odd verdict can neither crash the pass nor fill the
journal.

``Verdicts`` collects a batch's verdicts as its checks end: the valid ones (nearly all) as keys and times,
journaled as one run (``ItemRun``) without an event per item, the others as their events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from omnimemory_kit.events import (
    MAX_ERROR_MESSAGE,
    Event,
    EventKind,
    ItemRun,
    JournalEntry,
    error_type_name,
    item_event,
)

__all__ = [
    "MAX_REASON",
    "CheckNotStopped",
    "Mismatch",
    "ValidationTimeout",
    "Verdicts",
    "safe_text",
    "verdict_of",
]

MAX_REASON: Final = 4 * MAX_ERROR_MESSAGE
"""Characters of a mismatch's ``expected``/``actual`` JSON at most (longer values are kept as cut text)."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """What a validate function returns for an item that is wrong."""

    detail: str
    expected: Any = None
    actual: Any = None


class ValidationTimeout(Exception):
    """A validate function ran longer than the pass's timeout (its item's state is error)."""


class CheckNotStopped(ValidationTimeout):
    """An async validate function ran past its timeout and went on when cancelled; it was left behind."""


def safe_text(value: object, limit: int = MAX_ERROR_MESSAGE) -> str:
    """Return ``str(value)`` (else its ``repr()``, else ``<unprintable TYPE>``), cut to ``limit``."""
    if type(value) is str:
        text = value
    else:
        try:
            text = str(value)
        except Exception:
            try:
                text = repr(value)
            except Exception:
                text = f"<unprintable {type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _reason(expected: object, actual: object) -> str:
    """Return ``{"expected": ..., "actual": ...}`` as JSON, values JSON cannot hold kept as their text."""
    try:
        text = json.dumps({"expected": expected, "actual": actual}, default=safe_text)
    except Exception:  # keys JSON cannot hold, a cycle, nesting too deep: each side as its text
        text = ""
    if not text or len(text) > MAX_REASON:
        half = MAX_REASON // 2 - 32
        text = json.dumps({"expected": _plain(expected, half), "actual": _plain(actual, half)})
    return text


def _plain(value: object, limit: int) -> object:
    if value is None or type(value) in (bool, int, float):
        return value
    return safe_text(value, limit)


def _error_message(error: BaseException) -> str:
    text = safe_text(error)
    if isinstance(error, Exception):
        return text or type(error).__name__
    # a BaseException that is not an Exception (SystemExit, KeyboardInterrupt...): name it in the message,
    # which is all the mismatch table shows
    name = type(error).__name__
    return safe_text(f"{name}: {text}" if text else name)


def verdict_of(key: str, outcome: object, at: float, *, worker_id: str | None = None) -> Event:
    """Turn what a validate function returned (or raised) into its journal event; never raises on it."""
    if outcome is True or outcome is None:  # the common case first, built the fast way
        return item_event(EventKind.ITEM_VALIDATED, at, key, worker_id)
    try:
        return _verdict(key, outcome, at, worker_id)
    except Exception as exc:  # an outcome odd beyond what _verdict guards against: still the item's verdict
        return Event(
            EventKind.ITEM_VALIDATION_ERROR,
            at=at,
            path=key,
            worker_id=worker_id,
            error_type=error_type_name(exc),
            error_message=safe_text(f"the check's verdict could not be recorded: {safe_text(exc)}"),
        )


def _verdict(key: str, outcome: object, at: float, worker_id: str | None) -> Event:
    if isinstance(outcome, BaseException):
        return Event(
            EventKind.ITEM_VALIDATION_ERROR,
            at=at,
            path=key,
            error_type=error_type_name(outcome),
            error_message=_error_message(outcome),
            worker_id=worker_id,
        )
    if isinstance(outcome, Mismatch):
        return Event(
            EventKind.ITEM_MISMATCHED,
            at=at,
            path=key,
            error_message=safe_text(outcome.detail),
            reason=_reason(outcome.expected, outcome.actual),
            worker_id=worker_id,
        )
    return Event(
        EventKind.ITEM_VALIDATION_ERROR,
        at=at,
        path=key,
        worker_id=worker_id,
        error_type="TypeError",
        error_message=(
            f"the validate function returned {type(outcome).__name__}; "
            f"expected True or None (valid) or a Mismatch"
        ),
    )


class Verdicts:
    """The verdicts of a batch of checks, in the order the checks ended.

    The valid ones are kept as key and time (``valid``, ``ats``): journaled as one ``ItemRun`` and folded
    by keys, they cost no event per item, where a verdict is most of a no-op check's cost. The others
    (mismatches, errors: rare) are kept as their events (``others``).
    """

    __slots__ = ("_after", "ats", "others", "valid", "worker_id")

    def __init__(self, worker_id: str | None = None) -> None:
        self.worker_id = worker_id
        self.valid: list[str] = []  # keys checked valid
        self.ats: list[float] = []  # when each of those checks ended
        self.others: list[Event] = []  # every other verdict
        self._after: list[int] = []  # how many valid ones came before each of ``others`` (their order)

    def __len__(self) -> int:
        return len(self.valid) + len(self.others)

    def add(self, key: str, outcome: object, at: float) -> None:
        """Record what the check of ``key`` returned (or raised), ended at ``at``."""
        if outcome is None or outcome is True:
            self.valid.append(key)
            self.ats.append(at)
        else:
            self._after.append(len(self.valid))
            self.others.append(verdict_of(key, outcome, at, worker_id=self.worker_id))

    def journal(self) -> list[JournalEntry]:
        """Return what to journal: the valid verdicts as one run (each at its own time), then the others."""
        if not self.valid:
            return list(self.others)
        ats = self.ats
        run = ItemRun(EventKind.ITEM_VALIDATED, max(ats), self.valid, worker_id=self.worker_id, ats=ats)
        return [run, *self.others]

    def events(self) -> list[Event]:
        """Return every verdict as its event, in the order the checks ended."""
        validated, worker_id = EventKind.ITEM_VALIDATED, self.worker_id
        valid = zip(self.valid, self.ats, strict=True)
        valid_events = [item_event(validated, at, key, worker_id) for key, at in valid]
        if not self.others:
            return valid_events
        events: list[Event] = []
        start = 0
        for after, other in zip(self._after, self.others, strict=True):
            events += valid_events[start:after]
            events.append(other)
            start = after
        events += valid_events[start:]
        return events
