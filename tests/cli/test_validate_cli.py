"""The validation phase from the command line: the validate function a run records, and what each command
does with it (``migrate``, ``worker``, ``validate``); reserved run ids; one-line usage errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import Result

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from omnimemory_kit.cli.run_check import validation_code
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.store import open_store
from tests.cli.cli_helpers import error_line, invoke

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


async def hangs(item):
    import asyncio

    await asyncio.Event().wait()
"""

_VERDICTS = {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}


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


class TestRecordedSpec:
    """The validate function is recorded with a run so that any later command, anywhere, finds it."""

    def test_create_only_records_the_validate_function(self, manifest: Path, fns: Path, store: Path) -> None:
        """``migrate --create-only --validate`` records it, and a worker then checks with it."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        assert params(store)["validate"] == f"{fns}:check"
        assert verdicts(store) == Counter()
        result = worker(store)
        assert result.exit_code == EXIT_FAILED, result.output
        assert sum(verdicts(store).values()) == 10
        assert "item-3: wrong copy" in result.output

    def test_a_relative_file_spec_is_recorded_absolute(
        self, manifest: Path, fns: Path, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``fns.py:check`` typed in its folder is recorded by absolute path; validate finds it elsewhere."""
        monkeypatch.chdir(tmp_path)
        assert migrate(manifest, fns, store, "--validate", "fns.py:check").exit_code == EXIT_FAILED
        assert params(store)["validate"] == f"{fns.resolve()}:check"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        again = invoke("validate", "r1", "--store", str(store), "--only", "mismatched")
        assert again.exit_code == EXIT_FAILED, again.output
        assert "(1 checked now)" in again.output

    def test_a_module_found_through_the_current_directory_is_found_from_another(
        self,
        manifest: Path,
        fns: Path,
        store: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """``checks_cwd_mod:check`` imported from the cwd records that folder; validate looks there later."""
        home = tmp_path / "project"
        home.mkdir()
        (home / "checks_cwd_mod.py").write_text(FUNCTIONS, encoding="utf-8")
        monkeypatch.setattr(sys, "path", [str(home), *sys.path])  # as `python -m` puts the cwd first
        monkeypatch.chdir(home)
        result = migrate(manifest, fns, store, "--validate", "checks_cwd_mod:check")
        assert result.exit_code == EXIT_FAILED, result.output
        assert params(store)["validate"] == "checks_cwd_mod:check"
        assert params(store)["validate_root"] == str(home.resolve())
        # another directory, another process: the module is not importable by name any more
        monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(home)])
        monkeypatch.delitem(sys.modules, "checks_cwd_mod")
        monkeypatch.chdir(tmp_path)
        again = invoke("validate", "r1", "--store", str(store), "--only", "mismatched")
        assert again.exit_code == EXIT_FAILED, again.output
        assert "(1 checked now)" in again.output


class TestMigrateResumes:
    """A resumed ``migrate`` checks with the run's recorded validate function."""

    def test_the_recorded_function_checks_a_created_run(self, manifest: Path, fns: Path, store: Path) -> None:
        """``migrate`` of a run created with ``--validate`` checks it without being told, and exits 1."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        result = migrate(manifest, fns, store, "--json")
        assert result.exit_code == EXIT_FAILED, result.output
        data = json.loads(result.stdout)
        assert (data["validation"]["validated"], data["validation"]["mismatched"]) == (9, 1)

    def test_no_validate_checks_nothing(self, manifest: Path, fns: Path, store: Path) -> None:
        """``--no-validate`` works the run and checks nothing: exit 0, no verdict."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        result = migrate(manifest, fns, store, "--no-validate")
        assert result.exit_code == EXIT_OK, result.output
        assert verdicts(store) == Counter()

    def test_another_validate_function_is_refused_naming_both(
        self, manifest: Path, fns: Path, store: Path
    ) -> None:
        """``--validate`` other than the recorded one exits 2 naming both; nothing is worked."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        result = migrate(manifest, fns, store, "--validate", f"{fns}:other")
        assert result.exit_code == EXIT_BAD_INPUT
        line = error_line(result)
        assert f"records validate function '{fns}:check', not '{fns}:other'" in line
        with open_store(store, read_only=True) as opened:
            assert opened.item_counts("r1")["pending"] == 10

    def test_the_same_function_given_again_is_accepted(self, manifest: Path, fns: Path, store: Path) -> None:
        """``--validate`` naming the recorded function (as typed before) is no conflict."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        assert migrate(manifest, fns, store, "--validate", f"{fns}:check").exit_code == EXIT_FAILED
        assert sum(verdicts(store).values()) == 10

    def test_both_options_exclude_each_other(self, manifest: Path, fns: Path, store: Path) -> None:
        """``--validate`` with ``--no-validate`` exits 2 before any store is made."""
        result = migrate(manifest, fns, store, "--validate", f"{fns}:check", "--no-validate")
        assert result.exit_code == EXIT_BAD_INPUT
        assert "exclude each other" in error_line(result)
        assert not store.exists()


