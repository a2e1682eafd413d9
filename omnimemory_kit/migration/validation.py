"""Validation of a migrated run: check each succeeded item with a function, journal the verdict.

``validate_fn(item)`` returns ``True`` or ``None`` (the item is right), a ``Mismatch`` (a short detail, and
optionally what was expected and what was found), or raises (the check itself failed). Each verdict is one
journal event (ITEM_VALIDATED, ITEM_MISMATCHED, ITEM_VALIDATION_ERROR); an item's state is its latest
verdict, or pending before it has one (``ValidationLedger`` folds the journal, O(1) per event).

``validate_run`` checks the succeeded items still pending (or, to revalidate, the mismatched ones, the
errored ones, or one key), ``concurrency`` at a time. Verdicts are appended in chunks (each written while the
next is checked, one write at a time): a crash (even SIGKILL) loses at most the verdicts not written yet,
whose items are checked again by the next pass, so the journal holds one verdict per item and pass. A sync
check runs on a daemon thread; one that outlives ``item_timeout`` is recorded as an error
(``ValidationTimeout``) and its thread is abandoned, never joined, so a hung check cannot keep the process
alive. Several processes validating one run at once are not coordinated (no leases): run one pass at a
time.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event, EventKind, error_message, error_type_name
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.worker import RecordedSource
from omnimemory_kit.store.base import JournalStore, WorkItem
from omnimemory_kit.text import printable

__all__ = [
    "Mismatch",
    "MismatchRow",
    "ValidationLedger",
    "ValidationState",
    "ValidationSummary",
    "ValidationTimeout",
    "validate_run",
]

CHUNK: Final = 256
"""Verdicts appended per store write (and at most lost, to be checked again, by a crash)."""

_VERDICTS: Final = frozenset(
    {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}
)


_UNDONE: Final = frozenset(
    {EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_STARTED, EventKind.FILE_REQUEUED}
)
"""The item kinds after which an item's earlier success (and its verdict) no longer holds."""


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


@dataclass(frozen=True, slots=True)
class Mismatch:
    """What a validate function returns for an item that is wrong."""

    detail: str
    expected: Any = None
    actual: Any = None


class ValidationTimeout(Exception):
    """A validate function ran longer than the pass's timeout (its item's state is error)."""


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

    @property
    def validated_rate(self) -> float:
        """Validated over checked items, in percent (0 while none is checked)."""
        checked = self.validated + self.mismatched + self.error
        return self.validated / checked * 100.0 if checked else 0.0

    def status_text(self) -> str:
        """Say how validation ended: ``completed, 3 mismatched``, ``completed, all validated``, ..."""
        if self.pending:
            return f"{self.pending} item(s) not validated yet"
        problems = [f"{n} {what}" for n, what in ((self.mismatched, "mismatched"), (self.error, "error"))]
        shown = ", ".join(p for p, n in zip(problems, (self.mismatched, self.error), strict=True) if n)
        return f"completed, {shown}" if shown else "completed, all validated"

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
            "mismatches": rows(self.mismatches),
            "errors": rows(self.errors),
        }


@dataclass
class ValidationLedger:
    """The validation state of every item of a run, folded from its journal (O(1) per event)."""

    succeeded: dict[str, int] = field(default_factory=dict)  # key -> size, items whose migration succeeded
    verdicts: dict[str, Event] = field(default_factory=dict)  # key -> latest verdict

    def apply(self, events: Iterable[Event]) -> None:
        """Fold journal events in order."""
        sizes: dict[str, int] = {}
        for event in events:
            kind, key = event.kind, event.path
            if key is None:
                continue
            if kind is EventKind.FILE_ADDED:
                sizes.setdefault(key, event.size or 0)
            elif kind is EventKind.FILE_SUCCEEDED:
                self.succeeded[key] = sizes.get(key, 0)
            elif kind in _UNDONE:
                self.succeeded.pop(key, None)  # re-run or ended otherwise: its last verdict no longer holds
                self.verdicts.pop(key, None)
            elif kind in _VERDICTS:
                self.verdicts[key] = event

    def state(self, key: str) -> ValidationState:
        """Return an item's validation state."""
        verdict = self.verdicts.get(key)
        return ValidationState.PENDING if verdict is None else _STATE_OF[verdict.kind]

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


