"""Named, process-wide locks, semaphores and pools: the origin document's ``with_*`` helpers.

A name is created once, on first use, with the configuration given then. Asking for the same name with a
different configuration raises ``RegistryError`` rather than silently handing back the first one, and an
unknown pool name is a ``RegistryError`` too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from omnimemory_kit.concurrency.fair_semaphore import FairSemaphore, _Permit
from omnimemory_kit.concurrency.pool import AsyncConnectionPool, _Checkout
from omnimemory_kit.concurrency.priority_lock import LockPriority, PriorityLock, _Holding
from omnimemory_kit.errors import RegistryError

__all__ = [
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

C = TypeVar("C")

_locks: dict[str, PriorityLock] = {}
_semaphores: dict[str, FairSemaphore] = {}
_pools: dict[str, AsyncConnectionPool[Any]] = {}


def get_priority_lock(name: str, *, aging_interval: float | None = None) -> PriorityLock:
    """Return the process-wide ``PriorityLock`` called ``name``, creating it on first use.

    Raises:
        RegistryError: if ``name`` exists with a different ``aging_interval``.
    """
    lock = _locks.get(name)
    if lock is None:
        lock = _locks[name] = PriorityLock(name=name, aging_interval=aging_interval)
    elif lock.aging_interval != aging_interval:
        raise RegistryError(
            f"priority lock {name!r} exists with aging_interval={lock.aging_interval!r}, "
            f"not {aging_interval!r}; use another name or the same configuration"
        )
    return lock


def get_fair_semaphore(name: str, permits: int) -> FairSemaphore:
    """Return the process-wide ``FairSemaphore`` called ``name``, creating it with ``permits`` on first use.

    Raises:
        RegistryError: if ``name`` exists with a different number of permits.
    """
    semaphore = _semaphores.get(name)
    if semaphore is None:
        semaphore = _semaphores[name] = FairSemaphore(permits, name=name)
    elif semaphore.permits != permits:
        raise RegistryError(
            f"fair semaphore {name!r} exists with permits={semaphore.permits}, not {permits!r}; "
            f"use another name or the same configuration"
        )
    return semaphore


def with_priority_lock(
    name: str,
    priority: LockPriority = LockPriority.NORMAL,
    *,
    timeout: float | None = None,
    aging_interval: float | None = None,
) -> _Holding:
    """Return ``async with`` access to the named priority lock at ``priority``.

    Raises:
        RegistryError: if ``name`` exists with a different ``aging_interval``.
        AcquireTimeoutError: (on entry) if the lock was not granted within ``timeout``.
    """
    return get_priority_lock(name, aging_interval=aging_interval).hold(priority, timeout)


def with_fair_semaphore(name: str, permits: int, *, timeout: float | None = None) -> _Permit:
    """Return ``async with`` access to one permit of the named fair semaphore.

    Raises:
        RegistryError: if ``name`` exists with a different number of permits.
        AcquireTimeoutError: (on entry) if no permit was granted within ``timeout``.
    """
    return get_fair_semaphore(name, permits).hold(timeout)


def register_connection_pool(name: str, pool: AsyncConnectionPool[C]) -> AsyncConnectionPool[C]:
    """Make ``pool`` available as ``with_connection_pool(name)`` and return it.

    Registering the same pool again under its name is harmless.

    Raises:
        RegistryError: if another pool is already registered under ``name``.
    """
    existing = _pools.get(name)
    if existing is not None and existing is not pool:
        raise RegistryError(
            f"connection pool {name!r} is already registered ({existing!r}); "
            f"close and unregister it first, or use another name"
        )
    _pools[name] = pool
    return pool


def get_connection_pool(name: str) -> AsyncConnectionPool[Any]:
    """Return the pool registered as ``name``.

    Raises:
        RegistryError: if no pool is registered under ``name``.
    """
    pool = _pools.get(name)
    if pool is None:
        known = ", ".join(repr(n) for n in sorted(_pools)) or "none"
        raise RegistryError(
            f"no connection pool registered as {name!r} (registered: {known}); "
            f"call register_connection_pool({name!r}, pool) first"
        )
    return pool


def unregister_connection_pool(name: str) -> AsyncConnectionPool[Any]:
    """Remove and return the pool registered as ``name`` (it is not closed).

    Raises:
        RegistryError: if no pool is registered under ``name``.
    """
    pool = get_connection_pool(name)
    del _pools[name]
    return pool


def with_connection_pool(name: str, *, timeout: float | None = None) -> _Checkout[Any]:
    """Return ``async with`` access to a connection from the pool registered as ``name``.

    Raises:
        RegistryError: if no pool is registered under ``name``.
    """
    return get_connection_pool(name).connection(timeout)


def reset_registry() -> None:
    """Forget every named lock, semaphore and pool (pools are not closed); for tests."""
    _locks.clear()
    _semaphores.clear()
    _pools.clear()
