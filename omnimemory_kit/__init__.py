"""omnimemory-kit: an operations kit for long migrations and the health of what they depend on.

The public API is what ``__all__`` lists; everything else is internal.
"""

from omnimemory_kit.clock import Clock as Clock
from omnimemory_kit.clock import FakeClock as FakeClock
from omnimemory_kit.clock import SystemClock as SystemClock
from omnimemory_kit.concurrency import AsyncConnectionPool as AsyncConnectionPool
from omnimemory_kit.concurrency import ConnectionPoolConfig as ConnectionPoolConfig
from omnimemory_kit.concurrency import ConnectionPoolStats as ConnectionPoolStats
from omnimemory_kit.concurrency import FairSemaphore as FairSemaphore
from omnimemory_kit.concurrency import FairSemaphoreStats as FairSemaphoreStats
from omnimemory_kit.concurrency import LockPriority as LockPriority
from omnimemory_kit.concurrency import PriorityLock as PriorityLock
from omnimemory_kit.concurrency import PriorityLockStats as PriorityLockStats
from omnimemory_kit.concurrency import get_connection_pool as get_connection_pool
from omnimemory_kit.concurrency import get_fair_semaphore as get_fair_semaphore
from omnimemory_kit.concurrency import get_priority_lock as get_priority_lock
from omnimemory_kit.concurrency import register_connection_pool as register_connection_pool
from omnimemory_kit.concurrency import unregister_connection_pool as unregister_connection_pool
from omnimemory_kit.concurrency import with_connection_pool as with_connection_pool
from omnimemory_kit.concurrency import with_fair_semaphore as with_fair_semaphore
from omnimemory_kit.concurrency import with_priority_lock as with_priority_lock
from omnimemory_kit.errors import AcquireTimeoutError as AcquireTimeoutError
from omnimemory_kit.errors import CircuitBreakerError as CircuitBreakerError
from omnimemory_kit.errors import ConfigError as ConfigError
from omnimemory_kit.errors import KitError as KitError
from omnimemory_kit.errors import PoolClosedError as PoolClosedError
from omnimemory_kit.errors import PoolError as PoolError
from omnimemory_kit.errors import PoolExhaustedError as PoolExhaustedError
from omnimemory_kit.errors import RegistryError as RegistryError
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
from omnimemory_kit.resources import ManagedResourceStats as ManagedResourceStats
from omnimemory_kit.resources import ResourceManager as ResourceManager
from omnimemory_kit.resources import ResourceManagerStats as ResourceManagerStats
from omnimemory_kit.resources import resource_manager as resource_manager
from omnimemory_kit.resources import with_circuit_breaker as with_circuit_breaker

__version__ = "0.1.0"

__all__ = [
    "AcquireTimeoutError",
    "AsyncCircuitBreaker",
    "AsyncConnectionPool",
    "CircuitBreakerConfig",
    "CircuitBreakerError",
    "CircuitBreakerStats",
    "CircuitState",
    "Clock",
    "ConfigError",
    "ConnectionPoolConfig",
    "ConnectionPoolStats",
    "Event",
    "EventKind",
    "FairSemaphore",
    "FairSemaphoreStats",
    "FakeClock",
    "FileStatus",
    "KitError",
    "LockPriority",
    "ManagedResourceStats",
    "MigrationPriority",
    "MigrationStatus",
    "PoolClosedError",
    "PoolError",
    "PoolExhaustedError",
    "PriorityLock",
    "PriorityLockStats",
    "RegistryError",
    "ResourceManager",
    "ResourceManagerStats",
    "RetryError",
    "RetryPolicy",
    "SystemClock",
    "get_connection_pool",
    "get_fair_semaphore",
    "get_priority_lock",
    "register_connection_pool",
    "resource_manager",
    "retry",
    "unregister_connection_pool",
    "with_circuit_breaker",
    "with_connection_pool",
    "with_fair_semaphore",
    "with_priority_lock",
]
