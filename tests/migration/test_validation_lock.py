"""One validation pass of a run at a time (the pass lease), and a pass interrupted keeps its verdicts."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit import MigrationRunner, ValidationBusyError
from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, LeaseLostError
from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.run_control import ensure_control_stream
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.migration.validation_lease import pass_lock_id
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.migration.validation_pipeline import ensure_queue, queue_keys
from omnimemory_kit.notebook.data import runs_frame
from omnimemory_kit.store import open_store
from omnimemory_kit.store.ledger import ledger
from tests.store.conftest import BACKEND_MARKS, BACKENDS, StoreFactory

VERDICTS = {EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR}
KEYS = [f"k{i:03d}" for i in range(30)]


async def nothing(item: MigrationItem) -> None:
    """A migration with nothing to do."""


async def valid(item: MigrationItem) -> bool:
    """A check every item passes."""
    return True


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store whose run r1 migrated 30 items (no check yet)."""
    path = tmp_path / "s.db"

    async def migrate() -> None:
        with open_store(path) as store:
            await MigrationRunner(store, "r1", KEYS, nothing).run()

    asyncio.run(migrate())
    return path


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """Open stores of one backend (the test runs once per backend), all on the same backing database."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        try:
            yield factory
        finally:
            factory.close_all()


def verdicts(path: Path) -> Counter[str]:
    """Count the verdicts journaled per item of r1."""
    with open_store(path, read_only=True) as store:
        return Counter(str(e.path) for e in store.read_events("r1") if e.kind in VERDICTS)


def store_clock_now() -> float:
    """The time the stores of these tests read (the system clock)."""
    return time.time()


def dead_pid() -> int:
    """Return the pid of a process of this host that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


