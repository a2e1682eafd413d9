"""The health checks a notebook runs: those of a health TOML file, or by default this machine's disk and
the kit's store, plus PostgreSQL and Redis when their URLs are given. The default works on a fresh machine
with neither installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.health.checks import BuiltinCheck, DiskSpaceCheck, PostgresCheck, RedisCheck, StoreCheck
from omnimemory_kit.health.config import load_health_config
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.manager import HealthManager
from omnimemory_kit.health.models import DependencyType, HealthCheckConfig
from omnimemory_kit.store.base import HealthHistoryStore
from omnimemory_kit.store.url import parse_sqlite_url

__all__ = ["HealthSession", "default_health_session"]


@dataclass(slots=True)
class HealthSession:
    """A health manager with its checks registered; ``await session.aclose()`` releases connections."""

    manager: HealthManager
    checks: list[BuiltinCheck] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close every check's connection and the manager's threads."""
        for check in self.checks:
            await check.aclose()
        self.manager.close()

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.manager.configs)
        return f"<HealthSession checks=[{names}]>"


def _store_directory(store_url: str) -> str:
    """Return the folder of a SQLite store (whose disk matters most), or the current folder."""
    if store_url.lower().startswith(("postgresql://", "postgres://")):
        return os.getcwd()
    try:
        location = parse_sqlite_url(store_url)
    except Exception:  # a bad URL is reported by the store check itself
        return os.getcwd()
    folder = Path.cwd() if location.in_memory else Path(location.path).parent
    return str(folder if folder.is_dir() else Path.cwd())


def default_health_session(
    store: HealthHistoryStore,
    store_url: str,
    *,
    config: str | os.PathLike[str] | None = None,
    postgres_dsn: str | None = None,
    redis_url: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> HealthSession:
    """Return a manager that records into ``store``'s health history, with its checks registered.

    With ``config`` (a health TOML file, see ``omnimemory_kit.health.config``) its checks are used, and
    ``postgres_dsn``/``redis_url`` add to them. Without it the checks are ``disk`` (free space where the
    store lives: degraded under 20%, unhealthy under 10%), ``store`` (the journal opens and answers), and
    ``postgresql`` / ``redis`` when a URL is given.

    Raises:
        HealthConfigError: the config file or a given DSN or URL is wrong (naming it).
    """
    if config is not None:
        loaded = load_health_config(config)
        manager = HealthManager(
            clock=clock, resource_path=loaded.resource_path, history=loaded.history_for(store, clock)
        )
        session = HealthSession(manager)
        for registration, built in loaded.registrations(clock):
            manager.register_health_check(registration, built, replace=True)
            session.checks.append(built)
        _add_services(session, postgres_dsn, redis_url, clock)
        return session
    folder = _store_directory(store_url)
    manager = HealthManager(clock=clock, resource_path=folder, history=HealthHistory(store, clock=clock))
    session = HealthSession(manager)
    wanted: list[tuple[HealthCheckConfig, BuiltinCheck]] = [
        (
            HealthCheckConfig(
                name="disk", dependency_type=DependencyType.FILESYSTEM, critical=True, timeout=2.0
            ),
            DiskSpaceCheck(folder, clock=clock),
        ),
        (
            HealthCheckConfig(name="store", dependency_type=DependencyType.STORE, critical=True, timeout=3.0),
            StoreCheck(store_url, clock=clock),
        ),
    ]
    for registration, built in wanted:
        manager.register_health_check(registration, built, replace=True)
        session.checks.append(built)
    _add_services(session, postgres_dsn, redis_url, clock)
    return session


def _add_services(
    session: HealthSession, postgres_dsn: str | None, redis_url: str | None, clock: Clock
) -> None:
    """Register PostgreSQL and Redis checks for the URLs given."""
    wanted: list[tuple[HealthCheckConfig, BuiltinCheck]] = []
    if postgres_dsn:
        wanted.append(
            (
                HealthCheckConfig(name="postgresql", dependency_type=DependencyType.DATABASE, timeout=3.0),
                PostgresCheck(postgres_dsn, connect_timeout=2.0, clock=clock),
            )
        )
    if redis_url:
        wanted.append(
            (
                HealthCheckConfig(
                    name="redis", dependency_type=DependencyType.CACHE, critical=False, timeout=3.0
                ),
                RedisCheck(redis_url, timeout=2.0, clock=clock),
            )
        )
    for registration, built in wanted:
        session.manager.register_health_check(registration, built, replace=True)
        session.checks.append(built)
