"""check_items: one verdict per item, the concurrency only for checks that wait, hung checks timed out."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from omnimemory_kit import MigrationRunner
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import MAX_ERROR_MESSAGE, Event, EventKind, ItemRun
from omnimemory_kit.migration.detachable import detached
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation import Mismatch, check_items, verdict_of
from omnimemory_kit.migration.validation_checks import check_into
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.migration.validation_verdicts import MAX_REASON, Verdicts
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import WorkItem

WORKS = [WorkItem(f"k{i:03d}", i) for i in range(40)]
ROOT = Path(__file__).resolve().parents[2]


async def nothing(item: MigrationItem) -> None:
    """A migration with nothing to do."""


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


class Unprintable:
    """An object whose ``str()`` and ``repr()`` both raise."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:
        raise RuntimeError("no str")


class TestOddVerdicts:
    async def test_a_mismatch_of_odd_objects_is_kept_as_text(self) -> None:
        """A Mismatch whose detail is a set and whose expected/actual are bytes and an unprintable object
        is still a mismatch: the detail as its text, expected/actual as JSON text, nothing raised."""

        async def check(item: MigrationItem) -> object:
            return Mismatch({1, 2}, expected=b"\x00\xff", actual=Unprintable())  # type: ignore[arg-type]

        (verdict,) = await check_items(check, WORKS[:1], resolve, concurrency=1, limit=5, clock=FakeClock())
        assert verdict.kind is EventKind.ITEM_MISMATCHED
        assert verdict.error_message == "{1, 2}"
        assert verdict.reason is not None
        assert json.loads(verdict.reason) == {
            "expected": "b'\\x00\\xff'",
            "actual": "<unprintable Unprintable>",
        }

    @pytest.mark.parametrize(
        "expected",
        [
            {("a", 1): "tuple keys"},  # json.dumps refuses such keys
            "x" * 100_000,  # far too long to keep whole
        ],
    )
    async def test_expected_json_cannot_hold_or_too_long_is_bounded_text(self, expected: object) -> None:
        """An expected value JSON cannot hold, or one too long, is kept as cut text; the verdict is made."""
        outcome = Mismatch("differs", expected=expected, actual=1)
        verdict = verdict_of("k", outcome, 1.0)
        assert verdict.kind is EventKind.ITEM_MISMATCHED
        assert verdict.reason is not None
        assert len(verdict.reason) <= MAX_REASON
        data = json.loads(verdict.reason)
        assert isinstance(data["expected"], str)
        assert data["actual"] == 1

    def test_a_huge_detail_is_cut(self) -> None:
        """A detail of a megabyte is cut to the message limit, marked as cut."""
        verdict = verdict_of("k", Mismatch("y" * 1_000_000), 1.0)
        assert verdict.error_message is not None
        assert len(verdict.error_message) == MAX_ERROR_MESSAGE
        assert verdict.error_message.endswith("…")

    def test_an_exception_that_cannot_say_what_it_is_still_is_an_error(self) -> None:
        """An exception whose str() and repr() raise is an error verdict naming its type."""

        class Broken(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no str")

            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        verdict = verdict_of("k", Broken(), 1.0)
        assert verdict.kind is EventKind.ITEM_VALIDATION_ERROR
        assert verdict.error_message == "<unprintable Broken>"
        assert verdict.error_type is not None
        assert verdict.error_type.endswith("Broken")

    async def test_odd_verdicts_reach_the_journal_and_the_table(self, tmp_path: Path) -> None:
        """A separate pass whose check returns odd mismatches journals them: the table shows their text."""
        with open_store(tmp_path / "s.db") as store:
            await MigrationRunner(store, "r1", ["a", "b"], nothing).run()

            async def check(item: MigrationItem) -> object:
                return Mismatch(Unprintable(), expected={1, 2}, actual=Unprintable())  # type: ignore[arg-type]

            summary = await validate_run(store, "r1", check, clock=FakeClock())
        assert summary.mismatched == 2
        row = summary.mismatches[0]
        assert (row.detail, row.expected, row.actual) == (
            "<unprintable Unprintable>",
            "{1, 2}",
            "<unprintable Unprintable>",
        )


class Stop(BaseException):
    """A BaseException of the check's own (not an Exception, not a cancellation)."""


class TestBaseExceptions:
    @pytest.mark.parametrize("limit", [None, 5.0])
    @pytest.mark.parametrize(
        ("raised", "named"),
        [
            (SystemExit(3), "SystemExit: 3"),
            (KeyboardInterrupt(), "KeyboardInterrupt"),
            (GeneratorExit(), "GeneratorExit"),
            (Stop("halt"), "Stop: halt"),
        ],
    )
    async def test_a_check_raising_a_base_exception_is_that_items_error(
        self, limit: float | None, raised: BaseException, named: str
    ) -> None:
        """A check raising SystemExit, KeyboardInterrupt, GeneratorExit or another BaseException gives its
        item an error naming the exception; the other items are checked."""

        async def check(item: MigrationItem) -> bool:
            if item.key == "k002":
                raise raised
            await asyncio.sleep(0)
            return True

        verdicts = await check_items(check, WORKS[:6], resolve, concurrency=2, limit=limit, clock=FakeClock())
        assert len(verdicts) == 6
        errors = [(v.path, v.error_message) for v in verdicts if v.kind is EventKind.ITEM_VALIDATION_ERROR]
        assert errors == [("k002", named)]

    @pytest.mark.parametrize("limit", [None, 5.0])
    async def test_a_check_raising_cancelled_error_of_its_own_is_an_error(self, limit: float | None) -> None:
        """A check that raises CancelledError while nobody cancels the pass is its item's error."""

        async def check(item: MigrationItem) -> bool:
            if item.key == "k001":
                raise asyncio.CancelledError
            return True

        verdicts = await check_items(check, WORKS[:3], resolve, concurrency=1, limit=limit, clock=FakeClock())
        kinds = {v.path: v.kind for v in verdicts}
        assert kinds == {
            "k000": EventKind.ITEM_VALIDATED,
            "k001": EventKind.ITEM_VALIDATION_ERROR,
            "k002": EventKind.ITEM_VALIDATED,
        }

    async def test_a_real_cancel_without_a_limit_still_propagates(self) -> None:
        """Cancelling the pass (no time limit) cancels it; no verdict is invented for the check in flight."""
        started = asyncio.Event()
        found: list[Event] = []

        async def check(item: MigrationItem) -> bool:
            started.set()
            await asyncio.Event().wait()
            return True

        pass_ = asyncio.ensure_future(
            check_items(check, WORKS, resolve, concurrency=2, limit=None, clock=FakeClock(), found=found)
        )
        await started.wait()
        pass_.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pass_
        assert found == []


class TestSwallowedCancellation:
    async def test_a_check_that_ignores_its_time_limit_is_detached_and_an_error_once(self) -> None:
        """A check that catches its cancellation and goes on is given up after the grace: its item is an
        error once, the others are checked, and what it returns later is dropped."""
        release = asyncio.Event()

        async def check(item: MigrationItem) -> bool:
            if item.key == "k003":
                while not release.is_set():
                    with contextlib.suppress(asyncio.CancelledError):  # swallowed: goes on
                        await release.wait()
            await asyncio.sleep(0)
            return True

        verdicts = await asyncio.wait_for(
            check_items(check, WORKS[:10], resolve, concurrency=2, limit=0.05, clock=FakeClock()), 30
        )
        assert sorted(v.path for v in verdicts if v.path) == [w.key for w in WORKS[:10]]
        errors = [(v.path, v.error_message) for v in verdicts if v.kind is EventKind.ITEM_VALIDATION_ERROR]
        assert errors == [("k003", "validation took longer than 0.05 s and did not stop when cancelled")]
        (left,) = detached()
        release.set()
        await asyncio.wait_for(asyncio.shield(left), 30)  # it ends now, and adds nothing
        assert len(verdicts) == 10
        assert not detached()

    async def test_a_cancelled_pass_stops_although_a_check_ignores_it(self) -> None:
        """Cancelling a pass whose check swallows the cancellation still ends it (after the grace); the
        check in flight gets no verdict."""
        started, release = asyncio.Event(), asyncio.Event()
        found: list[Event] = []

        async def check(item: MigrationItem) -> bool:
            if item.key == "k001":
                started.set()
                while not release.is_set():
                    with contextlib.suppress(asyncio.CancelledError):
                        await release.wait()
            return True

        pass_ = asyncio.ensure_future(
            check_items(
                check,
                WORKS[:3],
                resolve,
                concurrency=1,
                limit=3600,
                clock=FakeClock(),
                found=found,
                grace=0.01,
            )
        )
        await started.wait()
        pass_.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(pass_, 30)
        assert [v.path for v in found] == ["k000"]
        (left,) = detached()
        release.set()
        await asyncio.wait_for(asyncio.shield(left), 30)
        assert [v.path for v in found] == ["k000"]

    def test_the_process_ends_although_a_check_never_stops(self) -> None:
        """A check that swallows every cancellation forever neither holds up the pass nor the loop's end."""
        code = textwrap.dedent(
            """
            import asyncio
            from omnimemory_kit.clock import FakeClock
            from omnimemory_kit.migration.sources import MigrationItem
            from omnimemory_kit.migration.validation import check_items
            from omnimemory_kit.store.base import WorkItem

            async def check(item):
                while True:
                    try:
                        await asyncio.sleep(3600)
                    except asyncio.CancelledError:
                        pass

            async def main():
                works = [WorkItem("a", 0)]
                verdicts = await check_items(
                    check, works, lambda w: MigrationItem(w.key, w.size), concurrency=1, limit=0.05,
                    clock=FakeClock(),
                )
                print(verdicts[0].error_message)

            asyncio.run(main())
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "validation took longer than 0.05 s and did not stop when cancelled"


class TestCollectedVerdicts:
    """``check_into``: the valid verdicts as keys and times (journaled as one run), the others as events."""

    @pytest.mark.parametrize("limit", [None, 60.0])
    @pytest.mark.parametrize("sync", [False, True])
    async def test_valid_ones_as_keys_the_others_as_events(self, sync: bool, limit: float | None) -> None:
        clock = FakeClock(wall_start=5.0)

        def judge(item: MigrationItem) -> object:
            clock.advance(1.0)  # each check ends a second after the one before
            if item.key == "k001":
                return Mismatch("differs", expected=1, actual=2)
            if item.key == "k002":
                raise OSError("unreadable")
            return None if item.size % 2 else True

        async def check(item: MigrationItem) -> object:
            return judge(item)

        verdicts = await check_into(
            Verdicts("w1"), judge if sync else check, WORKS, resolve, concurrency=1 if sync else 8,
            limit=limit, clock=clock,
        )  # fmt: skip
        assert len(verdicts) == len(WORKS)
        valid = [w.key for w in WORKS if w.key not in ("k001", "k002")]
        assert verdicts.valid == valid
        assert verdicts.ats == sorted(verdicts.ats)
        assert len(set(verdicts.ats)) == len(valid)
        assert [(e.kind, e.path) for e in verdicts.others] == [
            (EventKind.ITEM_MISMATCHED, "k001"),
            (EventKind.ITEM_VALIDATION_ERROR, "k002"),
        ]
        run, *others = verdicts.journal()
        assert isinstance(run, ItemRun)
        assert (run.kind, run.keys, run.ats, run.at, run.worker_id) == (
            EventKind.ITEM_VALIDATED, valid, verdicts.ats, max(verdicts.ats), "w1"
        )  # fmt: skip
        assert others == verdicts.others
        events = verdicts.events()  # in the order the checks ended (here: one after another, a second apart)
        assert events == sorted(run.events() + verdicts.others, key=lambda e: e.at)
        assert [e.at for e in events] == sorted({e.at for e in events})
        assert [(e.path, e.worker_id) for e in events] == [(w.key, "w1") for w in WORKS]

    async def test_stopped_midway_only_the_checked_are_collected(self) -> None:
        stop = asyncio.Event()

        async def check(item: MigrationItem) -> None:
            if item.key == "k004":
                stop.set()

        verdicts = await check_into(
            Verdicts(), check, WORKS, resolve, concurrency=1, limit=60.0, clock=FakeClock(), stop=stop
        )
        assert verdicts.valid == [w.key for w in WORKS[:5]]
        assert verdicts.journal()[0] == ItemRun(
            EventKind.ITEM_VALIDATED, 0.0 if not verdicts.ats else max(verdicts.ats), verdicts.valid,
            ats=verdicts.ats,
        )  # fmt: skip

    def test_nothing_checked_journals_nothing(self) -> None:
        assert Verdicts().journal() == []
        assert Verdicts().events() == []
