"""Conditions with severity: rules on what a check observed that can make a dependency degraded or unhealthy.

A condition reads ``"<field> <op> <number> else <severity>"``: it states what must hold for the dependency
to stay as the check reported it, and the severity it drops to when it does not::

    latency_ms < 300 else degraded
    free_pct > 10 else unhealthy

``<op>`` is one of ``< <= > >= == !=``; ``<severity>`` is ``degraded`` or ``unhealthy``. ``<field>`` names
a number the check observed: ``latency_ms`` (always), ``observed_value`` (when the check gave one) or a
numeric key of the result's ``details``. A field the check did not observe fails the condition: a rule
that cannot be verified must not pass silently. Conditions only make a status worse, never better.

This is a compute module: pure functions, no I/O, no clock.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.status import HealthStatus, worst

__all__ = ["Condition", "ConditionOutcome", "evaluate_conditions", "parse_condition"]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

_SYNTAX = re.compile(
    r"""^\s*
    (?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*
    (?P<op><=|>=|==|!=|<|>)\s*
    (?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s+
    else\s+
    (?P<severity>degraded|unhealthy)
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)

_EXPECTED = (
    "expected '<field> <op> <number> else <degraded|unhealthy>', e.g. 'latency_ms < 300 else degraded'"
)


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: ``field op threshold`` must hold, else the status drops to ``severity``."""

    field: str
    op: str
    threshold: float
    severity: HealthStatus
    text: str

    def holds(self, observations: Mapping[str, float]) -> bool:
        """Return whether the rule holds for these observations (False when the field is missing)."""
        value = observations.get(self.field)
        if value is None or not math.isfinite(value):
            return False
        return _OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ConditionOutcome:
    """What the conditions made of a result: the status after them and the condition that decided it."""

    status: HealthStatus
    failed: Condition | None = None
    missing_field: bool = False


def parse_condition(text: str) -> Condition:
    """Parse ``"<field> <op> <number> else <degraded|unhealthy>"``.

    Raises:
        HealthConfigError: naming the condition and what was expected.
    """
    if not isinstance(text, str):
        raise HealthConfigError(f"condition {text!r} must be a string; {_EXPECTED}")
    match = _SYNTAX.match(text)
    if match is None:
        raise HealthConfigError(f"condition {text!r} is not valid; {_EXPECTED}")
    threshold = float(match["number"])
    if not math.isfinite(threshold):
        raise HealthConfigError(f"condition {text!r} has a threshold that is not a finite number")
    normalized = f"{match['field']} {match['op']} {match['number']} else {match['severity'].lower()}"
    return Condition(
        field=match["field"],
        op=match["op"],
        threshold=threshold,
        severity=HealthStatus(match["severity"].lower()),
        text=normalized,
    )


def evaluate_conditions(
    status: HealthStatus, conditions: Iterable[Condition], observations: Mapping[str, float]
) -> ConditionOutcome:
    """Apply conditions to a status: the result is the worst of it and every failed condition's severity.

    The failed condition reported is the first one with the worst severity, so the response names the
    rule that decided the status.
    """
    result = status
    decisive: Condition | None = None
    missing = False
    for condition in conditions:
        if condition.holds(observations):
            continue
        if decisive is None or worst(decisive.severity, condition.severity) is not decisive.severity:
            decisive = condition
            missing = condition.field not in observations
        result = worst(result, condition.severity)
    return ConditionOutcome(status=result, failed=decisive, missing_field=missing)
