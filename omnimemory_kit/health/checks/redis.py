"""Redis: ``PING`` over one reused ``redis.asyncio`` client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.observability import redact

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["RedisCheck", "validate_redis_url"]

_SCHEMES = ("redis", "rediss", "unix")


def validate_redis_url(url: str, *, where: str = "url") -> str:
    """Return ``url`` if it is a Redis URL (``redis://``, ``rediss://`` or ``unix://``), else raise.

    Raises:
        HealthConfigError: naming ``where``; the URL is shown with its password redacted.
    """
    if not isinstance(url, str) or not url.strip():
        raise HealthConfigError(f"{where}: a Redis URL is required (redis://host:6379/0)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise HealthConfigError(f"{where}: {redact(url)!r} is not a valid URL ({exc})") from None
    if parts.scheme not in _SCHEMES:
        raise HealthConfigError(
            f"{where}: {redact(url)!r} is not a Redis URL; use redis://, rediss:// or unix://"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise HealthConfigError(f"{where}: {redact(url)!r} has no host")
    return url


class RedisCheck(BuiltinCheck):
    """Send ``PING`` over a ``redis.asyncio`` client created on the first call and kept.

    The client's pool reconnects by itself; after a failure its connections are dropped so a restarted
    server is picked up at once. Redis-side retries are off: the next health round is the retry.

    Observed value: the round-trip latency in ms.

    Raises:
        HealthConfigError: the URL is not a Redis URL.
    """

    kind: ClassVar[str] = "redis"

    def __init__(self, url: str, *, timeout: float = 5.0, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(clock=clock)
        validate_redis_url(url)
        if timeout <= 0:
            raise HealthConfigError(f"timeout must be > 0 seconds, not {timeout!r}")
        self._url = url
        self._timeout = timeout
        self._client: redis.asyncio.Redis | None = None
        import redis.asyncio  # noqa: F401 - import now: a first import inside a round stalls every check

    @property
    def target(self) -> str:
        """Return the URL with its password redacted."""
        return redact(self._url)

    def _get_client(self) -> redis.asyncio.Redis:
        if self._client is None:
            import redis.asyncio
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._client = redis.asyncio.Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),
                single_connection_client=False,
            )
        return self._client

    async def _probe(self) -> CheckResult:
        client = self._get_client()
        pong: Any = await client.ping()
        if pong is not True and pong not in (b"PONG", "PONG"):
            return CheckResult.unhealthy(f"PING answered {pong!r}")
        return CheckResult.healthy("PING ok")

    async def _discard(self) -> None:
        if self._client is not None:
            await self._client.connection_pool.disconnect()

    async def aclose(self) -> None:
        """Close the client and its connections. Idempotent."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
