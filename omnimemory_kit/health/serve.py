"""``health serve``: the checks on their intervals in the background, answered over HTTP by aiohttp.

Endpoints (every one answers from the latest results; none runs a check):

- ``GET /metrics``: the Prometheus text exposition (``health.metrics``);
- ``GET /health``: the IETF ``application/health+json`` document, 200, or 503 when unhealthy;
- ``GET /livez``: 200 while the server's event loop answers;
- ``GET /readyz``: 200 once every check has a first result, 503 before that and while shutting down;
- ``POST /push/<name>``: a heartbeat for push check ``name``, with ``Authorization: Bearer <token>``
  (the check's token from the config): 204; 401 without the right token, 404 for no such push check.
  The heartbeat is noted in the check, written to the history's store, and the check runs at once.

The server listens on 127.0.0.1 unless told otherwise. ``serve_forever`` stops cleanly on SIGTERM or
SIGINT: it stops accepting requests, cancels the checks' tasks and returns; the caller closes the checks
and the store.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks.push import MESSAGE_LIMIT, PushCheck, send_heartbeat
from omnimemory_kit.health.ietf import MEDIA_TYPE
from omnimemory_kit.health.metrics import (
    CONTENT_TYPE,
    OPENMETRICS_CONTENT_TYPE,
    HealthMetrics,
    wants_openmetrics,
)
from omnimemory_kit.health.monitor import HealthMonitor
from omnimemory_kit.health.uptime import uptime_table

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "HealthServer"]

logger = logging.getLogger("omnimemory_kit.health")

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 9108

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HealthServer:
    """Serve a running ``HealthMonitor`` over HTTP.

    Args:
        monitor: the checks and their latest results.
        host: the address to listen on (loopback by default).
        port: the TCP port (0 picks a free one; ``port`` tells which after ``start``).
        uptime_interval: seconds between two readings of the uptime ratios from the monitor's history
            (rollups) into ``/metrics``; nothing is read without a history.
        push_tokens: the token of each push check, by name (``POST /push/<name>``).
        metrics_max_age: seconds a rendered ``/metrics`` text may be served after a newer result (Prometheus
            scrapes every 15 s or so; rendering on every result would cost each scrape milliseconds).
    """

    def __init__(
        self,
        monitor: HealthMonitor,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        uptime_interval: float = 60.0,
        push_tokens: Mapping[str, str] | None = None,
        metrics_max_age: float = 1.0,
    ) -> None:
        self.monitor = monitor
        self.metrics_max_age = metrics_max_age
        self._push_tokens = {name: token.encode() for name, token in (push_tokens or {}).items()}
        for name in self._push_tokens:
            if not isinstance(monitor.manager.check_function(name), PushCheck):
                raise HealthConfigError(f"check {name!r} is not a push check")
        self.uptime_interval = uptime_interval
        self._uptime_task: asyncio.Task[None] | None = None
        if not isinstance(host, str) or not host.strip():
            # aiohttp reads an empty host as every interface: never open that up by accident
            raise HealthConfigError(
                "the host to listen on must be an address (127.0.0.1, or 0.0.0.0 for every interface)"
            )
        self.host = host
        self.port = port
        self.metrics = HealthMetrics(list(monitor.intervals))
        monitor.add_listener(self.metrics.observe)
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._routes: list[tuple[str, str, Handler]] = [
            ("GET", "/metrics", self._metrics),
            ("GET", "/health", self._health),
            ("GET", "/livez", self._livez),
            ("GET", "/readyz", self._readyz),
            ("POST", "/push/{name}", self._push),
        ]

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Add an endpoint before ``start`` (the push heartbeats use it)."""
        self._routes.append((method, path, handler))

    def app(self) -> web.Application:
        """Return the aiohttp application with the endpoints."""
        app = web.Application()
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        return app

    async def start(self) -> None:
        """Listen, then start the checks.

        Raises:
            HealthConfigError: the address cannot be listened on (a port in use, an unknown host).
        """
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise HealthConfigError(f"cannot listen on {self.host}:{self.port}: {reason}") from None
        self._runner = runner
        if runner.addresses:
            self.port = int(runner.addresses[0][1])
        self.monitor.start()
        if self.monitor.history is not None:
            self._uptime_task = asyncio.get_running_loop().create_task(self._uptime_loop(), name="uptime")
        logger.info("health server listening on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Report not ready, stop the checks, stop listening. Idempotent."""
        self._stopping = True
        task, self._uptime_task = self._uptime_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.monitor.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def serve_forever(self, *, on_ready: Callable[[], None] | None = None) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop cleanly.

        Args:
            on_ready: called once listening (to print the address).
        """
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            if on_ready is not None:
                on_ready()
            await stop.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self.stop()

    async def refresh_uptime(self) -> None:
        """Read every check's uptime per window from the history's rollups into ``/metrics`` once."""
        history = self.monitor.history
        if history is None:
            return
        names = list(self.monitor.intervals)
        rows = await asyncio.to_thread(uptime_table, history.store, self.monitor.clock.time(), names=names)
        self.metrics.set_uptime({(row.name, row.window): row.uptime for row in rows})

    async def _uptime_loop(self) -> None:
        while True:
            try:
                await self.refresh_uptime()
            except Exception:  # a store hiccup leaves the last ratios in place
                logger.exception("could not read uptime from the health history")
            await self.monitor.clock.sleep(self.uptime_interval)

    # --- endpoints -----------------------------------------------------------------------------------

    async def _metrics(self, request: web.Request) -> web.Response:
        openmetrics = wants_openmetrics(request.headers.get("Accept"))
        text = self.metrics.render(
            max_age=self.metrics_max_age, now=self.monitor.clock.monotonic(), openmetrics=openmetrics
        )
        kind = OPENMETRICS_CONTENT_TYPE if openmetrics else CONTENT_TYPE
        return web.Response(body=text, headers={"Content-Type": kind})

    async def _health(self, request: web.Request) -> web.Response:
        response = self.monitor.response()
        return web.Response(
            text=response.to_json(),
            status=response.http_status_code,
            headers={"Content-Type": MEDIA_TYPE, "Cache-Control": "no-store"},
        )

    async def _livez(self, request: web.Request) -> web.Response:
        return _plain(200, "ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self._stopping:
            return _plain(503, "shutting down")
        if not self.monitor.ready:
            return _plain(503, "waiting for the first result of every check")
        return _plain(200, "ok")

    async def _push(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        token = self._push_tokens.get(name)
        if token is None:
            return _plain(404, f"no push check named {name!r}")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            return _plain(401, "a valid token is needed: Authorization: Bearer <token>")
        check = self.monitor.manager.check_function(name)
        assert isinstance(check, PushCheck)
        message = None
        if request.can_read_body:
            text = (await request.text())[:MESSAGE_LIMIT]
            message = text.strip() or None
        now = self.monitor.clock.time()
        check.beat(now)
        history = self.monitor.history
        if history is not None:
            try:
                await asyncio.to_thread(send_heartbeat, history.store, name, message=message, at=now)
            except Exception:  # the heartbeat still counts in memory; the store's trouble is logged
                logger.exception("could not record the heartbeat of %r", name)
        await self.monitor.run_once(name)
        return web.Response(status=204)

    def __repr__(self) -> str:
        state = "listening" if self._runner is not None else "stopped"
        return f"<HealthServer http://{self.host}:{self.port} {state}>"


def _plain(status: int, text: str) -> web.Response:
    return web.Response(text=text + "\n", status=status, content_type="text/plain")


def json_response(status: int, document: object) -> web.Response:
    """Return a JSON response (for endpoints added with ``add_route``)."""
    return web.Response(text=json.dumps(document), status=status, content_type="application/json")
