"""Keep secrets out of health output: blank passwords in URLs, DSNs and ``password=`` pairs in free text.

Error messages from drivers often quote the DSN they failed with; everything a check reports (error text,
message, string details) passes through ``redact_secrets`` (the kit's one redactor,
``omnimemory_kit.observability.redact``) before it reaches a response, a log or the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnimemory_kit.observability import REDACTED, redact

__all__ = ["REDACTED", "redact_details", "redact_secrets"]

redact_secrets = redact


def redact_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``details`` whose string values (and secret-named keys) are redacted."""
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if redact(f"{key}=x") != f"{key}=x":
            clean[key] = REDACTED
        elif isinstance(value, str):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean
