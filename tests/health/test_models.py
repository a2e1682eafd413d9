"""The health models: validated, frozen configuration and snapshot values."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from omnimemory_kit.errors import ConfigError, HealthConfigError
from omnimemory_kit.health.models import (
    CheckResult,
    ComponentType,
    DependencyHealth,
    DependencyType,
    HealthCheckConfig,
    HealthResponse,
    HealthStatus,
)
from omnimemory_kit.resilience import CircuitBreakerConfig


class TestHealthCheckConfig:
    def test_origin_call_shape_and_defaults(self) -> None:
        """The origin document's config works and unset fields take documented defaults."""
        config = HealthCheckConfig(
            name="postgresql", dependency_type=DependencyType.DATABASE, critical=True, timeout=5.0
        )
        assert (config.failures_to_change, config.successes_to_recover, config.breaker) == (1, 1, None)
        assert config.effective_component_type == ComponentType.DATASTORE

    @pytest.mark.parametrize(
        ("fields", "named"),
        [
            ({"name": "   "}, "name: a check needs a non-empty name"),
            ({"name": "x", "timeout": 0}, "timeout: Input should be greater than 0"),
            ({"name": "x", "timeout": -1.5}, "timeout: Input should be greater than 0"),
            ({"name": "x", "timeout": float("inf")}, "timeout: Input should be a finite number"),
            ({"name": "x", "timeout": float("nan")}, "timeout: Input should be a finite number"),
            ({"name": "x", "failures_to_change": 0}, "failures_to_change"),
            ({"name": "x", "successes_to_recover": -1}, "successes_to_recover"),
            ({"name": "x", "dependency_type": "mainframe"}, "dependency_type"),
            ({"name": "x", "timeoutt": 3}, "timeoutt: Extra inputs are not permitted"),
            ({"name": "x", "breaker": 3}, "breaker: Input should be a valid dictionary or instance of Circ"),
            (
                {"name": "x", "breaker": {"failure_threshold": 0}},
                "breaker: invalid CircuitBreakerConfig: failure_threshold",
            ),
        ],
    )
    def test_bad_fields_raise_one_error_naming_them(self, fields: dict[str, object], named: str) -> None:
        """Each bad field raises HealthConfigError (a ConfigError) whose message names it."""
        with pytest.raises(HealthConfigError) as info:
            HealthCheckConfig(**fields)  # type: ignore[arg-type]
        assert named in str(info.value)
        assert isinstance(info.value, ConfigError)

    def test_names_are_stripped_and_config_is_frozen(self) -> None:
        """Whitespace around a name is dropped, and a config cannot be changed after construction."""
        config = HealthCheckConfig(name="  redis ")
        assert config.name == "redis"
        with pytest.raises(pydantic.ValidationError):
            config.timeout = 1.0  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("dependency_type", "component_type"),
        [
            (DependencyType.DATABASE, ComponentType.DATASTORE),
            (DependencyType.CACHE, ComponentType.DATASTORE),
            (DependencyType.VECTOR_DB, ComponentType.DATASTORE),
            (DependencyType.STORE, ComponentType.DATASTORE),
            (DependencyType.FILESYSTEM, ComponentType.SYSTEM),
            (DependencyType.SYSTEM, ComponentType.SYSTEM),
            (DependencyType.HTTP, ComponentType.COMPONENT),
            (DependencyType.TCP, ComponentType.COMPONENT),
        ],
    )
    def test_component_type_is_derived_from_the_dependency_type(
        self, dependency_type: DependencyType, component_type: ComponentType
    ) -> None:
        """Without an explicit componentType the dependency type decides it."""
        assert HealthCheckConfig(name="x", dependency_type=dependency_type).effective_component_type == (
            component_type
        )

    def test_explicit_component_type_wins(self) -> None:
        """A given component_type overrides the derived one."""
        config = HealthCheckConfig(
            name="x", dependency_type=DependencyType.HTTP, component_type=ComponentType.DATASTORE
        )
        assert config.effective_component_type == ComponentType.DATASTORE

    def test_breaker_settings_may_be_given_as_a_mapping(self) -> None:
        """A plain mapping (as a TOML table gives it) becomes a CircuitBreakerConfig."""
        config = HealthCheckConfig(name="x", breaker={"failure_threshold": 3, "recovery_timeout": 10})
        assert isinstance(config.breaker, CircuitBreakerConfig)
        assert (config.breaker.failure_threshold, config.breaker.recovery_timeout) == (3, 10.0)

    def test_lists_become_tuples(self) -> None:
        """Conditions and tags given as lists (as TOML gives them) are stored as tuples."""
        config = HealthCheckConfig(name="x", conditions=["latency_ms < 5 else degraded"], tags=["core"])
        assert config.conditions == ("latency_ms < 5 else degraded",)
        assert config.tags == ("core",)


class TestCheckResultAndResponse:
    def test_check_result_constructors(self) -> None:
        """healthy/degraded/unhealthy build results with that status and the given fields."""
        result = CheckResult.degraded("slow", observed_value=2.0, observed_unit="s")
        assert (result.status, result.message, result.observed_value) == (HealthStatus.DEGRADED, "slow", 2.0)
        assert CheckResult.unhealthy().status == HealthStatus.UNHEALTHY
        assert CheckResult.healthy().status == HealthStatus.HEALTHY

    def test_every_status_is_a_valid_response_status(self) -> None:
        """The response model accepts every HealthStatus value."""
        for status in HealthStatus:
            response = HealthResponse(status=status, checked_at=dt.datetime.now(dt.UTC), duration_ms=0.0)
            assert response.status == status

    def test_response_to_dataframe(self) -> None:
        """to_dataframe gives one row per dependency with UTC times and the overall status."""
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        dep = DependencyHealth(
            name="db",
            dependency_type=DependencyType.DATABASE,
            component_type=ComponentType.DATASTORE,
            critical=True,
            status=HealthStatus.DEGRADED,
            observed_status=HealthStatus.DEGRADED,
            checked_at=at,
            latency_ms=12.0,
        )
        frame = HealthResponse(
            status=HealthStatus.DEGRADED, checked_at=at, duration_ms=13.0, dependencies={"db": dep}
        ).to_dataframe()
        assert list(frame["name"]) == ["db"]
        assert frame.loc[0, "latency_ms"] == 12.0
        assert frame.loc[0, "overall_status"] == "degraded"
        assert str(frame["checked_at"].dt.tz) == "UTC"

    def test_empty_response_dataframe_has_columns(self) -> None:
        """An empty response still gives the documented columns."""
        frame = HealthResponse(
            status=HealthStatus.HEALTHY, checked_at=dt.datetime.now(dt.UTC), duration_ms=0.0
        ).to_dataframe()
        assert frame.empty
        assert "latency_ms" in frame.columns