class TestOnePassAtATime:
    async def test_a_second_pass_is_refused_while_one_runs(self, db: Path) -> None:
        """While a pass runs, another pass of the run raises ValidationBusyError naming the run and the
        holder, checking and writing nothing; once the first ends, a pass may run again."""
        started, proceed = asyncio.Event(), asyncio.Event()

        async def slow(item: MigrationItem) -> bool:
            started.set()
            await proceed.wait()
            return True

        with open_store(db) as store:
            first = asyncio.ensure_future(validate_run(store, "r1", slow, worker_id="host-a:1:first"))
            await started.wait()
            with pytest.raises(ValidationBusyError) as busy:
                await validate_run(store, "r1", valid)
            assert (busy.value.run_id, busy.value.holder) == ("r1", "host-a:1:first")
            assert "run 'r1' is being validated by another pass (host-a:1:first" in str(busy.value)
            proceed.set()
            summary = await first
            assert summary.validated == len(KEYS)
            again = await validate_run(store, "r1", valid, only="error")
            assert again.checked_now == 0
        assert set(verdicts(db).values()) == {1}

    async def test_a_pass_that_fails_gives_the_lease_back(self, db: Path) -> None:
        """A pass ending in an error (a key the run lacks) releases the lease: the next pass runs at once."""
        with open_store(db) as store:
            with pytest.raises(ConfigError, match="no succeeded item 'ghost'"):
                await validate_run(store, "r1", valid, key="ghost")
            assert store.leases(pass_lock_id("r1")) == []
            assert (await validate_run(store, "r1", valid)).validated == len(KEYS)

    async def test_an_expired_lease_of_a_dead_pass_frees_the_run(self, db: Path) -> None:
        """A pass that died elsewhere holding the lease keeps the run busy until its lease runs out."""
        clock = FakeClock()
        with open_store(db, clock=clock) as store:
            await validate_run(store, "r1", valid, key="k000", clock=clock)  # creates the lock, releases it
            assert store.claim(pass_lock_id("r1"), "elsewhere:4242:dead", 1, 60.0) is not None  # then dies
            with pytest.raises(ValidationBusyError, match="elsewhere:4242:dead"):
                await validate_run(store, "r1", valid, clock=clock)
            clock.advance(61)
            summary = await validate_run(store, "r1", valid, clock=clock)
        assert summary.validated == len(KEYS)
        assert verdicts(db)["k001"] == 1

    async def test_a_pass_that_lost_its_lease_writes_no_verdict(self, db: Path) -> None:
        """A pass stalled past its lease, whose lease another pass took back, stops at its next write with
        LeaseLostError: every item ends with the other pass's one verdict."""
        clock = FakeClock()
        started, proceed = asyncio.Event(), asyncio.Event()

        async def stalls(item: MigrationItem) -> bool:
            if item.key == "k000":
                started.set()
                await proceed.wait()
            return True

        with open_store(db, clock=clock) as store:
            first = asyncio.ensure_future(validate_run(store, "r1", stalls, concurrency=1, clock=clock))
            await started.wait()
            clock.advance(61)  # stalled past its 60 s lease
            second = await validate_run(store, "r1", valid, clock=clock)
            assert second.validated == len(KEYS)
            proceed.set()
            with pytest.raises(LeaseLostError):
                await first
        assert verdicts(db) == Counter(dict.fromkeys(KEYS, 1))

    async def test_a_dead_process_on_this_host_frees_the_run_at_once(self, db: Path) -> None:
        """A lease held by a process of this host that no longer exists is taken back without waiting."""
        with open_store(db) as store:
            await validate_run(store, "r1", valid, key="k000")
            holder = f"{socket.gethostname()}:{dead_pid()}:gone"
            assert store.claim(pass_lock_id("r1"), holder, 1, 3600.0) is not None
            summary = await validate_run(store, "r1", valid)
        assert summary.pending == 0

    def test_the_cli_exits_2_naming_the_holder(self, db: Path, tmp_path: Path) -> None:
        """``validate RUN`` while another pass holds the run exits 2 with one line naming run and holder."""
        with open_store(db) as store:
            asyncio.run(validate_run(store, "r1", valid, key="k000"))
            assert store.claim(pass_lock_id("r1"), "elsewhere:4242:dead", 1, 3600.0) is not None
        fns = tmp_path / "checks.py"
        fns.write_text("def valid(item):\n    return True\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["validate", "r1", "--function", f"{fns}:valid", "--store", str(db)])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "run 'r1' is being validated by another pass (elsewhere:4242:dead" in result.stderr
        assert verdicts(db) == Counter({"k000": 1})


class TestBothBackends:
    async def test_busy_then_free_once_the_lease_runs_out(self, store_factory: StoreFactory) -> None:
        """On each backend, a held pass lease refuses a pass until it runs out."""
        clock = store_factory.clock
        store = store_factory()
        await MigrationRunner(store, "r1", KEYS[:5], nothing).run()
        await validate_run(store, "r1", valid, key="k000", clock=clock)
        assert store.claim(pass_lock_id("r1"), "elsewhere:4242:dead", 1, 60.0) is not None
        with pytest.raises(ValidationBusyError, match="elsewhere:4242:dead"):
            await validate_run(store, "r1", valid, clock=clock)
        clock.advance(61)
        summary = await validate_run(store, "r1", valid, clock=clock)
        assert (summary.validated, summary.pending, summary.checked_now) == (5, 0, 4)


class TestHidden:
    def test_companion_runs_are_not_listed(self, db: Path) -> None:
        """The pass lock and the control stream of a run show in neither ``runs`` nor the runs frame."""
        with open_store(db) as store:
            asyncio.run(validate_run(store, "r1", valid, key="k000"))
            ensure_control_stream(store, "r1", at=0.0)  # as the first command to a run creates it
            assert {r.run_id for r in store.list_runs()} >= {"r1", "r1~validation-pass", "r1~control"}
            assert [entry.run_id for entry in ledger(store)] == ["r1"]
            assert list(runs_frame(store)["run_id"]) == ["r1"]
        listed = CliRunner().invoke(cli, ["runs", "--store", str(db), "--json"])
        assert [entry["run_id"] for entry in json.loads(listed.output)] == ["r1"]


class TestInterrupted:
    async def test_a_cancelled_pass_keeps_the_verdicts_it_made(self, db: Path) -> None:
        """Cancelling a pass midway (Ctrl-C) journals the verdicts it made; the next pass checks only the
        rest, so each item ends with one verdict, and the run is free again."""
        checked: list[str] = []
        stuck = asyncio.Event()

        async def stalls_at_k010(item: MigrationItem) -> bool:
            checked.append(item.key)
            if item.key == "k010":
                stuck.set()
                await asyncio.Event().wait()
            return True

        with open_store(db) as store:
            pass_ = asyncio.ensure_future(validate_run(store, "r1", stalls_at_k010, concurrency=1))
            await stuck.wait()
            pass_.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pass_
            assert verdicts(db) == Counter(dict.fromkeys(KEYS[:10], 1))
            rest = await validate_run(store, "r1", valid)
        assert rest.checked_now == len(KEYS) - 10
        assert verdicts(db) == Counter(dict.fromkeys(KEYS, 1))

    def test_ctrl_c_during_the_cli_pass_keeps_its_verdicts(self, db: Path, tmp_path: Path) -> None:
        """SIGINT to ``validate RUN`` exits 130 with the verdicts made journaled; the next pass does the
        rest."""
        fns = tmp_path / "checks.py"
        fns.write_text(
            "import os, signal, threading\n"
            "def check(item):\n"
            "    if item.key == os.environ.get('STOP_AT'):\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "        threading.Event().wait(30)\n"
            "    return True\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "omnimemory_kit", "validate", "r1", "--function", f"{fns}:check",
                   "--store", str(db), "--concurrency", "1"]  # fmt: skip
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": root, "STOP_AT": "k012"}
        stopped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert stopped.returncode == 130, stopped.stderr
        assert verdicts(db) == Counter(dict.fromkeys(KEYS[:12], 1))
        again = subprocess.run(
            command, env={**env, "STOP_AT": ""}, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        assert f"({len(KEYS) - 12} checked now)" in again.stdout
        assert verdicts(db) == Counter(dict.fromkeys(KEYS, 1))


class TestBesidePipelinedChecks:
    async def test_a_pass_is_refused_while_pipelined_checks_hold_the_queue(self, db: Path) -> None:
        """A migration's pipelined checks holding a chunk of the run's validation queue (its drain) keep a
        separate pass out: it would check their items again. Once they let go, the pass runs."""
        with open_store(db) as store:
            queue = ensure_queue(store, "r1", at=store_clock_now())
            queue_keys(store, "r1", KEYS[:5], at=store_clock_now())
            lease = store.claim(queue, "other-host:1:drain", 5, 60.0)
            assert lease is not None
            with pytest.raises(ValidationBusyError, match="pipelined checks") as refused:
                await validate_run(store, "r1", valid)
            assert refused.value.holder == "other-host:1:drain"
            assert not [e for e in store.read_events("r1") if e.kind in VERDICTS]
            assert store.leases(pass_lock_id("r1")) == []  # the pass lock was given back
            store.release(lease)
            summary = await validate_run(store, "r1", valid)
        assert summary.validated == len(KEYS)
        assert set(verdicts(db).values()) == {1}
