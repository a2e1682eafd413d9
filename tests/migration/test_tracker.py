"""The migration progress tracker in memory: call shapes, lifecycle, misuse, counts, time and DataFrames."""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pydantic
import pytest

from omnimemory_kit import (
    AsyncCircuitBreaker,
    BatchProcessingMetrics,
    CircuitBreakerConfig,
    ConfigError,
    EtaUnavailableReason,
    FakeClock,
    FileProcessingInfo,
    FileStatus,
    InvalidTransitionError,
    MigrationPriority,
    MigrationProgressSummary,
    MigrationProgressTracker,
    MigrationStatus,
    UnknownBatchError,
    UnknownFileError,
)
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.tracker import BATCHES_COLUMNS, FILES_COLUMNS, PROGRESS_COLUMNS


def make(clock: FakeClock, **kwargs: object) -> MigrationProgressTracker:
    """Build an in-memory tracker on the fake clock."""
    return MigrationProgressTracker("Test Migration", MigrationPriority.NORMAL, clock=clock, **kwargs)  # type: ignore[arg-type]


def decode_error() -> json.JSONDecodeError:
    """Return a real JSONDecodeError, as a migration function would raise it."""
    try:
        json.loads("{not json")
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


def run_files(
    tracker: MigrationProgressTracker, clock: FakeClock, n: int, *, seconds_each: float, prefix: str = "/f"
) -> None:
    """Add, start and succeed ``n`` files, each taking ``seconds_each`` of fake time."""
    for i in range(n):
        path = f"{prefix}{i}"
        tracker.add_file(path, file_size=100)
        tracker.start_file_processing(path, batch_id="b")
        clock.advance(seconds_each)
        tracker.complete_file_processing(path, success=True)


class TestOriginCallShapes:
    def test_five_line_example(self, clock: FakeClock) -> None:
        """The origin document's example runs as written and reports one finished, successful file."""
        tracker = MigrationProgressTracker(
            name="Legacy Tool Migration", priority=MigrationPriority.HIGH, clock=clock
        )
        tracker.add_file("/path/to/tool.py", file_size=1024)
        tracker.start_file_processing("/path/to/tool.py", batch_id="batch_001")
        clock.advance(2)
        tracker.complete_file_processing("/path/to/tool.py", success=True)
        summary = tracker.get_progress_summary()
        assert isinstance(summary, MigrationProgressSummary)
        assert summary.name == "Legacy Tool Migration"
        assert summary.priority is MigrationPriority.HIGH
        assert summary.status is MigrationStatus.RUNNING
        assert (summary.total_files, summary.succeeded_files, summary.remaining_files) == (1, 1, 0)
        assert summary.completion_percentage == 100.0
        assert summary.success_rate == 100.0
        assert summary.processed_bytes == 1024
        assert summary.processing_rates.files_per_second_overall == pytest.approx(0.5)
        assert summary.eta_unavailable_reason is EtaUnavailableReason.NOTHING_LEFT

    def test_default_clock_and_priority(self) -> None:
        """The tracker works with the system clock and a default priority when none is given."""
        before = datetime.now(UTC)
        tracker = MigrationProgressTracker(name="Defaults")
        tracker.add_file("a.py", file_size=1)
        after = datetime.now(UTC)
        assert tracker.priority is MigrationPriority.NORMAL
        created_at = tracker.get_progress_summary().created_at
        assert created_at is not None
        assert before - timedelta(seconds=1) <= created_at <= after + timedelta(seconds=1)

    def test_summary_is_a_frozen_value(self, clock: FakeClock) -> None:
        """The summary dumps to a dict and cannot be changed afterwards."""
        tracker = make(clock)
        tracker.add_file("/a", file_size=5)
        summary = tracker.get_progress_summary()
        dumped = summary.model_dump()
        assert dumped["total_files"] == 1
        assert dumped["processing_rates"]["files_per_second_recent"] == 0.0
        with pytest.raises(pydantic.ValidationError):
            summary.total_files = 9  # type: ignore[misc]
        tracker.add_file("/b", file_size=5)
        assert summary.total_files == 1

    def test_paths_may_be_pathlike(self, clock: FakeClock, tmp_path: object) -> None:
        """A pathlib.Path and its string name the same file."""
        from pathlib import Path

        tracker = make(clock)
        tracker.add_file(Path("/x/tool.py"), file_size=3)
        tracker.start_file_processing("/x/tool.py")
        tracker.complete_file_processing(Path("/x/tool.py"))
        assert tracker.get_file_info("/x/tool.py").status is FileStatus.SUCCEEDED
        assert Path("/x/tool.py") in tracker


