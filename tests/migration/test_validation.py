"""Validation over real files: a copy is checked by comparing the target's sha256 with the source's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import Result

from omnimemory_kit.events import EventKind
from omnimemory_kit.store import open_store
from tests.cli.cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = """
import hashlib
import os
import shutil
import signal
import threading
from pathlib import Path

from omnimemory_kit import Mismatch

TARGET = Path(os.environ["TARGET"])


def copy(item):
    shutil.copyfile(item.path, TARGET / item.key)


def same_sha256(item):
    if os.environ.get("KILL_AT") == item.key:
        os.kill(os.getpid(), signal.SIGKILL)  # the process dies mid-pass, as a crash would
    want = hashlib.sha256(Path(item.path).read_bytes()).hexdigest()
    got = hashlib.sha256((TARGET / item.key).read_bytes()).hexdigest()
    if want != got:
        return Mismatch("sha256 differs", expected=want[:12], actual=got[:12])
    return True


def hangs(item):
    threading.Event().wait()


def odd(item):
    return "fine"
"""


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A run r1 that copied 600 files into a target folder: (fns, store, target)."""
    source, target = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    target.mkdir()
    for i in range(600):
        (source / f"f{i:03d}.txt").write_text(f"content {i}\n", encoding="utf-8")
    fns = tmp_path / "fns.py"
    fns.write_text(FUNCTIONS, encoding="utf-8")
    monkeypatch.setenv("TARGET", str(target))
    store = tmp_path / "s.db"
    result = invoke("migrate", str(source), "--function", f"{fns}:copy", "--store", str(store),
                    "--run-id", "r1", "--pattern", "*.txt")  # fmt: skip
    assert result.exit_code == 0, result.output
    return fns, store, target


def validate(fns: Path, store: Path, function: str = "same_sha256", *extra: str) -> Result:
    """Run ``validate r1`` with a function of the test's file."""
    return invoke("validate", "r1", "--function", f"{fns}:{function}", "--store", str(store), *extra)


def verdicts(store: Path) -> Counter[str]:
    """Count the validation verdicts journaled per item."""
    with open_store(store, read_only=True) as opened:
        kinds = {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}
        return Counter(str(e.path) for e in opened.read_events("r1") if e.kind in kinds)


class TestMismatches:
    def test_found_fixed_and_revalidated(self, copied: tuple[Path, Path, Path]) -> None:
        """Corrupted copies are mismatched; once fixed, revalidating the mismatched ones validates them."""
        fns, store, target = copied
        for name in ("f007.txt", "f100.txt", "f250.txt"):
            (target / name).write_text("corrupted\n", encoding="utf-8")
        first = validate(fns, store, "same_sha256", "--json")
        assert first.exit_code == 1
        data = json.loads(first.output)
        assert data["status"] == "completed, 3 mismatched"
        assert (data["validated"], data["mismatched"], data["pending"]) == (597, 3, 0)
        assert sorted(row["key"] for row in data["mismatches"]) == ["f007.txt", "f100.txt", "f250.txt"]
        assert data["mismatches"][0]["detail"] == "sha256 differs"
        for i in (7, 100, 250):
            (target / f"f{i:03d}.txt").write_text(f"content {i}\n", encoding="utf-8")
        again = validate(fns, store, "same_sha256", "--only", "mismatched")
        assert again.exit_code == 0
        assert "validation completed, all validated" in again.output
        assert "(3 checked now)" in again.output

    def test_one_key_is_revalidated_alone(self, copied: tuple[Path, Path, Path]) -> None:
        """--key checks that one item again and no other."""
        fns, store, _ = copied
        assert validate(fns, store).exit_code == 0
        result = validate(fns, store, "same_sha256", "--key", "f042.txt")
        assert "(1 checked now)" in result.output
        assert verdicts(store)["f042.txt"] == 2
        assert verdicts(store)["f041.txt"] == 1


