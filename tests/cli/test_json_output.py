"""Every ``--json`` prints strict JSON: no NaN or Infinity tokens, no lone surrogates, nothing raised."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from omnimemory_kit.cli import cli
from omnimemory_kit.cli.json_output import dumps, json_text
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.store import RunRecord, WorkItem, open_store

ODD = "caf\udce9.txt"  # os.fsdecode(b"caf\xe9.txt"): a Latin-1 file name
ODD_SHOWN = "caf\\xe9.txt"

CHECKS = """
from omnimemory_kit import Mismatch


def differ(item):
    return Mismatch("differs", expected=float("nan"), actual=float("-inf"))


def fails(item):
    raise ValueError("cannot read " + item.key)
"""


def _refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def strict(text: str) -> Any:
    """Parse ``text`` as a strict parser would: no NaN/Infinity, UTF-8 text, no lone surrogate in it."""
    text.encode("utf-8")
    value = json.loads(text, parse_constant=_refuse)
    for found in _strings(value):
        found.encode("utf-8")  # a lone surrogate escaped as \\udcXX would fail here
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


class TestDumps:
    """``dumps`` writes what JSON has no token for as text, and every lone surrogate as escape text."""

    def test_non_finite_floats_become_strings(self) -> None:
        """NaN, Infinity and -Infinity become "NaN", "Infinity" and "-Infinity", in values and keys."""
        value = {
            "rate": math.nan,
            "up": math.inf,
            "down": -math.inf,
            "ok": 1.5,
            "rows": [math.nan, (2, math.inf)],
        }
        assert strict(dumps(value)) == {
            "rate": "NaN",
            "up": "Infinity",
            "down": "-Infinity",
            "ok": 1.5,
            "rows": ["NaN", [2, "Infinity"]],
        }
        assert strict(dumps({math.nan: 1})) == {"NaN": 1}

    def test_undecodable_bytes_become_escape_text(self) -> None:
        """An undecodable byte is \\xHH text in keys and values; any other lone surrogate \\uHHHH text."""
        value = {ODD: [ODD, "x\ud800y"], "nested": {"k\udcff": "\udc80"}}
        assert strict(dumps(value)) == {
            ODD_SHOWN: [ODD_SHOWN, "x\\ud800y"],
            "nested": {"k\\xff": "\\x80"},
        }

    def test_ordinary_values_are_kept(self) -> None:
        """Text of any script, numbers, booleans, null and None keys come back as they were."""
        value = {"name": "café ✓ 😀", "n": 3, "t": True, "none": None, "list": ["a\nb"]}
        assert strict(dumps(value)) == value
        assert json_text("plain") == "plain"

    def test_anything_else_is_its_text(self) -> None:
        """A value JSON has no type for is written as its str(), cleaned like any text."""
        when = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)

        class Odd:
            def __str__(self) -> str:
                return ODD

        assert strict(dumps({"at": when, "odd": Odd()})) == {"at": str(when), "odd": ODD_SHOWN}

    def test_indent(self) -> None:
        """Indented by two spaces by default; one line when asked."""
        assert dumps({"a": 1}) == '{\n  "a": 1\n}'
        assert dumps({"b": 1, "a": math.nan}, indent=None, sort_keys=True) == '{"a": "NaN", "b": 1}'


@pytest.fixture
def checked_run(tmp_path: Path) -> tuple[str, Path]:
    """A completed SQLite run of an undecodable key and ``b``; return its URL and the checks' module."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url) as store:
        store.create_run(RunRecord(run_id="r1", name="r1", source=str(tmp_path)))
        store.add_items("r1", [WorkItem(ODD, 1), WorkItem("b", 1)], at=1.0)
        store.append("r1", [Event(EventKind.RUN_STARTED, 1.0)])
        lease = store.claim("r1", "h:1:w", 2, 60)
        assert lease is not None
        store.report_and_release(
            lease, [Event(EventKind.FILE_SUCCEEDED, 2.0, item.key) for item in lease.items]
        )
        store.append("r1", [Event(EventKind.RUN_COMPLETED, 3.0)])
    checks = tmp_path / "checks.py"
    checks.write_text(CHECKS, encoding="utf-8")
    return url, checks