class TestRunLifecycle:
    def test_full_legal_path(self, clock: FakeClock) -> None:
        """pending → running → paused → running → completed is allowed step by step."""
        tracker = make(clock)
        assert tracker.status is MigrationStatus.PENDING
        tracker.start()
        assert tracker.status is MigrationStatus.RUNNING
        tracker.pause("lunch")
        assert tracker.status is MigrationStatus.PAUSED
        tracker.resume()
        assert tracker.status is MigrationStatus.RUNNING
        clock.advance(7)
        tracker.complete()
        assert tracker.status is MigrationStatus.COMPLETED
        assert tracker.get_progress_summary().finished_at == datetime.fromtimestamp(clock.time(), UTC)

    @pytest.mark.parametrize("end", ["fail", "cancel"])
    @pytest.mark.parametrize("from_state", ["pending", "running", "paused"])
    def test_fail_and_cancel_from_any_live_state(self, clock: FakeClock, end: str, from_state: str) -> None:
        """A run can fail or be cancelled from pending, running or paused."""
        tracker = make(clock)
        if from_state != "pending":
            tracker.start()
        if from_state == "paused":
            tracker.pause()
        if end == "fail":
            tracker.fail("target is gone")
            assert tracker.status is MigrationStatus.FAILED
        else:
            tracker.cancel()
            assert tracker.status is MigrationStatus.CANCELLED

    def test_finish_is_complete(self, clock: FakeClock) -> None:
        """finish() ends the run as completed, like complete()."""
        tracker = make(clock)
        tracker.start()
        tracker.finish()
        assert tracker.status is MigrationStatus.COMPLETED

    @pytest.mark.parametrize(
        ("setup", "action", "current"),
        [
            ([], "pause", "pending"),
            ([], "resume", "pending"),
            ([], "complete", "pending"),
            (["start"], "start", "running"),
            (["start"], "resume", "running"),
            (["start", "pause"], "pause", "paused"),
            (["start", "pause"], "start", "paused"),
            (["start", "complete"], "start", "completed"),
            (["start", "complete"], "pause", "completed"),
            (["start", "complete"], "cancel", "completed"),
            (["cancel"], "fail", "cancelled"),
            (["start", "cancel"], "resume", "cancelled"),
        ],
    )
    def test_illegal_transitions(self, clock: FakeClock, setup: list[str], action: str, current: str) -> None:
        """Each illegal run transition raises InvalidTransitionError naming the run and its state."""
        tracker = make(clock)
        for step in setup:
            getattr(tracker, step)()
        method = getattr(tracker, action)
        with pytest.raises(InvalidTransitionError) as caught:
            method("why") if action == "fail" else method()
        assert caught.value.current == current
        assert f"cannot {action} run 'Test Migration': it is {current}" == str(caught.value)

    def test_complete_refuses_unfinished_files(self, clock: FakeClock) -> None:
        """Completing a run with files pending or in progress is refused and says how many."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.add_file("/b")
        tracker.start_file_processing("/a")
        with pytest.raises(InvalidTransitionError, match="2 unfinished files"):
            tracker.complete()
        assert tracker.status is MigrationStatus.RUNNING

    def test_ended_run_refuses_new_work(self, clock: FakeClock) -> None:
        """After a run ends, adding, starting or retrying files is refused."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.add_file("/b")
        tracker.cancel()
        with pytest.raises(InvalidTransitionError, match="it is cancelled"):
            tracker.add_file("/c")
        with pytest.raises(InvalidTransitionError, match="it is cancelled"):
            tracker.start_file_processing("/a")
        assert tracker.total_files == 2

    def test_starting_a_file_starts_the_run(self, clock: FakeClock) -> None:
        """Starting the first file starts a pending run, so the origin example needs no start()."""
        tracker = make(clock)
        tracker.add_file("/a")
        clock.advance(5)
        tracker.start_file_processing("/a")
        summary = tracker.get_progress_summary()
        assert summary.status is MigrationStatus.RUNNING
        assert summary.started_at == datetime.fromtimestamp(clock.time(), tz=UTC)


