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
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass
class ValidationLedger:
    """The validation state of every item of a run, folded from its journal (O(1) per event).

    ``tally`` keeps how many succeeded items are in each state, so ``counts()`` is O(1).
    """

    succeeded: dict[str, int] = field(default_factory=dict)  # key -> size, items whose migration succeeded
    # key -> latest verdict; a validated item's is one shared event (its time is never read), so a run of
    # millions keeps no event per validated item
    verdicts: dict[str, Event] = field(default_factory=dict)
    tally: dict[ValidationState, int] = field(default_factory=lambda: dict.fromkeys(ValidationState, 0))
    sizes: dict[str, int] = field(default_factory=dict)  # key -> size, as added

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

    def _add_keys(self, keys: list[str], given: list[int] | None) -> None:
        """Fold a chunk's additions: each new key's first size (0 when unknown)."""
        sizes = self.sizes
        fresh = dict.fromkeys(keys, 0) if given is None else dict(zip(keys, given, strict=True))
        # the common chunk (new keys, each once, sized) in one update, in C; else one key at a time
        if len(fresh) == len(keys) and None not in fresh.values() and sizes.keys().isdisjoint(fresh):
            sizes.update(fresh)
            return
        for key, size in zip(keys, [0] * len(keys) if given is None else given, strict=True):
            if key not in sizes:
                sizes[key] = size or 0

    def _add(self, run: list[Event]) -> None:
        sizes = self.sizes
        for event in run:
            key = event.path
            if key is not None and key not in sizes:
                sizes[key] = event.size or 0

    def _succeed(self, keys: list[str]) -> None:
        succeeded, verdicts = self.succeeded, self.verdicts
        fresh = dict.fromkeys(keys)  # a key twice in one run counts once, as one at a time would
        if not succeeded.keys().isdisjoint(fresh):  # (rare: a success folded twice)
            fresh = dict.fromkeys(key for key in fresh if key not in succeeded)
            if not fresh:
                return
        # each with its size as added, in C (a key never added: 0)
        succeeded.update(zip(fresh, map(self.sizes.get, fresh, repeat(0)), strict=True))
        tally = self.tally
        if verdicts.keys().isdisjoint(fresh):  # the common case: none was checked before this success
            tally[ValidationState.PENDING] += len(fresh)
            return
        judged = verdicts.keys() & fresh.keys()
        state_of = _STATE_OF
        tally[ValidationState.PENDING] += len(fresh) - len(judged)
        for key in judged:
            tally[state_of[verdicts[key].kind]] += 1

    def _undo(self, keys: list[str]) -> None:
        succeeded, verdicts = self.succeeded, self.verdicts
        if succeeded.keys().isdisjoint(keys) and verdicts.keys().isdisjoint(keys):
            return  # the common case (a claim's starts of items never run): nothing to undo, found in C
        named = set(keys)
        lost = verdicts.keys() & named  # usually none: a claim's starts name items never checked
        done = succeeded.keys() & named
        tally, state_of, pending = self.tally, _STATE_OF, ValidationState.PENDING
        for key in done:  # re-run or ended otherwise: its last verdict no longer holds
            verdict = verdicts.get(key)
            tally[pending if verdict is None else state_of[verdict.kind]] -= 1
            del succeeded[key]
        for key in lost:
            del verdicts[key]

    def _judge(self, kind: EventKind, run: list[Event]) -> None:
        succeeded, verdicts, tally = self.succeeded, self.verdicts, self.tally
        state_of, pending = _STATE_OF, ValidationState.PENDING
        if kind is EventKind.ITEM_VALIDATED:
            self._validate([key for key in map(_PATH, run) if key is not None])
            return
        new_state = state_of[kind]
        for event in run:
            key = event.path
            if key is None:
                continue
            if key in succeeded:
                verdict = verdicts.get(key)
                tally[pending if verdict is None else state_of[verdict.kind]] -= 1
                tally[new_state] += 1
            verdicts[key] = event

    def _validate(self, keys: list[str]) -> None:
        """Fold a run of validated items (a batch's, a pass's chunk) in bulk: each distinct key ends
        validated whatever it was (a key twice in the run moves once), so only the states it leaves are
        counted one by one, and those are rare (a revalidation)."""
        succeeded, verdicts, tally = self.succeeded, self.verdicts, self.tally
        fresh = dict.fromkeys(keys)
        if fresh.keys() <= succeeded.keys() and verdicts.keys().isdisjoint(fresh):
            # the common case (a batch's succeeded items, checked for the first time), found in C
            tally[ValidationState.PENDING] -= len(fresh)
            tally[ValidationState.VALIDATED] += len(fresh)
            verdicts.update(dict.fromkeys(fresh, _VALIDATED))
            return
        moved = fresh.keys() & succeeded.keys()
        judged_before = moved & verdicts.keys()
        tally[ValidationState.PENDING] -= len(moved) - len(judged_before)
        state_of = _STATE_OF
        for key in judged_before:
            tally[state_of[verdicts[key].kind]] -= 1
        tally[ValidationState.VALIDATED] += len(moved)
        verdicts.update(dict.fromkeys(fresh, _VALIDATED))

    def state(self, key: str) -> ValidationState:
        """Return an item's validation state."""
        verdict = self.verdicts.get(key)
        return ValidationState.PENDING if verdict is None else _STATE_OF[verdict.kind]

    def counts(self) -> ValidationCounts:
        """Return the counts over the succeeded items (O(1))."""
        tally = self.tally
        return ValidationCounts(
            items=len(self.succeeded),
            pending=tally[ValidationState.PENDING],
            validated=tally[ValidationState.VALIDATED],
            mismatched=tally[ValidationState.MISMATCHED],
            error=tally[ValidationState.ERROR],
        )

    def summary(self, checked_now: int = 0) -> ValidationSummary:
        """Return the counts over the succeeded items, with the mismatch and error tables."""
        counts = dict.fromkeys(ValidationState, 0)
        mismatches: list[MismatchRow] = []
        errors: list[MismatchRow] = []
        for key in self.succeeded:
            state = self.state(key)
            counts[state] += 1
            verdict = self.verdicts.get(key)
            if verdict is None or state is ValidationState.VALIDATED:
                continue
            expected, actual = _loads(verdict.reason)
            row = MismatchRow(key, verdict.error_message or "", verdict.at, expected, actual)
            (mismatches if state is ValidationState.MISMATCHED else errors).append(row)
        return ValidationSummary(
            items=len(self.succeeded),
            validated=counts[ValidationState.VALIDATED],
            mismatched=counts[ValidationState.MISMATCHED],
            error=counts[ValidationState.ERROR],
            pending=counts[ValidationState.PENDING],
            checked_now=checked_now,
            mismatches=tuple(sorted(mismatches, key=lambda r: r.at)),
            errors=tuple(sorted(errors, key=lambda r: r.at)),
        )


def _loads(reason: str | None) -> tuple[Any, Any]:
    if not reason:
        return None, None
    try:
        data = json.loads(reason)
    except ValueError:
        return None, None
    return (data.get("expected"), data.get("actual")) if isinstance(data, dict) else (None, None)
