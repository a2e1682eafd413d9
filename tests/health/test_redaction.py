"""Secrets never leave through health output."""

from __future__ import annotations

import pytest

from omnimemory_kit.health.redaction import redact_details, redact_secrets


class TestRedactSecrets:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "connection to postgresql://postgres:s3cr3t@127.0.0.1:5432/test failed",
                "connection to postgresql://postgres:***@127.0.0.1:5432/test failed",
            ),
            ("redis://:pw@localhost:6379/0", "redis://:***@localhost:6379/0"),
            ("host=db password=abc dbname=app", "host=db password=*** dbname=app"),
            ('{"password": "x1"}', '{"password": ***}'),
            ("https://api.example.com?api_key=abcd&x=1", "https://api.example.com?api_key=***&x=1"),
        ],
    )
    def test_passwords_are_blanked(self, text: str, expected: str) -> None:
        """URL passwords and password-like key/values are replaced by ***."""
        assert redact_secrets(text) == expected

    @pytest.mark.parametrize(
        "text",
        ["no secret here", "http://host:8080/path", "user@example.com wrote", "latency 12:30 ms"],
    )
    def test_text_without_secrets_is_unchanged(self, text: str) -> None:
        """Ports, e-mail addresses and times are left alone."""
        assert redact_secrets(text) == text

    def test_details_are_redacted_by_key_and_value(self) -> None:
        """Secret-named keys are blanked; string values are redacted; numbers pass through."""
        assert redact_details({"password": "x", "dsn": "postgresql://a:b@h/d", "free_pct": 4}) == {
            "password": "***",
            "dsn": "postgresql://a:***@h/d",
            "free_pct": 4,
        }