class TestMisuse:
    @pytest.mark.parametrize(
        "call",
        [
            lambda t: t.start_file_processing("/nope"),
            lambda t: t.complete_file_processing("/nope"),
            lambda t: t.skip_file("/nope", "reason"),
            lambda t: t.retry_file("/nope"),
            lambda t: t.record_attempt_failure("/nope", ValueError("x")),
            lambda t: t.get_file_info("/nope"),
        ],
    )
    def test_unknown_file(self, clock: FakeClock, call: object) -> None:
        """Any operation on a file never added raises UnknownFileError naming it."""
        tracker = make(clock)
        tracker.add_file("/known")
        with pytest.raises(UnknownFileError, match="unknown file '/nope': add it with add_file"):
            call(tracker)  # type: ignore[operator]

    def test_completing_a_file_not_started(self, clock: FakeClock) -> None:
        """Completing a pending file is an invalid transition and changes nothing."""
        tracker = make(clock)
        tracker.add_file("/a")
        with pytest.raises(InvalidTransitionError, match="cannot complete file '/a': it is pending"):
            tracker.complete_file_processing("/a", success=True)
        assert tracker.get_progress_summary().pending_files == 1

    def test_starting_a_file_twice(self, clock: FakeClock) -> None:
        """Starting a file already in progress is refused."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a")
        with pytest.raises(InvalidTransitionError, match="it is in_progress"):
            tracker.start_file_processing("/a")
        assert tracker.get_file_info("/a").attempts == 1

    def test_completing_twice(self, clock: FakeClock) -> None:
        """A finished file cannot be completed, skipped or started again."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a")
        for call in (
            lambda: tracker.complete_file_processing("/a"),
            lambda: tracker.skip_file("/a", "late"),
            lambda: tracker.start_file_processing("/a"),
        ):
            with pytest.raises(InvalidTransitionError, match="it is succeeded"):
                call()
        assert tracker.get_progress_summary().succeeded_files == 1

    @pytest.mark.parametrize("size", [-1, 1.5, True, "10"])
    def test_bad_size(self, clock: FakeClock, size: object) -> None:
        """A negative or non-integer size is a ConfigError and records nothing."""
        tracker = make(clock)
        with pytest.raises(ConfigError, match="file size of '/a'"):
            tracker.add_file("/a", file_size=size)  # type: ignore[arg-type]
        assert tracker.total_files == 0

    def test_bad_size_in_bulk_records_nothing(self, clock: FakeClock) -> None:
        """add_files with one bad size adds none of the files."""
        tracker = make(clock)
        with pytest.raises(ConfigError):
            tracker.add_files([("/a", 1), ("/b", -5)])
        assert tracker.total_files == 0

    def test_duplicate_add_is_idempotent(self, clock: FakeClock) -> None:
        """Adding a tracked path again returns False and keeps the first size and the file's state."""
        tracker = make(clock)
        assert tracker.add_file("/a", file_size=10) is True
        tracker.start_file_processing("/a")
        assert tracker.add_file("/a", file_size=99) is False
        info = tracker.get_file_info("/a")
        assert (info.size, info.status) == (10, FileStatus.IN_PROGRESS)
        assert tracker.total_files == 1
        assert tracker.add_files(["/a", "/b", "/b", ("/c", 3)]) == 2
        assert tracker.total_files == 3

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"name": ""},
            {"priority": "urgent"},
            {"max_retries": -1},
            {"sample_interval": 0},
            {"max_samples": 1},
        ],
    )
    def test_bad_construction(self, clock: FakeClock, kwargs: dict[str, object]) -> None:
        """Nonsense constructor arguments are refused with a ConfigError."""
        arguments: dict[str, object] = {"name": "ok", "clock": clock, **kwargs}
        with pytest.raises(ConfigError):
            MigrationProgressTracker(**arguments)  # type: ignore[arg-type]

    def test_apply_refuses_events_for_unknown_files(self, clock: FakeClock) -> None:
        """Folding a file event for a path never added raises UnknownFileError and changes nothing."""
        tracker = make(clock)
        tracker.add_file("/a")
        for kind in (EventKind.FILE_STARTED, EventKind.FILE_SUCCEEDED, EventKind.FILE_RETRIED):
            with pytest.raises(UnknownFileError):
                tracker.apply(Event(kind, clock.time(), path="/ghost"))
        assert tracker.counts() == {status: int(status is FileStatus.PENDING) for status in FileStatus}
        assert tracker.status is MigrationStatus.PENDING

    def test_priority_accepts_its_string_value(self, clock: FakeClock) -> None:
        """A priority given as its string value is accepted."""
        assert MigrationProgressTracker("n", "critical", clock=clock).priority is MigrationPriority.CRITICAL

    def test_batch_misuse(self, clock: FakeClock) -> None:
        """Unknown batches, double closes and starting files in a closed batch are refused clearly."""
        tracker = make(clock)
        tracker.add_file("/a")
        with pytest.raises(UnknownBatchError, match="unknown batch 'b9'"):
            tracker.close_batch("b9")
        with pytest.raises(UnknownBatchError):
            tracker.get_batch_metrics("b9")
        tracker.open_batch("b1")
        tracker.open_batch("b1")  # idempotent while open
        tracker.close_batch("b1")
        with pytest.raises(InvalidTransitionError, match="cannot close batch 'b1': it is closed"):
            tracker.close_batch("b1")
        with pytest.raises(InvalidTransitionError, match="batch 'b1'"):
            tracker.start_file_processing("/a", batch_id="b1")
        with pytest.raises(InvalidTransitionError):
            tracker.open_batch("b1")
        with pytest.raises(ConfigError):
            tracker.open_batch("")
        assert tracker.get_file_info("/a").status is FileStatus.PENDING


