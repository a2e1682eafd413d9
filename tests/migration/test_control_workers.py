"""Three `worker` processes on PostgreSQL obeying one run's control: throttle, max-rate, approval gate."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.store import open_store
from tests.conftest import PG_DSN
from tests.migration.test_control_processes import FNS, Log, env, kit, wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A schema of its own on the real PostgreSQL server, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def prepare(folder: Path, url: str, items: int) -> None:
    """Write the functions and a source of ``items`` files, and create the run (no work)."""
    (folder / "fns.py").write_text(FNS)
    src = folder / "src"
    src.mkdir()
    for i in range(items):
        (src / f"item{i:04d}.txt").write_text("x")
    result = subprocess.run(
        kit(folder, "migrate", str(src), "--function", f"{folder / 'fns.py'}:work", "--store", url,
            "--run-id", "r1", "--pattern", "*.txt", "--create-only"),
        env=env(folder), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def start_workers(
    folder: Path, url: str, started: list[subprocess.Popen[str]], *extra: str, count: int = 3, batch: int = 2
) -> None:
    for n in range(count):
        with (folder / f"worker{n}.err").open("w") as err:
            started.append(
                subprocess.Popen(
                    kit(
                        folder,
                        "worker",
                        "--store",
                        url,
                        "--run-id",
                        "r1",
                        "--function",
                        f"{folder / 'fns.py'}:work",
                        "--concurrency",
                        "2",
                        "--batch-size",
                        str(batch),
                        *extra,
                    ),
                    env=env(folder),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    text=True,
                )
            )


def control(folder: Path, url: str, *words: str) -> None:
    result = subprocess.run(
        kit(folder, "control", "r1", *words, "--store", url),
        env=env(folder), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def last_command_at(url: str) -> float:
    with open_store(url) as store:
        return RunControl(store, "r1").history()[-1].at


class TestThrottleAcrossWorkers:
    def test_three_workers_stop_starting_within_a_second(
        self, tmp_path: Path, pg_url: str, workers: list[subprocess.Popen[str]]
    ) -> None:
        """After `throttle` no worker starts an item over 1 s later; `unthrottle` lets them finish."""
        prepare(tmp_path, pg_url, 300)
        hold = tmp_path / "hold"
        hold.touch()  # items block until it goes: the run cannot end before the command, however fast
        log = Log(tmp_path)
        start_workers(tmp_path, pg_url, workers)
        wait_until(lambda: log.count("S") >= 6)  # every slot of the three workers holds an item
        control(tmp_path, pg_url, "throttle", "--reason", "peak")
        at = last_command_at(pg_url)
        wait_until(lambda: time.time() > at + 1.0)
        hold.unlink()  # from here on, any start is more than 1 s after the command
        wait_until(lambda: time.time() > at + 2.5 and log.count("S") == log.count("E"))
        late = [t for kind, t, _ in log.lines() if kind == "S" and t > at + 1.0]
        assert late == []
        assert log.count("S") < 300
        control(tmp_path, pg_url, "unthrottle")
        assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
        assert len({key for kind, _, key in log.lines() if kind == "E"}) == 300


class TestMaxRate:
    def test_max_rate_is_held_run_wide(
        self, tmp_path: Path, pg_url: str, workers: list[subprocess.Popen[str]]
    ) -> None:
        """`max-rate=50` keeps the three workers together within 15 % of 50 items/s over ten seconds."""
        prepare(tmp_path, pg_url, 700)
        (tmp_path / "hold").unlink(missing_ok=True)
        control(tmp_path, pg_url, "set", "max-rate=50")
        log = Log(tmp_path)
        start_workers(tmp_path, pg_url, workers, batch=25)
        wait_until(lambda: log.count("S") >= 1)
        first = min(t for kind, t, _ in log.lines() if kind == "S")
        window = (first + 2.0, first + 12.0)  # after every worker joined and the rate was shared
        wait_until(lambda: time.time() > window[1], timeout=120)
        starts = [t for kind, t, _ in log.lines() if kind == "S" and window[0] <= t < window[1]]
        rate = len(starts) / 10.0
        # Unlimited, the three start well over 100 items/s here: the limit, shared and with each
        # worker's unused share borrowed by the others, holds the run within 15 % of 50 items/s.
        assert 42.5 <= rate <= 57.5, rate


class TestApprovalGate:
    def test_finalize_waits_for_approval_and_runs_once(
        self, tmp_path: Path, pg_url: str, workers: list[subprocess.Popen[str]]
    ) -> None:
        """With every item done the run awaits approval; approved, finalize runs once of three workers."""
        prepare(tmp_path, pg_url, 30)
        (tmp_path / "hold").unlink(missing_ok=True)
        log = Log(tmp_path)
        start_workers(
            tmp_path,
            pg_url,
            workers,
            "--finalize",
            f"{tmp_path / 'fns.py'}:finalize",
            "--postpone-finalize",
            "cut-over",
        )
        with open_store(pg_url) as store:
            rc = RunControl(store, "r1")
            wait_until(lambda: rc.state().awaiting() == "cut-over" and log.count("E") == 30)
            assert rc.describe() == "awaiting approval: cut-over"
        assert log.count("F") == 0
        assert all(w.poll() is None for w in workers)
        control(tmp_path, pg_url, "approve", "cut-over", "--by", "carol")
        assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
        assert log.count("F") == 1
        with open_store(pg_url) as store:
            kinds = [e.kind for e in store.read_events("r1")]
            assert kinds.count(EventKind.RUN_COMPLETED) == 1
            assert RunControl(store, "r1").state().approvals == {"cut-over": "carol"}


FINALIZE_ONCE_HANGS = """
import os, time
from pathlib import Path

