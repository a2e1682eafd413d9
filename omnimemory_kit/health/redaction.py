"""Keep secrets out of health output: blank passwords in URLs, DSNs and ``password=`` pairs in free text.

Error messages from drivers often quote the DSN they failed with; everything a check reports (error text,
message, string details) passes through ``redact_secrets`` before it reaches a response, a log or the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "redact_details", "redact_secrets"]

REDACTED = "***"

# scheme://user:password@host  ->  scheme://user:***@host   (the password may not contain '@' or space)
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?=@)")
# libpq key/value DSNs and query strings: password=secret, passwd: secret, "password": "secret"
_KEY_PASSWORD = re.compile(
    r"""(?P<head>\b(?:password|passwd|pwd|secret|token|api[_-]?key)["']?\s*[=:]\s*["']?)(?P<secret>[^\s"'&;,]+)""",
    re.IGNORECASE,
)


def redact_secrets(text: str) -> str:
    """Return ``text`` with URL passwords and ``password=…``-style values replaced by ``***``."""
    if "://" not in text and "=" not in text and ":" not in text:
        return text
    text = _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)
    return _KEY_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)


def redact_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``details`` whose string values (and secret-named keys) are redacted."""
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if _KEY_PASSWORD.match(f"{key}=x"):
            clean[key] = REDACTED
        elif isinstance(value, str):
            clean[key] = redact_secrets(value)
        else:
            clean[key] = value
    return clean