class TestCounts:
    def test_one_success_two_failures_of_three(self, clock: FakeClock) -> None:
        """1 success and 2 final failures of 3 files is 100 % complete and 33.3 % successful."""
        tracker = make(clock)
        for path in ("/a", "/b", "/c"):
            tracker.add_file(path, file_size=10)
            tracker.start_file_processing(path, batch_id="b1")
        tracker.complete_file_processing("/a", success=True)
        tracker.complete_file_processing("/b", success=False, error=ValueError("bad value"))
        tracker.complete_file_processing("/c", success=False, error=decode_error())
        summary = tracker.get_progress_summary()
        assert summary.completion_percentage == 100.0
        assert summary.success_rate == pytest.approx(100 / 3)
        assert (summary.succeeded_files, summary.failed_files, summary.finished_files) == (1, 2, 3)
        assert summary.errors_by_type == {"ValueError": 1, "json.decoder.JSONDecodeError": 1}
        info = tracker.get_file_info("/c")
        assert info.error_type == "json.decoder.JSONDecodeError"
        assert info.error_message is not None
        assert info.error_message.startswith("Expecting property name")

    def test_string_error_is_recorded_as_error(self, clock: FakeClock) -> None:
        """A failure given as a message is recorded with type 'Error' and that message."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a", success=False, error="disk full")
        info = tracker.get_file_info("/a")
        assert (info.error_type, info.error_message) == ("Error", "disk full")

    def test_huge_error_message_is_truncated(self, clock: FakeClock) -> None:
        """A pathological error message is kept short, ending with an ellipsis."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a", success=False, error=RuntimeError("x" * 100_000))
        message = tracker.get_file_info("/a").error_message
        assert message is not None
        assert len(message) == 2000
        assert message.endswith("…")

    def test_counts_and_bytes_by_status(self, clock: FakeClock) -> None:
        """Every count and byte total follows the files through their states."""
        tracker = make(clock)
        tracker.add_files([("/p", 1), ("/i", 10), ("/s", 100), ("/f", 1000), ("/k", 10000)])
        for path in ("/i", "/s", "/f"):
            tracker.start_file_processing(path)
        tracker.complete_file_processing("/s")
        tracker.complete_file_processing("/f", success=False, error="boom")
        tracker.skip_file("/k", "generated file")
        summary = tracker.get_progress_summary()
        assert (
            summary.pending_files,
            summary.in_progress_files,
            summary.succeeded_files,
            summary.failed_files,
            summary.skipped_files,
        ) == (1, 1, 1, 1, 1)
        assert summary.total_bytes == 11111
        assert summary.processed_bytes == 11100
        assert summary.succeeded_bytes == 100
        assert summary.remaining_bytes == 11
        assert summary.completion_percentage == 60.0
        assert tracker.counts()[FileStatus.SKIPPED] == 1
        assert tracker.get_file_info("/k").skip_reason == "generated file"

    def test_empty_run_is_zero_percent(self, clock: FakeClock) -> None:
        """With no files, completion and success are 0 %, not 100 % or a division error."""
        summary = make(clock).get_progress_summary()
        assert (summary.completion_percentage, summary.success_rate) == (0.0, 0.0)

    def test_skip_from_in_progress_leaves_the_batch(self, clock: FakeClock) -> None:
        """Skipping a file in progress counts it as skipped in its batch and frees the batch."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a", batch_id="b1")
        assert list(tracker.get_progress_summary().active_batches) == ["b1"]
        tracker.skip_file("/a", "unsupported")
        metrics = tracker.get_batch_metrics("b1")
        assert (metrics.skipped, metrics.in_progress) == (1, 0)
        assert tracker.get_progress_summary().active_batches == {}


class TestRetries:
    def test_attempt_failures_keep_the_file_in_progress(self, clock: FakeClock) -> None:
        """A failed attempt retried in place keeps the file in progress and counts a retry."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a")
        tracker.record_attempt_failure("/a", TimeoutError("slow"))
        tracker.record_attempt_failure("/a", TimeoutError("slow"))
        tracker.complete_file_processing("/a")
        summary = tracker.get_progress_summary()
        info = tracker.get_file_info("/a")
        assert (info.attempts, info.status, info.error_type) == (3, FileStatus.SUCCEEDED, None)
        assert (summary.retry_count, summary.attempt_failures, summary.finished_files) == (2, 2, 1)
        assert summary.errors_by_type == {}

    def test_attempt_failure_needs_a_file_in_progress(self, clock: FakeClock) -> None:
        """Recording a failed attempt of a pending file is refused."""
        tracker = make(clock)
        tracker.add_file("/a")
        with pytest.raises(InvalidTransitionError, match="it is pending"):
            tracker.record_attempt_failure("/a", "x")

    def test_retry_requeues_a_failed_file(self, clock: FakeClock) -> None:
        """retry_file puts a failed file back to pending and takes it out of the error summary."""
        tracker = make(clock)
        tracker.add_file("/a", file_size=7)
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a", success=False, error=ValueError("x"))
        tracker.retry_file("/a")
        summary = tracker.get_progress_summary()
        assert (summary.pending_files, summary.failed_files, summary.requeued_count) == (1, 0, 1)
        assert summary.errors_by_type == {}
        info = tracker.get_file_info("/a")
        assert (info.status, info.requeues, info.error_type, info.finished_at) == (
            FileStatus.PENDING,
            1,
            None,
            None,
        )
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a")
        assert tracker.get_file_info("/a").attempts == 2

    def test_retries_are_bounded(self, clock: FakeClock) -> None:
        """A file may be requeued max_retries times; one more is a clear error and changes nothing."""
        tracker = make(clock, max_retries=2)
        tracker.add_file("/a")
        for _ in range(3):
            tracker.start_file_processing("/a")
            tracker.complete_file_processing("/a", success=False, error=OSError("io"))
            if tracker.get_file_info("/a").requeues < 2:
                tracker.retry_file("/a")
        with pytest.raises(InvalidTransitionError, match=r"already retried 2 times \(max_retries=2\)"):
            tracker.retry_file("/a")
        assert tracker.get_file_info("/a").status is FileStatus.FAILED
        assert tracker.get_progress_summary().errors_by_type == {"OSError": 1}

    def test_only_failed_files_can_be_retried(self, clock: FakeClock) -> None:
        """retry_file on a pending or succeeded file is refused."""
        tracker = make(clock)
        tracker.add_file("/a")
        with pytest.raises(InvalidTransitionError, match="cannot retry file '/a': it is pending"):
            tracker.retry_file("/a")

    def test_a_requeued_success_is_counted_once_when_it_finishes_again(self, clock: FakeClock) -> None:
        """requeue_file moves a succeeded file back to pending (no longer succeeded); its next outcome
        counts once, so the totals never double count a re-run."""
        tracker = make(clock)
        tracker.add_files([("/a", 5), ("/b", 7)])
        for path in ("/a", "/b"):
            tracker.start_file_processing(path, batch_id="b1")
            tracker.complete_file_processing(path)
        tracker.requeue_file("/a")
        summary = tracker.get_progress_summary()
        assert (summary.succeeded_files, summary.pending_files, summary.requeued_count) == (1, 1, 1)
        assert (summary.succeeded_bytes, summary.finished_files) == (7, 1)
        assert tracker.get_file_info("/a").finished_at is None
        tracker.start_file_processing("/a", batch_id="b2")
        tracker.complete_file_processing("/a", success=False, error=ValueError("now broken"))
        summary = tracker.get_progress_summary()
        assert (summary.succeeded_files, summary.failed_files, summary.total_files) == (1, 1, 2)
        assert summary.errors_by_type == {"ValueError": 1}

    def test_requeue_needs_a_finished_file(self, clock: FakeClock) -> None:
        """Requeueing a pending or running file is refused and changes nothing."""
        tracker = make(clock)
        tracker.add_file("/a")
        with pytest.raises(InvalidTransitionError, match="cannot requeue file '/a': it is pending"):
            tracker.requeue_file("/a")
        tracker.start_file_processing("/a")
        with pytest.raises(InvalidTransitionError, match="it is in_progress"):
            tracker.requeue_file("/a")
        assert tracker.get_progress_summary().requeued_count == 0

    def test_interrupted_files_go_back_to_pending(self, clock: FakeClock) -> None:
        """A FILE_INTERRUPTED event (its worker died) puts the file back to pending and is counted."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a", batch_id="b1")
        tracker.apply(Event(EventKind.FILE_INTERRUPTED, clock.time(), path="/a"))
        summary = tracker.get_progress_summary()
        assert (summary.pending_files, summary.in_progress_files, summary.interrupted_count) == (1, 0, 1)
        assert tracker.get_batch_metrics("b1").interrupted == 1
        assert summary.active_batches == {}


class TestBatches:
    def test_batch_metrics(self, clock: FakeClock) -> None:
        """A batch counts its files and outcomes, and its duration runs from open to close."""
        tracker = make(clock)
        tracker.add_files(["/a", "/b", "/c"])
        tracker.open_batch("b1")
        for path in ("/a", "/b", "/c"):
            tracker.start_file_processing(path, batch_id="b1")
        clock.advance(4)
        tracker.complete_file_processing("/a")
        tracker.complete_file_processing("/b", success=False, error="x")
        summary = tracker.get_progress_summary()
        assert summary.active_batches["b1"].in_progress == 1
        assert summary.open_batches == 1
        tracker.complete_file_processing("/c")
        clock.advance(1)
        tracker.close_batch("b1")
        closed_at = datetime.fromtimestamp(clock.time(), UTC)
        clock.advance(100)
        metrics = tracker.get_batch_metrics("b1")
        assert isinstance(metrics, BatchProcessingMetrics)
        assert (metrics.files, metrics.succeeded, metrics.failed) == (3, 2, 1)
        assert metrics.success_rate == pytest.approx(200 / 3)
        assert metrics.duration_seconds == 5.0
        assert metrics.closed_at == closed_at
        assert tracker.get_progress_summary().open_batches == 0

    def test_unknown_batch_opens_implicitly(self, clock: FakeClock) -> None:
        """Starting a file in a batch never opened opens it at that moment."""
        tracker = make(clock)
        tracker.add_file("/a")
        tracker.start_file_processing("/a", batch_id="fresh")
        metrics = tracker.get_batch_metrics("fresh")
        assert (metrics.files, metrics.in_progress, metrics.closed_at) == (1, 1, None)

    def test_file_info(self, clock: FakeClock) -> None:
        """get_file_info reports the file's batch, times and duration."""
        tracker = make(clock)
        tracker.add_file("/a", file_size=12)
        clock.advance(1)
        tracker.start_file_processing("/a", batch_id="b7")
        clock.advance(2.5)
        tracker.complete_file_processing("/a")
        info = tracker.get_file_info("/a")
        assert isinstance(info, FileProcessingInfo)
        assert (info.batch_id, info.size, info.duration_seconds) == ("b7", 12, 2.5)
        assert info.started_at == datetime.fromtimestamp(clock.time() - 2.5, tz=UTC)


