"""Store calls fail at random points while a migration runs; once it is back, nothing is lost or doubled.

The store underneath is real (a SQLite file, or a PostgreSQL schema of the test's own); ``FaultyStore``
makes calls fail with ``StoreUnavailableError`` before they reach it, or after a write committed (its
acknowledgement lost), in seeded bursts. The property: the run completes, every item has exactly one outcome
in the journal, and the journal, the items table and the runner's own summary agree.

Time is a ``FakeClock`` that advances itself on every sleep, so backoffs, heartbeats and lease expiries
take no real time (and leases do expire while calls fail, so lost leases are exercised too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import EventKind, FileStatus, MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner, SkipItem
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore
from tests.faults.faulty_store import FaultyStore
from tests.store.conftest import BACKEND_MARKS, BACKENDS

ITEMS = 60
_OUTCOMES = {EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED}


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock that jumps to each sleep's end by itself (one shared by the runner and the store)."""
    return FakeClock(auto_advance=True)


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def real_store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """The real store under the faults: a SQLite file, then a PostgreSQL schema of its own."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        store = factory()
        try:
            yield store
        finally:
            factory.close_all()


async def migrate(item: MigrationItem) -> None:
    """Succeed, except every 7th item fails for good and every 11th is skipped."""
    number = int(item.key.split("-")[1])
    if number % 7 == 3:
        raise ValueError(f"cannot migrate {item.key}")
    if number % 11 == 5:
        raise SkipItem("nothing to do")


def check_accounted_once(store: JournalStore, runner: MigrationRunner) -> None:
    """Assert every item has exactly one outcome, and journal, items table and runner summary agree."""
    events = list(store.read_events("faults"))
    outcomes = Counter(e.path for e in events if e.kind in _OUTCOMES)
    assert sorted(outcomes) == sorted(f"item-{n:03d}" for n in range(ITEMS))
    assert set(outcomes.values()) == {1}
    assert [e.kind for e in events].count(EventKind.RUN_COMPLETED) == 1
    assert [e.seq for e in events] == list(range(1, len(events) + 1))

    replay = MigrationProgressTracker("faults", run_id="faults")
    replay.apply_many(events)
    replayed = replay.get_progress_summary()
    counts = store.item_counts("faults")
    expected_failed = sum(1 for n in range(ITEMS) if n % 7 == 3)
    expected_skipped = sum(1 for n in range(ITEMS) if n % 11 == 5 and n % 7 != 3)
    assert counts[FileStatus.FAILED] == replayed.failed_files == expected_failed
    assert counts[FileStatus.SKIPPED] == replayed.skipped_files == expected_skipped
    expected_succeeded = ITEMS - expected_failed - expected_skipped
    assert counts[FileStatus.SUCCEEDED] == replayed.succeeded_files == expected_succeeded
    assert counts[FileStatus.PENDING] == counts[FileStatus.IN_PROGRESS] == 0
    mine = runner.summary()
    assert (mine.succeeded_files, mine.failed_files, mine.skipped_files) == (
        replayed.succeeded_files,
        replayed.failed_files,
        replayed.skipped_files,
    )
    assert mine.status is replayed.status is MigrationStatus.COMPLETED
    assert mine.store_unavailable_since is None


def make_runner(store: JournalStore, clock: FakeClock, *, own_events_only: bool = False) -> MigrationRunner:
    """A runner with small batches, so a run makes many store calls for the faults to hit.

    ``own_events_only``: a runner that folds only its own events, as a worker of a shared run does.
    """
    return MigrationRunner(
        store,
        "faults",
        [f"item-{n:03d}" for n in range(ITEMS)],
        migrate,
        batch_size=7,
        concurrency=3,
        flush_size=2,
        retry=RetryPolicy(max_attempts=1),
        lease_seconds=30,
        clock=clock,
        outage_timeout=1e9,
        own_events_only=own_events_only,
    )


class TestRandomFaults:
    @pytest.mark.parametrize("seed", range(6))
    async def test_failures_before_the_store_lose_and_double_nothing(
        self, seed: int, real_store: JournalStore, clock: FakeClock
    ) -> None:
        """Calls that fail before reaching the store, in bursts, leave every item accounted exactly once."""
        faulty = FaultyStore(real_store, seed=seed, before=0.15, burst=seed % 4)
        runner = make_runner(faulty, clock)
        await runner.run()
        assert faulty.failures > 0
        check_accounted_once(real_store, runner)

    @pytest.mark.parametrize("seed", range(6))
    async def test_lost_acknowledgements_lose_and_double_nothing(
        self, seed: int, real_store: JournalStore, clock: FakeClock
    ) -> None:
        """Writes that committed but were reported failed are recognized: no outcome twice, none lost."""
        faulty = FaultyStore(real_store, seed=1000 + seed, before=0.05, after=0.15, burst=seed % 3)
        runner = make_runner(faulty, clock)
        await runner.run()
        assert faulty.failures > 0
        check_accounted_once(real_store, runner)

    @pytest.mark.parametrize("seed", range(16))
    async def test_a_worker_folding_its_own_events_loses_and_doubles_nothing(
        self, seed: int, real_store: JournalStore, clock: FakeClock
    ) -> None:
        """A worker of a shared run skips others' events; a write of its own whose acknowledgement was lost
        (a claim, a close) is still folded, not skipped, so its items are known when they end."""
        faulty = FaultyStore(real_store, seed=2000 + seed, before=0.05, after=0.15, burst=seed % 3)
        runner = make_runner(faulty, clock, own_events_only=True)
        await runner.run()
        assert faulty.failures > 0
        check_accounted_once(real_store, runner)


class TestOutageInTheMiddle:
    async def test_store_down_for_a_while_then_back_completes_the_run(
        self, real_store: JournalStore, clock: FakeClock
    ) -> None:
        """A store down for 40 calls mid-run: the outage shows, the run completes, everything once."""
        faulty = FaultyStore(real_store, seed=7)
        seen: list[object] = []

        def on_progress(summary: MigrationProgressSummary) -> None:
            seen.append(summary.store_unavailable_since)
            if len(seen) == 3:
                faulty.outage(40)

        runner = make_runner(faulty, clock)
        runner.on_progress = on_progress
        await runner.run()
        assert faulty.failures == 40
        assert any(since is not None for since in seen)  # the outage was shown while it lasted
        check_accounted_once(real_store, runner)
