"""Tables (snapshot in, readable frame out) and the notebook data loaders over a real SQLite journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.manager import HealthManager
from omnimemory_kit.health.models import CheckResult, DependencyType, HealthCheckConfig, HealthStatus
from omnimemory_kit.migration.rates import RateConfig
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.validation import Mismatch, verdict_of
from omnimemory_kit.notebook import data, tables
from omnimemory_kit.notebook.checks import default_health_session
from omnimemory_kit.store import JournalStore, open_store
from tests.notebook.frames import EVIL, files_frame


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[JournalStore]:
    """A fresh SQLite journal on the fake clock."""
    journal = open_store(tmp_path / "journal.db", clock=clock)
    yield journal
    journal.close()


def small_run(store: JournalStore, clock: FakeClock) -> None:
    """Journal a run of three files: one succeeds, one fails with a hostile message, one stays pending."""
    tracker = MigrationProgressTracker("small", store=store, run_id="small", clock=clock)
    tracker.add_files([("a.py", 10), ("b.py", 20), ("c.py", 30)])
    tracker.start_file_processing("a.py", "b1")
    tracker.start_file_processing("b.py", "b1")
    clock.advance(2.0)
    tracker.complete_file_processing("a.py")
    tracker.complete_file_processing("b.py", success=False, error=ValueError(EVIL))
    tracker.close_batch("b1")


class TestMigrationTables:
    def test_summary_table_reads_like_a_report(self, store: JournalStore, clock: FakeClock) -> None:
        """The summary becomes Measure/Value rows with counts, percentages and a readable ETA state."""
        small_run(store, clock)
        summary = data.load_migration(store, "small").summary
        table = dict(tables.summary_table(summary).itertuples(index=False))
        assert table["Items"] == "3"
        assert table["Failed"] == "1"
        assert table["Completion"] == "66.7%"
        assert table["In progress / pending"] == "0 / 1"
        assert table["Time remaining"].startswith(
            ("not yet", "0.", "1", "2", "3", "4", "5", "6", "7", "8", "9")
        )

    def test_failures_table_lists_failed_items_most_attempts_first(self) -> None:
        """Only failed items are listed, most attempts first (ties by path), with their error."""
        table = tables.failures_table(files_frame())
        assert list(table.columns) == ["path", "attempts", "batch_id", "error_type", "error_message"]
        assert list(table["path"]) == ["d.py", f"dir/{EVIL}.py"]
        assert "&lt;script&gt;" in table.to_html(escape=True)

    def test_failures_table_of_nothing_is_empty_with_columns(self) -> None:
        """No files (empty or None) gives an empty table that still has its columns."""
        assert tables.failures_table(files_frame().iloc[0:0]).empty
        assert "path" in tables.failures_table(None).columns


class TestTableHtml:
    def test_headers_align_with_their_columns(self) -> None:
        """Text columns and their headers are left-aligned, number columns and theirs right-aligned."""
        frame = pd.DataFrame({"path": ["a.py"], "attempts": [3], "error_type": ["SyntaxError"]})
        markup = tables.table_html(frame)
        assert "omk-align-lrl" in markup
        assert "tr > :nth-child(1) { text-align: left; }" in markup
        assert "tr > :nth-child(2) { text-align: right; }" in markup
        assert "tr > :nth-child(3) { text-align: left; }" in markup
        assert 'style="text-align: right;"' not in markup  # pandas' header default would override nothing

    def test_text_is_escaped_and_long_tables_are_cut(self) -> None:
        """Cell text is escaped, and rows past max_rows are left out with a note saying how many."""
        frame = pd.DataFrame({"name": [EVIL, *(f"f{i}" for i in range(4))]})
        markup = tables.table_html(frame, max_rows=2)
        assert EVIL not in markup
        assert "&lt;script&gt;" in markup
        assert "f1" not in markup
        assert "3 more rows not shown" in markup


class TestData:
    def test_load_migration_replays_without_touching_the_run(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """Loading a run gives its frames and summary and appends nothing to its journal; the items table
        holds the items a report lists (finished or failed), the summary counts every item."""
        small_run(store, clock)
        before = store.last_seq("small")
        loaded = data.load_migration(store, "small")
        assert store.last_seq("small") == before
        assert sorted(loaded.files["path"]) == ["a.py", "b.py"]
        assert loaded.summary.total_files == 3
        assert loaded.summary.failed_files == 1
        assert list(loaded.batches["batch_id"]) == ["b1"]
        assert not loaded.progress.empty

    def test_a_short_run_still_gets_an_eta_curve(self, store: JournalStore, clock: FakeClock) -> None:
        """A run of a few seconds is replayed with scaled rate settings, so its report shows an ETA."""
        tracker = MigrationProgressTracker("short", store=store, run_id="short", clock=clock)
        tracker.add_files([(f"f{i}.py", 10) for i in range(40)])
        for i in range(30):
            tracker.start_file_processing(f"f{i}.py", "b1")
            clock.advance(0.1)
            tracker.complete_file_processing(f"f{i}.py")
        live = MigrationProgressTracker.from_store(store, "short", clock=clock)
        assert live.progress_dataframe()["eta_s"].isna().all()  # live settings: 3 s is too little evidence
        progress = data.load_migration(store, "short").progress
        assert progress["eta_s"].notna().any()
        assert (progress["eta_s"].dropna() >= 0).all()

    def test_long_runs_are_reported_with_the_live_rate_settings(self) -> None:
        """From FULL_SCALE_SECONDS on, reports use the same smoothing and ETA evidence as the live view."""
        assert data.report_rate_config(data.FULL_SCALE_SECONDS) == RateConfig()
        short = data.report_rate_config(6.0)
        assert short.tau_seconds == pytest.approx(0.6)
        assert short.min_active_seconds == pytest.approx(RateConfig().min_active_seconds * 0.01)
        assert short.min_finished == RateConfig().min_finished

    def test_runs_frame_counts_items_per_status(self, store: JournalStore, clock: FakeClock) -> None:
        """Each run is one row with its item counts per status."""
        small_run(store, clock)
        row = data.runs_frame(store).iloc[0]
        assert (row["run_id"], row["items"], row["succeeded"], row["failed"], row["pending"]) == (
            "small",
            3,
            1,
            1,
            1,
        )


class TestHealth:
    async def test_snapshot_table_gives_reasons_and_history_keeps_resources(
        self, store: JournalStore, clock: FakeClock, tmp_path: Path
    ) -> None:
        """A failing check's reason is in the table; the recorded snapshot yields history and host use."""
        manager = HealthManager(
            clock=clock, resource_path=str(tmp_path), history=HealthHistory(store, clock=clock)
        )
        manager.register_health_check(
            HealthCheckConfig(name="api", dependency_type=DependencyType.HTTP),
            lambda: CheckResult(status=HealthStatus.UNHEALTHY, message="HTTP 503"),
        )
        manager.register_health_check(HealthCheckConfig(name="cache", critical=False), lambda: True)
        try:
            response = await manager.get_comprehensive_health()
        finally:
            manager.close()
        table = tables.health_snapshot_table(response).set_index("dependency")
        assert table.loc["api", "status"] == "unhealthy"
        assert "503" in table.loc["api", "reason"]
        headline = tables.health_status_html(response)
        assert "unhealthy" in headline
        assert "1 healthy, 1 unhealthy" in headline
        history = data.health_history_frame(store)
        assert sorted(history["name"]) == ["api", "cache"]
        resources = data.host_resources_frame(store)
        assert set(resources["observed_unit"]) <= {"percent"}
        assert any(name.startswith("memory") for name in resources["name"])

    async def test_default_session_checks_disk_and_store(self, store: JournalStore, tmp_path: Path) -> None:
        """Without a config the default checks are the disk and the store, and they pass here."""
        url = str(tmp_path / "journal.db")
        session = default_health_session(store, url)
        try:
            response = await session.manager.get_comprehensive_health()
        finally:
            await session.aclose()
        assert list(response.dependencies) == ["disk", "store"]
        assert response.dependencies["store"].status is HealthStatus.HEALTHY


