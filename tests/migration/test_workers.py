"""Joining a run: the resolve-only source, the recorded function, many worker processes with one killed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import (
    ConfigError,
    LeaseLostError,
    RunMismatchError,
    RunNotFoundError,
    UnknownFileError,
)
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration import runner_lifecycle
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import DirectorySource, IterableSource, ManifestSource, MigrationItem
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.worker import RecordedSource, join_run, prepare_run
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, RunRecord, WorkItem, open_store
from tests.conftest import PG_DSN

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import asyncio

SEEN = []

def record(item):
    SEEN.append(item)

def other(item):
    return None

async def tiny(item):
    await asyncio.sleep(0.002)
"""


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A module of migration functions, loaded by file path."""
    path = tmp_path / "worker_fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JournalStore]:
    """A SQLite store in the test's folder."""
    with open_store(tmp_path / "journal.db") as opened:
        yield opened


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL per backend: a SQLite file, or an own PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class TestRecordedSource:
    """A source rebuilt from a recorded identity resolves keys and enumerates nothing."""

    def test_directory_identity_resolves_files_under_the_root(self, tmp_path: Path) -> None:
        """A directory run's key comes back as the file under the recorded root."""
        (tmp_path / "tree" / "pkg").mkdir(parents=True)
        (tmp_path / "tree" / "pkg" / "a.py").write_text("x = 1\n")
        original = DirectorySource(tmp_path / "tree", "**/*.py")
        rebuilt = RecordedSource(original.identity)
        assert rebuilt.identity == original.identity
        assert list(rebuilt) == []
        assert rebuilt.resolve(WorkItem("pkg/a.py", 6)) == MigrationItem(
            "pkg/a.py", 6, tmp_path / "tree" / "pkg" / "a.py"
        )

    def test_manifest_identity_resolves_the_named_paths(self, tmp_path: Path) -> None:
        """A manifest run's key comes back with the file the manifest names for it."""
        manifest = tmp_path / "m.jsonl"
        manifest.write_text(json.dumps({"key": "k1", "path": "data/one.txt", "size": 3}) + "\n")
        rebuilt = RecordedSource(ManifestSource(manifest).identity)
        assert list(rebuilt) == []
        assert rebuilt.resolve(WorkItem("k1", 3)).path == tmp_path / "data" / "one.txt"

    def test_csv_manifest_without_paths_is_never_read(self, tmp_path: Path) -> None:
        """A CSV manifest of keys and sizes names no file: keys resolve without reading it (10M rows)."""
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\nk1,3\n")
        rebuilt = RecordedSource(ManifestSource(manifest).identity)
        manifest.unlink()  # reading it now would fail
        assert rebuilt.resolve(WorkItem("k1", 3)) == MigrationItem("k1", 3, None)

    def test_csv_manifest_with_paths_is_read_for_them(self, tmp_path: Path) -> None:
        """A CSV manifest with a path column is read once, for the file it names for each key."""
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,path,size\nk1,data/one.txt,3\n")
        rebuilt = RecordedSource(ManifestSource(manifest).identity)
        assert rebuilt.resolve(WorkItem("k1", 3)).path == tmp_path / "data" / "one.txt"

    def test_iterable_identity_resolves_to_key_and_size(self) -> None:
        """An iterable run's key comes back as a plain item without a path."""
        rebuilt = RecordedSource(IterableSource(["a"], name="ids").identity)
        assert rebuilt.identity == "iterable:ids"
        assert rebuilt.resolve(WorkItem("a", 5)) == MigrationItem("a", 5, None)

    def test_missing_directory_is_a_clear_config_error(self, tmp_path: Path) -> None:
        """A recorded directory absent on this machine is refused, saying workers need the same path."""
        with pytest.raises(ConfigError, match="same absolute path"):
            RecordedSource(f"directory:{tmp_path / 'gone'}:**/*.py")


