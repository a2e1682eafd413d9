"""Pipelined validation over real files: each batch's copies are checked (sha256) while later ones run."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit import DirectorySource, MigrationRunner, MigrationStatus
from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration import validation_pipeline
from omnimemory_kit.migration.runner_validation import CHECK_TIMEOUT
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.migration.validation_pipeline import validation_queue_id
from omnimemory_kit.migration.worker import join_run
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import WorkItem
from tests.store.conftest import BACKEND_MARKS, BACKENDS

ROOT = Path(__file__).resolve().parents[2]
VERDICTS = {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}

FUNCTIONS = """
import hashlib
import os
import shutil
import signal
import threading
from pathlib import Path

from omnimemory_kit import Mismatch

TARGET = Path(os.environ["TARGET"])


def copy(item):
    if item.key in os.environ.get("CORRUPT", "").split(","):
        (TARGET / item.key).write_text("corrupted\\n", encoding="utf-8")
    else:
        shutil.copyfile(item.path, TARGET / item.key)


def same_sha256(item):
    with open(os.environ["CALLS"], "a", encoding="utf-8") as calls:  # one line per check made
        calls.write(item.key + "\\n")
    if os.environ.get("KILL_AT") == item.key:
        os.kill(os.getpid(), signal.SIGKILL)  # the process dies mid-validation, as a crash would
    want = hashlib.sha256(Path(item.path).read_bytes()).hexdigest()
    got = hashlib.sha256((TARGET / item.key).read_bytes()).hexdigest()
    if want != got:
        return Mismatch("sha256 differs", expected=want[:12], actual=got[:12])
    return True


def hangs(item):
    if item.key == "f003.txt":
        threading.Event().wait()
    return True
