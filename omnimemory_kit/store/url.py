"""Store URLs: parse them, open the store they name, and print them without passwords.

Accepted forms::

    sqlite:///relative/path.db        a file, relative to the current directory
    sqlite:////absolute/path.db       a file, absolute path
    relative/path.db, /abs/path.db    a plain filesystem path (str or os.PathLike) means SQLite
    sqlite://  or  sqlite:///:memory: a private in-memory store (tests, throwaway runs)
    postgresql://user:pass@host/db    PostgreSQL (also postgres://), see omnimemory_kit.store.postgres

SQLite URLs take query options: ``?synchronous=normal|full|extra`` (``normal`` by default: committed events
survive a crash of the process; ``full`` also survives power loss, at some cost per commit) and
``?timeout=SECONDS`` (how long a writer waits for another process's lock, 30 by default).
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError, StoreUnavailableError
from omnimemory_kit.observability import redact
from omnimemory_kit.store.base import JournalStore

__all__ = ["SQLiteLocation", "open_store", "parse_sqlite_url", "redact_url"]

ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, a plain file path, sqlite:// (in memory), "
    "or postgresql://user:password@host/database"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_SYNCHRONOUS = ("normal", "full", "extra")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class SQLiteLocation:
    """Where a SQLite store lives and how to open it, parsed from a URL or path."""

    path: str  # a filesystem path, or ":memory:"
    synchronous: str = "normal"
    timeout: float = 30.0

    @property
    def in_memory(self) -> bool:
        """Return whether this is a private in-memory store."""
        return self.path == ":memory:"


def redact_url(url: str | os.PathLike[str]) -> str:
    """Return ``url`` with any password replaced by ``***``, safe to print and log.

    Handles ``scheme://user:password@host`` URLs, ``password=`` query parameters and libpq ``key=value``
    connection strings, with the kit's one set of rules (``omnimemory_kit.observability.redact``); a path
    comes back as its string. Never raises.
    """
    return redact(os.fspath(url))


def _bad(url: str, why: str) -> ConfigError:
    return ConfigError(f"bad store URL {redact_url(url)!r}: {why}; accepted: {ACCEPTED}")


def parse_sqlite_url(url: str | os.PathLike[str]) -> SQLiteLocation:
    """Parse a ``sqlite:`` URL or a plain path into a ``SQLiteLocation``.

    Raises:
        ConfigError: the URL is malformed or has an unknown option.
    """
    if not isinstance(url, str):
        path = os.fspath(url)
        if not path:
            raise _bad(path, "the path is empty")
        return SQLiteLocation(path=path)
    if not url.strip():
        raise _bad(url, "the URL is empty")
    match = _SCHEME.match(url)
    if match is None:
        if url.lower().startswith("sqlite:"):
            raise _bad(url, "write sqlite:///path (three slashes before a relative path, four before /abs)")
        return SQLiteLocation(path=url)
    if match.group(1).lower() != "sqlite":
        raise _bad(url, f"{match.group(1)!r} is not a SQLite URL")
    rest = url[match.end() :]
    authority, slash, tail = rest.partition("/")
    if authority:
        # only the host part: the authority may carry user:password@
        host = authority.rpartition("@")[2]
        raise _bad(url, f"a SQLite URL has no host (found {host!r}); write sqlite:///path")
    path, _, query = tail.partition("?")
    if not slash or path in ("", ":memory:"):
        path = ":memory:"
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key == "synchronous":
            if value.lower() not in _SYNCHRONOUS:
                raise _bad(url, f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {value!r}")
            options["synchronous"] = value.lower()
        elif key == "timeout":
            try:
                seconds = float(value)
            except ValueError:
                seconds = -1.0
            if not seconds >= 0:
                raise _bad(url, f"timeout must be a number of seconds >= 0, not {value!r}")
            options["timeout"] = seconds
        else:
            raise _bad(url, f"unknown option {key!r} (SQLite URLs take synchronous and timeout)")
    return SQLiteLocation(path=path, **options)


def open_store(
    url: str | os.PathLike[str], *, clock: Clock = SYSTEM_CLOCK, create: bool = True, read_only: bool = False
) -> JournalStore:
    """Open the store a URL or path names (see the module docstring for the accepted forms).

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
    if isinstance(url, str):
        match = _SCHEME.match(url)
        if match is not None and match.group(1).lower() in _POSTGRES_SCHEMES:
            return _open_postgres(url, clock=clock, create=create and not read_only)
    from omnimemory_kit.store.sqlite import SQLiteStore

    return SQLiteStore(url, clock=clock, create=create, read_only=read_only)


def _open_postgres(url: str, *, clock: Clock, create: bool) -> JournalStore:
    try:
        module = importlib.import_module("omnimemory_kit.store.postgres")
    except ModuleNotFoundError as exc:
        if exc.name not in ("omnimemory_kit.store.postgres", "psycopg", "psycopg_pool"):
            raise
        raise StoreUnavailableError(
            f"cannot open {redact_url(url)!r}: the PostgreSQL backend is not available in this "
            f"installation ({exc.name} is missing); use a sqlite:/// URL or install the PostgreSQL backend"
        ) from exc
    store: JournalStore = module.PostgresStore(url, clock=clock, create=create)
    return store
