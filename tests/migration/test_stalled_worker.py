"""A worker stopped inside a store transaction cannot stop a shared PostgreSQL run.

A process stopped (SIGSTOP, a frozen VM) between a statement and its commit keeps its locks, the run row's
among them, for as long as it stays stopped. The store's stall bound (``?stall_timeout=``) has the server
end such a transaction; the other workers go on, a lease it held expires and its items are worked again,
and when it goes on itself it finds its connection ended and its lease taken back: nothing counts twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import LeaseLostError, StoreUnavailableError
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.migration.worker import join_run, prepare_run
from omnimemory_kit.store import open_store
from omnimemory_kit.store.postgres import PostgresStore
from tests.conftest import PG_DSN

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = "stalled"

FUNCTIONS = """
import asyncio

async def tiny(item):
    await asyncio.sleep(0.002)
"""

# Failure injection: a worker that stops itself (SIGSTOP) inside a store transaction, once, at the point
# named by its first argument; the rest of the arguments are the command line of ``omnimemory-kit``.
STOPPING_WORKER = """
import signal
import sys
import threading

from omnimemory_kit.cli import main
from omnimemory_kit.store.postgres_leases import PostgresLeases

where = sys.argv.pop(1)
name = {"claim": "_claim_locked", "report": "_close_locked"}[where]
original = getattr(PostgresLeases, name)
stopped = []


def stopping(self, *args, **kwargs):
    result = original(self, *args, **kwargs)
    if not stopped and (where == "report" or result[0] is not None):
        stopped.append(True)
        # the statement ran, its commit is not sent: stop right here (a process-wide kill() could let this
        # thread run on, and commit, before another thread of the process took the stop)
        signal.pthread_kill(threading.get_ident(), signal.SIGSTOP)
    return result


setattr(PostgresLeases, name, stopping)
main()
"""


@pytest.fixture
def url() -> Iterator[str]:
    """An own schema on the real server, with a short stall bound and a lock bound far above it."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}&stall_timeout=0.5&lock_timeout=60"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _succeeded_once(store: PostgresStore, items: int) -> list[Event]:
    """Assert every item succeeded exactly once, in the journal and the counts; return the journal."""
    events = list(store.read_events(RUN_ID))
    succeeded = Counter(e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED)
    assert len(succeeded) == items
    assert set(succeeded.values()) == {1}
    counts = store.item_counts(RUN_ID)
    assert counts[FileStatus.SUCCEEDED] == sum(counts.values()) == items
    assert sum(worker.items_done for worker in store.workers(RUN_ID)) == items
    assert store.leases(RUN_ID) == []
    return events


class TestStalledInProcess:
    """A runner joining the run while another store's transaction sits stopped on the run row."""

    @pytest.mark.parametrize("where", ["claim", "report"])
    async def test_the_run_completes_and_the_stalled_side_counts_nothing(self, url: str, where: str) -> None:
        """The runner finishes every item once, in about the stall bound; the stalled side then loses."""
        clock = FakeClock(auto_advance=True)
        keys = [f"k{i:02d}" for i in range(40)]
        with open_store(url, clock=clock) as store, open_store(url, clock=clock) as other:
            assert isinstance(store, PostgresStore)
            assert isinstance(other, PostgresStore)
            prepare_run(store, RUN_ID, IterableSource(keys), "m:f", batch_size=5, clock=clock)
            lease = other.claim(RUN_ID, "elsewhere:999:w", 5, 30.0) if where == "report" else None
            with contextlib.ExitStack() as stack:
                conn = stack.enter_context(other._conn())
                stack.enter_context(conn.transaction())
                if lease is None:  # stopped before committing its claim: its pick and the run row held
                    assert other._claim_locked(conn, RUN_ID, "elsewhere:999:w", 5, 30.0)[0] is not None
                else:  # stopped inside its report: the lease row, its items and the run row held
                    other._lock_live_lease(conn, lease)
                    outcomes = [
                        Event(EventKind.FILE_SUCCEEDED, clock.time(), path=i.key) for i in lease.items
                    ]
                    other._append_locked(conn, RUN_ID, outcomes)
                done: list[str] = []

                def migrate(item: MigrationItem) -> None:
                    done.append(item.key)

                started = time.monotonic()
                runner = join_run(store, RUN_ID, migrate, function_id="m:f", concurrency=2, lease_seconds=6.0,
                                  clock=clock)  # fmt: skip
                summary = await runner.run()
                assert time.monotonic() - started < 20, "bounded by the stall bound, not the lock's 60 s"
                assert summary.succeeded_files == len(keys)
                with pytest.raises(StoreUnavailableError, match=r"stall_timeout=0\.5s"):
                    stack.close()  # the stopped process goes on: the server ended its transaction
            if lease is not None:
                assert clock.time() >= lease.expires_at  # its items came back when its lease expired
                with pytest.raises(LeaseLostError):  # its report, made again, is refused
                    other.report(lease, outcomes)
            assert sorted(done) == keys
            events = _succeeded_once(store, len(keys))
            finishers = {e.worker_id for e in events if e.kind is EventKind.FILE_SUCCEEDED}
            assert "elsewhere:999:w" not in finishers


