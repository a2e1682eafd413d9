"""A store wrapper that makes store calls fail like an outage would, at seeded random points.

Failure injection, not a fake: every call that gets through goes to the real store underneath. A failure
is a ``StoreUnavailableError`` raised either *before* the call (the store never saw it) or, for writes,
*after* it (the write committed but its acknowledgement was lost, as when a connection dies during commit):
the caller cannot tell which, so it must cope with both.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from omnimemory_kit.errors import StoreUnavailableError
from omnimemory_kit.events import Event, FileStatus
from omnimemory_kit.store import (
    HealthCheckRow,
    HealthSnapshotRow,
    JournalStore,
    Lease,
    RunRecord,
    WorkerRecord,
    WorkItem,
)
from omnimemory_kit.store.base import ReportLink

__all__ = ["FaultyStore"]

T = TypeVar("T")


class FaultyStore(JournalStore):
    """Delegate to ``inner``; fail calls with ``StoreUnavailableError`` as the seeded dice say.

    Args:
        inner: the real store.
        seed: seeds the dice, so a failing case can be replayed.
        before: chance that a call fails before reaching the store.
        after: chance that a write fails after it committed (acknowledgement lost).
        burst: once a call fails, how many following calls fail too (an outage, not a blip).
    """

    def __init__(
        self, inner: JournalStore, *, seed: int, before: float = 0.0, after: float = 0.0, burst: int = 0
    ) -> None:
        self.inner = inner
        self.url = inner.url
        self.before = before
        self.after = after
        self.burst = burst
        self.down = False  # set to fail every call until cleared
        self.failures = 0
        self.calls = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._failing = 0

    def outage(self, calls: int) -> None:
        """Fail the next ``calls`` calls, whatever the dice say (the store is down for that long)."""
        with self._lock:
            self._failing = calls

    def _fail_now(self, chance: float) -> bool:
        with self._lock:
            self.calls += 1
            if self.down:
                fail = True
            elif self._failing > 0:
                self._failing -= 1
                fail = True
            elif chance > 0 and self._rng.random() < chance:
                self._failing = self.burst
                fail = True
            else:
                fail = False
            self.failures += fail
            return fail

    def _read(self, name: str, call: Callable[[], T]) -> T:
        if self._fail_now(self.before):
            raise StoreUnavailableError(f"store {self.url} unavailable: injected before {name}")
        return call()

    def _write(self, name: str, call: Callable[[], T]) -> T:
        result = self._read(name, call)
        if self._fail_now(self.after):
            raise StoreUnavailableError(f"store {self.url} unavailable: injected after {name}")
        return result

    # --- the contract, delegated --------------------------------------------------------------------

    def create_run(self, record: RunRecord) -> RunRecord:
        return self._write("create_run", lambda: self.inner.create_run(record))

    def create_run_with_blocks(
        self, record: RunRecord, blocks: Iterable[str], *, at: float
    ) -> tuple[RunRecord, int]:
        blocks = list(blocks)
        return self._write(
            "create_run_with_blocks", lambda: self.inner.create_run_with_blocks(record, blocks, at=at)
        )

    def get_run(self, run_id: str) -> RunRecord:
        return self._read("get_run", lambda: self.inner.get_run(run_id))

    def list_runs(self) -> list[RunRecord]:
        return self._read("list_runs", self.inner.list_runs)

    def add_report(self, run_id: str, report: ReportLink) -> None:
        self._write("add_report", lambda: self.inner.add_report(run_id, report))

    def run_reports(self, run_id: str) -> list[ReportLink]:
        return self._read("run_reports", lambda: self.inner.run_reports(run_id))

    def append(self, run_id: str, events: Sequence[Event]) -> int:
        return self._write("append", lambda: self.inner.append(run_id, events))

    def read_events(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        return self._read("read_events", lambda: iter(list(self.inner.read_events(run_id, after_seq, limit))))

    def last_seq(self, run_id: str) -> int:
        return self._read("last_seq", lambda: self.inner.last_seq(run_id))

    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        items = list(items)
        return self._write("add_items", lambda: self.inner.add_items(run_id, items, at=at))

    def item_counts(self, run_id: str) -> dict[FileStatus, int]:
        return self._read("item_counts", lambda: self.inner.item_counts(run_id))

    def register_worker(self, run_id: str, worker_id: str, *, host: str, pid: int) -> WorkerRecord:
        return self._write(
            "register_worker", lambda: self.inner.register_worker(run_id, worker_id, host=host, pid=pid)
        )

    def workers(self, run_id: str) -> list[WorkerRecord]:
        return self._read("workers", lambda: self.inner.workers(run_id))

    def leases(self, run_id: str) -> list[Lease]:
        return self._read("leases", lambda: self.inner.leases(run_id))

    def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        return self._write("claim", lambda: self.inner.claim(run_id, worker_id, limit, lease_seconds))

    def heartbeat(self, lease: Lease, lease_seconds: float) -> Lease:
        return self._write("heartbeat", lambda: self.inner.heartbeat(lease, lease_seconds))

    def report(self, lease: Lease, events: Sequence[Event]) -> int:
        return self._write("report", lambda: self.inner.report(lease, events))

    def release(self, lease: Lease, events: Sequence[Event] = ()) -> int:
        return self._write("release", lambda: self.inner.release(lease, events))

    @property
    def release_and_claim_atomic(self) -> bool:
        return self.inner.release_and_claim_atomic

    def report_release_and_claim(
        self,
        lease: Lease,
        outcomes: Sequence[Event],
        events: Sequence[Event] = (),
        *,
        limit: int,
        lease_seconds: float,
    ) -> tuple[int, Lease | None]:
        # One transaction of the real store: it fails before reaching it, or after it committed.
        return self._write(
            "close and claim",
            lambda: self.inner.report_release_and_claim(
                lease, outcomes, events, limit=limit, lease_seconds=lease_seconds
            ),
        )

    def reclaim(self, run_id: str, *, worker_id: str | None = None) -> int:
        return self._write("reclaim", lambda: self.inner.reclaim(run_id, worker_id=worker_id))

    def record_health(self, snapshot: HealthSnapshotRow) -> int:
        return self._write("record_health", lambda: self.inner.record_health(snapshot))

    def health_history(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
        return self._read(
            "health_history", lambda: self.inner.health_history(since=since, until=until, name=name)
        )

    def prune_health(self, older_than: float) -> int:
        return self._write("prune_health", lambda: self.inner.prune_health(older_than))

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"<FaultyStore {self.failures}/{self.calls} calls failed over {self.inner!r}>"

    def __getattr__(self, name: str) -> Any:  # backend extras (e.g. drop_schema) pass straight through
        return getattr(self.inner, name)
