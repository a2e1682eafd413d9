"""Odd values at every entry point: one line on stderr, the documented exit code, nothing created or lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import Result

from omnimemory_kit.events import FileStatus
from omnimemory_kit.store import RunRecord, WorkItem, open_store
from tests.cli.cli_helpers import error_line, invoke

NOT_UTF8 = os.fsdecode(b"run-\xff")  # what sys.argv holds for a Latin-1 byte typed in a shell


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    path = tmp_path / "fns.py"
    path.write_text("def ok(item):\n    return None\n", encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    for name in ("a.py", "b.py"):
        (root / name).write_text("x = 1\n", encoding="utf-8")
    return root


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A store holding run 'r' with two pending items."""
    path = tmp_path / "j.db"
    with open_store(path) as store:
        store.create_run(RunRecord(run_id="r", name="r", source="s", function="m:f"))
        store.add_items("r", [WorkItem("a.py"), WorkItem("b.py")], at=1.0)
    return path


class TestReportTargets:
    """``report migration_report`` on something that does not exist is bad input, before any kernel."""

    def test_missing_run_exits_2(self, store_path: Path, tmp_path: Path) -> None:
        """A run id the store does not have exits 2 naming it; no report is written."""
        result = invoke("report", "migration_report", "-p", "run_id", "nope", "-p", "store_url",
                        str(store_path), "--out", str(tmp_path / "reports"))  # fmt: skip
        assert result.exit_code == 2
        assert "no run 'nope'" in error_line(result)
        assert not (tmp_path / "reports").exists()

    @pytest.mark.parametrize(
        ("run_id", "source", "refused"),
        [
            ("r~validation", "validation", "the validation queue of run 'r'"),
            ("r~control", "control", "the control stream of run 'r'"),
            ("r~validation-pass", "validation-pass", "the validation pass lease of run 'r'"),
            ("mine~control", "a user's source", None),  # a run that merely ends in ~control is a run
        ],
    )
    def test_a_companion_run_is_refused_by_status_and_report(
        self, store_path: Path, tmp_path: Path, run_id: str, source: str, refused: str | None
    ) -> None:
        """A run's hidden part (its validation queue, control stream, pass lease) asked for as a run exits
        2 naming the run it belongs to, from ``status`` and from ``report``; a user's run whose id only
        ends the same way is shown."""
        with open_store(store_path) as store:
            store.create_run(RunRecord(run_id=run_id, name="part", source=source))
        status = invoke("status", run_id, "--store", str(store_path))
        if refused is None:
            assert status.exit_code == 0, status.output
            return
        report = invoke("report", "migration_report", "-p", "run_id", run_id, "-p", "store_url",
                        str(store_path), "--out", str(tmp_path / "reports"))  # fmt: skip
        for result in (status, report):
            assert result.exit_code == 2
            assert refused in error_line(result)
            assert "ask for 'r'" in error_line(result)
        assert not (tmp_path / "reports").exists()

    def test_missing_store_exits_2_and_is_not_created(self, tmp_path: Path) -> None:
        """A store file that does not exist exits 2 as well, and is not created."""
        missing = tmp_path / "none.db"
        result = invoke("report", "migration_report", "-p", "store_url", str(missing), "--out",
                        str(tmp_path / "reports"))  # fmt: skip
        assert result.exit_code == 2
        assert "no store at" in error_line(result)
        assert not missing.exists()

    def test_store_path_that_is_not_utf8_exits_2(self, store_path: Path, tmp_path: Path) -> None:
        """A store in a Latin-1 folder cannot be a notebook parameter: exit 2 naming it, nothing executed."""
        folder = os.path.join(os.fsencode(tmp_path), b"d\xe9p\xf4t")
        os.mkdir(folder)
        moved = os.fsdecode(os.path.join(folder, b"j.db"))
        os.rename(store_path, moved)
        result = invoke("report", "migration_report", "-p", "run_id", "r", "-p", "store_url", moved,
                        "--out", str(tmp_path / "reports"))  # fmt: skip
        assert result.exit_code == 2
        assert "d\\xe9p\\xf4t/j.db' is not valid UTF-8 text" in error_line(result)
        assert not (tmp_path / "reports").exists()

    def test_out_that_is_a_file_exits_2(self, tmp_path: Path) -> None:
        """--out naming a file (here /dev/null) exits 2, for a report and for --collect."""
        for args in (("migration_report",), ("--collect",)):
            result = invoke("report", *args, "--out", os.devnull)
            assert result.exit_code == 2
            assert "is not a folder" in error_line(result)