"""


async def nothing_to_copy(item: MigrationItem) -> None:
    """A migration with nothing to copy."""


async def always_valid(item: MigrationItem) -> bool:
    """A check every item passes."""
    return True


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """300 source files, an empty target folder and the functions file: (source, target, fns)."""
    source, target = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    target.mkdir()
    for i in range(300):
        (source / f"f{i:03d}.txt").write_text(f"content {i}\n", encoding="utf-8")
    fns = tmp_path / "fns.py"
    fns.write_text(FUNCTIONS, encoding="utf-8")
    monkeypatch.setenv("TARGET", str(target))
    monkeypatch.setenv("CALLS", str(tmp_path / "calls.log"))
    monkeypatch.syspath_prepend(str(tmp_path))
    return source, target, fns


def verdicts(store: Path, run_id: str = "r1") -> Counter[str]:
    """Count the verdicts journaled per item."""
    with open_store(store, read_only=True) as opened:
        return Counter(str(e.path) for e in opened.read_events(run_id) if e.kind in VERDICTS)


def calls(tmp_path: Path) -> Counter[str]:
    """Count the checks the validate function made per item (across processes)."""
    path = tmp_path / "calls.log"
    return Counter(path.read_text(encoding="utf-8").split()) if path.exists() else Counter()


def migrate_command(source: Path, fns: Path, store: Path, *extra: str) -> list[str]:
    """The ``migrate --validate`` command line for run r1, in batches of 20."""
    return [sys.executable, "-m", "omnimemory_kit", "migrate", str(source), "--function", f"{fns}:copy",
            "--store", str(store), "--run-id", "r1", "--pattern", "*.txt", "--batch-size", "20",
            "--concurrency", "4", "--validate", f"{fns}:same_sha256", "--json", *extra]  # fmt: skip


class TestPipelined:
    async def test_batches_are_checked_while_the_run_goes_on(
        self, tree: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Verdicts reach the journal before the last batch starts; the run completes with every item
        checked once, three mismatched, and the summary says so."""
        source, _, _ = tree
        monkeypatch.setenv("CORRUPT", "f007.txt,f100.txt,f250.txt")
        import fns  # type: ignore[import-not-found]

        with open_store(tmp_path / "s.db") as store:
            runner = MigrationRunner(
                store, "r1", DirectorySource(source, pattern="*.txt"), fns.copy, batch_size=20,
                concurrency=4, validate=fns.same_sha256,
            )  # fmt: skip
            summary = await runner.run()
            events = list(store.read_events("r1"))
        assert summary.status is MigrationStatus.COMPLETED
        assert summary.validation is not None
        assert summary.validation.status == "completed, 3 mismatched"
        assert (summary.validation.validated, summary.validation.pending) == (297, 0)
        assert summary.validation.mismatch_rate == pytest.approx(1.0)
        first_verdict = next(e.seq for e in events if e.kind in VERDICTS)
        last_start = max(e.seq for e in events if e.kind is EventKind.FILE_STARTED)
        assert first_verdict < last_start  # checked while later batches still ran
        batch_of = {e.path: e.batch_id for e in events if e.kind is EventKind.FILE_STARTED}
        closed_at = {e.batch_id: e.seq for e in events if e.kind is EventKind.BATCH_CLOSED}
        # each item checked within its batch's lease: its verdict lands before the batch is released
        assert all(e.seq < closed_at[batch_of[e.path]] for e in events if e.kind in VERDICTS)
        assert set(Counter(str(e.path) for e in events if e.kind in VERDICTS).values()) == {1}
        assert set(calls(tmp_path).values()) == {1}
        checked = runner.validation_summary()
        assert checked is not None
        assert [row.key for row in checked.mismatches] == ["f007.txt", "f100.txt", "f250.txt"]
        assert checked.mismatches[0].detail == "sha256 differs"

    async def test_a_hanging_check_is_that_items_error(
        self, tree: tuple[Path, Path, Path], tmp_path: Path
    ) -> None:
        """A check that never returns is recorded as an error at the run's check timeout; the run ends."""
        source, _, _ = tree
        import fns

        with open_store(tmp_path / "s.db") as store:
            runner = MigrationRunner(
                store, "r1", DirectorySource(source, pattern="*.txt"), fns.copy, batch_size=50,
                concurrency=4, check_timeout=0.2,
                validate=fns.hangs,
            )  # fmt: skip
            summary = await asyncio.wait_for(runner.run(), 60)
        assert summary.validation is not None
        assert summary.validation.status == "completed, 1 error"
        checked = runner.validation_summary()
        assert checked is not None
        assert [(row.key, "longer than 0.2 s" in row.detail) for row in checked.errors] == [
            ("f003.txt", True)
        ]

    @pytest.mark.parametrize("kind", [EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED])
    async def test_an_item_judged_elsewhere_during_its_batch_is_not_checked_again(
        self, tmp_path: Path, kind: EventKind
    ) -> None:
        """A verdict another process journals for an item while its batch runs (after its success) is that
        item's verdict: the batch's check skips it, and the journal holds one verdict per item."""
        path = tmp_path / "s.db"
        checked: list[str] = []

        async def migrate(item: MigrationItem) -> None:
            if item.key == "c":  # "a" succeeded (and was reported): another process judges it now
                with open_store(path) as elsewhere:
                    elsewhere.append("r1", [Event(kind, at=1.0, path="a", reason="{}")])

        async def check(item: MigrationItem) -> bool:
            checked.append(item.key)
            return True

        with open_store(path) as store:
            runner = MigrationRunner(
                store, "r1", IterableSource(list("abcde"), name="letters"), migrate, batch_size=10,
                concurrency=1, flush_size=1, validate=check,
            )  # fmt: skip
            summary = await runner.run()
            events = list(store.read_events("r1"))
        assert sorted(checked) == ["b", "c", "d", "e"]
        assert Counter(str(e.path) for e in events if e.kind in VERDICTS) == dict.fromkeys("abcde", 1)
        assert summary.validation is not None
        judged = 1 if kind is EventKind.ITEM_MISMATCHED else 0
        assert (summary.validation.validated, summary.validation.mismatched) == (5 - judged, judged)

    async def test_the_check_gets_the_item_the_migration_resolved(self, tmp_path: Path) -> None:
        """Each item is resolved once: the check receives the very item the migration function received."""
        resolved: Counter[str] = Counter()

        class CountingSource(IterableSource):
            def resolve(self, item: WorkItem) -> MigrationItem:
                resolved[item.key] += 1
                return super().resolve(item)

        migrated: dict[str, int] = {}
        checked: dict[str, int] = {}

        async def migrate(item: MigrationItem) -> None:
            migrated[item.key] = id(item)

        async def check(item: MigrationItem) -> bool:
            checked[item.key] = id(item)
            return True

        keys = [f"k{i:03d}" for i in range(120)]
        with open_store(tmp_path / "s.db") as store:
            runner = MigrationRunner(
                store, "r1", CountingSource(keys, name="keys"), migrate, batch_size=25, concurrency=4,
                validate=check,
            )  # fmt: skip
            summary = await runner.run()
        assert summary.validation is not None
        assert summary.validation.validated == len(keys)
        assert checked == migrated  # the same objects, alive all along (the batch keeps them)
        assert set(resolved.values()) == {1}
        assert sorted(resolved) == keys

    async def test_a_hung_async_check_is_an_error_at_the_check_timeout(self, tmp_path: Path) -> None:
        """An async check that never returns is its item's error at ``check_timeout``; the run completes."""

        async def check(item: MigrationItem) -> bool:
            if item.key == "k003":
                await asyncio.Event().wait()
            return True

        with open_store(tmp_path / "s.db") as store:
            runner = MigrationRunner(
                store, "r1", [f"k{i:03d}" for i in range(10)], nothing_to_copy, batch_size=5, validate=check,
                check_timeout=0.05,
            )  # fmt: skip
            summary = await asyncio.wait_for(runner.run(), 60)
        assert summary.status is MigrationStatus.COMPLETED
        checked = runner.validation_summary()
        assert checked is not None
        assert (checked.validated, checked.error, checked.pending) == (9, 1, 0)
        assert [(row.key, row.detail) for row in checked.errors] == [
            ("k003", "validation took longer than 0.05 s")
        ]

    def test_checks_have_a_time_limit_by_default(self, tmp_path: Path) -> None:
        """Pipelined checks are limited to CHECK_TIMEOUT (60 s) unless told otherwise, whatever the item
        timeout; None lifts the limit; a limit that is not a positive number is refused."""
        with open_store(tmp_path / "s.db") as store:
            assert CHECK_TIMEOUT == 60.0
            assert (
                MigrationRunner(store, "r1", ["a"], nothing_to_copy, validate=always_valid).check_timeout
                == 60.0
            )
            no_limit = MigrationRunner(
                store, "r1", ["a"], nothing_to_copy, validate=always_valid, check_timeout=None
            )
            assert no_limit.check_timeout is None
            for bad in (0, -1.0, float("nan"), "5"):
                with pytest.raises(ConfigError, match="check_timeout must be"):
                    MigrationRunner(store, "r1", ["a"], nothing_to_copy, check_timeout=bad)  # type: ignore[arg-type]

    def test_validate_must_be_callable(self, tmp_path: Path) -> None:
        """A validate argument that is not callable is a ConfigError naming it."""
        with open_store(tmp_path / "s.db") as store, pytest.raises(ConfigError, match="validate must be"):
            MigrationRunner(store, "r1", ["a"], lambda item: None, validate="nope")  # type: ignore[arg-type]


