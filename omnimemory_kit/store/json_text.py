"""JSON text for the journal's rows of many events, encoded by orjson (in C, about ten times faster).

A run of events in one SQLite row is a JSON object of ``key: at`` members (``sqlite_journal``): encoding
its thousand float times with ``json.dumps`` was about 0.5 µs per event, a tenth of the store thread's
work per item of a run of fast items. orjson writes the same shortest round-trip digits, so SQLite reads
back the same floats. What orjson will not write (an integer past 64 bits, a key holding a lone surrogate)
or would write differently (NaN and infinity, which it turns into ``null``) is left to ``json.dumps``,
which refuses the latter as the rows always have.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["finite_json", "read_json"]


def finite_json(value: object) -> str:
    """Return ``value`` as JSON text, as ``json.dumps(value, allow_nan=False)`` would read back.

    Raises:
        ValueError: a float in ``value`` is NaN or infinite (JSON has no such number).
        TypeError: ``value`` holds something JSON cannot.
    """
    try:
        text = orjson.dumps(value)
    except orjson.JSONEncodeError:  # past 64 bits, a lone surrogate, a key that is no str: the slow path
        return json.dumps(value, allow_nan=False)
    if b"null" in text:  # None, or a NaN or infinity orjson wrote as null: json.dumps tells which
        return json.dumps(value, allow_nan=False)
    return text.decode()


def read_json(text: str) -> Any:
    """Return the value of JSON text as ``json.loads`` does (orjson first; what it refuses, such as an
    escaped lone surrogate, is read by ``json.loads``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
