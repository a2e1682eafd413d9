"""How a run state encodes its files and its time: status codes, phases and the limits of its arrays.

Seam: ``RunState`` (``migration/run_state.py``) keeps per-file state in compact parallel arrays; the
reduction, its journal fold (``migration/run_fold.py``), its measures (``migration/run_measures.py``) and
the modules reading it all need the same codes, so they live here, below all of them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final

from omnimemory_kit.events import FileStatus

__all__ = [
    "ACTIVE",
    "BIG_SIZE",
    "BREAKER_PHASE",
    "FAILED",
    "FILE_STATUSES",
    "IDLE",
    "IN_PROGRESS",
    "MAX_ATTEMPTS",
    "MAX_REQUEUES",
    "NO_BATCH",
    "PAUSED_PHASE",
    "PENDING",
    "SKIPPED",
    "SUCCEEDED",
    "THROTTLED_PHASE",
    "utc",
]

# File status codes: positions in FileStatus, stored one byte per file.
PENDING, IN_PROGRESS, SUCCEEDED, FAILED, SKIPPED = range(5)
FILE_STATUSES: Final = tuple(FileStatus)
MAX_REQUEUES: Final = 0xFF  # array('B')
MAX_ATTEMPTS: Final = 0xFFFF  # array('H')
NO_BATCH: Final = -1
BIG_SIZE: Final = 0xFFFF_FFFF  # array('I'): a size this large or larger is kept in RunState.big_sizes

# What the run is doing with its time: only ACTIVE time counts for rates and elapsed.
IDLE, ACTIVE, PAUSED_PHASE, BREAKER_PHASE, THROTTLED_PHASE = range(5)


def utc(at: float | None) -> datetime | None:
    """Return epoch seconds as an aware UTC datetime (None for None or NaN, a time not yet set)."""
    return None if at is None or math.isnan(at) else datetime.fromtimestamp(at, tz=UTC)
