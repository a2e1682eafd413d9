"""Health-gated runs: the throttle policy, its pure evaluation on a fake clock, the runner's claim gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError, ThrottleAbortError
from omnimemory_kit.events import EventKind, MigrationStatus
from omnimemory_kit.health import HealthManager
from omnimemory_kit.health.config import parse_health_config
from omnimemory_kit.health.models import (
    CheckResult,
    ComponentType,
    DependencyHealth,
    DependencyType,
    HealthCheckConfig,
    HealthResponse,
    HealthStatus,
    ResourceMetrics,
)
from omnimemory_kit.migration.rates import EtaUnavailableReason
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.throttle import (
    GateKind,
    HealthThrottle,
    ThrottlePolicy,
    ThrottleRule,
    ThrottleState,
    Verdict,
    evaluate_policy,
    policy_from_health_config,
)
from omnimemory_kit.store import JournalStore, open_store
from tests.migration.test_runner import drive

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def dependency(name: str, status: HealthStatus, latency_ms: float | None = 5.0) -> DependencyHealth:
    """Return a dependency state as the manager reports it."""
    return DependencyHealth(
        name=name,
        dependency_type=DependencyType.CACHE,
        component_type=ComponentType.DATASTORE,
        critical=True,
        status=status,
        observed_status=status,
        checked_at=AT,
        latency_ms=latency_ms,
    )


def snapshot(
    overall: HealthStatus = HealthStatus.HEALTHY,
    resources: ResourceMetrics | None = None,
    **deps: DependencyHealth,
) -> HealthResponse:
    """Return a health snapshot."""
    return HealthResponse(
        status=overall, checked_at=AT, duration_ms=1.0, dependencies=deps, resources=resources
    )


def policy(*rules: dict[str, Any], **settings: Any) -> ThrottlePolicy:
    """Return a policy parsed as from a [throttle] table."""
    return ThrottlePolicy.parse({**settings, "rule": list(rules)})


REDIS_DOWN = {"name": "redis down", "check": "redis", "status": "degraded", "action": "throttle"}
PG_GONE = {"name": "pg gone", "check": "postgresql", "status": "unhealthy", "action": "abort"}


class TestPolicyInput:
    """Bad rules are refused before anything runs, with one line naming the rule."""

    @pytest.mark.parametrize(
        ("rule", "settings", "named"),
        [
            (
                {"name": "hot", "metric": "cpu_temperature", "above": 80},
                {},
                "rule 'hot': metric: unknown metric",
            ),
            ({"name": "odd", "check": "redis", "condition": "latency_ms >> 3"}, {}, "rule 'odd': condition"),
            ({"name": "both", "metric": "cpu_percent", "above": 1, "below": 2}, {}, "rule 'both'"),
            ({"name": "lazy", "check": "redis", "status": "degraded", "action": "slow"}, {}, "rule 'lazy'"),
            (REDIS_DOWN, {"check_interval": 0}, "check_interval"),
            (REDIS_DOWN, {"check_interval": -5}, "check_interval"),
            (REDIS_DOWN, {"min_throttle": 60, "max_throttle": 30}, "max_throttle"),
            ({**REDIS_DOWN, "colour": "red"}, {}, "rule 'redis down': colour: unknown field"),
        ],
    )
    def test_bad_rule_or_setting_names_it(
        self, rule: dict[str, Any], settings: dict[str, Any], named: str
    ) -> None:
        """Each mistake raises one HealthConfigError naming the rule or setting."""
        with pytest.raises(HealthConfigError, match=named.replace("(", r"\(")):
            policy(rule, **settings)

    def test_contradictory_rules_are_refused(self) -> None:
        """Two rules with one trigger and different actions contradict each other."""
        with pytest.raises(HealthConfigError, match="rule 'pg slow' contradicts rule 'redis down'"):
            policy(REDIS_DOWN, {**REDIS_DOWN, "name": "pg slow", "action": "abort"})

    def test_unknown_check_is_named_against_the_file(self) -> None:
        """A rule naming a check the file does not declare is refused with the checks it knows."""
        config = parse_health_config(
            {
                "check": [{"name": "redis", "type": "redis", "url": "redis://127.0.0.1:1/0"}],
                "throttle": {"rule": [{**REDIS_DOWN, "check": "rediss"}]},
            },
            "health.toml",
        )
        with pytest.raises(
            HealthConfigError, match=r"health.toml: throttle rule 'redis down': unknown check 'rediss'"
        ):
            policy_from_health_config(config)

    def test_python_construction_raises_the_same_error(self) -> None:
        """Building a rule in Python with a wrong metric raises HealthConfigError, not a pydantic error."""
        with pytest.raises(HealthConfigError, match="unknown metric"):
            ThrottleRule(name="x", metric="nope", above=1)

    def test_defaults(self) -> None:
        """check_interval defaults to 5 s, no hysteresis and no max."""
        parsed = policy(REDIS_DOWN)
        assert (parsed.check_interval, parsed.min_throttle, parsed.max_throttle) == (5.0, 0.0, None)


class TestEvaluation:
    """Rules over a snapshot, evaluated as a pure function."""

    def test_status_rule_fires_at_or_worse_than_its_status(self) -> None:
        """A 'degraded' rule fires on degraded and on unhealthy, not on healthy, and names the error."""
        rules = policy(REDIS_DOWN)
        assert evaluate_policy(rules, snapshot(redis=dependency("redis", HealthStatus.HEALTHY))) == Verdict()
        degraded = evaluate_policy(rules, snapshot(redis=dependency("redis", HealthStatus.DEGRADED)))
        assert degraded.throttle == ("redis degraded (rule 'redis down')",)
        assert evaluate_policy(rules, snapshot(redis=dependency("redis", HealthStatus.UNHEALTHY))).throttle

    def test_condition_rule_reads_the_checks_observations(self) -> None:
        """'latency_ms > 300' fires above 300 ms only, and not when latency was not observed."""
        rules = policy(
            {
                "name": "slow pg",
                "check": "postgresql",
                "condition": "latency_ms > 300",
                "action": "slow",
                "concurrency": 2,
            }
        )
        fast = snapshot(postgresql=dependency("postgresql", HealthStatus.HEALTHY, 120.0))
        slow = snapshot(postgresql=dependency("postgresql", HealthStatus.HEALTHY, 450.0))
        unknown = snapshot(postgresql=dependency("postgresql", HealthStatus.UNHEALTHY, None))
        assert evaluate_policy(rules, fast) == Verdict()
        verdict = evaluate_policy(rules, slow)
        assert verdict.slow
        assert verdict.concurrency == 2
        assert evaluate_policy(rules, unknown) == Verdict()

    def test_overall_rule_without_check(self) -> None:
        """A status rule without a check reads the overall status."""
        rules = policy({"name": "any", "status": "degraded", "action": "slow", "delay": 1.5})
        verdict = evaluate_policy(rules, snapshot(HealthStatus.DEGRADED))
        assert verdict.slow == ("overall degraded (rule 'any')",)
        assert verdict.delay == 1.5

    def test_host_load_rules(self) -> None:
        """Metric rules read the manager's resource metrics; a metric the host did not give never fires."""
        rules = policy(
            {"name": "busy", "metric": "load_average_1m", "above": 8},
            {"name": "full", "metric": "disk_free_pct", "below": 10},
        )
        busy = ResourceMetrics(sampled_at=AT, load_average=(9.5, 4.0, 2.0), disk_percent=50.0)
        full = ResourceMetrics(sampled_at=AT, load_average=(0.5, 0.5, 0.5), disk_percent=95.0)
        blind = ResourceMetrics(sampled_at=AT)
        assert evaluate_policy(rules, snapshot(resources=busy)).throttle == (
            "load_average_1m 9.5 > 8 (rule 'busy')",
        )
        assert evaluate_policy(rules, snapshot(resources=full)).throttle == (
            "disk_free_pct 5 < 10 (rule 'full')",
        )
        assert evaluate_policy(rules, snapshot(resources=blind)) == Verdict()


