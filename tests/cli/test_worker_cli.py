"""The worker command, migrate --create-only and the workers view of status, on both backends."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import Result

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import EventKind, FileStatus
from omnimemory_kit.store import WorkItem, open_store
from tests.cli.cli_helpers import error_line, invoke
from tests.conftest import PG_DSN
from tests.store.conftest import BACKEND_MARKS, BACKENDS

FUNCTIONS = """
def ok(item):
    return item.key

def other(item):
    return None

def needs_file(item):
    if item.path is None or not item.path.read_text().startswith("# tool"):
        raise ValueError("no file behind " + item.key)
"""

PASSWORD = "s3cret-pw"


def _with_query(dsn: str, **params: str) -> str:
    return dsn + ("&" if "?" in dsn else "?") + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.fixture
def fns(tmp_path: Path) -> Path:
    """A file of migration functions the commands load by path."""
    path = tmp_path / "fns.py"
    path.write_text(FUNCTIONS, encoding="utf-8")
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A JSONL manifest of 30 items."""
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps({"key": f"item-{i:03d}", "size": i}) + "\n" for i in range(30)))
    return path


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema name on the real PostgreSQL server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL of one backend (the test runs once per backend; a PostgreSQL schema is dropped after)."""
    with BACKENDS[request.param](tmp_path, FakeClock()) as factory:
        yield factory.url


def create(manifest: Path, function: str, store_url: str, *extra: str) -> Result:
    """Create run ``r1`` without working it."""
    return invoke(
        "migrate", str(manifest), "--function", function, "--store", store_url, "--run-id", "r1",
        "--create-only", *extra,
    )  # fmt: skip


class TestCreateThenWork:
    """A coordinator creates the run; workers join it and work it to the end."""

    def test_create_only_adds_items_and_works_none(self, manifest: Path, fns: Path, store_url: str) -> None:
        """--create-only records the run and its 30 items, all pending, and exits 0."""
        result = create(manifest, f"{fns}:ok", store_url)
        assert result.exit_code == 0, result.stderr
        assert "30 item(s)" in result.stdout
        assert "omnimemory-kit worker" in result.stdout
        with open_store(store_url, create=False) as store:
            assert store.item_counts("r1")[FileStatus.PENDING] == 30
            # no --batch-size: none recorded, each worker sizes its batches for its own concurrency
            assert "batch_size" not in store.get_run("r1").params

    def test_worker_completes_the_run_with_the_recorded_function(
        self, manifest: Path, fns: Path, store_url: str
    ) -> None:
        """A worker without --function loads the recorded one and finishes every item, exit 0."""
        assert create(manifest, f"{fns}:ok", store_url, "--batch-size", "7").exit_code == 0
        result = invoke("worker", "--store", store_url, "--run-id", "r1", "--concurrency", "3")
        assert result.exit_code == 0, result.stderr
        assert "30 succeeded" in result.stdout
        with open_store(store_url, create=False) as store:
            assert store.item_counts("r1")[FileStatus.SUCCEEDED] == 30
            assert store.leases("r1") == []
            opened = [e for e in store.read_events("r1") if e.kind is EventKind.BATCH_OPENED]
        assert len(opened) == 5  # the recorded batch size (7) was used: ceil(30 / 7)

    def test_worker_finds_the_files_of_a_directory_run(
        self, fns: Path, store_url: str, tmp_path: Path
    ) -> None:
        """A joined worker resolves a directory run's keys to the files under the recorded root."""
        root = tmp_path / "tree"
        for i in range(6):
            (root / f"pkg{i % 2}").mkdir(parents=True, exist_ok=True)
            (root / f"pkg{i % 2}" / f"tool_{i}.py").write_text(f"# tool {i}\n", encoding="utf-8")
        created = invoke("migrate", str(root), "--function", f"{fns}:needs_file", "--store", store_url,
                         "--run-id", "d1", "--no-work", "--retries", "0")  # fmt: skip
        assert created.exit_code == 0, created.stderr
        result = invoke("worker", "--store", store_url, "--run-id", "d1")
        assert result.exit_code == 0, result.stdout
        assert "6 succeeded, 0 failed" in result.stdout

    def test_worker_on_a_finished_run_exits_0_at_once(
        self, manifest: Path, fns: Path, store_url: str
    ) -> None:
        """Joining a run that is already complete does nothing and succeeds."""
        create(manifest, f"{fns}:ok", store_url)
        assert invoke("worker", "--store", store_url, "--run-id", "r1").exit_code == 0
        with open_store(store_url, create=False) as store:
            before = store.last_seq("r1")
        assert invoke("worker", "--store", store_url, "--run-id", "r1", "--json").exit_code == 0
        with open_store(store_url, create=False) as store:
            assert store.last_seq("r1") == before

    def test_migrate_against_the_store_creates_and_works(
        self, manifest: Path, fns: Path, store_url: str
    ) -> None:
        """Plain migrate against either backend creates the run and works it to the end."""
        result = invoke(
            "migrate", str(manifest), "--function", f"{fns}:ok", "--store", store_url, "--run-id", "r1"
        )
        assert result.exit_code == 0, result.stderr
        with open_store(store_url, create=False) as store:
            assert store.item_counts("r1")[FileStatus.SUCCEEDED] == 30