class TestStopping:
    async def test_a_stop_starts_no_further_check_and_leaves_the_rest_pending(self, tmp_path: Path) -> None:
        """Cancelling a run while its batch is checked checks no further item of it: the run stops at
        once, the unchecked items stay pending, and a later pass checks each of them once."""
        keys = [f"k{i:03d}" for i in range(20)]
        checked: list[str] = []

        with open_store(tmp_path / "s.db") as store:

            async def check(item: MigrationItem) -> bool:
                checked.append(item.key)
                if item.key == "k000":
                    runner.cancel()  # a stop arrives while the batch's checks run
                await asyncio.sleep(0)
                return True

            runner = MigrationRunner(
                store, "r1", keys, nothing_to_copy, batch_size=20, concurrency=1, validate=check
            )
            summary = await asyncio.wait_for(runner.run(), 60)
            assert summary.status is MigrationStatus.CANCELLED
            assert checked == ["k000"]
            assert summary.validation is not None
            assert (summary.validation.validated, summary.validation.pending) == (1, 19)
            later = await validate_run(store, "r1", always_valid)
            events = list(store.read_events("r1"))
        assert (later.validated, later.pending, later.checked_now) == (20, 0, 19)
        assert Counter(str(e.path) for e in events if e.kind in VERDICTS) == dict.fromkeys(keys, 1)

    async def test_a_stop_waits_for_a_hung_check_no_longer_than_its_limit(self, tmp_path: Path) -> None:
        """A check hung when the run is stopped holds the stop up to its time limit only (then it is
        that item's error); the items after it stay pending."""
        keys = [f"k{i:03d}" for i in range(10)]

        with open_store(tmp_path / "s.db") as store:

            async def check(item: MigrationItem) -> bool:
                if item.key == "k001":
                    runner.cancel()
                    await asyncio.Event().wait()
                return True

            runner = MigrationRunner(
                store, "r1", keys, nothing_to_copy, batch_size=10, concurrency=1, validate=check,
                check_timeout=0.05,
            )  # fmt: skip
            summary = await asyncio.wait_for(runner.run(), 60)
        assert summary.status is MigrationStatus.CANCELLED
        assert summary.validation is not None
        counts = summary.validation
        assert (counts.validated, counts.error, counts.pending) == (1, 1, 8)

    async def test_cancelling_the_run_task_does_not_wait_for_the_batch_checks(self, tmp_path: Path) -> None:
        """Cancelling the task running the run while a batch is checked starts no further check of it;
        the verdicts made are journaled with the batch's release and its outcomes, nothing is lost."""
        keys = [f"k{i:03d}" for i in range(20)]
        checked: list[str] = []
        gate, proceed = asyncio.Event(), asyncio.Event()

        async def check(item: MigrationItem) -> bool:
            checked.append(item.key)
            if item.key == "k002":
                gate.set()
                await proceed.wait()
            return True

        with open_store(tmp_path / "s.db") as store:
            runner = MigrationRunner(
                store, "r1", keys, nothing_to_copy, batch_size=20, concurrency=1, validate=check
            )
            task = asyncio.ensure_future(runner.run())
            await gate.wait()
            task.cancel()
            validator = runner._validator  # the stop it sets is what this test is about
            assert validator is not None
            while not validator.stop.is_set():
                await asyncio.sleep(0)
            proceed.set()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 60)
            events = list(store.read_events("r1"))
        assert checked == ["k000", "k001", "k002"]
        assert sorted(str(e.path) for e in events if e.kind in VERDICTS) == checked
        assert sum(e.kind is EventKind.FILE_SUCCEEDED for e in events) == len(keys)


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend; a PostgreSQL schema is dropped after)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


