"""SLOs: error budget remaining and multi-window burn rates per check, read from the rollups.

A check's SLO (``slo = 99.9`` in the config) is the share of samples that must be up over the SLO window
(30 days). The error budget is the share allowed down, ``1 - slo / 100``; *budget remaining* is
``1 - (down share over the window) / budget`` (1 untouched, 0 spent, negative overspent).

A *burn rate* over a window is the down share there divided by the budget: 1 spends the budget exactly by
the end of the SLO window. As in the SRE workbook, two alerts combine a long and a short window so that an
alert starts fast and stops soon after the burn does:

- fast burn: above 14.4 over 1 h **and** over 5 min (2 % of a 30-day budget in an hour);
- slow burn: above 6 over 6 h **and** over 30 min (5 % of the budget in six hours).

Burn rates come from minute rollups (kept 24 h), the budget from the 30-day window's rollups (see
``health.uptime``); samples in maintenance are left out of both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.uptime import bucket_start, window_summaries
from omnimemory_kit.store.base import HealthHistoryStore

__all__ = [
    "BURN_WINDOWS",
    "FAST_BURN",
    "SLOW_BURN",
    "SLO_WINDOW",
    "SloStatus",
    "check_slo",
    "slo_status",
    "slo_table",
]

BURN_WINDOWS: Mapping[str, int] = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600}
"""Burn-rate windows: label to seconds."""

FAST_BURN = 14.4
"""Burn rate over 1 h and 5 min that pages (2 % of a 30-day budget in one hour)."""

SLOW_BURN = 6.0
"""Burn rate over 6 h and 30 min that pages (5 % of a 30-day budget in six hours)."""

SLO_WINDOW = "30d"
"""The window an SLO (and its budget) is measured over."""


def check_slo(slo: float, where: str = "slo") -> float:
    """Return ``slo`` (a percentage) if it is above 0 and below 100.

    Raises:
        HealthConfigError: it is not a number strictly between 0 and 100.
    """
    if (
        isinstance(slo, bool)
        or not isinstance(slo, int | float)
        or not math.isfinite(slo)
        or not 0 < slo < 100
    ):
        raise HealthConfigError(
            f"{where} must be a percentage above 0 and below 100 (like 99.9), not {slo!r}"
        )
    return float(slo)


@dataclasses.dataclass(frozen=True, slots=True)
class SloStatus:
    """One check's SLO standing at one moment.

    Attributes:
        name: the check.
        slo: the objective, a percentage.
        uptime: the up share over the SLO window (None without samples).
        budget_remaining: the share of the error budget left (None without samples).
        burn_rates: burn rate per ``BURN_WINDOWS`` label (None without samples there).
        fast_burn: the 1 h and 5 min burn rates both exceed ``FAST_BURN``.
        slow_burn: the 6 h and 30 min burn rates both exceed ``SLOW_BURN``.
    """

    name: str
    slo: float
    uptime: float | None
    budget_remaining: float | None
    burn_rates: Mapping[str, float | None]
    fast_burn: bool
    slow_burn: bool


def _down_shares(store: HealthHistoryStore, resolution: str, since: float) -> dict[str, float]:
    """Return the down share per check over the rollups of ``resolution`` from ``since`` on."""
    return {
        row.name: (row.total - row.up) / row.total
        for row in store.summarize_health_rollups(resolution=resolution, since=since, latency=False)
        if row.total
    }


def slo_table(store: HealthHistoryStore, slos: Mapping[str, float], now: float) -> list[SloStatus]:
    """Return the SLO standing of each check in ``slos`` (name to percentage) at ``now``, in that order.

    Raises:
        HealthConfigError: an SLO is not strictly between 0 and 100.
    """
    budgets = {name: 1.0 - check_slo(slo, f"check {name!r}: slo") / 100.0 for name, slo in slos.items()}
    if not budgets:
        return []
    (over_window,) = window_summaries(store, now, (SLO_WINDOW,), latency=False).values()
    down = {name: (row.total - row.up) / row.total for name, row in over_window.items() if row.total}
    burn_down = {
        label: _down_shares(store, "minute", bucket_start(now - seconds, "minute"))
        for label, seconds in BURN_WINDOWS.items()
    }
    table = []
    for name, budget in budgets.items():
        burn = {
            label: (shares[name] / budget if name in shares else None) for label, shares in burn_down.items()
        }

        def over(label: str, threshold: float, burn: dict[str, float | None] = burn) -> bool:
            value = burn[label]
            return value is not None and value > threshold

        share = down.get(name)
        table.append(
            SloStatus(
                name=name,
                slo=slos[name],
                uptime=None if share is None else 1.0 - share,
                budget_remaining=None if share is None else 1.0 - share / budget,
                burn_rates=burn,
                fast_burn=over("1h", FAST_BURN) and over("5m", FAST_BURN),
                slow_burn=over("6h", SLOW_BURN) and over("30m", SLOW_BURN),
            )
        )
    return table


def slo_status(store: HealthHistoryStore, name: str, slo: float, now: float) -> SloStatus:
    """Return one check's uptime over the SLO window, its budget remaining and its burn rates at ``now``."""
    return slo_table(store, {name: slo}, now)[0]
