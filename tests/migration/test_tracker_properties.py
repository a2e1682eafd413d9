"""Tracker invariants under random sequences of valid operations (a Hypothesis state machine)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from omnimemory_kit import (
    EventKind,
    FakeClock,
    FileStatus,
    InvalidTransitionError,
    MigrationProgressTracker,
    MigrationStatus,
    ProcessingRates,
    RateConfig,
    SQLiteStore,
)
from omnimemory_kit.events import Event

PATHS = [f"/data/legacy/tools/tool_{i:03}.py" for i in range(12)]
BATCHES = ["b1", "b2", "b3"]
ERRORS = [ValueError("bad"), KeyError("k"), TimeoutError("slow"), "plain message"]
MAX_RETRIES = 2


class TrackerMachine(RuleBasedStateMachine):
    """Drive a store-bound tracker, in-memory twins and a plain model side by side; compare them after every
    step (the twins fold their calls without building journal events, one of them keeping only hashes of
    the paths: every path must agree)."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = SQLiteStore(":memory:", clock=self.clock)
        settings: dict[str, Any] = {
            "clock": self.clock,
            "run_id": "run",
            "max_retries": MAX_RETRIES,
            "rate_config": RateConfig(tau_seconds=20, min_finished=2, min_active_seconds=3),
            "sample_interval": 2.0,
            "max_samples": 16,
        }
        self.tracker = MigrationProgressTracker("prop", store=self.store, **settings)
        self.twin = MigrationProgressTracker("prop", **settings)
        self.lean = MigrationProgressTracker("prop", keep_paths=False, **settings)
        self.status: dict[str, FileStatus] = {}
        self.requeues: Counter[str] = Counter()
        self.closed: set[str] = set()

    def teardown(self) -> None:
        try:
            self.check_replay()
        finally:
            self.store.close()

    def both(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` on the tracker and its in-memory twins; all must return or raise alike."""
        outcomes: list[tuple[str, Any]] = []
        for tracker in (self.tracker, self.twin, self.lean):
            try:
                outcomes.append(("returned", getattr(tracker, method)(*args, **kwargs)))
            except Exception as exc:
                outcomes.append(("raised", exc))
        kind, value = outcomes[0]
        for twin_kind, twin_value in outcomes[1:]:
            assert twin_kind == kind, (method, outcomes)
            if kind == "raised":
                assert type(twin_value) is type(value)
                assert str(twin_value) == str(value)
            else:
                assert twin_value == value
        if kind == "raised":
            raise value
        return value

    def paths_in(self, *statuses: FileStatus) -> list[str]:
        return sorted(path for path, status in self.status.items() if status in statuses)

    @property
    def run_open(self) -> bool:
        return self.tracker.status not in (
            MigrationStatus.COMPLETED,
            MigrationStatus.FAILED,
            MigrationStatus.CANCELLED,
        )

    # --- rules ----------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.0, 0.25, 1.0, 7.5, 60.0]))
    def advance(self, seconds: float) -> None:
        """The fake clock moves on (rates, ETA and samples see the time pass)."""
        self.clock.advance(seconds)

    @precondition(lambda self: self.run_open)
    @rule(path=st.sampled_from(PATHS), size=st.integers(min_value=0, max_value=10_000))
    def add_file(self, path: str, size: int) -> None:
        """A file is added while the run is open; adding a known path again changes nothing."""
        added = self.both("add_file", path, file_size=size)
        assert added == (path not in self.status)
        self.status.setdefault(path, FileStatus.PENDING)

    @precondition(lambda self: self.run_open)
    @rule(data=st.data(), batch=st.sampled_from([None, *BATCHES]))
    def start_file(self, data: st.DataObject, batch: str | None) -> None:
        """A pending file starts, in no batch or an open one; a closed batch refuses it."""
        pending = self.paths_in(FileStatus.PENDING)
        if not pending:
            return
        path = data.draw(st.sampled_from(pending))
        if batch in self.closed:
            try:
                self.both("start_file_processing", path, batch_id=batch)
            except InvalidTransitionError:
                return
            raise AssertionError("starting a file in a closed batch was accepted")
        self.both("start_file_processing", path, batch_id=batch)
        self.status[path] = FileStatus.IN_PROGRESS

    @rule(data=st.data(), outcome=st.sampled_from(["success", "failure", "skip", "attempt"]))
    def finish_file(self, data: st.DataObject, outcome: str) -> None:
        """A running file succeeds, fails, is skipped, or has one failed attempt and keeps running."""
        running = self.paths_in(FileStatus.IN_PROGRESS)
        if not running:
            return
        path = data.draw(st.sampled_from(running))
        error = data.draw(st.sampled_from(ERRORS))
        if outcome == "success":
            self.both("complete_file_processing", path, success=True)
            self.status[path] = FileStatus.SUCCEEDED
        elif outcome == "failure":
            self.both("complete_file_processing", path, success=False, error=error)
            self.status[path] = FileStatus.FAILED
        elif outcome == "skip":
            self.both("skip_file", path, "not needed")
            self.status[path] = FileStatus.SKIPPED
        else:
            self.both("record_attempt_failure", path, error)

    @rule(data=st.data())
    def skip_pending(self, data: st.DataObject) -> None:
        """A pending file is skipped without being started."""
        pending = self.paths_in(FileStatus.PENDING)
        if pending:
            path = data.draw(st.sampled_from(pending))
            self.both("skip_file", path, "excluded")
            self.status[path] = FileStatus.SKIPPED

    @precondition(lambda self: self.run_open)
    @rule(data=st.data())
    def retry_failed(self, data: st.DataObject) -> None:
        """A failed file is requeued, until it has used its max_retries requeues."""
        failed = self.paths_in(FileStatus.FAILED)
        if not failed:
            return
        path = data.draw(st.sampled_from(failed))
        if self.requeues[path] >= MAX_RETRIES:
            try:
                self.both("retry_file", path)
            except InvalidTransitionError:
                return
            raise AssertionError("a retry beyond max_retries was accepted")
        self.both("retry_file", path)
        self.requeues[path] += 1
        self.status[path] = FileStatus.PENDING

    @precondition(lambda self: self.run_open)
    @rule(data=st.data())
    def requeue_finished(self, data: st.DataObject) -> None:
        """A finished file (succeeded, failed or skipped) is requeued for a re-run."""
        finished = self.paths_in(FileStatus.SUCCEEDED, FileStatus.FAILED, FileStatus.SKIPPED)
        if finished:
            path = data.draw(st.sampled_from(finished))
            self.tracker.requeue_file(path)
            self.twin.requeue_file(path)
            self.lean.requeue_file(path)
            self.requeues[path] += 1  # a re-run uses one of the file's requeues too
            self.status[path] = FileStatus.PENDING

    @rule(data=st.data())
    def worker_died(self, data: st.DataObject) -> None:
        """The store journals a running file as interrupted; the tracker folds it in on refresh."""
        running = self.paths_in(FileStatus.IN_PROGRESS)
        if running:
            path = data.draw(st.sampled_from(running))
            event = Event(EventKind.FILE_INTERRUPTED, self.clock.time(), path=path)
            seq = self.store.append("run", [event])  # as the store's reclaim would journal it
            assert self.tracker.refresh() == 1
            self.twin.apply(event)
            self.lean.apply(event)
            assert self.tracker.last_seq == seq
            self.status[path] = FileStatus.PENDING

    @rule(batch=st.sampled_from(BATCHES), close=st.booleans())
    def batch_lifecycle(self, batch: str, close: bool) -> None:
        """A batch is opened, or an opened one is closed for good."""
        if batch in self.closed:
            return
        if close:
            try:
                self.both("close_batch", batch)
            except KeyError:  # UnknownBatchError: never opened
                return
            self.closed.add(batch)
        else:
            self.both("open_batch", batch)

    @rule(action=st.sampled_from(["start", "pause", "resume", "complete", "fail", "cancel"]))
    def run_lifecycle(self, action: str) -> None:
        """The run is started, paused, resumed, completed, failed or cancelled; a refused change leaves it."""
        method = functools.partial(self.both, action)
        before = self.tracker.status
        try:
            method("reason") if action == "fail" else method()
        except InvalidTransitionError:
            assert self.tracker.status is before
            return
        expected = {
            "start": MigrationStatus.RUNNING,
            "pause": MigrationStatus.PAUSED,
            "resume": MigrationStatus.RUNNING,
            "complete": MigrationStatus.COMPLETED,
            "fail": MigrationStatus.FAILED,
            "cancel": MigrationStatus.CANCELLED,
        }[action]
        assert self.tracker.status is expected

    @rule(open_=st.booleans())
    def breaker(self, open_: bool) -> None:
        """The run's circuit breaker opens or closes (its open time is excluded from rates)."""
        if open_:
            self.both("breaker_opened")
        else:
            self.both("breaker_closed")
        assert self.tracker.breaker_open is open_

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def counts_match_the_model_and_sum_to_total(self) -> None:
        """Per-status counts equal the model and add up to the total, files and bytes alike."""
        summary = self.tracker.get_progress_summary()
        expected = Counter(self.status.values())
        assert summary.total_files == len(self.status)
        assert summary.pending_files == expected[FileStatus.PENDING]
        assert summary.in_progress_files == expected[FileStatus.IN_PROGRESS]
        assert summary.succeeded_files == expected[FileStatus.SUCCEEDED]
        assert summary.failed_files == expected[FileStatus.FAILED]
        assert summary.skipped_files == expected[FileStatus.SKIPPED]
        assert (
            summary.pending_files + summary.in_progress_files + summary.finished_files == summary.total_files
        )
        assert summary.remaining_files == summary.total_files - summary.finished_files
        assert sum(summary.errors_by_type.values()) == summary.failed_files
        assert summary.processed_bytes + summary.remaining_bytes == summary.total_bytes

    @invariant()
    def percentages_and_eta_are_sane(self) -> None:
        """Percentages stay within 0-100, rates are never negative, the ETA range is ordered."""
        summary = self.tracker.get_progress_summary()
        assert 0.0 <= summary.completion_percentage <= 100.0
        assert 0.0 <= summary.success_rate <= 100.0
        rates = summary.processing_rates
        assert min(rates.files_per_second_recent, rates.files_per_second_overall) >= 0
        if summary.eta_unavailable_reason is None:
            assert summary.eta_seconds is not None
            assert summary.eta_low_seconds is not None
            assert summary.eta_high_seconds is not None
            assert 0.0 <= summary.eta_low_seconds <= summary.eta_seconds <= summary.eta_high_seconds
        else:
            assert summary.eta_seconds is None
        assert summary.elapsed_seconds >= 0

    @invariant()
    def the_in_memory_twin_folds_the_same(self) -> None:
        """The in-memory tracker, folding its calls directly, shows exactly what the journaled one shows."""
        twin, live = self.twin.get_progress_summary(), self.tracker.get_progress_summary()
        # the journaled run also holds RUN_CREATED, so its last activity starts at its creation
        if twin.last_activity_at is None:
            live = live.model_copy(update={"last_activity_at": None})
        assert twin == live
        assert self.lean.get_progress_summary() == twin
        assert self.twin.counts() == self.tracker.counts() == self.lean.counts()
        assert len(self.lean) == len(self.tracker)
        failed = self.paths_in(FileStatus.FAILED)
        assert sorted(self.lean.failed_paths()) == sorted(self.tracker.failed_paths()) == failed
        assert self.lean.failed_paths() == self.tracker.failed_paths()

    def check_replay(self) -> None:
        live = self.tracker
        replayed = MigrationProgressTracker.from_store(
            self.store,
            "run",
            clock=self.clock,
            max_retries=MAX_RETRIES,
            rate_config=live.rate_config,
            sample_interval=2.0,
            max_samples=16,
        )
        assert replayed.get_progress_summary() == live.get_progress_summary()
        pd.testing.assert_frame_equal(replayed.to_dataframe(), live.to_dataframe())
        pd.testing.assert_frame_equal(replayed.progress_dataframe(), live.progress_dataframe())
        assert self.store.item_counts("run") == live.counts()
        pd.testing.assert_frame_equal(self.twin.to_dataframe(), live.to_dataframe())
        pd.testing.assert_frame_equal(self.twin.progress_dataframe(), live.progress_dataframe())
        pd.testing.assert_frame_equal(self.twin.batches_dataframe(), live.batches_dataframe())
        pd.testing.assert_frame_equal(self.lean.progress_dataframe(), live.progress_dataframe())
        for path in PATHS:  # asked by path, the lean tracker answers as the one that keeps the paths
            if path in self.status:
                assert self.lean.get_file_info(path) == live.get_file_info(path)
            else:
                assert path not in self.lean


TrackerMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTrackerStateMachine = TrackerMachine.TestCase
TestTrackerStateMachine.__doc__ = (
    "Random valid operations keep counts, percentages and ETA sane, and replay equal."
)


class TestExcludedTime:
    @settings(max_examples=60, deadline=None)
    @given(
        durations=st.lists(st.floats(min_value=0.1, max_value=30), min_size=1, max_size=25),
        stop_after=st.integers(min_value=0, max_value=25),
        stop_for=st.floats(min_value=0, max_value=1e5),
        breaker=st.booleans(),
    )
    def test_a_pause_or_breaker_spell_changes_nothing_but_excluded_time(
        self, durations: list[float], stop_after: int, stop_for: float, breaker: bool
    ) -> None:
        """A pause or breaker-open spell of any length anywhere leaves elapsed time, rates and ETA alone."""
        plain_clock, stopped_clock = FakeClock(), FakeClock()
        plain = MigrationProgressTracker("p", clock=plain_clock)
        stopped = MigrationProgressTracker("s", clock=stopped_clock)
        for tracker in (plain, stopped):
            tracker.add_files([f"/f{i}" for i in range(len(durations) + 5)])
            tracker.start()
        for i, seconds in enumerate(durations):
            if i == stop_after:
                stopped.breaker_opened() if breaker else stopped.pause()
                stopped_clock.advance(stop_for)
                stopped.breaker_closed() if breaker else stopped.resume()
            for tracker, tracker_clock in ((plain, plain_clock), (stopped, stopped_clock)):
                tracker.start_file_processing(f"/f{i}")
                tracker_clock.advance(seconds)
                tracker.complete_file_processing(f"/f{i}")
        a, b = plain.get_progress_summary(), stopped.get_progress_summary()
        close = {"rel": 1e-6, "abs": 1e-4}
        assert b.elapsed_seconds == pytest.approx(a.elapsed_seconds, **close)
        excluded = b.breaker_open_seconds if breaker else b.paused_seconds
        assert excluded == (pytest.approx(stop_for, **close) if stop_after < len(durations) else 0.0)
        # The recent rate folds completions in steps of at least tau/100 active seconds: where the times
        # fall on a step's edge, rounding of the shifted clock may fold one a step later (within 1 %).
        stepped = {"rel": 1e-2, "abs": 1e-4}
        for field in ProcessingRates.model_fields:
            assert getattr(b.processing_rates, field) == pytest.approx(
                getattr(a.processing_rates, field), **(stepped if field.endswith("_recent") else close)
            )
        assert b.eta_unavailable_reason == a.eta_unavailable_reason
        if a.eta_seconds is not None:
            assert b.eta_seconds == pytest.approx(a.eta_seconds, **close)
            assert b.eta_low_seconds == pytest.approx(a.eta_low_seconds, **close)
            assert b.eta_high_seconds == pytest.approx(a.eta_high_seconds, **close)
