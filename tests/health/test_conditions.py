"""Conditions with severity: parsing (with clear errors) and evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.conditions import evaluate_conditions, parse_condition
from omnimemory_kit.health.models import HealthCheckConfig, HealthStatus

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "field", "op", "threshold", "severity"),
        [
            ("latency_ms < 300 else degraded", "latency_ms", "<", 300.0, D),
            ("free_pct > 10 else unhealthy", "free_pct", ">", 10.0, U),
            ("  lag_s<=1.5   else   DEGRADED ", "lag_s", "<=", 1.5, D),
            ("errors == 0 else unhealthy", "errors", "==", 0.0, U),
            ("temp >= -4.5e1 else degraded", "temp", ">=", -45.0, D),
            ("observed_value != .5 else degraded", "observed_value", "!=", 0.5, D),
        ],
    )
    def test_valid_conditions(self, text: str, field: str, op: str, threshold: float, severity: str) -> None:
        """Each operator, spacing, sign, exponent and severity spelling parses to its parts."""
        condition = parse_condition(text)
        assert (condition.field, condition.op, condition.threshold, condition.severity) == (
            field,
            op,
            threshold,
            severity,
        )

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "latency_ms < 300",
            "latency_ms < 300 else down",
            "latency_ms < 300 else healthy",
            "latency_ms ~ 300 else degraded",
            "latency_ms < fast else degraded",
            "300 > latency_ms else degraded",
            "latency ms < 300 else degraded",
            "latency_ms < 300 or degraded",
            "latency_ms < 1e999 else degraded",
        ],
    )
    def test_bad_syntax_is_one_clear_error(self, text: str) -> None:
        """Malformed conditions raise HealthConfigError quoting the condition and the expected form."""
        with pytest.raises(HealthConfigError) as info:
            parse_condition(text)
        assert repr(text) in str(info.value)
        if "1e999" not in text:
            assert "expected '<field> <op> <number> else <degraded|unhealthy>'" in str(info.value)

    def test_a_config_with_a_bad_condition_names_the_field(self) -> None:
        """HealthCheckConfig rejects a bad condition at construction, naming ``conditions``."""
        with pytest.raises(HealthConfigError, match=r"conditions: condition 'x <' is not valid"):
            HealthCheckConfig(name="a", conditions=["latency_ms < 5 else degraded", "x <"])


class TestEvaluation:
    def test_all_holding_keeps_the_status(self) -> None:
        """When every rule holds the status is the check's own, with no failed condition."""
        outcome = evaluate_conditions(
            H, [parse_condition("latency_ms < 300 else degraded")], {"latency_ms": 299.9}
        )
        assert (outcome.status, outcome.failed) == (H, None)

    def test_the_worst_failing_condition_decides_and_is_named(self) -> None:
        """Of several failing rules the most severe one sets the status and is reported."""
        conditions = [
            parse_condition("latency_ms < 300 else degraded"),
            parse_condition("free_pct > 10 else unhealthy"),
            parse_condition("free_pct > 20 else degraded"),
        ]
        outcome = evaluate_conditions(H, conditions, {"latency_ms": 500.0, "free_pct": 5.0})
        assert outcome.status == U
        assert outcome.failed is not None
        assert outcome.failed.text == "free_pct > 10 else unhealthy"

    def test_conditions_never_improve_a_status(self) -> None:
        """An unhealthy check stays unhealthy even if its degraded rule fails."""
        outcome = evaluate_conditions(U, [parse_condition("latency_ms < 1 else degraded")], {"latency_ms": 9})
        assert outcome.status == U

    def test_a_missing_field_fails_and_is_flagged(self) -> None:
        """A rule whose field was not observed fails and says the field was missing."""
        outcome = evaluate_conditions(H, [parse_condition("depth < 5 else degraded")], {"latency_ms": 1.0})
        assert (outcome.status, outcome.missing_field) == (D, True)

    @given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
    def test_less_than_matches_python(self, value: float, threshold: float) -> None:
        """``x < t`` fails exactly when Python says ``not (x < t)``."""
        condition = parse_condition(f"x < {threshold!r} else degraded")
        outcome = evaluate_conditions(H, [condition], {"x": value})
        assert (outcome.status == D) == (not value < condition.threshold)
