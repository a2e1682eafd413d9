"""The outage gate: store calls ride out an outage, wake together when it ends, give up after the timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, StoreCorruptError, StoreUnavailableError
from omnimemory_kit.migration.outage import OutageGate, format_since

T = TypeVar("T")


class FlakyStore:
    """A store call that fails while ``down`` is set and counts attempts (and attempts at once)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.down = False
        self.attempts = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def call(self) -> str:
        self.attempts += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # a real call takes a moment: others may overlap it
            if self.down:
                raise StoreUnavailableError("store test unavailable: connection refused")
            return "ok"
        finally:
            self.in_flight -= 1


async def drive(
    clock: FakeClock, coro: Coroutine[Any, Any, T], *, step: float = 0.05, until: float = 60
) -> T:
    """Run ``coro`` while advancing the fake clock in small steps, up to ``until`` fake seconds."""
    task = asyncio.ensure_future(coro)
    deadline = clock.monotonic() + until
    while not task.done() and clock.monotonic() < deadline:
        for _ in range(5):
            await asyncio.sleep(0)
        clock.advance(step)
    for _ in range(5):
        await asyncio.sleep(0)
    return await task


class TestPassThrough:
    async def test_answering_store_is_called_once_without_waiting(self, clock: FakeClock) -> None:
        """While the store answers, a call is made once and takes no fake time."""
        store = FlakyStore(clock)
        gate = OutageGate("test", timeout=10, clock=clock)
        assert await gate.call(store.call) == "ok"
        assert store.attempts == 1
        assert clock.monotonic() == 0
        assert gate.unavailable_since is None

    async def test_other_errors_pass_unchanged(self, clock: FakeClock) -> None:
        """Damage is not an outage: it reaches the caller at once, without a retry."""
        gate = OutageGate("test", timeout=10, clock=clock)
        calls = 0

        async def broken() -> None:
            nonlocal calls
            calls += 1
            raise StoreCorruptError("damaged")

        with pytest.raises(StoreCorruptError):
            await gate.call(broken)
        assert calls == 1
        assert gate.unavailable_since is None


class TestRidingOut:
    async def test_call_succeeds_once_the_store_is_back(self, clock: FakeClock) -> None:
        """A call made during an outage gets the answer once the store is back; since is stamped meanwhile."""
        store = FlakyStore(clock)
        store.down = True
        gate = OutageGate("test", timeout=60, clock=clock)
        seen: list[float | None] = []

        async def heal() -> None:
            await clock.sleep(5)
            seen.append(gate.unavailable_since)
            store.down = False

        healer = asyncio.ensure_future(heal())
        assert await drive(clock, gate.call(store.call)) == "ok"
        await healer
        assert seen == [clock.time() - clock.monotonic()]  # since the first failure, at fake time 0
        assert gate.unavailable_since is None
        assert 5 <= clock.monotonic() < 5 + 1.5  # noticed within the capped backoff
        assert store.attempts > 2

    async def test_waiting_callers_probe_one_at_a_time_and_all_finish(self, clock: FakeClock) -> None:
        """Ten callers during an outage never probe the store together; all get the answer once it is back."""
        store = FlakyStore(clock)
        store.down = True
        gate = OutageGate("test", timeout=60, clock=clock)

        async def many() -> list[str]:
            return await asyncio.gather(*(gate.call(store.call) for _ in range(10)))

        async def heal() -> None:
            await clock.sleep(3)
            store.most_in_flight = 0  # count overlap only while riding out
            await clock.sleep(2)
            overlap_while_down.append(store.most_in_flight)
            store.down = False

        overlap_while_down: list[int] = []
        healer = asyncio.ensure_future(heal())
        assert await drive(clock, many()) == ["ok"] * 10
        await healer
        assert overlap_while_down == [1]
        assert clock.monotonic() < 5 + 1.5

    async def test_a_new_outage_after_recovery_is_ridden_out_too(self, clock: FakeClock) -> None:
        """After one outage ends, the next one gets a fresh since stamp and is ridden out as well."""
        store = FlakyStore(clock)
        gate = OutageGate("test", timeout=5, clock=clock)
        for _ in range(3):
            store.down = True

            async def heal() -> None:
                await clock.sleep(3)  # well within the timeout, backoff included
                store.down = False

            healer = asyncio.ensure_future(heal())
            assert await drive(clock, gate.call(store.call)) == "ok"
            await healer
        assert not gate.gave_up


