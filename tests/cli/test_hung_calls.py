"""Hanging sync migration functions under the real CLI with a timeout: the run goes on, the process exits."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.store import JournalStore, open_store

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import threading

NEVER = threading.Event()

def hang_some(item):
    if "hang" in item.key:
        NEVER.wait()  # blocks on something that never comes
    return item.key

def exit_some(item):
    if "exit" in item.key:
        raise SystemExit(3)

def returns_coroutine(item):
    async def body():
        return None
    return body()
"""

# A hung run must still end: this bounds how long the CLI may take before the test fails.
PROCESS_LIMIT = 90


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A file of migration functions the CLI loads by path."""
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


def tree(root: Path, names: list[str]) -> Path:
    """Write one small file per name under ``root``."""
    root.mkdir()
    for name in names:
        (root / name).write_text("# item\n", encoding="utf-8")
    return root


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in its own process; fail the test if it does not exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_LIMIT,
        cwd=ROOT,
        env=env,
    )


def outcomes(store_path: Path, run_id: str) -> tuple[dict[str, str], Counter[EventKind]]:
    """Return each item's final outcome kind and the count of every event kind in the journal."""
    store: JournalStore = open_store(store_path)
    try:
        events = list(store.read_events(run_id))
    finally:
        store.close()
    final = {
        e.path: e.kind.value
        for e in events
        if e.path and e.kind in (EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED)
    }
    messages = {e.path: e.error_message for e in events if e.kind is EventKind.FILE_FAILED and e.path}
    for key, message in messages.items():
        final[key] = f"failed: {message}"
    return final, Counter(e.kind for e in events)


NAMES = [f"hang_{i}.py" if i in (4, 11) else f"ok_{i:02d}.py" for i in range(20)]


