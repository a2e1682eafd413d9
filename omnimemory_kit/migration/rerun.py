"""Re-run part of a run while it goes on: its failed items, one whole batch, or listed keys.

``parse_rerun("failed" | "batch:ID" | "keys:FILE")`` reads what to re-run; ``rerun_keys`` finds the items it
names from the store's items (``item_statuses``, ``batch_items``: no replay of the journal, so a run of
millions of items answers in seconds), and ``requeue`` puts them back to pending with one FILE_REQUEUED
event each (reason ``rerun``: the journal's explicit "requeued for a re-run"), appended through the store.
Whoever works the run (this process, other ``worker`` processes) then claims them like any pending item;
nothing leased is touched, so no live worker's batch is.

``failed`` selects the failed items; ``batch:ID`` every finished item the batch last ran (succeeded,
failed or skipped); ``keys:FILE`` every finished item listed. An item still pending or in progress is
left as it is (it runs anyway) and counted, so the caller can say so. A requeued item's outcome leaves
the run's counts at once and its next outcome is counted anew: a re-run is counted exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store.base import JournalStore
from omnimemory_kit.text import printable

__all__ = ["RerunPlan", "RerunSelection", "parse_rerun", "requeue", "rerun_keys"]

_FINISHED = frozenset({FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED})


@dataclass(frozen=True, slots=True)
class RerunSelection:
    """What to re-run: every failed item, one batch's finished items, or the finished items among ``keys``."""

    kind: Literal["failed", "batch", "keys"]
    batch_id: str | None = None
    keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "batch":
            return f"batch {printable(str(self.batch_id))!r}"
        if self.kind == "keys":
            return f"{len(self.keys)} listed key(s)"
        return "every failed item"


@dataclass(frozen=True, slots=True)
class RerunPlan:
    """The finished items to requeue, and how many selected items are not finished (left as they are)."""

    keys: tuple[str, ...]
    unfinished: int


def parse_rerun(spec: str) -> RerunSelection:
    """Read ``failed``, ``batch:ID`` or ``keys:FILE`` (one key per line, blank lines ignored).

    Raises:
        ConfigError: another form, an empty batch id, or a keys file that cannot be read or is empty.
    """
    if spec == "failed":
        return RerunSelection("failed")
    kind, colon, rest = spec.partition(":")
    if colon and kind == "batch":
        if not rest.strip():
            raise ConfigError("--rerun batch:ID needs a batch id (status --batches lists them)")
        return RerunSelection("batch", batch_id=rest)
    if colon and kind == "keys":
        path = Path(rest)
        try:
            lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError as exc:
            raise ConfigError(
                f"--rerun keys file '{printable(rest)}' cannot be read: {exc.strerror}"
            ) from exc
        keys = tuple(line for line in lines if line.strip())
        if not keys:
            raise ConfigError(f"--rerun keys file '{printable(rest)}' lists no key")
        return RerunSelection("keys", keys=keys)
    raise ConfigError(f"--rerun {spec!r} is not one of: failed, batch:ID, keys:FILE")


def rerun_keys(store: JournalStore, run_id: str, selection: RerunSelection) -> RerunPlan:
    """Return the finished items ``selection`` names in the run, read from the store's items (no replay).

    Raises:
        RunNotFoundError: the run does not exist.
        ConfigError: the batch is not one of the run's, or a listed key is not one of its items.
    """
    if selection.kind == "failed":
        chosen = store.item_statuses(run_id, status=FileStatus.FAILED)
    elif selection.kind == "batch":
        batch_id = str(selection.batch_id)
        found = store.batch_items(run_id, batch_id)
        if found is None:
            raise ConfigError(
                f"run {run_id!r} has no batch {printable(batch_id)!r} ({_some_batches(store, run_id)}; "
                "status --batches lists them)"
            )
        chosen = found
    else:
        chosen = store.item_statuses(run_id, keys=selection.keys)
        unknown = [key for key in dict.fromkeys(selection.keys) if key not in chosen]
        if unknown:
            raise ConfigError(
                f"run {run_id!r} has no item '{printable(unknown[0])}'"
                + (f" (and {len(unknown) - 1} more unknown key(s))" if len(unknown) > 1 else "")
            )
    keys = tuple(sorted(key for key, status in chosen.items() if status in _FINISHED))
    return RerunPlan(keys=keys, unfinished=len(chosen) - len(keys))


def _some_batches(store: JournalStore, run_id: str) -> str:
    """Name a few of the run's batches for an error message (read only when a batch was not found)."""
    opened = store.read_events_matching(run_id, after_seq=0, kinds=(EventKind.BATCH_OPENED,))
    known = sorted({str(event.batch_id) for event in opened})
    if not known:
        return "its batches: none yet"
    return f"its batches: {', '.join(known[:5])}{', ...' if len(known) > 5 else ''}"


def requeue(
    store: JournalStore, run_id: str, keys: Sequence[str], *, at: float, worker_id: str | None = None
) -> int:
    """Put finished items back to pending (one FILE_REQUEUED each, reason ``rerun``); return how many.

    Appended in one write: the requeue of a selection is all or nothing. An item that started again
    meanwhile (another worker re-ran it) is left as it is by the store's item rule.
    """
    if keys:
        store.append(
            run_id,
            [
                Event(EventKind.FILE_REQUEUED, at=at, path=key, reason="rerun", worker_id=worker_id)
                for key in keys
            ],
        )
    return len(keys)
