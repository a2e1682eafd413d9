"""Flap damping: a dependency's reported status changes only after enough consecutive rounds agree.

A round whose observed status is *worse* than the reported one counts toward ``failures_to_change``; a
round that is *better* counts toward ``successes_to_recover``; a round equal to the reported status resets
both streaks. When a streak reaches its threshold, the reported status becomes the latest observed one.
Until then the dependency keeps its previous status and is marked ``pending``.

The first observation is reported as is: there is no previous state to hold on to, and a one-shot health
run must not hide a dependency that is down. With both thresholds at 1 (the default) there is no damping.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.status import SEVERITY, HealthStatus

__all__ = ["DampedStatus", "FlapDamper"]


@dataclass(frozen=True, slots=True)
class DampedStatus:
    """The status to report after damping, and whether a change is waiting for more rounds."""

    status: HealthStatus
    pending: bool


class FlapDamper:
    """Hold one dependency's reported status steady until a change is confirmed (a small reducer)."""

    __slots__ = ("_better", "_reported", "_worse", "failures_to_change", "successes_to_recover")

    def __init__(self, failures_to_change: int = 1, successes_to_recover: int = 1) -> None:
        for name, value in (
            ("failures_to_change", failures_to_change),
            ("successes_to_recover", successes_to_recover),
        ):
            if value < 1:
                raise HealthConfigError(f"{name} must be at least 1, not {value}")
        self.failures_to_change = failures_to_change
        self.successes_to_recover = successes_to_recover
        self._reported: HealthStatus | None = None
        self._worse = 0
        self._better = 0

    @property
    def reported(self) -> HealthStatus | None:
        """Return the status currently reported (None before the first observation)."""
        return self._reported

    def observe(self, observed: HealthStatus) -> DampedStatus:
        """Fold one round's observed status in; return what to report."""
        reported = self._reported
        if reported is None or observed == reported:
            self._reported = observed
            self._worse = self._better = 0
            return DampedStatus(observed, pending=False)
        if SEVERITY[observed] > SEVERITY[reported]:
            self._worse += 1
            self._better = 0
            confirmed = self._worse >= self.failures_to_change
        else:
            self._better += 1
            self._worse = 0
            confirmed = self._better >= self.successes_to_recover
        if confirmed:
            self._reported = observed
            self._worse = self._better = 0
            return DampedStatus(observed, pending=False)
        return DampedStatus(reported, pending=True)

    def __repr__(self) -> str:
        return (
            f"<FlapDamper reported={self._reported} worse={self._worse}/{self.failures_to_change} "
            f"better={self._better}/{self.successes_to_recover}>"
        )
