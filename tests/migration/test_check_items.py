"""check_items: one verdict per item, the concurrency only for checks that wait, hung checks timed out."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation import Mismatch, check_items
from omnimemory_kit.store.base import WorkItem

WORKS = [WorkItem(f"k{i:03d}", i) for i in range(40)]


def resolve(work: WorkItem) -> MigrationItem:
    return MigrationItem(work.key, work.size)


class TestVerdicts:
    async def test_one_verdict_per_item_by_what_the_check_said(self) -> None:
        """True or None validates, a Mismatch mismatches, a raise is an error; stamped, with the worker."""

        async def check(item: MigrationItem) -> object:
            if item.key == "k001":
                return Mismatch("differs", expected=1, actual=2)
            if item.key == "k002":
                raise OSError("unreadable")
            return None if item.size % 2 else True

        verdicts = await check_items(
            check, WORKS, resolve, concurrency=8, limit=None, clock=FakeClock(wall_start=5.0), worker_id="w1"
        )
        kinds = {v.path: v.kind for v in verdicts}
        assert len(verdicts) == len(WORKS) == len(kinds)
        assert kinds.pop("k001") is EventKind.ITEM_MISMATCHED
        assert kinds.pop("k002") is EventKind.ITEM_VALIDATION_ERROR
        assert set(kinds.values()) == {EventKind.ITEM_VALIDATED}
        assert {(v.at, v.worker_id) for v in verdicts} == {(5.0, "w1")}

    async def test_a_hung_async_check_is_an_error_at_the_limit(self) -> None:
        """An async check past the limit is its item's error; the others are checked."""

        async def check(item: MigrationItem) -> bool:
            if item.key == "k003":
                await asyncio.Event().wait()
            return True

        verdicts = await asyncio.wait_for(
            check_items(check, WORKS, resolve, concurrency=4, limit=0.05, clock=FakeClock()), 30
        )
        errors = [(v.path, v.error_message) for v in verdicts if v.kind is EventKind.ITEM_VALIDATION_ERROR]
        assert errors == [("k003", "validation took longer than 0.05 s")]
        assert len(verdicts) == len(WORKS)

    async def test_checks_in_turn_past_the_limit_each_time_out_alone(self) -> None:
        """With one checker, hung checks one after another are each stopped at their own limit, and the
        ones between them (ending in time, waiting or not) are validated."""
        hung = {"k001", "k002", "k005"}

        async def check(item: MigrationItem) -> bool:
            if item.key in hung:
                await asyncio.Event().wait()
            await asyncio.sleep(0)  # the others wait a little too
            return True

        verdicts = await asyncio.wait_for(
            check_items(check, WORKS[:8], resolve, concurrency=1, limit=0.02, clock=FakeClock()), 30
        )
        assert [v.path for v in verdicts] == [w.key for w in WORKS[:8]]
        kinds = {v.path: v.kind for v in verdicts}
        assert {k for k, kind in kinds.items() if kind is EventKind.ITEM_VALIDATION_ERROR} == hung

    async def test_a_cancel_from_outside_is_not_taken_for_a_time_limit(self) -> None:
        """Cancelling the caller while a check waits cancels the pass (no verdict invented for it)."""
        started = asyncio.Event()

        async def check(item: MigrationItem) -> bool:
            started.set()
            await asyncio.Event().wait()
            return True

        pass_ = asyncio.ensure_future(
            check_items(check, WORKS, resolve, concurrency=2, limit=3600, clock=FakeClock())
        )
        await started.wait()
        pass_.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pass_


class TestConcurrency:
    async def test_checks_that_wait_run_side_by_side(self) -> None:
        """Once a check waits, checks up to the concurrency are in flight at once."""
        in_flight = 0
        all_in = asyncio.Event()

        async def check(item: MigrationItem) -> bool:
            nonlocal in_flight
            in_flight += 1
            if in_flight == 4:
                all_in.set()
            await all_in.wait()  # passes only when four checks wait at once
            return True

        verdicts = await asyncio.wait_for(
            check_items(check, WORKS[:4], resolve, concurrency=4, limit=None, clock=FakeClock()), 30
        )
        assert len(verdicts) == 4

    async def test_checks_that_never_wait_run_in_one_task(self) -> None:
        """Checks that never give the loop a turn cost one task, not one per check or per slot."""
        caller = asyncio.current_task()
        tasks: set[asyncio.Task[object] | None] = set()

        async def check(item: MigrationItem) -> bool:
            tasks.add(asyncio.current_task())
            return True

        await check_items(check, WORKS, resolve, concurrency=16, limit=None, clock=FakeClock())
        assert len(tasks) == 1
        assert caller not in tasks


CHECKED_BY: contextvars.ContextVar[str] = contextvars.ContextVar("CHECKED_BY", default="nobody")


class TestContext:
    @pytest.mark.parametrize("limit", [None, 30.0])
    @pytest.mark.parametrize("concurrency", [1, 8])
    async def test_a_check_that_sets_a_context_variable_leaks_nothing(
        self, limit: float | None, concurrency: int
    ) -> None:
        """A check that sets a context variable and never resets it leaves the caller's context as it was."""
        CHECKED_BY.set("the caller")
        seen: list[str] = []

        async def check(item: MigrationItem) -> bool:
            seen.append(CHECKED_BY.get())
            CHECKED_BY.set(item.key)  # never reset
            return True

        verdicts = await check_items(
            check, WORKS, resolve, concurrency=concurrency, limit=limit, clock=FakeClock()
        )
        assert len(verdicts) == len(WORKS)
        assert seen[0] == "the caller"  # the check sees the caller's context (ids for its logs)
        assert CHECKED_BY.get() == "the caller"

    async def test_a_sync_check_leaks_nothing_either(self) -> None:
        """A sync check's context changes stay on its lane."""
        CHECKED_BY.set("the caller")

        def check(item: MigrationItem) -> bool:
            CHECKED_BY.set(item.key)
            return True

        await check_items(check, WORKS, resolve, concurrency=4, limit=None, clock=FakeClock())
        assert CHECKED_BY.get() == "the caller"
