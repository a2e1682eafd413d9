"""The tracker's DataFrame views: one row per file, per progress sample, per batch.

Seam: these functions only read a ``RunState`` (``migration/run_state.py``). Each copies what it needs
while the caller's lock is held and builds the DataFrame after releasing it, so a large frame never
blocks the events being folded. pandas and numpy are imported on first use: the engine runs without them
until a view is asked for.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Final

from omnimemory_kit.errors import MigrationError
from omnimemory_kit.migration.run_codes import FILE_STATUSES
from omnimemory_kit.migration.run_state import RunState

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BATCHES_COLUMNS",
    "BATCH_OUTCOMES",
    "FILES_COLUMNS",
    "PROGRESS_COLUMNS",
    "batch_outcome",
    "batches_frame",
    "files_frame",
    "progress_frame",
    "rows_frame",
]

FILES_COLUMNS: Final = (
    "path",
    "size",
    "status",
    "attempts",
    "batch_id",
    "started_at",
    "finished_at",
    "duration_s",
    "error_type",
    "error_message",
)
PROGRESS_COLUMNS: Final = (
    "at",
    "elapsed_s",
    "total",
    "succeeded",
    "failed",
    "skipped",
    "in_progress",
    "pending",
    "files_per_s_recent",
    "files_per_s_overall",
    "bytes_per_s_recent",
    "eta_s",
    "eta_low_s",
    "eta_high_s",
)
BATCHES_COLUMNS: Final = (
    "batch_id",
    "opened_at",
    "closed_at",
    "duration_s",
    "files",
    "succeeded",
    "failed",
    "skipped",
    "success_rate",
    "worker_id",
    "attempts",
    "outcome",
)
BATCH_OUTCOMES: Final = ("succeeded", "failed", "interrupted", "open")
"""How a batch ended, worst first wins: any failure, else an item interrupted, else open, else succeeded."""


def batch_outcome(failed: int, interrupted: int, closed: bool) -> str:
    """Return how a batch ended (see ``BATCH_OUTCOMES``)."""
    if failed:
        return "failed"
    if interrupted:
        return "interrupted"
    return "succeeded" if closed else "open"


def files_frame(state: RunState, lock: threading.RLock) -> pd.DataFrame:
    """Return one row per file, in the order files were added (columns ``FILES_COLUMNS``).

    Times are UTC datetimes (NaT when absent), ``duration_s`` is NaN until a file finishes, and the text
    columns are object columns holding None when absent.

    Raises:
        MigrationError: the state holds hashes of the paths, not the paths (``keep_paths=False``).
    """
    if not state.keep_paths:
        raise MigrationError(
            "the per-file table is not available: this tracker keeps only hashes of the paths "
            "(keep_paths=False); read the items from the store, or track with keep_paths=True"
        )
    import numpy as np
    import pandas as pd

    with lock:
        n = len(state.index)
        assert isinstance(state.index, dict)
        paths = list(state.index)  # insertion order is index order
        status_names = np.array([s.value for s in FILE_STATUSES], dtype=object)
        codes = np.frombuffer(state.status_of, dtype=np.int8).copy()
        sizes = np.frombuffer(state.size_of, dtype=f"u{state.size_of.itemsize}").astype(np.int64)
        for index, size in state.big_sizes.items():
            sizes[index] = size
        attempts = np.frombuffer(state.attempts_of, dtype=np.uint16).astype(np.int64)
        started = np.frombuffer(state.started_of, dtype=np.float64).copy()
        finished = np.frombuffer(state.finished_of, dtype=np.float64).copy()
        batch_codes = np.frombuffer(state.batch_of, dtype=np.int32).copy()
        batch_names = np.array([b.batch_id for b in state.batches] + [None], dtype=object)
        error_types = np.full(n, None, dtype=object)
        error_messages = np.full(n, None, dtype=object)
        for index, (error_type, message) in state.errors.items():
            error_types[index] = error_type
            error_messages[index] = message
    return pd.DataFrame(
        {
            "path": pd.Series(paths, dtype=object),
            "size": sizes,
            "status": pd.Series(status_names[codes], dtype=object),
            "attempts": attempts,
            "batch_id": pd.Series(batch_names[batch_codes], dtype=object),
            "started_at": pd.to_datetime(started, unit="s", utc=True),
            "finished_at": pd.to_datetime(finished, unit="s", utc=True),
            "duration_s": finished - started,
            "error_type": pd.Series(error_types, dtype=object),
            "error_message": pd.Series(error_messages, dtype=object),
        },
        columns=list(FILES_COLUMNS),
    )


def progress_frame(state: RunState, lock: threading.RLock) -> pd.DataFrame:
    """Return the progress time series (columns ``PROGRESS_COLUMNS``; ``at`` in UTC, NaN where no ETA)."""
    with lock:
        rows = list(state.samples)
    return rows_frame(rows)


def rows_frame(rows: list[tuple[float, ...]]) -> pd.DataFrame:
    """Return progress rows (``PROGRESS_COLUMNS``, ``at`` in epoch seconds) as the progress frame."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"].astype("float64"), unit="s", utc=True)
    for column in PROGRESS_COLUMNS[2:8]:
        frame[column] = frame[column].astype("int64")
    return frame


def batches_frame(state: RunState, lock: threading.RLock, now: float) -> pd.DataFrame:
    """Return one row per batch (columns ``BATCHES_COLUMNS``) at wall time ``now``.

    An open batch has ``closed_at`` NaT and its duration so far.
    """
    import pandas as pd

    with lock:
        rows = []
        for batch in state.batches:
            finished = batch.succeeded + batch.failed + batch.skipped
            end = batch.closed_at if batch.closed_at is not None else max(now, batch.opened_at)
            rows.append(
                (
                    batch.batch_id,
                    batch.opened_at,
                    math.nan if batch.closed_at is None else batch.closed_at,
                    max(0.0, end - batch.opened_at),
                    batch.files,
                    batch.succeeded,
                    batch.failed,
                    batch.skipped,
                    batch.succeeded / finished * 100.0 if finished else 0.0,
                    batch.worker_id,
                    batch.files + batch.retries,
                    batch_outcome(batch.failed, batch.interrupted, batch.closed_at is not None),
                )
            )
    frame = pd.DataFrame(rows, columns=list(BATCHES_COLUMNS))
    for column in ("opened_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
    for column in ("files", "succeeded", "failed", "skipped", "attempts"):
        frame[column] = frame[column].astype("int64")
    for column in ("batch_id", "worker_id", "outcome"):
        frame[column] = frame[column].astype(object)
    return frame


THROTTLE_COLUMNS: Final = ("began_at", "ended_at", "duration_s", "reason")


def throttle_frame(state: RunState, lock: threading.RLock, now: float) -> pd.DataFrame:
    """Return the throttle timeline (columns ``THROTTLE_COLUMNS``): one row per interval health rules held
    the run, ``ended_at`` NaT and the duration so far while it still holds."""
    import pandas as pd

    with lock:
        rows = [
            (began, ended, max(0.0, (now if math.isnan(ended) else ended) - began), reason)
            for began, ended, reason in state.throttle_intervals
        ]
    frame = pd.DataFrame(rows, columns=list(THROTTLE_COLUMNS))
    for column in ("began_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
    frame["duration_s"] = frame["duration_s"].astype("float64")
    frame["reason"] = frame["reason"].astype(object)
    return frame
