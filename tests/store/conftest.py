"""The store fixtures: every contract test runs once per backend in ``BACKENDS``.

A backend is a context manager taking ``(tmp_path, clock)`` and yielding a ``StoreFactory``: a callable that
opens a *new* store object (its own connection) on the same backing database, plus the URL a subprocess can
open. Setup before the ``yield``, cleanup (drop a schema, ...) after it. To add a backend, write one such
function and add one line to ``BACKENDS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.store import JournalStore, open_store
from tests.conftest import PG_DSN


@dataclass
class StoreFactory:
    """Opens stores on one backing database; closes every store it opened when the test ends."""

    url: str
    clock: FakeClock
    opener: Callable[[], JournalStore]
    opened: list[JournalStore] = field(default_factory=list)

    def __call__(self) -> JournalStore:
        store = self.opener()
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


Backend = Callable[[Path, FakeClock], AbstractContextManager[StoreFactory]]


@contextmanager
def sqlite_backend(tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """A SQLite file in the test's temporary folder."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    yield StoreFactory(url=url, clock=clock, opener=lambda: open_store(url, clock=clock))


@contextmanager
def postgres_backend(tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """A schema of its own on the real PostgreSQL server, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    try:
        yield StoreFactory(url=url, clock=clock, opener=lambda: open_store(url, clock=clock))
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


BACKENDS: dict[str, Backend] = {
    "sqlite": sqlite_backend,
    "postgres": postgres_backend,
}
# Marks carried by each backend's test ids (so ``-m "not postgres"`` deselects them).
BACKEND_MARKS: dict[str, tuple[pytest.MarkDecorator, ...]] = {"postgres": (pytest.mark.postgres,)}


@pytest.fixture(params=[pytest.param(name, marks=BACKEND_MARKS.get(name, ())) for name in sorted(BACKENDS)])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[StoreFactory]:
    """Open stores of one backend (the test runs once per backend), all on the same backing database."""
    with BACKENDS[request.param](tmp_path, clock) as factory:
        try:
            yield factory
        finally:
            factory.close_all()


@pytest.fixture
def store(store_factory: StoreFactory) -> JournalStore:
    """A store of the backend under test, on the fake clock."""
    return store_factory()