class TestJoinRun:
    """``join_run`` rebuilds a runner from the run record alone."""

    def test_a_run_without_a_recorded_batch_size_gets_the_runners_default(self, store: JournalStore) -> None:
        """A run recorded without a batch size is worked in batches sized as the runner sizes its own."""
        store.create_run(RunRecord("r", "r", "normal", "iterable:ks", "m:f", 1.0, params={}))
        assert join_run(store, "r", lambda item: None, function_id="m:f", concurrency=32).batch_size == 512
        assert join_run(store, "r", lambda item: None, function_id="m:f", concurrency=2).batch_size == 100

    async def test_a_run_prepared_without_a_batch_size_records_none(self, store: JournalStore) -> None:
        """``prepare_run`` records no batch size unless given one: workers size batches per concurrency."""
        prepare_run(store, "r", IterableSource([f"k{i}" for i in range(250)], name="ks"), "m:f")
        assert "batch_size" not in store.get_run("r").params
        runner = join_run(store, "r", lambda item: None, function_id="m:f", concurrency=8)
        assert runner.batch_size == 128  # 16 per slot, not a fixed 100
        await runner.run()
        opened = [e for e in store.read_events("r") if e.kind is EventKind.BATCH_OPENED]
        assert len(opened) == 2  # 128 + 122 (batches of 100 would have been three)

    def test_a_bad_batch_size_is_refused(self, store: JournalStore) -> None:
        """A batch size that is not a whole number of at least 1 is refused before anything is recorded."""
        for bad in (0, -3, 2.5, True):
            with pytest.raises(ConfigError, match="batch_size must be a whole number of at least 1"):
                prepare_run(store, "r", IterableSource(["a"]), "m:f", batch_size=bad)  # type: ignore[arg-type]
        with pytest.raises(RunNotFoundError):
            store.get_run("r")

    def test_unknown_run_is_not_found(self, store: JournalStore) -> None:
        """Joining a run id the store does not have raises RunNotFoundError naming it."""
        with pytest.raises(RunNotFoundError, match="'ghost'"):
            join_run(store, "ghost")

    async def test_joined_runner_works_the_prepared_items_with_the_recorded_function(
        self, store: JournalStore, fns: Path
    ) -> None:
        """The recorded function is loaded and every prepared item is worked, without re-listing."""
        fn = load_function(f"{fns}:record")
        prepare_run(store, "r", IterableSource([WorkItem(f"k{i}", i) for i in range(25)], name="ks"), fn,
                    batch_size=4)  # fmt: skip
        runner = join_run(store, "r", concurrency=2)
        assert runner.batch_size == 4
        assert runner.source.identity == "iterable:ks"
        summary = await runner.run()
        assert summary.succeeded_files == 25
        seen = load_function(f"{fns}:record").__globals__["SEEN"]
        assert sorted(item.key for item in seen) == sorted(f"k{i}" for i in range(25))
        assert {item.size for item in seen} == set(range(25))
        assert store.leases("r") == []

    def test_given_function_other_than_recorded_is_a_mismatch(self, store: JournalStore, fns: Path) -> None:
        """A function whose identity differs from the recorded one raises RunMismatchError."""
        prepare_run(store, "r", IterableSource(["a"]), load_function(f"{fns}:record"))
        with pytest.raises(RunMismatchError, match="function"):
            join_run(store, "r", load_function(f"{fns}:other"))

    def test_unimportable_recorded_function_suggests_function_option(self, store: JournalStore) -> None:
        """A recorded function that cannot be imported here raises ConfigError mentioning --function."""
        prepare_run(store, "r", IterableSource(["a"]), "no_such_module_omk:fn")
        with pytest.raises(ConfigError, match="--function"):
            join_run(store, "r")

    def test_function_defined_in_a_script_cannot_be_loaded_by_name(self, store: JournalStore) -> None:
        """A function recorded from ``__main__`` or a closure is refused before any import is tried."""
        for run_id, identity in (("m", "__main__:fn"), ("c", "mod:outer.<locals>.fn")):
            prepare_run(store, run_id, IterableSource(["a"]), identity)
            with pytest.raises(ConfigError, match="cannot be imported by name"):
                join_run(store, run_id)

    def test_prepare_is_idempotent_and_refuses_another_source(self, store: JournalStore) -> None:
        """Preparing twice adds nothing new; preparing with another source is a mismatch."""
        source = IterableSource(["a", "b"], name="ab")
        prepare_run(store, "r", source, "m:f")
        prepare_run(store, "r", source, "m:f")
        assert sum(store.item_counts("r").values()) == 2
        with pytest.raises(RunMismatchError, match="source"):
            prepare_run(store, "r", IterableSource(["a"], name="other"), "m:f")


