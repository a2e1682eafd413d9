"""``health serve``: checks on their own intervals, answered over HTTP from the latest results."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health import HealthCheckConfig, HealthManager, HealthStatus
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.monitor import HealthMonitor
from omnimemory_kit.health.serve import HealthServer
from omnimemory_kit.store import open_store
from tests.servers import RedisServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a loopback port nothing listens on (for a check that must fail)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse an exposition with prometheus_client's parser into {(sample name, labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def settle(clock: FakeClock, timers: int) -> None:
    """Let the loop run until ``timers`` sleeps wait on the fake clock again (every task parked)."""
    for _ in range(1000):
        await asyncio.sleep(0)
        if clock.pending_timers == timers:
            return
    raise AssertionError(f"tasks did not park: {clock!r}")


class Counting:
    """A check that counts its calls and answers with a status it is told."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = HealthStatus.HEALTHY

    def __call__(self) -> HealthStatus:
        self.calls += 1
        return self.status


@pytest.fixture
def checks(manager: HealthManager) -> dict[str, Counting]:
    """Two async-free checks registered on the fake-clock manager: 'fast' and 'slow'."""
    made = {"fast": Counting(), "slow": Counting()}
    for name, check in made.items():

        async def run(check: Counting = check) -> HealthStatus:
            return check()

        manager.register_health_check(HealthCheckConfig(name=name, timeout=1.0), run)
    return made


class TestIntervals:
    async def test_each_check_runs_on_its_own_interval(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """Over 6 s a check every 1 s runs 7 times (at 0..6) and one every 3 s runs 3 times (0, 3, 6)."""
        monitor = HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock)
        monitor.start()
        await settle(clock, 2)
        for _ in range(6):
            clock.advance(1.0)
            await settle(clock, 2)
        await monitor.stop()
        assert (checks["fast"].calls, checks["slow"].calls) == (7, 3)

    async def test_ready_only_once_every_check_has_a_result(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """Before the first runs the monitor is not ready and its response notes which checks wait."""
        monitor = HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock)
        assert not monitor.ready
        assert monitor.response().notes == ("not yet checked: fast, slow",)
        monitor.start()
        await settle(clock, 2)
        await monitor.stop()
        assert monitor.ready
        assert set(monitor.response().dependencies) == {"fast", "slow"}

    def test_interval_for_an_unknown_check_is_refused(
        self, manager: HealthManager, checks: dict[str, Counting]
    ) -> None:
        """An interval naming no registered check is a config error naming it."""
        with pytest.raises(HealthConfigError, match="'nope'"):
            HealthMonitor(manager, {"nope": 1.0})

    def test_non_positive_interval_is_refused(
        self, manager: HealthManager, checks: dict[str, Counting]
    ) -> None:
        """A zero interval is refused naming the check."""
        with pytest.raises(HealthConfigError, match="'fast': interval"):
            HealthMonitor(manager, {"fast": 0})


