"""``omnimemory-kit runs``: the ledger of real migrations, listed and searched, on every backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from tests.cli.test_status_cli import closed_pipe_run
from tests.store.conftest import BACKEND_MARKS, BACKENDS

FUNCTIONS = "def ok(item):\n    return item.key\n\ndef other(item):\n    return None\n"


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder of three files and the functions that migrate them."""
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(3):
        (root / f"t{i}.py").write_text(f"# {i}\n", encoding="utf-8")
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    return root


def invoke(*args: str) -> Result:
    """Run the CLI in-process, with the command line a terminal would give it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.argv", ["/venv/bin/omnimemory-kit", *args])
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def migrate(source: Path, store_url: str, run_id: str, function: str = "ok", *extra: str) -> None:
    """Run a real migration of ``source`` to the end."""
    fns = source.parent / "fns.py"
    result = invoke(
        "migrate",
        str(source),
        "--function",
        f"{fns}:{function}",
        "--store",
        store_url,
        "--run-id",
        run_id,
        *extra,
    )
    assert result.exit_code == 0, result.output


class TestRuns:
    def test_search_by_parameter_finds_the_run_and_its_neighbours(self, source: Path, store_url: str) -> None:
        """--where batch_size=2 finds the one run made with it, chained to the runs of the same migration."""
        migrate(source, store_url, "mon", "ok", "--batch-size", "2")
        migrate(source, store_url, "tue")
        migrate(source, store_url, "apart", "other", "--batch-size", "2")
        result = invoke(
            "runs", "--store", store_url, "--where", "batch_size=2", "--where", "next_run=tue", "--json"
        )
        assert result.exit_code == 0, result.output
        [entry] = json.loads(result.output)
        assert entry["run_id"] == "mon"
        assert entry["params"]["batch_size"] == 2
        assert (entry["previous_run"], entry["next_run"]) == (None, "tue")
        assert entry["origin"].startswith("omnimemory-kit migrate ")
        assert "--batch-size 2" in entry["origin"]
        assert "@" in entry["operator"]
        assert entry["correlation_id"]
        assert len(entry["params_hash"]) == 64

    def test_text_lists_every_run_with_its_facts(self, source: Path, store_url: str) -> None:
        """Without conditions every run is listed with its function, origin and neighbours."""
        migrate(source, store_url, "mon")
        migrate(source, store_url, "tue")
        result = invoke("runs", "--store", store_url)
        assert result.exit_code == 0, result.output
        assert result.output.index("mon ") < result.output.index("tue ")
        assert "previous     mon" in result.output
        assert "fns.py:ok" in result.output

    def test_no_match_says_so(self, source: Path, store_url: str) -> None:
        """Conditions that match nothing print one line and exit 0."""
        migrate(source, store_url, "mon")
        result = invoke("runs", "--store", store_url, "--where", "batch_size=7")
        assert (result.exit_code, result.output.strip()) == (0, "no runs match")


class TestHashPrefixAndNull:
    """``--where params_hash=PREFIX`` takes a prefix of 8 or more digits; ``KEY=`` and ``KEY=null`` match a
    key missing or null."""

    def test_a_hash_prefix_finds_the_runs_of_those_settings(self, source: Path, store_url: str) -> None:
        """The 16 digits the listing shows, 8 digits, or the digits in upper case find the run; the full
        hash still does."""
        migrate(source, store_url, "mon", "ok", "--batch-size", "2")
        migrate(source, store_url, "tue", "ok", "--batch-size", "3")
        entries = json.loads(invoke("runs", "--store", store_url, "--json").output)
        full = {entry["run_id"]: entry["params_hash"] for entry in entries}
        assert full["mon"] != full["tue"]
        shown = invoke("runs", "--store", store_url).output
        assert f"params hash  {full['mon'][:16]}" in shown
        for prefix in (full["mon"][:16], full["mon"][:8], full["mon"][:8].upper(), full["mon"]):
            result = invoke("runs", "--store", store_url, "--where", f"params_hash={prefix}", "--json")
            assert result.exit_code == 0, result.output
            assert [entry["run_id"] for entry in json.loads(result.output)] == ["mon"]

    @pytest.mark.parametrize("prefix", ["1234567", "zzzzzzzz"])
    def test_a_short_or_non_hex_prefix_exits_2(self, source: Path, store_url: str, prefix: str) -> None:
        """Fewer than 8 digits (or not hex digits) exits 2 with one line saying what a prefix needs."""
        migrate(source, store_url, "mon")
        result = invoke("runs", "--store", store_url, "--where", f"params_hash={prefix}")
        assert result.exit_code == 2
        assert result.stdout == ""
        [line] = result.stderr.strip().splitlines()
        assert f"params_hash={prefix}" in line
        assert "at least 8 hex digits" in line

    @pytest.mark.parametrize("value", ["", "null"])
    def test_empty_or_null_matches_a_missing_or_null_key(
        self, source: Path, store_url: str, value: str
    ) -> None:
        """A parameter only one run has, and the first run's empty ``previous_run``, match as missing."""
        fns = source.parent / "fns.py"
        migrate(source, store_url, "mon", "ok", "--validate", f"{fns}:other")
        migrate(source, store_url, "tue")
        found = invoke("runs", "--store", store_url, "--where", f"validate={value}", "--json")
        assert found.exit_code == 0, found.output
        assert [entry["run_id"] for entry in json.loads(found.output)] == ["tue"]
        first = invoke("runs", "--store", store_url, "--where", f"previous_run={value}", "--json")
        assert [entry["run_id"] for entry in json.loads(first.output)] == ["mon"]
        both = invoke("runs", "--store", store_url, "--where", f"validate={value}", "--where", "run_id=mon")
        assert (both.exit_code, both.output.strip()) == (0, "no runs match")


class TestBadInput:
    @pytest.mark.parametrize(
        ("condition", "message"),
        [("batch_size", "is not KEY=VALUE"), ("batchsize=5", "is not a ledger field or a run parameter")],
    )
    def test_bad_condition_exits_2_with_one_line(
        self, source: Path, store_url: str, condition: str, message: str
    ) -> None:
        """A malformed or misspelt --where exits 2 naming it, on one line."""
        migrate(source, store_url, "mon")
        result = invoke("runs", "--store", store_url, "--where", condition)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert message in result.stderr

    def test_missing_store_exits_3_and_creates_nothing(self, tmp_path: Path) -> None:
        """Listing the runs of a store that does not exist fails without creating it."""
        result = invoke("runs", "--store", str(tmp_path / "none.db"))
        assert result.exit_code == 3
        assert not (tmp_path / "none.db").exists()


class TestReaderLeaves:
    """``runs | head -1``: a reader that leaves early ends the listing quietly, with status 0."""

    @pytest.mark.parametrize("extra", [(), ("--json",)])
    def test_a_closed_pipe_exits_0_quietly(
        self, source: Path, store_url: str, extra: tuple[str, ...]
    ) -> None:
        """Text or JSON to a pipe nobody reads: exit 0, nothing on stderr."""
        migrate(source, store_url, "mon")
        done = closed_pipe_run("runs", "--store", store_url, *extra)
        assert (done.returncode, done.stderr) == (0, "")