def finalize_hangs_first():
    folder = Path(os.environ["OMK_TEST_DIR"])
    with (folder / "finalize.log").open("a") as log:
        log.write(f"start {os.getpid()}\\n")
    first = folder / "finalize-first"
    if not first.exists():
        first.touch()
        while True:  # the first attempt never ends: its worker is killed here
            time.sleep(0.05)
    with (folder / "finalize.log").open("a") as log:
        log.write(f"end {os.getpid()}\\n")
"""


class TestFinalizeTakenOver:
    def test_a_worker_killed_during_finalize_leaves_it_to_another(
        self, tmp_path: Path, pg_url: str, workers: list[subprocess.Popen[str]]
    ) -> None:
        """Killed while finalizing, a worker's finalize is taken over at once and ends; recorded once."""
        prepare(tmp_path, pg_url, 10)
        (tmp_path / "hold").unlink(missing_ok=True)
        (tmp_path / "final.py").write_text(FINALIZE_ONCE_HANGS)
        start_workers(
            tmp_path, pg_url, workers, "--finalize", f"{tmp_path / 'final.py'}:finalize_hangs_first", count=2
        )
        log = tmp_path / "finalize.log"
        wait_until(lambda: log.exists() and "start" in log.read_text())
        first_pid = int(log.read_text().split()[1])
        [doomed] = [w for w in workers if w.pid == first_pid]
        os.kill(first_pid, signal.SIGKILL)
        doomed.wait(timeout=30)  # reaped: its pid is gone from this host
        [survivor] = [w for w in workers if w is not doomed]
        assert survivor.wait(timeout=60) == 0
        lines = log.read_text().split("\n")
        assert lines[:3] == [f"start {first_pid}", f"start {survivor.pid}", f"end {survivor.pid}"]
        err = (tmp_path / f"worker{workers.index(survivor)}.err").read_text()
        assert re.search(r"finalize:finalize again, attempt 2", err), err
        with open_store(pg_url) as store:
            run_kinds = [e.kind for e in store.read_events("r1")]
            steps = [
                (e.kind, e.path) for e in store.read_events("r1~control") if e.path == "finalize:finalize"
            ]
        assert run_kinds.count(EventKind.RUN_COMPLETED) == 1
        assert steps == [
            (EventKind.FILE_ADDED, "finalize:finalize"),
            (EventKind.FILE_STARTED, "finalize:finalize"),
            (EventKind.FILE_INTERRUPTED, "finalize:finalize"),
            (EventKind.FILE_STARTED, "finalize:finalize"),
            (EventKind.FILE_SUCCEEDED, "finalize:finalize"),
        ]