class TestTimeAccounting:
    def test_pause_is_excluded_from_elapsed_and_rates(self, clock: FakeClock) -> None:
        """Time spent paused counts neither in elapsed time nor against the rates."""
        tracker = make(clock)
        tracker.start()
        run_files(tracker, clock, 10, seconds_each=1.0)
        tracker.add_file("/left")
        before = tracker.get_progress_summary()
        tracker.pause("maintenance")
        clock.advance(1000)
        during = tracker.get_progress_summary()
        tracker.resume()
        after = tracker.get_progress_summary()
        assert before.elapsed_seconds == during.elapsed_seconds == after.elapsed_seconds == 10.0
        assert during.paused_seconds == after.paused_seconds == 1000.0
        assert after.processing_rates == before.processing_rates
        assert after.processing_rates.files_per_second_overall == pytest.approx(1.0)
        assert during.eta_unavailable_reason is EtaUnavailableReason.PAUSED

    def test_breaker_open_time_is_excluded(self, clock: FakeClock) -> None:
        """Time with the target's breaker open is excluded like paused time, and named as the ETA reason."""
        tracker = make(clock)
        tracker.start()
        run_files(tracker, clock, 10, seconds_each=2.0)
        tracker.add_file("/left")
        tracker.breaker_opened()
        tracker.breaker_opened()  # idempotent
        clock.advance(300)
        summary = tracker.get_progress_summary()
        assert summary.breaker_open is True
        assert summary.eta_unavailable_reason is EtaUnavailableReason.BREAKER_OPEN
        tracker.breaker_closed()
        tracker.breaker_closed()  # idempotent
        summary = tracker.get_progress_summary()
        assert (summary.elapsed_seconds, summary.breaker_open_seconds) == (20.0, 300.0)
        assert summary.processing_rates.files_per_second_overall == pytest.approx(0.5)
        assert summary.eta_seconds == pytest.approx(2.0, rel=0.01)

    async def test_follows_a_real_circuit_breaker(self, clock: FakeClock) -> None:
        """As a breaker listener, the tracker excludes exactly the time the breaker spends open."""
        breaker = AsyncCircuitBreaker(
            "target", CircuitBreakerConfig(failure_threshold=1, recovery_timeout=30.0), clock=clock
        )
        tracker = make(clock)
        breaker.add_listener(tracker.on_breaker_state)
        tracker.start()

        async def broken() -> None:
            raise ConnectionError("target down")

        with pytest.raises(ConnectionError):
            await breaker.call(broken)
        assert tracker.breaker_open is True
        clock.advance(31)

        async def healthy() -> str:
            return "ok"

        assert await breaker.call(healthy) == "ok"
        assert tracker.breaker_open is False
        summary = tracker.get_progress_summary()
        assert summary.breaker_open_seconds == 31.0
        assert summary.elapsed_seconds == 0.0

    def test_time_before_start_does_not_count(self, clock: FakeClock) -> None:
        """Elapsed time starts when the run starts, not when the tracker was made."""
        tracker = make(clock)
        clock.advance(50)
        tracker.start()
        clock.advance(3)
        assert tracker.get_progress_summary().elapsed_seconds == 3.0
        assert tracker.elapsed_seconds() == 3.0

    def test_ended_run_stops_the_clock(self, clock: FakeClock) -> None:
        """After the run ends, elapsed time no longer grows."""
        tracker = make(clock)
        tracker.start()
        clock.advance(7)
        tracker.complete()
        clock.advance(100)
        assert tracker.get_progress_summary().elapsed_seconds == 7.0

    def test_retries_are_not_fresh_work(self, clock: FakeClock) -> None:
        """Failed attempts retried in place do not raise the processing rates."""
        plain, retrying = make(clock), make(FakeClock())
        for tracker, tracker_clock in ((plain, clock), (retrying, retrying._clock)):
            tracker.start()
            for i in range(5):
                tracker.add_file(f"/f{i}")
                tracker.start_file_processing(f"/f{i}")
                if tracker is retrying:
                    for _ in range(3):
                        tracker.record_attempt_failure(f"/f{i}", "flaky")
                tracker_clock.advance(2)  # type: ignore[attr-defined]
                tracker.complete_file_processing(f"/f{i}")
        assert (
            plain.get_progress_summary().processing_rates == retrying.get_progress_summary().processing_rates
        )


