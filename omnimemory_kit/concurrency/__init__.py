"""Asyncio concurrency primitives: a priority lock, a fair semaphore, a connection pool, and named access."""

from omnimemory_kit.concurrency.fair_semaphore import FairSemaphore as FairSemaphore
from omnimemory_kit.concurrency.fair_semaphore import FairSemaphoreStats as FairSemaphoreStats
from omnimemory_kit.concurrency.pool import AsyncConnectionPool as AsyncConnectionPool
from omnimemory_kit.concurrency.pool import ConnectionPoolConfig as ConnectionPoolConfig
from omnimemory_kit.concurrency.pool import ConnectionPoolStats as ConnectionPoolStats
from omnimemory_kit.concurrency.priority_lock import LockPriority as LockPriority
from omnimemory_kit.concurrency.priority_lock import PriorityLock as PriorityLock
from omnimemory_kit.concurrency.priority_lock import PriorityLockStats as PriorityLockStats
from omnimemory_kit.concurrency.registry import get_connection_pool as get_connection_pool
from omnimemory_kit.concurrency.registry import get_fair_semaphore as get_fair_semaphore
from omnimemory_kit.concurrency.registry import get_priority_lock as get_priority_lock
from omnimemory_kit.concurrency.registry import register_connection_pool as register_connection_pool
from omnimemory_kit.concurrency.registry import reset_registry as reset_registry
from omnimemory_kit.concurrency.registry import unregister_connection_pool as unregister_connection_pool
from omnimemory_kit.concurrency.registry import with_connection_pool as with_connection_pool
from omnimemory_kit.concurrency.registry import with_fair_semaphore as with_fair_semaphore
from omnimemory_kit.concurrency.registry import with_priority_lock as with_priority_lock

__all__ = [
    "AsyncConnectionPool",
    "ConnectionPoolConfig",
    "ConnectionPoolStats",
    "FairSemaphore",
    "FairSemaphoreStats",
    "LockPriority",
    "PriorityLock",
    "PriorityLockStats",
    "get_connection_pool",
    "get_fair_semaphore",
    "get_priority_lock",
    "register_connection_pool",
    "reset_registry",
    "unregister_connection_pool",
    "with_connection_pool",
    "with_fair_semaphore",
    "with_priority_lock",
]