class TestListening:
    async def test_on_change_hears_the_start_and_the_end(self, clock: FakeClock) -> None:
        """on_change gets the since stamp when an outage begins and None when it ends, once each."""
        store = FlakyStore(clock)
        store.down = True
        changes: list[float | None] = []
        gate = OutageGate("test", timeout=60, clock=clock, on_change=changes.append)

        async def heal() -> None:
            await clock.sleep(2)
            store.down = False

        healer = asyncio.ensure_future(heal())
        await drive(clock, gate.call(store.call))
        await healer
        assert changes == [clock.time() - clock.monotonic(), None]

    async def test_a_self_advancing_clock_rides_out_without_being_driven(self) -> None:
        """With an auto-advancing clock the waits jump ahead by themselves (how the fault suite runs)."""
        clock = FakeClock(auto_advance=True)
        gate = OutageGate("test", timeout=60, clock=clock)
        failures = 0

        async def call() -> str:
            nonlocal failures
            if failures < 5:
                failures += 1
                raise StoreUnavailableError("down")
            return "ok"

        assert await gate.call(call) == "ok"
        assert 0 < clock.monotonic() < 60


class TestGivingUp:
    async def test_outage_longer_than_the_timeout_ends_in_one_line(self, clock: FakeClock) -> None:
        """Past the timeout the call raises one line naming since when, the timeout and the reason."""
        store = FlakyStore(clock)
        store.down = True
        gate = OutageGate("pg://db", timeout=10, clock=clock)
        since = clock.time()
        with pytest.raises(StoreUnavailableError) as raised:
            await drive(clock, gate.call(store.call))
        message = str(raised.value)
        assert "\n" not in message
        assert f"unavailable since {format_since(since)}" in message
        assert "outage timeout is 10s" in message
        assert "connection refused" in message
        assert 10 <= clock.monotonic() < 10.2
        assert gate.gave_up

    async def test_after_giving_up_every_call_fails_at_once(self, clock: FakeClock) -> None:
        """Once it gave up, the gate fails later calls without touching the store, until reset."""
        store = FlakyStore(clock)
        store.down = True
        gate = OutageGate("test", timeout=1, clock=clock)
        with pytest.raises(StoreUnavailableError):
            await drive(clock, gate.call(store.call))
        attempts = store.attempts
        store.down = False
        with pytest.raises(StoreUnavailableError, match="outage timeout"):
            await gate.call(store.call)
        assert store.attempts == attempts
        gate.reset()
        assert await gate.call(store.call) == "ok"

    async def test_zero_timeout_gives_up_at_the_first_failure(self, clock: FakeClock) -> None:
        """outage_timeout=0 turns riding out off: the first failure is final."""
        store = FlakyStore(clock)
        store.down = True
        gate = OutageGate("test", timeout=0, clock=clock)
        with pytest.raises(StoreUnavailableError, match="outage timeout is 0s"):
            await gate.call(store.call)
        assert store.attempts == 1

    @pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "10", True])
    def test_bad_timeout_is_refused(self, bad: object) -> None:
        """A negative, infinite, non-numeric or boolean outage timeout is a ConfigError naming it."""
        with pytest.raises(ConfigError, match="outage_timeout"):
            OutageGate("test", timeout=bad)  # type: ignore[arg-type]

    def test_repr_tells_the_state(self, clock: FakeClock) -> None:
        """The repr says whether the store answers and the timeout."""
        assert repr(OutageGate("db", timeout=7, clock=clock)) == "<OutageGate 'db' available timeout=7s>"