class TestEta:
    def test_warming_up_until_a_few_completions(self, clock: FakeClock) -> None:
        """No ETA until 5 files are finished; then one at once, without waiting for a fixed time."""
        tracker = make(clock)
        tracker.add_files([f"/f{i}" for i in range(20)])
        tracker.start()
        assert tracker.get_progress_summary().eta_unavailable_reason is EtaUnavailableReason.WARMING_UP
        for i in range(5):
            tracker.start_file_processing(f"/f{i}")
            clock.advance(0.2 if i % 2 else 0.3)
            assert tracker.get_progress_summary().eta_unavailable_reason is EtaUnavailableReason.WARMING_UP
            tracker.complete_file_processing(f"/f{i}")
        summary = tracker.get_progress_summary()
        assert summary.eta_unavailable_reason is None
        assert summary.eta_low_seconds is not None
        assert summary.eta_high_seconds is not None
        assert summary.eta_seconds is not None
        assert 0 <= summary.eta_low_seconds <= summary.eta_seconds < summary.eta_high_seconds
        assert summary.estimated_completion_at == summary.as_of + timedelta(seconds=summary.eta_seconds)

    def test_follows_a_slowdown_with_the_truth_inside(self, clock: FakeClock) -> None:
        """After the pace halves, the ETA follows the new pace and its interval contains the truth."""
        tracker = make(clock)
        tracker.start()
        run_files(tracker, clock, 100, seconds_each=1.0, prefix="/fast")
        run_files(tracker, clock, 100, seconds_each=2.0, prefix="/slow")
        tracker.add_files([f"/left{i}" for i in range(100)])
        summary = tracker.get_progress_summary()
        assert summary.eta_seconds == pytest.approx(200, rel=0.05)  # 100 left at 0.5 files/s
        assert summary.eta_low_seconds is not None
        assert summary.eta_high_seconds is not None
        assert summary.eta_low_seconds <= 200 <= summary.eta_high_seconds

    def test_reasons_through_a_run(self, clock: FakeClock) -> None:
        """The ETA's absence is explained: not started, nothing left, stopped when cancelled."""
        tracker = make(clock)
        tracker.add_file("/a")
        assert tracker.get_progress_summary().eta_unavailable_reason is EtaUnavailableReason.NOT_STARTED
        other = make(clock)
        other.add_file("/a")
        other.start()
        other.cancel()
        assert other.get_progress_summary().eta_unavailable_reason is EtaUnavailableReason.STOPPED
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a")
        tracker.complete()
        assert tracker.get_progress_summary().eta_unavailable_reason is EtaUnavailableReason.NOTHING_LEFT


