"""MigrationRunner against the real SQLite journal, with a fake clock: nothing here sleeps for real."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, MigrationError, RunMismatchError
from omnimemory_kit.events import Event, EventKind, FileStatus, MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner, SkipItem, default_batch_size
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.store_link import ADD_CHUNK
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.resilience import AsyncCircuitBreaker, CircuitBreakerConfig, RetryPolicy
from omnimemory_kit.store import JournalStore, RunRecord, WorkItem
from tests.faults.faulty_store import FaultyStore
from tests.store.conftest import BACKEND_MARKS, BACKENDS

T = TypeVar("T")


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A real journal stamped by the fake clock: a SQLite file, then a PostgreSQL schema of its own."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        journal = factory()
        try:
            yield journal
        finally:
            factory.close_all()


def keys(n: int) -> list[str]:
    """Return n item keys."""
    return [f"item-{i:04d}" for i in range(n)]


async def ok(item: MigrationItem) -> None:
    """Succeed at once."""


async def drive(runner: MigrationRunner, clock: FakeClock, work: Awaitable[T], *, step: float = 0.25) -> T:
    """Await ``work``, moving the fake clock forward only while the run waits on nothing but the clock.

    Each round awaits what the run can be waiting for: the store thread going idle (an event the runner
    sets), then one turn of the loop for whatever that woke. Time moves only when no store call is in
    flight and a sleep or timeout is pending; the suite's per-test timeout bounds a run that never ends.
    """
    task = asyncio.ensure_future(work)
    while not task.done():
        await runner.store_idle()
        await asyncio.sleep(0)  # let what the store's answer woke run up to its next wait
        if task.done():
            break
        if runner.store_calls_in_flight == 0 and clock.pending_timers:
            clock.advance(step)
        else:
            await asyncio.sleep(0)
    return task.result()


class StatusSeen:
    """An ``on_progress`` callback that lets a test await the moment the run reports a status."""

    def __init__(self) -> None:
        self.seen: dict[MigrationStatus, asyncio.Event] = {}

    def __call__(self, summary: MigrationProgressSummary) -> None:
        self.event(summary.status).set()

    def event(self, status: MigrationStatus) -> asyncio.Event:
        """Return the event set once a summary with ``status`` is reported."""
        return self.seen.setdefault(status, asyncio.Event())

    async def wait(self, status: MigrationStatus) -> None:
        """Wait until a summary with ``status`` has been reported."""
        await self.event(status).wait()


def journal(store: JournalStore, run_id: str, kind: EventKind | None = None) -> list[Event]:
    """Return the run's events (of one kind); none while the run does not exist yet."""
    if run_id not in {run.run_id for run in store.list_runs()}:
        return []
    return [e for e in store.read_events(run_id) if kind is None or e.kind is kind]


def make(
    store: JournalStore, clock: FakeClock, fn: Callable[[MigrationItem], Any], n: int = 10, **kw: Any
) -> MigrationRunner:
    """Build a runner over n keys with test-friendly defaults."""
    kw.setdefault("retry", RetryPolicy(max_attempts=1))
    return MigrationRunner(store, kw.pop("run_id", "run"), IterableSource(keys(n)), fn, clock=clock, **kw)


class TestConfiguration:
    """Every argument is validated up front with a message naming it."""

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("batch_size", 0),
            ("batch_size", -3),
            ("concurrency", 0),
            ("concurrency", 1.5),
            ("item_timeout", 0),
            ("item_timeout", float("nan")),
            ("lease_seconds", -1),
            ("max_requeues", -1),
            ("flush_size", 0),
            ("retry", 3),
            ("breaker", "open"),
            ("priority", "urgent"),
        ],
    )
    def test_bad_option_is_a_config_error_naming_it(
        self, store: JournalStore, clock: FakeClock, option: str, value: object
    ) -> None:
        """A bad option raises ConfigError whose message names the option."""
        with pytest.raises(ConfigError, match=option):
            MigrationRunner(store, "r", ["a"], ok, clock=clock, **{option: value})

    def test_bad_run_id_store_and_function_are_refused(self, store: JournalStore, clock: FakeClock) -> None:
        """An empty run id, a non-store and a non-callable function are each a ConfigError."""
        with pytest.raises(ConfigError, match="run_id"):
            MigrationRunner(store, "", ["a"], ok)
        with pytest.raises(ConfigError, match="store"):
            MigrationRunner("sqlite:///x.db", "r", ["a"], ok)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="migrate_fn"):
            MigrationRunner(store, "r", ["a"], "not a function")  # type: ignore[arg-type]

    def test_source_path_that_does_not_exist_is_refused(self, store: JournalStore, tmp_path: Path) -> None:
        """A source given as a missing path is a ConfigError naming it."""
        with pytest.raises(ConfigError, match="nowhere"):
            MigrationRunner(store, "r", tmp_path / "nowhere", ok)