class TestSharedRun:
    async def test_a_joined_worker_checks_with_the_recorded_function_and_no_item_twice(
        self, tree: tuple[Path, Path, Path], tmp_path: Path, store_url: str
    ) -> None:
        """A run created with validate= and a worker joined to it (join_run loads the recorded function)
        share the validation queue on either backend: every item is checked once and has one verdict."""
        source, _, _ = tree
        import fns

        with open_store(store_url) as first, open_store(store_url) as second:
            creator = MigrationRunner(
                first, "r1", DirectorySource(source, pattern="*.txt"), fns.copy, batch_size=30,
                concurrency=4, validate=fns.same_sha256, lease_seconds=5.0,
            )  # fmt: skip
            await creator.step()  # creates the run, records the validate function, works one batch
            joined = join_run(second, "r1", concurrency=4, lease_seconds=5.0)
            assert joined.validate_fn is not None
            summaries = await asyncio.gather(creator.run(), joined.run())
            events = list(first.read_events("r1"))
        assert MigrationStatus.COMPLETED in {s.status for s in summaries}  # journaled once, by one of them
        assert [e.kind for e in events].count(EventKind.RUN_COMPLETED) == 1
        assert calls(tmp_path) == Counter({f"f{i:03d}.txt": 1 for i in range(300)})
        assert Counter(str(e.path) for e in events if e.kind in VERDICTS) == calls(tmp_path)
        assert {e.worker_id for e in events if e.kind in VERDICTS} == {creator.worker_id, joined.worker_id}

    async def test_batches_of_a_worker_without_the_function_are_checked_by_the_drain(
        self, tree: tuple[Path, Path, Path], tmp_path: Path
    ) -> None:
        """A worker told not to validate leaves its batches unchecked; the validating worker's drain checks
        them through the queue before the run completes: every item once."""
        source, _, _ = tree
        import fns

        with open_store(tmp_path / "s.db") as first, open_store(tmp_path / "s.db") as second:
            creator = MigrationRunner(
                first, "r1", DirectorySource(source, pattern="*.txt"), fns.copy, batch_size=30,
                concurrency=4, validate=fns.same_sha256,
            )  # fmt: skip
            await creator.step()
            plain = join_run(second, "r1", concurrency=4, validate=None)
            await plain.step()  # one batch nobody checks in its lease
            await asyncio.gather(creator.run(), plain.run())
            queued = first.item_counts(validation_queue_id("r1"))
        assert calls(tmp_path) == Counter({f"f{i:03d}.txt": 1 for i in range(300)})
        assert verdicts(tmp_path / "s.db") == calls(tmp_path)
        assert sum(queued.values()) >= 30  # at least the plain worker's batch went through the queue

    @pytest.mark.parametrize("chunk", [None, 7])
    async def test_a_joined_worker_drains_what_another_worker_left_unchecked(
        self, store_url: str, chunk: int | None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A joined worker (it folds only its own events) still checks, in its drain, the items another
        worker migrated without checking them: the completed run has a verdict for every item, once. So
        too when it reads the run's journal into its ledger in chunks far smaller than the journal."""
        if chunk is not None:
            monkeypatch.setattr(validation_pipeline, "RUN_WIDE_CHUNK", chunk)
        keys = [f"k{i:03d}" for i in range(90)]
        migrate, check = nothing_to_copy, always_valid  # by name: join_run loads them from the run record
        with open_store(store_url) as first, open_store(store_url) as second:
            creator = MigrationRunner(
                first, "r1", IterableSource(keys, name="keys"), migrate, batch_size=30, concurrency=4,
                validate=check,
            )  # fmt: skip
            await creator.step()  # creates the run, records the validate function, checks one batch
            plain = join_run(second, "r1", concurrency=4, validate=None)
            await plain.step()  # a batch nobody checks in its lease
            joined = join_run(second, "r1", concurrency=4, validate=check)
            summary = await joined.run()
            events = list(first.read_events("r1"))
        assert summary.status is MigrationStatus.COMPLETED
        assert Counter(str(e.path) for e in events if e.kind in VERDICTS) == Counter(dict.fromkeys(keys, 1))


class TestProcesses:
    def test_two_processes_never_check_an_item_twice(
        self, tree: tuple[Path, Path, Path], tmp_path: Path
    ) -> None:
        """Two migrate --validate processes working one run share its validation queue: every item is
        checked exactly once (the function's own call log says so) and has one verdict."""
        source, _, fns = tree
        store = tmp_path / "s.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        assert subprocess.run(
            migrate_command(source, fns, store, "--create-only"), env=env, capture_output=True, timeout=60
        ).returncode == 0  # fmt: skip
        both = [
            subprocess.Popen(migrate_command(source, fns, store), env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120)[0] for process in both]
        assert [process.returncode for process in both] == [0, 0]
        assert json.loads(outputs[0])["validation"]["status"] == "completed, all validated"
        assert calls(tmp_path) == Counter({f"f{i:03d}.txt": 1 for i in range(300)})
        assert verdicts(store) == calls(tmp_path)

    def test_sigkill_during_validation_then_resume_checks_each_item_once(
        self, tree: tuple[Path, Path, Path], tmp_path: Path
    ) -> None:
        """A migrate --validate killed by SIGKILL mid-check resumes: every item ends with one verdict,
        and only the checks the crash lost are made again."""
        source, _, fns = tree
        store = tmp_path / "s.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KILL_AT": "f150.txt"}
        killed = subprocess.run(migrate_command(source, fns, store), env=env, capture_output=True, timeout=60)
        assert killed.returncode == -9
        before = verdicts(store)
        assert 0 < len(before) < 300
        resumed = subprocess.run(
            migrate_command(source, fns, store), env={**env, "KILL_AT": ""}, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout)["validation"]["status"] == "completed, all validated"
        after = verdicts(store)
        assert after == Counter({f"f{i:03d}.txt": 1 for i in range(300)})
        rechecked = {key for key, n in calls(tmp_path).items() if n > 1}
        assert "f150.txt" in rechecked
        assert not rechecked & set(before)  # an item with a verdict is never checked again
        with open_store(store, read_only=True) as opened:
            assert (
                opened.item_counts(validation_queue_id("r1"))[
                    next(s for s in opened.item_counts("r1") if s.value == "pending")
                ]
                == 0
            )


