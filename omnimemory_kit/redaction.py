"""The kit's one redactor: hide passwords and other secrets in URLs, DSNs and free text.

A leaf (the standard library only), so anything that must print a URL safely (store URL parsing, health
checks, logs) can use it without importing tracing or logging machinery. ``omnimemory_kit.observability``
re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["REDACTED", "is_secret_name", "redact", "redact_mapping"]

REDACTED: Final = "***"

# Every rule of the kit's redaction lives here; the store's ``redact_url`` and the health package call it.
_SECRET_KEYWORD: Final = r"(?:password|passwd|pwd|secret|token|api[_-]?key)"
# A name ending in a secret keyword: password, PGPASSWORD, sslpassword, client_secret, access_token.
_SECRET_NAME: Final = re.compile(rf"[\w-]*?{_SECRET_KEYWORD}", re.IGNORECASE)
# scheme://user:password@host. The user may hold an unescaped "@" (user@server, as some hosted databases
# want) and so may the password: the secret runs to the last "@" before the host. The lookbehind starts a
# scheme only at a token boundary, which keeps the search linear on long runs of letters.
_URL_PASSWORD: Final = re.compile(
    r"(?P<head>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^:/\s]*):(?P<secret>[^@\s]*(?:@[^@\s/]*)*)@"
)
# key=value (libpq conninfo, query strings) and key: value (headers, JSON, YAML), value quoted or bare.
_KV_PASSWORD: Final = re.compile(
    rf"""(?P<key>\b\w*?{_SECRET_KEYWORD}["']?\s*[=:]\s*)"""
    r"""(?P<secret>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s"'&;,]+)""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Return ``text`` with passwords and other secrets replaced by ``***``.

    The one set of rules for the whole kit (``redact_url`` and the health package call this). Hides:

    - the password of ``scheme://user:password@host`` URLs (also ``redis://:password@host``, a user or
      password holding an unescaped ``@``, and ``driver+scheme://`` forms);
    - the value of a key ending in ``password``, ``passwd``, ``pwd``, ``secret``, ``token`` or ``api_key`` /
      ``api-key`` (so also ``sslpassword``, ``PGPASSWORD``, ``client_secret``, ``access_token``), given as
      ``key=value`` (libpq connection strings, query strings) or ``key: value`` (headers, JSON, YAML),
      quoted or not.

    Ports, times, e-mail addresses and URLs without a password are left as they are.
    """
    if "@" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>:{REDACTED}@", text)
    if "=" in text or ":" in text:
        text = _KV_PASSWORD.sub(rf"\g<key>{REDACTED}", text)
    return text


def is_secret_name(name: str) -> bool:
    """Return whether a field or key named ``name`` holds a secret (it ends in ``password``, ``token``...)."""
    return _SECRET_NAME.fullmatch(name) is not None


def redact_mapping(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``fields`` with secret-named keys blanked and string values ``redact``-ed."""
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if is_secret_name(key):
            clean[key] = REDACTED
        elif isinstance(value, str):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean
