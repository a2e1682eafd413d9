"""Open the store a URL names: above both backends, so neither backend imports the other or this module."""

from __future__ import annotations

import importlib
import os

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import StoreUnavailableError
from omnimemory_kit.store.base import Store
from omnimemory_kit.store.sqlite import SQLiteStore
from omnimemory_kit.store.url import is_postgres_url, parse_postgres_url, redact_url

__all__ = ["open_store"]


def open_store(
    url: str | os.PathLike[str], *, clock: Clock = SYSTEM_CLOCK, create: bool = True, read_only: bool = False
) -> Store:
    """Open the store a URL or path names (see ``omnimemory_kit.store.url`` for the accepted forms).

    Args:
        url: a store URL or a filesystem path (which means SQLite).
        clock: the clock whose ``time()`` stamps runs and lease expiries.
        create: create the store (the file or the schema) when it does not exist yet.
        read_only: only read it (status, reports, follower trackers): never create or write anything, and
            open a SQLite file on read-only media too. PostgreSQL stores ignore it (use a role that may only
            read to enforce it there).

    Raises:
        ConfigError: the URL is malformed or its scheme unknown (the message shows it, password redacted).
        StoreUnavailableError: the store cannot be reached or created.
        StoreCorruptError: the target exists but is not a kit store.
        SchemaVersionError: the store was written by a newer version of the kit.
    """
    if isinstance(url, str) and is_postgres_url(url):
        parse_postgres_url(url)  # a malformed URL is refused whether or not the backend is installed
        return _open_postgres(url, clock=clock, create=create and not read_only)
    return SQLiteStore(url, clock=clock, create=create, read_only=read_only)


def _open_postgres(url: str, *, clock: Clock, create: bool) -> Store:
    # Imported on demand: the PostgreSQL driver is only needed (and only loaded) for a PostgreSQL URL.
    try:
        module = importlib.import_module("omnimemory_kit.store.postgres")
    except ModuleNotFoundError as exc:
        if exc.name not in ("omnimemory_kit.store.postgres", "psycopg", "psycopg_pool"):
            raise
        raise StoreUnavailableError(
            f"cannot open {redact_url(url)!r}: the PostgreSQL backend is not available in this "
            f"installation ({exc.name} is missing); use a sqlite:/// URL or install the PostgreSQL backend"
        ) from exc
    store: Store = module.PostgresStore(url, clock=clock, create=create)
    return store
