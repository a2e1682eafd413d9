"""The health statuses and their order: a leaf every other health module may import.

``HealthStatus`` (with ``SEVERITY``, ``worst`` and the IETF mapping), the kinds of dependency and the IETF
component types, and ``finite_or_none`` (JSON has no NaN). Nothing here imports another health module, so
the models, conditions, roll-up and IETF rendering can all stand on it without importing each other.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Literal

__all__ = [
    "SEVERITY",
    "ComponentType",
    "DependencyType",
    "HealthStatus",
    "finite_or_none",
    "ietf_status",
    "worst",
]


class HealthStatus(StrEnum):
    """How well a dependency (or the whole service) is doing, best first.

    ``UNKNOWN`` means nothing could be said (a check returned it explicitly); the roll-up treats it like
    ``DEGRADED`` because nobody can vouch for the dependency.
    """

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class DependencyType(StrEnum):
    """What kind of thing a check looks at (decides the IETF ``componentType`` unless given)."""

    DATABASE = "database"
    CACHE = "cache"
    HTTP = "http"
    EXTERNAL_SERVICE = "external_service"
    VECTOR_DB = "vector_db"
    QUEUE = "queue"
    FILESYSTEM = "filesystem"
    TCP = "tcp"
    STORE = "store"
    SYSTEM = "system"
    OTHER = "other"


class ComponentType(StrEnum):
    """The IETF health+json ``componentType`` values."""

    COMPONENT = "component"
    DATASTORE = "datastore"
    SYSTEM = "system"


SEVERITY: dict[HealthStatus, int] = {
    HealthStatus.HEALTHY: 0,
    HealthStatus.UNKNOWN: 1,
    HealthStatus.DEGRADED: 2,
    HealthStatus.UNHEALTHY: 3,
}
"""How bad each status is (higher is worse), for ``worst`` and flap damping."""


def worst(first: HealthStatus, second: HealthStatus) -> HealthStatus:
    """Return the worse of two statuses (the first one on a tie)."""
    return second if SEVERITY[second] > SEVERITY[first] else first


def ietf_status(status: HealthStatus) -> Literal["pass", "warn", "fail"]:
    """Map a status to the IETF health+json ``status``: healthy → pass, unhealthy → fail, else warn."""
    if status == HealthStatus.HEALTHY:
        return "pass"
    if status == HealthStatus.UNHEALTHY:
        return "fail"
    return "warn"


def finite_or_none(value: float | None) -> float | None:
    """Return ``value`` when it is a finite number, else None (JSON has no NaN or infinity)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
