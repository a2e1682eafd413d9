"""The journal watch: a waiter wakes when another store object appends to the run, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.store import RunRecord
from omnimemory_kit.store.changes import ListeningWatch, PollingWatch, watch
from tests.store.conftest import StoreFactory, postgres_backend


@pytest.fixture
def pg_factory(tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """Stores on a schema of their own on the real PostgreSQL server (LISTEN/NOTIFY is PostgreSQL's)."""
    with postgres_backend(tmp_path, clock) as factory:
        try:
            yield factory
        finally:
            factory.close_all()


def _run(factory: StoreFactory) -> str:
    factory().create_run(RunRecord(run_id="r1", name="r1"))
    return "r1"


class TestWatch:
    def test_wait_returns_at_once_when_already_past(self, store_factory: StoreFactory) -> None:
        """A wait for a seq the journal already passed returns the last seq without waiting."""
        run = _run(store_factory)
        w = watch(store_factory(), run)
        try:
            assert w.wait(0, timeout=30.0) == 1
        finally:
            w.close()

    def test_wait_times_out_when_nothing_is_appended(self, store_factory: StoreFactory) -> None:
        """A wait with nothing appended ends at its timeout with the unchanged seq."""
        run = _run(store_factory)
        w = watch(store_factory(), run)
        try:
            assert w.wait(1, timeout=0.05) == 1
        finally:
            w.close()

    def test_append_from_another_store_wakes_the_waiter(self, store_factory: StoreFactory) -> None:
        """An append plus notify through another store object wakes a waiter on the new seq."""
        run = _run(store_factory)
        waiter, writer = watch(store_factory(), run), watch(store_factory(), run)
        writer_store = store_factory()
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(waiter.wait(1, timeout=30.0)))
        thread.start()
        try:
            writer_store.append(run, [Event(EventKind.CONTROL_PAUSE, 1.0, path="{}", worker_id="a@b")])
            writer.notify()
            thread.join(timeout=30.0)
            assert seen == [2]
        finally:
            waiter.close()
            writer.close()

    def test_close_ends_a_pending_wait(self, store_factory: StoreFactory) -> None:
        """Closing the watch from another thread ends a long wait early."""
        run = _run(store_factory)
        w = watch(store_factory(), run)
        done = threading.Event()
        thread = threading.Thread(target=lambda: (w.wait(1, timeout=60.0), done.set()))
        thread.start()
        w.close()
        thread.join(timeout=30.0)
        assert done.is_set()


class TestKinds:
    def test_backend_picks_its_channel(self, store_factory: StoreFactory) -> None:
        """PostgreSQL stores are watched with LISTEN/NOTIFY, SQLite ones by polling the counter."""
        run = _run(store_factory)
        store = store_factory()
        w = watch(store, run)
        try:
            expected = ListeningWatch if store.url.startswith("postgres") else PollingWatch
            assert isinstance(w, expected)
            assert "listening" in repr(w) or isinstance(w, PollingWatch)
        finally:
            w.close()


@pytest.mark.postgres
class TestListening:
    def test_notify_wakes_a_listener_that_would_not_poll(self, pg_factory: StoreFactory) -> None:
        """On PostgreSQL a NOTIFY alone wakes a waiter whose fallback poll is an hour away."""
        run = _run(pg_factory)
        store = pg_factory()
        waiter = ListeningWatch(store, run, fallback_interval=3600.0)
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(waiter.wait(1, timeout=3600.0)))
        thread.start()
        try:
            pg_factory().append(run, [Event(EventKind.CONTROL_RESUME, 1.0, path="{}", worker_id="a@b")])
            store.notify(run)  # type: ignore[attr-defined]
            thread.join(timeout=30.0)
            assert seen == [2]
        finally:
            waiter.close()

    def test_broken_listener_falls_back_to_polling(self, pg_factory: StoreFactory) -> None:
        """A listener whose connection broke still sees appends by polling."""
        run = _run(pg_factory)
        store = pg_factory()
        waiter = ListeningWatch(store, run, fallback_interval=0.05)
        waiter._conn.close()  # the connection dies under the watch
        try:
            pg_factory().append(run, [Event(EventKind.CONTROL_RESUME, 1.0, path="{}", worker_id="a@b")])
            assert waiter.wait(1, timeout=30.0) == 2
        finally:
            waiter.close()