class TestPrepareABadManifest:
    """A manifest with a bad row creates no run and adds no item."""

    def test_a_bad_last_row_leaves_no_run_then_the_fixed_one_is_prepared(
        self, store: JournalStore, tmp_path: Path
    ) -> None:
        """The error names the line, the store lists no run; the fixed manifest is prepared in full."""
        manifest = tmp_path / "m.jsonl"
        good = "".join(f'{{"key": "k{i}", "size": 1}}\n' for i in range(50))
        manifest.write_text(good + '{"key": "k50", "size": true}\n', encoding="utf-8")
        with pytest.raises(ConfigError, match="line 51: size True"):
            prepare_run(store, "r", ManifestSource(manifest), "m:f")
        assert store.list_runs() == []
        manifest.write_text(good, encoding="utf-8")
        prepare_run(store, "r", ManifestSource(manifest), "m:f")
        assert [run.run_id for run in store.list_runs()] == ["r"]
        assert store.item_counts("r")[FileStatus.PENDING] == 50


class CountingPath(type(Path())):  # type: ignore[misc]
    """A manifest's path that counts how often the file is opened (every read of it opens it)."""

    opened = 0

    def open(self, *args: Any, **kwargs: Any) -> Any:
        CountingPath.opened += 1
        return super().open(*args, **kwargs)


class TestPrepareReadsOnce:
    """prepare_run reads a manifest through once, a new run's as a top-up's."""

    @pytest.mark.parametrize("name", ["m.csv", "m.jsonl"])
    def test_a_manifest_is_opened_once(self, store_url: str, tmp_path: Path, name: str) -> None:
        """A new run's manifest is read once (no check pass first); a top-up's is read once too."""
        manifest = tmp_path / name
        if name.endswith(".csv"):
            text = "key,size\n" + "".join(f"k{i},1\n" for i in range(300))
        else:
            text = "".join(f'{{"key": "k{i}", "size": 1}}\n' for i in range(300))
        manifest.write_text(text, encoding="utf-8")
        with open_store(store_url) as store:
            for _ in ("create", "top up with nothing new"):
                source = ManifestSource(manifest)
                source.manifest = CountingPath(source.manifest)  # the constructor's look is not counted
                CountingPath.opened = 0
                prepare_run(store, "r", source, "m:f")
                assert CountingPath.opened == 1
                assert sum(store.item_counts("r").values()) == 300
                assert store.last_seq("r") == 301  # RUN_CREATED, then one FILE_ADDED per item


class TestReadingASharedRun:
    """Readers (status, notebooks) follow a run that workers create and work, on either backend."""

    async def test_from_store_follows_a_run_with_a_source_and_function(self, store_url: str) -> None:
        """A tracker bound to the store reads a prepared run as recorded, then follows a worker's progress."""
        with open_store(store_url) as store:
            prepare_run(store, "r", IterableSource(["a", "b", "c"], name="abc"), "m:f", name="Shared run")
            tracker = MigrationProgressTracker.from_store(store, "r")
            assert tracker.name == "Shared run"
            assert store.get_run("r").source == "iterable:abc"
            assert tracker.get_progress_summary().pending_files == 3
            runner = join_run(store, "r", lambda item: None, function_id="m:f", concurrency=1)
            await runner.run()
            assert tracker.refresh() > 0
            assert tracker.get_progress_summary().succeeded_files == 3


