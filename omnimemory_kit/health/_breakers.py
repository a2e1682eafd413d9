"""The bridge to ``omnimemory_kit.resilience``: one circuit breaker per check that asks for one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from omnimemory_kit.clock import Clock

__all__ = ["Breaker", "breaker_state_name", "is_breaker_config", "make_breaker"]

T = TypeVar("T")


class Breaker(Protocol):
    """What the health manager uses of ``AsyncCircuitBreaker``."""

    @property
    def state(self) -> Any:
        """The breaker's state (closed, open, half-open)."""
        ...

    @property
    def retry_after(self) -> float:
        """Seconds until an open breaker admits a trial call."""
        ...

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn`` under the breaker; raise ``CircuitBreakerError`` when it refuses."""
        ...


def is_breaker_config(value: object) -> bool:
    """Return whether ``value`` is a ``CircuitBreakerConfig``."""
    try:
        from omnimemory_kit.resilience import CircuitBreakerConfig  # type: ignore[attr-defined]
    except ImportError:  # the resilience package has not landed its breaker yet
        return type(value).__name__ == "CircuitBreakerConfig"
    return isinstance(value, CircuitBreakerConfig)


def make_breaker(name: str, config: object, clock: Clock) -> Breaker:
    """Return a new ``AsyncCircuitBreaker`` for one check, on the manager's clock."""
    from omnimemory_kit.resilience import AsyncCircuitBreaker  # type: ignore[attr-defined]

    breaker: Breaker = AsyncCircuitBreaker(name, config, clock=clock)
    return breaker


def breaker_state_name(breaker: Breaker) -> str:
    """Return the breaker's state as a plain lowercase string (``closed``, ``open``, ``half_open``)."""
    state = breaker.state
    return str(getattr(state, "value", state)).lower()