class TestDryRun:
    """``migrate --dry-run`` writes nothing at all."""

    def test_creates_no_store_file(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """Against a store file that does not exist, the dry run reports the items and creates no file."""
        store = tmp_path / "new.db"
        result = invoke("migrate", str(tree), "--function", f"{fns}:ok", "--store", str(store), "--dry-run")
        assert result.exit_code == 0, result.output
        assert "2 item(s) would run; nothing was written" in result.stdout
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fns.py", "tree"]

    def test_leaves_an_existing_store_unchanged(self, tree: Path, fns: Path, store_path: Path) -> None:
        """Against an existing store the dry run reads it and appends nothing."""
        with open_store(store_path) as store:
            before = store.last_seq("r")
        result = invoke("migrate", str(tree), "--function", f"{fns}:ok", "--store", str(store_path),
                        "--run-id", "dry", "--dry-run")  # fmt: skip
        assert result.exit_code == 0, result.output
        with open_store(store_path) as store:
            assert store.last_seq("r") == before
            assert [run.run_id for run in store.list_runs()] == ["r"]


class TestOddArguments:
    """Values a shell can pass that once ended in a traceback or were silently accepted."""

    @pytest.mark.parametrize(
        "args",
        [
            ("migrate", "TREE", "--function", "FNS", "--run-id", NOT_UTF8),
            ("status", NOT_UTF8),
            ("worker", "--run-id", NOT_UTF8),
        ],
    )
    def test_run_id_that_is_not_utf8(
        self, args: tuple[str, ...], tree: Path, fns: Path, store_path: Path
    ) -> None:
        """A run id with an undecodable byte exits 2, shown escaped, and the store is left as it was."""
        argv = [str(tree) if a == "TREE" else f"{fns}:ok" if a == "FNS" else a for a in args]
        result = invoke(*argv, "--store", str(store_path))
        assert result.exit_code == 2
        assert (
            error_line(result)
            == "error: run id 'run-\\xff' is not valid UTF-8 text (or holds NUL); choose another"
        )
        with open_store(store_path) as store:
            assert [run.run_id for run in store.list_runs()] == ["r"]

    def test_empty_source_and_run_id(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """An empty SOURCE (which would mean the current folder) and an empty --run-id exit 2."""
        store = str(tmp_path / "x.db")
        empty_source = invoke("migrate", "", "--function", f"{fns}:ok", "--store", store)
        assert empty_source.exit_code == 2
        assert "SOURCE must not be empty" in error_line(empty_source)
        empty_run = invoke("migrate", str(tree), "--function", f"{fns}:ok", "--store", store, "--run-id", "")
        assert empty_run.exit_code == 2
        assert "run id must not be empty" in error_line(empty_run)
        assert not (tmp_path / "x.db").exists()

    @pytest.mark.parametrize("value", ["inf", "1e400", "nan"])
    def test_lease_seconds_not_finite(self, value: str, store_path: Path) -> None:
        """--lease-seconds inf or nan exits 2 (an infinite lease would never come back)."""
        result = invoke("worker", "--store", str(store_path), "--run-id", "r", "--lease-seconds", value)
        assert result.exit_code == 2
        assert "--lease-seconds must be a positive number" in error_line(result)

    @pytest.mark.parametrize("value", ["inf", "nan"])
    def test_health_interval_not_finite(self, value: str, tmp_path: Path) -> None:
        """health --watch --interval inf or nan exits 2 at once instead of hanging or a traceback."""
        config = tmp_path / "health.toml"
        config.write_text(f'store = "sqlite:///{tmp_path / "h.db"}"\n', encoding="utf-8")
        result = invoke("health", "--config", str(config), "--watch", "--interval", value)
        assert result.exit_code == 2
        assert "--interval must be a finite number" in error_line(result)

    def test_demo_out_that_is_a_file(self) -> None:
        """demo --out naming a file exits 2 with one line."""
        result = invoke("demo", "--out", os.devnull)
        assert result.exit_code == 2
        assert "is not a folder" in error_line(result)


class TestManifestSizes:
    """Sizes no store column holds are refused with the manifest line, before anything is written."""

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            (
                "huge.csv",
                "key,size\na,99999999999999999999999999\n",
                "line 2: size 99999999999999999999999999 is larger",
            ),
            ("inf.jsonl", '{"key": "a", "size": 1e400}\n', "line 1: size inf is not a whole number"),
        ],
    )
    def test_size_out_of_range(self, name: str, text: str, message: str, fns: Path, tmp_path: Path) -> None:
        """A size past 64 bits, or a JSON number that overflows to infinity, exits 2 naming the line."""
        manifest = tmp_path / name
        manifest.write_text(text, encoding="utf-8")
        result = invoke(
            "migrate", str(manifest), "--function", f"{fns}:ok", "--store", str(tmp_path / "m.db")
        )
        assert result.exit_code == 2
        assert message in error_line(result)
        assert not (tmp_path / "m.db").exists()