class TestCommands:
    """Each command's ``--json`` with an undecodable key and non-finite numbers in what it prints."""

    def test_validate_and_status_print_a_nan_mismatch_of_an_undecodable_key(
        self, checked_run: tuple[str, Path]
    ) -> None:
        """A mismatch whose expected value is NaN, of a Latin-1 key: strict JSON from both commands."""
        url, checks = checked_run
        done = invoke("validate", "r1", "--function", f"{checks}:differ", "--store", url, "--json")
        assert done.exit_code == 1, done.output
        rows = strict(done.stdout)["mismatches"]
        assert {row["key"] for row in rows} == {ODD_SHOWN, "b"}
        assert {(row["expected"], row["actual"]) for row in rows} == {("NaN", "-Infinity")}
        status = invoke("status", "r1", "--store", url, "--json")
        assert status.exit_code == 0, status.output
        assert strict(status.stdout)["mismatches"] == rows

    def test_status_prints_validation_errors_of_an_undecodable_key(
        self, checked_run: tuple[str, Path]
    ) -> None:
        """Validation errors of a Latin-1 key: their count and rows, strict JSON."""
        url, checks = checked_run
        done = invoke("validate", "r1", "--function", f"{checks}:fails", "--store", url, "--json")
        assert strict(done.stdout)["error"] == 2
        data = strict(invoke("status", "r1", "--store", url, "--json").stdout)
        assert data["validation_errors"] == data["validation"]["error"] == 2
        assert {row["key"] for row in data["validation_error_rows"]} == {ODD_SHOWN, "b"}
        assert any(ODD_SHOWN in row["detail"] for row in data["validation_error_rows"])

    def test_runs_prints_non_finite_and_undecodable_parameters(self, tmp_path: Path) -> None:
        """Parameters of NaN, Infinity and an undecodable name and value: strict JSON, text the same."""
        url = f"sqlite:///{tmp_path / 's.db'}"
        params = {"ratio": math.nan, "cap": -math.inf, ODD: "x\udcff"}
        with open_store(url) as store:
            store.create_run(RunRecord(run_id="r1", name="r1", params=params))
        result = invoke("runs", "--store", url, "--json")
        assert result.exit_code == 0, result.output
        [entry] = strict(result.stdout)
        assert entry["params"] == {"ratio": "NaN", "cap": "-Infinity", ODD_SHOWN: "x\\xff"}
        text = invoke("runs", "--store", url).stdout
        assert '{"caf\\\\xe9.txt": "x\\\\xff", "cap": "-Infinity", "ratio": "NaN"}' in text

    def test_control_prints_an_undecodable_reason(self, tmp_path: Path) -> None:
        """A command given with an undecodable reason: the history in strict JSON."""
        url = f"sqlite:///{tmp_path / 's.db'}"
        with open_store(url) as store:
            store.create_run(RunRecord(run_id="r1", name="r1"))
            store.append("r1", [Event(EventKind.RUN_STARTED, 1.0)])
            control = RunControl(store, "r1")
            control.pause(reason=f"moving {ODD}")
            control.close()
        result = invoke("control", "r1", "--store", url, "--json")
        assert result.exit_code == 0, result.output
        [command] = strict(result.stdout)["history"]
        assert command["reason"] == f"moving {ODD_SHOWN}"

    def test_migrate_prints_strict_json_for_an_undecodable_file(self, tmp_path: Path) -> None:
        """A directory holding a Latin-1 file name, migrated with --json: strict JSON."""
        root = tmp_path / "tree"
        root.mkdir()
        (root / "caf\udce9.py").write_text("# odd\n", encoding="utf-8")
        (root / "plain.py").write_text("# plain\n", encoding="utf-8")
        fns = tmp_path / "fns.py"
        fns.write_text("def ok(item):\n    return item.key\n", encoding="utf-8")
        url = f"sqlite:///{tmp_path / 's.db'}"
        result = invoke(
            "migrate", str(root), "--function", f"{fns}:ok", "--store", url, "--run-id", "r1", "--json"
        )
        assert result.exit_code == 0, result.output
        assert strict(result.stdout)["succeeded_files"] == 2

    def test_health_history_prints_strict_json(self, tmp_path: Path) -> None:
        """``health uptime`` and ``health incidents`` print strict JSON (an empty history: null uptimes)."""
        url = f"sqlite:///{tmp_path / 'h.db'}"
        open_store(url).close()
        uptime = invoke("health", "uptime", "--store", url, "--json")
        assert uptime.exit_code == 0, uptime.output
        assert strict(uptime.stdout) == {"uptime": [], "slo": []}
        incidents = invoke("health", "incidents", "--store", url, "--json")
        assert incidents.exit_code == 0, incidents.output
        assert strict(incidents.stdout) == []