class TestHungThreads:
    """With threads (the default), hung calls are stuck slots, reported, and never hold the process."""

    def test_only_hanging_items_time_out_and_the_cli_exits(self, tmp_path: Path, fns: Path) -> None:
        """20 files, 2 hanging, concurrency 2, timeout 0.3 s: 18 succeed, 2 time out, exit 1, stuck logged."""
        source = tree(tmp_path / "src", NAMES)
        db = tmp_path / "j.db"
        result = cli(
            "migrate", str(source), "--function", f"{fns}:hang_some", "--store", str(db), "--run-id", "r",
            "--concurrency", "2", "--timeout", "0.3",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, kinds = outcomes(db, "r")
        hung = {key for key in final if "hang" in key}
        assert len(final) == 20
        assert all(final[key] == "failed: timed out after 0.3s" for key in hung)
        assert all(final[key] == "file_succeeded" for key in final.keys() - hung)
        assert len(hung) == 2
        # Each hung attempt (3 per item with the default 2 retries) left its thread stuck.
        assert kinds[EventKind.CALL_STUCK] == 6
        assert kinds[EventKind.RUN_COMPLETED] == 1
        assert "6 call(s) stuck" not in result.stdout  # the finished run's summary no longer counts them
        assert "2 failed" in result.stdout


class TestProcessIsolation:
    """With --isolate process, a hung call is killed with its process and the others go on."""

    def test_hung_process_is_killed_and_replaced(self, tmp_path: Path, fns: Path) -> None:
        """Hanging items time out, every other item succeeds in the replacement processes, exit 1."""
        source = tree(tmp_path / "src", NAMES)
        db = tmp_path / "j.db"
        result = cli(
            "migrate", str(source), "--function", f"{fns}:hang_some", "--store", str(db), "--run-id", "r",
            "--concurrency", "2", "--timeout", "0.3", "--retries", "0", "--isolate", "process",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, kinds = outcomes(db, "r")
        hung = {key for key in final if "hang" in key}
        assert len(hung) == 2
        assert all(final[key] == "failed: timed out after 0.3s" for key in hung)
        assert all(final[key] == "file_succeeded" for key in final.keys() - hung)
        assert kinds[EventKind.CALL_STUCK] == 0  # killed, not stuck

    def test_worker_with_isolate_process_kills_hung_calls(self, tmp_path: Path, fns: Path) -> None:
        """A worker joining a run with --isolate process times out the hung items and works the rest."""
        source = tree(tmp_path / "src", [*(f"ok_{i}.py" for i in range(8)), "hang_x.py"])
        db = tmp_path / "j.db"
        created = cli(
            "migrate", str(source), "--function", f"{fns}:hang_some", "--store", str(db), "--run-id", "r",
            "--timeout", "0.3", "--retries", "0", "--create-only",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        result = cli(
            "worker", "--store", str(db), "--run-id", "r", "--function", f"{fns}:hang_some",
            "--concurrency", "2", "--isolate", "process",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, kinds = outcomes(db, "r")
        assert final.pop("hang_x.py") == "failed: timed out after 0.3s"
        assert set(final.values()) == {"file_succeeded"}
        assert len(final) == 8
        assert kinds[EventKind.RUN_COMPLETED] == 1

    def test_system_exit_in_a_process_fails_only_its_item(self, tmp_path: Path, fns: Path) -> None:
        """SystemExit raised in a worker process fails that item; the run completes with exit 1."""
        source = tree(tmp_path / "src", ["exit_1.py", "ok_1.py", "ok_2.py"])
        db = tmp_path / "j.db"
        result = cli(
            "migrate", str(source), "--function", f"{fns}:exit_some", "--store", str(db), "--run-id", "r",
            "--retries", "0", "--isolate", "process",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, kinds = outcomes(db, "r")
        assert final == {"exit_1.py": "failed: 3", "ok_1.py": "file_succeeded", "ok_2.py": "file_succeeded"}
        assert kinds[EventKind.RUN_COMPLETED] == 1

    def test_bad_isolate_value_is_one_line_exit_2(self, tmp_path: Path, fns: Path) -> None:
        """--isolate with an unknown value: one line naming the option, exit 2, no store created."""
        source = tree(tmp_path / "src", ["a.py"])
        db = tmp_path / "j.db"
        for command in (
            ["migrate", str(source), "--function", f"{fns}:hang_some", "--store", str(db)],
            ["worker", "--store", str(db), "--run-id", "r"],
        ):
            result = cli(*command, "--isolate", "fork")
            assert result.returncode == 2, result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, result.stderr
            assert "--isolate must be thread or process" in lines[0]
        assert not db.exists()


class TestItemFailuresFromUserCode:
    """User code that ends the interpreter or returns an unrun body fails its item, not the run."""

    def test_system_exit_in_a_thread_fails_only_its_item(self, tmp_path: Path, fns: Path) -> None:
        """A sync function raising SystemExit fails that item; the others succeed and the CLI exits 1."""
        source = tree(tmp_path / "src", ["exit_1.py", "ok_1.py", "ok_2.py"])
        db = tmp_path / "j.db"
        result = cli(
            "migrate", str(source), "--function", f"{fns}:exit_some", "--store", str(db), "--run-id", "r",
            "--retries", "0",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, _ = outcomes(db, "r")
        assert final == {"exit_1.py": "failed: 3", "ok_1.py": "file_succeeded", "ok_2.py": "file_succeeded"}

    def test_sync_function_returning_a_coroutine_fails_with_a_reason(self, tmp_path: Path, fns: Path) -> None:
        """Every item fails with a message saying the function returned a coroutine; exit 1."""
        source = tree(tmp_path / "src", ["a.py", "b.py"])
        db = tmp_path / "j.db"
        result = cli(
            "migrate", str(source), "--function", f"{fns}:returns_coroutine", "--store", str(db),
            "--run-id", "r",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        final, _ = outcomes(db, "r")
        assert set(final.values()) == {
            "failed: migration function returned a coroutine: define it with async def or await it"
        }
        assert "never awaited" not in result.stderr


class TestProcessIsolationNeedsAName:
    """A function a fresh interpreter cannot import by name is refused up front."""

    def test_local_function_is_a_config_error(self, tmp_path: Path) -> None:
        """isolate='process' with a function defined inside another is a ConfigError naming the need."""

        def local(item: MigrationItem) -> None:
            return None

        store = open_store(tmp_path / "j.db")
        try:
            with pytest.raises(ConfigError, match="importable by name"):
                MigrationRunner(store, "r", ["a"], local, isolate="process")
            with pytest.raises(ConfigError, match="isolate must be thread or process"):
                MigrationRunner(store, "r", ["a"], local, isolate="fork")  # type: ignore[arg-type]
        finally:
            store.close()
