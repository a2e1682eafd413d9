"""Re-run part of a run while it goes on: its failed items, one whole batch, or listed keys.

``parse_rerun("failed" | "batch:ID" | "keys:FILE")`` reads what to re-run; ``rerun_keys`` finds the items it
names from the run's journal, and ``requeue`` puts them back to pending with one FILE_REQUEUED event each
(reason ``rerun``: the journal's explicit "requeued for a re-run"), appended through the store. Whoever
works the run (this process, other ``worker`` processes) then claims them like any pending item; nothing
leased is touched, so no live worker's batch is.

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
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store.base import JournalStore
from omnimemory_kit.text import printable

__all__ = ["RerunPlan", "RerunSelection", "parse_rerun", "requeue", "rerun_keys"]


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


def rerun_keys(tracker: MigrationProgressTracker, selection: RerunSelection) -> RerunPlan:
    """Return the finished items ``selection`` names in the run ``tracker`` holds (replayed from its journal).

    Raises:
        ConfigError: the batch is not one of the run's, or a listed key is not one of its items.
    """
    frame = tracker.to_dataframe()
    finished = frame["status"].isin(
        [FileStatus.SUCCEEDED.value, FileStatus.FAILED.value, FileStatus.SKIPPED.value]
    )
    if selection.kind == "failed":
        chosen = frame["status"] == FileStatus.FAILED.value
    elif selection.kind == "batch":
        known = set(tracker.batches_dataframe()["batch_id"])
        if selection.batch_id not in known:
            shown = ", ".join(sorted(map(str, known))[:5]) or "none yet"
            raise ConfigError(
                f"run {tracker.run_id!r} has no batch {printable(str(selection.batch_id))!r} "
                f"(its batches: {shown}{', ...' if len(known) > 5 else ''}; status --batches lists them)"
            )
        chosen = frame["batch_id"] == selection.batch_id
    else:
        paths = set(frame["path"])
        unknown = [key for key in selection.keys if key not in paths]
        if unknown:
            raise ConfigError(
                f"run {tracker.run_id!r} has no item '{printable(unknown[0])}'"
                + (f" (and {len(unknown) - 1} more unknown key(s))" if len(unknown) > 1 else "")
            )
        chosen = frame["path"].isin(set(selection.keys))
    keys = tuple(str(key) for key in frame.loc[chosen & finished, "path"])
    return RerunPlan(keys=keys, unfinished=int((chosen & ~finished).sum()))


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
