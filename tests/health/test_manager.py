"""The health manager: running checks at once, isolated, bounded, normalised, damped and rolled up."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

import pytest

from omnimemory_kit import (
    CheckResult,
    DependencyType,
    HealthCheckConfig,
    HealthManager,
    HealthResponse,
    HealthStatus,
    health_manager,
)
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError, RegistryError
from omnimemory_kit.resilience import CircuitBreakerConfig


async def settle(rounds: int = 10) -> None:
    """Let every ready task run until it waits on something (the fake clock, an event)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def config(name: str, **fields: object) -> HealthCheckConfig:
    return HealthCheckConfig(name=name, **fields)  # type: ignore[arg-type]


class TestOriginCallShape:
    async def test_register_and_get_comprehensive_health_as_written(self) -> None:
        """The origin document's two calls work on the shared ``health_manager``."""

        async def postgresql_check_function() -> bool:
            return True

        health_manager.register_health_check(
            HealthCheckConfig(
                name="postgresql", dependency_type=DependencyType.DATABASE, critical=True, timeout=5.0
            ),
            postgresql_check_function,
        )
        health_response = await health_manager.get_comprehensive_health()
        assert isinstance(health_response, HealthResponse)
        assert health_response.status == HealthStatus.HEALTHY
        dep = health_response.dependencies["postgresql"]
        assert (dep.status, dep.critical, dep.dependency_type) == (
            HealthStatus.HEALTHY,
            True,
            DependencyType.DATABASE,
        )
        resources = health_response.resources
        assert resources is not None
        assert (resources.disk_path, resources.problems) == (os.getcwd(), ())  # this volume, read in full


class TestWhatAChecksReturnMeans:
    @pytest.mark.parametrize(
        ("returned", "expected"),
        [
            (True, HealthStatus.HEALTHY),
            (None, HealthStatus.HEALTHY),
            (False, HealthStatus.UNHEALTHY),
            (HealthStatus.DEGRADED, HealthStatus.DEGRADED),
            (HealthStatus.UNKNOWN, HealthStatus.UNKNOWN),
            ("degraded", HealthStatus.DEGRADED),
            (CheckResult.degraded("slow replica"), HealthStatus.DEGRADED),
        ],
    )
    async def test_return_values_map_to_statuses(
        self, manager: HealthManager, returned: object, expected: HealthStatus
    ) -> None:
        """bool, None, a status (or its string) and a CheckResult each map to the documented status."""

        async def check() -> object:
            return returned

        manager.register_health_check(config("dep"), check)  # type: ignore[arg-type]
        dep = (await manager.get_comprehensive_health()).dependencies["dep"]
        assert dep.status == expected
        assert dep.error is None

    async def test_an_unexpected_return_value_is_unhealthy_with_a_type_error(
        self, manager: HealthManager
    ) -> None:
        """A check returning something else is unhealthy and the error says what it returned."""
        manager.register_health_check(config("dep"), lambda: 42)  # type: ignore[arg-type,return-value]
        dep = (await manager.get_comprehensive_health()).dependencies["dep"]
        assert dep.status == HealthStatus.UNHEALTHY
        assert dep.error is not None
        assert dep.error.type == "TypeError"
        assert "int 42" in dep.error.message

    async def test_raising_is_unhealthy_with_type_and_redacted_message(self, manager: HealthManager) -> None:
        """An exception becomes unhealthy with its type and its message, password removed."""

        async def check() -> bool:
            raise ConnectionRefusedError("cannot reach postgresql://admin:hunter2@db:5432/app")

        manager.register_health_check(config("db"), check)
        response = await manager.get_comprehensive_health()
        dep = response.dependencies["db"]
        assert dep.status == HealthStatus.UNHEALTHY
        assert dep.error is not None
        assert dep.error.type == "ConnectionRefusedError"
        assert dep.error.message == "cannot reach postgresql://admin:***@db:5432/app"
        assert "hunter2" not in response.to_json()
        assert "hunter2" not in response.model_dump_json()

    async def test_check_result_details_and_message_are_redacted(self, manager: HealthManager) -> None:
        """Strings a check reports (message, details) pass through the redactor too."""

        def check() -> CheckResult:
            return CheckResult(
                message="using redis://:topsecret@cache:6379/0",
                details={"dsn": "postgresql://u:pw123@h/d", "password": "pw123", "depth": 3},
            )

        manager.register_health_check(config("c"), check)
        dep = (await manager.get_comprehensive_health()).dependencies["c"]
        assert dep.message == "using redis://:***@cache:6379/0"
        assert dep.details == {"dsn": "postgresql://u:***@h/d", "password": "***", "depth": 3}

    async def test_name_and_criticality_come_from_the_registration(self, manager: HealthManager) -> None:
        """Whatever the check reports, the response uses the registered name, type and criticality."""

        def check() -> CheckResult:
            return CheckResult(status=HealthStatus.UNHEALTHY, details={"name": "other", "critical": True})

        manager.register_health_check(
            config("cache", critical=False, dependency_type=DependencyType.CACHE), check
        )
        response = await manager.get_comprehensive_health()
        assert list(response.dependencies) == ["cache"]
        dep = response.dependencies["cache"]
        assert (dep.name, dep.critical, dep.dependency_type) == ("cache", False, DependencyType.CACHE)
        assert response.status == HealthStatus.DEGRADED  # non-critical unhealthy only degrades

    async def test_sync_checks_run_off_the_event_loop_thread(self, manager: HealthManager) -> None:
        """A sync check runs in a worker thread, so it cannot block the loop."""
        seen: list[int] = []

        def check() -> bool:
            seen.append(threading.get_ident())
            return True

        manager.register_health_check(config("sync"), check)
        await manager.get_comprehensive_health()
        assert len(seen) == 1
        assert seen[0] != threading.get_ident()

    async def test_async_callable_objects_and_lambdas_returning_coroutines_work(
        self, manager: HealthManager
    ) -> None:
        """An object with an async ``__call__`` and a sync callable returning a coroutine are awaited."""

        class Pinger:
            async def __call__(self) -> HealthStatus:
                return HealthStatus.DEGRADED

        async def inner() -> bool:
            return False

        manager.register_health_check(config("obj"), Pinger())
        manager.register_health_check(config("lam"), lambda: inner())
        response = await manager.get_comprehensive_health()
        assert response.dependencies["obj"].status == HealthStatus.DEGRADED
        assert response.dependencies["lam"].status == HealthStatus.UNHEALTHY


