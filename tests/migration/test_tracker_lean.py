"""A tracker that keeps only hashes of the paths (``keep_paths=False``), and sizes of 4 GiB and more."""

from __future__ import annotations

import gc
import tracemalloc

import pandas as pd
import pytest

from omnimemory_kit import (
    FakeClock,
    FileStatus,
    InvalidTransitionError,
    MigrationProgressTracker,
    SQLiteStore,
    UnknownFileError,
)
from omnimemory_kit.errors import MigrationError


def drive(tracker: MigrationProgressTracker, clock: FakeClock) -> None:
    """Run a small migration through every kind of call: batches, failures, a skip, a retry, one in flight."""
    tracker.add_files([(f"/data/f{i}", 100 + i) for i in range(40)])
    tracker.add_file("/data/unsized")
    for i in range(30):
        clock.advance(0.5)
        tracker.start_file_processing(f"/data/f{i}", f"b{i // 10}")
        clock.advance(0.25)
        if i % 7 == 3:
            tracker.complete_file_processing(f"/data/f{i}", success=False, error=ValueError("bad"))
        elif i % 11 == 5:
            tracker.skip_file(f"/data/f{i}", "not needed")
        else:
            tracker.complete_file_processing(f"/data/f{i}")
    tracker.retry_file("/data/f3")
    tracker.start_file_processing("/data/f3", "b9")
    tracker.record_attempt_failure("/data/f3", TimeoutError("slow"))
    clock.advance(3)


class TestLeanTracker:
    def test_it_shows_what_a_tracker_keeping_the_paths_shows(self) -> None:
        """Summary, counts, file info by path, batches and progress equal those of a full tracker."""
        full_clock, lean_clock = FakeClock(), FakeClock()
        full = MigrationProgressTracker("m", clock=full_clock)
        lean = MigrationProgressTracker("m", clock=lean_clock, keep_paths=False)
        drive(full, full_clock)
        drive(lean, lean_clock)
        assert not lean.keep_paths
        assert full.keep_paths
        assert lean.get_progress_summary() == full.get_progress_summary()
        assert lean.counts() == full.counts()
        assert len(lean) == len(full) == 41
        for i in range(40):
            assert lean.get_file_info(f"/data/f{i}") == full.get_file_info(f"/data/f{i}")
        assert lean.get_file_info("/data/f3").status is FileStatus.IN_PROGRESS
        assert lean.failed_paths() == full.failed_paths() == ["/data/f10", "/data/f17", "/data/f24"]
        pd.testing.assert_frame_equal(lean.batches_dataframe(), full.batches_dataframe())
        pd.testing.assert_frame_equal(lean.progress_dataframe(), full.progress_dataframe())

    def test_the_file_table_is_refused_saying_why(self) -> None:
        """to_dataframe() cannot list paths it never kept: it raises, naming keep_paths, instead of lying."""
        lean = MigrationProgressTracker("m", clock=FakeClock(), keep_paths=False)
        lean.add_file("/a")
        with pytest.raises(MigrationError, match=r"keeps only hashes of the paths \(keep_paths=False\)"):
            lean.to_dataframe()

    def test_unknown_files_and_repeats_are_handled_as_with_paths(self) -> None:
        """An unknown path raises UnknownFileError and is not ``in`` it; a known path added again is False."""
        lean = MigrationProgressTracker("m", clock=FakeClock(), keep_paths=False)
        assert lean.add_file("/a", 10)
        assert not lean.add_file("/a", 99)
        assert lean.add_files(["/a", "/b", "/b"]) == 1
        assert "/a" in lean
        assert "/zzz" not in lean
        for call in (lean.start_file_processing, lean.complete_file_processing, lean.get_file_info):
            with pytest.raises(UnknownFileError):
                call("/zzz")
        with pytest.raises(InvalidTransitionError):
            lean.complete_file_processing("/a")
        assert lean.get_file_info("/a").size == 10

    def test_a_journal_replays_to_the_same_state(self) -> None:
        """from_store(keep_paths=False) rebuilds the summary, file info and failed paths of a full replay."""
        clock = FakeClock()
        store = SQLiteStore(":memory:", clock=clock)
        try:
            drive(MigrationProgressTracker("m", clock=clock, store=store, run_id="r"), clock)
            full = MigrationProgressTracker.from_store(store, "r", clock=clock)
            lean = MigrationProgressTracker.from_store(store, "r", clock=clock, keep_paths=False)
            assert lean.get_progress_summary() == full.get_progress_summary()
            assert lean.get_file_info("/data/f7") == full.get_file_info("/data/f7")
            assert lean.failed_paths() == full.failed_paths() == ["/data/f10", "/data/f17", "/data/f24"]
        finally:
            store.close()

    def test_a_file_costs_under_50_bytes(self) -> None:
        """At 50,000 files (half finished, a few failed) a lean tracker holds under 50 bytes per file."""
        n = 50_000
        paths = [f"/data/legacy/tools/tool_{i:06}.py" for i in range(n)]
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            lean = MigrationProgressTracker("m", clock=FakeClock(), keep_paths=False)
            lean.add_files((path, 1000 + i) for i, path in enumerate(paths))
            for i in range(0, n, 2):
                lean.start_file_processing(paths[i])
                lean.complete_file_processing(paths[i], success=i % 1000 != 0, error="bad")
            gc.collect()
            per_file = (tracemalloc.get_traced_memory()[0] - base) / n
        finally:
            tracemalloc.stop()
        assert per_file < 50
        assert lean.get_progress_summary().finished_files == n // 2


