"""What one SQLite write transaction owes the run's bookkeeping, added up and written once at its end.

A batch boundary (the report of a batch's outcomes, the release of its lease and the claim of the next
batch, one transaction) would move the run's last seq, its item counters, its minute counters and the
worker's row once for each of its three parts. Every statement costs the store thread a trip back for the
interpreter's lock, which the event loop holds while it runs items; the tally keeps those sums in Python
and writes each of them once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from omnimemory_kit.store.base import parse_worker_id
from omnimemory_kit.store.counters import merge_minute_rows
from omnimemory_kit.store.sqlite_counters import write_minutes
from omnimemory_kit.store.sqlite_items import Deltas, LeaseSizes, add_counts, count_items

__all__ = ["Tally"]


@dataclass
class Tally:
    """The run's last seq as the transaction moves it, and the counter and worker changes it owes."""

    run_no: int
    last_seq: int
    counts: Deltas = field(default_factory=dict)
    minutes: dict[float, list[Any]] = field(default_factory=dict)
    worker_id: str | None = None
    seen_at: float = 0.0
    items_done: int = 0
    live_lease: str | None = None  # a lease checked live earlier in the transaction
    lease_sizes: LeaseSizes | None = None  # that lease's sizes as its claim kept them

    @classmethod
    def begin(cls, conn: sqlite3.Connection, run_no: int) -> Tally:
        """Start a tally at the run's last seq as the transaction sees it."""
        (last,) = conn.execute("SELECT last_seq FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        return cls(run_no, int(last))

    def take_seqs(self, n: int) -> int:
        """Reserve the next ``n`` seqs; return the first."""
        first = self.last_seq + 1
        self.last_seq += n
        return first

    def count(self, deltas: Deltas) -> None:
        """Add per-status deltas of the items' counters (items, bytes, items without a size)."""
        counts = self.counts
        for status, (items, nbytes, unsized) in deltas.items():
            count_items(counts, status, items, nbytes, unsized)

    def add_minutes(self, buckets: dict[float, list[Any]]) -> None:
        """Add ``counters.minute_rows`` buckets."""
        merge_minute_rows(self.minutes, buckets)

    def saw_worker(self, worker_id: str, at: float, done: int = 0) -> None:
        """Record that the worker was seen at ``at`` (and finished ``done`` more items)."""
        self.worker_id, self.seen_at = worker_id, at
        self.items_done += done

    def write(self, conn: sqlite3.Connection) -> int:
        """Write the run's last seq, the counters and the worker's row; return the last seq."""
        conn.execute("UPDATE runs SET last_seq = ? WHERE run_no = ?", (self.last_seq, self.run_no))
        add_counts(conn, self.run_no, self.counts)
        write_minutes(conn, self.run_no, self.minutes)
        if self.worker_id is not None:
            host, pid = parse_worker_id(self.worker_id)
            conn.execute(
                "INSERT INTO workers (run_no, worker_id, host, pid, started_at, last_seen, items_done) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) ON CONFLICT (run_no, worker_id) "
                "DO UPDATE SET last_seen = excluded.last_seen, items_done = items_done + excluded.items_done",
                (self.run_no, self.worker_id, host, pid, self.seen_at, self.items_done),
            )
        return self.last_seq