class TestConcurrencyAndTimeouts:
    async def test_checks_run_at_once_not_one_after_another(self, clock: FakeClock) -> None:
        """Three checks each waiting 1 s of clock time finish together after 1 s, not 3 s."""
        manager = HealthManager(clock=clock, sample_resources=False)

        async def slow() -> bool:
            await clock.sleep(1.0)
            return True

        for name in ("a", "b", "c"):
            manager.register_health_check(config(name), slow)
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        assert clock.pending_timers == 6  # three sleeps and three timeouts, all armed at once
        clock.advance(1.0)
        response = await task
        assert response.status == HealthStatus.HEALTHY
        assert response.duration_ms == pytest.approx(1000.0)
        assert [dep.latency_ms for dep in response.dependencies.values()] == pytest.approx([1000.0] * 3)

    async def test_a_check_times_out_at_its_own_timeout(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """A hanging check configured at 0.1 s answers unhealthy at 0.1 s with a TimeoutError."""
        never = asyncio.Event()

        async def hangs() -> bool:
            await never.wait()
            return True

        manager.register_health_check(config("hang", timeout=0.1), hangs)
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        clock.advance(0.099)
        await settle()
        assert not task.done()
        clock.advance(0.001)
        response = await task
        dep = response.dependencies["hang"]
        assert dep.status == HealthStatus.UNHEALTHY
        assert dep.error is not None
        assert (dep.error.type, dep.error.message) == ("TimeoutError", "no answer within 0.1s")
        assert dep.latency_ms == pytest.approx(100.0)

    async def test_a_hanging_check_does_not_delay_the_others(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """A fast check's result and latency are unaffected by a sibling hanging until its timeout."""
        never = asyncio.Event()
        fast_done = asyncio.Event()

        async def hangs() -> bool:
            await never.wait()
            return True

        async def fast() -> bool:
            await clock.sleep(0.01)
            fast_done.set()
            return True

        manager.register_health_check(config("hang", timeout=2.0), hangs)
        manager.register_health_check(config("fast", timeout=2.0), fast)
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        clock.advance(0.01)
        await settle()
        assert fast_done.is_set()
        clock.advance(1.99)
        response = await task
        assert response.dependencies["fast"].latency_ms == pytest.approx(10.0)
        assert response.dependencies["fast"].status == HealthStatus.HEALTHY
        assert response.dependencies["hang"].latency_ms == pytest.approx(2000.0)
        assert response.duration_ms == pytest.approx(2000.0)

    async def test_a_stuck_sync_check_is_not_called_again_until_it_returns(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """A sync check stuck in its thread times out, then reports stuck instead of piling up threads."""
        release = threading.Event()
        finished = threading.Event()
        calls: list[int] = []

        def stuck() -> bool:
            calls.append(1)
            release.wait(10)
            finished.set()
            return True

        manager.register_health_check(config("sync", timeout=0.1), stuck)
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        clock.advance(0.1)
        first = (await task).dependencies["sync"]
        assert first.error is not None
        assert first.error.message == "no answer within 0.1s"
        clock.advance(5.0)
        second = (await manager.get_comprehensive_health()).dependencies["sync"]
        assert second.error is not None
        assert second.error.message == "the previous call has not returned after 5.1s; not starting another"
        assert len(calls) == 1
        release.set()
        assert await asyncio.to_thread(finished.wait, 10)
        await settle()
        third = (await manager.get_comprehensive_health()).dependencies["sync"]
        assert (third.status, len(calls)) == (HealthStatus.HEALTHY, 2)

    async def test_a_timeout_error_raised_by_the_check_itself_keeps_its_message(
        self, manager: HealthManager
    ) -> None:
        """A check's own TimeoutError is reported as raised, not as the manager's timeout."""

        async def check() -> bool:
            raise TimeoutError("driver gave up after 3 retries")

        manager.register_health_check(config("x", timeout=5.0), check)
        dep = (await manager.get_comprehensive_health()).dependencies["x"]
        assert dep.error is not None
        assert dep.error.message == "driver gave up after 3 retries"

    async def test_cancelling_the_aggregation_cancels_every_check(self, manager: HealthManager) -> None:
        """Cancelling get_comprehensive_health leaves no check task running."""
        never = asyncio.Event()
        started: list[str] = []
        cancelled: list[str] = []

        def make(name: str):  # type: ignore[no-untyped-def]
            async def check() -> bool:
                started.append(name)
                try:
                    await never.wait()
                except asyncio.CancelledError:
                    cancelled.append(name)
                    raise
                return True

            return check

        for name in ("a", "b", "c"):
            manager.register_health_check(config(name, timeout=60.0), make(name))
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        assert sorted(started) == ["a", "b", "c"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sorted(cancelled) == ["a", "b", "c"]
        leftovers = [
            t for t in asyncio.all_tasks() if t.get_name().startswith("health-check:") and not t.done()
        ]
        assert leftovers == []

    async def test_one_check_failing_does_not_touch_the_others(self, manager: HealthManager) -> None:
        """An exception in one check leaves its siblings' results intact."""

        async def bad() -> bool:
            raise RuntimeError("boom")

        async def good() -> bool:
            return True

        manager.register_health_check(config("bad", critical=False), bad)
        manager.register_health_check(config("good"), good)
        response = await manager.get_comprehensive_health()
        assert response.dependencies["good"].status == HealthStatus.HEALTHY
        assert response.dependencies["bad"].status == HealthStatus.UNHEALTHY
        assert response.status == HealthStatus.DEGRADED


class TestRollUpInTheResponse:
    async def test_no_checks_is_healthy_with_a_note(self, manager: HealthManager) -> None:
        """With nothing registered the response is valid, healthy, and says why."""
        response = await manager.get_comprehensive_health()
        assert response.status == HealthStatus.HEALTHY
        assert response.dependencies == {}
        assert any("no health checks registered" in note for note in response.notes)
        assert response.to_ietf()["status"] == "pass"

    async def test_critical_unhealthy_makes_the_service_unhealthy(self, manager: HealthManager) -> None:
        """One critical unhealthy dependency is enough for unhealthy (HTTP 503)."""
        manager.register_health_check(config("db", critical=True), lambda: False)
        manager.register_health_check(config("cache", critical=False), lambda: True)
        response = await manager.get_comprehensive_health()
        assert response.status == HealthStatus.UNHEALTHY
        assert response.http_status_code == 503


class TestConditions:
    async def test_a_slow_answer_fails_the_latency_condition(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """A healthy check slower than its latency rule is degraded and names the rule."""

        async def slow() -> bool:
            await clock.sleep(0.5)
            return True

        manager.register_health_check(config("api", conditions=["latency_ms < 300 else degraded"]), slow)
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        clock.advance(0.5)
        dep = (await task).dependencies["api"]
        assert dep.status == HealthStatus.DEGRADED
        assert dep.observed_status == HealthStatus.DEGRADED
        assert dep.failed_condition == "latency_ms < 300 else degraded"

    async def test_detail_condition_can_make_a_dependency_unhealthy(self, manager: HealthManager) -> None:
        """A named detail below its threshold turns the result unhealthy."""

        def disk() -> CheckResult:
            return CheckResult(observed_value=4.0, observed_unit="percent", details={"free_pct": 4.0})

        manager.register_health_check(
            config(
                "disk",
                conditions=["free_pct > 20 else degraded", "free_pct > 10 else unhealthy"],
            ),
            disk,
        )
        dep = (await manager.get_comprehensive_health()).dependencies["disk"]
        assert dep.status == HealthStatus.UNHEALTHY
        assert dep.failed_condition == "free_pct > 10 else unhealthy"
        assert dep.observed_value == 4.0

    async def test_a_passing_condition_leaves_the_status_alone(self, manager: HealthManager) -> None:
        """Conditions that hold change nothing, and none is reported as failed."""
        manager.register_health_check(
            config("q", conditions=["observed_value <= 100 else degraded"]),
            lambda: CheckResult(observed_value=100.0),
        )
        dep = (await manager.get_comprehensive_health()).dependencies["q"]
        assert (dep.status, dep.failed_condition) == (HealthStatus.HEALTHY, None)

    async def test_a_field_the_check_did_not_observe_fails_and_says_so(self, manager: HealthManager) -> None:
        """A rule on a missing detail fails rather than passing silently."""
        manager.register_health_check(config("q", conditions=["depth < 10 else degraded"]), lambda: True)
        dep = (await manager.get_comprehensive_health()).dependencies["q"]
        assert dep.status == HealthStatus.DEGRADED
        assert dep.failed_condition == "depth < 10 else degraded (depth was not observed)"


class TestFlapDampingInTheManager:
    async def test_a_single_failure_is_pending_until_confirmed(self, manager: HealthManager) -> None:
        """With failures_to_change=3 the first two failures report healthy, pending; the third flips."""
        results = iter([True, False, False, False, True, True])
        manager.register_health_check(
            config("db", failures_to_change=3, successes_to_recover=2), lambda: next(results)
        )
        seen = []
        for _ in range(6):
            dep = (await manager.get_comprehensive_health()).dependencies["db"]
            seen.append((dep.status, dep.observed_status, dep.pending))
        h, u = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY
        assert seen == [
            (h, h, False),
            (h, u, True),
            (h, u, True),
            (u, u, False),
            (u, h, True),
            (h, h, False),
        ]

    async def test_pending_is_rolled_up_by_the_reported_status(self, manager: HealthManager) -> None:
        """While a failure is pending the service keeps its previous overall status."""
        results = iter([True, False])
        manager.register_health_check(config("db", failures_to_change=2), lambda: next(results))
        await manager.get_comprehensive_health()
        response = await manager.get_comprehensive_health()
        assert response.dependencies["db"].pending
        assert response.status == HealthStatus.HEALTHY
        assert "pending" in response.to_ietf()["checks"]["db:responseTime"][0]["output"]


class TestLastSuccess:
    async def test_last_success_is_kept_through_failures(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """last_success_at stays at the last good round while the dependency fails."""
        results = iter([True, False])
        manager.register_health_check(config("db"), lambda: next(results))
        first = (await manager.get_comprehensive_health()).dependencies["db"]
        clock.advance(30.0)
        second = (await manager.get_comprehensive_health()).dependencies["db"]
        assert first.last_success_at == first.checked_at
        assert second.last_success_at == first.checked_at
        assert (second.checked_at - first.checked_at).total_seconds() == pytest.approx(30.0)


class TestRegistration:
    async def test_duplicate_names_are_refused_naming_the_check(self, manager: HealthManager) -> None:
        """Registering a second check under a taken name raises HealthConfigError naming it."""
        manager.register_health_check(config("postgresql"), lambda: True)
        with pytest.raises(HealthConfigError, match="'postgresql' is already registered"):
            manager.register_health_check(config("postgresql"), lambda: False)
        assert len(manager.configs) == 1

    async def test_replace_swaps_the_function(self, manager: HealthManager) -> None:
        """replace=True lets a re-run notebook cell register the same name again."""
        manager.register_health_check(config("x"), lambda: True)
        manager.register_health_check(config("x"), lambda: False, replace=True)
        response = await manager.get_comprehensive_health()
        assert response.dependencies["x"].status == HealthStatus.UNHEALTHY

    def test_not_a_config_or_not_callable_is_refused(self, manager: HealthManager) -> None:
        """Wrong argument types get a HealthConfigError, not an AttributeError later."""
        with pytest.raises(HealthConfigError, match="needs a HealthCheckConfig"):
            manager.register_health_check({"name": "x"}, lambda: True)  # type: ignore[arg-type]
        with pytest.raises(HealthConfigError, match="not callable"):
            manager.register_health_check(config("x"), "SELECT 1")  # type: ignore[arg-type]

    async def test_unregister_removes_the_check_and_unknown_names_raise(self, manager: HealthManager) -> None:
        """unregister drops a check from later responses; an unknown name is a RegistryError."""
        manager.register_health_check(config("x"), lambda: True)
        manager.unregister("x")
        assert (await manager.get_comprehensive_health()).dependencies == {}
        with pytest.raises(RegistryError, match="'x'"):
            manager.unregister("x")
        with pytest.raises(RegistryError, match="'nope'"):
            await manager.check("nope")

    async def test_check_runs_a_single_dependency(self, manager: HealthManager) -> None:
        """check(name) runs only that check and returns its state."""
        calls: list[str] = []
        manager.register_health_check(config("a"), lambda: calls.append("a") or True)  # type: ignore[func-returns-value]
        manager.register_health_check(config("b"), lambda: calls.append("b") or True)  # type: ignore[func-returns-value]
        dep = await manager.check("b")
        assert (dep.name, dep.status, calls) == ("b", HealthStatus.HEALTHY, ["b"])

    async def test_repr_and_last_response_show_the_latest_round(self, manager: HealthManager) -> None:
        """The repr tells how many checks there are and the last overall status; last_response keeps it."""
        manager.register_health_check(config("a"), lambda: False)
        assert repr(manager) == "<HealthManager checks=1 last=never run>"
        assert manager.last_response is None
        response = await manager.get_comprehensive_health()
        assert repr(manager) == "<HealthManager checks=1 last=unhealthy>"
        assert manager.last_response is response


class TestLogging:
    async def test_state_changes_are_logged_on_the_health_logger(
        self, manager: HealthManager, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A dependency changing status logs a warning on ``omnimemory_kit.health``."""
        results = iter([True, False])
        manager.register_health_check(config("db"), lambda: next(results))
        with caplog.at_level(logging.INFO, logger="omnimemory_kit.health"):
            await manager.get_comprehensive_health()
            await manager.get_comprehensive_health()
        messages = [r.getMessage() for r in caplog.records if r.name == "omnimemory_kit.health"]
        assert any(m.startswith("health of 'db' changed from healthy to unhealthy") for m in messages)


class TestBreakers:
    def breaker_config(self, **fields: object) -> CircuitBreakerConfig:
        values: dict[str, object] = {"failure_threshold": 2, "recovery_timeout": 30.0}
        values.update(fields)
        return CircuitBreakerConfig(**values)  # type: ignore[arg-type]

    async def test_an_open_breaker_skips_the_check_and_says_when_it_retries(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """After enough failures the check is not called; it reports 'circuit open' and the retry time."""
        calls: list[int] = []

        async def down() -> bool:
            calls.append(1)
            raise ConnectionRefusedError("refused")

        manager.register_health_check(config("db", breaker=self.breaker_config()), down)
        for _ in range(2):
            dep = (await manager.get_comprehensive_health()).dependencies["db"]
            assert dep.error is not None
            assert dep.error.type == "ConnectionRefusedError"
        assert dep.breaker_state == "open"
        clock.advance(10.0)
        dep = (await manager.get_comprehensive_health()).dependencies["db"]
        assert len(calls) == 2  # not called while open
        assert dep.status == HealthStatus.UNHEALTHY
        assert dep.error is not None
        assert (dep.error.type, dep.error.message) == ("CircuitBreakerError", "circuit open")
        assert dep.breaker_state == "open"
        assert dep.latency_ms is None
        assert dep.retry_at is not None
        assert (dep.retry_at - dep.checked_at).total_seconds() == pytest.approx(20.0)
        assert "circuit open" in (await manager.get_comprehensive_health()).to_json()

    async def test_the_breaker_probes_again_after_recovery_and_closes(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """Once the recovery timeout passed, one trial call runs; a success closes the breaker."""
        results = iter([False, False, True])
        manager.register_health_check(config("db", breaker=self.breaker_config()), lambda: next(results))
        await manager.get_comprehensive_health()
        await manager.get_comprehensive_health()
        breaker = manager.breaker("db")
        assert breaker is not None
        assert breaker.state == "open"
        clock.advance(30.0)
        dep = (await manager.get_comprehensive_health()).dependencies["db"]
        assert (dep.status, dep.breaker_state, dep.retry_at) == (HealthStatus.HEALTHY, "closed", None)

    async def test_the_check_timeout_applies_inside_the_breaker(
        self, clock: FakeClock, manager: HealthManager
    ) -> None:
        """A hanging check at 0.1 s answers at 0.1 s with a breaker attached, and counts as a failure."""
        never = asyncio.Event()

        async def hangs() -> bool:
            await never.wait()
            return True

        manager.register_health_check(
            config("db", timeout=0.1, breaker=self.breaker_config(failure_threshold=5, timeout=60.0)), hangs
        )
        task = asyncio.create_task(manager.get_comprehensive_health())
        await settle()
        clock.advance(0.1)
        dep = (await task).dependencies["db"]
        assert dep.error is not None
        assert dep.error.type == "TimeoutError"
        assert dep.latency_ms == pytest.approx(100.0)
        breaker = manager.breaker("db")
        assert breaker is not None
        assert breaker.stats().failure_count == 1
        assert dep.breaker_state == "closed"

    async def test_unhealthy_results_and_failed_conditions_count_degraded_does_not(
        self, manager: HealthManager
    ) -> None:
        """False and an unhealthy condition are breaker failures; a degraded result is not."""
        manager.register_health_check(config("f", breaker=self.breaker_config()), lambda: False)
        manager.register_health_check(
            config("c", breaker=self.breaker_config(), conditions=["depth < 5 else unhealthy"]),
            lambda: CheckResult(details={"depth": 9}),
        )
        manager.register_health_check(
            config("d", breaker=self.breaker_config()), lambda: HealthStatus.DEGRADED
        )
        for _ in range(2):
            response = await manager.get_comprehensive_health()
        states = {name: dep.breaker_state for name, dep in response.dependencies.items()}
        assert states == {"f": "open", "c": "open", "d": "closed"}

    async def test_user_exception_filters_do_not_hide_health_failures(self, manager: HealthManager) -> None:
        """A breaker config excluding an exception type still counts that failure for a health check."""

        async def down() -> bool:
            raise KeyError("gone")

        manager.register_health_check(
            config("db", breaker=self.breaker_config(excluded_exceptions=(KeyError,))), down
        )
        await manager.get_comprehensive_health()
        dep = (await manager.get_comprehensive_health()).dependencies["db"]
        assert dep.breaker_state == "open"

    def test_breaker_lookup(self, manager: HealthManager) -> None:
        """breaker(name) gives the check's breaker, None without one, RegistryError for unknown names."""
        manager.register_health_check(config("a", breaker=self.breaker_config()), lambda: True)
        manager.register_health_check(config("b"), lambda: True)
        breaker = manager.breaker("a")
        assert breaker is not None
        assert breaker.name == "health:a"
        assert manager.breaker("b") is None
        with pytest.raises(RegistryError):
            manager.breaker("c")