class TestState:
    """Decisions over time: hysteresis, the abort's second look, and max_throttle."""

    def test_min_throttle_holds_after_recovery(self) -> None:
        """Once throttled, the hold lasts min_throttle seconds even when the next look is clean."""
        state = ThrottleState(policy(REDIS_DOWN, min_throttle=10))
        assert state.step(Verdict(throttle=("redis down",)), 0.0).kind is GateKind.HOLD
        held = state.step(Verdict(), 5.0)
        assert held.kind is GateKind.HOLD
        assert held.reason == "redis down"
        assert state.step(Verdict(), 10.0).kind is GateKind.PROCEED

    def test_abort_after_second_failed_evaluation(self) -> None:
        """An abort rule holds on its first look and aborts on the second in a row."""
        state = ThrottleState(policy(PG_GONE))
        assert state.step(Verdict(abort=("pg unhealthy",)), 0.0).kind is GateKind.HOLD
        decision = state.step(Verdict(abort=("pg unhealthy",)), 5.0)
        assert decision.kind is GateKind.ABORT
        assert decision.reason == "pg unhealthy"

    def test_abort_streak_resets_on_a_clean_look(self) -> None:
        """Abort needs two failed looks in a row: a clean look between them starts over."""
        state = ThrottleState(policy(PG_GONE))
        state.step(Verdict(abort=("pg",)), 0.0)
        assert state.step(Verdict(), 5.0).kind is GateKind.PROCEED
        assert state.step(Verdict(abort=("pg",)), 10.0).kind is GateKind.HOLD

    def test_max_throttle_aborts_with_the_reason(self) -> None:
        """Held max_throttle seconds in a row aborts with 'throttled too long: <reason>'."""
        state = ThrottleState(policy(REDIS_DOWN, max_throttle=30))
        state.step(Verdict(throttle=("redis unhealthy",)), 0.0)
        assert state.step(Verdict(throttle=("redis unhealthy",)), 25.0).kind is GateKind.HOLD
        decision = state.step(Verdict(throttle=("redis unhealthy",)), 30.0)
        assert decision.kind is GateKind.ABORT
        assert decision.reason == "throttled too long: redis unhealthy"

    def test_failed_evaluation_holds_then_aborts(self) -> None:
        """An evaluation that raised holds once and aborts when the next one fails too."""
        state = ThrottleState(policy(REDIS_DOWN))
        assert state.step("OSError: boom", 0.0).kind is GateKind.HOLD
        assert state.step("OSError: boom", 5.0).kind is GateKind.ABORT


