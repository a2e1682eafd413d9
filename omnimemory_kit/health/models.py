"""The health vocabulary: statuses, check registrations, what a check returns, and the response snapshot.

Everything here is a frozen pydantic model (a value), so a response can be kept, compared, serialised and
charted without anything changing under the reader. Bad configuration raises one ``HealthConfigError``
naming every field that is wrong. The statuses and kinds (``HealthStatus``, ``DependencyType``,
``ComponentType``) live in the leaf ``omnimemory_kit.health.status`` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.conditions import parse_condition
from omnimemory_kit.health.ietf import render_ietf
from omnimemory_kit.health.status import ComponentType as ComponentType
from omnimemory_kit.health.status import DependencyType as DependencyType
from omnimemory_kit.health.status import HealthStatus as HealthStatus
from omnimemory_kit.health.status import finite_or_none
from omnimemory_kit.resilience import CircuitBreakerConfig

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CheckResult",
    "ComponentType",
    "DependencyHealth",
    "DependencyType",
    "ErrorInfo",
    "HealthCheckConfig",
    "HealthResponse",
    "HealthStatus",
    "ResourceMetrics",
]


_DATASTORES = frozenset(
    {DependencyType.DATABASE, DependencyType.CACHE, DependencyType.VECTOR_DB, DependencyType.STORE}
)
_SYSTEMS = frozenset({DependencyType.SYSTEM, DependencyType.FILESYSTEM})


def _describe_validation_error(model: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(model)"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message} (got {error.get('input')!r})")
    return f"invalid {model}: " + "; ".join(problems)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class HealthCheckConfig(_Frozen):
    """How one dependency is checked: its name, kind, criticality, timeout, conditions, breaker and damping.

    Args:
        name: unique among the manager's checks; the response and the history are keyed by it.
        dependency_type: what kind of dependency this is.
        critical: whether the service is unhealthy when this dependency is (otherwise only degraded).
        timeout: seconds the check may take before it counts as unhealthy (> 0, finite).
        conditions: rules on what the check observed, each ``"<field> <op> <number> else <severity>"``
            (e.g. ``"latency_ms < 300 else degraded"``); fields are ``latency_ms``, ``observed_value`` and
            the keys of the result's ``details``.
        breaker: a ``CircuitBreakerConfig`` (from ``omnimemory_kit.resilience``) to guard the check with a
            circuit breaker, or None for no breaker.
        failures_to_change: consecutive worse results before the reported status gets worse (flap damping).
        successes_to_recover: consecutive better results before the reported status gets better.
        component_type: the IETF ``componentType``; derived from ``dependency_type`` when None.
        tags: free labels for grouping in notebooks and reports.

    Raises:
        HealthConfigError: naming every field that is wrong.
    """

    name: str
    dependency_type: DependencyType = DependencyType.OTHER
    critical: bool = True
    timeout: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    conditions: tuple[str, ...] = ()
    breaker: CircuitBreakerConfig | None = None
    failures_to_change: int = Field(default=1, ge=1)
    successes_to_recover: int = Field(default=1, ge=1)
    component_type: ComponentType | None = None
    tags: tuple[str, ...] = ()

    if not TYPE_CHECKING:  # keep the pydantic mypy plugin's typed __init__ for callers

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise HealthConfigError(_describe_validation_error(type(self).__name__, exc)) from exc

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a check needs a non-empty name")
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            parse_condition(text)  # raises HealthConfigError (a ValueError) naming the bad condition
        return value

    @property
    def effective_component_type(self) -> ComponentType:
        """Return the IETF component type: the given one, else derived from the dependency type."""
        if self.component_type is not None:
            return self.component_type
        if self.dependency_type in _DATASTORES:
            return ComponentType.DATASTORE
        if self.dependency_type in _SYSTEMS:
            return ComponentType.SYSTEM
        return ComponentType.COMPONENT


class CheckResult(_Frozen):
    """What a check function may return when a bool or a bare status says too little.

    Args:
        status: the check's own verdict (conditions may make it worse, never better).
        observed_value: one number the check measured (free disk %, queue depth, replication lag, ...).
        observed_unit: the unit of ``observed_value`` (``"percent"``, ``"ms"``, ``"bytes"``, ...).
        measurement: the IETF measurement name for ``observed_value`` (``"utilization"``, ``"connections"``);
            ``"value"`` when None.
        message: a short human sentence (redacted before it is shown).
        details: more named observations; numeric ones can be used in conditions (e.g. ``free_pct``).
    """

    status: HealthStatus = HealthStatus.HEALTHY
    observed_value: float | None = None
    observed_unit: str | None = None
    measurement: str | None = None
    message: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def healthy(cls, message: str | None = None, **fields: Any) -> CheckResult:
        """Return a healthy result."""
        return cls(status=HealthStatus.HEALTHY, message=message, **fields)

    @classmethod
    def degraded(cls, message: str | None = None, **fields: Any) -> CheckResult:
        """Return a degraded result."""
        return cls(status=HealthStatus.DEGRADED, message=message, **fields)

    @classmethod
    def unhealthy(cls, message: str | None = None, **fields: Any) -> CheckResult:
        """Return an unhealthy result."""
        return cls(status=HealthStatus.UNHEALTHY, message=message, **fields)


class ErrorInfo(_Frozen):
    """Why a check failed: the exception type name and its (redacted) message."""

    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


class DependencyHealth(_Frozen):
    """One dependency's state in a response.

    ``status`` is the *reported* status after flap damping; ``observed_status`` is what this round's check
    found. They differ only while ``pending`` is true (a change waiting for enough consecutive rounds).
    Name, type and criticality always come from the registration, never from the check.
    """

    name: str
    dependency_type: DependencyType
    component_type: ComponentType
    critical: bool
    status: HealthStatus
    observed_status: HealthStatus
    pending: bool = False
    checked_at: dt.datetime
    latency_ms: float | None = None
    error: ErrorInfo | None = None
    observed_value: float | None = None
    observed_unit: str | None = None
    measurement: str | None = None
    message: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    failed_condition: str | None = None
    last_success_at: dt.datetime | None = None
    breaker_state: str | None = None
    retry_at: dt.datetime | None = None
    tags: tuple[str, ...] = ()


class ResourceMetrics(_Frozen):
    """Host and process metrics sampled from psutil without blocking the event loop.

    Percentages are 0-100 (process CPU is per core, so it can exceed 100 on several cores). Rates are
    measured between two samples (bytes per second), never totals since boot; they and the CPU figures
    are None when there is no earlier sample to compare with. A figure the platform cannot give is None.
    """

    sampled_at: dt.datetime
    cpu_percent: float | None = None
    process_cpu_percent: float | None = None
    process_rss_bytes: int | None = None
    memory_percent: float | None = None
    memory_available_bytes: int | None = None
    disk_path: str | None = None
    disk_percent: float | None = None
    disk_free_bytes: int | None = None
    disk_total_bytes: int | None = None
    load_average: tuple[float, float, float] | None = None
    open_fds: int | None = None
    net_sent_bytes_per_s: float | None = None
    net_recv_bytes_per_s: float | None = None
    window_s: float | None = None
    problems: tuple[str, ...] = ()


class HealthResponse(_Frozen):
    """The aggregated health of the service at one moment: a value, safe to keep and serialise.

    ``dependencies`` maps check names to their states in registration order. ``status`` is the roll-up
    (see ``omnimemory_kit.health.rollup``); with no checks registered it is ``healthy`` and ``notes`` says
    so.
    """

    status: HealthStatus
    checked_at: dt.datetime
    duration_ms: float
    dependencies: dict[str, DependencyHealth] = Field(default_factory=dict)
    resources: ResourceMetrics | None = None
    version: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def http_status_code(self) -> int:
        """Return the HTTP status to answer with: 503 when unhealthy, else 200 (as Spring and k8s expect)."""
        return 503 if self.status is HealthStatus.UNHEALTHY else 200

    def to_ietf(self) -> dict[str, Any]:
        """Return the ``application/health+json`` document (IETF health check response draft) as a dict."""
        return render_ietf(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """Return the ``application/health+json`` document as JSON text."""
        return json.dumps(self.to_ietf(), indent=indent, allow_nan=False)

    def to_dataframe(self) -> pd.DataFrame:
        """Return one row per dependency (columns as in ``HealthHistory.frame`` plus detail columns)."""
        import pandas as pd

        rows = [
            {
                "checked_at": self.checked_at,
                "name": dep.name,
                "dependency_type": str(dep.dependency_type),
                "critical": dep.critical,
                "status": str(dep.status),
                "observed_status": str(dep.observed_status),
                "pending": dep.pending,
                "latency_ms": dep.latency_ms,
                "error": str(dep.error) if dep.error else None,
                "observed_value": dep.observed_value,
                "observed_unit": dep.observed_unit,
                "failed_condition": dep.failed_condition,
                "breaker_state": dep.breaker_state,
                "last_success_at": dep.last_success_at,
                "overall_status": str(self.status),
            }
            for dep in self.dependencies.values()
        ]
        columns = [
            "checked_at",
            "name",
            "dependency_type",
            "critical",
            "status",
            "observed_status",
            "pending",
            "latency_ms",
            "error",
            "observed_value",
            "observed_unit",
            "failed_condition",
            "breaker_state",
            "last_success_at",
            "overall_status",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["checked_at"] = pd.to_datetime(frame["checked_at"], utc=True)
        frame["last_success_at"] = pd.to_datetime(frame["last_success_at"], utc=True)
        frame["latency_ms"] = frame["latency_ms"].astype("float64")
        frame["observed_value"] = frame["observed_value"].astype("float64")
        return frame


def numeric_observations(
    latency_ms: float | None, observed_value: float | None, details: Mapping[str, Any]
) -> dict[str, float]:
    """Return the named numbers a condition may test: the details' numbers, observed_value, latency_ms."""
    observations: dict[str, float] = {}
    for key, value in details.items():
        number = finite_or_none(value) if isinstance(value, int | float) else None
        if number is not None:
            observations[str(key)] = number
    if (value := finite_or_none(observed_value)) is not None:
        observations["observed_value"] = value
    if (value := finite_or_none(latency_ms)) is not None:
        observations["latency_ms"] = value
    return observations
