"""Free disk space on the volume holding a path, with a warn and a fail threshold."""

from __future__ import annotations

import asyncio
import os
from typing import ClassVar

import psutil

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult

__all__ = ["DiskSpaceCheck"]


class DiskSpaceCheck(BuiltinCheck):
    """Report the free space of the volume holding ``path``: degraded below ``warn_free_pct``, unhealthy
    below ``fail_free_pct``.

    ``used_pct`` is the share of the volume in use as ``df`` shows it (Use%), ``free_pct`` the rest an
    ordinary user can still write (100 - Use%). The size is read in a worker thread: ``statvfs`` on a hung
    network mount would otherwise freeze the event loop.

    Observed value: ``used_pct`` (unit ``percent``, measurement ``utilization``: the IETF health format's
    utilization is the share in use, as the host metrics' ``disk:utilization`` is). The thresholds and the
    message speak of free space. Details: ``used_pct``, ``free_pct``, ``free_bytes``, ``total_bytes``,
    ``used_bytes``.

    Raises:
        HealthConfigError: thresholds outside 0-100, or ``fail_free_pct`` above ``warn_free_pct``.
    """

    kind: ClassVar[str] = "disk"

    def __init__(
        self,
        path: str | os.PathLike[str] = "/",
        *,
        warn_free_pct: float = 20.0,
        fail_free_pct: float = 10.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        for field, value in (("warn_free_pct", warn_free_pct), ("fail_free_pct", fail_free_pct)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                raise HealthConfigError(f"{field}: must be a percentage from 0 to 100, not {value!r}")
        if fail_free_pct > warn_free_pct:
            raise HealthConfigError(
                f"fail_free_pct ({fail_free_pct:g}) must not be above warn_free_pct ({warn_free_pct:g})"
            )
        self.path = os.fspath(path)
        self.warn_free_pct = float(warn_free_pct)
        self.fail_free_pct = float(fail_free_pct)

    @property
    def target(self) -> str:
        """Return the path whose volume is checked."""
        return self.path

    async def _probe(self) -> CheckResult:
        usage = await asyncio.to_thread(psutil.disk_usage, self.path)
        used_pct = round(float(usage.percent), 2)
        free_pct = round(100.0 - used_pct, 2)
        details = {
            "used_pct": used_pct,
            "free_pct": free_pct,
            "free_bytes": usage.free,
            "total_bytes": usage.total,
            "used_bytes": usage.used,
        }
        summary = f"{free_pct:.1f}% free ({usage.free / 2**30:.1f} GiB of {usage.total / 2**30:.1f} GiB)"
        fields = {"observed_value": used_pct, "observed_unit": "percent", "measurement": "utilization"}
        if free_pct < self.fail_free_pct:
            return CheckResult.unhealthy(
                f"{summary}, below the {self.fail_free_pct:g}% minimum", details=details, **fields
            )
        if free_pct < self.warn_free_pct:
            return CheckResult.degraded(
                f"{summary}, below the {self.warn_free_pct:g}% warning level", details=details, **fields
            )
        return CheckResult.healthy(summary, details=details, **fields)
