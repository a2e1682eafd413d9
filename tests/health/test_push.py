"""Push heartbeats: a dead-man switch fed over HTTP (with a token) or from Python through the store."""

from __future__ import annotations

import httpx
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health import HealthCheckConfig, HealthManager, HealthStatus
from omnimemory_kit.health.checks import PushCheck, send_heartbeat
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.monitor import HealthMonitor
from omnimemory_kit.health.serve import HealthServer
from omnimemory_kit.store import open_store

TOKEN = "a-token-of-24-characters"


class TestPushCheck:
    async def test_missed_heartbeat_turns_the_check_unhealthy(self, clock: FakeClock) -> None:
        """A heartbeat: healthy; max_age later without another: unhealthy."""
        check = PushCheck("nightly", 60, clock=clock)
        check.beat()
        clock.advance(60)
        fresh = await check()
        clock.advance(1)
        missed = await check()
        assert (fresh.status, fresh.observed_value) == (HealthStatus.HEALTHY, 60.0)
        assert missed.status is HealthStatus.UNHEALTHY
        assert missed.message == "last heartbeat 61s ago (expected every 60s)"

    async def test_no_first_heartbeat_is_unknown_for_max_age_then_unhealthy(self, clock: FakeClock) -> None:
        """Without any heartbeat the check waits max_age (unknown: no alert), then turns unhealthy."""
        check = PushCheck("nightly", 60, clock=clock)
        clock.advance(60)
        waiting = await check()
        clock.advance(1)
        missed = await check()
        assert (waiting.status, missed.status) == (HealthStatus.UNKNOWN, HealthStatus.UNHEALTHY)
        assert missed.message == "no heartbeat received (expected every 60s)"

    async def test_heartbeats_from_another_process_come_through_the_store(self, clock: FakeClock) -> None:
        """send_heartbeat writes to the store; a push check reading that store counts it."""
        with open_store("sqlite://") as store:
            check = PushCheck("nightly", 60, store=store, clock=clock)
            clock.advance(61)
            assert (await check()).status is HealthStatus.UNHEALTHY
            send_heartbeat(store, "nightly", message="report ok", at=clock.time() - 30)
            assert (await check()).status is HealthStatus.HEALTHY
            assert store.last_heartbeat("nightly") is not None

    def test_a_heartbeat_needs_a_name(self) -> None:
        """send_heartbeat with a blank name is refused."""
        with open_store("sqlite://") as store, pytest.raises(HealthConfigError, match="name"):
            send_heartbeat(store, "  ")


@pytest.fixture
async def push_server(clock: FakeClock, manager: HealthManager) -> HealthServer:
    """A server (not yet started) with push check 'nightly' (token TOKEN) and a history."""
    check = PushCheck("nightly", 60, clock=clock)
    manager.register_health_check(HealthCheckConfig(name="nightly", timeout=1.0), check)
    history = HealthHistory(open_store("sqlite://"), clock=clock, retention=None)
    monitor = HealthMonitor(manager, {"nightly": 10.0}, history=history, clock=clock)
    return HealthServer(monitor, port=0, push_tokens={"nightly": TOKEN})


class TestPushEndpoint:
    async def test_a_heartbeat_with_the_token_makes_the_check_healthy_at_once(
        self, push_server: HealthServer, clock: FakeClock
    ) -> None:
        """POST /push/nightly with the token: 204, the check is healthy and the heartbeat is in the store."""
        clock.advance(61)  # past the wait for a first heartbeat: the check is unhealthy
        await push_server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{push_server.port}") as client:
                await push_server.monitor.wait_for_result()  # the first scheduled run: no heartbeat yet
                before = (await client.get("/health")).status_code
                answer = await client.post(
                    "/push/nightly", content="backup done", headers={"Authorization": f"Bearer {TOKEN}"}
                )
                after = await client.get("/health")
        finally:
            await push_server.stop()
        history = push_server.monitor.history
        assert history is not None
        with history.store as store:
            beat = store.last_heartbeat("nightly")
        assert (before, answer.status_code, after.status_code) == (503, 204, 200)
        assert beat is not None
        assert beat.message == "backup done"

    @pytest.mark.parametrize(
        ("path", "headers", "status"),
        [
            ("/push/nightly", {}, 401),
            ("/push/nightly", {"Authorization": "Bearer wrong-token-wrong-token"}, 401),
            ("/push/nightly", {"Authorization": TOKEN}, 401),
            ("/push/weekly", {"Authorization": f"Bearer {TOKEN}"}, 404),
        ],
    )
    async def test_without_the_right_token_nothing_changes(
        self, push_server: HealthServer, path: str, headers: dict[str, str], status: int
    ) -> None:
        """A missing or wrong token is 401, an unknown push check 404, and no heartbeat is recorded."""
        await push_server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{push_server.port}") as client:
                answer = await client.post(path, headers=headers)
        finally:
            await push_server.stop()
        history = push_server.monitor.history
        assert history is not None
        with history.store as store:
            assert store.last_heartbeat("nightly") is None
        assert answer.status_code == status

    def test_a_token_for_a_check_that_is_not_a_push_check_is_refused(self, manager: HealthManager) -> None:
        """Giving a push token for an ordinary check is a config error."""
        manager.register_health_check(HealthCheckConfig(name="db"), lambda: True)
        with pytest.raises(HealthConfigError, match="'db' is not a push check"):
            HealthServer(HealthMonitor(manager), push_tokens={"db": TOKEN})
