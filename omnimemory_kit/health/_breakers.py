"""The bridge to ``omnimemory_kit.resilience``: one circuit breaker per check that asks for one.

A health breaker counts every unhealthy round as a failure, whatever made it unhealthy (a raise, a
timeout, an unhealthy result or a failed condition): the manager turns all of those into one signal
exception before it leaves the breaker. So the config's ``failure_exceptions`` / ``excluded_exceptions``
do not apply, and its per-call ``timeout`` is dropped, because the check's own ``timeout`` bounds the
call inside the breaker.
"""

from __future__ import annotations

from omnimemory_kit.clock import Clock
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig

__all__ = ["breaker_for_check"]


def breaker_for_check(name: str, config: CircuitBreakerConfig, clock: Clock) -> AsyncCircuitBreaker:
    """Return a new breaker for the check ``name`` on the manager's clock."""
    health_config = config.model_copy(
        update={"timeout": None, "failure_exceptions": (Exception,), "excluded_exceptions": ()}
    )
    return AsyncCircuitBreaker(f"health:{name}", health_config, clock=clock)
