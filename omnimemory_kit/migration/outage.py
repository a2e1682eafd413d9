"""Riding out a store outage: the gate every store call of a running migration passes through.

    gate = OutageGate("postgresql://db/x", timeout=600, clock=clock)
    counts = await gate.call(lambda: loop.run_in_executor(store_thread, store.item_counts, run_id))

While the store answers, a call is one ``await`` inside a ``try`` (nothing else on the path). The first
``StoreUnavailableError`` (a server down or restarting, no pooled connection in time, a SQLite file locked
by another writer, a full disk) opens an outage, stamped "unavailable since" on the wall clock. From then
on every call goes through the kit's own breaker and retry:

- the breaker (one failure opens it, one trial call at a time when half-open) keeps the callers waiting
  in the meantime from hammering the store: only one probes it, the others wait until it answers;
- each caller backs off between its own attempts with a ``RetryPolicy`` (exponential, jitter, capped at
  one second, so a store that came back is noticed within about a second);
- the first call that gets through ends the outage and wakes every waiter at once.

A caller is never told about an outage it rode out: its call simply takes longer. The caller's callable
is attempted again as is, so it must be safe to repeat (a store write whose acknowledgement was lost must
be recognized by the caller, see ``migration.store_link``). After ``timeout`` seconds of outage the gate
gives up: the call raises ``StoreUnavailableError`` with one line saying since when and for how long, and
every later call fails the same way at once (``reset()`` opens it again, for a new run). A timeout of 0
gives up on the first failure: no riding out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import CircuitBreakerError, ConfigError, StoreUnavailableError
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig, RetryPolicy

__all__ = ["DEFAULT_OUTAGE_TIMEOUT", "OutageGate", "format_since"]

logger = logging.getLogger("omnimemory_kit.migration")

T = TypeVar("T")

DEFAULT_OUTAGE_TIMEOUT = 600.0
"""Seconds a running migration waits for its store to come back before giving up (10 minutes)."""

_PROBE_INTERVAL = 0.25  # the breaker admits one trial call this long after the last failed one
_MIN_WAIT = 0.01  # never spin: a refused caller waits at least this long (or until the store is back)


def format_since(epoch: float) -> str:
    """Return an "unavailable since" time as people read it: UTC, to the second."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class OutageGate:
    """Pass store calls through; during an outage, hold them until the store is back or time runs out.

    Args:
        name: what the store is called in messages (its redacted URL).
        timeout: seconds of outage to ride out before giving up (0: give up at the first failure).
        clock: where waits, deadlines and the "since" stamp come from.
        retry: each caller's backoff between its attempts (default: 0.05 s doubling, capped at 1 s).
        on_change: called with the since stamp when an outage begins and with None when it ends.
    """

    __slots__ = (
        "_back",
        "_breaker",
        "_clock",
        "_gave_up",
        "_name",
        "_on_change",
        "_reason",
        "_retry",
        "_since",
        "_started",
        "_timeout",
    )

    def __init__(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        clock: Clock = SYSTEM_CLOCK,
        retry: RetryPolicy | None = None,
        on_change: Callable[[float | None], object] | None = None,
    ) -> None:
        number = isinstance(timeout, int | float) and not isinstance(timeout, bool)
        if not number or not 0 <= timeout < float("inf"):
            raise ConfigError(f"outage_timeout must be a finite number of seconds >= 0, not {timeout!r}")
        self._name = name
        self._timeout = float(timeout)
        self._clock = clock
        self._retry = retry or RetryPolicy(base_delay=0.05, max_delay=1.0, jitter="equal", clock=clock)
        self._breaker = AsyncCircuitBreaker(
            f"store:{name}",
            CircuitBreakerConfig(
                failure_threshold=1, recovery_timeout=_PROBE_INTERVAL, log_transitions=False
            ),
            clock=clock,
        )
        self._since: float | None = None  # wall clock, for people
        self._started = 0.0  # monotonic, for the deadline
        self._reason = ""
        self._back: asyncio.Event | None = None
        self._gave_up = False
        self._on_change = on_change

    @property
    def timeout(self) -> float:
        """Return the seconds of outage this gate rides out."""
        return self._timeout

    @property
    def unavailable_since(self) -> float | None:
        """Return when the current outage began (epoch seconds), or None while the store answers."""
        return self._since

    @property
    def gave_up(self) -> bool:
        """Return whether an outage outlasted the timeout (every call now fails at once)."""
        return self._gave_up

    def reset(self) -> None:
        """Forget a past outage and a give-up: the next call tries the store again."""
        self._since = None
        self._gave_up = False
        self._breaker.reset()
        back, self._back = self._back, None
        if back is not None:
            back.set()

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Return ``await attempt()``, riding out an outage (``attempt`` is repeated until it gets through).

        Raises:
            StoreUnavailableError: the outage lasted longer than the timeout (one line: since when).
            BaseException: anything else ``attempt`` raises, unchanged.
        """
        if self._since is None:
            try:
                return await attempt()
            except StoreUnavailableError as exc:
                self._begin(exc)
        return await self._ride_out(attempt)

    # --- during an outage -------------------------------------------------------------------------

    async def _ride_out(self, attempt: Callable[[], Awaitable[T]]) -> T:
        failures = 0
        while True:
            remaining = self._remaining()
            try:
                result = await self._breaker.call(attempt)
            except CircuitBreakerError as refused:  # another caller is probing: wait for its verdict
                await self._wait(min(max(refused.retry_after, _MIN_WAIT), remaining))
                continue
            except StoreUnavailableError as exc:
                failures += 1
                self._begin(exc)
                await self._wait(min(self._retry.delay_for(failures), self._remaining()))
                continue
            self._end()
            return result

    def _begin(self, exc: StoreUnavailableError) -> None:
        """Open an outage (or note a new reason for the current one) and log it once per reason."""
        reason = str(exc)
        if self._since is None:
            self._since = self._clock.time()
            self._started = self._clock.monotonic()
            self._back = asyncio.Event()
            self._reason = reason
            logger.warning(
                "store unavailable since %s: %s; no new work is claimed, finished outcomes are kept "
                "and reported when it is back (giving up after %gs)",
                format_since(self._since),
                reason,
                self._timeout,
            )
            if self._on_change is not None:
                self._on_change(self._since)
        elif reason != self._reason:
            self._reason = reason
            logger.warning("store still unavailable: %s", reason)

    def _end(self) -> None:
        since, self._since = self._since, None
        if since is None:
            return
        self._breaker.reset()
        back, self._back = self._back, None
        if back is not None:
            back.set()
        logger.warning(
            "store available again after %.1fs of outage; reporting what finished meanwhile",
            self._clock.monotonic() - self._started,
        )
        if self._on_change is not None:
            self._on_change(None)

    def _remaining(self) -> float:
        """Return the seconds left to ride out; give up (raise) when none are left."""
        if self._since is None:
            return self._timeout
        elapsed = self._clock.monotonic() - self._started
        if self._gave_up or elapsed >= self._timeout:
            self._gave_up = True
            raise StoreUnavailableError(
                f"store unavailable since {format_since(self._since)}, for {elapsed:.1f}s "
                f"(the outage timeout is {self._timeout:g}s): {self._reason}; "
                f"nothing acknowledged is lost, run again once the store is back"
            )
        return self._timeout - elapsed

    async def _wait(self, seconds: float) -> None:
        """Wait ``seconds`` on the clock, or less if the store comes back meanwhile."""
        back = self._back
        if back is None or back.is_set():
            return
        # A race of two tasks rather than a timeout around the wait: a clock's sleep is what test clocks
        # drive (and what an auto-advancing one jumps over), and the race cancels whichever loses.
        sleeper = asyncio.ensure_future(self._clock.sleep(max(seconds, _MIN_WAIT)))
        woken = asyncio.ensure_future(back.wait())
        try:
            await asyncio.wait((sleeper, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()

    def __repr__(self) -> str:
        if self._since is None:
            return f"<OutageGate {self._name!r} available timeout={self._timeout:g}s>"
        state = "gave up" if self._gave_up else "riding out"
        since = format_since(self._since)
        return f"<OutageGate {self._name!r} {state} since={since} reason={self._reason!r}>"
