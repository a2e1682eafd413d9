"""HeartbeatSender: a long job's heartbeats, now, periodically and at the end, and never its failure."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import HealthConfigError, StoreUnavailableError
from omnimemory_kit.health import HealthStatus
from omnimemory_kit.health.checks import PushCheck
from omnimemory_kit.health.heartbeats import HeartbeatSender
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import HeartbeatRow, Store


class FaultyStore:
    """A real store whose heartbeat writes can be made to fail or to hang (failure injection)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.failing = False
        self.release = threading.Event()
        self.release.set()

    def record_heartbeat(self, name: str, at: float, message: str | None = None) -> None:
        self.release.wait(30)  # a hung write, until the test releases it
        if self.failing:
            raise StoreUnavailableError("database is locked")
        self.store.record_heartbeat(name, at, message)

    def last_heartbeat(self, name: str) -> HeartbeatRow | None:
        return self.store.last_heartbeat(name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store file (heartbeats are written from threads)."""
    with open_store(f"sqlite:///{tmp_path / 'health.db'}") as made:
        yield made


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) for a write running in the sender's own thread to land."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the heartbeat thread did not finish"
        await asyncio.sleep(0.001)


def sent(sender: HeartbeatSender) -> Callable[[], bool]:
    return lambda: sender.statistics().sent + sender.statistics().failed >= 1


class TestSending:
    async def test_first_heartbeat_at_once_then_every_period(self, store: Store, clock: FakeClock) -> None:
        """One heartbeat on start, one more each time `every` seconds pass, each with the message of then."""
        done = [0]
        sender = HeartbeatSender(store, "nightly", every=10, message=lambda: f"{done[0]} done", clock=clock)
        await sender.start()
        await until(lambda: sender.statistics().sent == 1)
        first = store.last_heartbeat("nightly")
        done[0] = 7
        clock.advance(10)
        await until(lambda: sender.statistics().sent == 2)
        second = store.last_heartbeat("nightly")
        await sender.aclose()
        assert first is not None
        assert second is not None
        assert (first.message, first.at) == ("0 done", clock.time() - 10)
        assert (second.message, second.at, second.beats) == ("7 done", clock.time(), 2)

    async def test_final_heartbeat_carries_the_outcome_and_the_loop_stops(
        self, store: Store, clock: FakeClock
    ) -> None:
        """aclose(final=...) records one last heartbeat with that text; no periodic one follows."""
        sender = HeartbeatSender(store, "nightly", every=10, clock=clock)
        await sender.start()
        await until(lambda: sender.statistics().sent == 1)
        clock.advance(3)
        await sender.aclose(final="completed: 274 succeeded")
        clock.advance(100)
        await asyncio.sleep(0)
        beat = store.last_heartbeat("nightly")
        assert beat is not None
        assert (beat.message, beat.at, beat.beats) == ("completed: 274 succeeded", clock.time() - 100, 2)
        assert sender.statistics().sent == 2

    async def test_the_heartbeats_keep_a_push_check_healthy_until_they_stop(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A push check reading the store is healthy while the sender runs, unhealthy max_age after."""
        check = PushCheck("nightly", 30, store=store, clock=clock)
        async with HeartbeatSender(store, "nightly", every=15, clock=clock) as sender:
            await until(lambda: sender.statistics().sent == 1)
            for beats in (2, 3):
                clock.advance(15)
                await until(lambda n=beats: sender.statistics().sent == n)  # type: ignore[misc]
            assert (await check()).status is HealthStatus.HEALTHY
        clock.advance(31)
        assert (await check()).status is HealthStatus.UNHEALTHY

    async def test_a_url_is_opened_without_creating_and_closed(
        self, tmp_path: Path, clock: FakeClock
    ) -> None:
        """Given a URL, the sender opens the existing store on its first heartbeat and closes it."""
        url = f"sqlite:///{tmp_path / 'health.db'}"
        open_store(url).close()
        sender = HeartbeatSender(url, "nightly", clock=clock)
        await sender.aclose(final="ok")
        with open_store(url, read_only=True) as reader:
            beat = reader.last_heartbeat("nightly")
        assert beat is not None
        assert beat.message == "ok"


class TestFailures:
    async def test_a_failing_store_is_reported_once_and_recovery_too(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Writes that fail raise nothing; the first failure of a streak and the recovery are reported."""
        faulty = FaultyStore(store)
        faulty.failing = True
        lines: list[str] = []
        sender = HeartbeatSender(faulty, "nightly", every=10, report=lines.append, clock=clock)  # type: ignore[arg-type]
        await sender.start()
        await until(lambda: sender.statistics().failed == 1)
        clock.advance(10)
        await until(lambda: sender.statistics().failed == 2)
        faulty.failing = False
        clock.advance(10)
        await until(lambda: sender.statistics().sent == 1)
        await sender.aclose()
        assert lines == [
            "heartbeat 'nightly' not recorded (database is locked); the job goes on",
            "heartbeat 'nightly' recorded again",
        ]
        assert sender.statistics().last_error == "database is locked"

    async def test_a_hung_write_times_out_and_later_beats_are_skipped_not_queued(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A write that hangs counts as failed after `timeout`; beats due while it hangs are skipped."""
        faulty = FaultyStore(store)
        faulty.release.clear()
        lines: list[str] = []
        sender = HeartbeatSender(
            faulty,  # type: ignore[arg-type]
            "nightly",
            every=10,
            timeout=0.05,  # real seconds: the hung write runs in a real thread
            report=lines.append,
            clock=clock,
        )
        await sender.start()
        await until(lambda: sender.statistics().failed == 1)
        clock.advance(10)
        await until(lambda: sender.statistics().skipped == 1)
        faulty.release.set()
        await sender.aclose(final="done")
        stats = sender.statistics()
        assert (stats.failed, stats.skipped, stats.sent) == (1, 1, 1)
        assert lines[0] == "heartbeat 'nightly' not recorded (timed out); the job goes on"
        beat = store.last_heartbeat("nightly")
        assert beat is not None
        assert beat.message == "done"


class TestBadInput:
    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"name": " "}, "name"),
            ({"every": 0}, "every must be a positive"),
            ({"every": float("nan")}, "every must be a positive"),
            ({"timeout": -1}, "timeout must be a positive"),
        ],
    )
    def test_bad_arguments_are_refused(self, store: Store, kwargs: dict[str, Any], match: str) -> None:
        """An empty name or a period or timeout that is not a positive number is a HealthConfigError."""
        arguments: dict[str, Any] = {"name": "nightly", **kwargs}
        name = arguments.pop("name")
        with pytest.raises(HealthConfigError, match=match):
            HeartbeatSender(store, name, **arguments)

    def test_repr_tells_the_state(self, store: Store) -> None:
        """The repr names the check, the period and the counts."""
        sender = HeartbeatSender(store, "nightly", every=15)
        assert repr(sender) == "<HeartbeatSender 'nightly' idle every=15s sent=0 failed=0 skipped=0>"
