"""Roll-up: the service's overall status from its dependencies' statuses. Pure functions, no I/O.

The rule, in order:

1. any **critical** dependency ``unhealthy`` → ``unhealthy``;
2. a critical dependency ``degraded``, or **any** non-critical dependency ``unhealthy`` or ``degraded`` →
   ``degraded``;
3. otherwise → ``healthy``.

A dependency reporting ``unknown`` counts as ``degraded`` (nobody can vouch for it, but nothing says it is
down). With **no dependencies** the service is ``healthy``: it is up and answering, and nothing it depends
on is known to be down; the manager adds a note saying no checks are registered.

So the roll-up only ever produces ``healthy``, ``degraded`` or ``unhealthy``, all values of ``HealthStatus``.
"""

from __future__ import annotations

from collections.abc import Iterable

from omnimemory_kit.health.status import HealthStatus

__all__ = ["roll_up"]


def roll_up(dependencies: Iterable[tuple[HealthStatus, bool]]) -> HealthStatus:
    """Return the overall status of ``(status, critical)`` pairs by the rule in the module docstring."""
    overall = HealthStatus.HEALTHY
    for status, critical in dependencies:
        if status == HealthStatus.HEALTHY:
            continue
        if critical and status == HealthStatus.UNHEALTHY:
            return HealthStatus.UNHEALTHY
        overall = HealthStatus.DEGRADED
    return overall