class TestStatusShowsWorkers:
    """``status`` lists workers with throughput, and current leases, as text and JSON."""

    def test_workers_and_leases_in_text_and_json(self, manifest: Path, fns: Path, store_url: str) -> None:
        """A finished worker and a held lease both show up, with their numbers, in both formats."""
        create(manifest, f"{fns}:ok", store_url, "--batch-size", "10")
        invoke("worker", "--store", store_url, "--run-id", "r1", "--batch-size", "20")
        with open_store(store_url, create=False) as store:
            store.add_items("r1", [WorkItem("late-1"), WorkItem("late-2")], at=0.0)
            lease = store.claim("r1", "otherhost:4242:abcd", 5, 300.0)
        assert lease is not None
        text = invoke("status", "r1", "--store", store_url)
        assert text.exit_code == 0, text.stderr
        assert "workers: 2" in text.stdout
        assert "otherhost" in text.stdout
        assert "4242" in text.stdout
        assert "throughput" in text.stdout
        assert "/s" in text.stdout
        assert "leases: 1" in text.stdout
        assert lease.batch_id in text.stdout
        data = json.loads(invoke("status", "r1", "--store", store_url, "--json").stdout)
        assert data["succeeded_files"] == 30
        by_host = {w["host"]: w for w in data["workers"]}
        assert by_host["otherhost"]["pid"] == 4242
        assert by_host["otherhost"]["leases"] == 1
        (local,) = (w for w in data["workers"] if w["host"] != "otherhost")
        assert local["items_done"] == 30
        assert local["leases"] == 0
        assert local["items_per_second"] is None or local["items_per_second"] > 0
        (held,) = data["leases"]
        assert (held["batch_id"], held["worker_id"], held["items"]) == (lease.batch_id, lease.worker_id, 2)
        assert 0 < held["expires_in_seconds"] <= 300


