"""What every built-in check shares: timing, failure reporting with redacted messages, and closing.

A built-in check is an async callable returning a ``CheckResult``, so it can be registered directly::

    check = PostgresCheck("postgresql://app@db/app")
    health_manager.register_health_check(HealthCheckConfig(name="postgresql", ...), check)
    ...
    await check.aclose()

A check reports instead of raising: an expected failure (refused connection, wrong password, bad status
code) comes back as an ``unhealthy`` result whose message is ``"<ErrorType>: <text>"`` with every password
redacted, and whose ``details`` carry ``error_type``. Only programming errors propagate. Each check keeps
its connection or client between calls (one event loop per check) and ``aclose()`` releases it.
"""

from __future__ import annotations

import abc
import logging
from types import TracebackType
from typing import ClassVar, Self

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.observability import redact

__all__ = ["BuiltinCheck", "describe_error"]

logger = logging.getLogger("omnimemory_kit.health.checks")


def describe_error(exc: BaseException) -> str:
    """Return ``"<ErrorType>: <message>"`` for an exception, passwords redacted, on one line."""
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


class BuiltinCheck(abc.ABC):
    """Base of the built-in checks: call it to probe once; ``aclose()`` releases what it holds.

    Subclasses implement ``_probe()`` and, when they hold a connection, ``_discard()`` (drop it after a
    failure so the next call reconnects), ``_invalidate()`` (the same without awaiting, after a
    cancellation) and ``aclose()``. When ``_probe()`` sets no observed value, the
    result's observed value is the probe's latency in milliseconds (IETF measurement ``responseTime``).
    """

    kind: ClassVar[str]
    """The ``type`` of this check in a health config file."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._closed = False
        self.calls = 0
        self.failures = 0

    @property
    @abc.abstractmethod
    def target(self) -> str:
        """Return what this check looks at, safe to show (passwords redacted)."""

    @abc.abstractmethod
    async def _probe(self) -> CheckResult:
        """Probe the dependency once; raise on failure."""

    async def _discard(self) -> None:  # noqa: B027 - optional hook, most checks hold nothing
        """Drop a connection that failed, so the next call starts afresh."""

    def _invalidate(self) -> None:  # noqa: B027 - optional hook, most checks hold nothing
        """Drop, without awaiting, a connection whose call was cancelled mid-way."""

    async def __call__(self) -> CheckResult:
        """Probe the dependency once and return the result (unhealthy, not raised, on failure)."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} for {self.target} is closed")
        self.calls += 1
        started = self._clock.monotonic()
        try:
            result = await self._probe()
        except Exception as exc:
            self.failures += 1
            latency_ms = (self._clock.monotonic() - started) * 1000.0
            message = describe_error(exc)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s check of %s failed: %s", self.kind, self.target, message)
            await self._discard()
            return CheckResult.unhealthy(
                message,
                details={"error_type": type(exc).__name__, "latency_ms": round(latency_ms, 3)},
            )
        except BaseException:
            # Cancelled (the manager's timeout) or interrupted mid-probe: the connection's state is
            # unknown, so never reuse it. Nothing here may await: a second cancellation could strike.
            self._invalidate()
            raise
        latency_ms = (self._clock.monotonic() - started) * 1000.0
        update: dict[str, object] = {"details": {**result.details, "latency_ms": round(latency_ms, 3)}}
        if result.observed_value is None:
            update |= {"observed_value": round(latency_ms, 3), "observed_unit": "ms"}
            update["measurement"] = result.measurement or "responseTime"
        if result.message is not None:
            update["message"] = redact(result.message)
        return result.model_copy(update=update)

    async def aclose(self) -> None:
        """Release what the check holds (connections, clients). Idempotent."""
        self._closed = True
        await self._discard()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def _state(self) -> str:
        return "closed" if self._closed else f"calls={self.calls} failures={self.failures}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.target} {self._state()}>"
