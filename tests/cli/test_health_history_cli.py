"""``omnimemory-kit health uptime``: the recorded history read back per check and window."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.health import (
    ComponentType,
    DependencyHealth,
    DependencyType,
    HealthResponse,
    HealthStatus,
)
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.store import open_store


def invoke(*args: str) -> tuple[int, str, str]:
    """Run `health ...` in-process; return exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, ["health", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def recorded_store(tmp_path: Path, statuses: list[str], name: str = "db") -> str:
    """Record one result per status, a second apart ending now, in a SQLite store; return its URL."""
    url = f"sqlite:///{tmp_path}/history.db"
    with open_store(url) as store:
        history = HealthHistory(store)
        start = time.time() - len(statuses)
        for index, status in enumerate(statuses):
            moment = dt.datetime.fromtimestamp(start + index, dt.UTC)
            dependency = DependencyHealth(
                name=name,
                dependency_type=DependencyType.DATABASE,
                component_type=ComponentType.DATASTORE,
                critical=True,
                status=HealthStatus(status),
                observed_status=HealthStatus(status),
                checked_at=moment,
                latency_ms=5.0,
            )
            history.record(
                HealthResponse(
                    status=HealthStatus(status),
                    checked_at=moment,
                    duration_ms=1.0,
                    dependencies={name: dependency},
                )
            )
    return url


class TestUptime:
    def test_json_gives_uptime_and_percentiles_per_window(self, tmp_path: Path) -> None:
        """Three up and one down result give 75 % in every window, with the latency percentiles."""
        url = recorded_store(tmp_path, ["healthy", "degraded", "unhealthy", "healthy"])
        code, out, _ = invoke("uptime", "--store", url, "--json")
        assert code == 0
        rows = json.loads(out)["uptime"]
        assert [row["window"] for row in rows] == ["1h", "24h", "7d", "30d", "365d"]
        assert {row["uptime"] for row in rows} == {0.75}
        assert {row["samples"] for row in rows} == {4}
        assert abs(rows[0]["p99_ms"] - 5.0) <= 0.25

    def test_table_lists_configured_checks_without_samples(self, tmp_path: Path) -> None:
        """A check named in the config but never recorded appears with no uptime rather than 0 %."""
        url = recorded_store(tmp_path, ["healthy"])
        config = tmp_path / "health.toml"
        config.write_text(f'store = "{url}"\n[[check]]\nname = "quiet"\ntype = "path"\npath = "{tmp_path}"\n')
        code, out, _ = invoke("uptime", "--config", str(config), "--window", "1h")
        assert code == 0
        lines = [line for line in out.splitlines() if "quiet" in line or " db " in line]
        assert len(lines) == 2
        assert "100.000%" in next(line for line in lines if " db " in line)
        assert "%" not in next(line for line in lines if "quiet" in line)

    def test_no_store_is_bad_input(self, tmp_path: Path) -> None:
        """Without --store and without a config naming one the command exits 2 with one line."""
        code, _, err = invoke("uptime")
        assert code == 2
        assert err.strip().splitlines() == ["error: give --store URL, or --config FILE with a `store`"]

    def test_missing_store_file_is_unavailable_and_not_created(self, tmp_path: Path) -> None:
        """A store file that does not exist exits 3 and is not created."""
        code, _, err = invoke("uptime", "--store", f"sqlite:///{tmp_path}/nope.db")
        assert code == 3
        assert "does not exist" in err
        assert not (tmp_path / "nope.db").exists()


class TestIncidents:
    def test_json_lists_the_check_and_overall_incident(self, tmp_path: Path) -> None:
        """One down result between healthy ones is one incident of the check and one of the overall status."""
        url = recorded_store(tmp_path, ["healthy", "unhealthy", "healthy"])
        code, out, _ = invoke("incidents", "--store", url, "--json")
        assert code == 0
        found = json.loads(out)
        assert sorted(incident["name"] for incident in found) == ["(overall)", "db"]
        assert {incident["duration_s"] for incident in found} == {1.0}
        assert {incident["worst_status"] for incident in found} == {"unhealthy"}

    def test_table_shows_an_open_incident(self, tmp_path: Path) -> None:
        """An incident still going on is shown as open."""
        url = recorded_store(tmp_path, ["healthy", "degraded"])
        code, out, _ = invoke("incidents", "--store", url, "--check", "db")
        assert code == 0
        assert "(open)" in out
        assert "degraded" in out

    def test_a_bad_span_is_bad_input(self, tmp_path: Path) -> None:
        """--since that is not like 30m/12h/7d exits 2 with one line."""
        url = recorded_store(tmp_path, ["healthy"])
        code, _, err = invoke("incidents", "--store", url, "--since", "soon")
        assert code == 2
        assert err.strip().splitlines() == ["error: --since: 'soon' is not a span like 30m, 12h or 7d"]

    def test_overlapping_maintenance_in_the_config_is_bad_input(self, tmp_path: Path) -> None:
        """A config with overlapping maintenance windows exits 2 with one line naming the overlap."""
        url = recorded_store(tmp_path, ["healthy"])
        config = tmp_path / "health.toml"
        config.write_text(
            f'store = "{url}"\n[[check]]\nname = "db"\ntype = "path"\npath = "{tmp_path}"\n'
            "[[maintenance]]\nstart = 2027-01-01T00:00:00Z\nend = 2027-01-01T02:00:00Z\n"
            "[[maintenance]]\nstart = 2027-01-01T01:00:00Z\nend = 2027-01-01T03:00:00Z\n"
        )
        code, _, err = invoke("incidents", "--config", str(config))
        assert code == 2
        (line,) = err.strip().splitlines()
        assert "maintenance windows overlap" in line
