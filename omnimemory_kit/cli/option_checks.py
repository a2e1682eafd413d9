"""Range checks for the numeric options ``migrate`` and ``worker`` share, each message naming the option.

Checked before anything is opened, so a wrong number never reaches the runner (whose own checks name its
keyword arguments, ``item_timeout``, not the option a person typed) and never leaves a store behind.
The upper bounds catch a slip of the keyboard (``--concurrency 80000000``) rather than limit a real run:
10,000 items in flight and batches of a million items are far past what one process works well.
"""

from __future__ import annotations

import math
from typing import Final

from omnimemory_kit.errors import ConfigError

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_CONCURRENCY",
    "MAX_RETRIES",
    "check_count",
    "check_seconds",
]

MAX_CONCURRENCY: Final = 10_000
"""The most items one process keeps in flight (``--concurrency``)."""
MAX_BATCH_SIZE: Final = 1_000_000
"""The most items in one batch (``--batch-size``)."""
MAX_RETRIES: Final = 1_000
"""The most retries of one item (``--retries``)."""


def check_count(option: str, value: int | None, *, low: int, high: int) -> None:
    """Refuse a whole-number option outside ``low..high`` (None: not given, accepted).

    Raises:
        ConfigError: naming the option, the bound it broke and the value.
    """
    if value is None:
        return
    if value < low:
        raise ConfigError(f"{option} must be at least {low}, not {value}")
    if value > high:
        raise ConfigError(f"{option} must be at most {high:,}, not {value:,}")


def check_seconds(option: str, value: float | None) -> None:
    """Refuse a duration option that is not a positive, finite number of seconds (None: not given).

    Raises:
        ConfigError: naming the option and the value (``inf``, ``nan``, 0 or negative).
    """
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{option} must be a positive number of seconds, not {value}")
