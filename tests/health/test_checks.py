"""Built-in health checks against the real PostgreSQL, Redis, a local HTTP server and the filesystem."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import pytest
import redis.asyncio
from psycopg_pool import AsyncConnectionPool

from omnimemory_kit.errors import ConfigError, HealthConfigError
from omnimemory_kit.health.checks import (
    DiskSpaceCheck,
    HttpCheck,
    PostgresCheck,
    RedisCheck,
    StoreCheck,
    TcpCheck,
    WritablePathCheck,
)
from omnimemory_kit.health.models import HealthStatus
from omnimemory_kit.store import open_store

SECRET = "hunter2-s3cret"


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound, noted, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_password(
    url: str, password: str = SECRET, *, port: int | None = None, path: str | None = None
) -> str:
    """Return ``url`` with a password (and optionally another port or path) put in."""
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}:{port if port is not None else parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path=path if path is not None else parts.path))


def app_name() -> str:
    """Return a unique application / client name so a test can find its own connections."""
    return f"omk_checks_{uuid.uuid4().hex[:10]}"


def add_query(url: str, query: str) -> str:
    """Append a query parameter to a URL."""
    return url + ("&" if "?" in url else "?") + query


# --------------------------------------------------------------------------------------------------------
# PostgreSQL


class TestPostgresCheck:
    async def test_select_1_is_healthy_with_latency(self, pg_dsn: str) -> None:
        """Against the real server the check is healthy and observes its latency in ms."""
        async with PostgresCheck(pg_dsn) as check:
            result = await check()
        assert result.status is HealthStatus.HEALTHY
        assert result.observed_unit == "ms"
        assert result.observed_value is not None
        assert result.observed_value >= 0
        assert result.measurement == "responseTime"
        assert result.details["server_version"] > 90000

    async def test_reuses_one_connection(self, pg_dsn: str) -> None:
        """Several calls go over one server connection, not a new one each time."""
        name = app_name()
        async with PostgresCheck(add_query(pg_dsn, f"application_name={name}")) as check:
            for _ in range(5):
                assert (await check()).status is HealthStatus.HEALTHY
            async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
                cur = await admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
                )
                row = await cur.fetchone()
            assert row is not None
            assert row[0] == 1
            assert check.connects == 1
            assert "connected connects=1 calls=5 failures=0" in repr(check)

    async def test_reconnects_after_the_connection_dies(self, pg_dsn: str) -> None:
        """A connection killed server-side fails one call; the next call reconnects and is healthy."""
        name = app_name()
        async with PostgresCheck(add_query(pg_dsn, f"application_name={name}")) as check:
            assert (await check()).status is HealthStatus.HEALTHY
            async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                    (name,),
                )
            failed = await check()
            assert failed.status is HealthStatus.UNHEALTHY
            assert failed.details["error_type"] in ("OperationalError", "AdminShutdown")
            recovered = await check()
            assert recovered.status is HealthStatus.HEALTHY
            assert check.connects == 2

    async def test_closed_port_is_unhealthy_and_redacted(self, pg_dsn: str) -> None:
        """A refused connection is an unhealthy result naming the error, never showing the password."""
        dsn = with_password(pg_dsn, port=closed_port())
        async with PostgresCheck(dsn, connect_timeout=2) as check:
            result = await check()
            assert result.status is HealthStatus.UNHEALTHY
            assert result.details["error_type"] == "OperationalError"
            assert "refused" in (result.message or "").lower()
            assert SECRET not in (result.message or "")
            assert SECRET not in repr(check)
            assert "***" in check.target

    async def test_missing_database_is_unhealthy_and_redacted(self, pg_dsn: str) -> None:
        """A database that does not exist is reported by name, with the password hidden."""
        dsn = with_password(pg_dsn, path=f"/no_such_db_{uuid.uuid4().hex[:8]}")
        async with PostgresCheck(dsn) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert "does not exist" in (result.message or "")
        assert SECRET not in (result.message or "")

    async def test_unknown_role_is_unhealthy_and_redacted(self, pg_dsn: str) -> None:
        """Credentials the server refuses are reported without the password."""
        parts = urlsplit(pg_dsn)
        dsn = urlunsplit(
            parts._replace(netloc=f"nobody_{uuid.uuid4().hex[:6]}:{SECRET}@{parts.netloc.split('@')[-1]}")
        )
        async with PostgresCheck(dsn) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert "nobody_" in (result.message or "")
        assert SECRET not in (result.message or "")

    @pytest.mark.parametrize(
        "dsn", [f"host=127.0.0.1 password={SECRET} dbname", f"postgresql://u:{SECRET}@h:notaport/db", ""]
    )
    def test_malformed_dsn_is_a_config_error_without_secret(self, dsn: str) -> None:
        """A DSN psycopg cannot parse is refused at construction, naming the field, not echoing it."""
        with pytest.raises(HealthConfigError, match="dsn") as info:
            PostgresCheck(dsn)
        assert SECRET not in str(info.value)

    async def test_cancellation_drops_the_connection(self, pg_dsn: str) -> None:
        """A call cancelled mid-query (the manager's timeout) never leaves the connection for reuse."""
        name = app_name()
        check = PostgresCheck(add_query(pg_dsn, f"application_name={name}"), query="SELECT pg_sleep(2)")
        task = asyncio.create_task(check())
        async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
            active = 0
            while not active:  # wait (on the server, not a timer) until the query runs
                cur = await admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'active'",
                    (name,),
                )
                row = await cur.fetchone()
                active = row[0] if row else 0
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert "disconnected" in repr(check)
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
            )
        await check.aclose()

    async def test_borrows_from_a_pool_and_leaves_it_open(self, pg_dsn: str) -> None:
        """Given a pool, the check borrows a connection per call and does not close the pool."""
        pool = AsyncConnectionPool(pg_dsn, min_size=1, max_size=1, open=False)
        await pool.open()
        try:
            check = PostgresCheck(pool=pool)
            assert (await check()).status is HealthStatus.HEALTHY
            assert (await check()).status is HealthStatus.HEALTHY
            await check.aclose()
            assert not pool.closed
            assert pool.get_stats()["connections_num"] == 1
        finally:
            await pool.close()

    async def test_closed_check_refuses_calls(self, pg_dsn: str) -> None:
        """After aclose() a call is a programming error, not a silent reconnect."""
        check = PostgresCheck(pg_dsn)
        await check()
        await check.aclose()
        assert "closed" in repr(check)
        with pytest.raises(RuntimeError, match="closed"):
            await check()


