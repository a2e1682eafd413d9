"""The runner's options, checked: each bad value is a ``ConfigError`` whose message names the option."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Literal

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.sources import IterableSource, WorkSource, source_from_spec

__all__ = [
    "Isolation",
    "coerce_source",
    "default_batch_size",
    "isolation",
    "non_negative_int",
    "positive_int",
    "seconds",
]

Isolation = Literal["thread", "process"]
"""Where a sync migration function runs: threads of the runner's own, or killable worker processes."""

_MIN_DEFAULT_BATCH = 100
_MAX_DEFAULT_BATCH = 1_000


def default_batch_size(concurrency: int) -> int:
    """Return the batch size ``MigrationRunner`` uses at ``concurrency`` when none is given.

    16 items per concurrency slot, at least 100 and at most 1,000: a batch keeps every slot busy for a
    while between the store transactions that claim, report and release it (about 1,000 is where a run
    of tiny items stops getting faster), without one worker holding a large share of a run's tail.
    """
    return min(_MAX_DEFAULT_BATCH, max(_MIN_DEFAULT_BATCH, 16 * concurrency))


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is a whole number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be a whole number of at least 0, not {value!r}")
    return value


def seconds(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float seconds if it is finite and positive (or zero, when allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'at least 0' if allow_zero else 'positive'}, not {value!r}")
    return float(value)


def coerce_source(source: object) -> WorkSource:
    """Return ``source`` as a ``WorkSource``: a path spec, a source, or an iterable of keys or items."""
    if isinstance(source, str | os.PathLike):
        return source_from_spec(source)
    if isinstance(source, WorkSource):
        return source
    if isinstance(source, Iterable):
        return IterableSource(source)
    raise ConfigError(
        f"source must be a directory, a manifest path, a WorkSource or an iterable of keys, "
        f"not {type(source).__name__}"
    )


def isolation(value: object, name: str = "isolate") -> Isolation:
    """Return ``value`` if it is ``"thread"`` or ``"process"``; ``name`` is the option named in the error."""
    if value == "thread":
        return "thread"
    if value == "process":
        return "process"
    raise ConfigError(f"{name} must be thread or process, not {value!r}")
