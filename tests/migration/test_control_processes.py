"""Control of a running migration across real processes: `migrate`/`worker` steered by `control`.

The migration function records each item's start and end (wall time, from its own process) in a shared
log, and holds while a ``hold`` file exists, so the tests see what the runner really did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.migration.control_journal import CONTROL_THROTTLER
from omnimemory_kit.migration.run_control import RunControl, current_user
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.store import open_store

FNS = """
import os, time
from pathlib import Path

LOG = Path(os.environ["OMK_TEST_DIR"]) / "log"
HOLD = Path(os.environ["OMK_TEST_DIR"]) / "hold"

def _write(line):
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (line + "\\n").encode())
    finally:
        os.close(fd)

def work(item):
    _write(f"S {time.time()} {item.key}")
    while HOLD.exists():
        time.sleep(0.005)
    time.sleep(0.01)
    _write(f"E {time.time()} {item.key}")

def finalize():
    _write(f"F {time.time()} finalize")
"""


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for something another process does (never a fixed delay)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


class Log:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "log"

    def lines(self) -> list[tuple[str, float, str]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            kind, at, key = line.split(" ", 2)
            out.append((kind, float(at), key))
        return out

    def count(self, kind: str) -> int:
        return sum(1 for k, _, _ in self.lines() if k == kind)

    def max_in_flight(self, since: float = 0.0) -> int:
        live = peak = 0
        for kind, at, _ in self.lines():
            if kind == "S":
                live += 1
                if at >= since:
                    peak = max(peak, live)
            elif kind == "E":
                live -= 1
        return peak


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "fns.py").write_text(FNS)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"item{i:02d}.txt").write_text("x")
    (tmp_path / "hold").touch()
    return tmp_path


def kit(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "omnimemory_kit", *args]


def env(folder: Path) -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    return {**os.environ, "OMK_TEST_DIR": str(folder), "PYTHONPATH": str(root)}


def control(folder: Path, store: str, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kit(folder, "control", "r1", *words, "--store", store),
        env=env(folder), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def migrate(
    folder: Path, store: str, procs: list[subprocess.Popen[str]], *extra: str
) -> subprocess.Popen[str]:
    with (folder / "stderr").open("w") as err:
        proc = subprocess.Popen(
            kit(folder, "migrate", str(folder / "src"), "--function", f"{folder / 'fns.py'}:work",
                "--store", store, "--run-id", "r1", "--pattern", "*.txt", "--concurrency", "4",
                "--batch-size", "4", *extra),
            env=env(folder), stdout=subprocess.DEVNULL, stderr=err, text=True,
        )  # fmt: skip
    procs.append(proc)
    return proc


def in_progress(store_url: str) -> int:
    with open_store(store_url) as store:
        return store.item_counts("r1")[FileStatus.IN_PROGRESS]


class TestMigrateSteeredFromAnotherProcess:
    def test_pause_resume_and_concurrency_one(self, folder: Path, procs: list[subprocess.Popen[str]]) -> None:
        """Paused, no item starts a second after the pause; resumed at concurrency=1, one item at a time."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        proc = migrate(folder, store, procs)
        wait_until(lambda: log.count("S") == 4)  # four items held in flight
        assert control(folder, store, "pause", "--reason", "peak").returncode == 0
        with open_store(store) as s:
            paused_at = RunControl(s, "r1").history()[-1].at
        (folder / "hold").unlink()  # in-flight items finish
        wait_until(lambda: in_progress(store) == 0 and log.count("E") == log.count("S"))
        started = log.count("S")
        # the runner must apply a pause within 1 s: hold the run paused past that, then look
        wait_until(lambda: time.time() > paused_at + 1.5)
        assert log.count("S") == started
        assert not [at for kind, at, _ in log.lines() if kind == "S" and at > paused_at + 1.0]
        assert control(folder, store, "set", "concurrency=1").returncode == 0
        resumed = time.time()
        assert control(folder, store, "resume").returncode == 0
        assert proc.wait(timeout=120) == 0, (folder / "stderr").read_text()
        assert log.count("E") == 40
        assert log.max_in_flight(since=resumed) == 1
        with open_store(store) as s:  # the pause is in the run's journal: its time is not active time
            events = list(s.read_events("r1"))
            summary = MigrationProgressTracker.from_store(s, "r1").get_progress_summary()
        pauses = [e for e in events if e.kind is EventKind.RUN_PAUSED]
        assert [e.reason for e in pauses] == [f"paused by {current_user()}: peak"]
        assert [e.reason for e in events if e.kind is EventKind.RUN_RESUMED] == ["resumed"]
        assert summary.paused_seconds >= resumed - paused_at - 1.0

    def test_panic_stops_claims_and_exits_non_zero(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """A panic lets in-flight items finish, starts none after, and the process exits 1."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        proc = migrate(folder, store, procs)
        wait_until(lambda: log.count("S") == 4)
        assert control(folder, store, "panic").returncode == 0
        wait_until(lambda: time.time() > _last_command_at(store) + 1.5)
        (folder / "hold").unlink()
        assert proc.wait(timeout=60) == 1
        assert log.count("S") == 4
        assert log.count("E") == 4

    def test_cancel_ends_the_run_and_later_commands_are_refused(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """`cancel` stops the run (journaled once, exit 130); a command after that is bad input."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        proc = migrate(folder, store, procs)
        wait_until(lambda: log.count("S") == 4)
        assert control(folder, store, "cancel", "--reason", "wrong target").returncode == 0
        (folder / "hold").unlink()
        assert proc.wait(timeout=60) == 130
        with open_store(store) as s:
            kinds = [e.kind for e in s.read_events("r1")]
        assert kinds.count(EventKind.RUN_CANCELLED) == 1
        refused = control(folder, store, "pause")
        assert refused.returncode == 2
        assert "has finished (cancelled)" in refused.stderr


def _last_command_at(store_url: str) -> float:
    with open_store(store_url) as s:
        return RunControl(s, "r1").history()[-1].at


class TestPausedBeforeStart:
    def test_a_runner_starting_on_a_paused_run_journals_the_pause_again(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """Started on a paused run, the runner's start does not end the pause in the journal."""
        store = f"sqlite:///{folder / 'journal.db'}"
        (folder / "hold").unlink()
        created = subprocess.run(
            kit(folder, "migrate", str(folder / "src"), "--function", f"{folder / 'fns.py'}:work", "--store",
                store, "--run-id", "r1", "--pattern", "*.txt", "--create-only"),
            env=env(folder), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert control(folder, store, "pause", "--reason", "not yet").returncode == 0
        log = Log(folder)
        proc = migrate(folder, store, procs)
        with open_store(store) as s:
            wait_until(lambda: EventKind.RUN_PAUSED in [e.kind for e in s.read_events("r1")])
            assert (
                MigrationProgressTracker.from_store(s, "r1").get_progress_summary().status.value == "paused"
            )
        assert log.count("S") == 0
        assert control(folder, store, "resume").returncode == 0
        assert proc.wait(timeout=120) == 0, (folder / "stderr").read_text()
        with open_store(store) as s:
            kinds = [e.kind for e in s.read_events("r1") if e.kind.value.startswith("run_")]
        assert kinds[-4:] == [
            EventKind.RUN_STARTED, EventKind.RUN_PAUSED, EventKind.RUN_RESUMED, EventKind.RUN_COMPLETED
        ]  # fmt: skip


class TestThrottleAccounting:
    def test_a_throttle_for_a_while_is_journaled_once_with_its_end(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """`throttle --for 1s` holds the run, and the journal counts that time throttled, not active."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        proc = migrate(folder, store, procs)
        wait_until(lambda: log.count("S") == 4)
        assert control(folder, store, "throttle", "--for", "1s", "--reason", "peak").returncode == 0
        (folder / "hold").unlink()
        assert proc.wait(timeout=120) == 0, (folder / "stderr").read_text()
        assert log.count("E") == 40
        with open_store(store) as s:
            events = [e for e in s.read_events("r1") if e.worker_id == CONTROL_THROTTLER]
            summary = MigrationProgressTracker.from_store(s, "r1").get_progress_summary()
        assert [(e.kind, e.reason) for e in events] == [
            (EventKind.RUN_THROTTLED, "manual: peak"),
            (EventKind.RUN_UNTHROTTLED, "manual throttle ended"),
        ]
        assert 0.5 <= events[1].at - events[0].at <= 2.0
        assert summary.throttled_seconds >= 0.5
        assert summary.throttle_reason is None


class TestFlagFilesAndHooks:
    def test_throttle_file_holds_claims_until_removed(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """No item starts while the throttle file exists (its hook runs); the run ends once it is gone."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        throttle = folder / "throttle"
        throttle.touch()
        (folder / "hold").unlink()
        hook = folder / "on_throttle.py"
        hook.write_text(
            "import os, json\n"
            f"open({str(folder / 'throttled.json')!r}, 'w').write(json.dumps("
            "{k: v for k, v in os.environ.items() if k.startswith('OMK_') and k != 'OMK_TEST_DIR'}))\n"
        )
        proc = migrate(
            folder,
            store,
            procs,
            "--throttle-file",
            str(throttle),
            "--on-throttle",
            f"{sys.executable} {hook}",
        )
        with open_store_when_ready(store) as s:
            wait_until(lambda: s.item_counts("r1")[FileStatus.PENDING] == 40)
        created = time.time()
        wait_until(lambda: time.time() > created + 1.5 and (folder / "throttled.json").exists())
        assert log.count("S") == 0
        seen = json.loads((folder / "throttled.json").read_text())
        assert seen["OMK_STATUS"] == "throttled"
        assert seen["OMK_THROTTLE_REASON"] == f"manual: throttle file {throttle}"
        throttle.unlink()
        assert proc.wait(timeout=120) == 0
        assert log.count("E") == 40
        with open_store(store) as s:  # journaled as this worker's throttle: its time is throttled time
            held = [e for e in s.read_events("r1") if e.kind is EventKind.RUN_THROTTLED]
            summary = MigrationProgressTracker.from_store(s, "r1").get_progress_summary()
        assert [e.reason for e in held] == [f"manual: throttle file {throttle}"]
        assert summary.throttled_seconds >= 1.0

    def test_panic_file_stops_the_run(self, folder: Path, procs: list[subprocess.Popen[str]]) -> None:
        """The panic file stops claims; in-flight items finish and the process exits 1."""
        store = f"sqlite:///{folder / 'journal.db'}"
        log = Log(folder)
        panic = folder / "panic"
        proc = migrate(folder, store, procs, "--panic-file", str(panic))
        wait_until(lambda: log.count("S") == 4)
        panic.touch()
        touched = time.time()
        wait_until(lambda: time.time() > touched + 1.5)
        (folder / "hold").unlink()
        assert proc.wait(timeout=60) == 1
        assert log.count("S") == 4

    def test_hanging_hook_is_timed_out_and_the_run_completes(
        self, folder: Path, procs: list[subprocess.Popen[str]]
    ) -> None:
        """A success hook that hangs is killed at its timeout; the run still exits 0, with the OMK_* env."""
        store = f"sqlite:///{folder / 'journal.db'}"
        (folder / "hold").unlink()
        hook = folder / "hook.py"
        hook.write_text(
            "import os, sys, time, json\n"
            f"open({str(folder / 'hook.json')!r}, 'w').write(json.dumps("
            "{k: v for k, v in os.environ.items() if k.startswith('OMK_') and k != 'OMK_TEST_DIR'}))\n"
            "time.sleep(3600)\n"
        )
        proc = migrate(
            folder, store, procs, "--on-success", f"{sys.executable} {hook}", "--hook-timeout", "1"
        )
        assert proc.wait(timeout=120) == 0
        seen = json.loads((folder / "hook.json").read_text())
        assert seen["OMK_RUN_ID"] == "r1"
        assert seen["OMK_STATUS"] == "completed"
        assert seen["OMK_SUCCEEDED"] == "40"
        assert seen["OMK_PROGRESS_PERCENT"] == "100.0"
        assert set(seen) >= {"OMK_ETA_SECONDS", "OMK_FAILED", "OMK_THROTTLE_REASON"}

    def test_missing_hook_program_is_bad_input(self, folder: Path) -> None:
        """A hook whose program does not exist is refused in one line, exit 2, before anything is written."""
        store = f"sqlite:///{folder / 'journal.db'}"
        result = subprocess.run(
            kit(folder, "migrate", str(folder / "src"), "--function", f"{folder / 'fns.py'}:work", "--store",
                store, "--run-id", "r1", "--on-status", "no-such-program-omk --x"),
            env=env(folder), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "error: --on-status: command 'no-such-program-omk' not found"
        ]
        assert not (folder / "journal.db").exists()


class open_store_when_ready:
    """Open the store once the migrate process has created its run."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self):  # type: ignore[no-untyped-def]
        def ready() -> bool:
            try:
                with open_store(self.url, create=False) as s:
                    s.get_run("r1")
                return True
            except Exception:
                return False

        wait_until(ready)
        self.store = open_store(self.url, create=False)
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
