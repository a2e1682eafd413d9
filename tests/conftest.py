"""Fixtures shared by the whole suite: a fake clock, and where the real services are."""

from __future__ import annotations

import os

import pytest

from omnimemory_kit.clock import FakeClock

PG_DSN = os.environ.get("OMNIMEMORY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("OMNIMEMORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at t=0 that moves only when a test advances it."""
    return FakeClock()


@pytest.fixture
def pg_dsn() -> str:
    """The DSN of the real PostgreSQL server the tests talk to."""
    return PG_DSN


@pytest.fixture
def redis_url() -> str:
    """The URL of the real Redis server the tests talk to."""
    return REDIS_URL
