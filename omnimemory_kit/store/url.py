"""Store URLs: parse them and print them without passwords (opening the store they name is
``omnimemory_kit.store.opening``, above both backends; this module imports neither).

Accepted forms::

    sqlite:///relative/path.db        a file, relative to the current directory
    sqlite:////absolute/path.db       a file, absolute path
    relative/path.db, /abs/path.db    a plain filesystem path (str or os.PathLike) means SQLite
    sqlite://  or  sqlite:///:memory: a private in-memory store (tests, throwaway runs)
    postgresql://user:pass@host/db    PostgreSQL (also postgres://), see omnimemory_kit.store.postgres

SQLite URLs take query options: ``?synchronous=normal|full|extra`` (``normal`` by default: committed events
survive a crash of the process; ``full`` also survives power loss, at some cost per commit) and
``?timeout=SECONDS`` (how long a writer waits for another process's lock, 30 by default).

PostgreSQL URLs take ``?schema=`` (default ``omnimemory_kit``), ``?pool_max=`` (default 10),
``?pool_timeout=SECONDS``, ``?stall_timeout=SECONDS`` (10 by default) and ``?lock_timeout=SECONDS`` (20 by
default; see ``omnimemory_kit.store.postgres`` for both, 0 turns either off); every other query parameter goes
to libpq.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.redaction import redact

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_STALL_TIMEOUT",
    "DEFAULT_STORE_URL",
    "PostgresLocation",
    "SQLiteLocation",
    "is_postgres_url",
    "parse_postgres_url",
    "parse_sqlite_url",
    "redact_url",
]

DEFAULT_STORE_URL: Final = "sqlite:///omnimemory.db"
"""The store every command opens when none is named: one SQLite file in the working folder."""

DEFAULT_STALL_TIMEOUT: Final = 10.0
"""Seconds a store transaction on PostgreSQL may sit idle before the server ends it (``?stall_timeout=``)."""

DEFAULT_LOCK_TIMEOUT: Final = 20.0
"""Seconds a PostgreSQL statement of the store waits for a lock before giving up (``?lock_timeout=``)."""

_MAX_TIMEOUT: Final = 86_400.0  # a day: PostgreSQL keeps these settings in milliseconds, as a 32-bit int

ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, a plain file path, sqlite:// (in memory), "
    "or postgresql://user:password@host/database"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_SYNCHRONOUS = ("normal", "full", "extra")
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


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


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """Where a PostgreSQL store lives, parsed from a URL: the libpq conninfo, the schema, the pool settings.

    ``pool_timeout`` is how long a call waits for a pooled connection (None: the store's default);
    ``stall_timeout`` how long a transaction may sit idle before the server ends it, ``lock_timeout`` how
    long a statement waits for a lock (seconds; 0: no limit).
    """

    conninfo: str = field(repr=False)  # holds the password: kept out of repr, never print it
    schema: str = "omnimemory_kit"
    pool_max: int = 10
    pool_timeout: float | None = None
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def redact_url(url: str | os.PathLike[str]) -> str:
    """Return ``url`` with any password replaced by ``***``, safe to print and log.

    Handles ``scheme://user:password@host`` URLs, ``password=`` query parameters and libpq ``key=value``
    connection strings, with the kit's one set of rules (``omnimemory_kit.redaction.redact``); a path
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


def is_postgres_url(url: str | os.PathLike[str]) -> bool:
    """Return whether ``url`` names a PostgreSQL store (``postgresql://`` or ``postgres://``)."""
    if not isinstance(url, str):
        return False
    match = _SCHEME.match(url)
    return match is not None and match.group(1).lower() in _POSTGRES_SCHEMES


def parse_postgres_url(url: str) -> PostgresLocation:
    """Parse a ``postgresql://`` URL into a ``PostgresLocation``.

    Raises:
        ConfigError: not a PostgreSQL URL, no database named, a bad ``pool_max``, ``pool_timeout``,
            ``stall_timeout``, ``lock_timeout`` or ``schema``.
    """
    parts = urlsplit(url)
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise ConfigError(f"not a PostgreSQL URL: {redact_url(url)!r}")
    if not parts.path.strip("/"):
        raise ConfigError(f"PostgreSQL URL {redact_url(url)!r} names no database (postgresql://host/dbname)")
    schema = "omnimemory_kit"
    pool_max = 10
    pool_timeout: float | None = None
    limits = {"stall_timeout": DEFAULT_STALL_TIMEOUT, "lock_timeout": DEFAULT_LOCK_TIMEOUT}
    passthrough: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        elif key == "pool_max":
            if not value.isdigit() or int(value) < 1:
                raise ConfigError(
                    f"pool_max in {redact_url(url)!r} must be a whole number >= 1, not {value!r}"
                )
            pool_max = int(value)
        elif key == "pool_timeout":
            try:
                pool_timeout = float(value)
            except ValueError:
                pool_timeout = -1.0
            if pool_timeout is None or not 0 < pool_timeout < 86_400:
                raise ConfigError(
                    f"pool_timeout in {redact_url(url)!r} must be a positive number of seconds, not {value!r}"
                )
        elif key in limits:
            try:
                seconds = float(value)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= _MAX_TIMEOUT:
                raise ConfigError(
                    f"{key} in {redact_url(url)!r} must be a number of seconds from 0 (no limit) to "
                    f"{_MAX_TIMEOUT:g}, not {value!r}"
                )
            limits[key] = seconds
        else:
            passthrough.append((key, value))
    if not schema or not set(schema) <= _IDENTIFIER_CHARS or schema[0].isdigit():
        raise ConfigError(
            f"schema {schema!r} in {redact_url(url)!r} must be lower-case letters, digits and underscores"
        )
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(passthrough), ""))
    return PostgresLocation(
        conninfo=conninfo, schema=schema, pool_max=pool_max, pool_timeout=pool_timeout, **limits
    )