class TestForgetFinished:
    def test_forgetting_keeps_every_figure_and_the_unfinished_and_failed_files(self) -> None:
        """Succeeded and skipped files leave; summary, batches and progress stay those of a full tracker."""
        full_clock, lean_clock = FakeClock(), FakeClock()
        full = MigrationProgressTracker("m", clock=full_clock)
        lean = MigrationProgressTracker("m", clock=lean_clock, keep_paths=False)
        drive(full, full_clock)
        drive(lean, lean_clock)
        assert lean.forget_finished() == 26  # 24 succeeded, 2 skipped
        assert lean.forget_finished() == 0
        assert lean.get_progress_summary() == full.get_progress_summary()
        assert lean.counts() == full.counts()
        assert len(lean) == lean.total_files == 41
        with pytest.raises(UnknownFileError):
            lean.get_file_info("/data/f0")  # succeeded: forgotten
        for kept in ("/data/f3", "/data/f10", "/data/f30", "/data/unsized"):  # in progress, failed, pending
            assert lean.get_file_info(kept) == full.get_file_info(kept)
        assert lean.failed_paths() == full.failed_paths()
        pd.testing.assert_frame_equal(lean.batches_dataframe(), full.batches_dataframe())
        pd.testing.assert_frame_equal(lean.progress_dataframe(), full.progress_dataframe())

    def test_kept_files_go_on_as_before(self) -> None:
        """After forgetting, the file in progress finishes, a failed one retries, a pending one starts."""
        full_clock, lean_clock = FakeClock(), FakeClock()
        full = MigrationProgressTracker("m", clock=full_clock)
        lean = MigrationProgressTracker("m", clock=lean_clock, keep_paths=False)
        for tracker, clock in ((full, full_clock), (lean, lean_clock)):
            drive(tracker, clock)
            if tracker is lean:
                lean.forget_finished()
            tracker.complete_file_processing("/data/f3")
            tracker.retry_file("/data/f10")
            tracker.start_file_processing("/data/f10", "b10")
            tracker.start_file_processing("/data/f31", "b10")
            tracker.complete_file_processing("/data/f31", success=False, error="gone")
            clock.advance(1)
        assert lean.get_progress_summary() == full.get_progress_summary()
        assert lean.failed_paths() == full.failed_paths()
        assert lean.get_file_info("/data/f10") == full.get_file_info("/data/f10")

    def test_a_tracker_keeping_the_paths_forgets_nothing(self) -> None:
        """Its file table lists every file: forgetting is refused, saying why."""
        with pytest.raises(MigrationError, match="keep_paths=False"):
            MigrationProgressTracker("m").forget_finished()


class TestBigSizes:
    @pytest.mark.parametrize("keep_paths", [True, False])
    def test_sizes_of_4_gib_and_more_count_exactly(self, keep_paths: bool) -> None:
        """Sizes past 32 bits (kept beside the compact sizes) count exactly in bytes and file info."""
        big = 5 * 2**40  # 5 TiB
        edge = 2**32 - 1
        tracker = MigrationProgressTracker("m", clock=FakeClock(), keep_paths=keep_paths)
        tracker.add_files([("/big", big), ("/edge", edge), ("/small", 7)])
        tracker.start_file_processing("/big")
        tracker.complete_file_processing("/big")
        tracker.start_file_processing("/edge")
        summary = tracker.get_progress_summary()
        assert summary.total_bytes == big + edge + 7
        assert summary.processed_bytes == summary.succeeded_bytes == big
        assert tracker.get_file_info("/big").size == big
        assert tracker.get_file_info("/edge").size == edge
        if keep_paths:
            sizes = tracker.to_dataframe()["size"]
            assert sizes.dtype == "int64"
            assert sizes.tolist() == [big, edge, 7]