class TestCrashSafety:
    def test_sigkill_mid_pass_then_resume_validates_each_item_once(
        self, copied: tuple[Path, Path, Path]
    ) -> None:
        """A pass killed by SIGKILL keeps the verdicts it appended; the next pass checks only the rest."""
        fns, store, _ = copied
        command = [sys.executable, "-m", "omnimemory_kit", "validate", "r1", "--function",
                   f"{fns}:same_sha256", "--store", str(store), "--concurrency", "4"]  # fmt: skip
        env = {**os.environ, "KILL_AT": "f560.txt", "PYTHONPATH": str(ROOT)}
        killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert killed.returncode == -9
        after_crash = verdicts(store)
        # killed in the third chunk: the first was durable before the second was written
        assert 256 <= len(after_crash) < 600
        resumed = subprocess.run(
            command, env={**env, "KILL_AT": ""}, capture_output=True, text=True, timeout=60
        )
        assert resumed.returncode == 0, resumed.stderr
        assert f"({600 - len(after_crash)} checked now)" in resumed.stdout
        final = verdicts(store)
        assert len(final) == 600
        assert set(final.values()) == {1}


class TestBadFunctions:
    def test_a_hanging_check_is_an_error_and_the_process_ends(self, copied: tuple[Path, Path, Path]) -> None:
        """A check that never returns is recorded as an error at its timeout; the command still exits."""
        fns, store, _ = copied
        result = validate(fns, store, "hangs", "--key", "f001.txt", "--timeout", "0.05", "--json")
        assert result.exit_code == 1
        data = json.loads(result.output)
        assert data["error"] == 1
        assert "longer than 0.05 s" in data["errors"][0]["detail"]

    def test_an_unknown_return_value_is_an_error_naming_it(self, copied: tuple[Path, Path, Path]) -> None:
        """A check returning something else than True, None or a Mismatch is an error saying so."""
        fns, store, _ = copied
        data = json.loads(validate(fns, store, "odd", "--key", "f001.txt", "--json").output)
        assert (data["error"], data["pending"]) == (1, 599)
        assert data["status"] == "599 item(s) not validated yet"
        assert "returned str" in data["errors"][0]["detail"]


class TestBadInput:
    def test_unknown_run_exits_2(self, copied: tuple[Path, Path, Path]) -> None:
        """Validating a run the store lacks exits 2 with one line."""
        fns, store, _ = copied
        result = invoke("validate", "nope", "--function", f"{fns}:same_sha256", "--store", str(store))
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1

    def test_no_validate_function_exits_2(self, copied: tuple[Path, Path, Path]) -> None:
        """A run without a recorded validate function needs --function: exit 2 saying so."""
        _, store, _ = copied
        result = invoke("validate", "r1", "--store", str(store))
        assert result.exit_code == 2
        assert "has no validate function" in result.stderr

    def test_a_key_that_did_not_succeed_exits_2_nothing_written(
        self, copied: tuple[Path, Path, Path]
    ) -> None:
        """--key naming no succeeded item exits 2 and journals nothing."""
        fns, store, _ = copied
        result = validate(fns, store, "same_sha256", "--key", "ghost.txt")
        assert result.exit_code == 2
        assert "has no succeeded item 'ghost.txt'" in result.stderr
        assert verdicts(store) == Counter()


class TestMigrateValidates:
    def test_migrate_checks_after_the_copy_and_records_the_function(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """migrate --validate checks every copy and records the check, which validate then reuses."""
        source, target = tmp_path / "src", tmp_path / "dst"
        source.mkdir()
        target.mkdir()
        for i in range(5):
            (source / f"f{i}.txt").write_text(f"content {i}\n", encoding="utf-8")
        fns = tmp_path / "fns.py"
        fns.write_text(FUNCTIONS, encoding="utf-8")
        monkeypatch.setenv("TARGET", str(target))
        store = tmp_path / "s.db"
        result = invoke("migrate", str(source), "--function", f"{fns}:copy", "--store", str(store),
                        "--run-id", "r1", "--pattern", "*.txt", "--validate", f"{fns}:same_sha256",
                        "--json")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["validation"]["validated"] == 5
        (target / "f3.txt").write_text("corrupted\n", encoding="utf-8")
        again = invoke("validate", "r1", "--store", str(store), "--key", "f3.txt")
        assert again.exit_code == 1
        assert "validation completed, 1 mismatched" in again.output
        assert "f3.txt: sha256 differs" in again.output
