"""The runner claims the next batch while one runs, and gives it back when the run stops claiming."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import EventKind, MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import SQLiteStore

RUN = "run"


def runner_over(store: SQLiteStore, clock: FakeClock, fn: object, n: int = 12) -> MigrationRunner:
    """A runner over n items in batches of 4, one item at a time."""
    return MigrationRunner(
        store,
        RUN,
        IterableSource([f"item-{i:02d}" for i in range(n)]),
        fn,  # type: ignore[arg-type]
        batch_size=4,
        concurrency=1,
        retry=RetryPolicy(max_attempts=1),
        clock=clock,
    )


def kinds(store: SQLiteStore, kind: EventKind) -> list[str | None]:
    return [e.path for e in store.read_events(RUN) if e.kind is kind]


class TestClaimAhead:
    async def test_the_next_batch_is_claimed_while_one_runs(self, tmp_path: Path, clock: FakeClock) -> None:
        """By the last item of a batch the next one is already leased to the same worker."""
        store = SQLiteStore(tmp_path / "j.db", clock=clock)
        seen: list[int] = []
        runner: MigrationRunner

        async def work(item: MigrationItem) -> None:
            if item.key == "item-03":  # the first batch's last item
                await runner.store_idle()
                seen.append(len(store.leases(RUN)))

        runner = runner_over(store, clock, work)
        summary = await runner.run()
        assert seen == [2]
        assert summary.succeeded_files == 12
        assert kinds(store, EventKind.FILE_INTERRUPTED) == []
        assert Counter(kinds(store, EventKind.FILE_SUCCEEDED)) == Counter(f"item-{i:02d}" for i in range(12))
        store.close()

    async def test_a_batch_claimed_ahead_is_given_back_on_cancel(
        self, tmp_path: Path, clock: FakeClock
    ) -> None:
        """Cancelled with the next batch already claimed: its items go back pending, none of them ran."""
        store = SQLiteStore(tmp_path / "j.db", clock=clock)
        ran: list[str] = []
        runner: MigrationRunner

        async def work(item: MigrationItem) -> None:
            ran.append(item.key)
            if item.key == "item-03":
                await runner.store_idle()
                assert len(store.leases(RUN)) == 2
                runner.cancel()

        runner = runner_over(store, clock, work)
        summary = await runner.run()
        assert summary.status is MigrationStatus.CANCELLED
        assert ran == ["item-00", "item-01", "item-02", "item-03"]
        assert kinds(store, EventKind.FILE_INTERRUPTED) == ["item-04", "item-05", "item-06", "item-07"]
        assert store.leases(RUN) == []
        assert summary.succeeded_files == 4
        assert summary.pending_files == 8
        store.close()

    async def test_a_step_claims_nothing_ahead(self, tmp_path: Path, clock: FakeClock) -> None:
        """``step()`` runs one batch and leaves the rest pending: no lease held, nothing given back."""
        store = SQLiteStore(tmp_path / "j.db", clock=clock)
        runner = runner_over(store, clock, _ok)
        summary = await runner.step()
        assert summary.succeeded_files == 4
        assert store.leases(RUN) == []
        assert kinds(store, EventKind.FILE_INTERRUPTED) == []
        assert len(kinds(store, EventKind.FILE_STARTED)) == 4
        store.close()


async def _ok(item: MigrationItem) -> None:
    """Succeed at once."""
