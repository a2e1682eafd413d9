"""The run ledger: who started each run, with what, from where, and what was made from it.

Each run records (``RunRecord``) its operator (``user@host``), parameters, function identity, origin (the
command line or the notebook that started it) and correlation id; the store keeps the reports made from it
(``JournalStore.add_report``). ``ledger`` reads them back as ``LedgerEntry`` values, adding what is derived
rather than stored: the parameters' hash, and the previous and next run of the same migration (same source
and function, in creation order). ``search`` filters entries by ``KEY=VALUE`` conditions (a hash
prefix for ``params_hash``; ``KEY=`` or ``KEY=null`` for a key missing or null).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shlex
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.store.base import JournalStore, ReportLink, RunRecord
from omnimemory_kit.store.companions import is_companion
from omnimemory_kit.store.url import redact_url

__all__ = [
    "HASH_PREFIX_MIN",
    "NULL_VALUES",
    "ORIGIN_ENV",
    "LedgerEntry",
    "current_operator",
    "current_origin",
    "ledger",
    "params_hash",
    "parse_conditions",
    "search",
]

ORIGIN_ENV: Final = "OMNIMEMORY_KIT_ORIGIN"
"""Environment variable naming what started a run (a report sets it to its notebook for the kernel)."""

FIELDS: Final = (
    "run_id",
    "name",
    "operator",
    "origin",
    "function",
    "source",
    "correlation_id",
    "params_hash",
    "previous_run",
    "next_run",
)
"""The entry fields a condition may name; any other key names a parameter."""


def params_hash(params: Mapping[str, Any]) -> str:
    """Return the sha256 of the parameters as canonical JSON (sorted keys): equal settings, equal hash."""
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def current_operator() -> str:
    """Return ``user@host`` for this process (``unknown`` when the user cannot be told)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def current_origin() -> str:
    """Return what started this process: ``$OMNIMEMORY_KIT_ORIGIN``, else its command line.

    Passwords in any URL on the command line are redacted (a store URL given with ``--store``).
    """
    named = os.environ.get(ORIGIN_ENV, "").strip()
    if named:
        return redact_url(named)
    argv = list(sys.argv) or ["python"]
    argv[0] = Path(argv[0]).name or argv[0]
    return shlex.join(redact_url(arg) for arg in argv)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One run as the ledger shows it."""

    run_id: str
    name: str
    created_at: float
    operator: str
    origin: str
    function: str
    source: str
    correlation_id: str
    params: Mapping[str, Any]
    params_hash: str
    reports: tuple[ReportLink, ...] = ()
    previous_run: str | None = None
    next_run: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as plain JSON-ready values."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "created_at": self.created_at,
            "operator": self.operator,
            "origin": self.origin,
            "function": self.function,
            "source": self.source,
            "correlation_id": self.correlation_id,
            "params": dict(self.params),
            "params_hash": self.params_hash,
            "reports": [{"path": r.path, "made_at": r.made_at} for r in self.reports],
            "previous_run": self.previous_run,
            "next_run": self.next_run,
        }


def _entry(record: RunRecord, reports: Sequence[ReportLink]) -> LedgerEntry:
    return LedgerEntry(
        run_id=record.run_id,
        name=record.name,
        created_at=record.created_at,
        operator=record.operator,
        origin=record.origin,
        function=record.function,
        source=record.source,
        correlation_id=record.correlation_id,
        params=dict(record.params),
        params_hash=params_hash(record.params),
        reports=tuple(reports),
    )


def ledger(store: JournalStore) -> list[LedgerEntry]:
    """Return every run of ``store`` as a ledger entry, oldest first, linked to its neighbours.

    Runs of the same migration (same source and function) are chained in creation order: each names the
    run before it and the run after it.
    """
    entries = [
        _entry(record, store.run_reports(record.run_id))
        for record in store.list_runs()
        if not is_companion(record.run_id, record.source)  # a run's control stream, queue or pass lease
    ]
    last_of: dict[tuple[str, str], int] = {}
    linked = list(entries)
    for at, entry in enumerate(entries):
        migration = (entry.source, entry.function)
        before = last_of.get(migration)
        if before is not None:
            previous = linked[before]
            linked[before] = _replace(previous, next_run=entry.run_id)
            linked[at] = _replace(entry, previous_run=previous.run_id)
        last_of[migration] = at
    return linked


def _replace(entry: LedgerEntry, **changes: str) -> LedgerEntry:
    values = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
    values.update(changes)
    return LedgerEntry(**values)


HASH_PREFIX_MIN: Final = 8
"""The fewest hex digits a ``params_hash`` condition may give (``runs`` shows the first 16)."""
NULL_VALUES: Final = ("", "null")
"""Condition values that also match a key a run lacks, or holds as null (``--where previous_run=null``)."""

_HEX: Final = frozenset("0123456789abcdef")


def parse_conditions(conditions: Sequence[str]) -> list[tuple[str, str]]:
    """Split ``KEY=VALUE`` conditions; a ``params_hash`` value is a prefix, taken in lower case.

    Raises:
        ConfigError: a condition has no ``=`` or an empty key, or a ``params_hash`` value is not at least
            ``HASH_PREFIX_MIN`` hex digits (a shorter prefix would match runs of other settings by chance).
    """
    parsed: list[tuple[str, str]] = []
    for condition in conditions:
        key, equals, value = condition.partition("=")
        if not equals or not key.strip():
            raise ConfigError(f"--where {condition!r} is not KEY=VALUE (e.g. --where batch_size=100)")
        key = key.strip()
        if key == "params_hash" and value not in NULL_VALUES:
            value = value.strip().lower()
            if len(value) < HASH_PREFIX_MIN or not set(value) <= _HEX:
                raise ConfigError(
                    f"--where {condition!r}: params_hash takes at least {HASH_PREFIX_MIN} hex digits "
                    "of the hash (a prefix, as `runs` shows it)"
                )
        parsed.append((key, value))
    return parsed


def _shown(value: Any) -> str:
    """Return a value as a condition compares it: text as itself, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _value(entry: LedgerEntry, key: str) -> str | None:
    if key in FIELDS:
        value = getattr(entry, key)
        return None if value is None else str(value)
    name = key.removeprefix("params.")
    return _shown(entry.params[name]) if name in entry.params else None


def _holds(entry: LedgerEntry, key: str, value: str) -> bool:
    """Whether ``entry`` meets ``KEY=VALUE``: equal, a hash prefix, or missing/null for an empty/null one."""
    found = _value(entry, key)
    if value in NULL_VALUES and found in (None, "null"):
        return True
    if key == "params_hash" and found is not None and value not in NULL_VALUES:
        return found.startswith(value)
    return found == value


def search(entries: Sequence[LedgerEntry], conditions: Sequence[tuple[str, str]]) -> list[LedgerEntry]:
    """Return the entries meeting every condition (``parse_conditions`` made them).

    A condition holds where the ledger field or parameter equals the value; a ``params_hash`` value matches
    the hashes it begins; ``KEY=`` and ``KEY=null`` also match where the key is missing or null.

    Raises:
        ConfigError: a key is neither a ledger field nor a parameter of any run (a misspelt key would
            otherwise match nothing, silently).
    """
    known = set(FIELDS) | {name for entry in entries for name in entry.params}
    for key, _ in conditions:
        if key.removeprefix("params.") not in known:
            choices = ", ".join(sorted(known))
            raise ConfigError(f"--where key {key!r} is not a ledger field or a run parameter ({choices})")
    return [e for e in entries if all(_holds(e, key, value) for key, value in conditions)]
