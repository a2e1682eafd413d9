"""The health manager (an orchestrator): run every registered check at once, each isolated and bounded.

How a round goes (``get_comprehensive_health``):

1. every check starts at once in its own task (an ``asyncio.TaskGroup``), next to a host-metrics sample;
2. each check runs under its own timeout (the clock's ``timeout()``), *inside* its circuit breaker when it
   has one, so a check configured at 0.1 s answers within about 0.1 s whatever the breaker does; a
   hanging check never delays the others;
3. what the check returned is normalised: ``True``/``None`` → healthy, ``False`` → unhealthy, a
   ``HealthStatus`` as is, a ``CheckResult`` with its details; raising → unhealthy with the exception's
   type and (redacted) message; a timeout → unhealthy with ``TimeoutError``;
4. the check's conditions may make the status worse (the failed one is named);
5. the breaker counts a raise, a timeout or an unhealthy result as a failure; while it is open the check
   is not called and reports unhealthy, "circuit open", with the time it will be retried;
6. flap damping decides the *reported* status; the roll-up gives the overall status;
7. the response is recorded in the history when the manager has one.

Sync check functions run in the manager's worker threads so they never block the event loop; a timeout
stops *waiting* for them but cannot stop the thread, so give sync clients their own timeouts too.
Cancelling ``get_comprehensive_health`` cancels every check task and waits for them before it returns.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import importlib.metadata
import inspect
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode, Tracer

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import CircuitBreakerError, HealthConfigError, RegistryError
from omnimemory_kit.health._breakers import breaker_for_check
from omnimemory_kit.health.conditions import Condition, evaluate_conditions, parse_condition
from omnimemory_kit.health.damping import FlapDamper
from omnimemory_kit.health.models import (
    CheckResult,
    DependencyHealth,
    ErrorInfo,
    HealthCheckConfig,
    HealthResponse,
    HealthStatus,
    ResourceMetrics,
    numeric_observations,
)
from omnimemory_kit.health.resources import ResourceSampler
from omnimemory_kit.health.rollup import roll_up
from omnimemory_kit.observability import (
    OperationType,
    correlation_context,
    redact,
    redact_mapping,
    trace_operation,
)
from omnimemory_kit.resilience import AsyncCircuitBreaker

if TYPE_CHECKING:
    from omnimemory_kit.health.history import HealthHistory

__all__ = ["CheckFunction", "CheckOutcome", "HealthManager", "health_manager"]

logger = logging.getLogger("omnimemory_kit.health")

T = TypeVar("T")

CheckOutcome: TypeAlias = bool | HealthStatus | CheckResult | None
"""What a check function may return (or an awaitable of it)."""

CheckFunction: TypeAlias = Callable[[], CheckOutcome | Awaitable[CheckOutcome]]
"""A health check: a sync or async callable taking no arguments."""

NO_CHECKS_NOTE = "no health checks registered: healthy means only that this process is up"


def _kit_version() -> str | None:
    try:
        return importlib.metadata.version("omnimemory-kit")
    except importlib.metadata.PackageNotFoundError:
        return None


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One round of one check, before damping."""

    status: HealthStatus
    latency_ms: float | None = None
    result: CheckResult | None = None
    error: ErrorInfo | None = None
    failed_condition: str | None = None
    retry_after: float | None = None


class CheckReportedUnhealthy(Exception):
    """Carry an unhealthy outcome out through the breaker so that it counts as a failure.

    Internal (not exported); named without an underscore because breaker logs and stats show it as the
    last failure type.
    """

    def __init__(self, outcome: _Outcome) -> None:
        super().__init__(outcome.error or "unhealthy")
        self.outcome = outcome


@dataclass(slots=True)
class _Registration:
    """A registered check and its live state between rounds."""

    config: HealthCheckConfig
    func: Callable[[], Any]
    is_async: bool
    conditions: tuple[Condition, ...]
    damper: FlapDamper
    breaker: AsyncCircuitBreaker | None
    last_success_at: dt.datetime | None = None
    last: DependencyHealth | None = field(default=None)
    # a sync call still running in a worker thread (timed out earlier): never pile up another behind it
    running: asyncio.Future[Any] | None = None
    running_since: float = 0.0
    span_attributes: dict[str, str | bool | int | float] = field(default_factory=dict)


