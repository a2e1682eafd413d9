"""Push heartbeats (a dead-man switch): healthy while heartbeats keep arriving within ``max_age``.

A scheduled job proves it ran by sending a heartbeat: ``POST /push/<name>`` to ``health serve`` (with the
check's token), or ``send_heartbeat(store, name)`` from Python, which writes to the store the check
reads. ``omnimemory-kit report --heartbeat NAME`` sends one after a report succeeds; ``migrate`` and
``worker --heartbeat NAME`` send them while the run goes on (``health.heartbeats.HeartbeatSender``).

The check is healthy while the latest heartbeat (in memory or in the store) is at most ``max_age``
seconds old, and unhealthy once it is older. Before any heartbeat has arrived it is ``unknown`` for its
first ``max_age`` seconds (the job has had no chance to run yet), then unhealthy. Observed value: the
heartbeat's age in seconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.health.status import HealthStatus
from omnimemory_kit.store.base import HealthHistoryStore

__all__ = ["PushCheck", "send_heartbeat"]

MESSAGE_LIMIT = 500
"""Longest heartbeat message kept, in characters."""


def send_heartbeat(
    store: HealthHistoryStore, name: str, *, message: str | None = None, at: float | None = None
) -> None:
    """Durably record a heartbeat of push check ``name`` in ``store`` (now, unless ``at`` says when).

    Raises:
        HealthConfigError: ``name`` is empty.
        StoreError: the store could not record it.
    """
    if not isinstance(name, str) or not name.strip():
        raise HealthConfigError("a heartbeat needs the push check's name")
    text = message[:MESSAGE_LIMIT] if message else None
    store.record_heartbeat(name.strip(), time.time() if at is None else at, text)


class PushCheck(BuiltinCheck):
    """Healthy while a heartbeat for ``name`` arrived in the last ``max_age`` seconds.

    Args:
        name: the push check's name (what heartbeats are sent for).
        max_age: seconds a heartbeat stays good.
        store: where heartbeats sent by other processes are read from (None: only ``beat()`` counts).
        clock: its ``time()`` is "now".
    """

    kind: ClassVar[str] = "push"

    def __init__(
        self,
        name: str,
        max_age: float,
        *,
        store: HealthHistoryStore | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        if not max_age > 0:
            raise HealthConfigError(f"push check {name!r}: max_age must be positive")
        self.name = name
        self.max_age = float(max_age)
        self.store = store
        self._last: float | None = None
        self._since = clock.time()  # the job gets max_age from here to send its first heartbeat

    @property
    def target(self) -> str:
        """Return the heartbeat name."""
        return f"heartbeat {self.name}"

    def beat(self, at: float | None = None) -> None:
        """Note a heartbeat now (or at ``at``), in memory."""
        moment = self._clock.time() if at is None else at
        self._last = moment if self._last is None else max(self._last, moment)

    async def _probe(self) -> CheckResult:
        last = self._last
        if self.store is not None:
            row = await asyncio.to_thread(self.store.last_heartbeat, self.name)
            if row is not None and (last is None or row.at > last):
                last = row.at
        if last is None:
            waited = self._clock.time() - self._since
            if waited <= self.max_age:
                return CheckResult(
                    status=HealthStatus.UNKNOWN,
                    message=f"waiting for the first heartbeat ({waited:.0f}s of {self.max_age:g}s)",
                )
            return CheckResult.unhealthy(f"no heartbeat received (expected every {self.max_age:g}s)")
        age = max(0.0, self._clock.time() - last)
        if age > self.max_age:
            return CheckResult.unhealthy(
                f"last heartbeat {age:.0f}s ago (expected every {self.max_age:g}s)",
                observed_value=round(age, 3),
                observed_unit="s",
                measurement="age",
            )
        return CheckResult.healthy(
            f"last heartbeat {age:.0f}s ago",
            observed_value=round(age, 3),
            observed_unit="s",
            measurement="age",
        )