def _verdict(key: str, outcome: object, at: float) -> Event:
    """Turn what a validate function returned (or raised) into its journal event."""
    if isinstance(outcome, BaseException):
        return Event(
            EventKind.ITEM_VALIDATION_ERROR,
            at=at,
            path=key,
            error_type=error_type_name(outcome),
            error_message=error_message(outcome),
        )
    if outcome is True or outcome is None:
        return Event(EventKind.ITEM_VALIDATED, at=at, path=key)
    if isinstance(outcome, Mismatch):
        reason = json.dumps({"expected": outcome.expected, "actual": outcome.actual}, default=str)
        return Event(EventKind.ITEM_MISMATCHED, at=at, path=key, error_message=outcome.detail, reason=reason)
    return Event(
        EventKind.ITEM_VALIDATION_ERROR,
        at=at,
        path=key,
        error_type="TypeError",
        error_message=(
            f"the validate function returned {type(outcome).__name__}; "
            f"expected True or None (valid) or a Mismatch"
        ),
    )


async def _call(fn: Callable[[MigrationItem], Any], item: MigrationItem, limit: float | None) -> object:
    """Return what ``fn(item)`` returned or raised; a call longer than ``limit`` gives ValidationTimeout."""
    if inspect.iscoroutinefunction(fn):
        try:
            async with asyncio.timeout(limit):  # no task of its own, unlike wait_for
                return await fn(item)
        except TimeoutError:
            return ValidationTimeout(f"validation took longer than {limit:g} s")
        except Exception as exc:
            return exc
    loop = asyncio.get_running_loop()
    done: asyncio.Future[object] = loop.create_future()

    def settle(value: object) -> None:
        if not done.done():
            done.set_result(value)

    def target() -> None:
        try:
            value: object = fn(item)
        except BaseException as exc:
            value = exc
        loop.call_soon_threadsafe(settle, value)

    # A daemon thread: a hung check is abandoned at its timeout and never joined at exit.
    threading.Thread(target=target, name=f"validate {item.key}", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(done), limit)
    except TimeoutError:
        return ValidationTimeout(f"validation took longer than {limit:g} s")


def _select(
    ledger: ValidationLedger, run_id: str, only: Literal["mismatched", "error"] | None, key: str | None
) -> list[str]:
    if key is not None:
        if key not in ledger.succeeded:
            raise ConfigError(f"run {run_id!r} has no succeeded item '{printable(key)}' to validate")
        return [key]
    wanted = ValidationState(only) if only is not None else ValidationState.PENDING
    return [k for k in ledger.succeeded if ledger.state(k) is wanted]


async def validate_run(
    store: JournalStore,
    run_id: str,
    validate_fn: Callable[[MigrationItem], Any],
    *,
    only: Literal["mismatched", "error"] | None = None,
    key: str | None = None,
    concurrency: int = 8,
    item_timeout: float | None = 60.0,
    clock: Clock = SYSTEM_CLOCK,
) -> ValidationSummary:
    """Validate the run's succeeded items not validated yet (or revalidate: ``only`` a state, or one ``key``).

    Raises:
        RunNotFoundError: no such run.
        ConfigError: ``concurrency`` below 1, ``item_timeout`` not positive, ``only`` unknown, or
            ``key`` not a succeeded item of the run.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, not {concurrency}")
    if item_timeout is not None and not item_timeout > 0:
        raise ConfigError(f"item_timeout must be a positive number of seconds, not {item_timeout}")
    if only not in (None, "mismatched", "error"):
        raise ConfigError(f"only must be 'mismatched' or 'error', not {only!r}")
    record = await asyncio.to_thread(store.get_run, run_id)
    source = RecordedSource(record.source)
    ledger = ValidationLedger()
    ledger.apply(await asyncio.to_thread(lambda: list(store.read_events(run_id))))
    keys = _select(ledger, run_id, only, key)

    async def check_all(chunk: Sequence[str]) -> list[Event]:
        # ``concurrency`` checkers pull keys in turn: a few tasks per chunk rather than one per item
        found: list[Event] = []
        pending = iter(chunk)

        async def checker() -> None:
            for name in pending:
                item = source.resolve(WorkItem(name, ledger.succeeded[name]))
                found.append(_verdict(name, await _call(validate_fn, item, item_timeout), clock.time()))

        await asyncio.gather(*(checker() for _ in range(min(concurrency, len(chunk)))))
        return found

    writing: asyncio.Future[int] | None = None
    try:
        for start in range(0, len(keys), CHUNK):
            verdicts = await check_all(keys[start : start + CHUNK])
            if writing is not None:
                await writing  # the previous chunk is durable before this one is written
            # Written while the next chunk is checked; a crash loses at most the unwritten verdicts, whose
            # items the next pass checks again.
            writing = asyncio.ensure_future(asyncio.to_thread(store.append, run_id, verdicts))
            ledger.apply(verdicts)
    finally:
        if writing is not None:
            await writing
    return ledger.summary(checked_now=len(keys))