class HealthManager:
    """Register dependency checks and aggregate them into a ``HealthResponse``.

    Args:
        clock: the clock for timeouts, latencies, timestamps and breakers (a ``FakeClock`` in tests).
        resource_path: whose volume the disk metrics describe (the store's directory); the current
            working directory when None.
        history: where to record every response (``HealthHistory``), or None to record nothing.
        sample_resources: whether to include host metrics in responses.
        version: the version reported in the response (the kit's version by default).
        resource_timeout: seconds a host-metrics sample may take before the response goes without it.
        resource_max_age: reuse a host-metrics sample younger than this many seconds instead of taking a
            new one (``sampled_at`` tells its age); 0 samples on every round. Probes polling many times a
            second then cost almost nothing, and rates need a window of that order anyway.
        max_threads: worker threads for sync check functions and host sampling.
        tracer: the OpenTelemetry tracer for the round's spans (the global one by default).
        sampler: where host metrics come from: anything with ``sample() -> ResourceMetrics`` (a
            ``ResourceSampler`` over ``resource_path`` by default; a fake in tests of host-load rules).
    """

    def __init__(
        self,
        *,
        clock: Clock = SYSTEM_CLOCK,
        resource_path: str | None = None,
        history: HealthHistory | None = None,
        sample_resources: bool = True,
        version: str | None = None,
        resource_timeout: float = 1.0,
        resource_max_age: float = 1.0,
        max_threads: int = 64,
        tracer: Tracer | None = None,
        sampler: Any = None,
    ) -> None:
        self._clock = clock
        self._injected_sampler = sampler
        self.resource_path = resource_path
        self.history = history
        self.version = version if version is not None else _kit_version()
        self.resource_timeout = resource_timeout
        self.resource_max_age = resource_max_age
        self._last_resources: tuple[float, ResourceMetrics] | None = None
        self._sample_resources = sample_resources
        # made now so the first response already has a CPU baseline to measure against
        self._sampler = (
            ResourceSampler(clock=clock, disk_path=resource_path)
            if sample_resources and sampler is None
            else None
        )
        self._max_threads = max_threads
        self._tracer = tracer
        self._executor: ThreadPoolExecutor | None = None
        self._checks: dict[str, _Registration] = {}
        self._last_response: HealthResponse | None = None

    # --- registration --------------------------------------------------------------------------------

    def register_health_check(
        self, config: HealthCheckConfig, func: CheckFunction, *, replace: bool = False
    ) -> None:
        """Register ``func`` as the check described by ``config``.

        Args:
            config: the check's name, kind, criticality, timeout, conditions, breaker and damping.
            func: a sync or async callable with no arguments returning bool, ``HealthStatus``,
                ``CheckResult`` or None (healthy); raising means unhealthy.
            replace: replace a check of the same name (handy when a notebook cell is re-run) instead of
                refusing it.

        Raises:
            HealthConfigError: ``config`` is not a ``HealthCheckConfig``, ``func`` is not callable, or a
                check with that name is already registered (and ``replace`` is false).
        """
        if not isinstance(config, HealthCheckConfig):
            raise HealthConfigError(
                f"register_health_check needs a HealthCheckConfig, not {type(config).__name__}"
            )
        if not callable(func):
            raise HealthConfigError(f"health check {config.name!r}: the check function is not callable")
        if config.name in self._checks and not replace:
            raise HealthConfigError(
                f"a health check named {config.name!r} is already registered; "
                f"unregister it first or choose another name"
            )
        breaker = None
        if config.breaker is not None:
            breaker = breaker_for_check(config.name, config.breaker, self._clock)
        self._checks[config.name] = _Registration(
            config=config,
            func=func,
            is_async=_is_async_callable(func),
            conditions=tuple(parse_condition(text) for text in config.conditions),
            damper=FlapDamper(config.failures_to_change, config.successes_to_recover),
            breaker=breaker,
            span_attributes={
                "omnimemory.health.check": config.name,
                "omnimemory.health.dependency_type": str(config.dependency_type),
                "omnimemory.health.critical": config.critical,
            },
        )
        logger.debug("registered health check %r (%s)", config.name, config.dependency_type)

    def unregister(self, name: str) -> None:
        """Remove a check and its state (breaker, damping, last success).

        Raises:
            RegistryError: no check has that name.
        """
        if self._checks.pop(name, None) is None:
            raise RegistryError(f"no health check named {name!r} is registered")

    def clear(self) -> None:
        """Remove every check and forget the last response."""
        self._checks.clear()
        self._last_response = None

    @property
    def configs(self) -> tuple[HealthCheckConfig, ...]:
        """Return the registered checks' configurations in registration order."""
        return tuple(reg.config for reg in self._checks.values())

    @property
    def last_response(self) -> HealthResponse | None:
        """Return the most recent response, or None before the first round."""
        return self._last_response

    def breaker(self, name: str) -> AsyncCircuitBreaker | None:
        """Return the circuit breaker guarding a check (None when it has none).

        Raises:
            RegistryError: no check has that name.
        """
        return self._registration(name).breaker

    def check_function(self, name: str) -> Callable[[], Any]:
        """Return the callable registered as check ``name`` (a built-in check object, say).

        Raises:
            RegistryError: no check has that name.
        """
        return self._registration(name).func

    # --- running ------------------------------------------------------------------------------------

    async def get_comprehensive_health(self) -> HealthResponse:
        """Run every check at once, roll up, sample host metrics, record and return the response.

        The round is traced as a ``health_aggregation`` operation (a span parented on the caller's
        current span) with one ``health_check`` child span per check (``omnimemory_kit.observability``).
        Every log line of the round, including those of sync checks in worker threads and of breakers,
        carries the caller's correlation fields; a round called outside any correlation context gets a
        correlation id of its own.
        """
        with correlation_context():  # inherits the caller's id, or makes one for this round
            async with trace_operation(
                "health", OperationType.HEALTH_AGGREGATION, clock=self._clock, tracer=self._tracer
            ):
                response = await self._aggregate()
                _annotate_current_span(response.status, None)
        return response

    async def _aggregate(self) -> HealthResponse:
        started = self._clock.monotonic()
        checked_at = _utc(self._clock.time())
        registrations = list(self._checks.values())
        resource_task: asyncio.Task[ResourceMetrics | str] | None = None
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self._run_check(reg), name=f"health-check:{reg.config.name}")
                for reg in registrations
            ]
            if self._sample_resources:
                resource_task = group.create_task(self._sample(), name="health-resources")
        dependencies = {
            reg.config.name: task.result() for reg, task in zip(registrations, tasks, strict=True)
        }
        notes: list[str] = []
        if not dependencies:
            notes.append(NO_CHECKS_NOTE)
        resources = None
        if resource_task is not None:
            sampled = resource_task.result()
            if isinstance(sampled, str):
                notes.append(sampled)
            else:
                resources = sampled
        response = HealthResponse(
            status=roll_up((dep.status, dep.critical) for dep in dependencies.values()),
            checked_at=checked_at,
            duration_ms=(self._clock.monotonic() - started) * 1000.0,
            dependencies=dependencies,
            resources=resources,
            version=self.version,
            notes=tuple(notes),
        )
        if self.history is not None:
            response = await self._record(response)
        previous = self._last_response.status if self._last_response is not None else None
        if previous != response.status:
            logger.log(
                logging.INFO if response.status == HealthStatus.HEALTHY else logging.WARNING,
                "overall health is %s",
                response.status,
                extra={"old_status": previous, "new_status": str(response.status)},
            )
        self._last_response = response
        return response

    async def check(self, name: str) -> DependencyHealth:
        """Run one check now (with its timeout, breaker, conditions and damping) and return its state.

        Raises:
            RegistryError: no check has that name.
        """
        return await self._run_check(self._registration(name))

    def close(self) -> None:
        """Stop the worker threads (a running sync check is not interrupted). Idempotent."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # --- one check ----------------------------------------------------------------------------------

    async def _run_check(self, reg: _Registration) -> DependencyHealth:
        checked_at = _utc(self._clock.time())
        async with trace_operation(
            f"health check {reg.config.name}",
            OperationType.HEALTH_CHECK,
            attributes=reg.span_attributes,
            clock=self._clock,
            tracer=self._tracer,
        ):
            try:
                if reg.breaker is None:
                    outcome = await self._attempt(reg)
                else:
                    outcome = await self._attempt_through_breaker(reg, reg.breaker)
            except Exception as exc:  # a bug in our own plumbing must not take the other checks down
                logger.exception("health check %r could not be run", reg.config.name)
                outcome = _Outcome(HealthStatus.UNHEALTHY, error=_error_info(exc))
            dependency = self._finish(reg, outcome, checked_at)
            _annotate_current_span(dependency.status, dependency)
        return dependency

    async def _attempt_through_breaker(self, reg: _Registration, breaker: AsyncCircuitBreaker) -> _Outcome:
        async def guarded() -> _Outcome:
            outcome = await self._attempt(reg)
            if outcome.status == HealthStatus.UNHEALTHY:
                raise CheckReportedUnhealthy(outcome)
            return outcome

        try:
            return await breaker.call(guarded)
        except CheckReportedUnhealthy as signal:
            return signal.outcome
        except CircuitBreakerError as exc:
            return _Outcome(
                HealthStatus.UNHEALTHY,
                error=ErrorInfo(type="CircuitBreakerError", message="circuit open"),
                retry_after=exc.retry_after,
            )

    async def _attempt(self, reg: _Registration) -> _Outcome:
        """Call the check under its timeout and turn whatever happens into an outcome."""
        config = reg.config
        start = self._clock.monotonic()
        timeout = self._clock.timeout(config.timeout)
        try:
            async with timeout:
                value = await self._call(reg)
        except TimeoutError as exc:
            latency = (self._clock.monotonic() - start) * 1000.0
            if timeout.expired():
                error = ErrorInfo(type="TimeoutError", message=f"no answer within {config.timeout:g}s")
            else:
                error = _error_info(exc)
            return _Outcome(HealthStatus.UNHEALTHY, latency_ms=latency, error=error)
        except Exception as exc:
            latency = (self._clock.monotonic() - start) * 1000.0
            return _Outcome(HealthStatus.UNHEALTHY, latency_ms=latency, error=_error_info(exc))
        latency = (self._clock.monotonic() - start) * 1000.0
        try:
            result = _normalise(value)
        except TypeError as exc:
            return _Outcome(HealthStatus.UNHEALTHY, latency_ms=latency, error=_error_info(exc))
        if not reg.conditions:
            return _Outcome(result.status, latency_ms=latency, result=result)
        observations = numeric_observations(latency, result.observed_value, result.details)
        verdict = evaluate_conditions(result.status, reg.conditions, observations)
        failed = None
        if verdict.failed is not None:
            failed = verdict.failed.text
            if verdict.missing_field:
                failed += f" ({verdict.failed.field} was not observed)"
        return _Outcome(verdict.status, latency_ms=latency, result=result, failed_condition=failed)

    async def _call(self, reg: _Registration) -> Any:
        if reg.is_async:
            value = reg.func()
        else:
            if reg.running is not None and not reg.running.done():
                stuck_for = self._clock.monotonic() - reg.running_since
                raise TimeoutError(
                    f"the previous call has not returned after {stuck_for:.3g}s; not starting another"
                )
            loop = asyncio.get_running_loop()
            reg.running = loop.run_in_executor(self._threads(), _in_context(reg.func))
            reg.running_since = self._clock.monotonic()
            # shield: a timeout stops our wait, but the thread runs on; keep the future to know when it ends
            value = await asyncio.shield(reg.running)
        if inspect.isawaitable(value):
            value = await value
        return value

    def _finish(self, reg: _Registration, outcome: _Outcome, checked_at: dt.datetime) -> DependencyHealth:
        """Damp, remember and describe one check's outcome."""
        config = reg.config
        damped = reg.damper.observe(outcome.status)
        if outcome.status in (HealthStatus.HEALTHY, HealthStatus.DEGRADED):
            reg.last_success_at = checked_at
        breaker_state = retry_at = None
        if reg.breaker is not None:
            breaker_state = str(reg.breaker.state)
            retry_after = outcome.retry_after
            if retry_after is None and breaker_state == "open":
                retry_after = reg.breaker.retry_after
            if retry_after is not None:
                retry_at = checked_at + dt.timedelta(seconds=retry_after)
        result = outcome.result
        message = result.message if result is not None else None
        dependency = DependencyHealth(
            name=config.name,
            dependency_type=config.dependency_type,
            component_type=config.effective_component_type,
            critical=config.critical,
            status=damped.status,
            observed_status=outcome.status,
            pending=damped.pending,
            checked_at=checked_at,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            observed_value=result.observed_value if result is not None else None,
            observed_unit=result.observed_unit if result is not None else None,
            measurement=result.measurement if result is not None else None,
            message=redact(message) if message else None,
            details=redact_mapping(result.details) if result is not None and result.details else {},
            failed_condition=outcome.failed_condition,
            last_success_at=reg.last_success_at,
            breaker_state=breaker_state,
            retry_at=retry_at,
            tags=config.tags,
        )
        previous = reg.last.status if reg.last is not None else None
        if previous is not None and previous != dependency.status:
            logger.warning(
                "health of %r changed from %s to %s%s",
                config.name,
                previous,
                dependency.status,
                f" ({dependency.error})" if dependency.error else "",
                extra={
                    "check": config.name,
                    "critical": config.critical,
                    "old_status": str(previous),
                    "new_status": str(dependency.status),
                    "error_type": dependency.error.type if dependency.error else None,
                },
            )
        reg.last = dependency
        return dependency

    # --- host metrics and history -------------------------------------------------------------------

    async def _sample(self) -> ResourceMetrics | str:
        """Return a host-metrics sample (a recent one, or a new one), or a note saying why there is none."""
        now = self._clock.monotonic()
        sampler = self._resource_sampler()
        if self._last_resources is not None:
            taken, metrics = self._last_resources
            if now - taken < self.resource_max_age:
                return metrics
        loop = asyncio.get_running_loop()
        try:
            async with self._clock.timeout(self.resource_timeout):
                metrics = await loop.run_in_executor(self._threads(), _in_context(sampler.sample))
                self._last_resources = (now, metrics)
                return metrics
        except TimeoutError:
            return f"host metrics not sampled: no answer within {self.resource_timeout:g}s"
        except Exception as exc:
            logger.exception("host metrics could not be sampled")
            return f"host metrics not sampled: {_error_info(exc)}"

    def _resource_sampler(self) -> Any:
        if self._injected_sampler is not None:
            return self._injected_sampler
        if self._sampler is None or self._sampler.disk_path != self.resource_path:
            self._sampler = ResourceSampler(clock=self._clock, disk_path=self.resource_path)
            self._last_resources = None  # a sample of another volume is no answer
        return self._sampler

    async def _record(self, response: HealthResponse) -> HealthResponse:
        """Record the response in the history; on failure, say so in the response instead of raising."""
        history = self.history
        assert history is not None
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._threads(), _in_context(history.record, response))
        except Exception as exc:
            logger.exception("health snapshot could not be recorded")
            note = f"snapshot not recorded: {_error_info(exc)}"
            return response.model_copy(update={"notes": (*response.notes, note)})
        return response

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._max_threads, thread_name_prefix="omnimemory-health")
        return self._executor

    def _registration(self, name: str) -> _Registration:
        try:
            return self._checks[name]
        except KeyError:
            raise RegistryError(f"no health check named {name!r} is registered") from None

    def __repr__(self) -> str:
        last = self._last_response.status if self._last_response is not None else "never run"
        return f"<HealthManager checks={len(self._checks)} last={last}>"


