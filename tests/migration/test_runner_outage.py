"""MigrationRunner and a store outage: ridden out by default, given up in one line after outage_timeout.

The store is a real SQLite file behind ``FaultyStore`` (failure injection: calls fail as in an outage);
time is a ``FakeClock`` that advances itself on every sleep, so waiting out an outage takes no real time.
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, StoreUnavailableError
from omnimemory_kit.events import EventKind, MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, SQLiteStore
from tests.faults.faulty_store import FaultyStore

_OUTCOMES = {EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED}


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock that jumps to each sleep's end by itself."""
    return FakeClock(auto_advance=True)


@pytest.fixture
def real(tmp_path: Path, clock: FakeClock) -> Iterator[SQLiteStore]:
    """The real store under the faults."""
    store = SQLiteStore(tmp_path / "j.db", clock=clock)
    yield store
    store.close()


def runner_for(store: JournalStore, clock: FakeClock, fn: Any, **options: Any) -> MigrationRunner:
    """A runner over 20 items in batches of 5."""
    return MigrationRunner(
        store,
        "run",
        [f"item-{n:02d}" for n in range(20)],
        fn,
        batch_size=5,
        concurrency=2,
        retry=RetryPolicy(max_attempts=1),
        clock=clock,
        **options,
    )


def outcomes(store: JournalStore) -> Counter[str | None]:
    """Count the outcome events per item in the journal."""
    return Counter(e.path for e in store.read_events("run") if e.kind in _OUTCOMES)


class TestOptions:
    @pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "600"])
    def test_bad_outage_timeout_is_refused(self, real: SQLiteStore, clock: FakeClock, bad: object) -> None:
        """A negative, infinite or non-numeric outage_timeout is a ConfigError naming it."""

        async def ok(item: MigrationItem) -> None:
            pass

        with pytest.raises(ConfigError, match="outage_timeout"):
            runner_for(real, clock, ok, outage_timeout=bad)


class TestRidingOut:
    async def test_outage_mid_run_is_shown_then_every_outcome_reported_once(
        self, real: SQLiteStore, clock: FakeClock
    ) -> None:
        """Items finished during an outage are reported once it ends; the summary showed it meanwhile."""
        faulty = FaultyStore(real, seed=1)
        shown: list[MigrationProgressSummary] = []
        runner: MigrationRunner

        struck: list[str] = []

        async def work(item: MigrationItem) -> None:
            # The store goes away in the middle of the second batch, once: should the lease lapse during
            # the outage (fake time moves while the store calls back off), item-07 runs again.
            if item.key == "item-07" and not struck:
                struck.append(item.key)
                faulty.outage(30)

        runner = runner_for(faulty, clock, work, on_progress=shown.append)
        summary = await runner.run()
        assert faulty.failures == 30
        assert summary.status is MigrationStatus.COMPLETED
        assert summary.succeeded_files == 20
        assert set(outcomes(real).values()) == {1}
        assert len(outcomes(real)) == 20
        during = [s for s in shown if s.store_unavailable_since is not None]
        assert during  # on_progress was told at once
        assert during[0].store_unavailable_since is not None
        assert summary.store_unavailable_since is None
        assert runner.store_unavailable_since is None

    async def test_outcomes_of_a_lease_lost_meanwhile_are_rejected_and_rerun(
        self, real: SQLiteStore, clock: FakeClock
    ) -> None:
        """An outage longer than the lease: another worker takes the items back, ours run again, once each."""
        faulty = FaultyStore(real, seed=2)
        reclaimed: list[int] = []

        async def work(item: MigrationItem) -> None:
            if item.key == "item-02" and not reclaimed:
                faulty.down = True  # outage: the lease expires meanwhile and is taken back
                clock.advance(120)
                reclaimed.append(real.reclaim("run"))
                faulty.down = False

        # No report before the batch's close (the heartbeats move the fake clock past flush_interval, and
        # whether such a report beat the outage would be a race between threads): all 5 are taken back.
        runner = runner_for(faulty, clock, work, lease_seconds=30, flush_interval=1e9)
        summary = await runner.run()
        assert reclaimed == [5]
        assert summary.succeeded_files == 20
        assert set(outcomes(real).values()) == {1}
        # Each heartbeat's sleep moves this self-advancing clock by a third of the lease, so with a batch
        # claimed ahead a later lease may lapse too (its items then run again, once each, as checked above).
        assert summary.interrupted_count >= 5


class TestGivingUp:
    async def test_outage_past_the_timeout_fails_the_run_in_one_line_with_no_orphaned_task(
        self, real: SQLiteStore, clock: FakeClock
    ) -> None:
        """Past outage_timeout run() raises one line; no task is left with an exception nobody retrieved."""
        faulty = FaultyStore(real, seed=3)
        orphans: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: orphans.append(context))

        broke: list[bool] = []

        async def work(item: MigrationItem) -> None:
            if item.key == "item-07" and not broke:
                broke.append(True)
                faulty.down = True  # and it does not come back in time

        runner = runner_for(faulty, clock, work, outage_timeout=45)
        with pytest.raises(StoreUnavailableError) as raised:
            await runner.run()
        message = str(raised.value)
        assert "\n" not in message
        assert "unavailable since" in message
        assert "the outage timeout is 45s" in message
        assert runner.status is MigrationStatus.FAILED
        gc.collect()
        await asyncio.sleep(0)
        assert orphans == []

        faulty.down = False  # back: a new runner picks up where the journal stands
        clock.advance(120)  # the failed runner's lease expires
        again = runner_for(faulty, clock, work)
        summary = await again.run()
        assert summary.succeeded_files == 20
        assert set(outcomes(real).values()) == {1}
