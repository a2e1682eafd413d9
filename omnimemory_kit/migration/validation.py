"""Validation of a migrated run: check each succeeded item with a function, journal the verdict.

``validate_fn(item)`` returns ``True`` or ``None`` (the item is right), a ``Mismatch`` (a short detail, and
optionally what was expected and what was found), or raises (the check itself failed). Each verdict is one
journal event (ITEM_VALIDATED, ITEM_MISMATCHED, ITEM_VALIDATION_ERROR); an item's state is its latest
verdict, or pending before it has one (``ValidationLedger`` folds the journal, O(1) per event).

Where checks run: after each batch, under leases, while the run goes on (``MigrationRunner(validate=...)``,
``validation_pipeline``), or in a separate pass after the run (``validation_pass.validate_run``). Either way
``check_items`` checks the items, ``concurrency`` at a time: a sync check runs on lanes of daemon threads
(``check_threads``), an async one on the loop (``validation_checks``). A check that outlives the timeout is
recorded as an error (``ValidationTimeout``); a sync one's thread is abandoned, never joined, so a hung
check cannot keep the process alive, and an async one that goes on when cancelled is detached
(``detachable``). ``verdict_of`` turns what a check returned or raised, however odd, into its verdict
(``validation_verdicts``). This module keeps the state: the ledger and the summaries it gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby, repeat
from operator import attrgetter
from typing import Any, Final

from omnimemory_kit.events import Event, EventKind, ItemRun
from omnimemory_kit.migration.summary import ValidationCounts
from omnimemory_kit.migration.validation_checks import check_items
from omnimemory_kit.migration.validation_verdicts import (
    CheckNotStopped,
    Mismatch,
    ValidationTimeout,
    verdict_of,
)

__all__ = [
    "LEDGER_KINDS",
    "CheckNotStopped",
    "Mismatch",
    "MismatchRow",
    "ValidationLedger",
    "ValidationState",
    "ValidationSummary",
    "ValidationTimeout",
    "check_items",
    "verdict_of",
]

_VERDICTS: Final = frozenset(
    {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}
)


_UNDONE: Final = frozenset(
    {EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_STARTED, EventKind.FILE_REQUEUED}
)
"""The item kinds after which an item's earlier success (and its verdict) no longer holds."""
_ADD, _SUCCESS, _UNDO, _VERDICT = range(4)
_ACT: Final = {
    EventKind.FILE_ADDED: _ADD,
    EventKind.FILE_SUCCEEDED: _SUCCESS,
    **dict.fromkeys(_UNDONE, _UNDO),
    **dict.fromkeys(_VERDICTS, _VERDICT),
}
"""What ``ValidationLedger.apply`` does with each kind it looks at (any other kind: nothing)."""
_KIND: Final = attrgetter("kind")
_PATH: Final = attrgetter("path")
LEDGER_KINDS: Final = frozenset(_ACT)
"""The kinds ``ValidationLedger.apply`` folds (what a reader of the journal for it needs)."""


class ValidationState(StrEnum):
    """Where one item's validation stands."""

    PENDING = "pending"
    VALIDATED = "validated"
    MISMATCHED = "mismatched"
    ERROR = "error"


_STATE_OF: Final = {
    EventKind.ITEM_VALIDATED: ValidationState.VALIDATED,
    EventKind.ITEM_MISMATCHED: ValidationState.MISMATCHED,
    EventKind.ITEM_VALIDATION_ERROR: ValidationState.ERROR,
}


_VALIDATED: Final = Event(EventKind.ITEM_VALIDATED, at=0.0)
"""What ``ValidationLedger.verdicts`` holds for every validated item."""


@dataclass(frozen=True, slots=True)
class MismatchRow:
    """One row of the mismatch table: the item, what was wrong, and when it was found (epoch seconds)."""

    key: str
    detail: str
    at: float
    expected: Any = None
    actual: Any = None