def _in_context(func: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Return ``func(*args)`` bound to a copy of the current context, for a worker thread.

    ``run_in_executor`` does not carry context variables; this keeps the correlation fields on the log
    lines of sync checks, host sampling and history recording.
    """
    return functools.partial(contextvars.copy_context().run, func, *args)


def _is_async_callable(func: Callable[..., Any]) -> bool:
    """Return whether calling ``func`` gives a coroutine (async def, partials of one, async __call__)."""
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - looking for an async __call__, not callability
    return call is not None and inspect.iscoroutinefunction(call)


_HEALTHY = CheckResult(status=HealthStatus.HEALTHY)
_RETURNED_FALSE = CheckResult(status=HealthStatus.UNHEALTHY, message="check returned False")
_BY_STATUS = {status: CheckResult(status=status) for status in HealthStatus}


def _normalise(value: object) -> CheckResult:
    """Turn what a check returned into a ``CheckResult``.

    Raises:
        TypeError: the check returned something else.
    """
    if isinstance(value, CheckResult):
        return value
    if value is None or value is True:
        return _HEALTHY
    if value is False:
        return _RETURNED_FALSE
    if isinstance(value, str):
        try:
            return _BY_STATUS[HealthStatus(value.lower())]
        except ValueError:
            pass
    raise TypeError(
        f"check returned {type(value).__name__} {value!r:.80}; "
        f"expected bool, HealthStatus, CheckResult or None"
    )


def _annotate_current_span(status: HealthStatus, dependency: DependencyHealth | None) -> None:
    """Put the outcome on the current span (only when an SDK records it); unhealthy marks it an error."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("omnimemory.health.status", str(status))
    if dependency is not None:
        if dependency.latency_ms is not None:
            span.set_attribute("omnimemory.health.latency_ms", dependency.latency_ms)
        if dependency.pending:
            span.set_attribute("omnimemory.health.observed_status", str(dependency.observed_status))
    if status == HealthStatus.UNHEALTHY:
        reason = str(dependency.error) if dependency is not None and dependency.error else str(status)
        span.set_status(Status(StatusCode.ERROR, reason))


def _error_info(exc: BaseException) -> ErrorInfo:
    return ErrorInfo(type=type(exc).__name__, message=redact(str(exc)))


health_manager = HealthManager()
"""The shared manager the origin document's call shapes use."""