class TestWorker:
    """``worker`` checks with the run's validate function and exits by the run's validation."""

    def test_mismatches_exit_1(self, manifest: Path, fns: Path, store: Path) -> None:
        """A worker whose run has a mismatch at the end exits 1; the JSON has the run's validation."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        result = worker(store, "--json")
        assert result.exit_code == EXIT_FAILED, result.output
        data = json.loads(result.stdout)
        assert data["validation"]["mismatched"] == 1
        assert data["validation"]["mismatches"][0]["key"] == "item-3"

    def test_all_validated_exits_0(self, manifest: Path, fns: Path, store: Path) -> None:
        """A run whose every item validates exits 0."""
        create(manifest, fns, store, "--validate", f"{fns}:other")
        result = worker(store)
        assert result.exit_code == EXIT_OK, result.output
        assert "validation completed, all validated" in result.output

    def test_validate_option_on_a_run_without_one(self, manifest: Path, fns: Path, store: Path) -> None:
        """``worker --validate`` checks a run that records no validate function."""
        create(manifest, fns, store)
        result = worker(store, "--validate", f"{fns}:check")
        assert result.exit_code == EXIT_FAILED, result.output
        assert sum(verdicts(store).values()) == 10

    def test_another_validate_function_is_refused(self, manifest: Path, fns: Path, store: Path) -> None:
        """``worker --validate`` other than the recorded one exits 2 naming both; nothing is claimed."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        result = worker(store, "--validate", f"{fns}:other")
        assert result.exit_code == EXIT_BAD_INPUT
        assert f"'{fns}:check', not '{fns}:other'" in error_line(result)
        with open_store(store, read_only=True) as opened:
            assert opened.item_counts("r1")["pending"] == 10

    def test_no_validate(self, manifest: Path, fns: Path, store: Path) -> None:
        """``worker --no-validate`` checks nothing and exits 0."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        assert worker(store, "--no-validate").exit_code == EXIT_OK
        assert verdicts(store) == Counter()


class TestValidateUnfinished:
    """``validate`` of a run that is not finished."""

    def claim_three(self, store: Path, worker_id: str, *, succeed: bool) -> None:
        """Claim item-0..2 as ``worker_id``; with ``succeed``, finish them and release the batch."""
        with open_store(store) as opened:
            lease = opened.claim("r1", worker_id, 3, 600)
            assert lease is not None
            if succeed:
                keys = [item.key for item in lease.items]
                opened.report(lease, [Event(EventKind.FILE_SUCCEEDED, at=2.0, path=k) for k in keys])
                opened.release(lease)

    def test_live_workers_exit_2_nothing_written(self, manifest: Path, fns: Path, store: Path) -> None:
        """A batch leased by a live worker (this process): exit 2 saying the run is still running."""
        create(manifest, fns, store, "--validate", f"{fns}:check")
        worker_id = f"{socket.gethostname()}:{os.getpid()}:live"
        with open_store(store) as opened:
            opened.register_worker("r1", worker_id, host=socket.gethostname(), pid=os.getpid())
        self.claim_three(store, worker_id, succeed=False)
        result = invoke("validate", "r1", "--store", str(store))
        assert result.exit_code == EXIT_BAD_INPUT
        assert "is still running" in error_line(result)
        assert verdicts(store) == Counter()

    def test_what_is_done_is_checked_and_the_rest_counted(
        self, manifest: Path, fns: Path, store: Path
    ) -> None:
        """No live lease: the succeeded items are checked, and it says how many are not migrated (exit 1)."""
        create(manifest, fns, store, "--validate", f"{fns}:other")
        self.claim_three(store, "gone:1:x", succeed=True)
        result = invoke("validate", "r1", "--store", str(store))
        assert result.exit_code == EXIT_FAILED, result.output
        assert "validation incomplete: 7 items not yet migrated" in result.stdout
        assert sum(verdicts(store).values()) == 3
        data = json.loads(invoke("validate", "r1", "--store", str(store), "--json").stdout)
        assert (data["status"], data["not_migrated"]) == (
            "validation incomplete: 7 items not yet migrated",
            7,
        )

    def test_a_dead_workers_lease_does_not_hold_it(self, manifest: Path, fns: Path, store: Path) -> None:
        """A batch still leased by a worker whose process died (on this machine) does not count as running."""
        create(manifest, fns, store, "--validate", f"{fns}:other")
        dead = subprocess.Popen([sys.executable, "-c", ""])  # a process that has ended: its pid is dead
        dead.wait()
        worker_id = f"{socket.gethostname()}:{dead.pid}:dead"
        with open_store(store) as opened:
            opened.register_worker("r1", worker_id, host=socket.gethostname(), pid=dead.pid)
        self.claim_three(store, worker_id, succeed=False)
        result = invoke("validate", "r1", "--store", str(store))
        assert result.exit_code == EXIT_FAILED, result.output
        assert "validation incomplete: 10 items not yet migrated" in result.stdout


class TestOnlyAll:
    def test_only_all_revalidates_every_succeeded_item(self, manifest: Path, fns: Path, store: Path) -> None:
        """``--only all`` checks validated and mismatched items alike, each once more."""
        assert migrate(manifest, fns, store, "--validate", f"{fns}:check").exit_code == EXIT_FAILED
        result = invoke(
            "validate", "r1", "--store", str(store), "--only", "all", "--function", f"{fns}:other"
        )
        assert result.exit_code == EXIT_OK, result.output
        assert "(10 checked now)" in result.output
        assert set(verdicts(store).values()) == {2}


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


class TestWording:
    """Messages about the validate function call it that."""

    def test_a_bad_validate_spec_is_named_a_validate_function(
        self, manifest: Path, fns: Path, store: Path
    ) -> None:
        """``--validate`` that does not load says "validate function", not "migration function"."""
        for result in (
            migrate(manifest, fns, store, "--validate", "no_such_module_xyz:check"),
            worker(store, "--validate", "not-a-spec"),
            invoke("validate", "r1", "--store", str(store), "--function", "no_such_module_xyz:check"),
        ):
            assert result.exit_code == EXIT_BAD_INPUT
            line = error_line(result)
            assert "validate function" in line
            assert "migration function" not in line


class TestExitCodes:
    """``validation_code``: a run's exit code from its migration outcome and its validation."""

    @staticmethod
    def summary(
        validated: int = 0, mismatched: int = 0, error: int = 0, pending: int = 0
    ) -> ValidationSummary:
        items = validated + mismatched + error + pending
        return ValidationSummary(items, validated, mismatched, error, pending)

    def test_mapping(self) -> None:
        """Mismatches and errors exit 1, pending too unless told; a failed or cancelled run keeps its code."""
        assert validation_code(None) == EXIT_OK
        assert validation_code(self.summary(validated=3)) == EXIT_OK
        assert validation_code(self.summary(validated=3, mismatched=1)) == EXIT_FAILED
        assert validation_code(self.summary(validated=3, error=1)) == EXIT_FAILED
        assert validation_code(self.summary(validated=3, pending=1)) == EXIT_FAILED
        assert validation_code(self.summary(validated=3, pending=1), pending_fails=False) == EXIT_OK
        assert validation_code(self.summary(validated=3), outcome=EXIT_INTERRUPTED) == EXIT_INTERRUPTED
        assert validation_code(None, outcome=EXIT_FAILED) == EXIT_FAILED