class TestDataFrames:
    def test_files_frame(self, clock: FakeClock) -> None:
        """to_dataframe has the agreed columns, UTC times, NaT/None where absent, and errors."""
        tracker = make(clock)
        tracker.add_files([("/ok", 10), ("/bad", 20), ("/todo", 30)])
        tracker.start_file_processing("/ok", batch_id="b1")
        tracker.start_file_processing("/bad", batch_id="b1")
        clock.advance(3)
        tracker.complete_file_processing("/ok")
        tracker.complete_file_processing("/bad", success=False, error=KeyError("k"))
        frame = tracker.to_dataframe()
        assert tuple(frame.columns) == FILES_COLUMNS
        assert list(frame["path"]) == ["/ok", "/bad", "/todo"]
        assert list(frame["status"]) == ["succeeded", "failed", "pending"]
        assert list(frame["size"]) == [10, 20, 30]
        assert list(frame["attempts"]) == [1, 1, 0]
        assert list(frame["batch_id"]) == ["b1", "b1", None]
        assert str(frame["started_at"].dtype).startswith("datetime64")
        assert "UTC" in str(frame["started_at"].dtype)
        assert frame["started_at"][0] == pd.Timestamp(clock.time() - 3, unit="s", tz="UTC")
        assert pd.isna(frame["finished_at"][2])
        assert frame["duration_s"][0] == 3.0
        assert math.isnan(frame["duration_s"][2])
        assert list(frame["error_type"]) == [None, "KeyError", None]
        assert frame["error_message"][1] == "'k'"

    def test_empty_frames_keep_their_columns(self, clock: FakeClock) -> None:
        """Empty trackers still give frames with every agreed column."""
        tracker = make(clock)
        assert tuple(tracker.to_dataframe().columns) == FILES_COLUMNS
        assert tuple(tracker.progress_dataframe().columns) == PROGRESS_COLUMNS
        assert tuple(tracker.batches_dataframe().columns) == BATCHES_COLUMNS

    def test_progress_frame_is_sampled(self, clock: FakeClock) -> None:
        """The progress series takes at most one row per sample interval, plus one per status change."""
        tracker = make(clock, sample_interval=10.0)
        tracker.start()
        run_files(tracker, clock, 100, seconds_each=1.0)
        tracker.pause()
        frame = tracker.progress_dataframe()
        assert tuple(frame.columns) == PROGRESS_COLUMNS
        assert 10 <= len(frame) <= 13
        assert frame["at"].is_monotonic_increasing
        assert "UTC" in str(frame["at"].dtype)
        last = frame.iloc[-1]
        assert (last["succeeded"], last["total"], last["elapsed_s"]) == (100, 100, 100.0)
        assert (frame["files_per_s_recent"] >= 0).all()
        assert frame["eta_s"].isna().any()
        assert frame["eta_s"].dropna().ge(0).all()

    def test_progress_frame_time_never_goes_back_when_outcomes_arrive_late(self) -> None:
        """Outcomes journaled after the next batch started (stamped earlier) keep the series monotonic."""
        from omnimemory_kit import MigrationProgressTracker

        tracker = MigrationProgressTracker("late", sample_interval=0.001)
        E, K = Event, EventKind
        events = [E(K.FILE_ADDED, at=0.0, path=f"f{i}", size=1) for i in range(4)]
        events += [E(K.RUN_STARTED, at=1.0)]
        events += [E(K.FILE_STARTED, at=1.0, path=p, batch_id="b1") for p in ("f0", "f1")]
        events += [E(K.FILE_STARTED, at=5.0, path=p, batch_id="b2") for p in ("f2", "f3")]
        events += [E(K.FILE_SUCCEEDED, at=t, path=p) for t, p in ((2.0, "f0"), (3.0, "f1"))]  # reported late
        events += [E(K.BATCH_CLOSED, at=4.0, batch_id="b1")]  # closed while b2 was already claimed
        events += [E(K.FILE_SUCCEEDED, at=t, path=p) for t, p in ((6.0, "f2"), (7.0, "f3"))]
        tracker.apply_many(events)
        frame = tracker.progress_dataframe()
        assert frame["at"].is_monotonic_increasing
        assert frame["succeeded"].is_monotonic_increasing
        assert frame["succeeded"].iloc[-1] == 4

    def test_progress_frame_is_capped(self, clock: FakeClock) -> None:
        """Past max_samples the series is thinned, so its memory stays bounded however long the run."""
        tracker = make(clock, sample_interval=1.0, max_samples=50)
        tracker.start()
        run_files(tracker, clock, 1000, seconds_each=1.0)
        frame = tracker.progress_dataframe()
        assert len(frame) <= 50
        span = frame["at"].iloc[-1] - frame["at"].iloc[0]
        assert span.total_seconds() >= 900

    def test_batches_frame(self, clock: FakeClock) -> None:
        """batches_dataframe has one row per batch with the agreed columns."""
        tracker = make(clock)
        tracker.add_files(["/a", "/b"])
        tracker.start_file_processing("/a", batch_id="b1")
        clock.advance(2)
        tracker.complete_file_processing("/a")
        tracker.close_batch("b1")
        tracker.start_file_processing("/b", batch_id="b2")
        frame = tracker.batches_dataframe()
        assert tuple(frame.columns) == BATCHES_COLUMNS
        assert list(frame["batch_id"]) == ["b1", "b2"]
        assert list(frame["files"]) == [1, 1]
        assert frame["duration_s"][0] == 2.0
        assert frame["success_rate"][0] == 100.0
        assert pd.isna(frame["closed_at"][1])


