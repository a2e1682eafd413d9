"""TCP: can a connection to ``host:port`` be opened (and is it quick)?"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult

__all__ = ["TcpCheck"]


class TcpCheck(BuiltinCheck):
    """Open a TCP connection to ``host:port`` and close it at once.

    Observed value: the connect latency in ms.

    Raises:
        HealthConfigError: the host is empty or the port is not 1-65535.
    """

    kind: ClassVar[str] = "tcp"

    def __init__(self, host: str, port: int, *, timeout: float = 5.0, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(clock=clock)
        if not isinstance(host, str) or not host.strip():
            raise HealthConfigError("host: a host name or address is required")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise HealthConfigError(f"port: must be an integer from 1 to 65535, not {port!r}")
        if timeout <= 0:
            raise HealthConfigError(f"timeout must be > 0 seconds, not {timeout!r}")
        self._host = host
        self._port = port
        self._timeout = timeout

    @property
    def target(self) -> str:
        """Return ``host:port``."""
        return f"{self._host}:{self._port}"

    async def _probe(self) -> CheckResult:
        try:
            async with asyncio.timeout(self._timeout):
                _, writer = await asyncio.open_connection(self._host, self._port)
        except TimeoutError:
            raise TimeoutError(f"no connection to {self.target} within {self._timeout:g}s") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return CheckResult.healthy(f"connected to {self.target}")
