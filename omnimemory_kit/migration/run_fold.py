"""Fold a journal into a run state: runs of the frequent kinds (adds, starts, successes) in one pass each.

Seam: ``RunState`` (``migration/run_state.py``) folds one event at a time through its handler table;
this module walks a journal (``RunState.apply`` calls ``fold_journal``), skips the events already folded,
and hands the kinds a run journals by the thousand to a fold of their whole run. A run of adds grows the
per-file arrays once; a run of starts or successes goes through ``RunState.start_file`` and
``RunState.finish_file`` (the same code the command side calls) without the per-event dispatch. Either
way the state ends exactly as folding the events one by one leaves it (``tests/migration/test_run_state.py``
checks every counter, array, batch, sample and estimator).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import TYPE_CHECKING, Final, cast

from omnimemory_kit.errors import UnknownFileError
from omnimemory_kit.events import Event, EventKind, ItemRun
from omnimemory_kit.migration.run_codes import BIG_SIZE, NO_BATCH, PENDING, SUCCEEDED

if TYPE_CHECKING:
    from omnimemory_kit.migration.run_state import RunState

__all__ = ["fold_item_run", "fold_journal"]

_RUN_LIMIT: Final = 4096  # events of one kind folded together at most (a replay's runs can be millions)
_NAN: Final = math.nan


def fold_journal(state: RunState, events: Iterable[Event]) -> int:
    """Fold events into ``state`` in order; return how many were applied (see ``RunState.apply``).

    Raises:
        UnknownFileError: a FILE_* event other than FILE_ADDED names a file never added.
    """
    handlers = state.handlers
    run: list[Event] = []  # consecutive events of one kind in ``_RUN_FOLDS``, folded together
    run_kind: EventKind | None = None
    seen = state.seq  # the last seq folded, or in ``run`` to be folded
    applied = 0
    try:
        for event in events:
            seq = event.seq
            if seq and seq <= seen:
                continue
            applied += 1
            kind = event.kind
            if kind is run_kind and len(run) < _RUN_LIMIT:
                run.append(event)
                if seq:
                    seen = seq
                continue
            if run:
                folding, run = run, []
                _fold_run(state, folding)
            state.seq = seen  # every event before this one is folded
            if seq:
                seen = seq
            if kind in _RUN_FOLDS:
                run_kind = kind
                run.append(event)
            else:
                run_kind = None
                state.seq = seen
                handlers[kind](event)
    finally:
        if run:  # the last run (or, when reading the events failed, what they gave up to then)
            _fold_run(state, run)
            state.seq = seen
    return applied


def _fold_run(state: RunState, run: list[Event]) -> None:
    """Fold a run of events of one kind (``run`` is never empty)."""
    first = run[0]
    if len(run) > 1:
        _RUN_FOLDS[first.kind](state, run)
        return
    # one event (adds and starts alternate in a worker's own events read back): its handler is cheaper
    if first.seq:
        state.seq = first.seq
    state.handlers[first.kind](first)


def _unknown(state: RunState, run: list[Event], event: Event) -> UnknownFileError:
    """Return the error for an event of ``run`` naming a file never added; the fold stops at it, and
    ``seq`` says so, as it would after folding the run one event at a time (``last_at`` already does)."""
    position = next(i for i, other in enumerate(run) if other is event)
    seqs = [other.seq for other in run[: position + 1] if other.seq]
    if seqs:
        state.seq = seqs[-1]
    return UnknownFileError(str(event.path))


def _fold_adds(state: RunState, events: list[Event]) -> None:
    """Fold FILE_ADDED events in order, as ``RunState.add_file`` does one by one: the arrays grow once."""
    _add_files(state, ((e.path, e.size, e.at) for e in events))  # type: ignore[misc]


def _add_files(state: RunState, files: Iterable[tuple[str, int | None, float]]) -> None:
    """Fold the additions of (key, size, time) in order, as ``RunState.add_file`` does one by one."""
    index = state.index
    first = position = len(index)
    sizes: list[int] = []
    total = 0
    unsized = 0
    last_at = state.last_at
    for key, size, at in files:
        assert key is not None, "FILE_ADDED needs a path"
        if key in index:  # idempotent, as add_file and the store's add_items are
            continue
        index[key] = position
        size = size or 0
        if not size:
            unsized += 1
        elif size >= BIG_SIZE:
            state.big_sizes[position] = size
        sizes.append(size if size < BIG_SIZE else BIG_SIZE)
        total += size
        position += 1
        last_at = at  # a file already tracked changes nothing, its time included
    new = position - first
    if new:
        # zeros are PENDING, no attempts and no requeues
        state.status_of.frombytes(bytes(new * state.status_of.itemsize))
        state.size_of.extend(sizes)
        state.attempts_of.frombytes(bytes(new * state.attempts_of.itemsize))
        state.requeues_of.frombytes(bytes(new * state.requeues_of.itemsize))
        unset = array("d", (_NAN,)) * new
        state.started_of.extend(unset)
        state.finished_of.extend(unset)
        state.batch_of.extend(array("i", (NO_BATCH,)) * new)
        state.count[PENDING] += new
        state.bytes_in[PENDING] += total
        state.unsized += unsized
        state.last_at = last_at


def fold_item_run(state: RunState, run: ItemRun) -> bool:
    """Fold a run of additions or of a claim's starts given by keys, as ``fold_journal`` folds its events.

    Returns False, folding nothing, where only the events can say what to do (a run of another kind, a
    start of fewer than three files or of a file never added: ``fold_journal`` then raises at the right
    event); the caller folds ``run.events()`` instead.
    """
    if run.kind is EventKind.FILE_ADDED:
        sizes = run.sizes if run.sizes is not None else repeat(None)
        _add_files(state, zip(run.keys, sizes, repeat(run.at)))
        return True
    if run.kind is not EventKind.FILE_STARTED or run.batch_id is None or len(run.keys) <= 2:
        return False
    index_get = state.index.get
    indexes = [index_get(key) for key in run.keys]
    if None in indexes:
        return False
    known = cast("list[int]", indexes)
    at, batch_id, worker_id = run.at, run.batch_id, run.worker_id
    start_file = state.start_file
    start_file(known[0], at, batch_id, worker_id)  # opens the batch, takes a sample if due
    if not state.start_pending(known[1:], at, batch_id):
        for position in known[1:]:
            start_file(position, at, batch_id, worker_id)
    return True


def _fold_starts(state: RunState, events: list[Event]) -> None:
    """Fold FILE_STARTED events in order through ``RunState.start_file``; a claim's (one time, one batch,
    pending files) through ``RunState.start_pending`` after its first."""
    index_get = state.index.get
    start_file = state.start_file
    first = events[0]
    at, batch_id = first.at, first.batch_id
    if batch_id is not None and len(events) > 2:
        indexes = [index_get(event.path) for event in events]  # type: ignore[arg-type]
        if None not in indexes and all(event.at == at and event.batch_id == batch_id for event in events):
            known = cast("list[int]", indexes)
            start_file(known[0], at, batch_id, first.worker_id)  # opens the batch, takes a sample if due
            if state.start_pending(known[1:], at, batch_id):
                return
            for position, event in enumerate(events[1:], 1):
                start_file(known[position], at, batch_id, event.worker_id)
            return
    for event in events:
        index = index_get(event.path)  # type: ignore[arg-type]
        if index is None:
            raise _unknown(state, events, event)
        start_file(index, event.at, event.batch_id, event.worker_id)


def _fold_successes(state: RunState, events: list[Event]) -> None:
    """Fold FILE_SUCCEEDED events in order through ``RunState.finish_file``."""
    index_get = state.index.get
    finish_file = state.finish_file
    for event in events:
        index = index_get(event.path)  # type: ignore[arg-type]
        if index is None:
            raise _unknown(state, events, event)
        finish_file(index, event.at, SUCCEEDED)


def _fold_nothing(state: RunState, events: list[Event]) -> None:
    """Fold a run of verdicts: they change nothing in the run state (``RunState``'s handler ignores them)."""


# The kinds a run journals by the thousand: a run of them is folded in one pass.
_RUN_FOLDS: Final[dict[EventKind, Callable[[RunState, list[Event]], None]]] = {
    EventKind.FILE_ADDED: _fold_adds,
    EventKind.FILE_STARTED: _fold_starts,
    EventKind.FILE_SUCCEEDED: _fold_successes,
    EventKind.ITEM_VALIDATED: _fold_nothing,
}
