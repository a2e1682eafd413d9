"""``migrate`` and ``worker`` with ``--metrics-port``, ``--trace-items`` and ``--trace-sample``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from omnimemory_kit.store import open_store
from tests.cli.cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import os, time
from pathlib import Path

def ok(item):
    return None

def gated(item):
    # The last item waits for the test to let it go, so the test can scrape mid-run.
    if item.key.endswith("item-9"):
        gate = Path(os.environ["GATE"])
        while not gate.exists():
            time.sleep(0.01)
"""


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A file of migration functions the commands load by path."""
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A manifest of ten items."""
    path = tmp_path / "items.jsonl"
    path.write_text("".join(f'{{"key": "item-{i}"}}\n' for i in range(10)), encoding="utf-8")
    return path


def free_port() -> int:
    """Return a port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestBadInput:
    """Each mistake ends in one line naming it and exit 2; a missing SDK is only a warning."""

    def test_a_port_in_use_exits_2_naming_it(self, manifest: Path, fns: Path, tmp_path: Path) -> None:
        """A metrics port another process holds is refused before any work, naming the port."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = invoke(
                "migrate", str(manifest), "--function", f"{fns}:ok", "--store", str(tmp_path / "j.db"),
                "--metrics-port", str(port),
            )  # fmt: skip
        assert result.exit_code == 2
        assert f"error: --metrics-port {port}: cannot listen on 127.0.0.1:{port}" in result.stderr
        with open_store(tmp_path / "j.db") as store:
            assert [run.run_id for run in store.list_runs()] == []  # nothing ran

    @pytest.mark.parametrize("ratio", ["1.5", "-0.2", "nan"])
    def test_an_invalid_sampling_ratio_exits_2(
        self, manifest: Path, fns: Path, tmp_path: Path, ratio: str
    ) -> None:
        """A ratio outside 0..1 is one line naming --trace-sample."""
        result = invoke(
            "worker", "--store", str(tmp_path / "j.db"), "--run-id", "r", "--trace-sample", ratio,
        )  # fmt: skip
        assert result.exit_code == 2
        assert "error: --trace-sample must be a sampling ratio from 0 to 1" in result.stderr

    def test_trace_items_without_an_sdk_warns_and_runs(
        self, manifest: Path, fns: Path, tmp_path: Path
    ) -> None:
        """With no SDK configured, --trace-items prints a warning and the run goes on to the end."""
        result = invoke(
            "migrate", str(manifest), "--function", f"{fns}:ok", "--store", str(tmp_path / "j.db"),
            "--trace-items",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "warning: --trace-items/--trace-sample: no OpenTelemetry SDK is configured" in result.stderr
        assert "10 succeeded" in result.stdout


class TestWorker:
    """``worker`` takes the same options as ``migrate``."""

    def test_worker_serves_metrics_and_frees_the_port(
        self, manifest: Path, fns: Path, tmp_path: Path
    ) -> None:
        """A worker with --metrics-port announces the endpoint, works the run, and releases the port."""
        store = str(tmp_path / "j.db")
        created = invoke(
            "migrate", str(manifest), "--function", f"{fns}:ok", "--store", store, "--run-id", "w",
            "--create-only",
        )  # fmt: skip
        assert created.exit_code == 0, created.output
        port = free_port()
        result = invoke("worker", "--store", store, "--run-id", "w", "--metrics-port", str(port))
        assert result.exit_code == 0, result.output
        assert f"metrics: http://127.0.0.1:{port}/metrics" in result.stderr
        assert "10 succeeded" in result.stdout
        with socket.socket() as again:  # the endpoint is closed: the port can be bound again
            again.bind(("127.0.0.1", port))


class TestScrapeDuringARun:
    """A real ``migrate`` process serves its metrics while it works."""

    def test_scrape_mid_run_then_counts_at_the_end(self, manifest: Path, fns: Path, tmp_path: Path) -> None:
        """Mid-run the endpoint shows the run's labels and the held item in flight; the run then ends 0."""
        port = free_port()
        gate = tmp_path / "gate"
        store_path = tmp_path / "j.db"
        cmd = [
            sys.executable, "-m", "omnimemory_kit", "migrate", str(manifest), "--function", f"{fns}:gated",
            "--store", str(store_path), "--run-id", "watched", "--batch-size", "5", "--concurrency", "1",
            "--metrics-port", str(port),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GATE": str(gate)}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            families = None
            for _ in range(1000):  # bounded: until the gated item is in flight (the process stays alive)
                try:
                    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                except httpx.TransportError:
                    text = ""
                samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
                in_flight = [s for s in samples if s.name == "omnimemory_migration_items_in_flight"]
                if in_flight and in_flight[0].value == 1:
                    families = samples
                    break
                assert proc.poll() is None, proc.communicate()
                with pytest.raises(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.02)
            assert families is not None, "the gated item never showed in flight"
            labels = {s.labels.get("run_id") for s in families if "run_id" in s.labels}
            assert labels == {"watched"}
            assert all(s.labels.get("worker") for s in families if "run_id" in s.labels)
            succeeded = [
                s.value
                for s in families
                if s.name == "omnimemory_migration_items_total" and s.labels["outcome"] == "succeeded"
            ]
            assert succeeded
            assert 0 <= succeeded[0] <= 9
            gate.touch()
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert f"metrics: http://127.0.0.1:{port}/metrics" in err
        assert "10 succeeded" in out
