"""The validation phase from the command line: the validate function a run records, and what each command
does with it (``migrate``, ``worker``, ``validate``); reserved run ids; one-line usage errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from omnimemory_kit.cli import cli
from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from omnimemory_kit.events import EventKind
from omnimemory_kit.store import open_store

FUNCTIONS = """
from omnimemory_kit import Mismatch


def ok(item):
    return None


def check(item):
    if item.key.endswith("3"):
        return Mismatch("wrong copy", expected="a", actual="b")
    return True


def other(item):
    return True
"""

_VERDICTS = {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}


def invoke(*args: str) -> Result:
    """Run the CLI in-process."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def error_line(result: Result) -> str:
    """Return stderr, asserting it is one line."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A JSONL manifest of 10 items, item-0 .. item-9 (item-3 is the one ``check`` finds wrong)."""
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps({"key": f"item-{i}", "size": 1}) + "\n" for i in range(10)))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "s.db"


def migrate(manifest: Path, fns: Path, store: Path, *extra: str) -> Result:
    """Run ``migrate`` of the manifest with ``fns.py:ok`` as run r1."""
    return invoke("migrate", str(manifest), "--function", f"{fns}:ok", "--store", str(store),
                  "--run-id", "r1", *extra)  # fmt: skip


def create(manifest: Path, fns: Path, store: Path, *extra: str) -> Result:
    """Create run r1 for workers (``migrate --create-only``)."""
    result = migrate(manifest, fns, store, "--create-only", *extra)
    assert result.exit_code == 0, result.output
    return result


def worker(store: Path, *extra: str) -> Result:
    return invoke("worker", "--store", str(store), "--run-id", "r1", "--concurrency", "2", *extra)


def params(store: Path) -> dict[str, object]:
    with open_store(store, read_only=True) as opened:
        return dict(opened.get_run("r1").params)


def verdicts(store: Path) -> Counter[str]:
    """Count the verdicts journaled per item of r1."""
    with open_store(store, read_only=True) as opened:
        return Counter(str(e.path) for e in opened.read_events("r1") if e.kind in _VERDICTS)


class TestReservedRunIds:
    """A run id holding ``~`` names a hidden companion run: every run command refuses it."""

    @pytest.mark.parametrize("command", ["migrate", "worker", "validate", "control"])
    def test_a_tilde_is_refused_with_exit_2(
        self, command: str, manifest: Path, fns: Path, store: Path, tmp_path: Path
    ) -> None:
        """``r1~validation`` exits 2 with one line saying why; no store is created."""
        args = {
            "migrate": ["migrate", str(manifest), "--function", f"{fns}:ok", "--run-id", "r1~validation"],
            "worker": ["worker", "--run-id", "r1~validation"],
            "validate": ["validate", "r1~validation"],
            "control": ["control", "r1~validation", "pause"],
        }[command]
        result = invoke(*args, "--store", str(store))
        assert result.exit_code == EXIT_BAD_INPUT
        line = error_line(result)
        assert line.startswith("error: run id 'r1~validation' holds '~'")
        assert not store.exists()

    def test_a_derived_run_id_never_holds_a_tilde(self, tmp_path: Path, fns: Path, store: Path) -> None:
        """A source named ``data~`` gets a run id with ``-`` instead, which a worker can then join."""
        source = tmp_path / "data~"
        source.mkdir()
        (source / "a.py").write_text("x = 1\n", encoding="utf-8")
        result = invoke(
            "migrate", str(source), "--function", f"{fns}:ok", "--store", str(store), "--create-only"
        )
        assert result.exit_code == 0, result.output
        with open_store(store, read_only=True) as opened:
            (run_id,) = [r.run_id for r in opened.list_runs()]
        assert run_id.startswith("data--")
        joined = invoke("worker", "--store", str(store), "--run-id", run_id)
        assert joined.exit_code == 0, joined.output


class TestUsageErrors:
    """Click's usage errors are one ``error:`` line and exit 2, like every other bad input."""

    @pytest.mark.parametrize(
        ("args", "says"),
        [
            (["validate", "r1", "--bogus"], "No such option '--bogus'"),
            (["validate"], "Missing argument 'RUN_ID'"),
            (["validate", "r1", "--only", "some"], "'some' is not one of 'mismatched', 'error'"),
            (["nosuch"], "No such command 'nosuch'"),
            (["health", "uptime", "--bogus"], "No such option '--bogus'"),
            (["worker", "--run-id", "r1"], "Missing option '--store'"),
        ],
    )
    def test_one_line_exit_2(self, args: list[str], says: str) -> None:
        """The line names what was wrong and the command's help; no usage block."""
        result = invoke(*args)
        assert result.exit_code == EXIT_BAD_INPUT
        line = error_line(result)
        assert line.startswith("error: ")
        assert says in line
        assert "--help" in line
        assert "Usage:" not in result.output

    def test_help_still_shows_the_usage(self) -> None:
        """``--help`` prints the usage and the options, exit 0."""
        result = invoke("validate", "--help")
        assert result.exit_code == EXIT_OK
        assert result.stdout.startswith("Usage: ")
        assert "--only [mismatched|error" in result.stdout