class _Sampler:
    """A resource sampler whose load average the test sets."""

    def __init__(self) -> None:
        self.load = 0.5

    def sample(self) -> ResourceMetrics:
        return ResourceMetrics(sampled_at=AT, load_average=(self.load, self.load, self.load))


class TestHostLoadThroughTheManager:
    """Host-load rules read metrics from the health manager's (injected) sampler."""

    async def test_load_rule_throttles_and_releases(self, clock: FakeClock) -> None:
        """The gate holds while the sampled load is above the rule and proceeds once it drops."""
        sampler = _Sampler()
        manager = HealthManager(clock=clock, sampler=sampler, resource_max_age=0)
        try:
            gate = HealthThrottle(
                policy({"name": "busy", "metric": "load_average_1m", "above": 4}), manager, clock=clock
            )
            assert (await gate.evaluate()).kind is GateKind.PROCEED
            sampler.load = 6.0
            held = await gate.evaluate()
            assert held.kind is GateKind.HOLD
            assert "load_average_1m 6 > 4" in (held.reason or "")
            assert held.snapshot is not None
            assert '"load_average_1m":6.0' in held.snapshot
            sampler.load = 1.0
            assert (await gate.evaluate()).kind is GateKind.PROCEED
        finally:
            manager.close()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A real SQLite journal."""
    journal = open_store(f"sqlite:///{tmp_path / 'run.db'}", clock=clock)
    try:
        yield journal
    finally:
        journal.close()


class _Flaky:
    """A health check that goes unhealthy when told and recovers after a number of looks."""

    def __init__(self) -> None:
        self.down_for = 0
        self.calls = 0

    async def __call__(self) -> CheckResult:  # async: no worker thread racing the fake clock
        self.calls += 1
        if self.down_for > 0:
            self.down_for -= 1
            raise ConnectionError("connection refused")
        return CheckResult.healthy()


def _manager(clock: FakeClock, check: _Flaky) -> HealthManager:
    manager = HealthManager(clock=clock, sample_resources=False)
    manager.register_health_check(
        HealthCheckConfig(name="redis", dependency_type=DependencyType.CACHE), check
    )
    return manager


class TestRunnerGate:
    """The runner consults the gate between claims."""

    async def test_throttle_stops_claims_journals_and_resumes(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """While throttled nothing is claimed; throttle and release are journaled with the snapshot."""
        check = _Flaky()
        manager = _manager(clock, check)

        async def migrate(item: MigrationItem) -> None:
            if item.key == "item-05":
                check.down_for = 3  # the next three looks fail
            await clock.sleep(0.1)

        gate = HealthThrottle(policy(REDIS_DOWN, check_interval=1.0), manager, clock=clock)
        runner = MigrationRunner(
            store,
            "gated",
            [f"item-{i:02d}" for i in range(20)],
            migrate,
            batch_size=2,
            concurrency=1,
            clock=clock,
            throttle=gate,
        )
        try:
            summary = await drive(runner, clock, runner.run(), step=0.1)
        finally:
            manager.close()
        assert summary.status is MigrationStatus.COMPLETED
        assert summary.succeeded_files == 20
        events = list(store.read_events("gated"))
        kinds = [event.kind for event in events]
        throttled = kinds.index(EventKind.RUN_THROTTLED)
        released = kinds.index(EventKind.RUN_UNTHROTTLED)
        assert throttled < released
        assert EventKind.BATCH_OPENED not in kinds[throttled:released]
        assert "redis unhealthy: ConnectionError: connection refused" in (events[throttled].reason or "")
        assert '"redis":{"error":"ConnectionError' in (events[throttled].error_message or "")
        assert summary.throttled_seconds >= 2.0

    async def test_summary_while_throttled(self, store: JournalStore, clock: FakeClock) -> None:
        """While throttled the ETA's reason is 'throttled' and the summary says why."""
        check = _Flaky()
        manager = _manager(clock, check)
        seen: list[Any] = []

        async def migrate(item: MigrationItem) -> None:
            if item.key == "item-01":
                check.down_for = 2
            await clock.sleep(0.5)

        def progress(summary: Any) -> None:
            if summary.throttle_reason:
                seen.append(summary)

        gate = HealthThrottle(policy(REDIS_DOWN, check_interval=1.0), manager, clock=clock)
        runner = MigrationRunner(
            store,
            "eta",
            [f"item-{i:02d}" for i in range(6)],
            migrate,
            batch_size=2,
            concurrency=1,
            clock=clock,
            throttle=gate,
            on_progress=progress,
            progress_interval=0,
        )
        try:
            await drive(runner, clock, runner.run(), step=0.1)
            during = runner.tracker.get_progress_summary()
        finally:
            manager.close()
        assert during.throttle_reason is None  # released by the end
        assert any(s.eta_unavailable_reason is EtaUnavailableReason.THROTTLED for s in seen)
        assert "redis unhealthy" in (seen[0].throttle_reason or "")
        intervals = runner.tracker.throttle_intervals()
        assert len(intervals) == 1
        assert "redis unhealthy" in intervals.iloc[0]["reason"]

    async def test_abort_after_second_failed_look(self, store: JournalStore, clock: FakeClock) -> None:
        """An abort rule that fires twice in a row fails the run, journaled with the reason."""
        check = _Flaky()
        manager = _manager(clock, check)

        async def migrate(item: MigrationItem) -> None:
            if item.key == "item-02":
                check.down_for = 100
            await clock.sleep(0.5)

        rule = {"name": "gone", "check": "redis", "status": "unhealthy", "action": "abort"}
        gate = HealthThrottle(policy(rule, check_interval=1.0), manager, clock=clock)
        runner = MigrationRunner(
            store,
            "abort",
            [f"item-{i:02d}" for i in range(10)],
            migrate,
            batch_size=2,
            concurrency=1,
            clock=clock,
            throttle=gate,
        )
        try:
            with pytest.raises(ThrottleAbortError, match="aborted on health: redis unhealthy"):
                await drive(runner, clock, runner.run(), step=0.1)
        finally:
            manager.close()
        events = list(store.read_events("abort"))
        assert events[-1].kind is EventKind.RUN_FAILED
        assert "redis unhealthy" in (events[-1].reason or "")
        assert runner.summary().succeeded_files < 10


