"""Stop tasks that may ignore their cancellation: cancel, wait a grace, then detach what still runs.

An async check is user code, and user code can catch ``CancelledError`` and go on. Waiting for such a task
after cancelling it would let it hold up whatever waits for it (a batch's close, a run's stop, a pass's
end, the loop's shutdown) forever. So a task is given ``grace`` seconds of the loop's time to end once
cancelled; one still running then is *detached*: nobody waits for it any more, the module keeps a
reference until it ends (so it is not collected mid-step), its outcome is retrieved when it ends (no
"exception never retrieved" noise), and it is taken out of the loop's task registry, so a loop shutting
down (``asyncio.run``'s end) does not wait for it either. It is the async counterpart of the abandoned
daemon threads of ``check_threads``.

Whoever detaches a task owns the accounting: whatever the task produces after it was detached must be
dropped (``validation_checks`` marks the checker detached and records its item once, as an error).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from typing import Any, Final

__all__ = ["GRACE", "detach", "detached", "stop_tasks"]

GRACE: Final = 1.0
"""Seconds a cancelled task gets to end before it is detached (at most: callers may give less)."""

_DETACHED: set[asyncio.Task[Any]] = set()


def detach(task: asyncio.Task[Any]) -> None:
    """Stop caring for ``task``: keep it referenced until it ends, out of the loop's registry."""
    if task.done() or task in _DETACHED:
        return
    _DETACHED.add(task)
    task.add_done_callback(_forget)
    unregister = getattr(asyncio.tasks, "_unregister_task", None)
    if unregister is not None:  # a loop shutting down cancels and awaits every registered task
        with contextlib.suppress(Exception):
            unregister(task)


def detached() -> frozenset[asyncio.Task[Any]]:
    """Return the detached tasks still running."""
    return frozenset(_DETACHED)


def _forget(task: asyncio.Task[Any]) -> None:
    _DETACHED.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: whatever it ended with is nobody's any more


async def stop_tasks(tasks: Collection[asyncio.Task[Any]], grace: float = GRACE) -> set[asyncio.Task[Any]]:
    """Cancel ``tasks``, wait up to ``grace`` seconds for them to end, detach the rest; return those.

    Cancelled while waiting (the caller is stopped again), it detaches every task still running and
    re-raises.
    """
    running = {task for task in tasks if not task.done()}
    for task in running:
        task.cancel()
    if not running:
        return set()
    try:
        _, left = await asyncio.wait(running, timeout=grace)
    except asyncio.CancelledError:
        for task in running:
            detach(task)
        raise
    for task in left:
        detach(task)
    return left
