"""Resilience primitives: an asyncio circuit breaker and retry with exponential backoff and jitter."""

from omnimemory_kit.resilience.backoff import AttemptState as AttemptState
from omnimemory_kit.resilience.backoff import Jitter as Jitter
from omnimemory_kit.resilience.backoff import StopPolicy as StopPolicy
from omnimemory_kit.resilience.backoff import WaitPolicy as WaitPolicy
from omnimemory_kit.resilience.backoff import stop_after_attempt as stop_after_attempt
from omnimemory_kit.resilience.backoff import stop_after_delay as stop_after_delay
from omnimemory_kit.resilience.backoff import stop_never as stop_never
from omnimemory_kit.resilience.backoff import wait_exponential as wait_exponential
from omnimemory_kit.resilience.backoff import wait_fixed as wait_fixed
from omnimemory_kit.resilience.breaker import AsyncCircuitBreaker as AsyncCircuitBreaker
from omnimemory_kit.resilience.breaker import CircuitBreakerConfig as CircuitBreakerConfig
from omnimemory_kit.resilience.breaker import CircuitBreakerStats as CircuitBreakerStats
from omnimemory_kit.resilience.breaker import CircuitState as CircuitState
from omnimemory_kit.resilience.breaker import StateListener as StateListener
from omnimemory_kit.resilience.retry import Attempt as Attempt
from omnimemory_kit.resilience.retry import RetryCallback as RetryCallback
from omnimemory_kit.resilience.retry import RetryPolicy as RetryPolicy
from omnimemory_kit.resilience.retry import retry as retry

__all__ = [
    "AsyncCircuitBreaker",
    "Attempt",
    "AttemptState",
    "CircuitBreakerConfig",
    "CircuitBreakerStats",
    "CircuitState",
    "Jitter",
    "RetryCallback",
    "RetryPolicy",
    "StateListener",
    "StopPolicy",
    "WaitPolicy",
    "retry",
    "stop_after_attempt",
    "stop_after_delay",
    "stop_never",
    "wait_exponential",
    "wait_fixed",
]