@pytest.mark.slow
class TestStoppedWorkerProcess:
    """A real worker process SIGSTOPped inside a transaction; another worker process finishes the run."""

    @pytest.mark.parametrize("where", ["claim", "report"])
    def test_sigstop_inside_a_transaction(self, url: str, tmp_path: Path, where: str) -> None:
        """The other worker exits 0 while the first is stopped; resumed, that one exits 0 having lost."""
        items = 200
        fns = tmp_path / "fns.py"
        fns.write_text(FUNCTIONS, encoding="utf-8")
        script = tmp_path / "stopping_worker.py"
        script.write_text(STOPPING_WORKER, encoding="utf-8")
        with open_store(url) as store:
            keys = [f"item-{i:04d}" for i in range(items)]
            prepare_run(store, RUN_ID, IterableSource(keys, name="numbers"), load_function(f"{fns}:tiny"),
                        batch_size=20)  # fmt: skip
        args = ["worker", "--store", url, "--run-id", RUN_ID, "--concurrency", "2", "--lease-seconds", "2"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        stopping = subprocess.Popen(
            [sys.executable, str(script), where, *args], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            _, status = os.waitpid(stopping.pid, os.WUNTRACED)  # returns once it stopped itself
            assert os.WIFSTOPPED(status), f"the worker exited instead of stopping: {status}"
            started = time.monotonic()
            other = subprocess.run(
                [sys.executable, "-m", "omnimemory_kit", *args], env=env, capture_output=True, text=True,
                timeout=60,
            )  # fmt: skip
            assert other.returncode == 0, other.stderr
            assert time.monotonic() - started < 40, "bounded by the stall bound, not the lock's 60 s"
            stopping.send_signal(signal.SIGCONT)
            _, stderr = stopping.communicate(timeout=60)
            assert stopping.returncode == 0, stderr
            assert "stall_timeout=0.5s" in stderr, stderr  # it found its transaction ended, rode that out
        finally:
            if stopping.poll() is None:
                stopping.send_signal(signal.SIGCONT)
                stopping.kill()
                stopping.wait()
        with open_store(url, create=False) as store:
            assert isinstance(store, PostgresStore)
            events = _succeeded_once(store, items)
            workers = store.workers(RUN_ID)
        (stopped,) = (w.worker_id for w in workers if w.pid == stopping.pid)
        mine = {e.path for e in events if e.kind is EventKind.FILE_SUCCEEDED and e.worker_id == stopped}
        if where == "report":  # its first batch was never recorded by it: reclaimed, worked by the other
            interrupted = {e.path for e in events if e.kind is EventKind.FILE_INTERRUPTED}
            starts = {e.path for e in events if e.kind is EventKind.FILE_STARTED and e.worker_id == stopped}
            assert starts
            assert starts <= interrupted
            assert not starts & mine
        assert len(mine) < items
