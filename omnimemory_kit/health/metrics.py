"""The Prometheus exposition of a ``HealthMonitor``, through ``prometheus_client``.

Metrics (one registry per exporter, so two servers in one process never share series):

- ``omnimemory_health_check_status{check,status}``: 1 for the check's reported status, 0 for the others;
- ``omnimemory_health_check_up{check}``: 1 while healthy or degraded, 0 otherwise;
- ``omnimemory_health_check_latency_seconds{check}``: a histogram of check latencies;
- ``omnimemory_health_check_breaker_state{check,state}``: 1 for the breaker's state (checks with one);
- ``omnimemory_health_check_last_success_timestamp_seconds{check}``: when it last passed;
- ``omnimemory_health_check_runs_total{check,status}``: runs by observed status;
- ``omnimemory_health_check_uptime_ratio{check,window}``: uptime over a window, set by ``set_uptime``;
- ``omnimemory_health_overall_status{status}``: the roll-up, one-hot.

Scrapes read what the checks last produced: ``render()`` caches the text and renders again only after a
new result, and, with ``max_age``, at most that often (rendering 50 checks' series takes milliseconds;
``health serve`` renders at most once a second), so a scrape costs a lookup, never a check. A scrape
whose ``Accept`` header asks for ``application/openmetrics-text`` (as Prometheus's do) gets the OpenMetrics
text, cached the same way; any other gets the Prometheus text format.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_LATEST
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from omnimemory_kit.health.models import DependencyHealth, HealthResponse
from omnimemory_kit.health.status import HealthStatus

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "OPENMETRICS_CONTENT_TYPE",
    "HealthMetrics",
    "wants_openmetrics",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The media type of the rendered Prometheus text."""

OPENMETRICS_CONTENT_TYPE = OPENMETRICS_LATEST
"""The media type of the rendered OpenMetrics text (for scrapers that ask for it)."""


def wants_openmetrics(accept: str | None) -> bool:
    """Return whether an ``Accept`` header asks for OpenMetrics (as Prometheus's scrapes do)."""
    return any(
        part.split(";")[0].strip().lower() == "application/openmetrics-text"
        for part in (accept or "").split(",")
    )


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram's buckets."""

_STATUSES = tuple(str(status) for status in HealthStatus)
_BREAKER_STATES = ("closed", "open", "half_open")
_UP = (HealthStatus.HEALTHY, HealthStatus.DEGRADED)


class HealthMetrics:
    """Keep Prometheus series for check results and render them on demand.

    Args:
        check_names: the checks, so every series exists from the first scrape on.
        namespace: the metric name prefix.
    """

    def __init__(
        self, check_names: tuple[str, ...] | list[str], namespace: str = "omnimemory_health"
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        registry = self.registry
        self._status = Gauge(
            "check_status",
            "1 for the check's reported status",
            ["check", "status"],
            namespace=namespace,
            registry=registry,
        )
        self._up = Gauge(
            "check_up", "1 while healthy or degraded", ["check"], namespace=namespace, registry=registry
        )
        self._latency = Histogram(
            "check_latency_seconds",
            "How long the check took",
            ["check"],
            namespace=namespace,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._breaker = Gauge(
            "check_breaker_state",
            "1 for the breaker's state",
            ["check", "state"],
            namespace=namespace,
            registry=registry,
        )
        self._last_success = Gauge(
            "check_last_success_timestamp_seconds",
            "When the check last passed (epoch seconds)",
            ["check"],
            namespace=namespace,
            registry=registry,
        )
        self._runs = Counter(
            "check_runs",
            "Runs by observed status",
            ["check", "status"],
            namespace=namespace,
            registry=registry,
        )
        self._uptime = Gauge(
            "check_uptime_ratio",
            "Share of samples up over the window (maintenance excluded)",
            ["check", "window"],
            namespace=namespace,
            registry=registry,
        )
        self._overall = Gauge(
            "overall_status", "1 for the overall status", ["status"], namespace=namespace, registry=registry
        )
        for name in check_names:
            self._up.labels(name)
            self._latency.labels(name)
            for status in _STATUSES:
                self._status.labels(name, status)
        self._lock = threading.Lock()
        self._version = 0
        self._rendered: dict[bool, tuple[int, float, bytes]] = {}  # by "OpenMetrics?"

    def observe(self, result: DependencyHealth, overall: HealthResponse) -> None:
        """Update the series with one check result and the overall status that includes it."""
        name = result.name
        for status in _STATUSES:
            self._status.labels(name, status).set(1.0 if status == str(result.status) else 0.0)
        self._up.labels(name).set(1.0 if result.status in _UP else 0.0)
        if result.latency_ms is not None:
            self._latency.labels(name).observe(result.latency_ms / 1000.0)
        if result.breaker_state is not None:
            for state in _BREAKER_STATES:
                self._breaker.labels(name, state).set(1.0 if state == result.breaker_state else 0.0)
        if result.last_success_at is not None:
            self._last_success.labels(name).set(result.last_success_at.timestamp())
        self._runs.labels(name, str(result.observed_status)).inc()
        self.set_overall(overall.status)

    def set_overall(self, status: HealthStatus) -> None:
        """Set the overall status series."""
        for value in _STATUSES:
            self._overall.labels(value).set(1.0 if value == str(status) else 0.0)
        self._touch()

    def set_uptime(self, ratios: Mapping[tuple[str, str], float | None]) -> None:
        """Set uptime ratios keyed by (check, window label); None (no samples) removes the series."""
        for (name, window), ratio in ratios.items():
            if ratio is None:
                with contextlib.suppress(KeyError):
                    self._uptime.remove(name, window)
            else:
                self._uptime.labels(name, window).set(ratio)
        self._touch()

    def render(self, *, max_age: float = 0.0, now: float = 0.0, openmetrics: bool = False) -> bytes:
        """Return the exposition text, rendered again only when a series changed since the last render.

        Args:
            max_age: also keep serving a text rendered less than this many seconds before ``now``.
            now: the current monotonic time (only read when ``max_age`` is given).
            openmetrics: the OpenMetrics text (``OPENMETRICS_CONTENT_TYPE``) instead of Prometheus's.
        """
        with self._lock:
            version = self._version
            cached = self._rendered.get(openmetrics)
        if cached is not None and (cached[0] == version or now - cached[1] < max_age):
            return cached[2]
        text = (generate_openmetrics if openmetrics else generate_latest)(self.registry)
        with self._lock:
            self._rendered[openmetrics] = (version, now, text)
        return text

    def _touch(self) -> None:
        with self._lock:
            self._version += 1
