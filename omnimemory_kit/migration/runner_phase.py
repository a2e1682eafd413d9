"""Where a migration run stands (``Phase``): the batch loop, item workers and controls read and move it.

Kept apart so the runner and its mixins (``runner_batches``, ``runner_lifecycle``) share one definition.
"""

from __future__ import annotations

import enum

__all__ = ["HOLDING", "Phase"]


class Phase(enum.Enum):
    """Where the run stands; the batch loop and the controls read and move only this."""

    IDLE = "idle"  # nothing asked: the next run() journals RUN_STARTED (or RUN_RESUMED after a step)
    HELD = "held"  # pause() before the batch loop started: it journals RUN_STARTED, RUN_PAUSED, then waits
    RUNNING = "running"  # the batch loop claims and runs batches
    PAUSED = "paused"  # RUN_PAUSED journaled (or being journaled): nothing starts until resumed
    CANCELLING = "cancelling"  # cancel() asked: in-flight items finish, the rest go back, RUN_CANCELLED


HOLDING = frozenset({Phase.HELD, Phase.PAUSED})
"""The phases in which nothing starts until ``resume()``."""
