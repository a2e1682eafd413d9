"""``omnimemory-kit migrate``, ``status`` and ``demo``: outcomes, exit codes, one line per bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration import runner_lifecycle
from omnimemory_kit.store import open_store
from tests.cli.cli_helpers import error_line, invoke

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import time

def ok(item):
    return item.key

def fail_bad(item):
    if "bad" in item.key:
        raise ValueError("bad input " + item.key)

def slow(item):
    time.sleep(0.02)
"""


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A file of migration functions the commands load by path."""
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of 12 files, two of them named 'bad'."""
    root = tmp_path / "tree"
    for i in range(12):
        name = f"bad_{i}.py" if i in (3, 7) else f"tool_{i}.py"
        (root / f"pkg{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"pkg{i % 3}" / name).write_text(f"# tool {i}\n", encoding="utf-8")
    return root


def migrate(source: Path, function: str, store: Path, *extra: str) -> Result:
    """Run ``migrate`` with a store and run id."""
    return invoke(
        "migrate", str(source), "--function", function, "--store", str(store), "--run-id", "r1", *extra
    )


class TestMigrate:
    """A migration from the command line: summary, exit code, resume."""

    def test_all_succeed_exit_0(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """Every item succeeds: the summary says so and the exit code is 0."""
        result = migrate(tree, f"{fns}:ok", tmp_path / "j.db", "--batch-size", "5", "--concurrency", "3")
        assert result.exit_code == 0, result.output
        assert "12 total: 12 succeeded, 0 failed" in result.stdout
        assert "  control  " not in result.stdout  # a completed run has nothing left to steer
        with open_store(tmp_path / "j.db") as store:
            assert store.item_counts("r1")[FileStatus.SUCCEEDED] == 12

    def test_failed_items_exit_1_and_resume_does_not_redo_work(
        self, tree: Path, fns: Path, tmp_path: Path
    ) -> None:
        """Failed items give exit 1 with the error type; running again redoes nothing and still exits 1."""
        first = migrate(tree, f"{fns}:fail_bad", tmp_path / "j.db", "--retries", "0")
        assert first.exit_code == 1
        assert "10 succeeded, 2 failed" in first.stdout
        assert "ValueError x2" in first.stdout
        again = migrate(tree, f"{fns}:fail_bad", tmp_path / "j.db", "--retries", "0")
        assert again.exit_code == 1
        with open_store(tmp_path / "j.db") as store:
            succeeded = [e.path for e in store.read_events("r1") if e.kind is EventKind.FILE_SUCCEEDED]
        assert len(succeeded) == len(set(succeeded)) == 10

    def test_json_summary(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """--json prints the summary as JSON."""
        result = migrate(tree, f"{fns}:ok", tmp_path / "j.db", "--json")
        assert json.loads(result.stdout)["succeeded_files"] == 12

    def test_manifest_source_with_module_function(self, tmp_path: Path) -> None:
        """A JSONL manifest migrated by a module:function succeeds."""
        manifest = tmp_path / "m.jsonl"
        manifest.write_text("".join(json.dumps({"key": f"k{i}", "size": i}) + "\n" for i in range(5)))
        result = migrate(manifest, "builtins:repr", tmp_path / "j.db")
        assert result.exit_code == 0, result.output
        assert "5 total: 5 succeeded" in result.stdout

    def test_batches_default_to_the_runners_size_for_the_concurrency(self, tmp_path: Path) -> None:
        """Without --batch-size a batch holds 16 items per slot (100 to 1,000), as the library's runner."""
        manifest = tmp_path / "m.csv"
        manifest.write_text("key,size\n" + "".join(f"k{i},1\n" for i in range(250)))
        result = migrate(manifest, "builtins:repr", tmp_path / "j.db", "--concurrency", "8")
        assert result.exit_code == 0, result.output
        with open_store(tmp_path / "j.db", create=False) as store:
            opened = [e for e in store.read_events("r1") if e.kind is EventKind.BATCH_OPENED]
            assert store.get_run("r1").params["batch_size"] == 128
        assert len(opened) == 2  # 128 + 122; a fixed 100 would have taken three

    def test_dry_run_writes_nothing(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """--dry-run exits 0, reports the pending items and records no run."""
        result = migrate(tree, f"{fns}:fail_bad", tmp_path / "j.db", "--dry-run")
        assert result.exit_code == 0
        assert "12 item(s) would run" in result.stdout
        with open_store(tmp_path / "j.db") as store:
            assert store.list_runs() == []

    def test_default_run_id_is_stable(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """Without --run-id the same command twice uses the same run (the second has nothing to do)."""
        args = ("migrate", str(tree), "--function", f"{fns}:ok", "--store", str(tmp_path / "j.db"))
        assert invoke(*args).exit_code == 0
        assert invoke(*args).exit_code == 0
        with open_store(tmp_path / "j.db") as store:
            (run,) = store.list_runs()
            assert run.run_id.startswith("tree-")


@pytest.fixture
def lean_above_50(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Runs of more than 50 items are worked leanly (instead of 100,000); the runner's log is captured."""
    monkeypatch.setattr(runner_lifecycle, "FOLLOW_COUNTERS_ABOVE", 50)
    caplog.set_level("INFO", logger="omnimemory_kit.migration")


def lean_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return what the runner logged about following the store's counters."""
    return [r.getMessage() for r in caplog.records if "following the store's counters" in r.getMessage()]


@pytest.mark.usefixtures("lean_above_50")
class TestMigrateLarge:
    """A fresh `migrate` of more items than the lean size works leanly and reports the whole run."""

    def test_manifest_is_known_large_before_adding(
        self, fns: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A 120-row manifest goes lean before adding; the JSON summary counts all 120, the bad ones too."""
        manifest = tmp_path / "items.csv"
        rows = [f"bad-{i}" if i % 10 == 0 else f"ok-{i}" for i in range(120)]
        manifest.write_text("key,size\n" + "".join(f"{key},1\n" for key in rows), encoding="utf-8")
        result = migrate(manifest, f"{fns}:fail_bad", tmp_path / "j.db", "--retries", "0", "--json")
        assert result.exit_code == 1, result.output  # finished with failed items
        summary = json.loads(result.stdout)
        counts = ("total_files", "succeeded_files", "failed_files", "remaining_files")
        assert [summary[name] for name in counts] == [120, 108, 12, 0]
        assert summary["status"] == "completed"
        assert [m for m in lean_logs(caplog) if "creating it from a source" in m]

    def test_directory_switches_once_its_additions_cross(
        self, fns: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A directory (no size known before) of 60 files is worked leanly from the crossing; a second
        run of the command resumes it leanly, finding it completed."""
        root = tmp_path / "big"
        for i in range(60):
            (root / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
            (root / f"d{i % 4}" / f"t{i}.py").write_text("x\n", encoding="utf-8")
        result = migrate(root, f"{fns}:ok", tmp_path / "j.db", "--batch-size", "7", "--json")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        figures = (summary["total_files"], summary["succeeded_files"], summary["status"])
        assert figures == (60, 60, "completed")
        assert [m for m in lean_logs(caplog) if "added without tracking each" in m]
        caplog.clear()
        again = migrate(root, f"{fns}:ok", tmp_path / "j.db", "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["succeeded_files"] == 60
        assert [m for m in lean_logs(caplog) if "resuming a run" in m]
        with open_store(tmp_path / "j.db") as store:
            kinds = [e.kind for e in store.read_events("r1")]
        assert kinds.count(EventKind.FILE_SUCCEEDED) == 60
        assert kinds.count(EventKind.RUN_COMPLETED) == 1

    def test_at_the_size_it_stays_full(
        self, fns: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A manifest of exactly 50 rows is tracked in full, as before: nothing about counters logged."""
        manifest = tmp_path / "items.csv"
        manifest.write_text("key,size\n" + "".join(f"k{i},1\n" for i in range(50)), encoding="utf-8")
        result = migrate(manifest, f"{fns}:ok", tmp_path / "j.db", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["succeeded_files"] == 50
        assert lean_logs(caplog) == []


class TestBadInput:
    """Each bad input: one line on stderr, a non-zero exit, nothing recorded lost."""

    def test_nonexistent_source(self, fns: Path, tmp_path: Path) -> None:
        """A missing source exits 2 naming it."""
        result = migrate(tmp_path / "missing", f"{fns}:ok", tmp_path / "j.db")
        assert result.exit_code == 2
        assert "missing" in error_line(result)
        assert not (tmp_path / "j.db").exists()

    def test_unreadable_manifest(self, fns: Path, tmp_path: Path) -> None:
        """A manifest that is not UTF-8 exits 2 naming the file and line, before a run is recorded."""
        manifest = tmp_path / "m.jsonl"
        manifest.write_bytes(b'{"key": "a"}\n\xff\n')
        result = migrate(manifest, f"{fns}:ok", tmp_path / "j.db")
        assert result.exit_code == 2
        assert "line 2: not UTF-8" in error_line(result)

    @pytest.mark.parametrize(
        ("function", "message"),
        [
            ("nocolon", "is not of the form"),
            ("no_such_mod_q:f", "no module named"),
            ("os:sep", "not callable"),
        ],
    )
    def test_bad_function(self, tree: Path, tmp_path: Path, function: str, message: str) -> None:
        """A bad module:function exits 2 saying what is wrong."""
        result = migrate(tree, function, tmp_path / "j.db")
        assert result.exit_code == 2
        assert message in error_line(result)

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("--batch-size", "0"),
            ("--batch-size", "-5"),
            ("--concurrency", "0"),
            ("--concurrency", "-1"),
            ("--retries", "-1"),
            ("--timeout", "0"),
        ],
    )
    def test_zero_or_negative_numbers(
        self, tree: Path, fns: Path, tmp_path: Path, option: str, value: str
    ) -> None:
        """Zero or negative batch size, concurrency, retries or timeout exits 2 naming the option."""
        result = migrate(tree, f"{fns}:ok", tmp_path / "j.db", option, value)
        assert result.exit_code == 2
        assert option in error_line(result)

    @pytest.mark.parametrize("folder", ["missing-folder", "/proc"])
    def test_store_in_missing_or_unwritable_folder(
        self, tree: Path, fns: Path, tmp_path: Path, folder: str
    ) -> None:
        """A store path whose folder is missing or unwritable exits 3 (store unavailable) naming it."""
        store = tmp_path / folder / "j.db" if not folder.startswith("/") else Path(folder) / "j.db"
        result = migrate(tree, f"{fns}:ok", store)
        assert result.exit_code == 3
        assert str(store.parent) in error_line(result)

    def test_file_that_is_not_a_store(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """A store path naming a file that is not SQLite exits 2 and leaves the file untouched."""
        junk = tmp_path / "notes.db"
        junk.write_bytes(b"these are my notes, not a database\n" * 10)
        before = junk.read_bytes()
        result = migrate(tree, f"{fns}:ok", junk)
        assert result.exit_code == 2
        assert "notes.db" in error_line(result)
        assert junk.read_bytes() == before

    def test_run_id_reused_with_another_source(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """Reusing a run id with another source exits 2; the recorded run is intact."""
        assert migrate(tree, f"{fns}:ok", tmp_path / "j.db").exit_code == 0
        other = tmp_path / "other"
        other.mkdir()
        result = migrate(other, f"{fns}:ok", tmp_path / "j.db")
        assert result.exit_code == 2
        assert "r1" in error_line(result)
        with open_store(tmp_path / "j.db") as store:
            assert store.item_counts("r1")[FileStatus.SUCCEEDED] == 12


class TestStatus:
    """``status`` replays a run without writing."""

    def test_status_text_and_json(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """status prints the summary and workers; --json gives the same counts as JSON."""
        migrate(tree, f"{fns}:fail_bad", tmp_path / "j.db", "--retries", "0")
        text = invoke("status", "r1", "--store", str(tmp_path / "j.db"))
        assert text.exit_code == 0
        assert "10 succeeded, 2 failed" in text.stdout
        assert "worker" in text.stdout
        data = json.loads(invoke("status", "r1", "--store", str(tmp_path / "j.db"), "--json").stdout)
        assert (data["succeeded_files"], data["failed_files"]) == (10, 2)

    def test_unknown_run_and_missing_store(self, tmp_path: Path) -> None:
        """An unknown run exits 2; a store that does not exist exits 3 and is not created."""
        with open_store(tmp_path / "j.db"):
            pass
        assert invoke("status", "nope", "--store", str(tmp_path / "j.db")).exit_code == 2
        missing = invoke("status", "nope", "--store", str(tmp_path / "none.db"))
        assert missing.exit_code == 3
        assert not (tmp_path / "none.db").exists()


class TestDemo:
    """``demo`` generates and migrates the sample."""

    def test_demo_migrates_the_sample(self, tmp_path: Path) -> None:
        """The demo exits 0 (272 succeeded, 1 SyntaxError, 1 skipped) and ends with its reports."""
        result = invoke("demo", "--out", str(tmp_path / "demo"), "--reports", str(tmp_path / "reports"))
        assert result.exit_code == 0, result.output
        assert "274 total: 272 succeeded, 1 failed, 1 skipped" in result.stdout
        assert "SyntaxError x1" in result.stdout
        assert (tmp_path / "demo" / "migrated" / "manifest.jsonl").exists()
        index = tmp_path / "reports" / "index.html"
        assert result.stdout.rstrip().endswith(f"reports index: {index.resolve()}")
        assert len(list((tmp_path / "reports" / "migration_report").glob("*.html"))) == 1
        assert len(list((tmp_path / "reports" / "health").glob("*.html"))) == 1


class TestInterrupt:
    """Ctrl-C stops cleanly with exit 130 and the same command resumes."""

    @pytest.mark.slow
    def test_sigint_then_resume(self, tmp_path: Path, fns: Path) -> None:
        """SIGINT mid-run exits 130 with nothing acknowledged lost; re-running finishes each item once."""
        root = tmp_path / "many"
        root.mkdir()
        for i in range(150):
            (root / f"f{i:03d}.py").write_text("x")
        store_path = tmp_path / "j.db"
        cmd = [sys.executable, "-m", "omnimemory_kit", "migrate", str(root), "--function", f"{fns}:slow"]
        cmd += ["--store", str(store_path), "--run-id", "int", "--batch-size", "10", "--concurrency", "2"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):  # bounded: at most ~30 s of polling
                try:
                    proc.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if store_path.exists() and _succeeded(store_path) >= 10:
                    break
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr
        with open_store(store_path) as store:
            counts = store.item_counts("int")
            assert counts[FileStatus.IN_PROGRESS] == 0
            assert 10 <= counts[FileStatus.SUCCEEDED] < 150
        finish = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert finish.returncode == 0, finish.stderr
        with open_store(store_path) as store:
            succeeded = [e.path for e in store.read_events("int") if e.kind is EventKind.FILE_SUCCEEDED]
        assert len(succeeded) == len(set(succeeded)) == 150


def _succeeded(store_path: Path) -> int:
    try:
        with open_store(store_path, create=False) as store:
            return store.item_counts("int")[FileStatus.SUCCEEDED]
    except Exception:
        return 0


class TestStatusBatches:
    def test_batches_in_text_and_json(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """status --batches lists every batch with its items, outcomes, worker and attempts."""
        store = tmp_path / "s.db"
        migrate(tree, f"{fns}:fail_bad", store, "--batch-size", "4", "--retries", "1")
        text = invoke("status", "r1", "--store", str(store), "--batches")
        assert text.exit_code == 0
        assert "batches: 3" in text.output
        assert "attempts" in text.output
        data = json.loads(invoke("status", "r1", "--store", str(store), "--batches", "--json").output)
        batches = data["batches"]
        assert sum(b["items"] for b in batches) == 12
        assert sum(b["failed"] for b in batches) == 2
        assert sum(b["attempts"] for b in batches) == 14  # the two bad items were tried twice
        assert {b["outcome"] for b in batches} <= {"failed", "succeeded"}
        assert all(b["worker_id"] for b in batches)

    def test_without_the_flag_no_batches_are_listed(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """Plain status keeps its shape: no batch table, no batches key."""
        store = tmp_path / "s.db"
        migrate(tree, f"{fns}:ok", store)
        assert "batches" not in json.loads(invoke("status", "r1", "--store", str(store), "--json").output)


class TestDuplicateKeys:
    """A key listed twice in a manifest is migrated once, and migrate says how many repeats it dropped."""

    DROPPED = (
        "manifest: 3 duplicate key(s) dropped (a key listed twice is migrated once, with its first size)"
    )

    @pytest.fixture
    def manifest(self, tmp_path: Path) -> Path:
        path = tmp_path / "m.csv"
        path.write_text("key,size\na,1\nb,2\na,9\nc,3\nb,9\na,9\n", encoding="utf-8")
        return path

    def test_said_once_and_the_first_size_kept(self, manifest: Path, fns: Path, tmp_path: Path) -> None:
        """Six rows, three keys: one stderr line says 3 were dropped; a, b, c keep their first sizes."""
        store = tmp_path / "j.db"
        result = migrate(manifest, f"{fns}:ok", store)
        assert result.exit_code == 0, result.stderr
        assert [line for line in result.stderr.splitlines() if "duplicate" in line] == [self.DROPPED]
        with open_store(store) as opened:
            sizes = {e.path: e.size for e in opened.read_events("r1") if e.kind is EventKind.FILE_ADDED}
        assert sizes == {"a": 1, "b": 2, "c": 3}

    def test_json_output_stays_json(self, manifest: Path, fns: Path, tmp_path: Path) -> None:
        """With --json the line goes to stderr; stdout is the summary alone."""
        result = migrate(manifest, f"{fns}:ok", tmp_path / "j.db", "--json")
        assert json.loads(result.stdout)["total_files"] == 3
        assert self.DROPPED in result.stderr

    @pytest.mark.parametrize("mode", ["--dry-run", "--create-only"])
    def test_dry_run_and_create_only_say_it_too(
        self, manifest: Path, fns: Path, tmp_path: Path, mode: str
    ) -> None:
        """A dry run and a create-only run count the repeats the same way."""
        result = migrate(manifest, f"{fns}:ok", tmp_path / "j.db", mode)
        assert result.exit_code == 0, result.stderr
        assert self.DROPPED in result.stderr

    def test_no_line_without_repeats_or_for_a_resumed_run(
        self, manifest: Path, fns: Path, tmp_path: Path
    ) -> None:
        """A manifest without repeats says nothing; running a finished run again says nothing either."""
        store = tmp_path / "j.db"
        assert self.DROPPED in migrate(manifest, f"{fns}:ok", store).stderr
        assert "duplicate" not in migrate(manifest, f"{fns}:ok", store).stderr
        plain = tmp_path / "p.csv"
        plain.write_text("key,size\na,1\nb,2\n", encoding="utf-8")
        result = invoke("migrate", str(plain), "--function", f"{fns}:ok", "--store", str(tmp_path / "k.db"))
        assert result.exit_code == 0
        assert "duplicate" not in result.stderr