@dataclass(frozen=True, slots=True)
class ValidationSummary:
    """Counts of a run's validation states over its succeeded items, the mismatch table and the errors."""

    items: int
    validated: int
    mismatched: int
    error: int
    pending: int
    checked_now: int = 0
    mismatches: tuple[MismatchRow, ...] = ()
    errors: tuple[MismatchRow, ...] = ()

    def counts(self) -> ValidationCounts:
        """Return the counts alone (with their rates and status phrase)."""
        return ValidationCounts(
            items=self.items,
            pending=self.pending,
            validated=self.validated,
            mismatched=self.mismatched,
            error=self.error,
        )

    @property
    def validated_rate(self) -> float:
        """Validated over checked items, in percent (0 while none is checked)."""
        return self.counts().validated_rate

    def status_text(self) -> str:
        """Say how validation ended: ``completed, 3 mismatched``, ``completed, all validated``, ..."""
        return self.counts().status

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-ready values."""

        def rows(table: tuple[MismatchRow, ...]) -> list[dict[str, Any]]:
            return [
                {"key": r.key, "detail": r.detail, "at": r.at, "expected": r.expected, "actual": r.actual}
                for r in table
            ]

        return {
            "status": self.status_text(),
            "items": self.items,
            "validated": self.validated,
            "mismatched": self.mismatched,
            "error": self.error,
            "pending": self.pending,
            "checked_now": self.checked_now,
            "validated_rate": self.validated_rate,
            "mismatch_rate": self.counts().mismatch_rate,
            "mismatches": rows(self.mismatches),
            "errors": rows(self.errors),
        }


# An item's entry in the ledger, one int: bits 0-1 its latest verdict (``_CODE_OF``; 0: none), bit 2 set
# once its migration succeeded (cleared when it runs again), bit 3 set once it was added with a size, and
# that size, as first added, above those (``entry >> 4``; ``entry & 15`` the flags, negative sizes
# included). An addition without a size (0 or unknown) leaves no entry: an item of a source that gives no
# sizes gets its entry when it succeeds, so a run's additions and its claims' starts cost the ledger no
# write, and the fold of its successes finds them absent, in C.
_VERDICT_BITS: Final = 3
_SUCCEEDED: Final = 4
_ADDED: Final = 8
_FLAGS: Final = 15
_OWED_BITS: Final = _SUCCEEDED | _VERDICT_BITS
_SHIFT: Final = 4
_CODE_OF: Final = {
    EventKind.ITEM_VALIDATED: 1,
    EventKind.ITEM_MISMATCHED: 2,
    EventKind.ITEM_VALIDATION_ERROR: 3,
}
_VALID_CODE: Final = 1
_STATE_BY_CODE: Final = (
    ValidationState.PENDING,
    ValidationState.VALIDATED,
    ValidationState.MISMATCHED,
    ValidationState.ERROR,
)
# C-level tests over many entries at once (``map`` of these spares a Python loop per key)
_VERDICT_OF: Final = _VERDICT_BITS.__and__
_SUCCESS_AND_VERDICT: Final = (_SUCCEEDED | _VERDICT_BITS).__and__
_WITH_SUCCESS: Final = _SUCCEEDED.__or__
_WITH_VALID: Final = _VALID_CODE.__or__


class ValidationLedger:
    """The validation state of every item of a run, folded from its journal.

    One dict holds an int per item (its latest verdict, whether it succeeded, its size as added), so the
    runner's fold of a batch (its additions, starts, successes and verdicts) touches one entry per item
    and phase, mostly in C; the events of the rare verdicts (mismatched, error) are kept beside it for
    the tables. ``tally`` keeps how many succeeded items are in each state, so ``counts()`` is O(1).

    ``succeeded`` (key -> size of the items whose migration succeeded), ``verdicts`` (key -> latest
    verdict event; a validated item's is one shared event, its time never read) and ``sizes`` (key ->
    size as first added) are read-only views. ``event_verdicts`` counts the verdicts folded from events.
    """

    __slots__ = ("_flagged", "_items", "_unsized", "event_verdicts", "tally")

    def __init__(self) -> None:
        self._items: dict[str, int] = {}
        self._flagged: dict[str, Event] = {}  # the latest verdict of items mismatched or in error
        self._unsized: set[str] = set()  # succeeded before they were added with a size: 0 (as then)
        self.tally: dict[ValidationState, int] = dict.fromkeys(ValidationState, 0)
        # verdicts folded from events (``apply``), not from runs given by keys (``apply_item_run``): while it
        # stands still, no verdict came but those of runs by keys (a runner's own batches' valid verdicts)
        self.event_verdicts = 0

    @property
    def succeeded(self) -> Mapping[str, int]:
        """Key -> size of every item whose migration succeeded (since it last ran), in the order the ledger
        first met them (added with a size, else succeeded)."""
        return _Succeeded(self)

    @property
    def verdicts(self) -> Mapping[str, Event]:
        """Key -> latest verdict of every item that has one (a shared event for the validated ones)."""
        return _Verdicts(self)

    @property
    def sizes(self) -> Mapping[str, int]:
        """Key -> size as first added, of every item added with a size (not 0 nor unknown)."""
        return {key: entry >> _SHIFT for key, entry in self._items.items() if entry & _ADDED}

    def size_of(self, key: str) -> int:
        """Return a succeeded item's size (as added before it succeeded; 0 when it was not)."""
        entry = self._items.get(key, 0)
        return 0 if key in self._unsized else entry >> _SHIFT

    def owed(self, keys: Iterable[str] | None = None) -> list[str]:
        """Return which of ``keys`` (default: every item) succeeded with no verdict since (owe a check)."""
        if keys is None:
            return [key for key, entry in self._items.items() if entry & _OWED_BITS == _SUCCEEDED]
        get = self._items.get
        return [key for key in keys if get(key, 0) & _OWED_BITS == _SUCCEEDED]

    def any_verdict(self, keys: Iterable[str]) -> bool:
        """Tell whether any of ``keys`` has a verdict (in C: the common answer, no, costs no Python loop)."""
        return any(map(_VERDICT_OF, map(self._items.get, keys, repeat(0))))

    def apply(self, events: Iterable[Event]) -> None:
        """Fold journal events in order (the runner feeds it every durable event: keep it lean).

        Events come in runs of one kind (a chunk of additions, a claim's starts, a batch's outcomes and
        its verdicts): each run is folded by its kind's loop, keys taken in bulk where order within the run
        cannot matter (additions keep the first size, starts and other undos are idempotent per key).
        """
        for kind, run in groupby(events, _KIND):
            action = _ACT.get(kind)
            if action is None:
                continue
            run_list = list(run)
            if action == _ADD:
                self._add(run_list)
                continue
            keys = list(map(_PATH, run_list))
            if None in keys:  # (an item event always names its item: the scan costs less than a filter)
                keys = [key for key in keys if key is not None]
            if not keys:
                continue
            if action == _SUCCESS:
                self._succeed(keys)
            elif action == _UNDO:
                self._undo(keys)
            else:
                self.event_verdicts += len(keys)
                if kind is EventKind.ITEM_VALIDATED:
                    self._validate(keys)
                else:
                    self._judge(kind, run_list)

    def apply_item_run(self, run: ItemRun) -> None:
        """Fold a chunk's additions, a claim's starts or a batch's valid verdicts given by keys, as
        ``apply(run.events())`` does."""
        if run.kind is EventKind.ITEM_VALIDATED:
            self._validate(run.keys)
        elif run.kind is EventKind.FILE_ADDED:
            self._add_keys(run.keys, run.sizes)
        elif _ACT.get(run.kind) == _UNDO:
            self._undo(run.keys)
        else:
            self.apply(run.events())

    def _add_keys(self, keys: list[str], given: Sequence[int | None] | None) -> None:
        """Fold additions: each key's size as first added (one without a size leaves no mark)."""
        if given is None or not any(given):  # the usual chunk of a source without sizes: nothing to keep
            return
        items = self._items
        sized = [(key, size) for key, size in zip(keys, given, strict=True) if size]
        fresh = {key: size * 16 + _ADDED for key, size in sized}
        # the common chunk (new keys, each once) in one update, in C; else one key at a time
        if len(fresh) == len(sized) and items.keys().isdisjoint(fresh):
            items.update(fresh)
            return
        get = items.get
        for key, size in sized:
            entry = get(key, 0)
            if not entry & _ADDED:  # (its flags kept: a success or verdict folded before its addition)
                if entry & _SUCCEEDED:  # its size when it succeeded was none
                    self._unsized.add(key)
                items[key] = size * 16 + (entry & _FLAGS) + _ADDED

    def _add(self, run: list[Event]) -> None:
        pairs = [(event.path, event.size) for event in run if event.path is not None]
        self._add_keys([key for key, _ in pairs], [size for _, size in pairs])

    def _succeed(self, keys: list[str]) -> None:
        items, tally = self._items, self.tally
        fresh = dict.fromkeys(keys, _SUCCEEDED)  # a key twice in one run counts once, as one at a time would
        # the common runs, found in C: items without an entry (a source without sizes), or added with a
        # size and neither succeeded nor judged since they last ran
        if items.keys().isdisjoint(fresh):
            items.update(fresh)
            tally[ValidationState.PENDING] += len(fresh)
            return
        entries = list(map(items.get, fresh, repeat(0)))
        if not any(map(_SUCCESS_AND_VERDICT, entries)):
            items.update(zip(fresh, map(_WITH_SUCCESS, entries), strict=True))
            tally[ValidationState.PENDING] += len(entries)
            return
        for key, entry in zip(fresh, entries, strict=True):
            if entry & _SUCCEEDED:
                continue
            items[key] = entry | _SUCCEEDED
            tally[_STATE_BY_CODE[entry & _VERDICT_BITS]] += 1

    def _undo(self, keys: list[str]) -> None:
        items = self._items
        # the common case (a claim's starts of items never run): nothing to undo, found in C
        if items.keys().isdisjoint(keys) or not any(
            map(_SUCCESS_AND_VERDICT, map(items.get, keys, repeat(0)))
        ):
            return
        tally, flagged, unsized = self.tally, self._flagged, self._unsized
        for key in keys:
            entry = items.get(key, 0)  # (read again: the key may be in the run twice)
            flags = entry & (_SUCCEEDED | _VERDICT_BITS)
            if not flags:
                continue
            code = entry & _VERDICT_BITS
            if entry & _SUCCEEDED:  # re-run or ended otherwise: its last verdict no longer holds
                tally[_STATE_BY_CODE[code]] -= 1
            if code > _VALID_CODE:
                del flagged[key]
            unsized.discard(key)
            items[key] = entry - flags

    def _validate(self, keys: list[str]) -> None:
        """Fold a run of validated items (a batch's, a pass's chunk)."""
        items, tally = self._items, self.tally
        fresh = dict.fromkeys(keys, _SUCCEEDED | _VALID_CODE)  # a key twice in the run moves once
        entries = list(map(items.get, fresh, repeat(0)))
        # the common runs (a batch's succeeded items, checked for the first time), found in C: of a source
        # without sizes (each entry the success alone), or of any
        if entries.count(_SUCCEEDED) == len(entries):
            items.update(fresh)
            tally[ValidationState.PENDING] -= len(entries)
            tally[ValidationState.VALIDATED] += len(entries)
            return
        if set(map(_SUCCESS_AND_VERDICT, entries)) == {_SUCCEEDED}:
            items.update(zip(fresh, map(_WITH_VALID, entries), strict=True))
            tally[ValidationState.PENDING] -= len(entries)
            tally[ValidationState.VALIDATED] += len(entries)
            return
        for key, entry in zip(fresh, entries, strict=True):
            self._set_verdict(key, entry, _VALID_CODE, None)

    def _judge(self, kind: EventKind, run: list[Event]) -> None:
        code, get = _CODE_OF[kind], self._items.get
        for event in run:
            key = event.path
            if key is not None:
                self._set_verdict(key, get(key, 0), code, event)

    def _set_verdict(self, key: str, entry: int, code: int, event: Event | None) -> None:
        old = entry & _VERDICT_BITS
        if entry & _SUCCEEDED:
            self.tally[_STATE_BY_CODE[old]] -= 1
            self.tally[_STATE_BY_CODE[code]] += 1
        if event is not None:
            self._flagged[key] = event
        elif old > _VALID_CODE:
            del self._flagged[key]
        self._items[key] = entry - old + code

    def state(self, key: str) -> ValidationState:
        """Return an item's validation state."""
        return _STATE_BY_CODE[self._items.get(key, 0) & _VERDICT_BITS]

    def counts(self) -> ValidationCounts:
        """Return the counts over the succeeded items (O(1))."""
        tally = self.tally
        return ValidationCounts(
            items=sum(tally.values()),
            pending=tally[ValidationState.PENDING],
            validated=tally[ValidationState.VALIDATED],
            mismatched=tally[ValidationState.MISMATCHED],
            error=tally[ValidationState.ERROR],
        )

    def summary(self, checked_now: int = 0) -> ValidationSummary:
        """Return the counts over the succeeded items, with the mismatch and error tables."""
        mismatches: list[MismatchRow] = []
        errors: list[MismatchRow] = []
        items = self._items
        for key, verdict in self._flagged.items():
            if not items[key] & _SUCCEEDED:
                continue
            expected, actual = _loads(verdict.reason)
            row = MismatchRow(key, verdict.error_message or "", verdict.at, expected, actual)
            (mismatches if verdict.kind is EventKind.ITEM_MISMATCHED else errors).append(row)
        counts = self.counts()
        return ValidationSummary(
            items=counts.items,
            validated=counts.validated,
            mismatched=counts.mismatched,
            error=counts.error,
            pending=counts.pending,
            checked_now=checked_now,
            mismatches=tuple(sorted(mismatches, key=lambda r: r.at)),
            errors=tuple(sorted(errors, key=lambda r: r.at)),
        )


