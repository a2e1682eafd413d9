"""Send a push check's heartbeats from a long job while it runs: ``HeartbeatSender``.

A migration that runs for hours proves it is alive the way a scheduled job proves it ran: by heartbeats
of a push check (``health.checks.push``), written to the store ``health serve`` reads. The sender writes
one at once, then one every ``every`` seconds in the background, and on ``aclose(final=...)`` one last one
carrying the outcome. A job that dies (SIGKILL, a lost machine) simply stops sending, and the push check
turns unhealthy once its ``interval`` (+ ``grace``) has passed; a job that ends in failure sends no final
heartbeat, which the push check sees the same way (it models arrival, not a status).

A heartbeat is never worth stopping the job for: a write that fails or outlives ``timeout`` is reported
(the first of a streak, and the recovery) and the next one is tried on time. Each write runs in a daemon
thread of its own, so a store call that hangs neither blocks the event loop nor keeps the process alive at
exit, and while one hangs the beats due meanwhile are skipped instead of piling up behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks.push import send_heartbeat
from omnimemory_kit.observability import redact
from omnimemory_kit.store.base import HealthHistoryStore
from omnimemory_kit.store.opening import open_store

__all__ = ["DEFAULT_HEARTBEAT_EVERY", "HeartbeatSender", "HeartbeatStats"]

logger = logging.getLogger("omnimemory_kit.health.heartbeats")

DEFAULT_HEARTBEAT_EVERY = 15.0
"""Seconds between two heartbeats: half a push check's default ``interval`` (30 s)."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HeartbeatStats:
    """What a ``HeartbeatSender`` has done: heartbeats recorded, failed and skipped, the latest error."""

    sent: int
    failed: int
    skipped: int
    last_error: str | None


class HeartbeatSender:
    """Record heartbeats of push check ``name`` now, every ``every`` seconds, and once more at the end.

    Use it as ``async with HeartbeatSender(store, "nightly-migration"): ...`` (no final heartbeat), or
    ``await sender.start()`` ... ``await sender.aclose(final="completed")``.

    Args:
        store: the store to write to, or its URL (opened without creating it, on the first heartbeat,
            and closed by ``aclose``).
        name: the push check's name.
        every: seconds between two heartbeats (about half the push check's ``interval``).
        message: returns the text each periodic heartbeat carries (None: no text).
        timeout: seconds one write may take before it counts as failed (the job goes on regardless).
        report: called with a line when heartbeats start failing and when they are recorded again
            (default: a warning on the ``omnimemory_kit.health.heartbeats`` logger).
        clock: its ``time()`` stamps heartbeats, its ``sleep()`` paces them.

    Raises:
        HealthConfigError: an empty name, or ``every`` or ``timeout`` not a positive number.
    """

    def __init__(
        self,
        store: HealthHistoryStore | str,
        name: str,
        *,
        every: float = DEFAULT_HEARTBEAT_EVERY,
        message: Callable[[], str | None] | None = None,
        timeout: float = 10.0,
        report: Callable[[str], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise HealthConfigError("a heartbeat needs the push check's name")
        for label, value in (("every", every), ("timeout", timeout)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise HealthConfigError(
                    f"heartbeat {label} must be a positive number of seconds, not {value!r}"
                )
        self.name = name.strip()
        self.every = float(every)
        self.timeout = float(timeout)
        self._url = store if isinstance(store, str) else None
        self._store: HealthHistoryStore | None = None if isinstance(store, str) else store
        self._message = message
        self._report = report or logger.warning
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[Any] | None = None
        self._failing = False
        self._sent = self._failed = self._skipped = 0
        self._last_error: str | None = None

    def __repr__(self) -> str:
        state = "running" if self._task is not None and not self._task.done() else "idle"
        return (
            f"<HeartbeatSender {self.name!r} {state} every={self.every:g}s sent={self._sent} "
            f"failed={self._failed} skipped={self._skipped}>"
        )

    def statistics(self) -> HeartbeatStats:
        """Return what has been sent, failed and skipped so far."""
        return HeartbeatStats(self._sent, self._failed, self._skipped, self._last_error)

    async def __aenter__(self) -> HeartbeatSender:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start sending in the background (the first heartbeat goes out at once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"heartbeats {self.name}")

    async def beat(self, message: str | None = None) -> bool:
        """Record one heartbeat now; return whether it was recorded (a failure is reported, never raised)."""
        if self._writing is not None and not self._writing.done():
            self._skipped += 1  # the previous write still hangs: do not queue another behind it
            return False
        at = self._clock.time()
        self._writing = self._in_thread(lambda: self._write(at, message))
        try:
            await asyncio.wait_for(asyncio.shield(self._writing), self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed += 1
            reason = "timed out" if isinstance(exc, TimeoutError) else redact(str(exc)) or type(exc).__name__
            self._last_error = reason
            if not self._failing:
                self._failing = True
                self._report(f"heartbeat {self.name!r} not recorded ({reason}); the job goes on")
            return False
        self._sent += 1
        if self._failing:
            self._failing = False
            self._report(f"heartbeat {self.name!r} recorded again")
        return True

    async def aclose(self, final: str | None = None) -> None:
        """Stop the background heartbeats; with ``final``, record one last heartbeat carrying it first."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if final is not None:
            if self._writing is not None and not self._writing.done():
                # the last periodic write is still going: give it its time, then send the outcome
                await asyncio.wait([self._writing], timeout=self.timeout)
            await self.beat(final)
        if self._url is not None and self._store is not None:
            store, self._store = self._store, None
            closing = self._in_thread(store.close)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(closing), self.timeout)

    async def _loop(self) -> None:
        while True:
            await self.beat(self._message() if self._message is not None else None)
            await self._clock.sleep(self.every)

    def _write(self, at: float, message: str | None) -> None:
        """Open the store when given as a URL (first time), then record the heartbeat (in a thread)."""
        if self._store is None:
            assert self._url is not None
            self._store = open_store(self._url, create=False)
        send_heartbeat(self._store, self.name, message=message, at=at)

    def _in_thread(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``fn`` in a daemon thread of its own; a call that hangs never holds up the process's exit."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: T | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def run() -> None:
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the awaiting side
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(settle, result, error)

        # A write that outlived its timeout may still fail later, with nobody awaiting it: retrieve that.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        threading.Thread(target=run, name=f"heartbeat {self.name}", daemon=True).start()
        return future
