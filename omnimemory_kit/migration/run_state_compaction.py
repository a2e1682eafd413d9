"""Forgetting finished files: a run state that holds only the files still being worked (and the failed).

Seam: ``RunState`` (``migration/run_state.py``) keeps per-file arrays indexed by the order files were added,
about 46 bytes a file with hashed keys; a worker that works tens of millions of items needs a file's state
only until it is finished. ``forget_finished`` rebuilds the arrays with the files that are pending, in
progress or failed for good (a retry asks for those), and drops the succeeded and skipped ones. Counts,
bytes, rates, ETA evidence, batches and errors keep everything they saw: the dropped files are still counted
(``RunState.forgotten`` adds them to the total), only no longer known by key. A forgotten file added again
(requeued elsewhere, then claimed) is a new file to the state, and its outcome counts once more.
"""

from __future__ import annotations

from array import array

from omnimemory_kit.errors import MigrationError
from omnimemory_kit.migration.key_index import HashedKeys
from omnimemory_kit.migration.run_codes import SKIPPED, SUCCEEDED
from omnimemory_kit.migration.run_state import RunState

__all__ = ["forget_finished"]

_PER_FILE = ("status_of", "size_of", "attempts_of", "requeues_of", "started_of", "finished_of", "batch_of")


def forget_finished(state: RunState) -> int:
    """Drop the per-file state of ``state``'s succeeded and skipped files; return how many.

    Raises:
        MigrationError: the state keeps the paths (``keep_paths=True``): its file table lists every file.
    """
    index = state.index
    if not isinstance(index, HashedKeys):
        raise MigrationError("only a tracker keeping hashes of the paths (keep_paths=False) forgets files")
    status_of = state.status_of
    keep = [i for i, status in enumerate(status_of) if status != SUCCEEDED and status != SKIPPED]
    dropped = len(status_of) - len(keep)
    if not dropped:
        return 0
    renumber = {old: new for new, old in enumerate(keep)}
    state.index = index.subset(keep)
    for name in _PER_FILE:
        old_array: array[int] | array[float] = getattr(state, name)
        setattr(state, name, array(old_array.typecode, [old_array[i] for i in keep]))
    state.big_sizes = {renumber[i]: size for i, size in state.big_sizes.items() if i in renumber}
    state.errors = {renumber[i]: error for i, error in state.errors.items() if i in renumber}
    if state.failed_keys is not None:
        state.failed_keys = {renumber[i]: key for i, key in state.failed_keys.items() if i in renumber}
    state.skip_reasons = {}  # only skipped files have one, and they are all dropped
    # ``unsized`` weighs what is left: only the files kept can be left
    state.unsized = sum(1 for size in state.size_of if not size)
    state.forgotten += dropped
    return dropped