# --------------------------------------------------------------------------------------------------------
# Redis


class TestRedisCheck:
    async def test_ping_is_healthy_and_reuses_one_connection(self, redis_url: str) -> None:
        """PING against the real server is healthy, and repeated calls share one connection."""
        name = app_name()
        async with RedisCheck(add_query(redis_url, f"client_name={name}")) as check:
            results = [await check() for _ in range(5)]
            admin = redis.asyncio.Redis.from_url(redis_url)
            try:
                clients = await admin.client_list()
            finally:
                await admin.aclose()
        assert {r.status for r in results} == {HealthStatus.HEALTHY}
        assert results[0].observed_unit == "ms"
        assert sum(1 for c in clients if c.get("name") == name) == 1

    async def test_closed_port_is_unhealthy_and_redacted(self) -> None:
        """A refused connection is unhealthy with the error type, the password hidden everywhere."""
        url = f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"
        async with RedisCheck(url, timeout=2) as check:
            result = await check()
            assert result.status is HealthStatus.UNHEALTHY
            assert result.details["error_type"] == "ConnectionError"
            assert SECRET not in (result.message or "")
            assert SECRET not in repr(check)

    async def test_wrong_password_is_unhealthy_and_redacted(self, redis_url: str) -> None:
        """Credentials the server refuses make the check unhealthy without showing the password."""
        parts = urlsplit(redis_url)
        url = urlunsplit(parts._replace(netloc=f"nobody_{uuid.uuid4().hex[:6]}:{SECRET}@{parts.netloc}"))
        async with RedisCheck(url) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert SECRET not in (result.message or "")

    async def test_recovers_after_connections_are_killed(self, redis_url: str) -> None:
        """After the server drops the check's connection, a later call is healthy again."""
        name = app_name()
        async with RedisCheck(add_query(redis_url, f"client_name={name}")) as check:
            assert (await check()).status is HealthStatus.HEALTHY
            admin = redis.asyncio.Redis.from_url(redis_url)
            try:
                await admin.execute_command(
                    "CLIENT", "KILL", "SKIPME", "yes", "ID", await self._id(admin, name)
                )
            finally:
                await admin.aclose()
            statuses = [(await check()).status for _ in range(2)]
        assert statuses[-1] is HealthStatus.HEALTHY

    @staticmethod
    async def _id(admin: redis.asyncio.Redis, name: str) -> str:
        clients = await admin.client_list()
        return str(next(c["id"] for c in clients if c.get("name") == name))

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:6379", f"redis://:{SECRET}@127.0.0.1:badport/0", "redis:///0", ""]
    )
    def test_bad_url_is_a_config_error_without_secret(self, url: str) -> None:
        """A URL that is not a Redis URL is refused at construction, naming the field."""
        with pytest.raises(HealthConfigError, match="url") as info:
            RedisCheck(url)
        assert SECRET not in str(info.value)