class TestHealthConfig:
    """A wrong --health-config is refused with exit 2 before anything runs; a good one gates the run."""

    @pytest.mark.parametrize(
        ("throttle", "named"),
        [
            (
                '[[throttle.rule]]\nname = "r"\ncheck = "nope"\nstatus = "degraded"\n',
                "rule 'r': unknown check 'nope'",
            ),
            (
                '[[throttle.rule]]\nname = "m"\nmetric = "temperature"\nabove = 1\n',
                "rule 'm': metric: unknown metric",
            ),
            ("check_interval = 0\n", "check_interval"),
        ],
    )
    def test_bad_throttle_exits_2_and_writes_nothing(
        self, throttle: str, named: str, tree: Path, fns: Path, tmp_path: Path
    ) -> None:
        """The error names the rule, the exit code is 2, and no store is created."""
        config = tmp_path / "health.toml"
        config.write_text(
            '[[check]]\nname = "disk"\ntype = "disk"\npath = "."\n\n[throttle]\n' + throttle, encoding="utf-8"
        )
        store = tmp_path / "run.db"
        result = invoke(
            "migrate",
            str(tree),
            "--function",
            f"{fns}:ok",
            "--store",
            str(store),
            "--health-config",
            str(config),
        )
        assert result.exit_code == 2
        assert named in error_line(result)
        assert not store.exists()

    def test_gated_run_completes(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """With healthy checks the gated run does every item and exits 0."""
        config = tmp_path / "health.toml"
        config.write_text(
            '[[check]]\nname = "disk"\ntype = "disk"\npath = "."\nwarn_free_pct = 0\nfail_free_pct = 0\n\n'
            '[throttle]\ncheck_interval = 0.5\n\n[[throttle.rule]]\nname = "disk"\ncheck = "disk"\n'
            'status = "unhealthy"\naction = "throttle"\n',
            encoding="utf-8",
        )
        store = tmp_path / "run.db"
        result = invoke(
            "migrate",
            str(tree),
            "--function",
            f"{fns}:ok",
            "--store",
            str(store),
            "--health-config",
            str(config),
        )
        assert result.exit_code == 0, result.output


class TestStoreURLs:
    """A store URL that cannot be right exits 2 with one line, shows no piece of a password, makes nothing."""

    COMMANDS = (
        ("status", "r"),
        ("worker", "--run-id", "r"),
        ("migrate", "TREE", "--function", "FNS", "--run-id", "r"),
        ("migrate", "TREE", "--function", "FNS", "--run-id", "r", "--create-only"),
        ("runs",),
    )

    def _invoke(self, args: tuple[str, ...], store: str, tree: Path, fns: Path) -> Result:
        argv = [str(tree) if a == "TREE" else f"{fns}:ok" if a == "FNS" else a for a in args]
        return invoke(*argv, "--store", store)

    @pytest.mark.parametrize(
        "password", ["Wr0ng@PW99", "Wr0ng@@PW99", "Wr0ng/PW99", "Wr0ng#PW99", "Wr0ng?PW99", "Wr0ng PW99"]
    )
    @pytest.mark.parametrize("args", COMMANDS)
    def test_unencoded_password_never_shown(
        self, args: tuple[str, ...], password: str, tree: Path, fns: Path
    ) -> None:
        """'postgresql://alice:Wr0ng@PW99@127.0.0.1/db' exits 2 asking to percent-encode; none of it shows."""
        result = self._invoke(args, f"postgresql://alice:{password}@127.0.0.1/db", tree, fns)
        assert result.exit_code == 2
        assert "the password must be percent-encoded" in error_line(result)
        for piece in ("Wr0ng", "PW99"):
            assert piece not in result.stdout + result.stderr

    @pytest.mark.parametrize(
        ("store", "complaint"),
        [
            ("host=127.0.0.1 dbname=test password=Wr0ngPW99", "use a postgresql:// URL"),
            ("dbname=test user=alice", "use a postgresql:// URL"),
            ("mysql://alice:Wr0ngPW99@127.0.0.1/db", "unknown scheme 'mysql'"),
            ("http://127.0.0.1:8080/store", "unknown scheme 'http'"),
        ],
    )
    @pytest.mark.parametrize("args", COMMANDS)
    def test_not_a_store_url_creates_nothing(
        self,
        args: tuple[str, ...],
        store: str,
        complaint: str,
        tree: Path,
        fns: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A libpq keyword string or an unknown scheme exits 2; no file (named after it or not) appears."""
        work = tmp_path / "cwd"
        work.mkdir()
        monkeypatch.chdir(work)
        result = self._invoke(args, store, tree, fns)
        assert result.exit_code == 2
        assert complaint in error_line(result)
        assert "Wr0ngPW99" not in result.stdout + result.stderr
        assert os.listdir(work) == []

    @pytest.mark.parametrize("port", ["99999", "abc", "0"])
    @pytest.mark.parametrize("args", COMMANDS)
    def test_bad_port_is_bad_input(self, args: tuple[str, ...], port: str, tree: Path, fns: Path) -> None:
        """An impossible port exits 2 naming it, not 3 as an unreachable server would."""
        result = self._invoke(args, f"postgresql://127.0.0.1:{port}/db", tree, fns)
        assert result.exit_code == 2
        assert "the port of host '127.0.0.1' is not a port number from 1 to 65535" in error_line(result)

    @pytest.mark.parametrize("args", COMMANDS)
    def test_directory_as_store_is_bad_input(
        self, args: tuple[str, ...], tree: Path, fns: Path, tmp_path: Path
    ) -> None:
        """A folder given as the SQLite store exits 2 saying it is a directory, and stays empty."""
        folder = tmp_path / "stores"
        folder.mkdir()
        result = self._invoke(args, str(folder), tree, fns)
        assert result.exit_code == 2
        assert "is a directory" in error_line(result)
        assert os.listdir(folder) == []


class TestNumericOptions:
    """Every numeric option of migrate and worker is checked before anything opens, naming the option."""

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [
            ("--timeout", "inf", "--timeout must be a positive number of seconds, not inf"),
            ("--timeout", "nan", "--timeout must be a positive number of seconds, not nan"),
            ("--timeout", "-1", "--timeout must be a positive number of seconds, not -1.0"),
            ("--timeout", "0", "--timeout must be a positive number of seconds, not 0.0"),
            ("--concurrency", "0", "--concurrency must be at least 1, not 0"),
            ("--concurrency", "-3", "--concurrency must be at least 1, not -3"),
            ("--concurrency", "10001", "--concurrency must be at most 10,000, not 10,001"),
            ("--batch-size", "0", "--batch-size must be at least 1, not 0"),
            ("--batch-size", "1000001", "--batch-size must be at most 1,000,000, not 1,000,001"),
            ("--retries", "-1", "--retries must be at least 0, not -1"),
            ("--retries", "1001", "--retries must be at most 1,000, not 1,001"),
            ("--status-interval", "inf", "--status-interval must be a positive number of seconds, not inf"),
            ("--status-interval", "0", "--status-interval must be a positive number of seconds, not 0.0"),
            ("--hook-timeout", "nan", "--hook-timeout must be a positive number of seconds, not nan"),
            ("--hook-timeout", "-1", "--hook-timeout must be a positive number of seconds, not -1.0"),
        ],
    )
    def test_migrate(
        self, option: str, value: str, message: str, tree: Path, fns: Path, tmp_path: Path
    ) -> None:
        """migrate exits 2 with the option's own name (not the runner's 'item_timeout'), creating no store."""
        store = str(tmp_path / "new.db")
        result = invoke("migrate", str(tree), "--function", f"{fns}:ok", "--store", store, option, value)
        assert result.exit_code == 2
        assert error_line(result) == f"error: {message}"
        assert not (tmp_path / "new.db").exists()

    def test_migrate_accepts_the_bounds(self, tree: Path, fns: Path, tmp_path: Path) -> None:
        """The largest allowed values run (a dry run: nothing is written)."""
        result = invoke(
            "migrate", str(tree), "--function", f"{fns}:ok", "--store", str(tmp_path / "new.db"), "--dry-run",
            "--concurrency", "10000", "--batch-size", "1000000", "--retries", "1000", "--timeout", "1e9",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [
            ("--concurrency", "0", "--concurrency must be at least 1, not 0"),
            ("--concurrency", "10001", "--concurrency must be at most 10,000, not 10,001"),
            ("--batch-size", "0", "--batch-size must be at least 1, not 0"),
            ("--batch-size", "1000001", "--batch-size must be at most 1,000,000, not 1,000,001"),
            ("--lease-seconds", "-5", "--lease-seconds must be a positive number of seconds, not -5.0"),
            ("--status-interval", "nan", "--status-interval must be a positive number of seconds, not nan"),
            ("--hook-timeout", "inf", "--hook-timeout must be a positive number of seconds, not inf"),
        ],
    )
    def test_worker(self, option: str, value: str, message: str, store_path: Path) -> None:
        """worker exits 2 naming the option; the run is left as it was."""
        result = invoke("worker", "--store", str(store_path), "--run-id", "r", option, value)
        assert result.exit_code == 2
        assert error_line(result) == f"error: {message}"
        with open_store(store_path) as store:
            assert sum(store.item_counts("r").values()) == 2
            assert store.item_counts("r")[FileStatus.PENDING] == 2