class TestOwnEventsOnly:
    """A joined worker folds only its own events; its summary shows the run from the store's counters."""

    async def test_two_workers_fold_their_own_items_and_show_the_whole_run(self, store_url: str) -> None:
        """Each tracker holds the items its worker claimed; both summaries count every item of the run."""
        with open_store(store_url) as store:
            prepare_run(store, "r", IterableSource([f"k{i:03d}" for i in range(60)]), "m:f", batch_size=5)
            done: Counter[str] = Counter()

            async def migrate(item: MigrationItem) -> None:
                done[item.key] += 1
                await asyncio.sleep(0)

            runners = [join_run(store, "r", migrate, function_id="m:f", concurrency=2) for _ in range(2)]
            summaries = await asyncio.gather(*(runner.run() for runner in runners))
            assert set(done.values()) == {1}
            assert len(done) == 60
            own = [runner.tracker.get_progress_summary() for runner in runners]
            assert sum(s.succeeded_files for s in own) == 60  # together, every item exactly once
            by_worker = Counter(
                e.worker_id for e in store.read_events("r") if e.kind is EventKind.FILE_STARTED
            )
            for runner, mine in zip(runners, own, strict=True):
                assert mine.total_files == by_worker[runner.worker_id]  # only the items it claimed
            for summary in summaries:
                assert (summary.total_files, summary.succeeded_files, summary.remaining_files) == (60, 60, 0)
                assert summary.completion_percentage == 100.0
            completed = [e for e in store.read_events("r") if e.kind is EventKind.RUN_COMPLETED]
            assert len(completed) == 1
            assert {runner.status.value for runner in runners} == {"completed"}

    async def test_a_worker_joining_a_completed_run_has_nothing_to_do(self, store_url: str) -> None:
        """Finding nothing left, a joined worker reads the journal: the run is completed, nothing added."""
        with open_store(store_url) as store:
            prepare_run(store, "r", IterableSource(["a", "b"]), "m:f")
            await join_run(store, "r", lambda item: None, function_id="m:f").run()
            before = store.last_seq("r")
            late = join_run(store, "r", lambda item: None, function_id="m:f")
            summary = await late.run()
            assert summary.status.value == "completed"
            assert summary.succeeded_files == 2
            assert [e.kind for e in store.read_events("r", after_seq=before)] == []