# --------------------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so client connection reuse is visible
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {
        "/ok": (200, "application/json", json.dumps({"status": "ok", "db": {"state": "up"}}).encode()),
        "/down": (503, "application/json", json.dumps({"status": "down"}).encode()),
        "/wrong": (200, "application/json", json.dumps({"status": "down"}).encode()),
        "/text": (200, "text/plain", b"hello"),
    }
    seen_ports: list[int]
    seen_headers: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen_ports.append(self.client_address[1])
        self.seen_headers.append(dict(self.headers))
        status, ctype, body = self.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def _http_server_module() -> Iterator[tuple[str, type[_Handler]]]:
    """A real HTTP/1.1 server on 127.0.0.1 in a thread, shared by the module's tests."""
    handler = type("Handler", (_Handler,), {"seen_ports": [], "seen_headers": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_server(_http_server_module: tuple[str, type[_Handler]]) -> tuple[str, type[_Handler]]:
    """The shared local HTTP server's base URL and handler class, with the request log cleared."""
    _http_server_module[1].seen_ports.clear()
    _http_server_module[1].seen_headers.clear()
    return _http_server_module


class TestHttpCheck:
    async def test_ok_status_is_healthy_over_one_connection(
        self, http_server: tuple[str, type[_Handler]]
    ) -> None:
        """A 200 answer is healthy, and three calls reuse one keep-alive connection."""
        base, handler = http_server
        async with HttpCheck(f"{base}/ok") as check:
            results = [await check() for _ in range(3)]
        assert {r.status for r in results} == {HealthStatus.HEALTHY}
        assert results[0].details["status_code"] == 200
        assert len(set(handler.seen_ports)) == 1

    async def test_unexpected_status_is_unhealthy(self, http_server: tuple[str, type[_Handler]]) -> None:
        """A status outside the expected set is unhealthy, naming both."""
        base, _ = http_server
        async with HttpCheck(f"{base}/down") as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert result.message == "HTTP 503 Service Unavailable (expected 2xx)"

    async def test_expected_status_can_be_configured(self, http_server: tuple[str, type[_Handler]]) -> None:
        """A status listed in expect_status is healthy even when it is not 2xx."""
        base, _ = http_server
        async with HttpCheck(f"{base}/down", expect_status=[503]) as check:
            assert (await check()).status is HealthStatus.HEALTHY

    async def test_json_field_matches(self, http_server: tuple[str, type[_Handler]]) -> None:
        """A JSON field with the expected value, also at a dotted path, is healthy and recorded."""
        base, _ = http_server
        async with (
            HttpCheck(f"{base}/ok", json_field="status", expected="ok") as flat,
            HttpCheck(f"{base}/ok", json_field="db.state", expected="up") as nested,
        ):
            result = await flat()
            assert result.status is HealthStatus.HEALTHY
            assert result.details["json_value"] == "ok"
            assert (await nested()).status is HealthStatus.HEALTHY

    @pytest.mark.parametrize(
        ("path", "field", "expected", "message"),
        [
            ("/wrong", "status", "ok", "JSON field 'status' is 'down', expected 'ok'"),
            ("/ok", "health", None, "JSON field 'health' is missing"),
            ("/text", "status", "ok", "HTTP 200 but the body is not JSON (looking for 'status')"),
        ],
    )
    async def test_json_field_mismatch_is_unhealthy(
        self,
        http_server: tuple[str, type[_Handler]],
        path: str,
        field: str,
        expected: str | None,
        message: str,
    ) -> None:
        """A wrong, missing or unparsable JSON field makes the check unhealthy and says why."""
        base, _ = http_server
        async with HttpCheck(f"{base}{path}", json_field=field, expected=expected) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert result.message == message

    async def test_headers_are_sent_but_never_shown(self, http_server: tuple[str, type[_Handler]]) -> None:
        """An API key header reaches the server and appears in no message or repr."""
        base, handler = http_server
        async with HttpCheck(f"{base}/ok", headers={"Api-Key": SECRET}) as check:
            result = await check()
            assert SECRET not in repr(check)
        assert handler.seen_headers[0]["Api-Key"] == SECRET
        assert SECRET not in (result.message or "")

    async def test_closed_port_is_unhealthy_and_redacted(self) -> None:
        """Nothing listening is a ConnectError result; credentials in the URL stay hidden."""
        url = f"http://user:{SECRET}@127.0.0.1:{closed_port()}/health"
        async with HttpCheck(url, timeout=2) as check:
            result = await check()
            assert result.status is HealthStatus.UNHEALTHY
            assert result.details["error_type"] == "ConnectError"
            assert SECRET not in repr(check)
            assert SECRET not in (result.message or "")

    @pytest.mark.parametrize(
        "url", ["ftp://127.0.0.1/x", "http://", f"https://u:{SECRET}@h:99999/", "nohost"]
    )
    def test_bad_url_is_a_config_error(self, url: str) -> None:
        """A URL that is not absolute http(s) with a host is refused at construction without secrets."""
        with pytest.raises(HealthConfigError, match="url") as info:
            HttpCheck(url)
        assert SECRET not in str(info.value)

    def test_expected_needs_a_field_and_statuses_are_checked(self) -> None:
        """``expected`` without ``json_field`` and impossible status codes are refused."""
        with pytest.raises(HealthConfigError, match="json_field"):
            HttpCheck("http://127.0.0.1/x", expected="ok")
        with pytest.raises(HealthConfigError, match="expect_status"):
            HttpCheck("http://127.0.0.1/x", expect_status=[200, 700])


# --------------------------------------------------------------------------------------------------------
# TCP


class TestTcpCheck:
    async def test_open_port_is_healthy(self, pg_dsn: str) -> None:
        """Connecting to the PostgreSQL port is healthy with the connect latency observed."""
        parts = urlsplit(pg_dsn)
        async with TcpCheck(parts.hostname or "127.0.0.1", parts.port or 5432) as check:
            result = await check()
        assert result.status is HealthStatus.HEALTHY
        assert result.observed_unit == "ms"

    async def test_closed_port_is_unhealthy(self) -> None:
        """A refused connection is unhealthy with the OS error."""
        port = closed_port()
        async with TcpCheck("127.0.0.1", port) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert result.details["error_type"] == "ConnectionRefusedError"
        assert str(port) in (result.message or "")

    @pytest.mark.parametrize(("host", "port"), [("", 80), ("h", 0), ("h", 65536), ("h", True)])
    def test_bad_host_or_port_is_refused(self, host: str, port: int) -> None:
        """An empty host or a port outside 1-65535 is a config error naming the field."""
        with pytest.raises(HealthConfigError, match=r"host|port"):
            TcpCheck(host, port)


# --------------------------------------------------------------------------------------------------------
# Disk and path


class TestDiskSpaceCheck:
    def free_pct(self, path: Path) -> float:
        """Return the free percentage the check should see right now."""
        return 100.0 - psutil.disk_usage(str(path)).percent

    async def test_plenty_of_space_is_healthy(self, tmp_path: Path) -> None:
        """Free space above both thresholds is healthy, observed as a percentage."""
        async with DiskSpaceCheck(tmp_path, warn_free_pct=0, fail_free_pct=0) as check:
            result = await check()
        assert result.status is HealthStatus.HEALTHY
        assert result.observed_unit == "percent"
        assert result.details["total_bytes"] == psutil.disk_usage(str(tmp_path)).total

    async def test_utilization_is_the_share_in_use(self, tmp_path: Path) -> None:
        """The observed utilization is the used share (IETF), the same number as the host disk metric."""
        async with DiskSpaceCheck(tmp_path, warn_free_pct=0, fail_free_pct=0) as check:
            result = await check()
        used = psutil.disk_usage(str(tmp_path)).percent
        assert result.measurement == "utilization"
        assert result.observed_value == pytest.approx(used, abs=1.0)
        assert result.details["used_pct"] == result.observed_value
        assert result.details["free_pct"] == pytest.approx(100.0 - result.observed_value)

    async def test_below_warn_is_degraded(self, tmp_path: Path) -> None:
        """Free space under the warning level but over the minimum is degraded."""
        warn = min(100.0, self.free_pct(tmp_path) + 5)
        async with DiskSpaceCheck(tmp_path, warn_free_pct=warn, fail_free_pct=0) as check:
            result = await check()
        assert result.status is HealthStatus.DEGRADED
        assert "warning level" in (result.message or "")

    async def test_below_fail_is_unhealthy(self, tmp_path: Path) -> None:
        """Free space under the minimum is unhealthy."""
        fail = min(100.0, self.free_pct(tmp_path) + 5)
        async with DiskSpaceCheck(tmp_path, warn_free_pct=100, fail_free_pct=fail) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert "minimum" in (result.message or "")

    async def test_missing_path_is_unhealthy(self, tmp_path: Path) -> None:
        """A path that does not exist is an unhealthy result, not an exception."""
        async with DiskSpaceCheck(tmp_path / "gone") as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert result.details["error_type"] == "FileNotFoundError"

    @pytest.mark.parametrize(("warn", "fail"), [(10, 20), (-1, 0), (50, 101)])
    def test_bad_thresholds_are_refused(self, warn: float, fail: float) -> None:
        """Thresholds outside 0-100 or a minimum above the warning level are config errors."""
        with pytest.raises(HealthConfigError, match="free_pct"):
            DiskSpaceCheck("/", warn_free_pct=warn, fail_free_pct=fail)


class TestWritablePathCheck:
    async def test_writable_directory_is_healthy_and_left_clean(self, tmp_path: Path) -> None:
        """A writable directory is healthy, and the probe file is gone afterwards."""
        async with WritablePathCheck(tmp_path, fsync=True) as check:
            result = await check()
        assert result.status is HealthStatus.HEALTHY
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("kind", ["missing", "file"])
    async def test_missing_or_file_is_unhealthy(self, tmp_path: Path, kind: str) -> None:
        """A missing directory, or a file where a directory should be, is unhealthy and says which."""
        target = tmp_path / "x"
        if kind == "file":
            target.write_text("not a directory")
        async with WritablePathCheck(target) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert ("does not exist" if kind == "missing" else "is not a directory") in (result.message or "")


# --------------------------------------------------------------------------------------------------------
# The kit's own store


class TestStoreCheck:
    async def test_existing_store_is_healthy_and_opened_once(self, tmp_path: Path) -> None:
        """A store that exists is healthy, and repeated calls reuse the opened store."""
        path = tmp_path / "kit.db"
        open_store(f"sqlite:///{path}").close()
        async with StoreCheck(f"sqlite:///{path}") as check:
            assert (await check()).status is HealthStatus.HEALTHY
            first = check._store
            assert (await check()).status is HealthStatus.HEALTHY
            assert check._store is first
        assert check._store is None

    async def test_missing_store_is_unhealthy_and_not_created(self, tmp_path: Path) -> None:
        """A store that does not exist is unhealthy, and the check does not create it."""
        path = tmp_path / "absent.db"
        async with StoreCheck(str(path)) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert not path.exists()

    async def test_not_a_store_is_unhealthy(self, tmp_path: Path) -> None:
        """A file that is not a kit store is reported unhealthy with the store's error type."""
        path = tmp_path / "junk.db"
        path.write_bytes(os.urandom(4096))
        async with StoreCheck(str(path)) as check:
            result = await check()
        assert result.status is HealthStatus.UNHEALTHY
        assert str(result.details["error_type"]).startswith("Store")

    def test_malformed_url_is_a_config_error(self) -> None:
        """A malformed store URL is refused at construction."""
        with pytest.raises(ConfigError, match="store URL"):
            StoreCheck("sqlite://host/x.db")
