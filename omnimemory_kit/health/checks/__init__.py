"""Built-in checks, one module per kind of dependency.

Each is an async callable returning a ``CheckResult`` (register it directly with the health manager),
keeps its connection or client between calls, reports failures as ``unhealthy`` results with passwords
redacted, and releases what it holds with ``aclose()``:

=========================  ========  ===============================================================
class                      type      probe
=========================  ========  ===============================================================
``PostgresCheck``          postgres  ``SELECT 1`` over a reused connection (or a pool you pass)
``RedisCheck``             redis     ``PING`` over a reused ``redis.asyncio`` client
``HttpCheck``              http      status code, optionally a JSON field, over a reused httpx client
``TcpCheck``               tcp       TCP connect to host:port
``DiskSpaceCheck``         disk      free space with warn (degraded) and fail (unhealthy) thresholds
``WritablePathCheck``      path      create, write and delete a temporary file (off the loop)
``StoreCheck``             store     open the kit's store and run a cheap read (off the loop)
``PushCheck``              push      a heartbeat arrived within ``max_age`` (a dead-man switch)
=========================  ========  ===============================================================
"""

from omnimemory_kit.health.checks._base import BuiltinCheck as BuiltinCheck
from omnimemory_kit.health.checks.disk import DiskSpaceCheck as DiskSpaceCheck
from omnimemory_kit.health.checks.http import HttpCheck as HttpCheck
from omnimemory_kit.health.checks.path import WritablePathCheck as WritablePathCheck
from omnimemory_kit.health.checks.postgres import PostgresCheck as PostgresCheck
from omnimemory_kit.health.checks.push import PushCheck as PushCheck
from omnimemory_kit.health.checks.push import send_heartbeat as send_heartbeat
from omnimemory_kit.health.checks.redis import RedisCheck as RedisCheck
from omnimemory_kit.health.checks.store import StoreCheck as StoreCheck
from omnimemory_kit.health.checks.tcp import TcpCheck as TcpCheck

__all__ = [
    "BuiltinCheck",
    "DiskSpaceCheck",
    "HttpCheck",
    "PostgresCheck",
    "PushCheck",
    "RedisCheck",
    "StoreCheck",
    "TcpCheck",
    "WritablePathCheck",
    "send_heartbeat",
]
