"""Real files whose names are not valid UTF-8 (or hold a newline or a tab), through the real CLI.

Each test runs ``omnimemory-kit`` in a subprocess on SQLite and on PostgreSQL: the run finishes, the
migration function opens the real file behind every key, one odd name never blocks the others, a rerun
resumes, and ``status`` prints what it has (keys escaped).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from tests.store.conftest import BACKEND_MARKS, BACKENDS

NAMES = [b"caf\xe9.py", b"new\nline.py", b"tab\tname.py", b"plain.py"]
FUNCTIONS = """
import os

def copy(item):
    data = item.path.read_bytes()  # the real file, found through the key
    out = os.fsencode(os.environ["ODD_OUT"])
    with open(os.path.join(out, os.fsencode(item.key)), "wb") as handle:
        handle.write(data)

def refuse_tabs(item):
    if "\\t" in item.key:
        raise ValueError(f"refusing {item.key}")
    copy(item)
"""


def kit(*args: str | bytes, out: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the command line in its own process (argv as bytes, as a shell passes them)."""
    env = {**os.environ, "ODD_OUT": str(out), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "omnimemory_kit", *args], capture_output=True, env=env, timeout=90, check=False
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder whose files have a Latin-1 name, a name with a newline, one with a tab, and a plain one."""
    root = tmp_path / "src"
    root.mkdir()
    for name in NAMES:
        with open(os.path.join(os.fsencode(root), name), "wb") as handle:
            handle.write(b"content of " + name)
    return root


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend; a PostgreSQL schema is dropped after)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


def _copied(out: Path) -> dict[bytes, bytes]:
    base = os.fsencode(out)
    return {name: Path(os.fsdecode(os.path.join(base, name))).read_bytes() for name in os.listdir(base)}


class TestUndecodableNames:
    """A run over files whose names are not valid UTF-8 completes, on both backends."""

    def test_every_file_migrated_with_its_real_path(
        self, source: Path, fns: Path, store_url: str, tmp_path: Path
    ) -> None:
        """Each function call opens the real file; the copies carry the exact original byte names."""
        out = tmp_path / "out"
        out.mkdir()
        result = kit("migrate", str(source), "--function", f"{fns}:copy", "--store", store_url,
                     "--run-id", "odd", "--pattern", "*", out=out)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert _copied(out) == {name: b"content of " + name for name in NAMES}
        again = kit("migrate", str(source), "--function", f"{fns}:copy", "--store", store_url,
                    "--run-id", "odd", "--pattern", "*", out=out)  # fmt: skip
        assert again.returncode == 0, again.stderr.decode(errors="replace")
        assert b"4 succeeded" in again.stdout

    def test_one_failing_odd_name_blocks_nothing_and_status_shows_it(
        self, source: Path, fns: Path, store_url: str, tmp_path: Path
    ) -> None:
        """The tab-named item fails alone (exit 1); status prints text and JSON without a traceback."""
        out = tmp_path / "out"
        out.mkdir()
        result = kit("migrate", str(source), "--function", f"{fns}:refuse_tabs", "--store", store_url,
                     "--run-id", "odd", "--pattern", "*", "--retries", "0", out=out)  # fmt: skip
        assert result.returncode == 1, result.stderr.decode(errors="replace")
        assert set(_copied(out)) == set(NAMES) - {b"tab\tname.py"}
        status = kit("status", "odd", "--store", store_url, out=out)
        assert status.returncode == 0, status.stderr.decode(errors="replace")
        assert b"3 succeeded, 1 failed" in status.stdout
        as_json = kit("status", "odd", "--store", store_url, "--json", out=out)
        assert as_json.returncode == 0, as_json.stderr.decode(errors="replace")
        assert json.loads(as_json.stdout)["failed_files"] == 1

    def test_worker_in_another_process_resolves_the_paths(
        self, source: Path, fns: Path, store_url: str, tmp_path: Path
    ) -> None:
        """A run created with --create-only is worked by a separate worker process that opens every file."""
        out = tmp_path / "out"
        out.mkdir()
        created = kit("migrate", str(source), "--function", f"{fns}:copy", "--store", store_url,
                      "--run-id", "odd", "--pattern", "*", "--create-only", out=out)  # fmt: skip
        assert created.returncode == 0, created.stderr.decode(errors="replace")
        worker = kit("worker", "--store", store_url, "--run-id", "odd", out=out)
        assert worker.returncode == 0, worker.stderr.decode(errors="replace")
        assert _copied(out) == {name: b"content of " + name for name in NAMES}

    def test_source_folder_with_an_undecodable_name(self, fns: Path, tmp_path: Path) -> None:
        """SOURCE itself named in Latin-1 gets a run id and a recorded source; every file is migrated."""
        folder = os.path.join(os.fsencode(tmp_path), b"d\xe9p\xf4t")
        os.mkdir(folder)
        with open(os.path.join(folder, b"a.py"), "wb") as handle:
            handle.write(b"a")
        out = tmp_path / "out"
        out.mkdir()
        store = f"sqlite:///{tmp_path / 'j.db'}"
        result = kit("migrate", folder, "--function", f"{fns}:copy", "--store", store, out=out)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert _copied(out) == {b"a.py": b"a"}
