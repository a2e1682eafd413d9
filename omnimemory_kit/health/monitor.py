"""Checks on their own intervals in the background, the latest result of each kept for readers.

A ``HealthMonitor`` runs every check of a ``HealthManager`` in a task of its own, each on its own interval
(paced on a fixed grid, so a slow round skips the ticks it overran instead of drifting). Readers (the HTTP
endpoints, the metrics) only ever look at the latest results: answering never runs a check.

Each result is handed to the listeners (metrics, alerts) and, when the monitor has a history, recorded as a
snapshot holding that one check and the overall status at that moment. A listener or a recording that
fails is logged and never stops the checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.models import DependencyHealth, HealthResponse
from omnimemory_kit.health.rollup import roll_up

if TYPE_CHECKING:
    from omnimemory_kit.health.history import HealthHistory
    from omnimemory_kit.health.manager import HealthManager

__all__ = ["DEFAULT_INTERVAL", "HealthMonitor", "ResultListener"]

logger = logging.getLogger("omnimemory_kit.health")

DEFAULT_INTERVAL = 30.0
"""Seconds between two runs of a check unless its config says otherwise."""

ResultListener = Callable[[DependencyHealth, HealthResponse], None]
"""Called with each new check result and the overall response that includes it (on the event loop)."""


class HealthMonitor:
    """Run each check of ``manager`` every ``intervals[name]`` seconds; keep the latest result of each.

    Args:
        manager: the checks (their timeouts, breakers, conditions and damping apply as in a round).
        intervals: seconds between runs per check name; a check not named runs every ``DEFAULT_INTERVAL``.
        history: where each result is recorded, or None.
        clock: paces the runs (a ``FakeClock`` in tests).

    Raises:
        HealthConfigError: an interval is not a positive number, or names no registered check.
    """

    def __init__(
        self,
        manager: HealthManager,
        intervals: Mapping[str, float] | None = None,
        *,
        history: HealthHistory | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        names = [config.name for config in manager.configs]
        given = dict(intervals or {})
        for name, seconds in given.items():
            if name not in names:
                raise HealthConfigError(f"interval given for {name!r}, which is not a registered check")
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not seconds > 0:
                raise HealthConfigError(f"check {name!r}: interval must be a positive number of seconds")
        self.manager = manager
        self.intervals = {name: float(given.get(name, DEFAULT_INTERVAL)) for name in names}
        self.history = history
        self.clock = clock
        self._clock = clock
        self._critical = {config.name: config.critical for config in manager.configs}
        self._latest: dict[str, DependencyHealth] = {}
        self._listeners: list[ResultListener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()
        self.results = 0
        self.started_at: dt.datetime | None = None

    def add_listener(self, listener: ResultListener) -> None:
        """Call ``listener(result, overall)`` after every check run."""
        self._listeners.append(listener)

    # --- reading -------------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Return whether every check has a result (true at once when there are no checks)."""
        return len(self._latest) == len(self.intervals)

    def latest(self, name: str) -> DependencyHealth | None:
        """Return the latest result of a check, or None before its first run."""
        return self._latest.get(name)

    def response(self) -> HealthResponse:
        """Return the overall response from the latest results (checks not yet run are left out)."""
        dependencies = {name: self._latest[name] for name in self.intervals if name in self._latest}
        notes: tuple[str, ...] = ()
        waiting = [name for name in self.intervals if name not in self._latest]
        if waiting:
            notes = (f"not yet checked: {', '.join(waiting)}",)
        checked_at = max(
            (dep.checked_at for dep in dependencies.values()),
            default=dt.datetime.fromtimestamp(self._clock.time(), dt.UTC),
        )
        return HealthResponse(
            status=roll_up((dep.status, dep.critical) for dep in dependencies.values()),
            checked_at=checked_at,
            duration_ms=0.0,
            dependencies=dependencies,
            version=self.manager.version,
            notes=notes,
        )

    # --- running -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start one background task per check; the first run of each starts at once."""
        if self._tasks:
            return
        self.started_at = dt.datetime.fromtimestamp(self._clock.time(), dt.UTC)
        for name, interval in self.intervals.items():
            task = asyncio.get_running_loop().create_task(self._loop(name, interval), name=f"monitor:{name}")
            self._tasks.append(task)

    async def stop(self) -> None:
        """Cancel the checks' tasks and wait for them (a check in flight is abandoned)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self, name: str) -> DependencyHealth:
        """Run one check now, keep its result, tell the listeners and record it; return the result."""
        result = await self.manager.check(name)
        self._latest[name] = result
        self.results += 1
        overall = self.response()
        for listener in self._listeners:
            try:
                listener(result, overall)
            except Exception:
                logger.exception("a health result listener failed for %r", name)
        if self.history is not None:
            await self._record(result, overall)
        self._changed.set()
        return result

    async def wait_for_result(self) -> None:
        """Wait until the next check result arrives."""
        self._changed.clear()
        await self._changed.wait()

    async def _loop(self, name: str, interval: float) -> None:
        started = self._clock.monotonic()
        while True:
            try:
                await self.run_once(name)
            except Exception:  # a failure of our plumbing must not end this check's schedule
                logger.exception("health check %r could not be run", name)
            elapsed = self._clock.monotonic() - started
            next_tick = started + interval * (int(elapsed / interval) + 1)
            await self._clock.sleep(max(0.0, next_tick - self._clock.monotonic()))

    async def _record(self, result: DependencyHealth, overall: HealthResponse) -> None:
        history = self.history
        assert history is not None
        snapshot = HealthResponse(
            status=overall.status,
            checked_at=result.checked_at,
            duration_ms=result.latency_ms or 0.0,
            dependencies={result.name: result},
            version=overall.version,
        )
        try:
            await asyncio.to_thread(history.record, snapshot)
        except Exception:
            logger.exception("could not record the result of health check %r", result.name)

    def __repr__(self) -> str:
        state = "running" if self._tasks else "stopped"
        return f"<HealthMonitor checks={len(self.intervals)} {state} results={self.results}>"
