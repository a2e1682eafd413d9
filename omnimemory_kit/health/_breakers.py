"""The bridge to ``omnimemory_kit.resilience``: one circuit breaker per check that asks for one."""

from __future__ import annotations

__all__ = ["is_breaker_config"]


def is_breaker_config(value: object) -> bool:
    """Return whether ``value`` is a ``CircuitBreakerConfig``."""
    try:
        from omnimemory_kit.resilience import CircuitBreakerConfig  # type: ignore[attr-defined]
    except ImportError:  # the resilience package has not landed its breaker yet
        return type(value).__name__ == "CircuitBreakerConfig"
    return isinstance(value, CircuitBreakerConfig)
