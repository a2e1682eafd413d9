"""``migrate`` and ``worker`` with ``--heartbeat NAME``: a running migration feeds a push check.

Real ``migrate`` and ``worker`` processes write the heartbeats; the push check reading the same store is
evaluated on a fake clock set relative to the heartbeat times the store holds. A migration killed with
SIGKILL stops sending, so its push check turns unhealthy once its interval has passed.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import HealthStatus
from omnimemory_kit.health.checks import PushCheck
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import HeartbeatRow
from tests.store.conftest import BACKEND_MARKS, BACKENDS

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import os
import socket
import time

def ok(item):
    return item.key

def boom(item):
    raise RuntimeError("no luck")

def hang_on_last(item):
    if "z_last" in item.key:
        with socket.create_connection(("127.0.0.1", int(os.environ["HANG_PORT"]))) as conn:
            conn.sendall(b"started")
        time.sleep(3600)  # in the migrate process: the test kills it
    return item.key
"""


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend; a PostgreSQL schema is dropped after)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Three quick items and one, sorted last, on which `hang_on_last` blocks; the functions beside."""
    root = tmp_path / "src"
    root.mkdir()
    for name in ("a0", "a1", "z_last"):
        (root / f"{name}.py").write_text(f"# {name}\n", encoding="utf-8")
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    return root


def kit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``omnimemory-kit ARGS`` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def migrate_args(source: Path, function: str, url: str, *extra: str) -> list[str]:
    fns = source.parent / "fns.py"
    return ["migrate", str(source), "--function", f"{fns}:{function}", "--store", url, "--run-id", "r1",
            "--batch-size", "1", "--concurrency", "1", "--retries", "0", *extra]  # fmt: skip


def last_beat(url: str, name: str = "nightly") -> HeartbeatRow | None:
    with open_store(url, read_only=True) as store:
        return store.last_heartbeat(name)


async def push_status(url: str, max_age: float, now: float) -> HealthStatus:
    """Evaluate push check `nightly` reading ``url`` at wall time ``now`` (a fake clock)."""
    with open_store(url, read_only=True) as store:
        clock = FakeClock(wall_start=now - max_age - 1)  # the check has waited out its first interval
        check = PushCheck("nightly", max_age, store=store, clock=clock)
        clock.advance(max_age + 1)
        return (await check()).status


class TestMigrate:
    async def test_a_migration_with_heartbeat_makes_the_push_check_healthy(
        self, source: Path, store_url: str
    ) -> None:
        """A completed migrate leaves a last heartbeat naming the outcome; the push check is healthy."""
        url = store_url
        done = kit(*migrate_args(source, "ok", url, "--heartbeat", "nightly"))
        assert done.returncode == 0, done.stderr
        beat = last_beat(url)
        assert beat is not None
        assert beat.message == "migrate r1 completed: 3 succeeded, 0 skipped"
        assert beat.beats >= 2  # one when it started, one at the end
        assert await push_status(url, 60, beat.at + 59) is HealthStatus.HEALTHY
        assert await push_status(url, 60, beat.at + 61) is HealthStatus.UNHEALTHY

    async def test_a_failed_migration_sends_no_last_heartbeat(self, source: Path, tmp_path: Path) -> None:
        """A run with failed items exits 1 and its latest heartbeat is a running one, not an outcome."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        failed = kit(*migrate_args(source, "boom", url, "--heartbeat", "nightly"))
        assert failed.returncode == 1
        assert "heartbeat 'nightly': no last heartbeat, the run did not succeed" in failed.stderr
        beat = last_beat(url)
        assert beat is not None
        assert beat.message is not None
        assert beat.message.startswith("migrate r1 running: ")

    async def test_a_heartbeat_store_that_refuses_writes_never_stops_the_run(
        self, source: Path, tmp_path: Path
    ) -> None:
        """Every heartbeat write failing (injected) is reported once on stderr; the run completes, exit 0."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        beats = tmp_path / "health.db"
        open_store(f"sqlite:///{beats}").close()
        with sqlite3.connect(beats) as conn:  # failure injection: the store refuses every heartbeat
            for verb in ("INSERT", "UPDATE"):
                conn.execute(
                    f"CREATE TRIGGER refuse_{verb.lower()} BEFORE {verb} ON health_heartbeats "
                    "BEGIN SELECT RAISE(ABORT, 'heartbeats refused'); END"
                )
        conn.close()
        done = kit(*migrate_args(source, "ok", url, "--heartbeat", "nightly", "--heartbeat-store",
                                 f"sqlite:///{beats}", "--heartbeat-every", "0.05"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: heartbeat")]
        assert len(warnings) == 1
        assert warnings[0].startswith("warning: heartbeat 'nightly' not recorded (")
        assert warnings[0].endswith("); the job goes on")
        with open_store(url, read_only=True) as store:
            assert store.item_counts("r1").get("succeeded") == 3

    async def test_a_killed_migration_stops_its_heartbeats(self, source: Path, store_url: str) -> None:
        """Beats arrive every --heartbeat-every while it runs; after SIGKILL the push check fails."""
        url = store_url
        for process in hung_migrate(source, url, "--heartbeat", "nightly", "--heartbeat-every", "0.1"):
            deadline = time.monotonic() + 60  # a real other process: a bounded poll
            while (beat := last_beat(url)) is None or beat.beats < 3:
                assert time.monotonic() < deadline, "no periodic heartbeats from the running migrate"
                time.sleep(0.05)
            assert beat.message == "migrate r1 running: 2/3 done, 0 failed"
            assert await push_status(url, 1, beat.at + 0.5) is HealthStatus.HEALTHY
            process.send_signal(signal.SIGKILL)
            process.wait()
        last = last_beat(url)
        assert last is not None
        assert last.message is not None
        assert last.message.startswith("migrate r1 running: ")  # no outcome: it never finished
        assert await push_status(url, 1, last.at + 0.9) is HealthStatus.HEALTHY
        assert await push_status(url, 1, last.at + 1.1) is HealthStatus.UNHEALTHY


def hung_migrate(source: Path, url: str, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """Yield a real ``migrate`` process once its function is blocked on the last item; kill it after."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(120)  # only a broken migrate makes this wait
        env = {**os.environ, "HANG_PORT": str(server.getsockname()[1])}
        args = [sys.executable, "-m", "omnimemory_kit", *migrate_args(source, "hang_on_last", url, *extra)]
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            conn, _ = server.accept()
            with conn:
                assert conn.recv(16) == b"started"
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stderr is not None
            process.stderr.close()


