"""A health-gated run against a real redis-server of its own, stopped mid-run and started again."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind, MigrationStatus
from omnimemory_kit.health.config import parse_health_config
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.throttle import HealthThrottle
from omnimemory_kit.store import JournalStore, open_store

CHECK_INTERVAL = 0.5


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A throwaway redis-server on its own port (no persistence), started and stopped by the test."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and return once it accepts connections (it says so on stdout)."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                return
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        process, self.process = self.process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, stopped at the end whatever happened."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JournalStore]:
    """A real SQLite journal."""
    journal = open_store(f"sqlite:///{tmp_path / 'run.db'}")
    try:
        yield journal
    finally:
        journal.close()


class TestRedisStoppedMidRun:
    """Redis goes away mid-run and comes back: the run throttles, claims nothing, resumes, ends exact."""

    async def test_throttles_claims_nothing_resumes(
        self, redis_server: RedisServer, store: JournalStore
    ) -> None:
        """Throttled within check_interval + 1 s of the stop, no batch opened while throttled, 30 of 30."""
        config = parse_health_config(
            {
                "check": [{"name": "redis", "type": "redis", "url": redis_server.url, "timeout": 1.0}],
                "throttle": {
                    "check_interval": CHECK_INTERVAL,
                    "rule": [
                        {"name": "redis down", "check": "redis", "status": "degraded", "action": "throttle"}
                    ],
                },
            },
            "health.toml",
        )
        stopped_at: list[float] = []
        throttle_seen = asyncio.Event()
        restarted: list[asyncio.Task[None]] = []

        async def migrate(item: MigrationItem) -> None:
            if item.key == "item-10":
                await asyncio.to_thread(redis_server.stop)
                stopped_at.append(runner.clock.time())
            elif stopped_at and not throttle_seen.is_set():
                await throttle_seen.wait()  # in flight while the throttle begins: it must still finish

        def progress(summary: MigrationProgressSummary) -> None:
            if summary.throttle_reason and not throttle_seen.is_set():
                throttle_seen.set()
                restarted.append(asyncio.ensure_future(asyncio.to_thread(redis_server.start)))

        runner = MigrationRunner(
            store,
            "redis-gated",
            [f"item-{i:02d}" for i in range(30)],
            migrate,
            batch_size=2,
            concurrency=1,
            on_progress=progress,
            progress_interval=0,
        )
        async with HealthThrottle.from_health_config(config, sampler=None) as gate:
            runner.throttle = gate
            summary = await asyncio.wait_for(runner.run(), timeout=30)
        await asyncio.gather(*restarted)

        assert summary.status is MigrationStatus.COMPLETED
        assert (summary.succeeded_files, summary.failed_files, summary.total_files) == (30, 0, 30)
        events = list(store.read_events("redis-gated"))
        kinds = [event.kind for event in events]
        assert kinds.count(EventKind.RUN_THROTTLED) == 1
        assert kinds.count(EventKind.RUN_UNTHROTTLED) == 1
        throttled, released = kinds.index(EventKind.RUN_THROTTLED), kinds.index(EventKind.RUN_UNTHROTTLED)
        assert events[throttled].at - stopped_at[0] <= CHECK_INTERVAL + 1.0
        assert EventKind.BATCH_OPENED not in kinds[throttled:released]
        assert "redis unhealthy" in (events[throttled].reason or "")
        assert kinds.count(EventKind.FILE_SUCCEEDED) == 30
        assert summary.throttled_seconds > 0
