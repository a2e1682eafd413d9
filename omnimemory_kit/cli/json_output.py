"""What every ``--json`` of the command line prints: strict JSON (RFC 8259), whatever the values hold.

``json.dumps`` alone writes ``NaN`` and ``Infinity`` (tokens JSON has not got: ``jq`` and most parsers
refuse them) and passes a lone surrogate through as ``\\udcff`` (a file name that is not valid UTF-8, as
``os.fsdecode`` returns it), which a strict parser refuses and UTF-8 output cannot encode. ``dumps`` writes
instead:

- a float that is not a number as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``;
- an undecodable byte of a text as the text ``\\xHH`` (``'caf\\udce9.txt'`` becomes ``"caf\\\\xe9.txt"``, the
  way ``omnimemory_kit.text.printable`` shows it), any other lone surrogate as ``\\uHHHH`` text, in values
  and keys alike;
- anything else JSON has no type for as its ``str()``, cleaned the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["dumps", "json_text"]

_NOT_FINITE: Final = {math.inf: "Infinity", -math.inf: "-Infinity"}


def json_text(text: str) -> str:
    """Return ``text`` with each lone surrogate as ``\\xHH`` (an undecodable byte) or ``\\uHHHH`` text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return text  # the common case: nothing to escape
    parts = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte ``surrogateescape`` could not decode
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(char)
    return "".join(parts)


def _key(key: Any) -> Any:
    if isinstance(key, str):
        return json_text(key)
    if isinstance(key, float) and not math.isfinite(key):
        return _number(key)
    if key is None or isinstance(key, int | float | bool):
        return key  # json writes these keys as text itself
    return json_text(str(key))


def _number(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else _NOT_FINITE[value]


def _clean(value: Any) -> Any:
    """Return ``value`` with every non-finite float and lone surrogate replaced (a new structure)."""
    if isinstance(value, str):
        return json_text(value)
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Mapping):
        return {_key(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return json_text(str(value))


def dumps(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """Return ``value`` as strict JSON text (see the module), indented by ``indent`` spaces."""
    return json.dumps(_clean(value), indent=indent, sort_keys=sort_keys, allow_nan=False)
