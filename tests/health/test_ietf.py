"""The application/health+json rendering (IETF health check response draft)."""

from __future__ import annotations

import datetime as dt
import json
import re

from omnimemory_kit.health.ietf import MEDIA_TYPE, rfc3339
from omnimemory_kit.health.models import (
    ComponentType,
    DependencyHealth,
    DependencyType,
    ErrorInfo,
    HealthResponse,
    HealthStatus,
    ResourceMetrics,
)

AT = dt.datetime(2026, 11, 27, 11, 0, 0, 123456, tzinfo=dt.UTC)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def dependency(name: str, status: HealthStatus, **fields: object) -> DependencyHealth:
    values: dict[str, object] = {
        "name": name,
        "dependency_type": DependencyType.DATABASE,
        "component_type": ComponentType.DATASTORE,
        "critical": True,
        "status": status,
        "observed_status": status,
        "checked_at": AT,
        "latency_ms": 3.25,
    }
    values.update(fields)
    return DependencyHealth(**values)  # type: ignore[arg-type]


def response(
    *deps: DependencyHealth, status: HealthStatus = HealthStatus.HEALTHY, **fields: object
) -> HealthResponse:
    return HealthResponse(
        status=status,
        checked_at=AT,
        duration_ms=4.0,
        dependencies={d.name: d for d in deps},
        version="1.2.3",
        **fields,  # type: ignore[arg-type]
    )


class TestDocumentShape:
    def test_pass_document_for_a_healthy_datastore(self) -> None:
        """A healthy check becomes one ``name:responseTime`` array entry with every draft field but output."""
        doc = response(dependency("postgresql", HealthStatus.HEALTHY)).to_ietf()
        assert doc["status"] == "pass"
        assert doc["version"] == "1.2.3"
        assert "output" not in doc
        assert doc["checks"] == {
            "postgresql:responseTime": [
                {
                    "componentId": "postgresql",
                    "componentType": "datastore",
                    "observedValue": 3.25,
                    "observedUnit": "ms",
                    "status": "pass",
                    "time": "2026-11-27T11:00:00.123Z",
                }
            ]
        }
        assert MEDIA_TYPE == "application/health+json"

    def test_failing_entries_carry_output_with_the_reason(self) -> None:
        """warn/fail entries explain themselves: error, failed condition, retry time."""
        failing = dependency(
            "redis",
            HealthStatus.UNHEALTHY,
            error=ErrorInfo(type="CircuitBreakerError", message="circuit open"),
            retry_at=AT + dt.timedelta(seconds=30),
            breaker_state="open",
            latency_ms=None,
        )
        slow = dependency("api", HealthStatus.DEGRADED, failed_condition="latency_ms < 300 else degraded")
        doc = response(failing, slow, status=HealthStatus.UNHEALTHY).to_ietf()
        assert doc["status"] == "fail"
        assert doc["output"] == "unhealthy: redis, api"
        redis = doc["checks"]["redis:responseTime"][0]
        assert redis["status"] == "fail"
        assert redis["output"] == "CircuitBreakerError: circuit open; retry at 2026-11-27T11:00:30.123Z"
        assert "observedValue" not in redis  # never called: no latency to report
        api = doc["checks"]["api:responseTime"][0]
        assert (api["status"], api["output"]) == ("warn", "condition failed: latency_ms < 300 else degraded")

    def test_observed_values_get_their_own_measurement_key(self) -> None:
        """A check's observed value is rendered under ``name:measurement`` with its unit."""
        disk = dependency(
            "disk",
            HealthStatus.HEALTHY,
            observed_value=71.5,
            observed_unit="percent",
            measurement="utilization",
            component_type=ComponentType.SYSTEM,
        )
        queue = dependency("queue", HealthStatus.HEALTHY, observed_value=12.0)
        doc = response(disk, queue).to_ietf()
        assert doc["checks"]["disk:utilization"][0]["observedValue"] == 71.5
        assert doc["checks"]["disk:utilization"][0]["observedUnit"] == "percent"
        assert doc["checks"]["disk:utilization"][0]["componentType"] == "system"
        assert doc["checks"]["queue:value"][0]["observedValue"] == 12.0

    def test_host_metrics_are_system_entries(self) -> None:
        """CPU, memory and disk utilisation appear as system components with percent units."""
        resources = ResourceMetrics(
            sampled_at=AT,
            cpu_percent=12.5,
            process_cpu_percent=3.0,
            memory_percent=40.0,
            disk_path="/var/lib/kit",
            disk_percent=55.0,
            net_sent_bytes_per_s=1000.0,
            net_recv_bytes_per_s=2000.0,
            open_fds=12,
            process_rss_bytes=1024,
            load_average=(0.5, 0.4, 0.3),
        )
        checks = response(resources=resources).to_ietf()["checks"]
        assert [(e["componentId"], e["observedValue"]) for e in checks["cpu:utilization"]] == [
            ("host", 12.5),
            ("process", 3.0),
        ]
        assert checks["memory:utilization"][0]["observedUnit"] == "percent"
        assert checks["disk:utilization"][0]["componentId"] == "/var/lib/kit"
        assert {e["componentType"] for entries in checks.values() for e in entries} == {"system"}
        assert [e["observedValue"] for e in checks["network:throughput"]] == [1000.0, 2000.0]

    def test_every_entry_is_an_array_with_an_rfc3339_time(self) -> None:
        """The draft requires arrays per key; each time is RFC 3339 UTC."""
        doc = response(
            dependency("a", HealthStatus.HEALTHY),
            dependency("b", HealthStatus.DEGRADED),
            resources=ResourceMetrics(sampled_at=AT, cpu_percent=1.0),
        ).to_ietf()
        for key, entries in doc["checks"].items():
            assert ":" in key
            assert isinstance(entries, list)
            assert all(RFC3339.match(entry["time"]) for entry in entries)

    def test_json_never_contains_nan(self) -> None:
        """Non-finite observed values are dropped so the JSON stays valid."""
        text = response(dependency("x", HealthStatus.HEALTHY, observed_value=float("nan"))).to_json()
        assert "NaN" not in text
        assert json.loads(text)["checks"]["x:responseTime"][0]["observedValue"] == 3.25

    def test_naive_datetimes_are_taken_as_utc(self) -> None:
        """rfc3339 renders naive times as UTC."""
        assert rfc3339(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"