class TestRunToCompletion:
    """A run migrates every item once, in leased batches, and the tracker mirrors the journal."""

    async def test_every_item_succeeds_in_batches(self, store: JournalStore, clock: FakeClock) -> None:
        """25 items with batch size 10 run in 3 batches and all succeed exactly once."""
        seen: list[str] = []

        async def record(item: MigrationItem) -> None:
            seen.append(item.key)

        runner = make(store, clock, record, 25, batch_size=10)
        summary = await drive(runner, clock, runner.run())
        assert sorted(seen) == keys(25)
        assert summary.status is MigrationStatus.COMPLETED
        assert (summary.total_files, summary.succeeded_files, summary.pending_files) == (25, 25, 0)
        assert len(journal(store, "run", EventKind.BATCH_OPENED)) == 3
        assert len(journal(store, "run", EventKind.BATCH_CLOSED)) == 3
        assert store.item_counts("run")[FileStatus.SUCCEEDED] == 25
        assert [e.kind for e in journal(store, "run")][-1] is EventKind.RUN_COMPLETED

    async def test_sync_function_runs_off_the_loop_thread(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A sync migration function runs in a worker thread, never on the event loop's thread."""
        threads: set[int] = set()

        def record(item: MigrationItem) -> str:
            threads.add(threading.get_ident())
            return item.key

        runner = make(store, clock, record, 6, concurrency=2)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 6
        assert threading.get_ident() not in threads

    async def test_concurrency_limit_is_respected(self, store: JournalStore, clock: FakeClock) -> None:
        """With concurrency 3 no more than 3 items are ever in flight, and 3 are at some point."""
        in_flight = 0
        peak = 0

        async def slow(item: MigrationItem) -> None:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await clock.sleep(1)
            in_flight -= 1

        runner = make(store, clock, slow, 12, batch_size=12, concurrency=3)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 12
        assert peak == 3

    async def test_skip_item_is_journaled_with_its_reason(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A function raising SkipItem ends the item skipped with the reason, not failed."""

        async def skip_odd(item: MigrationItem) -> None:
            if int(item.key[-1]) % 2:
                raise SkipItem("odd one out")

        runner = make(store, clock, skip_odd, 10)
        summary = await drive(runner, clock, runner.run())
        assert (summary.succeeded_files, summary.skipped_files, summary.failed_files) == (5, 5, 0)
        assert {e.reason for e in journal(store, "run", EventKind.FILE_SKIPPED)} == {"odd one out"}

    async def test_progress_callback_gets_summaries(self, store: JournalStore, clock: FakeClock) -> None:
        """on_progress (async here) receives summaries, at least one per batch, ending at 100 %."""
        seen: list[float] = []

        async def progress(summary: Any) -> None:
            seen.append(summary.completion_percentage)

        runner = make(store, clock, ok, 30, batch_size=10, on_progress=progress)
        await drive(runner, clock, runner.run())
        assert len(seen) >= 3
        assert seen[-1] == 100.0
        assert seen == sorted(seen)

    async def test_run_left_finished_but_not_completed_is_completed_by_the_next_run(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Items all finished by a worker that died before journaling completion: the next run completes."""
        from omnimemory_kit.migration.worker import prepare_run

        prepare_run(store, "run", IterableSource(keys(2)), ok, clock=clock)
        lease = store.claim("run", "gone:1:x", 10, 60.0)
        assert lease is not None
        done = [Event(EventKind.FILE_SUCCEEDED, clock.time(), path=key) for key in keys(2)]
        store.report(lease, done)
        closed = Event(EventKind.BATCH_CLOSED, clock.time(), batch_id=lease.batch_id, worker_id="gone:1:x")
        store.release(lease, [closed])
        runner = make(store, clock, ok, 2)
        summary = await drive(runner, clock, runner.run())
        assert summary.status is MigrationStatus.COMPLETED
        assert len(journal(store, "run", EventKind.RUN_COMPLETED)) == 1

    async def test_running_twice_at_once_is_refused(self, store: JournalStore, clock: FakeClock) -> None:
        """A second run() while the first is running raises MigrationError."""
        gate = asyncio.Event()

        entered = asyncio.Event()

        async def wait(item: MigrationItem) -> None:
            entered.set()
            await gate.wait()

        runner = make(store, clock, wait, 2)
        first = asyncio.ensure_future(runner.run())
        await entered.wait()
        with pytest.raises(MigrationError, match="already running"):
            await runner.run()
        gate.set()
        await drive(runner, clock, first)

    async def test_tracker_is_the_journal_replayed_whenever_progress_is_reported(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """At every progress report the live tracker has folded exactly the journal so far, in order."""
        seen: list[tuple[dict[FileStatus, int], dict[FileStatus, int]]] = []

        def progress(summary: MigrationProgressSummary) -> None:
            replayed = MigrationProgressTracker("run", clock=clock, run_id="run")
            replayed.apply_many(store.read_events("run"))
            seen.append((runner.tracker.counts(), replayed.counts()))

        runner = make(store, clock, ok, 35, batch_size=10, on_progress=progress)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 35
        assert len(seen) >= 4  # one per batch at least
        for live, replayed in seen:
            assert live == replayed

    async def test_live_and_replayed_eta_agree(self, store: JournalStore, clock: FakeClock) -> None:
        """At every progress report the live ETA interval equals the one a replay of the journal gives."""
        seen: list[tuple[tuple[float | None, ...], tuple[float | None, ...]]] = []

        def window(summary: MigrationProgressSummary) -> tuple[float | None, ...]:
            return summary.eta_seconds, summary.eta_low_seconds, summary.eta_high_seconds

        def progress(summary: MigrationProgressSummary) -> None:
            replayed = MigrationProgressTracker("run", clock=clock, run_id="run")
            replayed.apply_many(store.read_events("run"))
            seen.append((window(runner.summary()), window(replayed.get_progress_summary())))

        async def paced(item: MigrationItem) -> None:
            index = int(item.key.rsplit("-", 1)[1])
            await clock.sleep(0.5 if index < 30 else 1.0 + 0.25 * (index % 3))

        runner = make(store, clock, paced, 60, batch_size=5, concurrency=2, on_progress=progress)
        await drive(runner, clock, runner.run())
        shown = [live for live, _ in seen if live[0] is not None]
        assert len(shown) >= 5  # the ETA was shown, and changed as the pace did
        assert len(set(shown)) >= 5
        for live, replayed in seen:
            assert live == replayed


class TestTimeoutsAndRetries:
    """Per-item timeouts and retries with backoff, each failed attempt journaled."""

    async def test_item_timeout_fails_the_attempt(self, store: JournalStore, clock: FakeClock) -> None:
        """An attempt longer than item_timeout fails with TimeoutError and says after how long."""

        async def stuck(item: MigrationItem) -> None:
            await clock.sleep(60)

        runner = make(store, clock, stuck, 2, item_timeout=1.5)
        summary = await drive(runner, clock, runner.run())
        assert summary.failed_files == 2
        assert summary.errors_by_type == {"TimeoutError": 2}
        failed = journal(store, "run", EventKind.FILE_FAILED)
        assert {e.error_message for e in failed} == {"timed out after 1.5s"}
        assert clock.monotonic() < 60

    async def test_retry_then_success(self, store: JournalStore, clock: FakeClock) -> None:
        """Two failed attempts are journaled FILE_RETRIED after backoff sleeps, then the item succeeds."""
        calls: Counter[str] = Counter()

        async def flaky(item: MigrationItem) -> None:
            calls[item.key] += 1
            if calls[item.key] < 3:
                raise ConnectionError("target busy")

        policy = RetryPolicy(max_attempts=3, base_delay=2.0, max_delay=10.0, jitter="none")
        runner = make(store, clock, flaky, 1, retry=policy)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 1
        retried = journal(store, "run", EventKind.FILE_RETRIED)
        assert [(e.error_type, e.error_message) for e in retried] == [("ConnectionError", "target busy")] * 2
        assert [s for s in clock.sleeps if s in (2.0, 4.0)] == [2.0, 4.0]
        assert summary.retry_count == 2

    async def test_retries_after_a_report_are_journaled(self, store: JournalStore, clock: FakeClock) -> None:
        """A retry recorded after the batch reported some outcomes (flush_size=1) is journaled all the same,
        once, and the live count of retries is the journal's."""
        calls: Counter[str] = Counter()

        async def flaky(item: MigrationItem) -> None:
            calls[item.key] += 1
            if calls[item.key] == 1:
                await clock.sleep(int(item.key[-4:]))  # items fail one after another, between reports
                raise ConnectionError("target busy")

        policy = RetryPolicy(max_attempts=2, base_delay=0.5, jitter="none")
        runner = make(store, clock, flaky, 6, retry=policy, batch_size=6, flush_size=1, concurrency=6)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 6
        retried = journal(store, "run", EventKind.FILE_RETRIED)
        assert sorted(str(e.path) for e in retried) == keys(6)
        assert summary.retry_count == 6

    async def test_final_failure_after_attempts_run_out(self, store: JournalStore, clock: FakeClock) -> None:
        """An item failing every attempt ends FILE_FAILED with its real exception type."""

        async def broken(item: MigrationItem) -> None:
            raise ValueError(f"cannot parse {item.key}")

        runner = make(
            store, clock, broken, 3, retry=RetryPolicy(max_attempts=2, base_delay=0.1, jitter="none")
        )
        summary = await drive(runner, clock, runner.run())
        assert (summary.failed_files, summary.success_rate, summary.completion_percentage) == (3, 0.0, 100.0)
        assert summary.errors_by_type == {"ValueError": 3}
        assert len(journal(store, "run", EventKind.FILE_RETRIED)) == 3

    async def test_errors_the_policy_does_not_retry_fail_at_once(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """An exception outside retry_on fails the item on its first attempt."""
        calls = 0

        async def bad(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1
            raise KeyError("missing")

        policy = RetryPolicy(max_attempts=5, retry_on=(ConnectionError,))
        runner = make(store, clock, bad, 1, retry=policy)
        summary = await drive(runner, clock, runner.run())
        assert (calls, summary.failed_files) == (1, 1)
        assert journal(store, "run", EventKind.FILE_RETRIED) == []


class TestBreaker:
    """While the breaker is open items wait instead of burning attempts, and that time is journaled."""

    async def test_open_breaker_makes_items_wait(self, store: JournalStore, clock: FakeClock) -> None:
        """After the target fails twice the breaker opens; the next item waits out recovery, then succeeds."""
        calls: list[tuple[str, float]] = []

        async def target(item: MigrationItem) -> None:
            calls.append((item.key, clock.monotonic()))
            if len(calls) <= 2:
                raise ConnectionError("down")

        config = CircuitBreakerConfig(failure_threshold=2, recovery_timeout=10.0)
        policy = RetryPolicy(max_attempts=2, base_delay=0.1, jitter="none")
        runner = make(store, clock, target, 4, concurrency=1, retry=policy, breaker=config)
        summary = await drive(runner, clock, runner.run())
        assert (summary.failed_files, summary.succeeded_files) == (1, 3)
        # item-0000 used its 2 attempts; item-0001's first call came only after the recovery timeout.
        assert [key for key, _ in calls] == ["item-0000", "item-0000", "item-0001", "item-0002", "item-0003"]
        assert calls[2][1] - calls[1][1] >= 10.0
        assert [e.path for e in journal(store, "run", EventKind.FILE_RETRIED)] == ["item-0000"]
        kinds = [e.kind for e in journal(store, "run") if e.kind.value.startswith("breaker")]
        assert kinds == [EventKind.BREAKER_OPENED, EventKind.BREAKER_CLOSED]
        assert summary.breaker_open_seconds >= 9.5

    async def test_breaker_instance_is_used_as_given(self, store: JournalStore, clock: FakeClock) -> None:
        """A ready AsyncCircuitBreaker is called for every attempt and a skip does not count as a failure."""
        breaker = AsyncCircuitBreaker("target", CircuitBreakerConfig(failure_threshold=1), clock=clock)

        async def skip(item: MigrationItem) -> None:
            raise SkipItem("nothing to do")

        runner = make(store, clock, skip, 3, breaker=breaker)
        summary = await drive(runner, clock, runner.run())
        assert summary.skipped_files == 3
        assert breaker.stats().success_count == 3
        assert breaker.state == "closed"


class TestControls:
    """pause, resume, step, cancel and retry_failed, each journaled."""

    async def test_pause_before_run_then_resume(self, store: JournalStore, clock: FakeClock) -> None:
        """A runner paused before run() prepares, journals RUN_PAUSED and starts nothing until resumed."""
        calls = 0

        async def count(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1

        seen = StatusSeen()
        runner = make(store, clock, count, 5, on_progress=seen)
        runner.pause()
        task = asyncio.ensure_future(runner.run())
        await seen.wait(MigrationStatus.PAUSED)
        assert calls == 0
        assert len(journal(store, "run", EventKind.RUN_PAUSED)) == 1
        runner.resume()
        summary = await drive(runner, clock, task)
        assert (calls, summary.status) == (5, MigrationStatus.COMPLETED)
        assert len(journal(store, "run", EventKind.RUN_RESUMED)) == 1

    async def test_summary_shows_the_settings_in_force(self, store: JournalStore, clock: FakeClock) -> None:
        """The runner's summary carries the control state and the settings it applies, `set` ones first."""
        from omnimemory_kit.migration.run_control import RunControl

        runner = make(store, clock, ok, 6, batch_size=4)
        before = runner.summary()
        assert (before.control_state, before.settings and before.settings.batch_size) == (None, 4)
        await drive(runner, clock, runner.step())
        control = RunControl(store, "run")
        control.set(batch_size=2, max_rate=1000.0)
        control.close()
        summary = await drive(runner, clock, runner.run())
        assert summary.control_state == "running"
        assert summary.settings is not None
        assert (summary.settings.batch_size, summary.settings.max_rate) == (2, 1000.0)
        assert summary.settings.concurrency == runner.concurrency

    async def test_step_runs_exactly_one_batch(self, store: JournalStore, clock: FakeClock) -> None:
        """step() runs one batch and pauses; repeated steps advance batch by batch; run() finishes."""
        runner = make(store, clock, ok, 10, batch_size=4)
        first = await drive(runner, clock, runner.step())
        assert (first.succeeded_files, first.status) == (4, MigrationStatus.PAUSED)
        second = await drive(runner, clock, runner.step())
        assert second.succeeded_files == 8
        runner.resume()
        final = await drive(runner, clock, runner.run())
        assert (final.succeeded_files, final.status) == (10, MigrationStatus.COMPLETED)

    async def test_step_while_run_is_paused(self, store: JournalStore, clock: FakeClock) -> None:
        """With run() paused in the background, step() lets exactly one more batch through."""
        seen = StatusSeen()
        runner = make(store, clock, ok, 9, batch_size=3, on_progress=seen)
        runner.pause()
        task = asyncio.ensure_future(runner.run())
        await seen.wait(MigrationStatus.PAUSED)
        stepped = await drive(runner, clock, runner.step())
        assert stepped.succeeded_files == 3
        assert runner.paused
        runner.resume()
        final = await drive(runner, clock, task)
        assert final.succeeded_files == 9

    async def test_cancel_keeps_done_work_and_requeues_the_rest(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """cancel() finishes in-flight items, journals RUN_CANCELLED; a later run does only the rest."""
        done: Counter[str] = Counter()
        runner: MigrationRunner

        async def work(item: MigrationItem) -> None:
            await clock.sleep(1)
            done[item.key] += 1
            if sum(done.values()) == 3:
                runner.cancel()

        runner = make(store, clock, work, 20, batch_size=10, concurrency=2)
        summary = await drive(runner, clock, runner.run())
        assert summary.status is MigrationStatus.CANCELLED
        assert 3 <= summary.succeeded_files < 20
        assert summary.in_progress_files == 0
        assert journal(store, "run")[-1].kind is EventKind.RUN_CANCELLED
        again = make(store, clock, work, 20, batch_size=10, concurrency=2)
        final = await drive(again, clock, again.run())
        assert final.succeeded_files == 20
        assert set(done.values()) == {1}

    async def test_cancel_on_a_shared_run_stops_only_this_worker(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """With another live worker holding a lease, cancel() stops this worker without cancelling the run."""
        runner: MigrationRunner
        stopping = False

        async def work(item: MigrationItem) -> None:
            await clock.sleep(1)
            if stopping:
                runner.cancel()

        runner = make(store, clock, work, 20, batch_size=5, concurrency=1)
        await drive(runner, clock, runner.step())  # creates the run, does one batch, then pauses
        other = store.claim("run", "elsewhere:4242:beef", 5, lease_seconds=600)  # a worker on another host
        assert other is not None
        stopping = True
        runner.resume()
        summary = await drive(runner, clock, runner.run())
        assert runner.status is MigrationStatus.CANCELLED
        assert summary.in_progress_files == 5  # the other worker's batch, still leased
        assert EventKind.RUN_CANCELLED not in {e.kind for e in journal(store, "run")}

    async def test_retry_failed_requeues_failed_items(self, store: JournalStore, clock: FakeClock) -> None:
        """retry_failed() requeues the failed items, and the next run() migrates them."""
        healthy = False

        async def target(item: MigrationItem) -> None:
            if not healthy and item.key.endswith(("1", "2")):
                raise OSError("disk full")

        runner = make(store, clock, target, 10, max_requeues=1)
        first = await drive(runner, clock, runner.run())
        assert first.failed_files == 2
        healthy = True
        assert await drive(runner, clock, runner.retry_failed()) == 2
        final = await drive(runner, clock, runner.run())
        assert (final.succeeded_files, final.failed_files, final.status) == (10, 0, MigrationStatus.COMPLETED)
        assert final.requeued_count == 2

    async def test_retry_failed_is_bounded(self, store: JournalStore, clock: FakeClock) -> None:
        """An item requeued max_requeues times is left failed by retry_failed()."""

        async def broken(item: MigrationItem) -> None:
            raise OSError("still broken")

        runner = make(store, clock, broken, 1, max_requeues=1)
        await drive(runner, clock, runner.run())
        assert await drive(runner, clock, runner.retry_failed()) == 1
        await drive(runner, clock, runner.run())
        assert await drive(runner, clock, runner.retry_failed()) == 0


class TestDryRun:
    """A dry run writes nothing and calls nothing, yet reports what a real run would face."""

    async def test_dry_run_writes_nothing(self, store: JournalStore, clock: FakeClock) -> None:
        """The function is never called, no run is created, and every item shows as pending."""
        calls = 0

        async def count(item: MigrationItem) -> None:
            nonlocal calls
            calls += 1

        runner = make(store, clock, count, 7, dry_run=True)
        summary = await drive(runner, clock, runner.run())
        assert (calls, summary.total_files, summary.pending_files) == (0, 7, 7)
        assert store.list_runs() == []

    async def test_dry_run_of_a_started_run_counts_only_new_work(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Against an existing run, items already done keep their state and only new ones are pending."""
        runner = MigrationRunner(store, "run", IterableSource(keys(4)), ok, clock=clock, function_id="f")
        await drive(runner, clock, runner.run())
        before = store.last_seq("run")
        dry = MigrationRunner(
            store, "run", IterableSource(keys(6)), ok, clock=clock, function_id="f", dry_run=True
        )
        summary = await drive(dry, clock, dry.run())
        assert (summary.succeeded_files, summary.pending_files) == (4, 2)
        assert store.last_seq("run") == before

    async def test_dry_run_of_a_large_run_reads_counters_not_the_journal(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Past the lean size the run is not replayed: its counts come from the store, its state from its
        lifecycle, and only the source's new items (a repeated key once) are tracked, as hashes."""

        async def fail_one(item: MigrationItem) -> None:
            if item.key == "item-0003":
                raise OSError("broken")

        runner = MigrationRunner(
            store, "run", IterableSource(keys(8)), fail_one, clock=clock, function_id="f"
        )
        await drive(runner, clock, runner.run())
        before = store.last_seq("run")
        source = IterableSource([*keys(11), "item-0009"])
        dry = MigrationRunner(
            store, "run", source, ok, clock=clock, function_id="f", dry_run=True, follow_counters_above=5
        )
        summary = await drive(dry, clock, dry.run())
        counts = (summary.total_files, summary.succeeded_files, summary.failed_files, summary.pending_files)
        assert counts == (11, 7, 1, 3)
        assert summary.status is MigrationStatus.COMPLETED  # the run's state, from its lifecycle events
        assert len(dry.tracker) == 3  # the new items only: the 8 recorded ones were not replayed
        assert dry.own_events_only  # a lean tracker (hashes), as a real run of that size would hold
        assert store.last_seq("run") == before

    async def test_dry_run_of_a_large_source_tracks_hashes(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A new run from a source said to be larger than the lean size is counted in a lean tracker."""
        dry = make(store, clock, ok, 7, dry_run=True, follow_counters_above=5)
        summary = await drive(dry, clock, dry.run())
        assert (summary.total_files, summary.pending_files) == (7, 7)
        assert dry.own_events_only
        assert store.list_runs() == []

    async def test_dry_run_folds_a_long_journal_in_slices(
        self, store: JournalStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A journal longer than one read slice is folded whole: every recorded item keeps its state."""
        monkeypatch.setattr("omnimemory_kit.migration.dry_run._READ_SLICE", 7)
        runner = MigrationRunner(store, "run", IterableSource(keys(10)), ok, clock=clock, function_id="f")
        await drive(runner, clock, runner.run())
        dry = MigrationRunner(
            store, "run", IterableSource(keys(12)), ok, clock=clock, function_id="f", dry_run=True
        )
        summary = await drive(dry, clock, dry.run())
        assert (summary.succeeded_files, summary.pending_files, summary.total_files) == (10, 2, 12)
        assert summary.status is MigrationStatus.COMPLETED
        assert len(dry.tracker) == 12

    async def test_dry_run_checks_the_run_identity(self, store: JournalStore, clock: FakeClock) -> None:
        """A dry run with a different source than the recorded run raises RunMismatchError."""
        runner = make(store, clock, ok, 2)
        await drive(runner, clock, runner.run())
        dry = MigrationRunner(
            store, "run", IterableSource(keys(2), name="other"), ok, clock=clock, dry_run=True
        )
        with pytest.raises(RunMismatchError, match="source"):
            await drive(dry, clock, dry.run())


class TestResume:
    """Running again with the same run id continues where the last run stopped."""

    async def test_resume_after_partial_run(self, store: JournalStore, clock: FakeClock) -> None:
        """A new runner on a half-done run migrates only the rest; each item succeeds exactly once."""
        done: Counter[str] = Counter()

        async def work(item: MigrationItem) -> None:
            done[item.key] += 1

        first = make(store, clock, work, 12, batch_size=5)
        await drive(first, clock, first.step())
        second = make(store, clock, work, 12, batch_size=5)
        summary = await drive(second, clock, second.run())
        assert summary.succeeded_files == 12
        assert sorted(done) == keys(12)
        assert set(done.values()) == {1}
        assert len(journal(store, "run", EventKind.FILE_ADDED)) == 12

    async def test_items_of_a_dead_worker_are_reclaimed(self, store: JournalStore, clock: FakeClock) -> None:
        """Items leased by a worker whose process is gone go back to pending (interrupted) and run."""
        runner = make(store, clock, ok, 6, batch_size=6)
        await drive(runner, clock, runner.step())  # creates the run and adds the items
        # A worker on this host whose process no longer exists claims the remaining items ... and dies.
        more = make(store, clock, ok, 9, batch_size=6)
        await drive(more, clock, more.retry_failed())  # adds the 3 new items, runs nothing
        dead = f"{runner.host}:999999999:dead"
        store.register_worker("run", dead, host=runner.host, pid=999999999)
        lease = store.claim("run", dead, 10, 3600)
        assert lease is not None
        assert len(lease.items) == 3
        final = await drive(more, clock, more.run())
        assert (final.succeeded_files, final.in_progress_files) == (9, 0)
        assert final.interrupted_count == 3

    async def test_reusing_a_run_id_with_another_source_is_refused(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A run id created with one source cannot be run with another: RunMismatchError."""
        first = make(store, clock, ok, 2)
        await drive(first, clock, first.run())
        other = MigrationRunner(store, "run", IterableSource(["x"], name="elsewhere"), ok, clock=clock)
        with pytest.raises(RunMismatchError):
            await drive(other, clock, other.run())


def failing_after(n: int) -> Iterator[str]:
    """Yield n keys, then fail as a manifest with a bad line does."""
    yield from keys(n)
    raise ConfigError("manifest 'm.csv' line 7: size 'x' is not a whole number of bytes")


class TestCreation:
    """A new run is created with its first chunk of items: a source failing within it leaves no run."""

    @pytest.mark.parametrize("n", [0, 10, ADD_CHUNK - 1])
    async def test_a_source_failing_within_its_first_chunk_leaves_no_run(
        self, store: JournalStore, clock: FakeClock, n: int
    ) -> None:
        """The source's error comes through, and the store holds no run, not even an empty one."""
        runner = MigrationRunner(store, "run", IterableSource(failing_after(n), name="m"), ok, clock=clock)
        with pytest.raises(ConfigError, match="line 7"):
            await drive(runner, clock, runner.run())
        assert store.list_runs() == []
        again = make(store, clock, ok, 3)  # the id is free: a good source creates it afresh
        assert (await drive(again, clock, again.run())).succeeded_files == 3
        assert [e.kind for e in journal(store, "run")][:2] == [EventKind.RUN_CREATED, EventKind.FILE_ADDED]

    @pytest.mark.parametrize("position", [3, ADD_CHUNK + 3])
    async def test_an_item_that_is_no_item_is_refused_by_name(
        self, store: JournalStore, clock: FakeClock, position: int
    ) -> None:
        """A size that is not a whole number (or a key that is not text) stops the run with a ConfigError
        naming the item, in the first chunk (no run left) as later (the chunks before kept), never rounded."""
        items: list[WorkItem] = [WorkItem(f"k{i}", 1) for i in range(position + 5)]
        items[position] = WorkItem(f"k{position}", 2.5)  # type: ignore[arg-type]
        runner = MigrationRunner(store, "run", IterableSource(items, name="m"), ok, clock=clock)
        with pytest.raises(ConfigError, match=f"item 'k{position}' has a size that is not a whole number"):
            await drive(runner, clock, runner.run())
        kept = sum(store.item_counts("run").values()) if store.list_runs() else 0
        assert kept == (0 if position < ADD_CHUNK else ADD_CHUNK)

    async def test_a_source_failing_later_keeps_the_chunks_before(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Past the first chunk each chunk is a transaction of its own: the run keeps the chunks read."""
        source = IterableSource(failing_after(ADD_CHUNK + 10), name="m")
        runner = MigrationRunner(store, "run", source, ok, clock=clock)
        with pytest.raises(ConfigError, match="line 7"):
            await drive(runner, clock, runner.run())
        assert [run.run_id for run in store.list_runs()] == ["run"]
        assert sum(store.item_counts("run").values()) == ADD_CHUNK
        added = journal(store, "run", EventKind.FILE_ADDED)
        assert [e.seq for e in added] == list(range(2, ADD_CHUNK + 2))

    async def test_a_new_run_folds_its_items_once(self, store: JournalStore, clock: FakeClock) -> None:
        """Items of the first chunk and of the rest are each folded once, and every one succeeds once."""
        n = ADD_CHUNK + 7
        runner = MigrationRunner(
            store, "run", IterableSource(keys(n), name="k"), ok, clock=clock, batch_size=500
        )
        summary = await drive(runner, clock, runner.run())
        assert (summary.total_files, summary.succeeded_files) == (n, n)
        assert len(runner.tracker) == n
        succeeded = Counter(e.path for e in journal(store, "run", EventKind.FILE_SUCCEEDED))
        assert len(succeeded) == n
        assert set(succeeded.values()) == {1}

    async def test_a_key_repeated_in_the_first_chunk_counts_once(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A repeat (the first size wins) is added and folded once, then succeeds once."""
        source = IterableSource([WorkItem("a", 1), WorkItem("b", 2), WorkItem("a", 9), "c"], name="r")
        runner = MigrationRunner(store, "run", source, ok, clock=clock)
        summary = await drive(runner, clock, runner.run())
        assert (summary.total_files, summary.succeeded_files) == (3, 3)
        added = [(e.path, e.size) for e in journal(store, "run", EventKind.FILE_ADDED)]
        assert added == [("a", 1), ("b", 2), ("c", 0)]
        assert runner.tracker.get_file_info("a").size == 1

    @pytest.mark.parametrize("at", [0, ADD_CHUNK])
    async def test_an_empty_key_is_worked_in_the_first_chunk_as_in_the_later_ones(
        self, store: JournalStore, clock: FakeClock, at: int
    ) -> None:
        """The store takes an empty key (``add_items``); an item block cannot hold one, so the first chunk
        must not be refused for it where any later chunk takes it."""
        source = IterableSource([*keys(at), "", "z"], name="e")
        runner = MigrationRunner(store, "run", source, ok, clock=clock)
        summary = await drive(runner, clock, runner.run())
        assert (summary.total_files, summary.succeeded_files) == (at + 2, at + 2)
        assert runner.tracker.get_file_info("").status is FileStatus.SUCCEEDED
        assert [e.kind for e in journal(store, "run")][:2] == [EventKind.RUN_CREATED, EventKind.FILE_ADDED]

    async def test_a_reopened_run_folds_another_workers_write_landing_after_its_chunk(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """One event another worker writes right after the reopening chunk is folded, not taken for ours.

        The chunk's items are all new, so the journal grew by the chunk and one more event: only a new
        run's first event (RUN_CREATED) may be assumed to come before the chunk.
        """
        first = MigrationRunner(store, "run", IterableSource(["a", "b"], name="k"), ok, clock=clock)
        await drive(first, clock, first.run())
        grown = IterableSource(["c", "d", "e"], name="k")
        runner = MigrationRunner(TopUpAfterCreate(store, WorkItem("late", 1)), "run", grown, ok, clock=clock)
        summary = await drive(runner, clock, runner.run())
        assert (summary.total_files, summary.succeeded_files) == (6, 6)
        assert runner.tracker.get_file_info("late").status is FileStatus.SUCCEEDED
        assert Counter(e.path for e in journal(store, "run", EventKind.FILE_ADDED))["c"] == 1


class TopUpAfterCreate(FaultyStore):
    """The real store, with another worker adding ``item`` just after each ``create_run_with_blocks``."""

    def __init__(self, inner: JournalStore, item: WorkItem) -> None:
        super().__init__(inner, seed=0)
        self.item = item

    def create_run_with_blocks(
        self, record: RunRecord, blocks: Iterable[str], *, at: float
    ) -> tuple[RunRecord, int]:
        result = super().create_run_with_blocks(record, blocks, at=at)
        self.inner.add_items(record.run_id, [self.item], at=at)
        return result


class TestFailuresAndEdges:
    """Store failures, lost leases, a failing progress callback, and cancel while paused."""

    async def test_store_failure_while_reporting_fails_the_run_when_not_riding_out(
        self, tmp_path: Path, clock: FakeClock
    ) -> None:
        """With outage_timeout=0 a store error during a report fails run(); a new runner finishes the work."""
        from omnimemory_kit.errors import StoreUnavailableError
        from omnimemory_kit.store import SQLiteStore

        class FlakyStore(SQLiteStore):
            failures = 1

            def report(self, lease: Any, events: Any) -> int:
                if self.failures:
                    self.failures -= 1
                    raise StoreUnavailableError("disk went away")
                return super().report(lease, events)

        flaky = FlakyStore(tmp_path / "j.db", clock=clock)
        runner = make(flaky, clock, ok, 10, batch_size=5, outage_timeout=0)
        with pytest.raises(StoreUnavailableError, match="disk went away"):
            await drive(runner, clock, runner.run())
        assert journal(flaky, "run")[-1].kind is EventKind.RUN_FAILED
        again = make(flaky, clock, ok, 10, batch_size=5, lease_seconds=5)
        clock.advance(10)  # the failed runner's lease expires; the new runner reclaims it
        summary = await drive(again, clock, again.run())
        assert summary.succeeded_files == 10
        succeeded = Counter(e.path for e in journal(flaky, "run", EventKind.FILE_SUCCEEDED))
        assert set(succeeded.values()) == {1}
        flaky.close()

    async def test_lost_lease_abandons_the_batch_without_double_counting(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """When another worker reclaims our lease mid-batch, our reports stop and each item succeeds once."""
        runner: MigrationRunner
        stolen = False

        async def work(item: MigrationItem) -> None:
            nonlocal stolen
            if not stolen:
                stolen = True
                store.reclaim("run", worker_id=runner.worker_id)  # as a supervisor declaring us dead would
            await clock.sleep(0.1)

        runner = make(store, clock, work, 8, batch_size=8, concurrency=2)
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 8
        succeeded = Counter(e.path for e in journal(store, "run", EventKind.FILE_SUCCEEDED))
        assert len(succeeded) == 8
        assert set(succeeded.values()) == {1}
        assert summary.interrupted_count >= 1

    async def test_failing_progress_callback_is_ignored(self, store: JournalStore, clock: FakeClock) -> None:
        """An on_progress callback that raises is logged and the run still completes."""

        def boom(summary: Any) -> None:
            raise RuntimeError("widget gone")

        runner = make(store, clock, ok, 5, on_progress=boom)
        summary = await drive(runner, clock, runner.run())
        assert summary.status is MigrationStatus.COMPLETED

    async def test_cancel_while_paused_then_run_again(self, store: JournalStore, clock: FakeClock) -> None:
        """cancel() wakes a paused run and ends it cancelled; a later run() starts unpaused and completes."""
        seen = StatusSeen()
        runner = make(store, clock, ok, 4, on_progress=seen)
        runner.pause()
        task = asyncio.ensure_future(runner.run())
        await seen.wait(MigrationStatus.PAUSED)
        runner.cancel()
        cancelled = await drive(runner, clock, task)
        assert (cancelled.status, cancelled.succeeded_files) == (MigrationStatus.CANCELLED, 0)
        final = await drive(runner, clock, runner.run())
        assert (final.status, final.succeeded_files) == (MigrationStatus.COMPLETED, 4)

    async def test_pause_after_an_abrupt_cancel_holds_the_next_run(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """After the task running run() is cancelled, pause() holds the next run() until resume()."""
        entered, gate = asyncio.Event(), asyncio.Event()

        async def wait(item: MigrationItem) -> None:
            entered.set()
            await gate.wait()

        seen = StatusSeen()
        runner = make(store, clock, wait, 2, on_progress=seen)
        task = asyncio.ensure_future(runner.run())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        runner.pause()
        assert runner.paused
        gate.set()
        again = asyncio.ensure_future(runner.run())
        await seen.wait(MigrationStatus.PAUSED)
        runner.resume()
        final = await drive(runner, clock, again)
        assert (final.status, final.succeeded_files) == (MigrationStatus.COMPLETED, 2)

    def test_repr_shows_live_state(self, store: JournalStore, clock: FakeClock) -> None:
        """The repr names the run, its state and the settings."""
        runner = make(store, clock, ok, 3, batch_size=7, concurrency=2)
        assert repr(runner).startswith("<MigrationRunner 'run' pending 0/0 done")
        assert "batch_size=7 concurrency=2" in repr(runner)


class TestDefaultBatchSize:
    """Without a batch size, the runner chooses one from its concurrency."""

    @pytest.mark.parametrize(
        ("concurrency", "expected"), [(1, 100), (6, 100), (8, 128), (32, 512), (64, 1000), (500, 1000)]
    )
    def test_sixteen_per_slot_within_bounds(self, concurrency: int, expected: int) -> None:
        """16 items per concurrency slot, never below 100 nor above 1,000."""
        assert default_batch_size(concurrency) == expected

    async def test_a_runner_without_batch_size_claims_the_default(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A runner given no batch size leases batches of default_batch_size(concurrency) items."""
        runner = make(store, clock, ok, 300, concurrency=8)
        assert runner.batch_size == 128
        summary = await drive(runner, clock, runner.run())
        assert summary.succeeded_files == 300
        started = Counter(e.batch_id for e in journal(store, "run", EventKind.FILE_STARTED))
        assert sorted(started.values(), reverse=True) == [128, 128, 44]


class TestCorrelation:
    """Everything a run logs carries its run id."""

    async def test_function_sees_the_run_in_its_context(self, store: JournalStore, clock: FakeClock) -> None:
        """Async and sync (threaded) migration functions both run inside a context binding the run id."""
        from omnimemory_kit.observability import current_context

        seen: list[dict[str, Any]] = []

        async def async_fn(item: MigrationItem) -> None:
            seen.append(current_context())

        def sync_fn(item: MigrationItem) -> None:
            seen.append(current_context())

        for run_id, fn in (("async-run", async_fn), ("sync-run", sync_fn)):
            runner = make(store, clock, fn, 2, run_id=run_id)
            await drive(runner, clock, runner.run())
        assert [c["run_id"] for c in seen] == ["async-run"] * 2 + ["sync-run"] * 2
        assert all(c["operation"] == "migration" and c.get("correlation_id") for c in seen)

    async def test_run_after_step_runs_to_the_end(self, store: JournalStore, clock: FakeClock) -> None:
        """run() after step() resumes the run (RUN_RESUMED) and finishes it without resume()."""
        runner = make(store, clock, ok, 6, batch_size=2)
        stepped = await drive(runner, clock, runner.step())
        assert (stepped.succeeded_files, runner.paused) == (2, True)
        final = await drive(runner, clock, runner.run())
        assert (final.succeeded_files, final.status, runner.paused) == (6, MigrationStatus.COMPLETED, False)
        kinds = [e.kind for e in journal(store, "run") if e.kind.value.startswith("run_")]
        assert kinds == [
            EventKind.RUN_CREATED,
            EventKind.RUN_STARTED,
            EventKind.RUN_PAUSED,
            EventKind.RUN_RESUMED,
            EventKind.RUN_COMPLETED,
        ]

    async def test_pause_after_step_still_holds_run(self, store: JournalStore, clock: FakeClock) -> None:
        """An explicit pause() after step() is kept: run() then waits for resume() before finishing."""
        seen = StatusSeen()
        runner = make(store, clock, ok, 6, batch_size=2, on_progress=seen)
        await drive(runner, clock, runner.step())
        runner.resume()
        runner.pause()
        seen.event(MigrationStatus.PAUSED).clear()
        task = asyncio.ensure_future(runner.run())
        await seen.wait(MigrationStatus.PAUSED)
        assert runner.summary().succeeded_files == 2
        runner.resume()
        final = await drive(runner, clock, task)
        assert final.succeeded_files == 6
