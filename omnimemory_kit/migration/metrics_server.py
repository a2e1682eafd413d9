"""The ``/metrics`` endpoint of a migration worker: ``prometheus_client``'s own HTTP server, on a thread.

Bound to 127.0.0.1 unless told otherwise, so a worker never exposes its numbers wider by accident. The
server only renders what ``RunMetrics`` cached; a scrape never reaches the store.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from omnimemory_kit.errors import ConfigError

if TYPE_CHECKING:  # prometheus_client is imported when a server starts, not by every command's import
    from prometheus_client import CollectorRegistry

__all__ = ["DEFAULT_METRICS_HOST", "MetricsServer"]

DEFAULT_METRICS_HOST = "127.0.0.1"


class MetricsServer:
    """Serve ``registry`` at ``http://host:port/metrics`` while open (port 0 picks a free port).

    Raises:
        ConfigError: the port is out of range, or the address cannot be listened on (in use, unknown
            host): ``field`` names the option in the message.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        port: int,
        host: str = DEFAULT_METRICS_HOST,
        *,
        field: str = "metrics port",
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"{field} must be a port number from 0 to 65535, not {port!r}")
        from prometheus_client import start_http_server

        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"{field} {port}: cannot listen on {host}:{port} ({reason})") from exc
        self.host = host
        self.port: int = self._server.server_address[1]

    @property
    def url(self) -> str:
        """Return the endpoint's URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MetricsServer {self.url}>"
