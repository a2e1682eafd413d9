"""Text that came from the operating system: keep it exactly, store it safely, show it escaped.

POSIX file names are bytes. Python turns the bytes that are not valid UTF-8 into lone surrogates
(``os.fsdecode`` uses the ``surrogateescape`` error handler: byte ``0xE9`` becomes ``'\\udce9'``), so a
Latin-1 ``café.py`` arrives as ``'caf\\udce9.py'`` and ``Path('caf\\udce9.py')`` opens the real file again.
Such a string cannot be encoded as UTF-8, which SQLite and PostgreSQL text columns need, and PostgreSQL
text cannot hold NUL either. Two pairs of functions deal with that:

- ``to_stored`` / ``from_stored``: the lossless form the store keeps. Text that is valid UTF-8, holds no NUL
  and does not start with ``STORED_MARKER`` (U+FFFD) is kept unchanged, so every ordinary key is stored as
  itself. Any other text is stored as ``STORED_MARKER`` followed by an escaped form in which ``\\\\`` is a
  backslash, ``\\xHH`` is the byte ``HH`` (below 0x80 the ASCII character, from 0x80 the surrogate
  ``surrogateescape`` made of it) and ``\\uHHHH`` any other lone surrogate. ``from_stored(to_stored(t)) ==
  t`` for every ``str``, and equal texts are stored equal, so lookups by key work on the stored form.
- ``printable``: what a person sees (status lines, CSV, logs, reports): undecodable bytes as ``\\xHH``,
  newlines, tabs and other invisible characters as ``\\n``, ``\\t``, ``\\xHH``, ``\\uHHHH``. Lossy, only for
  display.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["STORED_MARKER", "from_stored", "kept_as_is", "printable", "to_stored"]

STORED_MARKER: Final = "\ufffd"
"""The first character of a stored text that holds escapes (U+FFFD, the replacement character)."""

_UNESCAPE: Final = re.compile(r"\\(?:\\|x([0-9a-f]{2})|u([0-9a-f]{4}))")
_NAMED: Final = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def kept_as_is(text: str) -> bool:
    """Tell, in C, whether ``text`` is plain ASCII without NUL, which ``to_stored`` keeps as it is.

    The quick test before a conversion: one over many texts joined answers for all of them (a text it says
    no to may still be kept as it is; ``to_stored`` decides).
    """
    return text.isascii() and "\x00" not in text


def _needs_escape(text: str) -> bool:
    if text.isascii():
        return "\x00" in text
    if text[0] == STORED_MARKER or "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def to_stored(text: str) -> str:
    """Return the form of ``text`` a store keeps: itself when storable as is, else marked and escaped."""
    if not _needs_escape(text):
        return text
    parts = [STORED_MARKER]
    for char in text:
        code = ord(char)
        if char == "\\":
            parts.append("\\\\")
        elif code == 0:
            parts.append("\\x00")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape could not decode
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(char)
    return "".join(parts)


def _unescape(match: re.Match[str]) -> str:
    byte, surrogate = match.group(1), match.group(2)
    if byte is not None:
        value = int(byte, 16)
        return chr(value if value < 0x80 else 0xDC00 + value)
    if surrogate is not None:
        return chr(int(surrogate, 16))
    return "\\"


def from_stored(text: str) -> str:
    """Return the text ``to_stored`` was given (ordinary text comes back unchanged)."""
    if text[:1] != STORED_MARKER:
        return text
    return _UNESCAPE.sub(_unescape, text[1:])


def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """Return ``text`` safe to print and write as UTF-8: undecodable bytes and invisible characters escaped.

    ``'caf\\udce9.py'`` (a Latin-1 file name) becomes ``'caf\\\\xe9.py'``; ``'a\\nb'`` becomes ``'a\\\\nb'``.
    Letters of every script, and the space, are kept as they are.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape_char(char) for char in text)
