"""Health-gated migrations: a throttle policy over health snapshots, its pure evaluation, and the claim gate.

The policy is the ``[throttle]`` table of a health config file (or built in Python)::

    [throttle]
    check_interval = 5        # seconds between evaluations (> 0)
    min_throttle = 10         # stay throttled at least this many seconds once throttled (hysteresis)
    max_throttle = 1800       # optional: throttled this many seconds in a row fails the run

    [[throttle.rule]]
    name = "redis down"
    check = "redis"           # a [[check]] of the same file
    status = "degraded"       # fires when the check is degraded or worse
    action = "throttle"       # stop claiming; in-flight items finish

    [[throttle.rule]]
    name = "slow database"
    check = "postgresql"
    condition = "latency_ms > 300"     # a comparison over what the check observed
    action = "slow"
    concurrency = 2                    # and/or delay = 1.5 (seconds between batches)

    [[throttle.rule]]
    name = "busy host"
    metric = "load_average_1m"         # host load from the health manager's resource metrics
    above = 8                          # or below = ...
    action = "throttle"

    [[throttle.rule]]
    name = "database gone"
    check = "postgresql"
    status = "unhealthy"
    action = "abort"                   # fails the run when it fires on two evaluations in a row

A rule with ``status`` and no ``check`` looks at the overall status. A condition on a field the check did not
observe, or a metric the host did not give, does not fire (the status rules cover a check that failed).

Three pieces, one concept each:
    - ``ThrottlePolicy`` / ``ThrottleRule``: the rules, validated (a mistake raises one ``HealthConfigError``
      naming the rule, before anything runs);
    - ``evaluate_policy`` (pure) and ``ThrottleState`` (a reducer on injected monotonic time): a snapshot to
      a ``GateDecision`` with hysteresis, the abort's second look and ``max_throttle``;
    - ``ClaimGate``: the one seam the runner consults between claims; ``HealthThrottle`` implements it by
      asking a ``HealthManager`` every ``check_interval`` in the background. It asks the manager; the
      manager never knows about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.conditions import Condition, parse_condition
from omnimemory_kit.health.models import HealthResponse, ResourceMetrics, numeric_observations
from omnimemory_kit.health.status import HealthStatus, worst

__all__ = [
    "METRICS",
    "PROCEED",
    "ClaimGate",
    "CombinedGate",
    "GateDecision",
    "GateKind",
    "HealthThrottle",
    "ThrottleAction",
    "ThrottlePolicy",
    "ThrottleRule",
    "ThrottleState",
    "Verdict",
    "combine_decisions",
    "evaluate_policy",
    "policy_from_health_config",
]

logger = logging.getLogger("omnimemory_kit.migration.throttle")


class ThrottleAction(enum.StrEnum):
    """What a rule does when it fires."""

    THROTTLE = "throttle"  # stop claiming; in-flight items finish
    SLOW = "slow"  # fewer items at once, or a delay between batches
    ABORT = "abort"  # fail the run when the rule fires on two evaluations in a row


def _metric_readers() -> dict[str, Callable[[ResourceMetrics], float | None]]:
    def load(index: int) -> Callable[[ResourceMetrics], float | None]:
        return lambda m: None if m.load_average is None else m.load_average[index]

    def free_pct(m: ResourceMetrics) -> float | None:
        return None if m.disk_percent is None else 100.0 - m.disk_percent

    def number(value: float | int | None) -> float | None:
        return None if value is None else float(value)

    return {
        "cpu_percent": lambda m: m.cpu_percent,
        "process_cpu_percent": lambda m: m.process_cpu_percent,
        "memory_percent": lambda m: m.memory_percent,
        "memory_available_bytes": lambda m: number(m.memory_available_bytes),
        "disk_percent": lambda m: m.disk_percent,
        "disk_free_pct": free_pct,
        "disk_free_bytes": lambda m: number(m.disk_free_bytes),
        "load_average_1m": load(0),
        "load_average_5m": load(1),
        "load_average_15m": load(2),
    }


_METRICS = _metric_readers()
METRICS: tuple[str, ...] = tuple(_METRICS)
"""The host metrics a rule may name (from ``ResourceMetrics``)."""

_TRIGGER = re.compile(r"^\s*(?P<field>[A-Za-z_]\w*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<number>\S+)\s*$")


def _parse_trigger(text: str) -> Condition:
    """Parse ``"<field> <op> <number>"`` (fires when it holds) with the health conditions' parser."""
    if _TRIGGER.match(text) is None:
        raise ValueError(
            f"condition {text!r} is not valid; expected '<field> <op> <number>', e.g. 'latency_ms > 300'"
        )
    try:
        return parse_condition(f"{text.strip()} else unhealthy")
    except HealthConfigError:
        raise ValueError(
            f"condition {text!r} is not valid; expected '<field> <op> <number>', e.g. 'latency_ms > 300'"
        ) from None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ThrottleRule(_Frozen):
    """One rule: a trigger (check status, check condition or host metric) and the action it takes.

    Args:
        name: names the rule in reasons, the journal and error messages.
        check: the health check it looks at (None with ``status``: the overall status).
        status: fires when the check (or the overall status) is this bad or worse.
        condition: ``"<field> <op> <number>"`` over the check's observations; fires when it holds.
        metric: a host metric (``METRICS``); with ``above`` or ``below``.
        above: fires when the metric is above this.
        below: fires when the metric is below this.
        action: throttle, slow or abort.
        concurrency: for ``slow``: items in flight at most.
        delay: for ``slow``: seconds to wait before each claim.
    """

    name: str = Field(min_length=1, max_length=200)
    check: str | None = None
    status: Literal["degraded", "unhealthy"] | None = None
    condition: str | None = None
    metric: str | None = None
    above: float | None = Field(default=None, allow_inf_nan=False)
    below: float | None = Field(default=None, allow_inf_nan=False)
    action: ThrottleAction = ThrottleAction.THROTTLE
    concurrency: int | None = Field(default=None, ge=1)
    delay: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    if not TYPE_CHECKING:  # keep the pydantic mypy plugin's typed __init__ for callers

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise HealthConfigError(_describe("throttle", [data], exc, rule_index=0)) from None

    @field_validator("condition")
    @classmethod
    def _condition_parses(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_trigger(value)
        return value

    @field_validator("metric")
    @classmethod
    def _metric_known(cls, value: str | None) -> str | None:
        if value is not None and value not in _METRICS:
            raise ValueError(f"unknown metric {value!r}; expected one of {', '.join(METRICS)}")
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> ThrottleRule:
        if self.metric is not None:
            if self.check is not None or self.status is not None or self.condition is not None:
                raise ValueError("a metric rule takes no check, status or condition (write two rules)")
            if (self.above is None) == (self.below is None):
                raise ValueError(f"metric {self.metric!r} needs exactly one of above or below")
        else:
            if self.above is not None or self.below is not None:
                raise ValueError("above and below go with a metric")
            if (self.status is None) == (self.condition is None):
                raise ValueError("needs one trigger: status, condition (with a check) or metric")
            if self.condition is not None and self.check is None:
                raise ValueError(f"condition {self.condition!r} needs the check it reads")
        if self.action is ThrottleAction.SLOW:
            if self.concurrency is None and self.delay is None:
                raise ValueError("action 'slow' needs concurrency or delay")
        elif self.concurrency is not None or self.delay is not None:
            raise ValueError(f"concurrency and delay go with action 'slow', not {self.action.value!r}")
        return self

    @property
    def trigger(self) -> tuple[Any, ...]:
        """Return what the rule looks at, without the action (two rules with one trigger must agree)."""
        if self.metric is not None:
            return ("metric", self.metric, self.above, self.below)
        if self.condition is not None:
            parsed = _parse_trigger(self.condition)
            return ("condition", self.check, parsed.field, parsed.op, parsed.threshold)
        return ("status", self.check, self.status)

    def fires(self, response: HealthResponse) -> str | None:
        """Return why the rule fires on this snapshot (``"redis unhealthy: ConnectionError: ..."``)."""
        if self.metric is not None:
            if response.resources is None:
                return None
            value = _METRICS[self.metric](response.resources)
            if value is None or not math.isfinite(value):
                return None
            if self.above is not None and value > self.above:
                return f"{self.metric} {value:.4g} > {self.above:g}"
            if self.below is not None and value < self.below:
                return f"{self.metric} {value:.4g} < {self.below:g}"
            return None
        if self.check is None:
            assert self.status is not None
            threshold = HealthStatus(self.status)
            if (
                worst(response.status, threshold) is response.status
                and response.status is not HealthStatus.UNKNOWN
            ):
                return f"overall {response.status.value}"
            return None
        dependency = response.dependencies.get(self.check)
        if dependency is None:
            return None
        if self.status is not None:
            threshold = HealthStatus(self.status)
            if (
                worst(dependency.status, threshold) is dependency.status
                and dependency.status is not HealthStatus.UNKNOWN
            ):
                detail = f": {dependency.error}" if dependency.error else ""
                return f"{self.check} {dependency.status.value}{detail}"
            return None
        assert self.condition is not None
        parsed = _parse_trigger(self.condition)
        observations = numeric_observations(
            dependency.latency_ms, dependency.observed_value, dependency.details
        )
        if parsed.field in observations and parsed.holds(observations):
            value = observations[parsed.field]
            return f"{self.check} {parsed.field} {value:.4g} {parsed.op} {parsed.threshold:g}"
        return None


class ThrottlePolicy(_Frozen):
    """The rules of a health-gated run and how often and how long they are applied.

    Args:
        rules: the rules, names unique, no two with one trigger and different actions.
        check_interval: seconds between evaluations (> 0).
        min_throttle: once throttled, stay throttled at least this many seconds (hysteresis).
        max_throttle: throttled this many seconds in a row fails the run ("throttled too long: ..."); None
            for no limit.

    Raises:
        HealthConfigError: naming the rule (or setting) that is wrong.
    """

    rules: tuple[ThrottleRule, ...] = ()
    check_interval: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    min_throttle: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    max_throttle: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    if not TYPE_CHECKING:  # keep the pydantic mypy plugin's typed __init__ for callers

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise HealthConfigError(_describe("throttle", list(data.get("rules", ())), exc)) from None

    @model_validator(mode="after")
    def _consistent(self) -> ThrottlePolicy:
        if self.max_throttle is not None and self.max_throttle <= self.min_throttle:
            raise ValueError(
                f"max_throttle ({self.max_throttle:g}) must be above min_throttle ({self.min_throttle:g})"
            )
        seen: dict[str, ThrottleRule] = {}
        triggers: dict[tuple[Any, ...], ThrottleRule] = {}
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule {rule.name!r}: duplicate rule name; each rule needs its own")
            seen[rule.name] = rule
            other = triggers.get(rule.trigger)
            if other is not None and other.action is not rule.action:
                raise ValueError(
                    f"rule {rule.name!r} contradicts rule {other.name!r}: the same trigger cannot both "
                    f"{other.action.value} and {rule.action.value}"
                )
            triggers.setdefault(rule.trigger, rule)
        return self

    def check_names(self, known: Iterable[str]) -> None:
        """Raise ``HealthConfigError`` naming the first rule whose check is not among ``known``."""
        names = set(known)
        for rule in self.rules:
            if rule.check is not None and rule.check not in names:
                choices = ", ".join(sorted(names)) or "none"
                raise HealthConfigError(
                    f"throttle rule {rule.name!r}: unknown check {rule.check!r} (checks: {choices})"
                )

    @classmethod
    def parse(cls, table: Mapping[str, Any], source: str = "<config>") -> ThrottlePolicy:
        """Validate a ``[throttle]`` table (rules as ``[[throttle.rule]]``).

        Raises:
            HealthConfigError: one line naming the source, the rule and the field of the first problem.
        """
        data = dict(table)
        rules = data.pop("rule", [])
        if not isinstance(rules, list):
            raise HealthConfigError(f"{source}: throttle: write each rule as a [[throttle.rule]] table")
        try:
            return cls.model_validate({**data, "rules": rules})
        except ValidationError as exc:
            raise HealthConfigError(_describe(f"{source}: throttle", rules, exc)) from None


def _describe(where: str, rules: list[Any], exc: ValidationError, rule_index: int | None = None) -> str:
    """Return one line naming the rule (or setting) and the field of the first problem."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = list(error["loc"])
    if rule_index is not None:
        loc = ["rules", rule_index, *loc]
    if loc and loc[0] == "rules" and len(loc) >= 2 and isinstance(loc[1], int):
        index = loc[1]
        rule = rules[index] if index < len(rules) else None
        name = rule.get("name") if isinstance(rule, Mapping) else getattr(rule, "name", None)
        where = f"{where}: rule {name!r}" if isinstance(name, str) else f"{where}: rule #{index + 1}"
        loc = loc[2:]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif error["type"] == "missing":
        message = "required field is missing"
    field_name = ".".join(str(part) for part in loc)
    return f"{where}: {field_name}: {message}" if field_name else f"{where}: {message}"


def policy_from_health_config(config: Any) -> ThrottlePolicy:
    """Return the ``[throttle]`` policy of a loaded ``HealthConfigFile``, checked against its checks.

    Raises:
        HealthConfigError: the file has no ``[throttle]`` table, or a rule is wrong.
    """
    table = getattr(config, "throttle", None)
    if table is None:
        raise HealthConfigError(f"{config.source}: no [throttle] table: nothing to gate the run on")
    policy = ThrottlePolicy.parse(table, config.source)
    try:
        policy.check_names(spec.name for spec in config.checks)
    except HealthConfigError as exc:
        raise HealthConfigError(f"{config.source}: {exc}") from None
    return policy


# --- evaluation (pure) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules made of one snapshot: the reasons per action, and the slowest pace asked for."""

    throttle: tuple[str, ...] = ()
    abort: tuple[str, ...] = ()
    slow: tuple[str, ...] = ()
    concurrency: int | None = None
    delay: float | None = None


def evaluate_policy(policy: ThrottlePolicy, response: HealthResponse) -> Verdict:
    """Apply every rule to a snapshot (pure: no I/O, no clock)."""
    throttle: list[str] = []
    abort: list[str] = []
    slow: list[str] = []
    concurrency: int | None = None
    delay: float | None = None
    for rule in policy.rules:
        why = rule.fires(response)
        if why is None:
            continue
        labelled = f"{why} (rule {rule.name!r})"
        if rule.action is ThrottleAction.THROTTLE:
            throttle.append(labelled)
        elif rule.action is ThrottleAction.ABORT:
            abort.append(labelled)
        else:
            slow.append(labelled)
            if rule.concurrency is not None:
                concurrency = rule.concurrency if concurrency is None else min(concurrency, rule.concurrency)
            if rule.delay is not None:
                delay = rule.delay if delay is None else max(delay, rule.delay)
    return Verdict(tuple(throttle), tuple(abort), tuple(slow), concurrency, delay)


class GateKind(enum.StrEnum):
    """What the gate tells the runner before a claim."""

    PROCEED = "proceed"
    SLOW = "slow"  # claim, with fewer items at once or after a delay
    HOLD = "hold"  # claim nothing, start nothing; in-flight items finish
    ABORT = "abort"  # fail the run


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The one answer the runner needs between claims: may I claim now, and at what pace.

    Attributes:
        kind: proceed, slow, hold or abort.
        reason: why (for hold, slow and abort), e.g. ``"redis unhealthy: ConnectionError: ..."``.
        concurrency: for slow: items in flight at most.
        delay: for slow: seconds to wait before each claim.
        snapshot: the compact health snapshot (JSON) that caused it, journaled with a throttle.
    """

    kind: GateKind = GateKind.PROCEED
    reason: str | None = None
    concurrency: int | None = None
    delay: float | None = None
    snapshot: str | None = field(default=None, compare=False)

    @property
    def holds(self) -> bool:
        """Return whether nothing may be claimed or started."""
        return self.kind is GateKind.HOLD


PROCEED = GateDecision()


class ThrottleState:
    """Fold verdicts into decisions on injected monotonic time: hysteresis, second look, max throttle.

    - A throttle (or a first abort) holds; the hold is released only by a verdict with neither, and only
      once ``min_throttle`` seconds have passed since it began.
    - An abort rule firing on two evaluations in a row aborts (gh-ost's critical-load second look).
    - Held ``max_throttle`` seconds in a row aborts with ``"throttled too long: <reason>"``.
    - A failed evaluation holds, and two failed evaluations in a row abort.
    """

    __slots__ = ("_abort_streak", "_held_since", "_reason", "policy")

    def __init__(self, policy: ThrottlePolicy) -> None:
        self.policy = policy
        self._held_since: float | None = None
        self._reason: str | None = None
        self._abort_streak = 0

    def step(self, verdict: Verdict | str, now: float) -> GateDecision:
        """Return the decision after one evaluation at monotonic ``now`` (a str: the evaluation failed)."""
        if isinstance(verdict, str):
            self._abort_streak += 1
            if self._abort_streak >= 2:
                return GateDecision(GateKind.ABORT, f"health evaluation failed twice: {verdict}")
            return self._hold(f"health evaluation failed: {verdict}", now)
        if verdict.abort:
            self._abort_streak += 1
            if self._abort_streak >= 2:
                return GateDecision(GateKind.ABORT, "; ".join(verdict.abort))
            return self._hold("; ".join((*verdict.abort, *verdict.throttle)), now)
        self._abort_streak = 0
        if verdict.throttle:
            return self._hold("; ".join(verdict.throttle), now)
        if self._held_since is not None:
            if now - self._held_since < self.policy.min_throttle:
                return self._hold(self._reason or "", now, keep_reason=True)
            self._held_since = self._reason = None
        if verdict.slow:
            return GateDecision(GateKind.SLOW, "; ".join(verdict.slow), verdict.concurrency, verdict.delay)
        return PROCEED

    def _hold(self, reason: str, now: float, *, keep_reason: bool = False) -> GateDecision:
        if self._held_since is None:
            self._held_since = now
        if not keep_reason:
            self._reason = reason
        limit = self.policy.max_throttle
        if limit is not None and now - self._held_since >= limit:
            return GateDecision(GateKind.ABORT, f"throttled too long: {self._reason}")
        return GateDecision(GateKind.HOLD, self._reason)

    def __repr__(self) -> str:
        state = "held" if self._held_since is not None else "open"
        return f"<ThrottleState {state} abort_streak={self._abort_streak} reason={self._reason!r}>"


def snapshot_json(response: HealthResponse) -> str:
    """Return the compact snapshot journaled with a throttle: statuses, errors, latencies, host load."""
    dependencies = {
        name: {
            "status": dep.status.value,
            **({"error": str(dep.error)} if dep.error else {}),
            **({"latency_ms": round(dep.latency_ms, 1)} if dep.latency_ms is not None else {}),
        }
        for name, dep in response.dependencies.items()
    }
    document: dict[str, Any] = {"status": response.status.value, "dependencies": dependencies}
    resources = response.resources
    if resources is not None:
        document["resources"] = {
            name: value
            for name in METRICS
            if (value := _METRICS[name](resources)) is not None and math.isfinite(value)
        }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


# --- the seam the runner consults --------------------------------------------------------------------


@runtime_checkable
class ClaimGate(Protocol):
    """What the runner consults between claims: one decision, kept current by the gate itself.

    ``watch(changed)`` runs for as long as the runner runs (it is cancelled at the end) and calls
    ``changed(decision)`` on the loop thread whenever its decision changes, the first time at once.
    A manual throttle (the control channel) and health throttling are two gates combined into one.
    """

    async def watch(self, changed: Callable[[GateDecision], None]) -> None:
        """Keep the decision current, calling ``changed`` on each change, until cancelled."""
        ...


class _DecisionHolder(Protocol):
    decision: GateDecision


async def poll_decisions(
    gate: _DecisionHolder,
    decide: Callable[[], Awaitable[GateDecision]],
    changed: Callable[[GateDecision], None],
    *,
    clock: Clock,
    interval: float,
) -> None:
    """Decide every ``interval`` and keep ``gate.decision`` current, calling ``changed`` on each change.

    The first decision is always reported; an abort is the last (the run fails on it).
    """
    first = True
    while True:
        decision = await decide()
        if first or decision != gate.decision:
            gate.decision = decision
            changed(decision)
        first = False
        if decision.kind is GateKind.ABORT:
            return
        await clock.sleep(interval)


class HealthThrottle:
    """A ``ClaimGate`` that asks a health manager every ``check_interval`` and applies a ``ThrottlePolicy``.

    Args:
        policy: the rules.
        manager: anything with ``async get_comprehensive_health() -> HealthResponse`` (a ``HealthManager``).
        clock: the interval's and hysteresis' clock.

    Attributes:
        evaluations: how many evaluations this gate ran (each one round of the manager's checks).
    """

    def __init__(self, policy: ThrottlePolicy, manager: Any, *, clock: Clock = SYSTEM_CLOCK) -> None:
        if not isinstance(policy, ThrottlePolicy):
            raise HealthConfigError(f"policy must be a ThrottlePolicy, not {type(policy).__name__}")
        configs = getattr(manager, "configs", None)
        if configs is not None:
            policy.check_names(config.name for config in configs)
        self.policy = policy
        self.manager = manager
        self.clock = clock
        self.evaluations = 0
        self.decision = PROCEED
        self._state = ThrottleState(policy)

    async def evaluate(self) -> GateDecision:
        """Run one evaluation now and return the decision."""
        self.evaluations += 1
        try:
            response: HealthResponse = await self.manager.get_comprehensive_health()
        except Exception as exc:
            logger.warning("health evaluation failed: %s", exc)
            return self._state.step(f"{type(exc).__name__}: {exc}", self.clock.monotonic())
        decision = self._state.step(evaluate_policy(self.policy, response), self.clock.monotonic())
        if decision.kind is not GateKind.PROCEED:
            decision = GateDecision(
                decision.kind, decision.reason, decision.concurrency, decision.delay, snapshot_json(response)
            )
        return decision

    async def watch(self, changed: Callable[[GateDecision], None]) -> None:
        """Evaluate every ``check_interval``; call ``changed`` when the decision changes."""
        await poll_decisions(
            self, self.evaluate, changed, clock=self.clock, interval=self.policy.check_interval
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def from_health_config(
        cls, config: Any, *, clock: Clock = SYSTEM_CLOCK, sampler: Any = None
    ) -> AsyncIterator[HealthThrottle]:
        """Yield a gate over a loaded ``HealthConfigFile``'s checks and ``[throttle]`` policy.

        Raises:
            HealthConfigError: no ``[throttle]`` table, or a rule is wrong (before any check runs).
        """
        policy = policy_from_health_config(config)
        async with config.open_manager(clock=clock, sampler=sampler) as manager:
            yield cls(policy, manager, clock=clock)

    def __repr__(self) -> str:
        return (
            f"<HealthThrottle {self.decision.kind.value} every {self.policy.check_interval:g}s "
            f"rules={len(self.policy.rules)} evaluations={self.evaluations}>"
        )


def combine_decisions(decisions: Iterable[GateDecision]) -> GateDecision:
    """Return the most restrictive of several gates' decisions, naming every reason (pure).

    Abort wins, then hold (the run is throttled while any gate holds, and the reason names each), then
    slow (the fewest items in flight and the longest delay asked for), then proceed.
    """
    chosen = [d for d in decisions if d.kind is not GateKind.PROCEED]
    for kind in (GateKind.ABORT, GateKind.HOLD):
        matching = [d for d in chosen if d.kind is kind]
        if matching:
            reason = "; ".join(d.reason for d in matching if d.reason) or None
            return GateDecision(
                kind, reason, snapshot=next((d.snapshot for d in matching if d.snapshot), None)
            )
    if not chosen:
        return PROCEED
    concurrencies = [d.concurrency for d in chosen if d.concurrency is not None]
    delays = [d.delay for d in chosen if d.delay is not None]
    return GateDecision(
        GateKind.SLOW,
        "; ".join(d.reason for d in chosen if d.reason) or None,
        min(concurrencies) if concurrencies else None,
        max(delays) if delays else None,
    )


def throttle_reason(health: str | None, manual: str | None) -> str | None:
    """Return why a run is throttled when health rules, an operator, or both hold it (None: neither).

    Both hold claims on their own. With an operator's throttle the reason names each source that holds,
    so nobody lifts one and wonders why the run still waits; health alone keeps its own reason. The
    journal's reason (``health``) may already name the operator's throttle (``manual: …``, mirrored
    there for the time accounting): it is named once.
    """
    if not manual:
        return health
    named = f"manual: {manual}"
    if health is not None:
        health = "; ".join(part for part in health.split("; ") if part != named) or None
    parts = [f"{who}: {why}" for who, why in (("health", health), ("manual", manual)) if why]
    return "; ".join(parts)


class CombinedGate:
    """A ``ClaimGate`` over several gates (a manual throttle and health, say): the most restrictive wins.

    Args:
        gates: the gates; each is watched for as long as the runner watches this one.
    """

    def __init__(self, *gates: ClaimGate) -> None:
        self.gates = gates
        self.decisions: list[GateDecision] = [PROCEED] * len(gates)
        self.decision = PROCEED

    def bind(self, store: Any, run_id: str, worker_id: str, lease_seconds: float) -> None:
        """Pass the runner's binding on to every gate that takes one."""
        for gate in self.gates:
            bind = getattr(gate, "bind", None)
            if callable(bind):
                bind(store, run_id, worker_id, lease_seconds)

    async def watch(self, changed: Callable[[GateDecision], None]) -> None:
        """Watch every gate; call ``changed`` when the combined decision changes (at once the first time)."""
        seen = [False] * len(self.gates)
        started = False

        def one(index: int) -> Callable[[GateDecision], None]:
            def update(decision: GateDecision) -> None:
                nonlocal started
                self.decisions[index] = decision
                seen[index] = True
                combined = combine_decisions(self.decisions)
                if all(seen) and (not started or combined != self.decision):
                    started = True
                    self.decision = combined
                    changed(combined)

            return update

        async with asyncio.TaskGroup() as group:
            for index, gate in enumerate(self.gates):
                group.create_task(gate.watch(one(index)))

    def __repr__(self) -> str:
        return f"<CombinedGate {self.decision.kind.value} gates={len(self.gates)}>"
