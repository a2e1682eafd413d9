"""A worker's Prometheus metrics: fed by a real run, served over HTTP, parsed with prometheus_client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.metrics import METRIC_NAMES, RunMetrics
from omnimemory_kit.migration.metrics_server import MetricsServer
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.resilience import CircuitBreakerConfig, RetryPolicy
from omnimemory_kit.store import JournalStore, open_store
from tests.migration.test_runner import drive

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A real SQLite journal stamped by the fake clock."""
    journal = open_store(f"sqlite:///{tmp_path / 'journal.db'}", clock=clock)
    yield journal
    journal.close()


@pytest.fixture
def metrics() -> Iterator[tuple[RunMetrics, MetricsServer]]:
    """Metrics served on a free port of 127.0.0.1."""
    run_metrics = RunMetrics()
    with MetricsServer(run_metrics.registry, 0) as server:
        yield run_metrics, server


def scrape(server: MetricsServer) -> Samples:
    """Fetch /metrics and parse it: (sample name, labels) -> value."""
    text = httpx.get(server.url, timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """Return the one sample called ``name`` whose labels include ``labels``."""
    (found,) = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    return found


def make(store: JournalStore, clock: FakeClock, fn: Any, n: int, **kw: Any) -> MigrationRunner:
    """Build a runner over n keys."""
    kw.setdefault("retry", RetryPolicy(max_attempts=1))
    kw.setdefault("batch_size", 3)
    kw.setdefault("concurrency", 2)
    keys = [f"item-{i:02d}" for i in range(n)]
    return MigrationRunner(store, "run", IterableSource(keys), fn, clock=clock, **kw)


class TestCountersMatchTheJournal:
    """After a run the counters equal what the journal holds for this worker."""

    async def test_outcomes_retries_and_attempts(
        self, store: JournalStore, clock: FakeClock, metrics: tuple[RunMetrics, MetricsServer]
    ) -> None:
        """Succeeded, failed, skipped, retried and attempt counts scraped equal the journal's."""
        run_metrics, server = metrics
        tries: dict[str, int] = {}

        async def fn(item: MigrationItem) -> None:
            tries[item.key] = tries.get(item.key, 0) + 1
            number = int(item.key[-2:])
            if number % 5 == 0:
                raise ValueError("always bad")
            if number % 3 == 0 and tries[item.key] == 1:
                raise ConnectionError("flaky")

        policy = RetryPolicy(max_attempts=2, base_delay=0.1, jitter="none")
        runner = make(store, clock, fn, 20, retry=policy, metrics=run_metrics)
        summary = await drive(runner, clock, runner.run())
        samples = scrape(server)
        journal = list(store.read_events("run"))
        labels = {"run_id": "run", "worker": runner.worker_id}

        def count(kind: EventKind) -> int:
            return sum(1 for e in journal if e.kind is kind and e.worker_id == runner.worker_id)

        assert value(samples, "omnimemory_migration_items_total", outcome="succeeded", **labels) == count(
            EventKind.FILE_SUCCEEDED
        )
        assert value(samples, "omnimemory_migration_items_total", outcome="failed", **labels) == count(
            EventKind.FILE_FAILED
        )
        assert value(samples, "omnimemory_migration_retries_total", **labels) == count(EventKind.FILE_RETRIED)
        assert count(EventKind.FILE_RETRIED) > 0
        assert count(EventKind.FILE_FAILED) == summary.failed_files == 4
        attempts = value(samples, "omnimemory_migration_attempt_duration_seconds_count", **labels)
        assert attempts == sum(tries.values())
        assert value(samples, "omnimemory_migration_items_in_flight", **labels) == 0

    async def test_calls_refused_by_a_half_open_breaker_are_not_attempts(
        self, store: JournalStore, clock: FakeClock, metrics: tuple[RunMetrics, MetricsServer]
    ) -> None:
        """While a trial call runs in a half-open breaker, a refused call is not observed as an attempt."""
        run_metrics, server = metrics
        calls = 0

        async def fn(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1
            if calls <= 2:
                raise ConnectionError("down")
            if calls == 3:  # the trial call: slow, so the other item is refused meanwhile
                await clock.sleep(1.0)

        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=10.0, half_open_max_calls=1)
        runner = make(store, clock, fn, 4, metrics=run_metrics, breaker=config, concurrency=2, batch_size=4)
        summary = await drive(runner, clock, runner.run(), step=0.01)
        assert (summary.failed_files, summary.succeeded_files) == (2, 2)
        observed = value(scrape(server), "omnimemory_migration_attempt_duration_seconds_count")
        assert observed == calls == 4

    def test_every_documented_metric_is_exposed(self, metrics: tuple[RunMetrics, MetricsServer]) -> None:
        """Each name in METRIC_NAMES appears in a scrape, even before a run."""
        _, server = metrics
        names = {name for name, _ in scrape(server)}
        for name in METRIC_NAMES:
            assert name in names or f"{name}_count" in names, name


class TestLiveState:
    """Gauges follow the run while it goes on."""

    async def test_in_flight_paused_and_lease_renewals(
        self, store: JournalStore, clock: FakeClock, metrics: tuple[RunMetrics, MetricsServer]
    ) -> None:
        """A blocked item shows in flight; heartbeats count renewals; a pause shows with its reason."""
        run_metrics, server = metrics
        started, release = asyncio.Event(), asyncio.Event()

        async def fn(item: MigrationItem) -> None:
            started.set()
            await release.wait()

        runner = make(store, clock, fn, 1, metrics=run_metrics, lease_seconds=3.0, progress_interval=0.0)
        task = asyncio.ensure_future(runner.run())
        await started.wait()
        await runner.store_idle()
        labels = {"run_id": "run", "worker": runner.worker_id}
        assert value(scrape(server), "omnimemory_migration_items_in_flight", **labels) == 1
        for _ in range(3):  # three heartbeats (every lease_seconds / 3)
            clock.advance(1.0)
            await asyncio.sleep(0)
            await runner.store_idle()
            await asyncio.sleep(0)
        assert value(scrape(server), "omnimemory_migration_lease_renewals_total", **labels) == 3
        runner.pause()
        for _ in range(20):  # the pause is journaled, then reported: a few turns of the loop
            await runner.store_idle()
            await asyncio.sleep(0)
        assert value(scrape(server), "omnimemory_migration_paused", reason="paused", **labels) == 1
        runner.resume()
        release.set()
        await drive(runner, clock, task)
        assert value(scrape(server), "omnimemory_migration_paused", reason="", **labels) == 0

    async def test_a_lost_lease_is_counted_once(
        self, store: JournalStore, clock: FakeClock, metrics: tuple[RunMetrics, MetricsServer]
    ) -> None:
        """A lease taken back mid-batch counts one loss, and the items still count once each."""
        run_metrics, server = metrics
        runner: MigrationRunner
        stolen = False

        async def work(item: MigrationItem) -> None:
            nonlocal stolen
            if not stolen:
                stolen = True
                store.reclaim("run", worker_id=runner.worker_id)  # as a supervisor declaring us dead would
            await clock.sleep(0.1)

        runner = make(store, clock, work, 8, metrics=run_metrics, batch_size=8)
        summary = await drive(runner, clock, runner.run())
        samples = scrape(server)
        assert value(samples, "omnimemory_migration_lease_losses_total") == 1
        succeeded = value(samples, "omnimemory_migration_items_total", outcome="succeeded")
        assert succeeded == summary.succeeded_files == 8

    async def test_breaker_state_follows_the_breaker(
        self, store: JournalStore, clock: FakeClock, metrics: tuple[RunMetrics, MetricsServer]
    ) -> None:
        """After the breaker trips and recovers the gauge shows it closed again; while open, open."""
        run_metrics, server = metrics
        seen: list[float] = []
        calls = 0

        async def fn(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1
            if calls <= 2:
                raise ConnectionError("down")
            if calls == 3:  # the first call after recovery: the breaker is half open
                seen.append(value(scrape(server), "omnimemory_migration_breaker_state", state="half_open"))

        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=10.0)
        runner = make(store, clock, fn, 3, metrics=run_metrics, breaker=config, concurrency=1)
        await drive(runner, clock, runner.run())
        assert seen == [1.0]
        samples = scrape(server)
        assert value(samples, "omnimemory_migration_breaker_state", state="closed") == 1
        # calls refused while the breaker was open are not attempts
        assert value(samples, "omnimemory_migration_attempt_duration_seconds_count") == calls


class TestServer:
    """The endpoint binds 127.0.0.1 by default and refuses a port it cannot have, clearly."""

    def test_binds_loopback_by_default(self, metrics: tuple[RunMetrics, MetricsServer]) -> None:
        """Without a host the server listens on 127.0.0.1 only."""
        _, server = metrics
        assert server.host == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}/metrics"

    def test_a_port_in_use_is_a_config_error_naming_it(self) -> None:
        """A taken port ends in one ConfigError naming the option, the address and why."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(
                ConfigError, match=rf"--metrics-port {port}: cannot listen on 127.0.0.1:{port}"
            ):
                MetricsServer(RunMetrics().registry, port, field="--metrics-port")

    @pytest.mark.parametrize("port", [-1, 70000, True])
    def test_an_impossible_port_is_refused(self, port: int) -> None:
        """A port outside 0..65535 is refused before anything listens."""
        with pytest.raises(ConfigError, match="must be a port number"):
            MetricsServer(RunMetrics().registry, port)