class TestCheckTimeout:
    def test_the_command_line_default_is_the_librarys(self) -> None:
        from omnimemory_kit.cli.run_check import DEFAULT_CHECK_TIMEOUT
        from omnimemory_kit.migration.validation_checks import CHECK_TIMEOUT

        assert DEFAULT_CHECK_TIMEOUT == CHECK_TIMEOUT

    def test_a_check_past_check_timeout_is_its_items_error(
        self, manifest: Path, fns: Path, store: Path
    ) -> None:
        """`migrate --check-timeout` bounds each pipelined check: a hung check is its item's error."""
        result = migrate(manifest, fns, store, "--validate", f"{fns}:hangs", "--check-timeout", "0.2")
        assert result.exit_code == EXIT_FAILED, result.output
        with open_store(store, read_only=True) as opened:
            verdicts = [e for e in opened.read_events("r1") if e.kind in _VERDICTS]
        assert len(verdicts) == 10
        assert {e.kind for e in verdicts} == {EventKind.ITEM_VALIDATION_ERROR}
        assert all("longer than 0.2 s" in (e.error_message or "") for e in verdicts)

    @pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
    @pytest.mark.parametrize("command", ["migrate", "worker"])
    def test_a_bad_check_timeout_is_refused_naming_the_option(
        self, manifest: Path, fns: Path, store: Path, command: str, value: str
    ) -> None:
        if command == "migrate":
            result = migrate(manifest, fns, store, "--check-timeout", value)
        else:
            result = invoke("worker", "--store", str(store), "--run-id", "r1", "--check-timeout", value)
        assert result.exit_code == EXIT_BAD_INPUT
        assert (
            error_line(result)
            == f"error: --check-timeout must be a positive number of seconds, not {float(value)}"
        )
