"""``omnimemory-kit health``: table and JSON output, exit status by overall status, --watch recording."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "health.toml"
SECRET = "hunter2-s3cret"


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_file(tmp_path: Path, text: str) -> str:
    """Write a health config and return its path."""
    path = tmp_path / "health.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def healthy_config(tmp_path: Path, pg_dsn: str, redis_url: str, extra: str = "") -> str:
    """A config whose checks all pass against this machine's services."""
    return config_file(
        tmp_path,
        f"""
        [[check]]
        name = "postgresql"
        type = "postgres"
        dsn = "{pg_dsn}"

        [[check]]
        name = "redis"
        type = "redis"
        url = "{redis_url}"
        critical = false

        [[check]]
        name = "scratch"
        type = "path"
        path = "{tmp_path}"
        """
        + textwrap.dedent(extra),
    )


def invoke(*args: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process; return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, ["health", *args], obj={"clock": clock} if clock else None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


class TestExitStatus:
    def test_healthy_prints_a_table_and_exits_0(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """All checks passing prints each one in a table and exits 0."""
        code, out, _ = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url))
        assert code == 0
        for name in ("postgresql", "redis", "scratch", "overall: healthy"):
            assert name in out

    def test_non_critical_failure_is_degraded_exit_4(
        self, tmp_path: Path, pg_dsn: str, redis_url: str
    ) -> None:
        """A non-critical dependency down makes the whole degraded: exit 4."""
        extra = f"""
        [[check]]
        name = "sidecar"
        type = "tcp"
        host = "127.0.0.1"
        port = {closed_port()}
        critical = false
        """
        code, out, _ = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url, extra))
        assert code == 4
        assert "ConnectionRefusedError" in out
        assert "overall: degraded" in out

    def test_critical_failure_is_unhealthy_exit_1_and_redacted(
        self, tmp_path: Path, pg_dsn: str, redis_url: str
    ) -> None:
        """A critical dependency down exits 1; its DSN password shows nowhere in the JSON output."""
        extra = f"""
        [[check]]
        name = "replica"
        type = "postgres"
        dsn = "postgresql://app:{SECRET}@127.0.0.1:{closed_port()}/test"
        timeout = 2
        """
        code, out, err = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url, extra), "--json")
        assert code == 1
        document = json.loads(out)
        assert document["status"] == "fail"
        (replica,) = document["checks"]["replica:responseTime"]
        assert replica["status"] == "fail"
        assert "refused" in replica["output"].lower()
        assert SECRET not in out
        assert SECRET not in err

    def test_json_is_the_ietf_document(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """--json prints the health+json document: pass, and one entry per component:measurement."""
        code, out, _ = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url), "--json")
        assert code == 0
        document = json.loads(out)
        assert document["status"] == "pass"
        assert {"postgresql:responseTime", "redis:responseTime", "scratch:responseTime"} <= set(
            document["checks"]
        )
        entry = document["checks"]["postgresql:responseTime"][0]
        assert entry["componentId"] == "postgresql"
        assert entry["componentType"] == "datastore"
        assert entry["observedUnit"] == "ms"

    def test_bad_config_exits_2_naming_the_problem(self, tmp_path: Path) -> None:
        """A config error exits 2 with one message naming file, check and field, nothing on stdout."""
        path = config_file(tmp_path, '[[check]]\nname = "db"\ntype = "postgres"\ntimeout = -1\n')
        code, out, err = invoke("--config", path)
        assert code == 2
        assert out == ""
        assert f"{path}: check 'db': dsn: required field is missing" in err
        assert "check 'db': timeout: Input should be greater than 0" in err

    def test_missing_config_file_exits_2(self, tmp_path: Path) -> None:
        """A config path that does not exist exits 2."""
        code, _, err = invoke("--config", str(tmp_path / "nope.toml"))
        assert code == 2
        assert "cannot read the health config" in err

    def test_unopenable_store_exits_3(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """A history store that cannot be created exits 3 and says why."""
        store = f"sqlite:///{tmp_path}/missing-dir/h.db"
        code, _, err = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url), "--store", store)
        assert code == 3
        assert "missing-dir" in err

    def test_malformed_store_url_exits_2(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """A malformed --store URL is bad input: exit 2."""
        code, _, err = invoke(
            "--config", healthy_config(tmp_path, pg_dsn, redis_url), "--store", "sqlite://host/x.db"
        )
        assert code == 2
        assert "store URL" in err


class TestRecording:
    def test_one_shot_run_records_one_snapshot(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """With a store, a single run records its snapshot, one row per check."""
        store = f"sqlite:///{tmp_path}/h.db"
        code, _, _ = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url), "--store", store)
        assert code == 0
        with open_store(store, create=False) as opened:
            rows = opened.health_history()
        assert sorted(check.name for _, check in rows) == ["postgresql", "redis", "scratch"]

    def test_watch_records_every_round_paced_by_the_clock(
        self, tmp_path: Path, pg_dsn: str, redis_url: str
    ) -> None:
        """--watch runs a round per interval on the injected clock and records each one (JSON lines out)."""
        store = f"sqlite:///{tmp_path}/h.db"
        clock = FakeClock(auto_advance=True)
        code, out, _ = invoke(
            "--config",
            healthy_config(tmp_path, pg_dsn, redis_url),
            "--watch",
            "--interval",
            "15",
            "--count",
            "3",
            "--store",
            store,
            "--json",
            clock=clock,
        )
        assert code == 0
        assert [json.loads(line)["status"] for line in out.splitlines()] == ["pass"] * 3
        assert clock.sleeps == [15.0, 15.0]
        with open_store(store, create=False) as opened:
            snapshots = {snapshot.taken_at for snapshot, _ in opened.health_history()}
        assert len(snapshots) == 3

    def test_watch_needs_a_store(self, tmp_path: Path, pg_dsn: str, redis_url: str) -> None:
        """--watch without any store is refused up front (exit 2) instead of recording nothing."""
        code, _, err = invoke("--config", healthy_config(tmp_path, pg_dsn, redis_url), "--watch")
        assert code == 2
        assert "--store" in err

    @pytest.mark.slow
    def test_ctrl_c_ends_a_watch_with_130_keeping_snapshots(self, tmp_path: Path) -> None:
        """SIGINT during --watch exits 130 and the rounds already recorded stay in the store."""
        store = f"sqlite:///{tmp_path}/h.db"
        config = config_file(tmp_path, f'[[check]]\nname = "scratch"\ntype = "path"\npath = "{tmp_path}"\n')
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "omnimemory_kit", "health", "--config", config, "--watch"]
        command += ["--interval", "60", "--store", store, "--json"]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()  # blocks until the first round is printed (and recorded)
            assert json.loads(first)["status"] == "pass"
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130
        assert "interrupted" in err
        with open_store(store, create=False) as opened:
            assert len(opened.health_history()) == 1


class TestExample:
    def test_example_config_runs_against_this_machine(self, tmp_path: Path) -> None:
        """The shipped example runs as a subprocess; its exit status agrees with the status it prints."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "omnimemory_kit", "health", "--config", str(EXAMPLE), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        document = json.loads(proc.stdout)
        assert {"pass": 0, "warn": 4, "fail": 1}[document["status"]] == proc.returncode
        assert {key.split(":")[0] for key in document["checks"]} >= {"postgresql", "redis", "disk", "scratch"}
        assert (tmp_path / "health-history.db").exists()