class TestEndpointsInProcess:
    async def test_scrapes_never_run_checks(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """Twenty scrapes of every endpoint leave the checks' call counts where the schedule put them."""
        server = HealthServer(HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock), port=0)
        await server.start()
        try:
            await settle(clock, 2)
            before = (checks["fast"].calls, checks["slow"].calls)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                for _ in range(20):
                    for path in ("/metrics", "/health", "/livez", "/readyz"):
                        assert (await client.get(path)).status_code == 200
            assert (checks["fast"].calls, checks["slow"].calls) == before == (1, 1)
        finally:
            await server.stop()

    async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """A scrape accepting application/openmetrics-text gets OpenMetrics; others the text format."""
        server = HealthServer(HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock), port=0)
        await server.start()
        try:
            await settle(clock, 2)
            accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                open_text = await client.get("/metrics", headers={"Accept": accept})
                plain = await client.get("/metrics")
        finally:
            await server.stop()
        assert open_text.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
        assert open_text.text.endswith("# EOF\n")
        families = {f.name: f for f in openmetrics_families(open_text.text)}
        up = {s.labels["check"]: s.value for s in families["omnimemory_health_check_up"].samples}
        assert up == {"fast": 1.0, "slow": 1.0}
        assert plain.headers["content-type"].startswith("text/plain")
        assert "# EOF" not in plain.text
        assert samples(plain.text)[("omnimemory_health_check_up", (("check", "fast"),))] == 1.0

    async def test_metrics_follow_a_status_change(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """After a critical check turns unhealthy, /metrics says so and /health answers 503."""
        server = HealthServer(HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock), port=0)
        await server.start()
        try:
            await settle(clock, 2)
            checks["fast"].status = HealthStatus.UNHEALTHY
            clock.advance(1.0)
            await settle(clock, 2)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                metrics = samples((await client.get("/metrics")).text)
                health = await client.get("/health")
        finally:
            await server.stop()
        status = "omnimemory_health_check_status"
        assert metrics[(status, (("check", "fast"), ("status", "unhealthy")))] == 1.0
        assert metrics[(status, (("check", "fast"), ("status", "healthy")))] == 0.0
        assert metrics[("omnimemory_health_check_up", (("check", "slow"),))] == 1.0
        assert (
            metrics[("omnimemory_health_check_runs_total", (("check", "fast"), ("status", "unhealthy")))] == 1
        )
        assert metrics[("omnimemory_health_overall_status", (("status", "unhealthy"),))] == 1.0
        assert health.status_code == 503
        assert health.headers["content-type"].startswith("application/health+json")
        assert health.json()["status"] == "fail"

    async def test_live_but_not_ready_until_the_first_results(
        self, manager: HealthManager, clock: FakeClock
    ) -> None:
        """While a check's first run is still in flight /livez is 200 and /readyz 503; after it, 200."""
        release = asyncio.Event()

        async def blocked() -> bool:
            await release.wait()
            return True

        manager.register_health_check(HealthCheckConfig(name="blocked", timeout=1.0), blocked)
        server = HealthServer(HealthMonitor(manager, clock=clock), port=0)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                assert (await client.get("/livez")).status_code == 200
                assert (await client.get("/readyz")).status_code == 503
                release.set()
                await settle(clock, 1)
                assert (await client.get("/readyz")).status_code == 200
        finally:
            await server.stop()

    async def test_a_port_in_use_is_a_config_error(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """Listening on a port another socket holds fails with one message saying the port is in use."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            server = HealthServer(HealthMonitor(manager, clock=clock), port=port)
            with pytest.raises(HealthConfigError, match=f"127.0.0.1:{port}: the port is in use"):
                await server.start()

    @pytest.mark.parametrize("host", ["", "  "])
    def test_a_blank_host_is_refused_not_read_as_every_interface(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock, host: str
    ) -> None:
        """aiohttp would listen on every interface for an empty host: the server refuses it instead."""
        with pytest.raises(HealthConfigError, match="must be an address"):
            HealthServer(HealthMonitor(manager, clock=clock), host=host, port=0)


class TestMetricsCache:
    async def test_a_render_is_reused_until_it_is_older_than_max_age(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """A new result shows in the exposition only once the last render is max_age old (or at once)."""
        monitor = HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, clock=clock)
        metrics = HealthServer(monitor, port=0).metrics
        await monitor.run_once("fast")
        runs = ("omnimemory_health_check_runs_total", (("check", "fast"), ("status", "healthy")))
        assert samples(metrics.render(max_age=1.0, now=clock.monotonic()).decode())[runs] == 1
        await monitor.run_once("fast")
        clock.advance(0.5)
        assert samples(metrics.render(max_age=1.0, now=clock.monotonic()).decode())[runs] == 1
        assert samples(metrics.render().decode())[runs] == 2  # without max_age: rendered again at once
        await monitor.run_once("fast")
        clock.advance(1.0)
        assert samples(metrics.render(max_age=1.0, now=clock.monotonic()).decode())[runs] == 3


class TestUptimeMetrics:
    async def test_uptime_ratios_come_from_the_history(
        self, manager: HealthManager, checks: dict[str, Counting], clock: FakeClock
    ) -> None:
        """With a history, the exposition carries each check's uptime per window as read from the rollups."""
        store = open_store("sqlite://")
        history = HealthHistory(store, clock=clock, retention=None)
        monitor = HealthMonitor(manager, {"fast": 1.0, "slow": 3.0}, history=history, clock=clock)
        server = HealthServer(monitor, port=0, uptime_interval=3600)
        checks["slow"].status = HealthStatus.UNHEALTHY
        try:
            for _ in range(3):  # three recorded runs of each check, the way the schedule makes them
                await monitor.run_once("fast")
                await monitor.run_once("slow")
            checks["slow"].status = HealthStatus.HEALTHY
            await monitor.run_once("slow")
            await server.refresh_uptime()  # what the server does every uptime_interval while it runs
            metrics = samples(server.metrics.render().decode())
        finally:
            store.close()
        ratio = "omnimemory_health_check_uptime_ratio"
        assert metrics[(ratio, (("check", "fast"), ("window", "24h")))] == 1.0
        assert metrics[(ratio, (("check", "slow"), ("window", "1h")))] == 0.25


def serve_config(tmp_path: Path, redis_url: str, extra: str = "") -> str:
    """Write a config with a Redis check every 0.2 s and a writable-path check; return its path."""
    path = tmp_path / "serve.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            [[check]]
            name = "redis"
            type = "redis"
            url = "{redis_url}"
            interval = 0.2

            [[check]]
            name = "scratch"
            type = "path"
            path = "{tmp_path}"
            interval = 5
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return str(path)


def start_serve(config: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `health serve` as a process on a free port; return it and its base URL once it listens."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "omnimemory_kit", "health", "serve", "--config", config, "--port", "0"]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until it listens
    if not line:
        proc.wait(timeout=10)
        raise AssertionError(f"health serve did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, line.strip().rsplit(" ", 1)[-1]


def wait_ready(client: httpx.Client) -> None:
    """Poll /readyz until every check has a first result (10 s at most)."""
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "never ready"


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM the process; return its exit status and stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


@pytest.mark.slow
class TestServeProcess:
    def test_metrics_health_probes_and_sigterm(self, tmp_path: Path, redis_url: str) -> None:
        """A real `health serve` on loopback serves parseable metrics and 200s, exits 0 on SIGTERM."""
        proc, base = start_serve(serve_config(tmp_path, redis_url))
        try:
            assert base.startswith("http://127.0.0.1:")
            with httpx.Client(base_url=base, timeout=5) as client:
                wait_ready(client)
                metrics = samples(client.get("/metrics").text)
                health = client.get("/health")
                livez = client.get("/livez")
        finally:
            code, err = stop(proc)
        assert code == 0, err
        assert metrics[("omnimemory_health_check_status", (("check", "redis"), ("status", "healthy")))] == 1.0
        assert metrics[("omnimemory_health_check_latency_seconds_count", (("check", "redis"),))] >= 1
        assert (
            metrics[("omnimemory_health_check_last_success_timestamp_seconds", (("check", "scratch"),))] > 0
        )
        assert health.status_code == 200
        assert health.json()["status"] == "pass"
        assert livez.status_code == 200

    def test_unhealthy_critical_check_gives_503(self, tmp_path: Path, redis_url: str) -> None:
        """A critical TCP check to a closed port makes /health answer 503 with status fail."""
        extra = f"""
            [[check]]
            name = "gone"
            type = "tcp"
            host = "127.0.0.1"
            port = {free_port()}
            interval = 0.2
            """
        proc, base = start_serve(serve_config(tmp_path, redis_url, extra))
        try:
            with httpx.Client(base_url=base, timeout=5) as client:
                wait_ready(client)
                health = client.get("/health")
                metrics = samples(client.get("/metrics").text)
        finally:
            code, _ = stop(proc)
        assert code == 0
        assert health.status_code == 503
        assert health.json()["status"] == "fail"
        assert metrics[("omnimemory_health_check_up", (("check", "gone"),))] == 0.0

    def test_push_and_webhook_are_wired_through_the_config(self, tmp_path: Path) -> None:
        """A served push check takes a heartbeat (with its token), then misses the next: one down alert."""
        received: list[dict[str, object]] = []
        arrived = threading.Event()

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()
                arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        token = "push-token-for-the-test"
        config = tmp_path / "push.toml"
        config.write_text(
            f'store = "sqlite:///{tmp_path}/h.db"\n'
            f'[[check]]\nname = "nightly"\ntype = "push"\ninterval = 1\ntoken = "{token}"\n'
            f'[[webhook]]\nname = "ops"\nurl = "http://127.0.0.1:{receiver.server_address[1]}/"\n'
        )
        proc, base = start_serve(str(config))
        try:
            with httpx.Client(base_url=base, timeout=5) as client:
                refused = client.post("/push/nightly", headers={"Authorization": "Bearer not-the-token"})
                accepted = client.post("/push/nightly", headers={"Authorization": f"Bearer {token}"})
                healthy = client.get("/health").status_code
                assert arrived.wait(timeout=15), "no alert arrived"
                after = client.get("/health").status_code
        finally:
            code, err = stop(proc)
            receiver.shutdown()
            receiver.server_close()
        assert code == 0, err
        assert (refused.status_code, accepted.status_code, healthy, after) == (401, 204, 200, 503)
        assert [(alert["kind"], alert["check"]) for alert in received] == [("down", "nightly")]
        with open_store(f"sqlite:///{tmp_path}/h.db", create=False) as store:
            assert [a.outcome for a in store.health_alerts()] == ["sent"]
            assert store.last_heartbeat("nightly") is not None

    def test_redis_outage_through_serve_is_one_incident_and_two_alerts(self, tmp_path: Path) -> None:
        """A real redis-server stopped and restarted under a real `health serve`: one down and one
        resolved alert at the loopback receiver, and `health incidents` finds one incident between them."""
        received: list[dict[str, object]] = []
        arrived = threading.Condition()

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.end_headers()
                with arrived:
                    received.append(body)
                    arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        def wait_for(count: int) -> None:
            with arrived:
                assert arrived.wait_for(lambda: len(received) >= count, timeout=20), received

        redis = RedisServer(tmp_path)
        redis.start()
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        url = f"sqlite:///{tmp_path}/h.db"
        config = tmp_path / "outage.toml"
        config.write_text(
            f'store = "{url}"\n'
            f'[[check]]\nname = "redis"\ntype = "redis"\nurl = "redis://127.0.0.1:{redis.port}/0"\n'
            "interval = 0.1\ntimeout = 0.5\n"
            f'[[webhook]]\nname = "ops"\nurl = "http://127.0.0.1:{receiver.server_address[1]}/"\n'
        )
        proc, base = start_serve(str(config))
        try:
            with httpx.Client(base_url=base, timeout=5) as client:
                wait_ready(client)
                assert client.get("/health").status_code == 200
                redis.stop()
                wait_for(1)
                down = client.get("/health").status_code
                redis.start()
                wait_for(2)
        finally:
            code, err = stop(proc)
            redis.stop()
            receiver.shutdown()
            receiver.server_close()
        assert code == 0, err
        assert down == 503
        assert [(alert["kind"], alert["check"]) for alert in received] == [
            ("down", "redis"),
            ("resolved", "redis"),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "omnimemory_kit", "health", "incidents", "--store", url, "--json"]
        listed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
        assert listed.returncode == 0, listed.stderr
        (incident,) = [found for found in json.loads(listed.stdout) if found["name"] == "redis"]
        assert incident["worst_status"] == "unhealthy"
        assert (incident["start"], incident["end"]) == (received[0]["at"], received[1]["at"])
        with open_store(url, create=False) as store:
            assert [(a.kind, a.outcome) for a in store.health_alerts()] == [
                ("down", "sent"),
                ("resolved", "sent"),
            ]

    def test_port_in_use_exits_2_with_one_line(self, tmp_path: Path, redis_url: str) -> None:
        """Serving on a port another socket holds exits 2 with one line naming the address."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            command = [sys.executable, "-m", "omnimemory_kit", "health", "serve"]
            command += ["--config", serve_config(tmp_path, redis_url), "--port", str(port)]
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: cannot listen on 127.0.0.1:{port}: the port is in use"
        ]

    def test_bad_interval_exits_2_naming_the_check(self, tmp_path: Path, redis_url: str) -> None:
        """An interval of 0 is refused before anything starts: exit 2, one line naming check and field."""
        config = tmp_path / "bad.toml"
        config.write_text(
            '[[check]]\nname = "r"\ntype = "redis"\nurl = "redis://127.0.0.1:1/0"\ninterval = 0\n'
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "omnimemory_kit", "health", "serve", "--config", str(config)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "check 'r': interval:" in lines[0]
