"""A run whose only process was SIGKILLed: ``status`` says nobody works it, and its clock stops.

Each test runs a real ``migrate`` process whose migration function blocks on the last item after telling
the test (over a local socket) that it got there, so the test knows the run is mid-flight without waiting
on a timer. ``status`` then runs in its own processes, before and after a real SIGKILL, on a SQLite file
and on an own schema of the real PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnimemory_kit.clock import FakeClock
from tests.store.conftest import BACKEND_MARKS, BACKENDS

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import os
import socket
import time

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
    """Five quick items and one, sorted last, on which the function blocks; the functions file beside."""
    root = tmp_path / "src"
    root.mkdir()
    for name in ("a0", "a1", "a2", "a3", "a4", "z_last"):
        (root / f"{name}.py").write_text(f"# {name}\n", encoding="utf-8")
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    return root


@pytest.fixture
def hung_migrate(source: Path, store_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``migrate`` process, returned once its function is blocked on the last item."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(120)  # only a broken migrate makes this wait
        env = {**os.environ, "HANG_PORT": str(server.getsockname()[1])}
        args = [sys.executable, "-m", "omnimemory_kit", "migrate", str(source)]
        args += ["--function", f"{source.parent / 'fns.py'}:hang_on_last", "--store", store_url]
        args += ["--run-id", "r1", "--batch-size", "2", "--concurrency", "1"]
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            conn, _ = server.accept()
            with conn:
                assert conn.recv(16) == b"started"
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


def status(store_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``status r1`` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", "status", "r1", "--store", store_url, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def status_json(store_url: str) -> dict[str, Any]:
    """Run ``status r1 --json`` and return what it printed."""
    result = status(store_url, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


class TestCrashedRun:
    """Live and slow is running; killed is interrupted, with its active time frozen."""

    def test_slow_run_with_a_live_worker_shows_running(
        self, hung_migrate: subprocess.Popen[bytes], store_url: str
    ) -> None:
        """While the only worker is alive (however slow), status shows the run running, not interrupted."""
        data = status_json(store_url)
        assert hung_migrate.poll() is None
        assert (data["status"], data["interrupted"]) == ("running", False)
        assert data["eta_unavailable_reason"] != "interrupted"
        text = status(store_url)
        assert "): running" in text.stdout.splitlines()[0]

    def test_killed_run_is_interrupted_and_its_clock_stops(
        self, hung_migrate: subprocess.Popen[bytes], store_url: str
    ) -> None:
        """After SIGKILL, two status calls moments apart both say interrupted, with the same active time."""
        hung_migrate.send_signal(signal.SIGKILL)
        hung_migrate.wait()
        first = status_json(store_url)
        text = status(store_url)
        second = status_json(store_url)

        assert first["status"] == second["status"] == "running"  # what the journal says
        assert first["interrupted"] is second["interrupted"] is True
        assert second["as_of"] > first["as_of"]
        assert first["elapsed_seconds"] == second["elapsed_seconds"]
        assert first["processing_rates"] == second["processing_rates"]
        assert first["last_activity_at"] == second["last_activity_at"] is not None
        assert first["eta_unavailable_reason"] == "interrupted"
        # Outcomes are reported in the background: how many were durable when it died varies; the last
        # item's start was (claims are journaled before the function runs), and nothing failed.
        assert first["total_files"] == 6
        assert first["in_progress_files"] >= 1
        assert first["failed_files"] == 0
        headline = text.stdout.splitlines()[0]
        assert f"interrupted, last activity at {first['last_activity_at'][:10]}" in headline
        assert text.returncode == 0
