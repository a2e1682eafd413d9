"""omnimemory-kit: an operations kit for long migrations and the health of what they depend on.

The public API is what ``__all__`` lists; everything else is internal.
"""

from omnimemory_kit.clock import Clock as Clock
from omnimemory_kit.clock import FakeClock as FakeClock
from omnimemory_kit.clock import SystemClock as SystemClock
from omnimemory_kit.errors import AcquireTimeoutError as AcquireTimeoutError
from omnimemory_kit.errors import CircuitBreakerError as CircuitBreakerError
from omnimemory_kit.errors import ConfigError as ConfigError
from omnimemory_kit.errors import KitError as KitError
from omnimemory_kit.errors import RetryError as RetryError
from omnimemory_kit.events import Event as Event
from omnimemory_kit.events import EventKind as EventKind
from omnimemory_kit.events import FileStatus as FileStatus
from omnimemory_kit.events import MigrationPriority as MigrationPriority
from omnimemory_kit.events import MigrationStatus as MigrationStatus
from omnimemory_kit.resilience import AsyncCircuitBreaker as AsyncCircuitBreaker
from omnimemory_kit.resilience import CircuitBreakerConfig as CircuitBreakerConfig
from omnimemory_kit.resilience import CircuitBreakerStats as CircuitBreakerStats
from omnimemory_kit.resilience import CircuitState as CircuitState
from omnimemory_kit.resilience import RetryPolicy as RetryPolicy
from omnimemory_kit.resilience import retry as retry

__version__ = "0.1.0"

__all__ = [
    "AcquireTimeoutError",
    "AsyncCircuitBreaker",
    "CircuitBreakerConfig",
    "CircuitBreakerError",
    "CircuitBreakerStats",
    "CircuitState",
    "Clock",
    "ConfigError",
    "Event",
    "EventKind",
    "FakeClock",
    "FileStatus",
    "KitError",
    "MigrationPriority",
    "MigrationStatus",
    "RetryError",
    "RetryPolicy",
    "SystemClock",
    "retry",
]