class TestStatusSaysIt:
    def test_migrate_status_and_json_carry_the_counts_and_the_table(
        self, tree: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """migrate --validate ends "completed, 3 mismatched" (exit 1); status shows the counts and rates, and
        its JSON the counts, rates and the mismatch table (key, detail, expected, actual, when)."""
        source, _, fns = tree
        monkeypatch.setenv("CORRUPT", "f007.txt,f100.txt,f250.txt")
        store = tmp_path / "s.db"
        args = migrate_command(source, fns, store)[3:]
        args.remove("--json")
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 1
        assert result.output.splitlines()[0].endswith(": completed, 3 mismatched")
        status = CliRunner().invoke(cli, ["status", "r1", "--store", str(store)])
        assert "completed, 3 mismatched" in status.output.splitlines()[0]
        assert "297 validated, 3 mismatched, 0 error, 0 pending of 300 succeeded (99.0%" in status.output
        data = json.loads(CliRunner().invoke(cli, ["status", "r1", "--store", str(store), "--json"]).output)
        assert data["validation"] == {
            "items": 300, "pending": 0, "validated": 297, "mismatched": 3, "error": 0,
            "validated_rate": 99.0, "mismatch_rate": 1.0, "status": "completed, 3 mismatched",
        }  # fmt: skip
        assert [row["key"] for row in data["mismatches"]] == ["f007.txt", "f100.txt", "f250.txt"]
        assert set(data["mismatches"][0]) == {"key", "detail", "at", "expected", "actual"}

    def test_a_run_completed_without_the_check_is_checked_when_asked_later(
        self, tree: tuple[Path, Path, Path], tmp_path: Path
    ) -> None:
        """migrate --validate on a run completed without a check runs nothing again and checks every item."""
        source, _, fns = tree
        store = tmp_path / "s.db"
        args = migrate_command(source, fns, store)[3:]
        plain = args[: args.index("--validate")] + args[args.index("--validate") + 2 :]
        assert CliRunner().invoke(cli, plain, catch_exceptions=False).exit_code == 0
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["validation"]["status"] == "completed, all validated"
        assert verdicts(store) == Counter({f"f{i:03d}.txt": 1 for i in range(300)})

    def test_a_run_without_validation_has_none(self, tree: tuple[Path, Path, Path], tmp_path: Path) -> None:
        """A run migrated without --validate shows no validation line and a null in JSON."""
        source, _, fns = tree
        store = tmp_path / "s.db"
        args = [a for a in migrate_command(source, fns, store)[3:] if a not in ("--json",)]
        args = args[: args.index("--validate")] + args[args.index("--validate") + 2 :]
        assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
        status = CliRunner().invoke(cli, ["status", "r1", "--store", str(store)])
        assert "validate" not in status.output
        data = json.loads(CliRunner().invoke(cli, ["status", "r1", "--store", str(store), "--json"]).output)
        assert data["validation"] is None
