"""Alerts: down, resolved and reminders to webhooks, with retries, timeouts, maintenance, and history."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from omnimemory_kit.clock import SYSTEM_CLOCK, FakeClock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health import (
    ComponentType,
    DependencyHealth,
    DependencyType,
    ErrorInfo,
    HealthCheckConfig,
    HealthManager,
    HealthStatus,
)
from omnimemory_kit.health.alerts import Alert, Alerter, Webhook, alert_payload, slack_text
from omnimemory_kit.health.checks import RedisCheck
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.incidents import incidents_from_history
from omnimemory_kit.health.maintenance import MaintenanceSchedule, MaintenanceWindow
from omnimemory_kit.health.monitor import HealthMonitor
from omnimemory_kit.store import open_store
from tests.servers import RedisServer

T0 = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)


class Receiver:
    """A loopback HTTP server recording the JSON posted to it; it can fail, refuse or hang on demand."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.answers: list[int] = []  # statuses to answer with first (then 200)
        self.hang = False
        self.arrived = asyncio.Event()
        self.attempts = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """Record one post, answer as told."""
        self.attempts += 1
        if self.hang:
            await asyncio.Event().wait()  # never answers; the client's timeout ends it
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.posts.append(await request.json())
            self.arrived.set()
        return web.Response(status=status)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` posts arrived."""
        async with asyncio.timeout(timeout):
            while len(self.posts) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running loopback webhook receiver."""
    made = Receiver()
    await made.start()
    yield made
    await made.stop()


def result(
    status: HealthStatus, minute: float, error: str | None = None, name: str = "db"
) -> DependencyHealth:
    """A reported check result taken ``minute`` minutes after T0."""
    return DependencyHealth(
        name=name,
        dependency_type=DependencyType.DATABASE,
        component_type=ComponentType.DATASTORE,
        critical=True,
        status=status,
        observed_status=status,
        checked_at=T0 + dt.timedelta(minutes=minute),
        error=ErrorInfo(type="ConnectionError", message=error) if error else None,
    )


def hook(receiver: Receiver, **fields: Any) -> Webhook:
    """A JSON webhook to the receiver."""
    return Webhook(name="ops", url=receiver.url, **fields)


UP, DOWN, DEGRADED = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.DEGRADED


class TestDecisions:
    async def test_one_down_then_one_resolved(self, receiver: Receiver) -> None:
        """Healthy, three unhealthy results, healthy: exactly one "down" and one "resolved" are posted."""
        alerter = Alerter([hook(receiver)], retry_base_delay=0)
        for status, minute in [(UP, 0), (DOWN, 1), (DOWN, 2), (DOWN, 3), (UP, 4), (UP, 5)]:
            alerter.observe(result(status, minute, "refused" if status == DOWN else None))
        await alerter.drain()
        await alerter.aclose()
        assert [(p["kind"], p["check"], p["status"]) for p in receiver.posts] == [
            ("down", "db", "unhealthy"),
            ("resolved", "db", "healthy"),
        ]
        assert receiver.posts[0]["error"] == "ConnectionError: refused"
        assert receiver.posts[1]["down_for_s"] == 180.0

    async def test_degraded_alone_alerts_nobody(self, receiver: Receiver) -> None:
        """Degraded results post nothing."""
        alerter = Alerter([hook(receiver)])
        for minute in range(3):
            alerter.observe(result(DEGRADED, minute))
        await alerter.drain()
        await alerter.aclose()
        assert receiver.posts == []

    async def test_without_send_on_resolved_only_down_is_posted(self, receiver: Receiver) -> None:
        """send_on_resolved=False posts the down alert and not the recovery."""
        alerter = Alerter([hook(receiver, send_on_resolved=False)])
        alerter.observe(result(DOWN, 0))
        alerter.observe(result(UP, 1))
        await alerter.drain()
        await alerter.aclose()
        assert [p["kind"] for p in receiver.posts] == ["down"]

    async def test_reminders_follow_the_interval_while_down(self, receiver: Receiver) -> None:
        """With a 10-minute reminder interval, down from minute 0 to 25 gives reminders at 10 and 20."""
        alerter = Alerter([hook(receiver, reminder_interval=600)])
        for minute in range(0, 26, 5):
            alerter.observe(result(DOWN, minute))
        await alerter.drain()
        await alerter.aclose()
        assert [(p["kind"], p["at"][11:16]) for p in receiver.posts] == [
            ("down", "08:00"),
            ("reminder", "08:10"),
            ("reminder", "08:20"),
        ]

    async def test_slack_format_posts_one_text_line(self, receiver: Receiver) -> None:
        """A Slack-format webhook gets {"text": ...} naming the check and the error."""
        alerter = Alerter([hook(receiver, format="slack")])
        alerter.observe(result(DOWN, 0, "refused"))
        await alerter.drain()
        await alerter.aclose()
        assert receiver.posts == [{"text": ":red_circle: *db* is DOWN (unhealthy): ConnectionError: refused"}]

    def test_slack_text_escapes_markup_and_stays_one_short_line(self) -> None:
        """An error holding <!channel>, a link or newlines is shown literally, on one line, cut short."""
        alert = Alert("down", "db<1>", "unhealthy", T0, T0, "HTTPError: <!channel> & <http://x|y>\nline 2")
        assert slack_text(alert) == (
            ":red_circle: *db&lt;1&gt;* is DOWN (unhealthy): "
            "HTTPError: &lt;!channel&gt; &amp; &lt;http://x|y&gt; line 2"
        )
        long = Alert("down", "db", "unhealthy", T0, T0, "x" * 1000)
        assert slack_text(long).endswith(": " + "x" * 299 + "…")
        assert alert_payload(long)["error"] == "x" * 1000  # the JSON field keeps it whole

    def test_resolved_text_says_how_long_it_was_down(self) -> None:
        """The recovery text carries the outage's length."""
        alert = Alert("resolved", "db", "healthy", T0 + dt.timedelta(seconds=125), T0)
        assert slack_text(alert) == ":large_green_circle: *db* recovered (healthy) after 2m 5s"
        assert alert_payload(alert)["down_for_s"] == 125.0


class TestDelivery:
    async def test_server_errors_are_retried_and_the_outcome_recorded(self, receiver: Receiver) -> None:
        """Two 503 answers then 200: sent on the third attempt, recorded in the store as such."""
        receiver.answers = [503, 503]
        with open_store("sqlite://") as store:
            alerter = Alerter([hook(receiver)], store=store, retry_base_delay=0)
            alerter.observe(result(DOWN, 0))
            await alerter.drain()
            await alerter.aclose()
            (row,) = store.health_alerts()
        assert (row.kind, row.webhook, row.outcome, row.attempts, row.error) == (
            "down",
            "ops",
            "sent",
            3,
            None,
        )
        assert len(receiver.posts) == 1

    async def test_a_client_error_is_not_retried(self, receiver: Receiver) -> None:
        """A 404 fails the delivery at once (one attempt), recorded as failed with the status."""
        receiver.answers = [404]
        alerter = Alerter([hook(receiver)], retry_base_delay=0)
        alerter.observe(result(DOWN, 0))
        await alerter.drain()
        await alerter.aclose()
        (row,) = alerter.delivered
        assert (row.outcome, row.attempts) == ("failed", 1)
        assert "404" in (row.error or "")

    async def test_a_hanging_webhook_is_timed_out_and_never_delays_the_checks(
        self, receiver: Receiver, clock: FakeClock
    ) -> None:
        """A webhook that never answers fails after its timeout; meanwhile the checks run on schedule."""
        receiver.hang = True
        manager = HealthManager(clock=SYSTEM_CLOCK, sample_resources=False)
        manager.register_health_check(HealthCheckConfig(name="db", timeout=1.0), lambda: False)
        monitor = HealthMonitor(manager, {"db": 0.05})
        alerter = Alerter([hook(receiver, timeout=0.3, retries=1)], retry_base_delay=0)
        monitor.add_listener(alerter.observe)
        try:
            await monitor.run_once("db")  # down: the alert's delivery starts and hangs
            monitor.start()
            for _ in range(3):  # three more scheduled runs while the webhook hangs
                await monitor.wait_for_result()
            assert monitor.results >= 4
            assert alerter.delivered == []  # still waiting on the webhook
            await alerter.drain()
        finally:
            await monitor.stop()
            await alerter.aclose()
            manager.close()
        (row,) = alerter.delivered
        assert (row.outcome, row.attempts, row.error) == ("failed", 2, "no answer within 0.3s")
        assert receiver.url not in repr(alerter)

    async def test_a_delivery_cut_short_at_close_is_still_recorded(self, receiver: Receiver) -> None:
        """A webhook still hanging when aclose's grace runs out is cancelled and recorded as failed."""
        receiver.hang = True
        with open_store("sqlite://") as store:
            alerter = Alerter([hook(receiver, timeout=30)], store=store, retry_base_delay=0)
            alerter.observe(result(DOWN, 0))
            async with asyncio.timeout(10):
                while receiver.attempts == 0:  # until the receiver (on this loop) holds the request
                    await asyncio.sleep(0.001)
            await alerter.aclose(grace=0)
            recorded = [(a.kind, a.outcome, a.attempts, a.error) for a in store.health_alerts()]
        assert recorded == [("down", "failed", 1, "cancelled: stopped before the webhook answered")]

    async def test_maintenance_mutes_and_a_check_still_down_after_it_alerts(self, receiver: Receiver) -> None:
        """Down inside a window is recorded muted and not posted; still down after the window, it is."""
        window = MaintenanceWindow(T0, T0 + dt.timedelta(minutes=10), ("db",))
        with open_store("sqlite://") as store:
            alerter = Alerter([hook(receiver)], store=store, maintenance=MaintenanceSchedule([window]))
            alerter.observe(result(DOWN, 1))
            alerter.observe(result(DOWN, 11))
            await alerter.drain()
            await alerter.aclose()
            recorded = [(a.kind, a.outcome) for a in store.health_alerts()]
        assert recorded == [("down", "muted"), ("down", "sent")]
        assert [p["at"][11:16] for p in receiver.posts] == ["08:11"]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, stopped at the end."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class TestWebhookFields:
    @pytest.mark.parametrize(
        ("fields", "match"),
        [
            ({"url": "ftp://hooks.example.com/S3CR3T"}, "url: the URL is not an http:// or https:// URL"),
            ({"url": "https:///S3CR3T"}, "url: the URL has no host"),
            ({"reminder_interval": float("nan")}, "reminder_interval not negative"),
            ({"timeout": float("inf")}, "timeout must be positive"),
        ],
    )
    def test_a_webhook_built_in_python_is_checked_too(self, fields: dict[str, Any], match: str) -> None:
        """Webhook(...) refuses what the config file refuses, and never shows its URL."""
        arguments: dict[str, Any] = {"name": "ops", "url": "http://127.0.0.1:9/hook", **fields}
        with pytest.raises(HealthConfigError, match=match) as info:
            Webhook(**arguments)
        assert "S3CR3T" not in str(info.value)


@pytest.mark.slow
class TestRealOutage:
    async def test_redis_stopped_and_restarted_gives_one_incident_and_two_alerts(
        self, redis_server: RedisServer, receiver: Receiver
    ) -> None:
        """Stopping a real redis-server and starting it again: one down, one resolved, one incident."""
        store = open_store("sqlite://")
        history = HealthHistory(store, retention=None)
        manager = HealthManager(sample_resources=False)
        check = RedisCheck(f"redis://127.0.0.1:{redis_server.port}/0", timeout=0.5)
        manager.register_health_check(HealthCheckConfig(name="redis", timeout=1.0), check)
        monitor = HealthMonitor(manager, {"redis": 0.05}, history=history)
        alerter = Alerter([hook(receiver)], store=store, retry_base_delay=0)
        monitor.add_listener(alerter.observe)
        try:
            monitor.start()
            await monitor.wait_for_result()
            redis_server.stop()
            await receiver.wait_for(1)
            redis_server.start()
            await receiver.wait_for(2)
            await alerter.drain()
        finally:
            await monitor.stop()
            await alerter.aclose()
            await check.aclose()
            manager.close()
        with store:
            (incident,) = incidents_from_history(store, name="redis")
            statuses = [(s.taken_at, c.status) for s, c in store.health_history(name="redis")]
            alerts = [(a.kind, a.outcome) for a in store.health_alerts()]
        first_down = next(at for at, status in statuses if status == "unhealthy")
        back_up = next(at for at, status in statuses if status == "healthy" and at > first_down)
        assert [p["kind"] for p in receiver.posts] == ["down", "resolved"]
        assert alerts == [("down", "sent"), ("resolved", "sent")]
        assert incident.start.timestamp() == pytest.approx(first_down)
        assert incident.end is not None
        assert incident.end.timestamp() == pytest.approx(back_up)
        assert receiver.posts[0]["at"] == incident.start.isoformat()
        assert receiver.posts[1]["at"] == incident.end.isoformat()
