"""Waiting for a run's journal to grow: the channel that carries control commands to every runner.

``watch(store, run_id)`` returns a ``JournalWatch`` whose ``wait(after_seq, timeout)`` returns as soon as
the run's ``last_seq`` passes ``after_seq`` (or when ``timeout`` ends; a run not created yet counts as 0),
and whose ``notify()`` a writer calls after appending, so watchers on other machines wake at once.

- **SQLite**: ``last_seq`` is a primary-key lookup, a cheap change counter; the watch polls it every
  ``poll_interval`` (50 ms by default). ``notify`` does nothing: every watcher shares the file.
- **PostgreSQL**: the watch LISTENs on a dedicated connection (outside the pool) and the writer NOTIFYs
  after its commit, so a command arrives in milliseconds. Polling stays underneath as the fallback: a
  notification lost with a broken connection delays a command by at most ``fallback_interval``, and a
  listener that cannot reconnect leaves the watch polling.

A watch is used from one thread at a time (the runner calls it through a worker thread); ``close`` may be
called from any thread and ends a pending ``wait``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Protocol

from omnimemory_kit.errors import RunNotFoundError, StoreError
from omnimemory_kit.store.base import JournalStore

__all__ = ["JournalWatch", "ListeningWatch", "PollingWatch", "watch"]

_log = logging.getLogger("omnimemory_kit.store")


class JournalWatch(Protocol):
    """Wait for appends to one run's journal, and announce one's own."""

    run_id: str

    def wait(self, after_seq: int, timeout: float) -> int:
        """Block until the run's last seq exceeds ``after_seq`` or ``timeout`` seconds pass; return it."""
        ...

    def notify(self) -> None:
        """Tell the other watchers of this run that its journal grew (call after the append committed)."""
        ...

    def close(self) -> None:
        """Stop watching; a pending ``wait`` returns. Idempotent."""
        ...


def _last_seq(store: Any, run_id: str) -> int:
    """The run's last seq; 0 for a run not created yet (its first append is the change to wait for)."""
    try:
        return int(store.last_seq(run_id))
    except RunNotFoundError:
        return 0


class PollingWatch:
    """Poll the run's ``last_seq`` (the SQLite change counter, and PostgreSQL's fallback)."""

    def __init__(self, store: JournalStore, run_id: str, *, poll_interval: float = 0.05) -> None:
        self.run_id = run_id
        self._store = store
        self._interval = poll_interval
        self._closed = threading.Event()

    def wait(self, after_seq: int, timeout: float) -> int:
        """Poll until ``last_seq`` passes ``after_seq``, the timeout ends, or the watch closes."""
        deadline = time.monotonic() + timeout
        while True:
            seq = _last_seq(self._store, self.run_id)
            remaining = deadline - time.monotonic()
            if seq > after_seq or remaining <= 0 or self._closed.is_set():
                return seq
            self._closed.wait(min(self._interval, remaining))

    def notify(self) -> None:
        """Nothing to do: pollers see the counter move by themselves."""

    def close(self) -> None:
        """End any pending wait."""
        self._closed.set()

    def __repr__(self) -> str:
        return f"<PollingWatch run={self.run_id!r} every={self._interval:g}s>"


class ListeningWatch:
    """LISTEN for the store's NOTIFY of this run; poll every ``fallback_interval`` as well."""

    def __init__(self, store: Any, run_id: str, *, fallback_interval: float = 0.5) -> None:
        self.run_id = run_id
        self._store = store
        self._fallback = fallback_interval
        self._closed = threading.Event()
        self._conn: Any = None
        self._connect()

    def _connect(self) -> None:
        try:
            self._conn = self._store.open_listener()
        except StoreError as exc:
            _log.warning("control channel: LISTEN unavailable, polling instead: %s", exc)
            self._conn = None

    def wait(self, after_seq: int, timeout: float) -> int:
        """Wait for a notification naming this run (or the fallback poll) until ``last_seq`` moves."""
        deadline = time.monotonic() + timeout
        while True:
            seq = _last_seq(self._store, self.run_id)
            remaining = deadline - time.monotonic()
            if seq > after_seq or remaining <= 0 or self._closed.is_set():
                return seq
            slice_ = min(self._fallback, remaining)
            if self._conn is None:
                self._closed.wait(slice_)
                self._connect()
                continue
            try:
                for note in self._conn.notifies(timeout=slice_, stop_after=1):
                    if note.payload == self.run_id:
                        break
            except Exception as exc:  # a broken listener must never stop the run: poll instead
                if self._closed.is_set():  # closed under the wait: the end, not a fault
                    return _last_seq(self._store, self.run_id)
                _log.warning("control channel: listener lost (%s); polling until it reconnects", exc)
                self._drop()

    def notify(self) -> None:
        """NOTIFY the run id on the store's channel."""
        self._store.notify(self.run_id)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # closing a broken connection may fail too; there is nothing left to keep
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        """End any pending wait and close the listening connection."""
        self._closed.set()
        self._drop()

    def __repr__(self) -> str:
        mode = "listening" if self._conn is not None else "polling"
        return f"<ListeningWatch run={self.run_id!r} {mode}>"


def watch(store: JournalStore, run_id: str, *, poll_interval: float = 0.05) -> JournalWatch:
    """Watch a run's journal: LISTEN/NOTIFY where the store offers it (PostgreSQL), polling otherwise."""
    if hasattr(store, "open_listener") and hasattr(store, "notify"):
        return ListeningWatch(store, run_id)
    return PollingWatch(store, run_id, poll_interval=poll_interval)