class TestLeanWorker:
    """A worker holds only the items it works, as hashes, and never replays the run's journal to join it."""

    async def test_joining_a_large_run_folds_only_the_claimed_batch(self, store: JournalStore) -> None:
        """After one batch of a 50k-item run the tracker holds that batch; the summary shows the run."""
        keys = [f"bucket/{i:06d}.json" for i in range(50_000)]
        prepare_run(store, "big", IterableSource(keys, name="listing"), "m:f", batch_size=100)
        runner = join_run(store, "big", lambda item: None, function_id="m:f", concurrency=4)
        summary = await runner.step()
        assert runner.tracker.keep_paths is False  # hashes of the keys, not the keys
        assert runner.tracker.total_files == 100  # this worker's batch, no other item's FILE_ADDED
        assert runner.tracker.counts()[FileStatus.SUCCEEDED] == 100
        assert (summary.total_files, summary.succeeded_files, summary.pending_files) == (50_000, 100, 49_900)

    async def test_joining_a_completed_run_reads_no_item_events(self, store: JournalStore) -> None:
        """A worker finding nothing left learns the run completed from its lifecycle events alone."""
        prepare_run(store, "r", IterableSource([f"k{i}" for i in range(30)]), "m:f", batch_size=10)
        await join_run(store, "r", lambda item: None, function_id="m:f").run()
        late = join_run(store, "r", lambda item: None, function_id="m:f")
        summary = await late.run()
        assert late.tracker.status.value == "completed"
        assert late.tracker.total_files == 0  # the 30 items' events were not folded
        assert (summary.status.value, summary.total_files, summary.succeeded_files) == ("completed", 30, 30)

    async def test_lean_worker_counts_what_a_full_runner_counts(self, tmp_path: Path) -> None:
        """The same items and failures give the same counts, failed items and requeues either way."""
        keys = [f"k{i:03d}" for i in range(60)]

        def migrate(item: MigrationItem) -> None:
            if int(item.key[1:]) % 7 == 3:
                raise ValueError(f"bad {item.key}")

        options: dict[str, Any] = {"retry": RetryPolicy(max_attempts=1), "concurrency": 4, "batch_size": 8}
        with open_store(tmp_path / "full.db") as full_store, open_store(tmp_path / "lean.db") as lean_store:
            full = MigrationRunner(full_store, "r", IterableSource(keys, name="ids"), migrate,
                                   function_id="m:f", **options)  # fmt: skip
            full_summary = await full.run()
            prepare_run(lean_store, "r", IterableSource(keys, name="ids"), "m:f")
            lean = join_run(lean_store, "r", migrate, function_id="m:f", **options)
            lean_summary = await lean.run()
            assert (full.tracker.keep_paths, lean.tracker.keep_paths) == (True, False)
            fields = ("total_files", "succeeded_files", "failed_files", "skipped_files", "remaining_files")
            assert [getattr(lean_summary, f) for f in fields] == [getattr(full_summary, f) for f in fields]
            assert lean_summary.failed_files == 9
            assert lean.tracker.counts() == full.tracker.counts()
            assert sorted(lean.tracker.failed_paths()) == sorted(full.tracker.failed_paths())
            assert await lean.retry_failed() == await full.retry_failed() == 9

    async def test_a_worker_forgets_its_finished_items_as_it_goes(
        self, store: JournalStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past FORGET_EVERY items its tracker drops the succeeded ones; counts and retries stay whole."""
        monkeypatch.setattr(runner_lifecycle, "FORGET_EVERY", 50)
        keys = [f"k{i:03d}" for i in range(300)]
        prepare_run(store, "r", IterableSource(keys, name="ids"), "m:f", batch_size=10)

        def migrate(item: MigrationItem) -> None:
            if int(item.key[1:]) % 37 == 0:
                raise ValueError(f"bad {item.key}")

        runner = join_run(store, "r", migrate, function_id="m:f", retry=RetryPolicy(max_attempts=1))
        summary = await runner.run()
        assert (summary.total_files, summary.succeeded_files, summary.failed_files) == (300, 291, 9)
        tracker = runner.tracker
        assert tracker.total_files == 300
        assert tracker.counts()[FileStatus.SUCCEEDED] == 291
        with pytest.raises(UnknownFileError):
            tracker.get_file_info("k001")  # succeeded early: forgotten
        assert sorted(tracker.failed_paths()) == [f"k{i:03d}" for i in range(0, 300, 37)]
        assert await runner.retry_failed() == 9


class TestResumingALargeRun:
    """A runner resuming a run past FOLLOW_COUNTERS_ABOVE items works it as a lean worker does."""

    async def test_resume_folds_only_its_own_events(
        self, store: JournalStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past the threshold the resumed runner holds its batch alone; every item still runs exactly once."""
        monkeypatch.setattr(runner_lifecycle, "FOLLOW_COUNTERS_ABOVE", 50)
        keys = [f"k{i:03d}" for i in range(120)]
        prepare_run(store, "r", IterableSource(keys, name="ids"), "m:f")
        done: Counter[str] = Counter()

        def migrate(item: MigrationItem) -> None:
            done[item.key] += 1

        runner = MigrationRunner(store, "r", IterableSource(keys, name="ids"), migrate, function_id="m:f",
                                 batch_size=10, concurrency=2)  # fmt: skip
        stepped = await runner.step()
        assert runner.own_events_only
        assert not runner.tracker.keep_paths
        assert runner.tracker.total_files == 10  # no replay of the 120 additions
        assert (stepped.total_files, stepped.succeeded_files) == (120, 10)
        summary = await runner.run()
        assert (summary.status.value, summary.total_files, summary.succeeded_files) == ("completed", 120, 120)
        assert set(done.values()) == {1}
        assert len(done) == 120
        assert [e.kind for e in store.read_events("r")].count(EventKind.RUN_COMPLETED) == 1

    async def test_a_run_within_the_threshold_is_replayed(
        self, store: JournalStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Up to the threshold the resumed runner replays the journal and keeps every key, as before."""
        monkeypatch.setattr(runner_lifecycle, "FOLLOW_COUNTERS_ABOVE", 50)
        keys = [f"k{i:02d}" for i in range(50)]
        prepare_run(store, "r", IterableSource(keys, name="ids"), "m:f")
        runner = MigrationRunner(store, "r", IterableSource(keys, name="ids"), lambda item: None,
                                 function_id="m:f", batch_size=10)  # fmt: skip
        await runner.step()
        assert not runner.own_events_only
        assert runner.tracker.keep_paths
        assert runner.tracker.total_files == 50


class TestForeignWorkerLeases:
    """A worker on another machine that stops answering loses its items when its lease expires."""

    async def test_expired_lease_of_another_host_is_reclaimed_and_its_late_report_rejected(
        self, store_url: str
    ) -> None:
        """The worker waits for the foreign lease to expire, then redoes its items; a late report fails."""
        clock = FakeClock(auto_advance=True)
        with open_store(store_url, clock=clock) as store:
            prepare_run(store, "r", IterableSource([f"k{i:02d}" for i in range(20)]), "m:f", clock=clock)
            foreign = store.claim("r", "elsewhere:999:gone", 5, 30.0)
            assert foreign is not None
            done: list[str] = []

            def migrate(item: MigrationItem) -> None:
                done.append(item.key)

            runner = join_run(store, "r", migrate, function_id="m:f", concurrency=2, lease_seconds=6.0,
                              clock=clock)  # fmt: skip
            summary = await runner.run()
            assert summary.succeeded_files == 20
            assert clock.time() >= foreign.expires_at  # it waited for the expiry, on the store's clock
            foreign_keys = {item.key for item in foreign.items}
            assert foreign_keys <= set(done)
            events = list(store.read_events("r"))
            interrupted = {e.path for e in events if e.kind is EventKind.FILE_INTERRUPTED}
            assert foreign_keys <= interrupted
            assert store.leases("r") == []
            late = [Event(EventKind.FILE_SUCCEEDED, clock.time(), path=next(iter(foreign_keys)))]
            with pytest.raises(LeaseLostError):
                store.report(foreign, late)
            succeeded = Counter(e.path for e in store.read_events("r") if e.kind is EventKind.FILE_SUCCEEDED)
            assert set(succeeded.values()) == {1}


# --- many worker processes, one killed ------------------------------------------------------------------

ITEMS = 5_000
RUN_ID = "shared"


def _victim_state(url: str, pid: int) -> tuple[int, int]:
    """Return (items done, live leases) of the worker process ``pid``, (0, 0) before it registered."""
    with open_store(url, create=False) as store:
        for worker in store.workers(RUN_ID):
            if worker.pid == pid:
                return worker.items_done, worker.leases
    return 0, 0


@pytest.mark.slow
class TestManyWorkerProcesses:
    """Three worker processes share a run; one is SIGKILLed mid-run; the journal stays exact."""

    def test_sigkill_one_of_three_workers(self, store_url: str, fns: Path, tmp_path: Path) -> None:
        """Every item succeeds exactly once; the dead worker's unfinished items are interrupted and redone."""
        with open_store(store_url) as store:
            keys = [f"item-{i:05d}" for i in range(ITEMS)]
            prepare_run(store, RUN_ID, IterableSource(keys, name="numbers"), load_function(f"{fns}:tiny"),
                        batch_size=50)  # fmt: skip
        cmd = [sys.executable, "-m", "omnimemory_kit", "worker", "--store", store_url, "--run-id", RUN_ID]
        cmd += ["--concurrency", "4", "--lease-seconds", "2"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        victim, survivors = procs[0], procs[1:]
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # bounded: poll the store until the victim is mid-batch
                done, leases = _victim_state(store_url, victim.pid)
                if done > 0 and leases > 0:
                    break
                try:
                    victim.wait(timeout=0.01)
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"the victim exited before it could be killed: {victim.stderr}")
            else:
                pytest.fail("the victim never held a lease after finishing items")
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)  # reaped, so the others see its pid gone
            outputs = [proc.communicate(timeout=60)[1] for proc in survivors]
            for proc, stderr in zip(survivors, outputs, strict=True):
                assert proc.returncode == 0, stderr
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
                if proc.stderr is not None:
                    proc.stderr.close()

        with open_store(store_url, create=False) as store:
            events = list(store.read_events(RUN_ID))
            counts = store.item_counts(RUN_ID)
            leases = store.leases(RUN_ID)
            workers = store.workers(RUN_ID)
            record = store.get_run(RUN_ID)
        (dead,) = (w.worker_id for w in workers if w.pid == victim.pid)
        succeeded = Counter(e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED)
        assert len(succeeded) == ITEMS
        assert set(succeeded.values()) == {1}
        finisher = {e.path: e.worker_id for e in events if e.kind is EventKind.FILE_SUCCEEDED}
        started_by_dead = {e.path for e in events if e.kind is EventKind.FILE_STARTED and e.worker_id == dead}
        unfinished = started_by_dead - {key for key, worker in finisher.items() if worker == dead}
        assert unfinished, "the dead worker held no unfinished item"
        interrupted = {e.path for e in events if e.kind is EventKind.FILE_INTERRUPTED}
        assert unfinished <= interrupted
        assert all(finisher[key] != dead for key in unfinished)
        assert leases == []
        assert counts[FileStatus.SUCCEEDED] == ITEMS
        assert sum(counts.values()) == ITEMS
        assert sum(w.items_done for w in workers) == ITEMS
        tracker = MigrationProgressTracker(record.name, record.priority, run_id=RUN_ID)
        tracker.apply_many(events)
        summary = tracker.get_progress_summary()
        assert (summary.total_files, summary.succeeded_files) == (ITEMS, ITEMS)
        assert (summary.in_progress_files, summary.pending_files, summary.failed_files) == (0, 0, 0)
        assert summary.interrupted_count >= len(unfinished)
        with open_store(store_url, create=False) as store:
            bound = MigrationProgressTracker.from_store(store, RUN_ID).get_progress_summary()
        assert (bound.succeeded_files, bound.pending_files, bound.in_progress_files) == (ITEMS, 0, 0)

    def test_sigint_hands_a_workers_items_back(self, store_url: str, fns: Path) -> None:
        """A worker stopped with Ctrl-C exits 130 after releasing its batch; the other finishes the run."""
        items = 1_500
        with open_store(store_url) as store:
            keys = [f"item-{i:05d}" for i in range(items)]
            prepare_run(store, RUN_ID, IterableSource(keys, name="numbers"), load_function(f"{fns}:tiny"),
                        batch_size=50)  # fmt: skip
        cmd = [sys.executable, "-m", "omnimemory_kit", "worker", "--store", store_url, "--run-id", RUN_ID]
        cmd += ["--concurrency", "2", "--lease-seconds", "60"]  # long leases: nothing may wait for expiry
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        leaver, stayer = procs
        try:
            deadline = time.monotonic() + 30
            while _victim_state(store_url, leaver.pid)[1] == 0:
                assert time.monotonic() < deadline, "the worker never held a lease"
                with contextlib.suppress(subprocess.TimeoutExpired):
                    leaver.wait(timeout=0.01)
                assert leaver.returncode is None, leaver.stderr
            leaver.send_signal(signal.SIGINT)
            assert leaver.wait(timeout=30) == 130
            assert _victim_state(store_url, leaver.pid)[1] == 0  # its lease was released, not left to expire
            _, stderr = stayer.communicate(timeout=60)
            assert stayer.returncode == 0, stderr
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
                if proc.stderr is not None:
                    proc.stderr.close()
        with open_store(store_url, create=False) as store:
            events = list(store.read_events(RUN_ID))
            assert store.leases(RUN_ID) == []
            assert store.item_counts(RUN_ID)[FileStatus.SUCCEEDED] == items
        succeeded = Counter(e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED)
        assert len(succeeded) == items
        assert set(succeeded.values()) == {1}


class TestSharedRunCompletion:
    """Workers that all see the run finish journal its completion once between them."""

    async def test_a_worker_joining_as_another_completes_the_run_journals_nothing(
        self, tmp_path: Path, fns: Path
    ) -> None:
        """The run completes between a joining worker's look at it and its start: it stays completed once."""
        from omnimemory_kit.store import SQLiteStore

        path = tmp_path / "j.db"

        class CompletedMeanwhile(SQLiteStore):  # failure injection: another worker's completion lands first
            injected = False

            def _complete_first(self, run_id: str, event: Event) -> None:
                if not self.injected and event.kind in (EventKind.RUN_STARTED, EventKind.RUN_RESUMED):
                    self.injected = True
                    with open_store(path) as other:
                        completed = Event(EventKind.RUN_COMPLETED, at=event.at, worker_id="h:1:other")
                        other.append(run_id, [completed])

            def append_start(self, run_id: str, event: Event) -> int | None:
                self._complete_first(run_id, event)
                return super().append_start(run_id, event)

            def append(self, run_id: str, events: Sequence[Event]) -> int:
                self._complete_first(run_id, events[0])
                return super().append(run_id, events)

        with open_store(path) as store:
            prepare_run(store, "r", IterableSource(["a", "b"]), load_function(f"{fns}:record"))
            lease = store.claim("r", "h:1:other", 5, 30)
            assert lease is not None
            done = [Event(EventKind.FILE_SUCCEEDED, at=1.0, path=key, worker_id="h:1:other") for key in "ab"]
            store.report_and_release(lease, done)
        joining = CompletedMeanwhile(path)
        try:
            summary = await join_run(joining, "r", concurrency=2, lease_seconds=1.0).run()
        finally:
            joining.close()
        assert joining.injected
        assert summary.status.value == "completed"
        with open_store(path) as store:
            lifecycle = [e.kind for e in store.read_events("r") if e.kind.value.startswith("run_")]
        assert lifecycle.count(EventKind.RUN_COMPLETED) == 1, lifecycle
        assert lifecycle[-1] is EventKind.RUN_COMPLETED

    def test_three_workers_journal_one_run_completed(self, store_url: str, fns: Path) -> None:
        """Three worker processes share a run to its end: exactly one RUN_COMPLETED, every item once."""
        with open_store(store_url) as store:
            keys = [f"item-{i:04d}" for i in range(600)]
            prepare_run(store, "together", IterableSource(keys, name="numbers"), load_function(f"{fns}:tiny"),
                        batch_size=20)  # fmt: skip
        cmd = [sys.executable, "-m", "omnimemory_kit", "worker", "--store", store_url, "--run-id", "together"]
        cmd += ["--concurrency", "4", "--lease-seconds", "2"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        try:
            errors = [proc.communicate(timeout=90)[1] for proc in procs]
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        assert [proc.returncode for proc in procs] == [0, 0, 0], errors
        with open_store(store_url, create=False) as store:
            events = list(store.read_events("together"))
        kinds = Counter(e.kind for e in events)
        lifecycle = [(e.kind.value, e.worker_id) for e in events if e.kind.value.startswith("run_")]
        assert kinds[EventKind.RUN_COMPLETED] == 1, lifecycle
        # A worker that starts only after the others finished joins a completed run and journals nothing.
        assert 1 <= kinds[EventKind.RUN_STARTED] <= 3, lifecycle
        succeeded = Counter(e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED)
        assert len(succeeded) == 600
        assert set(succeeded.values()) == {1}