class TestBadInput:
    """Each bad input ends in one clear line, the password redacted, and a non-zero exit."""

    def test_run_that_does_not_exist(self, store_url: str) -> None:
        """Joining an unknown run id exits 2 and names the run."""
        with open_store(store_url):
            pass
        result = invoke("worker", "--store", store_url, "--run-id", "nope")
        assert result.exit_code == 2
        assert "no run 'nope'" in error_line(result)

    def test_store_that_does_not_exist_is_not_created(self, tmp_path: Path) -> None:
        """A worker never creates a store: a missing file exits 3 and stays missing."""
        result = invoke("worker", "--store", str(tmp_path / "none.db"), "--run-id", "r1")
        assert result.exit_code == 3
        assert not (tmp_path / "none.db").exists()

    def test_function_not_importable_here(self, manifest: Path, fns: Path, store_url: str) -> None:
        """A recorded function this machine cannot load exits 2 and suggests --function."""
        create(manifest, f"{fns}:ok", store_url)
        fns.unlink()
        result = invoke("worker", "--store", store_url, "--run-id", "r1")
        assert result.exit_code == 2
        assert "--function" in error_line(result)

    def test_function_other_than_the_recorded_one(self, manifest: Path, fns: Path, store_url: str) -> None:
        """--function naming another function is a run mismatch (exit 2); nothing is worked."""
        create(manifest, f"{fns}:ok", store_url)
        result = invoke("worker", "--store", store_url, "--run-id", "r1", "--function", f"{fns}:other")
        assert result.exit_code == 2
        assert "was created with function" in error_line(result)
        with open_store(store_url, create=False) as store:
            assert store.item_counts("r1")[FileStatus.PENDING] == 30

    @pytest.mark.parametrize(
        ("option", "value"), [("--concurrency", "0"), ("--batch-size", "0"), ("--lease-seconds", "0")]
    )
    def test_numbers_below_one(self, option: str, value: str, tmp_path: Path) -> None:
        """Zero concurrency, batch size or lease time is refused before the store is opened."""
        result = invoke("worker", "--store", str(tmp_path / "j.db"), "--run-id", "r1", option, value)
        assert result.exit_code == 2
        assert option in error_line(result)
        assert not (tmp_path / "j.db").exists()

    def test_create_only_with_dry_run(self, manifest: Path, fns: Path, tmp_path: Path) -> None:
        """--create-only and --dry-run together are refused."""
        result = create(manifest, f"{fns}:ok", str(tmp_path / "j.db"), "--dry-run")
        assert result.exit_code == 2
        assert "--create-only" in error_line(result)


@pytest.mark.postgres
class TestBadPostgres:
    """The worker against a PostgreSQL server it cannot use: exit 3 (or 2), password never shown."""

    def test_unreachable_server(self) -> None:
        """A closed loopback port exits 3 naming the address, without the password."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/test"
        result = invoke("worker", "--store", url, "--run-id", "r1")
        assert result.exit_code == 3
        line = error_line(result)
        assert f"127.0.0.1:{port}" in line
        assert PASSWORD not in line

    def test_unknown_role(self) -> None:
        """A role the server does not know (the trust-auth stand-in for a wrong password) exits 3."""
        result = invoke("worker", "--store", f"postgresql://nobody_omk:{PASSWORD}@127.0.0.1:5432/test",
                        "--run-id", "r1")  # fmt: skip
        assert result.exit_code == 3
        line = error_line(result)
        assert "nobody_omk" in line
        assert PASSWORD not in line

    def test_missing_database(self) -> None:
        """A database that does not exist exits 3 and is named."""
        url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db_omk"
        result = invoke("worker", "--store", url, "--run-id", "r1")
        assert result.exit_code == 3
        line = error_line(result)
        assert "no_such_db_omk" in line
        assert PASSWORD not in line

    def test_newer_schema_version(self, pg_schema: str, manifest: Path, fns: Path) -> None:
        """A store written by a newer schema version exits 2, says to upgrade, and stays untouched."""
        url = _with_query(PG_DSN.replace("postgres@", f"postgres:{PASSWORD}@", 1), schema=pg_schema)
        assert create(manifest, f"{fns}:ok", url).exit_code == 0
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"UPDATE {pg_schema}.meta SET value = '99' WHERE key = 'schema_version'")
        for args in (("worker", "--store", url, "--run-id", "r1"), ("status", "r1", "--store", url)):
            result = invoke(*args)
            assert result.exit_code == 2
            line = error_line(result)
            assert "schema version 99" in line
            assert "upgrade" in line
            assert PASSWORD not in line
        with psycopg.connect(PG_DSN) as conn:
            row = conn.execute(f"SELECT count(*) FROM {pg_schema}.items WHERE status = 'pending'").fetchone()
        assert row == (30,)