class TestWorker:
    async def test_a_worker_with_heartbeat_sends_its_outcome(self, source: Path, tmp_path: Path) -> None:
        """A worker joining a created run sends heartbeats to another store, the last naming its outcome."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        beats = f"sqlite:///{tmp_path / 'health.db'}"
        open_store(beats).close()
        created = kit(*migrate_args(source, "ok", url, "--create-only"))
        assert created.returncode == 0, created.stderr
        worked = kit("worker", "--store", url, "--run-id", "r1", "--heartbeat", "nightly",
                     "--heartbeat-store", beats)  # fmt: skip
        assert worked.returncode == 0, worked.stderr
        beat = last_beat(beats)
        assert beat is not None
        assert beat.message == "worker r1 completed: 3 succeeded, 0 skipped"
        assert last_beat(url) is None  # nothing went to the run's own store


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stderr."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


class TestBadInput:
    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--heartbeat", "nightly", "--heartbeat-every", "0"],
             "error: --heartbeat-every must be a positive number of seconds, not 0.0"),
            (["--heartbeat", "nightly", "--heartbeat-every", "nan"],
             "error: --heartbeat-every must be a positive number of seconds, not nan"),
            (["--heartbeat-every", "5"],
             "error: --heartbeat-every needs --heartbeat (the push check's name)"),
            (["--heartbeat-store", "x.db"],
             "error: --heartbeat-store needs --heartbeat (the push check's name)"),
            (["--heartbeat", " "], "error: --heartbeat needs the push check's name"),
            (["--heartbeat", "nightly", "--dry-run"],
             "error: --heartbeat watches a run being worked: it excludes --dry-run"),
            (["--heartbeat", "nightly", "--create-only"],
             "error: --heartbeat watches a run being worked: it excludes --create-only"),
        ],
    )  # fmt: skip
    def test_bad_heartbeat_options_exit_2_before_anything_is_written(
        self, source: Path, tmp_path: Path, extra: list[str], message: str
    ) -> None:
        """Each bad combination is one line on stderr, exit 2, and no store is created."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        code, err = invoke(*migrate_args(source, "ok", url, *extra))
        assert (code, err.strip()) == (2, message)
        assert not (tmp_path / "run.db").exists()

    @pytest.mark.parametrize("extra", [["--store", "sqlite://"], ["--heartbeat-store", "sqlite://"]])
    def test_an_in_memory_heartbeat_store_is_refused(
        self, source: Path, tmp_path: Path, extra: list[str]
    ) -> None:
        """Heartbeats into a private in-memory store would reach no push check: exit 2, nothing written."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        code, err = invoke(*migrate_args(source, "ok", url, "--heartbeat", "nightly"), *extra)
        assert code == 2
        assert err.startswith("error: --heartbeat needs a store `health serve` can read")
        assert not (tmp_path / "run.db").exists()

    def test_a_missing_heartbeat_store_exits_3_and_creates_nothing(
        self, source: Path, tmp_path: Path
    ) -> None:
        """A heartbeat store that does not exist is refused before the run's store is created."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        code, err = invoke(*migrate_args(source, "ok", url, "--heartbeat", "nightly", "--heartbeat-store",
                                         f"sqlite:///{tmp_path / 'nope.db'}"))  # fmt: skip
        assert code == 3
        assert err.startswith("error: --heartbeat-store: ")
        assert not (tmp_path / "run.db").exists()
        assert not (tmp_path / "nope.db").exists()
