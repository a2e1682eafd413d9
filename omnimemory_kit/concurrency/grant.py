"""Waiting for a grant: the one subtle step the queue-based primitives share.

A waiter sleeps on a future that the releasing side completes ("grants"). Two races need care, and are
handled here once for the fair semaphore and the priority lock:

- the grant lands in the same instant as the waiter's deadline: the waiter keeps what it was given;
- the waiter is cancelled after being granted but before it resumed: it must pass the grant on, or the
  permit (or lock) would leak.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import AcquireTimeoutError

__all__ = ["await_grant"]


async def await_grant(
    grant: asyncio.Future[None],
    limit: float | None,
    clock: Clock,
    *,
    what: str,
    leave_queue: Callable[[], None],
    pass_on: Callable[[], None],
) -> None:
    """Wait for ``grant`` for at most ``limit`` seconds of ``clock`` time.

    Args:
        grant: the waiter's future, completed by whoever hands over the resource.
        limit: seconds to wait, or None to wait for ever.
        clock: the clock whose ``timeout()`` bounds the wait.
        what: names the resource in the timeout error (``semaphore 'api'``).
        leave_queue: takes the waiter out of the queue when it gives up without a grant.
        pass_on: hands a grant that arrived too late (the waiter was cancelled) to the next waiter.

    Raises:
        AcquireTimeoutError: no grant within ``limit``; the waiter has left the queue.
        BaseException: whatever interrupted the wait (cancellation); the grant, if any, was passed on.
    """
    try:
        if limit is None:
            await grant
        else:
            async with clock.timeout(limit):
                await grant
    except TimeoutError:
        # Only ``await grant`` runs inside the timeout, so this is our deadline, never the caller's.
        if not grant.done() or grant.cancelled():
            assert limit is not None
            leave_queue()
            raise AcquireTimeoutError(what, limit) from None
        # Granted in the same instant the deadline fired: the resource is ours, keep it.
    except BaseException:
        if grant.done() and not grant.cancelled():
            pass_on()  # granted, then cancelled before resuming
        else:
            leave_queue()
        raise
