"""Sync checks on lanes: every item checked once, hung checks timed out, slow checks spread out."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.migration.check_threads import run_sync_checks
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation import ValidationTimeout

ITEMS = [MigrationItem(f"k{i:03d}") for i in range(50)]


def timed_out() -> ValidationTimeout:
    return ValidationTimeout("too long")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event hung checks wait on, set at the end so their threads end with the test."""
    event = threading.Event()
    yield event
    event.set()


class TestOutcomes:
    async def test_each_item_once_with_what_it_returned_or_raised(self) -> None:
        """Every item's outcome comes back once: a value as it is, an exception as the outcome."""

        def check(item: MigrationItem) -> object:
            if item.key == "k007":
                raise OSError("unreadable")
            return item.key

        clock = FakeClock(wall_start=1000.0)
        checked = await run_sync_checks(
            check, ITEMS, concurrency=4, limit=None, clock=clock, on_timeout=timed_out
        )
        outcomes = {ITEMS[index].key: outcome for index, outcome, _ in checked}
        assert sorted(outcomes) == [item.key for item in ITEMS]
        assert len(checked) == len(ITEMS)
        assert isinstance(outcomes["k007"], OSError)
        assert outcomes["k008"] == "k008"
        assert {at for _, _, at in checked} == {1000.0}

    async def test_the_callers_context_reaches_the_check(self) -> None:
        """The check runs in a copy of the caller's context (correlation ids reach its logs)."""
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
        var.set("the caller's")
        checked = await run_sync_checks(
            lambda item: var.get(),
            ITEMS[:3],
            concurrency=2,
            limit=None,
            clock=FakeClock(),
            on_timeout=timed_out,
        )
        assert [outcome for _, outcome, _ in checked] == ["the caller's"] * 3


class TestTimeouts:
    async def test_a_hung_check_times_out_and_the_rest_are_checked(self, release: threading.Event) -> None:
        """A check past the limit (the clock's time) is its item's timeout; a new lane checks the rest."""
        clock = FakeClock()
        hung: list[threading.Thread] = []
        started = threading.Event()

        def check(item: MigrationItem) -> bool:
            if item.key == "k002":
                hung.append(threading.current_thread())
                started.set()
                release.wait()
            return True  # for k002: dropped, its item has timed out already

        checking = asyncio.ensure_future(
            run_sync_checks(check, ITEMS, concurrency=1, limit=3600.0, clock=clock, on_timeout=timed_out)
        )
        assert await asyncio.to_thread(started.wait, 20)
        assert not checking.done()
        clock.advance(3600.0)  # an hour of the clock's time, none of the wall's
        checked = await asyncio.wait_for(checking, 20)
        outcomes = {ITEMS[index].key: outcome for index, outcome, _ in checked}
        assert len(checked) == len(ITEMS)
        assert isinstance(outcomes.pop("k002"), ValidationTimeout)
        assert set(outcomes.values()) == {True}
        release.set()  # the abandoned lane's late result changes nothing
        hung[0].join(10)
        assert not hung[0].is_alive()
        assert len(checked) == len(ITEMS)

    async def test_a_check_within_the_limit_is_not_timed_out(self, release: threading.Event) -> None:
        """Time the clock has not seen does not count: a slow check inside the limit is its own outcome."""
        clock = FakeClock()
        started = threading.Event()

        def check(item: MigrationItem) -> str:
            started.set()
            release.wait()
            return "checked"

        checking = asyncio.ensure_future(
            run_sync_checks(check, ITEMS[:1], concurrency=1, limit=10.0, clock=clock, on_timeout=timed_out)
        )
        assert await asyncio.to_thread(started.wait, 20)
        clock.advance(9.0)
        await asyncio.sleep(0)
        assert not checking.done()
        release.set()
        checked = await asyncio.wait_for(checking, 20)
        assert [outcome for _, outcome, _ in checked] == ["checked"]


class TestLanes:
    async def test_checks_that_wait_get_the_whole_concurrency(self) -> None:
        """Checks still running after the spread (clock time) run side by side, up to the concurrency."""
        clock = FakeClock()
        barrier = threading.Barrier(4, timeout=20)  # passes only when four checks wait at once
        started = threading.Event()

        def check(item: MigrationItem) -> int:
            started.set()
            return barrier.wait()

        checking = asyncio.ensure_future(
            run_sync_checks(
                check, ITEMS[:4], concurrency=4, limit=None, clock=clock, on_timeout=timed_out, spread=60.0
            )
        )
        assert await asyncio.to_thread(started.wait, 20)
        clock.advance(60.0)  # the first check is still running at the end of the spread: lanes join it
        checked = await asyncio.wait_for(checking, 20)
        assert sorted(outcome for _, outcome, _ in checked) == [0, 1, 2, 3]  # type: ignore[type-var]

    async def test_checks_done_within_the_spread_time_use_one_thread(self) -> None:
        """Quick checks are all made by the first lane: no thread per check or per slot."""
        threads: set[int] = set()

        def check(item: MigrationItem) -> bool:
            threads.add(threading.get_ident())
            return True

        await run_sync_checks(
            check, ITEMS, concurrency=8, limit=None, clock=FakeClock(), on_timeout=timed_out, spread=30.0
        )
        assert len(threads) == 1


class TestStop:
    async def test_a_stop_lets_no_lane_take_a_further_item(self) -> None:
        """Once ``stop`` is set the lanes take no further item: the check in flight ends, the rest is left."""
        stop = asyncio.Event()

        def check(item: MigrationItem) -> bool:
            if item.key == "k002":
                stop.set()  # nobody waits on it: only its flag flips (as the loop would set it)
            return True

        checked = await run_sync_checks(
            check, ITEMS, concurrency=1, limit=None, clock=FakeClock(), on_timeout=timed_out, stop=stop
        )
        assert sorted(ITEMS[index].key for index, _, _ in checked) == ["k000", "k001", "k002"]

    async def test_a_cancelled_caller_keeps_what_was_checked(self, release: threading.Event) -> None:
        """Cancelling the caller stops the lanes; ``results`` holds the outcomes recorded until then."""
        results: list[tuple[int, object, float]] = []
        hung = threading.Event()

        def check(item: MigrationItem) -> bool:
            if item.key == "k003":
                hung.set()
                release.wait()
            return True

        checks = asyncio.ensure_future(
            run_sync_checks(
                check,
                ITEMS,
                concurrency=1,
                limit=None,
                clock=FakeClock(),
                on_timeout=timed_out,
                results=results,
            )
        )
        await asyncio.to_thread(hung.wait)
        checks.cancel()
        with pytest.raises(asyncio.CancelledError):
            await checks
        release.set()
        assert sorted(ITEMS[index].key for index, _, _ in results) == ["k000", "k001", "k002"]
