"""Render a ``HealthResponse`` as ``application/health+json`` (the IETF health check response draft).

The document::

    {
      "status": "pass" | "warn" | "fail",
      "version": "...", "description": "...", "output": "...", "notes": [...],
      "checks": {
        "postgresql:responseTime": [{"componentId": "postgresql", "componentType": "datastore",
                                     "observedValue": 3.1, "observedUnit": "ms", "status": "pass",
                                     "time": "2026-11-27T11:00:00.000Z"}],
        "cpu:utilization": [{"componentId": "host", "componentType": "system", ...},
                            {"componentId": "process", "componentType": "system", ...}],
        ...
      }
    }

Every dependency has a ``<name>:responseTime`` entry (its latency) and, when its check observed a value, a
``<name>:<measurement>`` entry. Host metrics appear as ``cpu:utilization``, ``memory:utilization``,
``disk:utilization`` and friends with ``componentType`` ``system``. ``output`` (the reason) is given for
``warn`` and ``fail`` entries only, as the draft asks; messages were redacted when the response was made.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from omnimemory_kit.health.status import ComponentType, HealthStatus, finite_or_none, ietf_status

if TYPE_CHECKING:  # annotations only: the models import this module to render themselves
    from omnimemory_kit.health.models import DependencyHealth, HealthResponse, ResourceMetrics

__all__ = ["MEDIA_TYPE", "render_ietf", "rfc3339"]

MEDIA_TYPE = "application/health+json"
"""The media type of the rendered document."""


def rfc3339(moment: dt.datetime) -> str:
    """Return an RFC 3339 UTC timestamp with milliseconds, e.g. ``2026-11-27T11:00:00.000Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _output(dep: DependencyHealth) -> str | None:
    """Return why a dependency is not passing, in one line."""
    if dep.status == HealthStatus.HEALTHY and not dep.pending:
        return None
    parts: list[str] = []
    if dep.pending:
        parts.append(f"pending: observed {dep.observed_status}, still reported {dep.status}")
    if dep.error is not None:
        parts.append(str(dep.error))
    if dep.failed_condition is not None:
        parts.append(f"condition failed: {dep.failed_condition}")
    if dep.message:
        parts.append(dep.message)
    if dep.retry_at is not None:
        parts.append(f"retry at {rfc3339(dep.retry_at)}")
    return "; ".join(parts) or str(dep.status)


def _dependency_entries(dep: DependencyHealth) -> dict[str, dict[str, Any]]:
    base: dict[str, Any] = {
        "componentId": dep.name,
        "componentType": str(dep.component_type),
        "status": ietf_status(dep.status),
        "time": rfc3339(dep.checked_at),
    }
    output = _output(dep)
    if output is not None:
        base["output"] = output
    entries: dict[str, dict[str, Any]] = {}
    response_time = dict(base)
    if (latency := finite_or_none(dep.latency_ms)) is not None:
        response_time["observedValue"] = round(latency, 3)
        response_time["observedUnit"] = "ms"
    entries[f"{dep.name}:responseTime"] = response_time
    if (observed := finite_or_none(dep.observed_value)) is not None:
        measured = dict(base)
        measured["observedValue"] = observed
        if dep.observed_unit:
            measured["observedUnit"] = dep.observed_unit
        entries[f"{dep.name}:{dep.measurement or 'value'}"] = measured
    return entries


def _system_entry(component: str, value: float | None, unit: str, time: str) -> dict[str, Any] | None:
    number = finite_or_none(value)
    if number is None:
        return None
    return {
        "componentId": component,
        "componentType": str(ComponentType.SYSTEM),
        "observedValue": round(number, 3),
        "observedUnit": unit,
        "status": "pass",
        "time": time,
    }


def _resource_entries(resources: ResourceMetrics) -> dict[str, list[dict[str, Any]]]:
    time = rfc3339(resources.sampled_at)
    load = resources.load_average[0] if resources.load_average else None
    wanted: list[tuple[str, str, float | None, str]] = [
        ("cpu:utilization", "host", resources.cpu_percent, "percent"),
        ("cpu:utilization", "process", resources.process_cpu_percent, "percent"),
        ("memory:utilization", "host", resources.memory_percent, "percent"),
        ("memory:rss", "process", _as_float(resources.process_rss_bytes), "bytes"),
        ("disk:utilization", resources.disk_path or "disk", resources.disk_percent, "percent"),
        ("disk:free", resources.disk_path or "disk", _as_float(resources.disk_free_bytes), "bytes"),
        ("load:average", "host", load, "load1"),
        ("network:throughput", "sent", resources.net_sent_bytes_per_s, "bytes/s"),
        ("network:throughput", "received", resources.net_recv_bytes_per_s, "bytes/s"),
        ("fds:open", "process", _as_float(resources.open_fds), "count"),
    ]
    checks: dict[str, list[dict[str, Any]]] = {}
    for key, component, value, unit in wanted:
        entry = _system_entry(component, value, unit, time)
        if entry is not None:
            checks.setdefault(key, []).append(entry)
    return checks


def _as_float(value: int | None) -> float | None:
    return None if value is None else float(value)


def render_ietf(response: HealthResponse) -> dict[str, Any]:
    """Return the health+json document for ``response`` (a plain dict, ready for ``json.dumps``)."""
    document: dict[str, Any] = {"status": ietf_status(response.status)}
    if response.version:
        document["version"] = response.version
    document["description"] = "omnimemory-kit health"
    if response.status != HealthStatus.HEALTHY:
        failing = [name for name, dep in response.dependencies.items() if dep.status != HealthStatus.HEALTHY]
        document["output"] = f"{response.status}: " + ", ".join(failing)
    if response.notes:
        document["notes"] = list(response.notes)
    checks: dict[str, list[dict[str, Any]]] = {}
    for dep in response.dependencies.values():
        for key, entry in _dependency_entries(dep).items():
            checks.setdefault(key, []).append(entry)
    if response.resources is not None:
        for key, entries in _resource_entries(response.resources).items():
            checks.setdefault(key, []).extend(entries)
    document["checks"] = checks
    return document
