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
to libpq. A user name or password holding ``@``, ``/``, ``?``, ``#``, ``%`` or a space must be
percent-encoded (``urllib.parse.quote(password, safe="")``): such a URL is refused before any connection is
tried, and its error shows nothing of the password. A libpq keyword string (``host=... dbname=...``) is
refused too, rather than taken for a file name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.redaction import redact

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_STALL_TIMEOUT",
    "DEFAULT_STORE_URL",
    "ENCODE_PASSWORD",
    "PostgresLocation",
    "SQLiteLocation",
    "is_postgres_url",
    "parse_postgres_url",
    "parse_sqlite_url",
    "password_problem",
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
# A libpq connection string given where a URL belongs: "key=value" pairs with spaces between them, or one
# pair whose key libpq knows (a file is rarely named "dbname=x").
_LIBPQ_KEYWORD = re.compile(
    r"\s*(?:host|hostaddr|port|dbname|user|password|passfile|sslmode|service|options|connect_timeout)\s*=",
    re.IGNORECASE,
)
_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
ENCODE_PASSWORD: Final = (
    "the password must be percent-encoded, e.g. with urllib.parse.quote(password, safe=''): "
    "@ is %40, / is %2F, # is %23, ? is %3F"
)
"""What to do about a ``password_problem``."""


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


def _bad_userinfo(url: str, scheme: str, why: str) -> ConfigError:
    # Where the user name and password end cannot be told, so no redaction rule can be trusted with the
    # text: everything up to the last "@" is hidden.
    shown = f"{scheme}://***@{url.rpartition('@')[2]}" if "@" in url else f"{scheme}://***"
    return ConfigError(f"bad store URL {shown!r}: {why}; {ENCODE_PASSWORD}")


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
        if url.lower().startswith(tuple(f"{scheme}:" for scheme in _POSTGRES_SCHEMES)):
            raise _bad(url, "write postgresql://user:password@host/database (two slashes after the scheme)")
        if "=" in url and (any(char.isspace() for char in url) or _LIBPQ_KEYWORD.match(url)):
            raise _bad(
                url,
                "this is a libpq keyword string, not a file path; use a postgresql:// URL "
                "(postgresql://user:password@host/database)",
            )
        return SQLiteLocation(path=url)
    scheme = match.group(1).lower()
    if scheme in _POSTGRES_SCHEMES:
        raise _bad(url, f"{match.group(1)!r} is not a SQLite URL")
    if scheme != "sqlite":
        raise _bad(
            url, f"unknown scheme {match.group(1)!r} (a store is a SQLite file or a PostgreSQL database)"
        )
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
    _check_authority(url, parts)
    if not parts.path.strip("/"):
        raise ConfigError(f"PostgreSQL URL {redact_url(url)!r} names no database (postgresql://host/dbname)")
    schema = "omnimemory_kit"
    pool_max = 10
    pool_timeout: float | None = None
    limits = {"stall_timeout": DEFAULT_STALL_TIMEOUT, "lock_timeout": DEFAULT_LOCK_TIMEOUT}
    passthrough: list[tuple[str, str]] = []
    if any("=" not in item for item in parts.query.split("&") if item):
        # "?password=ab&cd": the "cd" libpq would refuse by name is the tail of a password; neither it nor
        # the URL (whose redaction would stop at the "&") is shown
        raise ConfigError(
            "bad store URL: a query parameter has no '=' (write each as name=value; a '&' in a value, a "
            "password say, must be percent-encoded as %26)"
        )
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


def password_problem(url: str) -> str | None:
    """Return why the user name or password of a ``scheme://`` URL is not percent-encoded, or None.

    libpq ends the user name and password at the first ``@``; ``/``, ``?`` and ``#`` end the host part
    before it. A password holding any of them unencoded would send the rest of it to the server as a host
    name, and the server's "cannot resolve host" error would print that part of the password. The reason
    returned never quotes the URL.
    """
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    if userinfo.count("@") or (at and _PERCENT_ESCAPE.search(userinfo)):
        what = "'@'" if "@" in userinfo else "'%' that does not start a %XX escape"
        return f"the user name or password holds an unencoded {what}"
    # The host part ended early when a '/', '?' or '#' in the password cut it: what followed the cut holds
    # the "@" before the host (a query value may hold one: ?user=me@example is libpq's own form).
    query_keys = (key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    if (
        "@" in parts.path
        or "@" in parts.fragment
        or ("@" in parts.query and (not parts.path or any("@" in key for key in query_keys)))
    ):
        return "the password (or user name) holds an unencoded '/', '?' or '#'"
    if any(char.isspace() for char in url):
        return "the URL holds a space or another blank (a space is %20)"
    return None


def _check_authority(url: str, parts: SplitResult) -> None:
    """Refuse a user name or password that is not percent-encoded (``password_problem``), and a port that
    is not one."""
    problem = password_problem(url)
    if problem is not None:
        raise _bad_userinfo(url, parts.scheme, problem)
    hosts = parts.netloc.rpartition("@")[2]
    for host in hosts.split(","):
        # libpq takes several hosts, host1:port1,host2:port2; an IPv6 address is written in brackets
        name, _, port = host.rpartition(":") if ":" in host.rpartition("]")[2] else (host, "", "")
        if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65_535):
            # Neither the port nor the URL is shown: "postgresql://alice:secret/db" (the "@host" left out)
            # reads as host "alice", port "secret".
            raise ConfigError(
                f"bad store URL: the port of host {name!r} is not a port number from 1 to 65535 "
                f"(postgresql://user:password@host:port/database)"
            )
