"""Many workers, one health evaluation per interval: the evaluator records it in the store, the rest obey."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import HealthManager
from omnimemory_kit.health.models import CheckResult, DependencyType, HealthCheckConfig
from omnimemory_kit.migration.throttle import GateKind, HealthThrottle, ThrottlePolicy, ThrottleRule
from omnimemory_kit.migration.throttle_shared import SharedHealthThrottle
from omnimemory_kit.store import JournalStore, open_store
from omnimemory_kit.store.base import RunRecord

INTERVAL = 5.0
HOST = socket.gethostname()


class Dependency:
    """A health check shared by every worker's manager, counting how often it really runs."""

    def __init__(self) -> None:
        self.calls = 0
        self.down = False

    async def __call__(self) -> CheckResult:
        self.calls += 1
        return CheckResult.unhealthy("down") if self.down else CheckResult.healthy()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A SQLite store on the fake clock with one run and two workers of this process."""
    journal = open_store(f"sqlite:///{tmp_path / 'shared.db'}", clock=clock)
    journal.create_run(RunRecord(run_id="shared", name="shared"))
    for worker in ("w-1", "w-2"):
        journal.register_worker("shared", worker, host=HOST, pid=os.getpid())
    try:
        yield journal
    finally:
        journal.close()


def gate(store: JournalStore, clock: FakeClock, dependency: Dependency, worker: str) -> SharedHealthThrottle:
    """Return one worker's shared gate over its own manager."""
    manager = HealthManager(clock=clock, sample_resources=False)
    manager.register_health_check(
        HealthCheckConfig(name="dep", dependency_type=DependencyType.CACHE), dependency
    )
    rule = ThrottleRule(name="dep down", check="dep", status="degraded")
    policy = ThrottlePolicy(rules=(rule,), check_interval=INTERVAL)
    return SharedHealthThrottle(HealthThrottle(policy, manager, clock=clock), store, "shared", worker)


class TestOneEvaluationPerInterval:
    """Two workers share one evaluation per interval, and both obey it."""

    async def test_checks_run_once_per_interval(self, store: JournalStore, clock: FakeClock) -> None:
        """Over six intervals the check runs six times, by the evaluator only; both hold when it fails."""
        dependency = Dependency()
        first, second = gate(store, clock, dependency, "w-1"), gate(store, clock, dependency, "w-2")
        for interval in range(6):
            dependency.down = interval >= 4
            decisions = [await first.decide(), await second.decide()]
            expected = GateKind.HOLD if dependency.down else GateKind.PROCEED
            assert [d.kind for d in decisions] == [expected, expected]
            clock.advance(INTERVAL)
        assert dependency.calls == 6
        assert (first.evaluated, first.followed, second.evaluated, second.followed) == (6, 0, 0, 6)
        first.inner.manager.close()
        second.inner.manager.close()

    async def test_follower_evaluates_when_the_evaluator_is_silent(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Without a record younger than two intervals the follower runs the checks itself."""
        dependency = Dependency()
        first, second = gate(store, clock, dependency, "w-1"), gate(store, clock, dependency, "w-2")
        await first.decide()
        clock.advance(INTERVAL)
        await second.decide()
        assert second.followed == 1
        clock.advance(3 * INTERVAL)  # the evaluator stopped deciding
        assert (await second.decide()).kind is GateKind.PROCEED
        assert second.evaluated == 1
        assert dependency.calls == 2
        first.inner.manager.close()
        second.inner.manager.close()


class TestRunnerBindsTheGate:
    """A runner hands a file's gate its store, run and worker id, so the gate shares its evaluation."""

    async def test_gate_bound_by_runner(self, store: JournalStore, clock: FakeClock, tmp_path: Path) -> None:
        """After a gated run the file's gate evaluated through a SharedHealthThrottle of that worker."""
        from omnimemory_kit.health.config import parse_health_config
        from omnimemory_kit.migration.runner import MigrationRunner
        from omnimemory_kit.migration.sources import MigrationItem
        from omnimemory_kit.migration.throttle_shared import HealthConfigGate
        from tests.migration.test_runner import drive

        async def ok(item: MigrationItem) -> None:
            await clock.sleep(0.1)

        config = parse_health_config(
            {
                "check": [{"name": "here", "type": "path", "path": str(tmp_path)}],
                "throttle": {
                    "check_interval": 1,
                    "rule": [{"name": "ro", "check": "here", "status": "unhealthy"}],
                },
            }
        )
        gate = HealthConfigGate(config, clock=clock)
        runner = MigrationRunner(
            store,
            "bound",
            [f"k{i}" for i in range(4)],
            ok,
            batch_size=2,
            concurrency=1,
            clock=clock,
            throttle=gate,
            worker_id="w-9",
        )
        summary = await drive(runner, clock, runner.run(), step=0.1)
        assert summary.succeeded_files == 4
        assert isinstance(gate.shared, SharedHealthThrottle)
        assert (gate.shared.run_id, gate.shared.worker_id) == ("bound", "w-9")
        assert gate.shared.evaluated >= 1
        assert gate.shared.followed == 0