class TestThrottleTimeline:
    """A report reads the throttle timeline from the journal."""

    def test_load_migration_has_the_intervals(self, tmp_path: Path) -> None:
        """A throttle and its release become one interval with its reason and duration."""
        from omnimemory_kit.events import Event, EventKind
        from omnimemory_kit.store.base import RunRecord

        with open_store(tmp_path / "t.db") as store:
            store.create_run(RunRecord(run_id="t", name="t"))
            t0 = 1_800_000_000.0
            store.append(
                "t",
                [
                    Event(EventKind.RUN_STARTED, at=t0),
                    Event(EventKind.RUN_THROTTLED, at=t0 + 2, reason="redis unhealthy", worker_id="w"),
                    Event(EventKind.RUN_UNTHROTTLED, at=t0 + 9, worker_id="w"),
                ],
            )
            throttles = data.load_migration(store, "t").throttles
        assert throttles is not None
        assert throttles["reason"].tolist() == ["redis unhealthy"]
        assert throttles["duration_s"].tolist() == [7.0]


class TestValidationTables:
    def checked_run(self, store: JournalStore, clock: FakeClock) -> None:
        """Journal a run of three succeeded items: one validated, one mismatched (hostile), one errored."""
        tracker = MigrationProgressTracker("checked", store=store, run_id="checked", clock=clock)
        tracker.add_files([("a.py", 1), ("b.py", 1), ("c.py", 1)])
        for key in ("a.py", "b.py", "c.py"):
            tracker.start_file_processing(key, "b1")
            tracker.complete_file_processing(key)
        clock.advance(5.0)
        store.append(
            "checked",
            [
                Event(EventKind.ITEM_VALIDATED, at=clock.time(), path="a.py"),
                verdict_of("b.py", Mismatch(EVIL, expected={"sha": "aa"}, actual="bb"), clock.time()),
                verdict_of("c.py", OSError("target unreadable"), clock.time()),
            ],
        )

    def test_counts_and_the_mismatch_table_from_the_journal(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """load_validation replays the verdicts; the tables show the status, the counts, and each mismatch
        and error with its detail, expected, actual and when (UTC), escaped when rendered."""
        self.checked_run(store, clock)
        validation = data.load_validation(store, "checked")
        assert validation is not None
        counts = tables.validation_table(validation)
        assert counts.iloc[0].to_dict() == {
            "status": "completed, 1 mismatched, 1 error", "items": 3, "validated": 1, "mismatched": 1,
            "error": 1, "pending": 0, "validated %": pytest.approx(33.3),
        }  # fmt: skip
        table = tables.mismatches_table(validation)
        assert list(table.columns) == ["key", "state", "detail", "expected", "actual", "when"]
        assert list(zip(table["key"], table["state"], strict=True)) == [
            ("b.py", "mismatched"),
            ("c.py", "error"),
        ]
        assert (table["expected"][0], table["actual"][0]) == ({"sha": "aa"}, "bb")
        assert table["when"][0] == pd.Timestamp(clock.time(), unit="s", tz="UTC").floor("s")
        assert "&lt;script&gt;" in tables.table_html(table)
        assert EVIL not in tables.table_html(table)
        assert list(tables.mismatches_table(validation, errors=False)["key"]) == ["b.py"]

    def test_a_run_never_validated_has_none_and_empty_tables(
        self, store: JournalStore, clock: FakeClock
    ) -> None:
        """A run without verdicts or a recorded validate function: None, and empty tables with columns."""
        small_run(store, clock)
        assert data.load_validation(store, "small") is None
        assert tables.validation_table(None).empty
        assert "detail" in tables.mismatches_table(None).columns