class _Succeeded(Mapping[str, int]):
    """``ValidationLedger.succeeded``: key -> size of the items whose migration succeeded."""

    __slots__ = ("_ledger",)

    def __init__(self, ledger: ValidationLedger) -> None:
        self._ledger = ledger

    def __getitem__(self, key: str) -> int:
        if not self._ledger._items.get(key, 0) & _SUCCEEDED:
            raise KeyError(key)
        return self._ledger.size_of(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._ledger._items.get(key, 0) & _SUCCEEDED)

    def __iter__(self) -> Iterator[str]:
        return (key for key, entry in self._ledger._items.items() if entry & _SUCCEEDED)

    def __len__(self) -> int:
        return sum(self._ledger.tally.values())


class _Verdicts(Mapping[str, Event]):
    """``ValidationLedger.verdicts``: key -> latest verdict of the items that have one."""

    __slots__ = ("_ledger",)

    def __init__(self, ledger: ValidationLedger) -> None:
        self._ledger = ledger

    def __getitem__(self, key: str) -> Event:
        code = self._ledger._items.get(key, 0) & _VERDICT_BITS
        if not code:
            raise KeyError(key)
        return _VALIDATED if code == _VALID_CODE else self._ledger._flagged[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._ledger._items.get(key, 0) & _VERDICT_BITS)

    def __iter__(self) -> Iterator[str]:
        return (key for key, entry in self._ledger._items.items() if entry & _VERDICT_BITS)

    def __len__(self) -> int:  # O(items): for the rare reader that asks
        return sum(1 for _ in self)


def _loads(reason: str | None) -> tuple[Any, Any]:
    if not reason:
        return None, None
    try:
        data = json.loads(reason)
    except ValueError:
        return None, None
    return (data.get("expected"), data.get("actual")) if isinstance(data, dict) else (None, None)
