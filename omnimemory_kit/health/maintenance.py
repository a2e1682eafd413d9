"""Maintenance windows: planned intervals during which checks' results neither count nor alert.

A window has a start and an end (aware datetimes, end after start), optionally the checks it covers (every
check when none are named) and a reason. During a window, a covered check's samples are left out of uptime
(counted as maintenance in the rollups), open and close no incidents, and send no alerts.

Two windows covering a common check must not overlap: overlapping windows are almost always a typo in a
date, and refusing them keeps "which window muted this?" answerable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from omnimemory_kit.errors import HealthConfigError

__all__ = ["MaintenanceSchedule", "MaintenanceWindow"]


@dataclasses.dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """One planned maintenance interval ``start <= t < end``.

    Raises:
        HealthConfigError: a naive datetime, or ``end`` not after ``start``.
    """

    start: dt.datetime
    end: dt.datetime
    checks: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        for label, moment in (("start", self.start), ("end", self.end)):
            if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
                raise HealthConfigError(
                    f"maintenance {label} must be a date and time with a UTC offset "
                    f"(like 2026-12-05T02:00:00Z)"
                )
        if self.end <= self.start:
            raise HealthConfigError(
                f"maintenance window ends ({self.end.isoformat()}) "
                f"{'when' if self.end == self.start else 'before'} it starts ({self.start.isoformat()})"
            )

    def covers(self, name: str, at: float) -> bool:
        """Return whether check ``name`` is in this window at epoch time ``at``."""
        return (
            not self.checks or name in self.checks
        ) and self.start.timestamp() <= at < self.end.timestamp()

    def shares_checks_with(self, other: MaintenanceWindow) -> bool:
        """Return whether the two windows cover at least one common check."""
        return not self.checks or not other.checks or bool(set(self.checks) & set(other.checks))


class MaintenanceSchedule:
    """A set of maintenance windows; call it as ``schedule(check, epoch seconds)``.

    Raises:
        HealthConfigError: two windows covering a common check overlap.
    """

    __slots__ = ("_bounds", "windows")

    def __init__(self, windows: Iterable[MaintenanceWindow] = ()) -> None:
        ordered: Sequence[MaintenanceWindow] = sorted(windows, key=lambda window: window.start)
        for index, window in enumerate(ordered):
            for later in ordered[index + 1 :]:
                if later.start >= window.end:
                    break
                if window.shares_checks_with(later):
                    raise HealthConfigError(
                        f"maintenance windows overlap: {window.start.isoformat()} to "
                        f"{window.end.isoformat()} and {later.start.isoformat()} to {later.end.isoformat()}"
                    )
        self.windows = tuple(ordered)
        self._bounds = [(w.start.timestamp(), w.end.timestamp(), w) for w in self.windows]

    def __call__(self, name: str, at: float) -> bool:
        """Return whether check ``name`` is in maintenance at epoch time ``at``."""
        return self.active(name, at) is not None

    def active(self, name: str, at: float) -> MaintenanceWindow | None:
        """Return the window covering check ``name`` at ``at``, or None."""
        for start, end, window in self._bounds:
            if start > at:
                break
            if at < end and (not window.checks or name in window.checks):
                return window
        return None

    def __bool__(self) -> bool:
        return bool(self.windows)

    def __repr__(self) -> str:
        return f"<MaintenanceSchedule windows={len(self.windows)}>"
