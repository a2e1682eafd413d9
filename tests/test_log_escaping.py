"""Log lines carrying keys from the file system: always one line, always writable as UTF-8."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator

import pytest

from omnimemory_kit import configure_logging

KEY = os.fsdecode(b"caf\xe9\nline.py")  # an undecodable byte and a newline


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A kit logger whose handler is removed afterwards."""
    log = logging.getLogger("omnimemory_kit.test_escaping")
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.setLevel(logging.NOTSET)


class TestLogLines:
    """Odd keys in log messages, written to a strict UTF-8 stream (like a log file)."""

    def test_json_line_is_utf8_and_keeps_the_key_exactly(self, logger: logging.Logger) -> None:
        """The JSON line encodes as UTF-8 and decodes back to the very key."""
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="\n")
        handler = configure_logging("INFO", stream=stream, logger=logger.name)
        logger.warning("skipped %s", KEY)
        handler.flush()
        lines = raw.getvalue().decode("utf-8").splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0])["message"] == f"skipped {KEY}"

    def test_text_line_is_one_escaped_line(self, logger: logging.Logger) -> None:
        """The text formatter writes one line with the newline and the byte escaped."""
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="\n")
        handler = configure_logging("INFO", json=False, stream=stream, logger=logger.name)
        logger.warning("skipped %s", KEY)
        handler.flush()
        text = raw.getvalue().decode("utf-8")
        assert text.count("\n") == 1
        assert text.rstrip("\n").endswith("skipped caf\\xe9\\nline.py")