class TestRepr:
    def test_repr_shows_live_state(self, clock: FakeClock) -> None:
        """The repr names the run, its status, progress and failures."""
        tracker = make(clock)
        tracker.add_files(["/a", "/b"])
        tracker.start_file_processing("/a")
        tracker.complete_file_processing("/a", success=False, error="x")
        tracker.breaker_opened()
        text = repr(tracker)
        assert "'Test Migration' running breaker=open 1/2 finished" in text
        assert "failed=1" in text


class _LockProbe(str):
    """A path whose hashing (done while an event is folded) records whether the tracker's lock is held.

    The probe asks from another thread, so the RLock's reentrancy cannot hide a missing lock.
    """

    tracker: MigrationProgressTracker
    held: list[bool]

    def __hash__(self) -> int:
        if hasattr(self, "tracker"):
            result: list[bool] = []
            lock = self.tracker._lock

            def probe() -> None:
                got = lock.acquire(blocking=False)
                if got:
                    lock.release()
                result.append(not got)

            thread = threading.Thread(target=probe)
            thread.start()
            thread.join()
            self.held.extend(result)
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)


def _probe(tracker: MigrationProgressTracker, path: str, held: list[bool]) -> _LockProbe:
    probe = _LockProbe(path)
    probe.tracker = tracker
    probe.held = held
    return probe


class TestLocking:
    """The promise in the class docstring: every public method that touches the state holds the lock."""

    def test_apply_holds_the_lock_while_folding(self, clock: FakeClock) -> None:
        """An event folded through ``apply`` is folded with the lock held (a reader would wait for it)."""
        tracker = make(clock)
        tracker.add_file("/a")
        held: list[bool] = []
        tracker.apply(Event(EventKind.FILE_STARTED, clock.time(), path=_probe(tracker, "/a", held)))
        assert held == [True]
        assert tracker.get_file_info("/a").status is FileStatus.IN_PROGRESS

    def test_apply_many_holds_the_lock_for_every_event(self, clock: FakeClock) -> None:
        """Each event folded through ``apply_many`` is folded with the lock held."""
        tracker = make(clock)
        tracker.add_files(["/a", "/b"])
        held: list[bool] = []
        applied = tracker.apply_many(
            Event(EventKind.FILE_STARTED, clock.time(), path=_probe(tracker, path, held))
            for path in ("/a", "/b")
        )
        assert (applied, held) == (2, [True, True])
        assert tracker.counts()[FileStatus.IN_PROGRESS] == 2

    def test_apply_and_apply_many_skip_the_same_replayed_events(self, clock: FakeClock) -> None:
        """Both entry points share one fold: an event at or below the last seq applied counts once."""
        tracker = make(clock)
        journal = [
            Event(EventKind.FILE_ADDED, clock.time(), path="/a", seq=1),
            Event(EventKind.FILE_STARTED, clock.time(), path="/a", seq=2),
        ]
        assert tracker.apply_many(journal) == 2
        tracker.apply(journal[1])
        assert tracker.apply_many(journal) == 0
        assert (tracker.last_seq, tracker.get_file_info("/a").attempts) == (2, 1)