class TestStatusText:
    """The terminal summary shows the throttle in place of the ETA and how long it held."""

    def test_eta_replaced_by_reason(self, clock: FakeClock) -> None:
        """A throttled run's summary reads 'ETA - (throttled, <reason>)' and a throttle line."""
        from omnimemory_kit.cli.summary_view import eta_text, format_summary
        from omnimemory_kit.events import Event
        from omnimemory_kit.migration.tracker import MigrationProgressTracker

        tracker = MigrationProgressTracker("t", clock=clock)
        tracker.add_file("a")
        t0 = clock.time()
        tracker.apply_many(
            [
                Event(EventKind.RUN_STARTED, at=t0),
                Event(EventKind.RUN_THROTTLED, at=t0 + 1, reason="redis unhealthy", worker_id="w"),
            ]
        )
        clock.advance(5)
        summary = tracker.get_progress_summary()
        assert eta_text(summary) == "ETA - (throttled, redis unhealthy)"
        assert "throttled now: redis unhealthy" in format_summary(summary)
        assert summary.throttled_seconds == pytest.approx(4.0)


class _ManualGate:
    """A gate whose decision the test sets (what a control channel's manual throttle looks like)."""

    def __init__(self, decision: Any) -> None:
        self.first = decision

    async def watch(self, changed: Any) -> None:
        changed(self.first)


