"""PostgreSQL: ``SELECT 1`` over one reused connection (or a connection from a pool you pass in)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.observability import redact
from omnimemory_kit.store.url import ENCODE_PASSWORD, password_problem

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresCheck", "validate_dsn"]


def validate_dsn(dsn: str, *, where: str = "dsn") -> str:
    """Return ``dsn`` if psycopg can parse it (URL or ``key=value`` form), else raise ``HealthConfigError``.

    The message names ``where`` and never repeats the DSN, which may hold a password.
    """
    from psycopg.conninfo import conninfo_to_dict

    if not isinstance(dsn, str) or not dsn.strip():
        raise HealthConfigError(f"{where}: a PostgreSQL DSN is required (postgresql://user@host/db)")
    problem = password_problem(dsn) if "://" in dsn else None
    if problem is not None:  # libpq would print part of the password in its "cannot resolve host" error
        raise HealthConfigError(f"{where}: {problem}; {ENCODE_PASSWORD}")
    try:
        if "://" in dsn:
            parts = urlsplit(dsn)
            if parts.scheme not in ("postgresql", "postgres"):
                raise ValueError("not a postgresql:// URL")
            parts.port  # noqa: B018 - parsing the port validates it (libpq would only fail on connect)
        conninfo_to_dict(dsn)
    except Exception as exc:
        raise HealthConfigError(
            f"{where}: not a valid PostgreSQL connection string or URL "
            f"(expected postgresql://user[:password]@host[:port]/database or 'host=... dbname=...')"
        ) from exc
    return dsn


class PostgresCheck(BuiltinCheck):
    """Run ``SELECT 1`` (or ``query``) over a connection kept open between calls.

    The connection is opened on the first call (autocommit, ``connect_timeout``) and reused; after a
    failure or an interrupted call it is dropped and the next call reconnects. Pass ``pool`` (a
    ``psycopg_pool.AsyncConnectionPool`` you own) to borrow a connection from it instead; the check never
    closes a pool it was given.

    Observed value: the round-trip latency in ms. Details: ``server_version`` once connected.

    Raises:
        HealthConfigError: the DSN does not parse, or neither a DSN nor a pool is given.
    """

    kind: ClassVar[str] = "postgres"

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: Any = None,
        query: str = "SELECT 1",
        connect_timeout: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        if pool is None:
            if dsn is None:
                raise HealthConfigError("dsn: a PostgreSQL DSN (or a pool) is required")
            validate_dsn(dsn)
        if connect_timeout <= 0:
            raise HealthConfigError(f"connect_timeout must be > 0 seconds, not {connect_timeout!r}")
        self._dsn = dsn
        self._pool = pool
        self._query = query
        self._connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._connect_lock = asyncio.Lock()
        self.connects = 0
        import psycopg  # noqa: F401 - import now: a first import inside a round stalls every check

    @property
    def target(self) -> str:
        """Return the DSN with its password redacted (or the pool's name)."""
        if self._dsn is None:
            return f"pool {getattr(self._pool, 'name', '?')!r}"
        return redact(self._dsn)

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        async with self._connect_lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                import psycopg

                assert self._dsn is not None
                timeout = max(1, round(self._connect_timeout))  # libpq takes whole seconds
                async with asyncio.timeout(self._connect_timeout):
                    self._conn = await psycopg.AsyncConnection.connect(
                        self._dsn, autocommit=True, connect_timeout=timeout
                    )
                self.connects += 1
            return self._conn

    async def _probe(self) -> CheckResult:
        if self._pool is not None:
            async with self._pool.connection(timeout=self._connect_timeout) as conn:
                await self._execute(conn)
                version = conn.info.server_version
        else:
            conn = await self._connection()
            await self._execute(conn)
            version = conn.info.server_version
        return CheckResult.healthy(f"{self._query} ok", details={"server_version": version})

    async def _execute(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async with conn.cursor() as cur:
            await cur.execute(self._query.encode())  # a fixed statement from the configuration
            await cur.fetchall()

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    def _invalidate(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.pgconn.finish()  # closes the socket at once; the connection then reports closed

    def _state(self) -> str:
        connected = self._conn is not None and not self._conn.closed
        return f"{'connected' if connected else 'disconnected'} connects={self.connects} " + super()._state()