class TestCombinedGates:
    """A manual throttle and health throttling compose: throttled while either says so, both named."""

    def test_hold_names_both(self) -> None:
        """Two holding gates give one hold whose reason names both; abort beats hold; slow takes the min."""
        from omnimemory_kit.migration.throttle import GateDecision, combine_decisions

        manual = GateDecision(GateKind.HOLD, "manual throttle")
        health = GateDecision(GateKind.HOLD, "redis unhealthy")
        assert combine_decisions([manual, health]) == GateDecision(
            GateKind.HOLD, "manual throttle; redis unhealthy"
        )
        assert combine_decisions([manual, GateDecision(GateKind.ABORT, "gone")]).kind is GateKind.ABORT
        slow = combine_decisions(
            [GateDecision(GateKind.SLOW, "a", 4, 1.0), GateDecision(GateKind.SLOW, "b", 2, None)]
        )
        assert (slow.concurrency, slow.delay) == (2, 1.0)
        assert combine_decisions([GateDecision(), GateDecision()]).kind is GateKind.PROCEED

    async def test_combined_gate_reports_once_all_answered(self) -> None:
        """The combined gate reports after every gate's first decision, with the combined result."""
        from omnimemory_kit.migration.throttle import CombinedGate, GateDecision

        seen: list[Any] = []
        gate = CombinedGate(_ManualGate(GateDecision(GateKind.HOLD, "manual")), _ManualGate(GateDecision()))
        await gate.watch(seen.append)
        assert seen == [GateDecision(GateKind.HOLD, "manual")]


class TestManualAndHealthReasons:
    """A run held by health rules and an operator at once says both, so lifting one explains the wait."""

    def test_health_alone_keeps_its_own_reason(self) -> None:
        """Without an operator's throttle, the health reason is shown as it is."""
        from omnimemory_kit.migration.throttle import throttle_reason

        assert throttle_reason("redis unhealthy", None) == "redis unhealthy"
        assert throttle_reason(None, None) is None

    def test_an_operator_throttle_is_named_beside_health(self) -> None:
        """With both, the reason names health and the operator, in that order; the operator alone too."""
        from omnimemory_kit.migration.throttle import throttle_reason

        assert (
            throttle_reason("redis unhealthy", "peak hours") == "health: redis unhealthy; manual: peak hours"
        )
        assert throttle_reason(None, "peak hours") == "manual: peak hours"

    def test_a_journaled_operator_throttle_is_named_once(self) -> None:
        """The journal's reason already naming the operator's throttle (mirrored there) is not doubled."""
        from omnimemory_kit.migration.throttle import throttle_reason

        assert throttle_reason("manual: peak hours", "peak hours") == "manual: peak hours"
        assert (
            throttle_reason("redis unhealthy; manual: peak hours", "peak hours")
            == "health: redis unhealthy; manual: peak hours"
        )
